package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Replicas routes read-only requests to streaming replicas of the primary
// and keeps track of their health. A background checker samples each
// replica (is it reachable, still in recovery, how far behind) and
// publishes the result in atomics, so choosing a replica takes no lock.
type Replicas struct {
	primary *Pool
	// check is a one-connection pool of the primary's for the checker,
	// so a busy request pool never delays a check.
	check *Pool
	list  []*Replica
	next  atomic.Uint32 // round-robin cursor
	// maxLag is db-replica-max-lag in nanoseconds; 0: no limit.
	maxLag atomic.Int64
	// floor is a WAL position every replica must have replayed to serve
	// at all: the primary's after the last schema cache load, so no
	// request planned against new DDL runs where the DDL is not yet.
	floor    atomic.Uint64
	interval time.Duration
	onChange func(r *Replica, st ReplicaState)
	// history is the primary's recent WAL positions, oldest first, only
	// touched by the checker's goroutine.
	history []lsnSample
	// fallbacks counts read requests that a replica could not serve and
	// the primary did; overflows those it did because every replica
	// that could serve them had its pool full.
	fallbacks, overflows atomic.Uint64
}

// Replica is one replica: its pool and its last sampled state.
type Replica struct {
	// Name is host:port, safe to log (no credentials).
	Name  string
	pool  *Pool
	check *Pool         // the checker's own connection, as Replicas.check
	state atomic.Uint32 // ReplicaState
	// replay is the WAL position it had replayed at the last sample.
	replay atomic.Uint64
	// lag is how old its data was at the last sample (nanoseconds), and
	// lagBytes how much WAL it had still to replay.
	lag, lagBytes atomic.Int64
	// caughtUp is when the primary was last at a position this replica
	// has replayed (checker only).
	caughtUp time.Time
	requests atomic.Uint64
}

// ReplicaState is a replica's health as the checker last saw it.
type ReplicaState uint32

const (
	ReplicaUnknown  ReplicaState = iota // not checked yet
	ReplicaUp                           // serves reads
	ReplicaDown                         // unreachable, or broke a request
	ReplicaLagging                      // behind by more than db-replica-max-lag
	ReplicaPromoted                     // no longer in recovery: not a replica of ours
)

var replicaStateNames = [...]string{"unknown", "up", "down", "lagging", "promoted"}

func (s ReplicaState) String() string {
	if int(s) < len(replicaStateNames) {
		return replicaStateNames[s]
	}
	return "ReplicaState(" + strconv.Itoa(int(s)) + ")"
}

type lsnSample struct {
	at  time.Time
	lsn uint64
}

// historyLen bounds the primary's sampled positions: a replica behind
// the oldest one is at least that old.
const historyLen = 64

// ReplicaOptions configure the replicas.
type ReplicaOptions struct {
	// URIs are the replicas' connection strings (URIs). A URI without a
	// user, password or database takes the primary's.
	URIs []string
	// Pool is the pool options each replica's pool starts from (its URI
	// is replaced, its OnConnect ignored).
	Pool Options
	// MaxLag is db-replica-max-lag: a replica whose data is older than
	// this gets no requests; 0 for no limit.
	MaxLag time.Duration
	// Interval is the time between two health checks; by default a
	// quarter of MaxLag, between 100 ms and a second.
	Interval time.Duration
	// OnChange, when set, is called from the checker's goroutine when a
	// replica's state changes (for the log).
	OnChange func(r *Replica, st ReplicaState)
}

