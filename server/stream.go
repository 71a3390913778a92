package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"
	"golang.org/x/sys/unix"

	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/wire"
)

// Streamed reads: application/x-ndjson, and application/json or text/csv
// with Prefer: stream. The statement returns the page one row per result
// row (planner.Request.Stream); the response is written with chunked
// transfer as the rows arrive, so neither the database nor the server
// holds the whole body, whatever its size.
//
// The status and headers are sent before the rows: an error before the
// first row is an ordinary error response, but one after it (a failing
// cast, a statement_timeout) can only end the stream: the connection is
// closed without the last chunk, so the client sees an incomplete body,
// never a complete-looking one. A client that goes away cancels the
// statement (watchClient notices it between writes). A streamed response has no Content-Range (its row count is
// known only at the end) and no ETag; response.headers and
// response.status are not read.

// streamRequested reports whether the request is read as a stream: a GET
// of a table, view or function in NDJSON, or in the JSON array or CSV
// with Prefer: stream.
func streamRequested(x *exchange, post bool) bool {
	pr := &x.pr
	if x.head || post || x.media.plan != nil || pr.Action != planner.ActionRead && pr.Action != planner.ActionCall {
		return false
	}
	switch x.media.body {
	case planner.BodyNDJSON:
		return true
	case planner.BodyJSON, planner.BodyCSV:
		return pr.Prefer.Stream && x.media.handler == nil
	}
	return false
}

// serveStream runs a streamed read and sets the response: its headers now,
// its body as a stream that fasthttp writes after the handler returns,
// holding the database connection until then.
func (s *Server) serveStream(ctx *fasthttp.RequestCtx, x *exchange, plan *planner.Plan) error {
	st, err := s.pool.Stream(context.Background(), &x.req)
	x.timing.mark(stageTransaction)
	if err != nil {
		return err
	}
	h := &ctx.Response.Header
	h.Set("Content-Type", x.media.contentType)
	if x.pr.Action != planner.ActionCall {
		x.buf = appendContentLocation(x.buf[:0], x, &x.q, x.pr.Target)
		h.SetBytesV("Content-Location", x.buf)
	}
	setCommonHeaders(h, x, plan)
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.Response.SetBodyStream(&streamBody{st: st, body: x.media.body, log: s.log, client: ctx.Conn()}, -1)
	return nil
}

// clientWatch is how often a stream checks, while it waits for rows,
// that its client is still connected.
const clientWatch = 500 * time.Millisecond

// watchClient cancels st's statement when the client closes conn while
// the stream waits for rows: a write would notice, but a statement that
// computes for long between rows makes none. It checks the socket for a
// hang-up without reading from it (a pipelined request may be waiting
// there). The returned stop ends the watch.
func watchClient(conn net.Conn, st *wire.Stream) (stop func()) {
	if lc, ok := conn.(*lingerConn); ok {
		conn = lc.Conn // linger.go
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return func() {}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(clientWatch)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			gone := false
			raw.Control(func(fd uintptr) {
				p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
				if n, err := unix.Poll(p, 0); err == nil && n > 0 &&
					p[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR) != 0 {
					gone = true
				}
			})
			if gone {
				st.Cancel()
				return
			}
		}
	}()
	return func() { close(done) }
}

const (
	// streamChunk is the size at which the rows gathered so far are sent
	// as one chunk.
	streamChunk = 32 << 10
	// streamDelay bounds how long a row waits in a partial chunk when
	// rows come slowly: it goes with the next row after that time.
	streamDelay = 50 * time.Millisecond
)

// streamBody is a streamed response's body: fasthttp calls WriteTo (each
// Write is a chunk, flushed), then Close, which ends the request's
// database work and releases its connection.
type streamBody struct {
	st     *wire.Stream
	body   planner.Body
	log    zerolog.Logger
	buf    []byte
	client net.Conn // watched while the rows are written (watchClient)
}

// SupportsBodyWriteTo lets fasthttp write the body with WriteTo.
func (b *streamBody) SupportsBodyWriteTo() bool { return true }

// Read is not used: fasthttp calls WriteTo.
func (b *streamBody) Read([]byte) (int, error) {
	return 0, errors.New("server: a streamed body is written with WriteTo")
}

