package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options configures the pool.
type Options struct {
	URI            string
	PoolSize       int
	AcquireTimeout time.Duration
	// Dial, when set, replaces the network dialer (tests wrap the
	// connection to count round trips).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// OnConnect, when set, is called (on the connecting goroutine, so it
	// must not block) after each new connection is established: the
	// control plane uses it to learn early that the database is back.
	OnConnect func()
	// MaxLifetime and MaxIdleTime end connections older, or idle longer,
	// than this (db-pool-max-lifetime, db-pool-max-idletime); 0 keeps
	// pgxpool's defaults.
	MaxLifetime time.Duration
	MaxIdleTime time.Duration
	// NoPreparedStatements sends every statement unnamed, parsed anew
	// each time (db-prepared-statements = false): for a pooler in
	// transaction mode such as PgBouncer's, where a connection's named
	// statements may be another client's.
	NoPreparedStatements bool
	// Timeout bounds the wait for the database's answers on a
	// connection (db-timeout): a request, or a query of the schema
	// cache, that gets none in time fails with a *ConnError and its
	// connection is closed, so a stalled network or a hung server cannot
	// hold requests for ever. 0 waits for ever.
	Timeout time.Duration
}

// Pool is the connection pool requests run on.
type Pool struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration
	unprepared     bool // Options.NoPreparedStatements
	timeout        time.Duration

	// Counters for metrics and readiness; updated with atomics only.
	waiting atomic.Int64 // requests waiting for a connection
	// running counts the Run calls holding or acquiring a connection, so
	// TryRun can tell a full pool without asking pgxpool (which locks).
	running  atomic.Int32
	maxConns int32
	timeouts atomic.Uint64 // acquisitions that timed out
	// down is set when reaching the database failed, cleared when a
	// connection is made or a statement succeeds.
	down atomic.Bool
	// gen is the prepared-statement generation: a connection whose
	// statements are of an older one forgets them before its next request
	// (ForgetStatements, after a schema reload).
	gen atomic.Uint64
}

// Open creates the pool without connecting: the database may be down at
// start-up, and connections are made on demand.
func Open(o Options) (*Pool, error) {
	cfg, err := pgxpool.ParseConfig(o.URI)
	if err != nil {
		return nil, fmt.Errorf("db-uri: %w", err)
	}
	if o.PoolSize > 0 {
		cfg.MaxConns = int32(o.PoolSize)
	}
	cfg.MinConns = 0
	// A prepared statement per SQL text and connection: a repeated request
	// shape sends only Bind/Execute.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	cfg.ConnConfig.StatementCacheCapacity = 1024
	if o.NoPreparedStatements {
		// pgx's own queries (the schema cache's) go unnamed too.
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeDescribeExec
		cfg.ConnConfig.StatementCacheCapacity = 0
		cfg.ConnConfig.DescriptionCacheCapacity = 0
	}
	if o.Dial != nil {
		cfg.ConnConfig.DialFunc = o.Dial
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	if o.MaxLifetime > 0 {
		cfg.MaxConnLifetime = o.MaxLifetime
	}
	if o.MaxIdleTime > 0 {
		cfg.MaxConnIdleTime = o.MaxIdleTime
	}
	t := o.AcquireTimeout
	if t <= 0 {
		t = 10 * time.Second
	}
	pool := &Pool{acquireTimeout: t, unprepared: o.NoPreparedStatements, timeout: o.Timeout, maxConns: cfg.MaxConns}
	cfg.AfterConnect = func(context.Context, *pgx.Conn) error {
		pool.down.Store(false)
		if o.OnConnect != nil {
			o.OnConnect()
		}
		return nil
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("db-uri: %w", err)
	}
	pool.pool = p
	return pool, nil
}

// Close closes every connection.
func (p *Pool) Close() { p.pool.Close() }

// Stats reports the pool's current and maximum size.
func (p *Pool) Stats() (total, idle, max int32) {
	s := p.pool.Stat()
	return s.TotalConns(), s.IdleConns(), s.MaxConns()
}

// PoolStats is a snapshot of the pool for metrics.
type PoolStats struct {
	Total, Idle, Max int32
	// Waiting is the number of requests waiting for a connection now.
	Waiting int64
	// Timeouts counts acquisitions that gave up after the acquisition
	// timeout, since the pool was opened.
	Timeouts uint64
}

// PoolStats returns the pool's counters.
func (p *Pool) PoolStats() PoolStats {
	s := p.pool.Stat()
	return PoolStats{Total: s.TotalConns(), Idle: s.IdleConns(), Max: s.MaxConns(),
		Waiting: p.waiting.Load(), Timeouts: p.timeouts.Load()}
}

// Reachable reports whether the database answered the last time the pool
// tried it: false after a failed connection attempt or a broken
// connection, until a connection is made again.
func (p *Pool) Reachable() bool { return !p.down.Load() }

// Ping checks that the database answers, on a pooled connection.
func (p *Pool) Ping(ctx context.Context) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	ctx, cancel := p.bounded(ctx)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		return p.failed(classify(err))
	}
	return nil
}