// OpenReplicas opens a pool per replica without connecting; Check starts
// the health checks. Until a replica has been checked it gets no requests.
func OpenReplicas(primary *Pool, primaryURI string, o ReplicaOptions) (*Replicas, error) {
	rs := &Replicas{primary: primary, interval: o.Interval, onChange: o.OnChange}
	if rs.interval <= 0 {
		rs.interval = time.Second
		if o.MaxLag > 0 {
			rs.interval = min(max(o.MaxLag/4, 100*time.Millisecond), time.Second)
		}
	}
	rs.maxLag.Store(int64(o.MaxLag))
	checkOpts := o.Pool
	checkOpts.URI, checkOpts.PoolSize, checkOpts.OnConnect = primaryURI, 1, nil
	var err error
	if rs.check, err = Open(checkOpts); err != nil {
		return nil, err
	}
	for i, uri := range o.URIs {
		full, name, err := replicaURI(primaryURI, uri)
		if err != nil {
			rs.Close()
			return nil, fmt.Errorf("db-replicas: replica %d: %w", i+1, err)
		}
		po := o.Pool
		po.URI, po.OnConnect = full, nil
		r := &Replica{Name: name}
		if r.pool, err = Open(po); err == nil {
			po.PoolSize = 1
			r.check, err = Open(po)
		}
		if err != nil {
			if r.pool != nil {
				r.pool.Close()
			}
			rs.Close()
			return nil, fmt.Errorf("db-replicas: replica %d (%s): %w", i+1, name, errors.Unwrap(err))
		}
		rs.list = append(rs.list, r)
	}
	return rs, nil
}

// replicaURI completes a replica's URI with the primary's user, password
// and database where it names none, and returns it with the replica's
// name (host:port).
func replicaURI(primaryURI, uri string) (full, name string, err error) {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return "", "", errors.New("not a postgres:// URI with a host")
	}
	name = u.Host
	if u.Port() == "" {
		name = net.JoinHostPort(u.Hostname(), "5432")
	}
	if u.User == nil || strings.Trim(u.Path, "/") == "" || passwordless(u) {
		base, err := pgxpool.ParseConfig(primaryURI)
		if err != nil {
			return "", "", fmt.Errorf("db-uri: %w", err)
		}
		cc := base.ConnConfig
		switch {
		case u.User == nil && cc.Password != "":
			u.User = url.UserPassword(cc.User, cc.Password)
		case u.User == nil:
			u.User = url.User(cc.User)
		case passwordless(u) && cc.Password != "" && u.User.Username() == cc.User:
			u.User = url.UserPassword(cc.User, cc.Password)
		}
		if strings.Trim(u.Path, "/") == "" {
			u.Path = "/" + cc.Database
		}
	}
	return u.String(), name, nil
}

func passwordless(u *url.URL) bool {
	if u.User == nil {
		return true
	}
	_, ok := u.User.Password()
	return !ok
}

// Close closes every replica's pool.
func (rs *Replicas) Close() {
	for _, r := range rs.list {
		r.pool.Close()
		r.check.Close()
	}
	if rs.check != nil {
		rs.check.Close()
	}
}

// List returns the replicas, in the order configured.
func (rs *Replicas) List() []*Replica { return rs.list }

// SetMaxLag changes db-replica-max-lag; the next check applies it.
func (rs *Replicas) SetMaxLag(d time.Duration) { rs.maxLag.Store(int64(d)) }

// ForgetStatements is Pool.ForgetStatements on every replica.
func (rs *Replicas) ForgetStatements() {
	for _, r := range rs.list {
		r.pool.ForgetStatements()
	}
}

// SetFloor records the primary's current WAL position as one every
// replica must have replayed before it serves again (after a schema
// cache load: the DDL the new cache reflects must be there too).
func (rs *Replicas) SetFloor(ctx context.Context) error {
	b, err := rs.primary.QueryBytes(ctx, lsnSQL)
	if err != nil {
		return err
	}
	lsn, ok := ParseLSN(b)
	if !ok {
		return fmt.Errorf("wire: the primary's WAL position %q", b)
	}
	rs.floor.Store(recordEnd(lsn))
	return nil
}

// Fallbacks counts the reads a replica failed and the primary served.
func (rs *Replicas) Fallbacks() uint64 { return rs.fallbacks.Load() }

// Overflows counts the reads the primary served because every replica
// that could was busy (its pool full).
func (rs *Replicas) Overflows() uint64 { return rs.overflows.Load() }

