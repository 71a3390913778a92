package wire

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgrst/pgrst/sqltext"
)

// settingsSQL returns the statement that sets n transaction-local
// settings, names and values as parameters $1, $2, $3, ...:
//
//	select set_config($1, $2, true), set_config($3, $4, true), ...
//
// Its text depends only on n, so a connection prepares one per count of
// settings (a handful: they differ by the role's own settings, the
// headers under db-use-legacy-gucs). PostgreSQL runs it for about 15%
// less than one statement over unnest of two text[] (measured with
// callgrind on scenario 1's settings: no array to parse, no set-returning
// function), and the parameters travel without array escaping.
// Beyond maxArity settings the unnest form serves, a statement of its own.
func settingsSQL(n int) string {
	if n > maxArity {
		return settingsUnnestSQL
	}
	if p := settingsStmts[n].Load(); p != nil {
		return *p
	}
	b := []byte("select ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, "set_config($"...)
		b = strconv.AppendInt(b, int64(2*i+1), 10)
		b = append(b, ", $"...)
		b = strconv.AppendInt(b, int64(2*i+2), 10)
		b = append(b, ", true)"...)
	}
	sql := string(b)
	settingsStmts[n].Store(&sql) // two goroutines may build it: same text
	return sql
}

const (
	maxArity          = 100
	settingsUnnestSQL = "select set_config(k, v, true) from unnest($1::text[], $2::text[]) as t(k, v)"
)

// settingsStmts are the texts of settingsSQL, built on first use.
var settingsStmts [maxArity + 1]atomic.Pointer[string]

// maxStatements bounds the prepared statements kept on one connection.
const maxStatements = 512

// Request is the database work of one HTTP request. Its statements are sent
// as one pipeline ending in a single Sync, which PostgreSQL runs as one
// implicit transaction: the first error rolls back everything before it.
type Request struct {
	// Tx is the transaction's mode.
	Tx Tx
	// The transaction-local settings (role, request.jwt.claims,
	// search_path, ...), applied in order: added with Set and SetBytes,
	// cleared with ResetSettings. Names and values are kept back to back
	// in kv, ends[2i] ending the i-th name and ends[2i+1] its value, so
	// that adding one allocates nothing once the buffers have grown.
	kv   []byte
	ends []int
	// PreRequest is a statement run after the settings, before SQL
	// (db-pre-request); empty for none.
	PreRequest string
	// SQL is the main statement; it returns exactly one row whose columns
	// are the fields of Result, in order, all as text. Params are its
	// parameters in text format, sent with an unspecified type so that
	// PostgreSQL infers each type from its context: a nil slice is NULL,
	// an empty non-nil one the empty string. Run only reads them, and
	// not after it returns; the caller keeps the slice to reuse it.
	SQL    string
	Params [][]byte
	// Plan says SQL is an EXPLAIN: Result.Body is then the first column
	// of each of its rows, each ended by a newline (FORMAT TEXT has a
	// row per line), and the other fields are nil.
	Plan bool
	// Check, when set, is a statement run right after SQL, unnamed and
	// without parameters, that raises an error to roll the transaction
	// back (a write whose result breaks a condition the client set: the
	// caller sees that in the result and answers its own error).
	Check string
	// Explain, when set, is a statement (an EXPLAIN) run in the same
	// pipeline before SQL, with ExplainParams; the first column of its
	// first row is Result.Explain.
	Explain       string
	ExplainParams [][]byte
	// AfterLSN, when set, is a WAL position (pg_lsn text, "16/B374D848")
	// the server must have replayed: Run fails with ErrNotReplayed, its
	// callback never called, on a replica that has not (read-your-writes).
	AfterLSN []byte
	// WantLSN asks for the primary's WAL insert position after the
	// transaction's end, read in the same round trip: CommitLSN.
	WantLSN bool

	// scratch, reused when the Request is
	lsn      []byte
	explain  []byte
	arrays   []byte
	settings [][]byte
	result   Result
}

// guardSQL fails (division by zero) on a server that has not replayed
// the WAL up to $1: a conditional error in plain SQL, so the statements
// after it never reach a result. It runs in a transaction of its own (a
// Sync follows it), so a repeatable-read transaction after it takes its
// snapshot only once the position is known to be replayed. On a server
// that is not a replica pg_last_wal_replay_lsn() is null: no error.
const guardSQL = "select 1 / (pg_catalog.pg_last_wal_replay_lsn() >= $1::pg_lsn)::int"

// lsnSQL is the WAL position a transaction's commit record ends before:
// the insert position (not the write or flush position, which lag
// behind it under synchronous_commit = off), read after the transaction
// ended, so at or past its commit.
const lsnSQL = "select pg_catalog.pg_current_wal_insert_lsn()::text"

// ErrNotReplayed means the replica has not replayed Request.AfterLSN yet;
// nothing of the request ran for the client.
var ErrNotReplayed = errors.New("wire: the replica has not replayed the requested WAL position")

// CommitLSN is the WAL position after the transaction of the last Run with
// WantLSN (pg_lsn text), empty when it was not asked for or the request
// failed. Valid until the Request is run again.
func (r *Request) CommitLSN() []byte { return r.lsn }

// Tx is the mode of a request's transaction. The zero value is a
// read-write transaction at the database's default isolation that commits.
type Tx struct {
	ReadOnly  bool
	Isolation Isolation
	// Rollback ends the transaction with ROLLBACK instead of COMMIT: the
	// client still gets the statement's result (Prefer: tx=rollback,
	// db-tx-end).
	Rollback bool
}

// Isolation is a transaction isolation level.
type Isolation uint8

const (
	IsolationDefault Isolation = iota // default_transaction_isolation
	ReadCommitted
	RepeatableRead
	Serializable
)

var isolationSQL = [...]string{"", " ISOLATION LEVEL READ COMMITTED", " ISOLATION LEVEL REPEATABLE READ", " ISOLATION LEVEL SERIALIZABLE"}

// explicit reports whether the transaction needs BEGIN and an explicit
// end: a read-only transaction at the default isolation that commits is
// the pipeline's implicit transaction, made read-only by a setting.
func (t Tx) explicit() bool { return t.Isolation != IsolationDefault || t.Rollback }

// begin is the BEGIN statement of an explicit transaction.
func (t Tx) begin() string {
	s := "BEGIN" + isolationSQL[t.Isolation]
	if t.ReadOnly {
		s += " READ ONLY"
	}
	return s
}

// ResetSettings removes every setting.
func (r *Request) ResetSettings() {
	r.kv, r.ends = r.kv[:0], r.ends[:0]
}

// Set adds the setting name = value. A NUL in either is sent as it is, so
// PostgreSQL refuses the statement (invalid byte sequence 0x00) rather
// than a setting silently losing bytes.
func (r *Request) Set(name, value string) {
	r.kv = append(r.kv, name...)
	r.ends = append(r.ends, len(r.kv))
	r.kv = append(r.kv, value...)
	r.ends = append(r.ends, len(r.kv))
}

// SetBytes is Set with byte slices; it copies them.
func (r *Request) SetBytes(name, value []byte) {
	r.Set(unsafe.String(unsafe.SliceData(name), len(name)), unsafe.String(unsafe.SliceData(value), len(value)))
}

// Settings returns the settings in order (for tests and debugging).
func (r *Request) Settings() (names, values []string) {
	for i, start := 0, 0; i < len(r.ends); i++ {
		v := string(r.kv[start:r.ends[i]])
		if i%2 == 0 {
			names = append(names, v)
		} else {
			values = append(values, v)
		}
		start = r.ends[i]
	}
	return names, values
}

// settingsParams returns the settings statement's text and parameters,
// with transaction_read_only = on first in a read-only implicit
// transaction; "" when there is nothing to set. The parameters alias r's
// buffers.
func (r *Request) settingsParams() (string, [][]byte) {
	// A read-only implicit transaction is made so by its first setting.
	readOnly := r.Tx.ReadOnly && !r.Tx.explicit()
	p := r.settings[:0]
	if readOnly {
		p = append(p, readOnlyName, readOnlyOn)
	}
	for i, start := 0, 0; i < len(r.ends); i++ {
		p = append(p, r.kv[start:r.ends[i]:r.ends[i]])
		start = r.ends[i]
	}
	r.settings = p
	switch n := len(p) / 2; {
	case n == 0:
		return "", nil // no settings statement
	case n <= maxArity:
		return settingsSQL(n), p
	}
	// The unnest form's two text[] literals.
	list := func(first int) {
		r.arrays = append(r.arrays, '{')
		for i := first; i < len(p); i += 2 {
			if i > first {
				r.arrays = append(r.arrays, ',')
			}
			r.arrays = sqltext.AppendArrayElemKeepNUL(r.arrays, unsafe.String(unsafe.SliceData(p[i]), len(p[i])))
		}
		r.arrays = append(r.arrays, '}')
	}
	r.arrays = r.arrays[:0]
	list(0)
	namesEnd := len(r.arrays)
	list(1)
	r.settings = append(p[:0], r.arrays[:namesEnd], r.arrays[namesEnd:])
	return settingsUnnestSQL, r.settings
}

var readOnlyName, readOnlyOn = []byte("transaction_read_only"), []byte("on")

// Result is the main statement's row. The byte slices alias the
// connection's read buffer: they are valid only inside the callback of Run.
// A nil slice is an SQL NULL.
type Result struct {
	TotalResultSet  []byte
	PageTotal       []byte
	Body            []byte
	ResponseHeaders []byte
	ResponseStatus  []byte
	// Location and Inserted are a write's Location pairs and the number
	// of rows an upsert inserted (NULL for reads).
	Location []byte
	Inserted []byte
	// Next is a keyset read's next-page cursor (NULL on the last page);
	// a write's eighth column (the rows it affected) for other statements.
	Next []byte
	// Explain is the output of Request.Explain, nil without one.
	Explain []byte
}

// connState is what pgrst keeps on each connection: the statements it has
// prepared there, by SQL text, and the pool's statement generation they
// belong to.
type connState struct {
	stmts map[string]string
	next  int
	gen   uint64
}

func stateOf(pc *pgconn.PgConn) *connState {
	data := pc.CustomData()
	if st, ok := data["pgrst"].(*connState); ok {
		return st
	}
	st := &connState{stmts: make(map[string]string)}
	data["pgrst"] = st
	return st
}

// step is one statement of the pipeline.
type step struct {
	sql     string
	name    string
	prepare bool // sent with its Parse: its first use on this connection
	unnamed bool // sent with an unnamed Parse (BEGIN, COMMIT, ROLLBACK)
}

// Run executes r in one network round trip and calls fn with the result
// row before the connection goes back to the pool.
//
// A statement is prepared in the same pipeline, right before its first
// execution on a connection, so PostgreSQL parses it after the settings
// have switched to the request's role (the authenticator itself may not
// see the schema). Later requests send only Bind and Execute.
//
// A statement prepared earlier can be made invalid by DDL: PostgreSQL
// re-plans it, but with the parameter types and result type it had, which
// fails ("cached plan must not change result type", or an operator that
// no longer fits a changed column type). When such an error comes from a
// statement this pipeline did not prepare itself, and before fn saw a
// row, the transaction has rolled back: Run forgets the connection's
// statements and runs the request once more, freshly prepared, so the
// client never sees the stale statement.
func (p *Pool) Run(ctx context.Context, r *Request, fn func(*Result) error) error {
	p.running.Add(1)
	defer p.running.Add(-1)
	return p.runRequest(ctx, r, fn)
}

// Full reports whether every connection is taken by a Run: a Run now would
// wait for one.
func (p *Pool) Full() bool { return p.running.Load() >= p.maxConns }

// TryRun is Run when a connection is free; when every one is taken by a
// Run it returns ErrPoolFull at once, without waiting. (Only Run and
// TryRun count: the pool's other users must not share it.)
func (p *Pool) TryRun(ctx context.Context, r *Request, fn func(*Result) error) error {
	for {
		n := p.running.Load()
		if n >= p.maxConns {
			return ErrPoolFull
		}
		if p.running.CompareAndSwap(n, n+1) {
			break
		}
	}
	defer p.running.Add(-1)
	return p.runRequest(ctx, r, fn)
}

func (p *Pool) runRequest(ctx context.Context, r *Request, fn func(*Result) error) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	if p.timeout > 0 && ctx.Done() == nil {
		// The request path: a pooled timer context, no allocation.
		t := getTimeoutCtx(p.timeout)
		defer t.release()
		ctx = t
	} else if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	st := stateOf(c.Conn().PgConn())

	settingsStmt, settingsParams := r.settingsParams()

	for attempt := 0; ; attempt++ {
		// Rare: forget them all, rather than track use, when there are
		// too many or after a schema reload.
		if gen := p.gen.Load(); len(st.stmts) >= maxStatements || st.gen != gen {
			if len(st.stmts) > 0 {
				if err := forgetStatements(ctx, c.Conn(), st); err != nil {
					return p.failed(classify(err))
				}
			}
			st.gen = gen
		}
		stale, err := run(ctx, c.Conn().PgConn(), st, r, settingsStmt, settingsParams, !p.unprepared, fn)
		if stale && attempt == 0 {
			st.gen = ^p.gen.Load() // forget before the retry
			continue
		}
		if err != nil && p.timeout > 0 && ctx.Err() != nil {
			abandon(c.Conn().PgConn())
		}
		return p.failed(err)
	}
}