// ForgetStatements makes every connection forget (DEALLOCATE) the
// statements it prepared before its next request. Called after a schema
// reload: a statement prepared against the old catalog may no longer be
// valid, or may silently keep the old parameter types.
func (p *Pool) ForgetStatements() { p.gen.Add(1) }

// Reset closes every idle connection now and every busy one when it is
// released, so the next requests run on fresh connections.
func (p *Pool) Reset() { p.pool.Reset() }

// failed notes a connection-level error: the pool is reset, so that the
// other connections, probably broken by the same cause (a database
// restart), are not handed out one failed request at a time.
func (p *Pool) failed(err error) error {
	if err == nil {
		return nil // before errors.As, whose target would escape
	}
	var ce *ConnError
	if errors.As(err, &ce) {
		p.down.Store(true)
		p.pool.Reset()
	}
	return err
}

// acquire gets a connection within the acquisition timeout.
func (p *Pool) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	if ctx.Done() == nil {
		// The request path: no caller's cancellation to merge, so a
		// pooled timer context saves context.WithTimeout's allocations.
		t := getTimeoutCtx(p.acquireTimeout)
		p.waiting.Add(1)
		c, err := p.pool.Acquire(t)
		p.waiting.Add(-1)
		timedOut := t.Err() != nil
		t.release()
		if err == nil {
			return c, nil
		}
		return nil, p.acquireError(err, timedOut)
	}
	actx, cancel := context.WithTimeout(ctx, p.acquireTimeout)
	defer cancel()
	p.waiting.Add(1)
	c, err := p.pool.Acquire(actx)
	p.waiting.Add(-1)
	if err == nil {
		return c, nil
	}
	return nil, p.acquireError(err, actx.Err() != nil && ctx.Err() == nil)
}

func (p *Pool) acquireError(err error, timedOut bool) error {
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		p.down.Store(true)
		return &ConnError{Err: err}
	}
	if timedOut {
		p.timeouts.Add(1)
		return ErrAcquireTimeout
	}
	return &ConnError{Err: err}
}

// timeoutCtx is a context that expires after a timeout, like
// context.WithTimeout(context.Background(), d), but reusable: its timer is
// stopped and re-armed rather than allocated per acquisition. Once it has
// expired it is never reused, since goroutines that pgxpool started with
// it may still watch it.
type timeoutCtx struct {
	done     chan struct{}
	timer    *time.Timer
	deadline time.Time
	expired  atomic.Bool
}

var timeoutCtxs sync.Pool

func getTimeoutCtx(d time.Duration) *timeoutCtx {
	t, _ := timeoutCtxs.Get().(*timeoutCtx)
	if t == nil {
		t = &timeoutCtx{done: make(chan struct{})}
		t.timer = time.AfterFunc(time.Hour, t.expire)
		t.timer.Stop()
	}
	t.deadline = time.Now().Add(d)
	t.timer.Reset(d)
	return t
}

func (t *timeoutCtx) expire() {
	t.expired.Store(true)
	close(t.done)
}

// release stops the timer; the context goes back to the pool unless it
// expired (or is expiring right now).
func (t *timeoutCtx) release() {
	if t.timer.Stop() {
		timeoutCtxs.Put(t)
	}
}

func (t *timeoutCtx) Deadline() (time.Time, bool) { return t.deadline, true }
func (t *timeoutCtx) Done() <-chan struct{}       { return t.done }
func (t *timeoutCtx) Value(any) any               { return nil }
func (t *timeoutCtx) Err() error {
	if t.expired.Load() {
		return context.DeadlineExceeded
	}
	return nil
}

// bounded is ctx bounded by the pool's Timeout, for the calls off the
// request path.
func (p *Pool) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, p.timeout)
}

// QueryBytes runs sql and returns the raw bytes of the first column of its
// single row. It serves the schema cache loader, not the request path.
func (p *Pool) QueryBytes(ctx context.Context, sql string, args ...any) ([]byte, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	ctx, cancel := p.bounded(ctx)
	defer cancel()
	var b []byte
	// Simple-protocol-free exec mode: introspection queries run rarely, so
	// they are not worth a prepared statement on every connection.
	args = append([]any{pgx.QueryExecModeExec}, args...)
	if err := c.QueryRow(ctx, sql, args...).Scan(&b); err != nil {
		return nil, p.failed(classify(err))
	}
	return b, nil
}

// Exec runs a statement outside any request (setup, administration).
func (p *Pool) Exec(ctx context.Context, sql string, args ...any) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	ctx, cancel := p.bounded(ctx)
	defer cancel()
	_, err = c.Exec(ctx, sql, args...)
	return p.failed(classify(err))
}