// Pick chooses a replica for a read-only request that must see the WAL
// position want (0: any): a replica in state up that has replayed the
// floor and has a free connection, in turn. guard is false when its last
// sample shows that it has replayed want; true when it is not known yet,
// so the request must carry want as Request.AfterLSN. nil means the
// primary: no replica is up, or every one that is has its pool full (a
// read does not wait for a replica while the primary may serve it). The
// request must run with the replica pool's TryRun.
func (rs *Replicas) Pick(want uint64) (r *Replica, guard bool) {
	n := uint32(len(rs.list))
	if n == 0 {
		return nil, false
	}
	floor := rs.floor.Load()
	start := rs.next.Add(1)
	var behind *Replica
	full := false
	for i := range n {
		c := rs.list[(start+i)%n]
		if ReplicaState(c.state.Load()) != ReplicaUp {
			continue
		}
		replay := c.replay.Load()
		if replay < floor {
			continue
		}
		if c.pool.Full() {
			full = true
			continue
		}
		if replay >= want {
			return c, false
		}
		if behind == nil {
			behind = c
		}
	}
	if behind == nil && full {
		rs.overflows.Add(1)
	}
	return behind, behind != nil
}

// Failed tells whether a replica's error leaves a read-only request to
// the primary: the replica broke (it is then taken out until its next good
// check), has not replayed the request's position, or cancelled the read
// for a conflict with recovery (40001), which the primary does not have;
// or its pool was full after all (taken between Pick and TryRun, or a
// connection pgxpool still counts while it closes).
func (rs *Replicas) Failed(r *Replica, err error) bool {
	var ce *ConnError
	var de *DBError
	switch {
	case errors.Is(err, ErrPoolFull), errors.Is(err, ErrAcquireTimeout):
		rs.overflows.Add(1)
		return true
	case errors.As(err, &ce):
		rs.setState(r, ReplicaDown)
	case errors.Is(err, ErrNotReplayed):
	case errors.As(err, &de) && de.Code == "40001":
	default:
		return false
	}
	rs.fallbacks.Add(1)
	return true
}

// Pool is the replica's connection pool.
func (r *Replica) Pool() *Pool { return r.pool }

// ReplicaStats is a replica's last sampled state.
type ReplicaStats struct {
	Name     string
	State    ReplicaState
	Lag      time.Duration // age of its data
	LagBytes int64         // WAL still to replay
	Replayed uint64        // WAL position replayed
	Requests uint64        // requests routed to it
}

// Stats returns the replica's last sampled state.
func (r *Replica) Stats() ReplicaStats {
	return ReplicaStats{Name: r.Name, State: ReplicaState(r.state.Load()), Lag: time.Duration(r.lag.Load()),
		LagBytes: r.lagBytes.Load(), Replayed: r.replay.Load(), Requests: r.requests.Load()}
}

// Routed counts a request sent to r.
func (r *Replica) Routed() { r.requests.Add(1) }

func (rs *Replicas) setState(r *Replica, st ReplicaState) {
	if old := ReplicaState(r.state.Swap(uint32(st))); old != st && rs.onChange != nil {
		rs.onChange(r, st)
	}
}