// abandon closes the socket of a connection that did not answer within
// db-timeout. pgx closes such a connection in the background, reading
// what the server still sends until it hangs up, for up to 15 s, and
// the pool counts it until then: a hung connection would hold its slot,
// and a stalled network exhaust the pool, that long.
func abandon(pc *pgconn.PgConn) {
	pc.Conn().Close()
}

// forgetStatements deallocates every statement prepared on the connection
// (pgrst's and pgx's own, whose cache it also clears).
func forgetStatements(ctx context.Context, conn *pgx.Conn, st *connState) error {
	clear(st.stmts)
	return conn.DeallocateAll(ctx)
}

// run sends the request's pipeline once. stale reports an error that a
// fresh preparation of the same statements may not have: the caller may
// retry. Without prepare every statement is sent unnamed.
func run(ctx context.Context, pc *pgconn.PgConn, st *connState, r *Request, settingsStmt string, settingsParams [][]byte, prepare bool, fn func(*Result) error) (stale bool, err error) {
	q, err := sendPipeline(ctx, pc, st, r, settingsStmt, settingsParams, prepare)
	if err != nil {
		return false, err
	}
	pl := q.pl
	r.lsn = r.lsn[:0]
	if len(r.AfterLSN) > 0 {
		if err := readGuard(pl); err != nil {
			pl.Close()
			return false, err
		}
	}
	called := false
	// fail closes the pipeline (reading up to the Sync) after an error of
	// step s.
	fail := func(s *step, err error) (bool, error) {
		pl.Close()
		err = classify(err)
		return s != nil && !s.prepare && !called && isStaleStatement(err), err
	}
	for i := 0; i < q.n; i++ {
		s := &q.steps[i]
		rr, err := q.result(s)
		if err != nil {
			return fail(s, err)
		}
		if i != q.main {
			if i == q.explain {
				r.explain = r.explain[:0]
				if rr.NextRow() && len(rr.Values()) > 0 {
					r.explain = append(r.explain, rr.Values()[0]...)
				}
			}
			if _, err := rr.Close(); err != nil {
				return fail(s, err)
			}
			continue
		}
		var ferr error
		if r.Plan {
			r.explain = r.explain[:0]
			for rr.NextRow() {
				if v := rr.Values(); len(v) > 0 {
					r.explain = append(append(r.explain, v[0]...), '\n')
				}
			}
			called = true
			r.result = Result{Body: r.explain}
			ferr = fn(&r.result)
		} else if rr.NextRow() {
			called = true
			res := r.resultOf(rr.Values())
			if q.explain >= 0 {
				res.Explain = r.explain
			}
			ferr = fn(res)
		}
		if _, err := rr.Close(); err != nil {
			return fail(s, err)
		}
		if ferr != nil {
			pl.Close()
			return false, ferr
		}
	}
	if _, err := pl.GetResults(); err != nil { // the Sync
		pl.Close()
		return false, classify(err)
	}
	if r.WantLSN {
		if err := r.readLSN(pl); err != nil {
			pl.Close()
			return false, err
		}
	}
	return false, classify(pl.Close())
}