// WriteTo writes the rows to w as they arrive, in the bytes the
// aggregated body has: the JSON array as json_agg builds it, CSV under
// the header of column names, NDJSON a row per line. An error of the
// statement is returned, so fasthttp drops the connection rather than
// end the body normally.
func (b *streamBody) WriteTo(w io.Writer) (int64, error) {
	if b.client != nil {
		defer watchClient(b.client, b.st)()
	}
	var n int64
	flush := func() error {
		if len(b.buf) == 0 {
			return nil
		}
		m, err := w.Write(b.buf)
		n += int64(m)
		b.buf = b.buf[:0]
		return err
	}
	b.buf = b.buf[:0]
	rows := 0
	var last time.Time
	for b.st.Next() {
		v := b.st.Values()
		switch b.body {
		case planner.BodyNDJSON:
			b.buf = append(appendJSONLine(b.buf, v[0]), '\n')
		case planner.BodyJSON:
			if rows == 0 {
				b.buf = append(b.buf, '[')
			} else {
				b.buf = append(b.buf, ", \n "...) // json_agg's separator of rows
			}
			b.buf = append(b.buf, v[0]...)
		case planner.BodyCSV:
			if rows == 0 {
				b.buf = appendCSVHeader(b.buf, b.st)
			}
			b.buf = appendCSVRecord(append(b.buf, '\n'), v)
		}
		rows++
		// The first row goes out at once, then a chunk when full or when
		// rows come slowly.
		if rows == 1 || len(b.buf) >= streamChunk || time.Since(last) >= streamDelay {
			if err := flush(); err != nil {
				return n, err // the client went away: Close cancels
			}
			last = time.Now()
		}
	}
	if err := b.st.Err(); err != nil {
		flush()
		b.log.Warn().Err(err).Msg("streamed response ended by an error after its first row")
		return n, err
	}
	switch {
	case b.body == planner.BodyJSON && rows == 0:
		b.buf = append(b.buf, "[]"...)
	case b.body == planner.BodyJSON:
		b.buf = append(b.buf, ']')
	case b.body == planner.BodyCSV && rows == 0:
		b.buf = append(b.buf, '\n') // an empty header, as the aggregated body
	}
	return n, flush()
}

// Close ends the request's database work: after all rows, the
// transaction's end; otherwise the statement is cancelled.
func (b *streamBody) Close() error {
	if err := b.st.Close(); err != nil {
		b.log.Warn().Err(err).Msg("streamed response's transaction failed at its end")
		return err
	}
	return nil
}

// appendJSONLine appends the JSON value v on one line: a line break can
// only be whitespace between JSON tokens (one in a string is escaped),
// such as a json column keeps from its input, so it becomes a space.
func appendJSONLine(dst, v []byte) []byte {
	if bytes.IndexByte(v, '\n') < 0 && bytes.IndexByte(v, '\r') < 0 {
		return append(dst, v...)
	}
	for _, c := range v {
		if c == '\n' || c == '\r' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}

// appendCSVHeader appends the column names separated by commas, as the
// aggregated body's header (the keys of the first row's JSON object).
func appendCSVHeader(dst []byte, st *wire.Stream) []byte {
	for i, f := range st.Fields() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, f.Name...)
	}
	return dst
}

// appendCSVRecord appends the row's columns as PostgreSQL's record text
// (record_out) has them between its parentheses: a NULL is nothing; a
// value that is empty or has a quote, backslash, parenthesis, comma or
// white space is quoted, with quotes and backslashes doubled.
func appendCSVRecord(dst []byte, v [][]byte) []byte {
	for i, f := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		if f == nil {
			continue
		}
		if !needsRecordQuotes(f) {
			dst = append(dst, f...)
			continue
		}
		dst = append(dst, '"')
		for _, c := range f {
			if c == '"' || c == '\\' {
				dst = append(dst, c)
			}
			dst = append(dst, c)
		}
		dst = append(dst, '"')
	}
	return dst
}

func needsRecordQuotes(f []byte) bool {
	if len(f) == 0 {
		return true
	}
	for _, c := range f {
		if recordQuoted[c] {
			return true
		}
	}
	return false
}

// recordQuoted are the bytes that make record_out quote a value.
var recordQuoted = func() (t [256]bool) {
	for _, c := range []byte("\"\\(), \t\n\v\f\r") {
		t[c] = true
	}
	return t
}()