// Check runs the health checks every interval until ctx ends.
func (rs *Replicas) Check(ctx context.Context) {
	t := time.NewTicker(rs.interval)
	defer t.Stop()
	for {
		rs.CheckOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// replicaSQL is what the checker asks a replica: in recovery, and the
// WAL position it has replayed.
const replicaSQL = "select pg_catalog.pg_is_in_recovery()::text || ' ' || coalesce(pg_catalog.pg_last_wal_replay_lsn()::text, '')"

// primarySQL is the primary's flushed WAL position: what the replicas can
// have received. (Not the insert position, which may stop just past a
// page header that no replica ever reports replaying.)
const primarySQL = "select pg_catalog.pg_current_wal_flush_lsn()::text"

// CheckOnce samples the primary's WAL position, then each replica.
//
// A replica's lag is the age of its data: the time since the primary was
// at a position the replica has replayed, from the primary's recent
// samples. It stays right when the primary is idle (unlike now() -
// pg_last_xact_replay_timestamp(), which grows without writes), and its
// resolution is the check interval.
func (rs *Replicas) CheckOnce(ctx context.Context) {
	timeout := max(2*rs.interval, 2*time.Second)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var primary uint64
	havePrimary := false
	if b, err := rs.check.QueryBytes(cctx, primarySQL); err == nil {
		primary, havePrimary = ParseLSN(b)
	}
	now := time.Now()
	if havePrimary {
		if len(rs.history) == historyLen {
			rs.history = append(rs.history[:0], rs.history[1:]...)
		}
		rs.history = append(rs.history, lsnSample{at: now, lsn: primary})
	}
	maxLag := time.Duration(rs.maxLag.Load())
	for _, r := range rs.list {
		b, err := r.check.QueryBytes(cctx, replicaSQL)
		if err != nil {
			rs.setState(r, ReplicaDown)
			continue
		}
		rec, pos, _ := strings.Cut(string(b), " ")
		replay, ok := ParseLSN([]byte(pos))
		if rec != "true" || !ok {
			rs.setState(r, ReplicaPromoted)
			continue
		}
		r.replay.Store(replay)
		if !havePrimary {
			// Without the primary, its data cannot get older than the
			// primary's: keep the last verdict on lag.
			if ReplicaState(r.state.Load()) != ReplicaLagging {
				rs.setState(r, ReplicaUp)
			}
			continue
		}
		r.lagBytes.Store(int64(max(primary, replay) - replay))
		for i := len(rs.history) - 1; i >= 0; i-- {
			if rs.history[i].lsn <= replay {
				if rs.history[i].at.After(r.caughtUp) {
					r.caughtUp = rs.history[i].at
				}
				break
			}
		}
		if r.caughtUp.IsZero() {
			r.caughtUp = rs.history[0].at // behind every sample we have
		}
		lag := now.Sub(r.caughtUp)
		r.lag.Store(int64(lag))
		if maxLag > 0 && lag > maxLag {
			rs.setState(r, ReplicaLagging)
		} else {
			rs.setState(r, ReplicaUp)
		}
	}
}

// ParseLSN reads a pg_lsn's text ("16/B374D848"); ok is false for
// anything else.
func ParseLSN(b []byte) (lsn uint64, ok bool) {
	i := 0
	var hi, lo uint64
	digits := 0
	for ; i < len(b) && b[i] != '/'; i++ {
		d, ok := hexDigit(b[i])
		if !ok || digits == 8 {
			return 0, false
		}
		hi, digits = hi<<4|d, digits+1
	}
	if i == len(b) || digits == 0 {
		return 0, false
	}
	digits = 0
	for i++; i < len(b); i++ {
		d, ok := hexDigit(b[i])
		if !ok || digits == 8 {
			return 0, false
		}
		lo, digits = lo<<4|d, digits+1
	}
	if digits == 0 {
		return 0, false
	}
	return hi<<32 | lo, true
}

func hexDigit(c byte) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// recordEnd turns a WAL insert position into one a replica reports having
// replayed (pg_last_wal_replay_lsn() is where the last record ended). Just
// past a page header (24 bytes, 40 at a segment's start) it is the page's
// start: the previous record ended there, and no record ends inside a
// header. Without this an idle primary's replicas would never reach it.
// (8192 is PostgreSQL's WAL page size; on a build with another one the
// result is merely sometimes too high, which sends a read to the primary.)
func recordEnd(lsn uint64) uint64 {
	if r := lsn % 8192; r == 24 || r == 40 {
		return lsn - r
	}
	return lsn
}

// appendLSN appends lsn as PostgreSQL writes a pg_lsn ("16/B374D848").
func appendLSN(b []byte, lsn uint64) []byte {
	b = appendHexUpper(b, lsn>>32)
	b = append(b, '/')
	return appendHexUpper(b, lsn&0xffffffff)
}

func appendHexUpper(b []byte, v uint64) []byte {
	const digits = "0123456789ABCDEF"
	var buf [16]byte
	i := len(buf)
	for {
		i--
		buf[i] = digits[v&0xf]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return append(b, buf[i:]...)
}