// readGuard reads guardSQL's result and its Sync.
func readGuard(pl *pgconn.Pipeline) error {
	res, err := pl.GetResults()
	if err == nil {
		if rr, ok := res.(*pgconn.ResultReader); ok {
			_, err = rr.Close()
		}
	}
	if err != nil {
		var de *DBError
		if err = classify(err); errors.As(err, &de) && de.Code == "22012" {
			return ErrNotReplayed
		}
		return err
	}
	_, err = pl.GetResults() // the Sync
	return classify(err)
}

// readLSN reads lsnSQL's result into r.lsn.
func (r *Request) readLSN(pl *pgconn.Pipeline) error {
	res, err := pl.GetResults()
	if err != nil {
		return classify(err)
	}
	if rr, ok := res.(*pgconn.ResultReader); ok {
		if rr.NextRow() && len(rr.Values()) > 0 {
			if lsn, ok := ParseLSN(rr.Values()[0]); ok {
				r.lsn = appendLSN(r.lsn[:0], recordEnd(lsn))
			}
		}
		if _, err := rr.Close(); err != nil {
			r.lsn = r.lsn[:0]
			return classify(err)
		}
	}
	return nil
}

// sentPipeline is a request's pipeline once sent: its steps in order,
// which of them is the main statement and which the EXPLAIN (-1: none).
type sentPipeline struct {
	pl            *pgconn.Pipeline
	st            *connState
	steps         [8]step
	n             int
	main, explain int
}

