package wire

import (
	"context"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/jackc/pgx/v5/pgconn"
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
	// SettingNames and SettingValues are the transaction-local settings
	// (role, request.jwt.claims, search_path, ...), applied in order.
	SettingNames  []string
	SettingValues []string
	// PreRequest is a statement run after the settings, before SQL
	// (db-pre-request); empty for none.
	PreRequest string
	// SQL is the main statement; it returns exactly one row whose columns
	// are the fields of Result, in order, all as text. Args are its
	// parameters: strings (sent as text of unknown type, so PostgreSQL
	// infers each type from its context) or nil for NULL.
	SQL  string
	Args []any

	// scratch, reused when the Request is
	params [][]byte
	arrays []byte
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
}

// connState is what pgrst keeps on each connection: the statements it has
// prepared there, by SQL text.
type connState struct {
	stmts map[string]string
	next  int
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
}

// Run executes r in one network round trip and calls fn with the result
// row before the connection goes back to the pool.
//
// A statement is prepared in the same pipeline, right before its first
// execution on a connection, so PostgreSQL parses it after the settings
// have switched to the request's role (the authenticator itself may not
// see the schema). Later requests send only Bind and Execute.
func (p *Pool) Run(ctx context.Context, r *Request, fn func(*Result) error) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	pc := c.Conn().PgConn()
	st := stateOf(pc)

	r.arrays = appendTextArray(r.arrays[:0], r.SettingNames)
	namesEnd := len(r.arrays)
	r.arrays = appendTextArray(r.arrays, r.SettingValues)
	settingsParams := [2][]byte{r.arrays[:namesEnd], r.arrays[namesEnd:]}

	r.params = r.params[:0]
	for _, a := range r.Args {
		switch v := a.(type) {
		case nil:
			r.params = append(r.params, nil)
		case string:
			r.params = append(r.params, unsafe.Slice(unsafe.StringData(v), len(v)))
		case []byte:
			r.params = append(r.params, v)
		default:
			return fmt.Errorf("wire: unsupported argument type %T", a)
		}
	}

	if len(st.stmts) >= maxStatements {
		// Rare: forget them all rather than track use.
		if err := pc.Exec(ctx, "deallocate all").Close(); err != nil {
			return classify(err)
		}
		clear(st.stmts)
	}

	var steps [3]step
	n := 0
	pl := pc.StartPipeline(ctx)
	send := func(sql string, params [][]byte) {
		s := step{sql: sql}
		s.name, s.prepare = st.stmts[sql], false
		if s.name == "" {
			st.next++
			s.name, s.prepare = "pgrst_"+strconv.Itoa(st.next), true
			pl.SendPrepare(s.name, sql, nil)
		}
		pl.SendQueryPrepared(s.name, params, nil, nil)
		steps[n] = s
		n++
	}
	send(settingsSQL, settingsParams[:])
	if r.PreRequest != "" {
		send(r.PreRequest, nil)
	}
	send(r.SQL, r.params)
	if err := pl.Sync(); err != nil {
		pl.Close()
		return classify(err)
	}

	for i := 0; i < n; i++ {
		s := steps[i]
		if s.prepare {
			if _, err := pl.GetResults(); err != nil {
				pl.Close()
				return classify(err)
			}
			st.stmts[s.sql] = s.name
		}
		res, err := pl.GetResults()
		if err != nil {
			pl.Close()
			return classify(err)
		}
		rr, ok := res.(*pgconn.ResultReader)
		if !ok {
			pl.Close()
			return &ConnError{Err: fmt.Errorf("wire: unexpected pipeline result %T", res)}
		}
		if i < n-1 {
			if _, err := rr.Close(); err != nil {
				pl.Close()
				return classify(err)
			}
			continue
		}
		var ferr error
		if rr.NextRow() {
			ferr = fn(resultOf(rr.Values()))
		}
		if _, err := rr.Close(); err != nil {
			pl.Close()
			return classify(err)
		}
		if ferr != nil {
			pl.Close()
			return ferr
		}
	}
	if _, err := pl.GetResults(); err != nil { // the Sync
		pl.Close()
		return classify(err)
	}
	return classify(pl.Close())
}

func resultOf(v [][]byte) *Result {
	var res Result
	fields := [...]*[]byte{&res.TotalResultSet, &res.PageTotal, &res.Body, &res.ResponseHeaders, &res.ResponseStatus}
	for i := 0; i < len(v) && i < len(fields); i++ {
		*fields[i] = v[i]
	}
	return &res
}

// appendTextArray appends list as a PostgreSQL text[] literal, every
// element double-quoted.
func appendTextArray(dst []byte, list []string) []byte {
	dst = append(dst, '{')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		for j := 0; j < len(s); j++ {
			if s[j] == '"' || s[j] == '\\' {
				dst = append(dst, '\\')
			}
			dst = append(dst, s[j])
		}
		dst = append(dst, '"')
	}
	return append(dst, '}')
}
