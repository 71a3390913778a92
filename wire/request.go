package wire

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgrst/pgrst/sqltext"
)

// settingsSQL sets every transaction-local setting of a request in one
// statement whose text never changes, so it is prepared once per
// connection whatever the number of settings.
const settingsSQL = "select set_config(k, v, true) from unnest($1::text[], $2::text[]) as t(k, v)"

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
	// cleared with ResetSettings. They are kept as the bodies of the two
	// text[] literals the settings statement takes, so that adding one
	// allocates nothing once the buffers have grown.
	names, values []byte
	nSettings     int
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

	// scratch, reused when the Request is
	explain []byte
	arrays  []byte
	params  [2][]byte
	result  Result
}

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
	r.names, r.values, r.nSettings = r.names[:0], r.values[:0], 0
}

// Set adds the setting name = value. A NUL in either is sent as it is
// (sqltext.AppendArrayElemKeepNUL), so PostgreSQL refuses the statement
// rather than a setting silently losing bytes.
func (r *Request) Set(name, value string) {
	r.sep()
	r.names = sqltext.AppendArrayElemKeepNUL(r.names, name)
	r.values = sqltext.AppendArrayElemKeepNUL(r.values, value)
}

// SetBytes is Set with byte slices; it copies them.
func (r *Request) SetBytes(name, value []byte) {
	r.sep()
	r.names = sqltext.AppendArrayElemKeepNUL(r.names, unsafe.String(unsafe.SliceData(name), len(name)))
	r.values = sqltext.AppendArrayElemKeepNUL(r.values, unsafe.String(unsafe.SliceData(value), len(value)))
}

func (r *Request) sep() {
	if r.nSettings > 0 {
		r.names = append(r.names, ',')
		r.values = append(r.values, ',')
	}
	r.nSettings++
}

// Settings returns the settings in order (for tests and debugging).
func (r *Request) Settings() (names, values []string) {
	return splitTextArray(r.names), splitTextArray(r.values)
}

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

	settingsParams := r.settingsParams()

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
		stale, err := run(ctx, c.Conn().PgConn(), st, r, settingsParams, !p.unprepared, fn)
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

// settingsParams are the two text[] parameters of the settings statement,
// in r's scratch space.
func (r *Request) settingsParams() [][]byte {
	// A read-only implicit transaction is made so by its first setting.
	readOnly := r.Tx.ReadOnly && !r.Tx.explicit()
	r.arrays = append(r.arrays[:0], '{')
	if readOnly {
		r.arrays = append(r.arrays, `"transaction_read_only"`...)
		if r.nSettings > 0 {
			r.arrays = append(r.arrays, ',')
		}
	}
	r.arrays = append(append(r.arrays, r.names...), '}')
	namesEnd := len(r.arrays)
	r.arrays = append(r.arrays, '{')
	if readOnly {
		r.arrays = append(r.arrays, `"on"`...)
		if r.nSettings > 0 {
			r.arrays = append(r.arrays, ',')
		}
	}
	r.arrays = append(append(r.arrays, r.values...), '}')
	r.params = [2][]byte{r.arrays[:namesEnd], r.arrays[namesEnd:]}
	return r.params[:]
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
func run(ctx context.Context, pc *pgconn.PgConn, st *connState, r *Request, settingsParams [][]byte, prepare bool, fn func(*Result) error) (stale bool, err error) {
	q, err := sendPipeline(ctx, pc, st, r, settingsParams, prepare)
	if err != nil {
		return false, err
	}
	pl := q.pl
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
	return false, classify(pl.Close())
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
func sendPipeline(ctx context.Context, pc *pgconn.PgConn, st *connState, r *Request, settingsParams [][]byte, prepare bool) (q sentPipeline, err error) {
	q.st, q.explain = st, -1
	pl := pc.StartPipeline(ctx)
	q.pl = pl
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
	send(settingsSQL, settingsParams)
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

// splitTextArray undoes a sequence of sqltext.AppendArrayElemKeepNUL separated by commas.
func splitTextArray(b []byte) []string {
	var out []string
	var cur []byte
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			if in {
				out = append(out, string(cur))
				cur = cur[:0]
			}
			in = !in
		case c == '\\' && in:
			i++
			cur = append(cur, b[i])
		case in:
			cur = append(cur, c)
		}
	}
	return out
}