// sendPipeline sends r's statements and the Sync. On an error the
// pipeline is closed.
func sendPipeline(ctx context.Context, pc *pgconn.PgConn, st *connState, r *Request, settingsStmt string, settingsParams [][]byte, prepare bool) (q sentPipeline, err error) {
	q.st, q.explain = st, -1
	pl := pc.StartPipeline(ctx)
	q.pl = pl
	if len(r.AfterLSN) > 0 {
		pl.SendQueryParams(guardSQL, [][]byte{r.AfterLSN}, nil, nil, nil)
		pl.SendPipelineSync()
	}
	// BEGIN and the end of an explicit transaction are unnamed statements:
	// their text is fixed, but preparing them gains nothing.
	sendUnnamed := func(sql string, params [][]byte) {
		pl.SendQueryParams(sql, params, nil, nil, nil)
		q.steps[q.n] = step{sql: sql, unnamed: true}
		q.n++
	}
	if r.Tx.explicit() {
		sendUnnamed(r.Tx.begin(), nil)
	}
	send := func(sql string, params [][]byte) {
		if !prepare {
			sendUnnamed(sql, params)
			return
		}
		s := step{sql: sql}
		s.name, s.prepare = st.stmts[sql], false
		if s.name == "" {
			st.next++
			s.name, s.prepare = "pgrst_"+strconv.Itoa(st.next), true
			pl.SendPrepare(s.name, sql, nil)
		}
		pl.SendQueryPrepared(s.name, params, nil, nil)
		q.steps[q.n] = s
		q.n++
	}
	if settingsStmt != "" {
		send(settingsStmt, settingsParams)
	}
	if r.PreRequest != "" {
		send(r.PreRequest, nil)
	}
	if r.Explain != "" {
		q.explain = q.n
		send(r.Explain, r.ExplainParams)
	}
	send(r.SQL, r.Params)
	q.main = q.n - 1
	if r.Check != "" {
		sendUnnamed(r.Check, nil)
	}
	if r.Tx.explicit() {
		if r.Tx.Rollback {
			// Deferred constraints are checked as at a COMMIT, so a
			// rolled back write fails as the committed one would.
			sendUnnamed("SET CONSTRAINTS ALL IMMEDIATE", nil)
			sendUnnamed("ROLLBACK", nil)
		} else {
			sendUnnamed("COMMIT", nil)
		}
	}
	if r.WantLSN {
		// After a Sync, which ends an implicit transaction.
		pl.SendPipelineSync()
		pl.SendQueryParams(lsnSQL, nil, nil, nil, nil)
	}
	if err := pl.Sync(); err != nil {
		pl.Close()
		return q, classify(err)
	}
	return q, nil
}

