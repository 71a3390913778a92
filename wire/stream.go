package wire

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Stream is a request whose main statement returns its result one row at
// a time, read as the rows arrive: PostgreSQL sends them as its executor
// produces them, and stops when the connection's socket buffers are full,
// so neither side ever holds more than a few rows whatever the size of
// the result. The request's pipeline (settings, pre-request, statement,
// one Sync) and its single transaction are those of Pool.Run.
//
// A Stream holds its pool connection until Close. It is used by one
// goroutine at a time, which may differ from the one that opened it.
type Stream struct {
	p      *Pool
	c      *pgxpool.Conn
	q      sentPipeline
	rr     *pgconn.ResultReader
	first  bool // the row read by Pool.Stream is not yet consumed
	done   bool // the rows ended, without error
	closed bool
	err    error
}

// Stream runs r as Run does, up to the main statement's first row, and
// returns the open stream. An error before the first row (the settings,
// the pre-request, the statement's own, or a stale prepared statement
// that a retry could not fix) is returned with the connection released:
// the caller can still answer it as an ordinary error. r.Plan, r.Explain
// and r.Check are not supported.
func (p *Pool) Stream(ctx context.Context, r *Request) (*Stream, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	pc := c.Conn().PgConn()
	st := stateOf(pc)
	settingsStmt, settingsParams := r.settingsParams()
	for attempt := 0; ; attempt++ {
		if gen := p.gen.Load(); len(st.stmts) >= maxStatements || st.gen != gen {
			if len(st.stmts) > 0 {
				if err := forgetStatements(ctx, c.Conn(), st); err != nil {
					c.Release()
					return nil, p.failed(classify(err))
				}
			}
			st.gen = gen
		}
		s := &Stream{p: p, c: c}
		s.bound()
		stale, err := s.open(ctx, pc, st, r, settingsStmt, settingsParams, !p.unprepared)
		if err == nil {
			return s, nil
		}
		if stale && attempt == 0 {
			st.gen = ^p.gen.Load() // forget before the retry
			continue
		}
		if timedOut(err) {
			abandon(pc)
		}
		s.unbound()
		c.Release()
		return nil, p.failed(err)
	}
}

// open sends the pipeline and reads up to the main statement's first row
// (or its end).
func (s *Stream) open(ctx context.Context, pc *pgconn.PgConn, st *connState, r *Request, settingsStmt string, settingsParams [][]byte, prepare bool) (stale bool, err error) {
	q, err := sendPipeline(ctx, pc, st, r, settingsStmt, settingsParams, prepare)
	if err != nil {
		return false, err
	}
	s.q = q
	for i := 0; i <= q.main; i++ {
		step := &s.q.steps[i]
		rr, err := s.q.result(step)
		if err == nil && i < q.main {
			_, err = rr.Close()
		}
		if err != nil {
			q.pl.Close()
			err = classify(err)
			return !step.prepare && isStaleStatement(err), err
		}
		s.rr = rr
	}
	if s.rr.NextRow() {
		s.first = true
		return false, nil
	}
	// No row: the statement ended, with an error or not.
	if _, err := s.rr.Close(); err != nil {
		q.pl.Close()
		err = classify(err)
		return isStaleStatement(err), err
	}
	s.done = true
	return false, nil
}

// Fields describes the main statement's columns.
func (s *Stream) Fields() []pgconn.FieldDescription { return s.rr.FieldDescriptions() }

// Next advances to the next row; false at the end of the rows or on an
// error (Err).
func (s *Stream) Next() bool {
	if s.first {
		s.first = false
		return true
	}
	if s.done || s.err != nil {
		return false
	}
	s.bound()
	if s.rr.NextRow() {
		return true
	}
	if _, err := s.rr.Close(); err != nil {
		s.err = classify(err)
		return false
	}
	s.done = true
	return false
}

// Cancel asks PostgreSQL to cancel the running statement (a cancel
// request on a connection of its own): the goroutine reading the rows
// then sees the error in Next. It may be called from any goroutine while
// the stream is open.
func (s *Stream) Cancel() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.c.Conn().PgConn().CancelRequest(ctx)
}

// Values is the current row, valid until the next call of Next.
func (s *Stream) Values() [][]byte { return s.rr.Values() }

// Err is the error that ended the rows, nil at their normal end.
func (s *Stream) Err() error { return s.err }

// Close ends the request and releases its connection. After all the rows
// the rest of the pipeline is read (the transaction's end, the Sync) and
// the connection goes back to the pool; its error, if any, is returned
// (the transaction failed at its end). Before the end of the rows (the
// client went away, or an error), the statement is cancelled and the
// connection closed: a backend that is still producing rows, or blocked
// writing them, stops at once, and the pool opens a new connection when
// it needs one.
func (s *Stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	defer s.c.Release()
	pc := s.c.Conn().PgConn()
	defer s.unbound()
	switch {
	case s.err != nil && timedOut(s.err):
		abandon(pc)
		s.q.pl.Close()
		s.p.failed(s.err)
		return s.err
	case s.err != nil:
		// The statement failed: the connection is sound once the
		// pipeline is read up to its Sync.
		if err := s.q.pl.Close(); err != nil {
			s.p.failed(classify(err))
		}
		return s.err
	case !s.done:
		s.abort(pc)
		return nil
	}
	s.bound()
	for i := s.q.main + 1; i < s.q.n; i++ {
		rr, err := s.q.result(&s.q.steps[i])
		if err == nil {
			_, err = rr.Close()
		}
		if err != nil {
			s.q.pl.Close()
			return s.p.failed(classify(err))
		}
	}
	if _, err := s.q.pl.GetResults(); err != nil { // the Sync
		s.q.pl.Close()
		return s.p.failed(classify(err))
	}
	return s.p.failed(classify(s.q.pl.Close()))
}

// bound gives the database db-timeout to send what is read next: a
// stream reads for as long as its client takes, so the deadline is set
// on the socket before each read, rather than on the whole request as
// Run does. unbound lifts it before the connection goes back to the pool.
func (s *Stream) bound() {
	if s.p.timeout > 0 {
		s.c.Conn().PgConn().Conn().SetReadDeadline(time.Now().Add(s.p.timeout))
	}
}

func (s *Stream) unbound() {
	if s.p.timeout > 0 {
		s.c.Conn().PgConn().Conn().SetReadDeadline(time.Time{})
	}
}

// timedOut reports an error of a read past its deadline.
func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// abort cancels the running statement and closes the connection, which
// the pool then destroys instead of reusing. The cancel request stops a
// backend that is computing; closing the socket stops one that is
// blocked sending rows (a cancel is not acted upon there).
func (s *Stream) abort(pc *pgconn.PgConn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = pc.CancelRequest(ctx)
	_ = pc.Close(ctx)
}