// result reads the result of step s, after its Prepare's when it has one
// (the statement is then known to the connection). The error is
// pgconn's, unclassified.
func (q *sentPipeline) result(s *step) (*pgconn.ResultReader, error) {
	if s.prepare {
		if _, err := q.pl.GetResults(); err != nil {
			return nil, err
		}
		q.st.stmts[s.sql] = s.name
	}
	res, err := q.pl.GetResults()
	if err != nil {
		return nil, err
	}
	rr, ok := res.(*pgconn.ResultReader)
	if !ok {
		return nil, &ConnError{Err: fmt.Errorf("wire: unexpected pipeline result %T", res)}
	}
	return rr, nil
}

// isStaleStatement reports an error that DDL can cause in a statement
// prepared before it: "cached plan must not change result type" (0A000),
// a prepared statement that is gone (26000), or an error of analysis
// (class 42: an operator or column that no longer fits), except
// insufficient_privilege, which is checked at every execution anyway.
func isStaleStatement(err error) bool {
	var de *DBError
	if !errors.As(err, &de) {
		return false
	}
	switch {
	case de.Code == "0A000", de.Code == "26000":
		return true
	case de.Code == "42501":
		return false
	}
	return strings.HasPrefix(de.Code, "42")
}

// resultOf fills the Request's Result (no allocation) with the row v.
func (r *Request) resultOf(v [][]byte) *Result {
	res := &r.result
	*res = Result{}
	fields := [...]*[]byte{&res.TotalResultSet, &res.PageTotal, &res.Body, &res.ResponseHeaders, &res.ResponseStatus,
		&res.Location, &res.Inserted, &res.Next}
	for i := 0; i < len(v) && i < len(fields); i++ {
		*fields[i] = v[i]
	}
	return res
}
