package server

import (
	"context"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/wire"
)

// lsnHeader carries the read-your-writes token: a write's response has
// the primary's WAL position after its commit; a read that sends it back
// runs only where that position has been replayed.
const lsnHeader = "Pgrst-Lsn"

// UseReplicas routes read-only requests to rs (db-replicas); nil: every
// request runs on the primary.
func (s *Server) UseReplicas(rs *wire.Replicas) { s.replicas.Store(rs) }

// run runs x.req with fn, on a replica when the request is read-only and
// one is up with a free connection, else on the primary: a read that finds
// every replica busy (its pool full) does not wait for one. A read that a
// replica could not serve (it broke before answering, had not replayed the
// request's token, cancelled the read for a recovery conflict, or its pool
// filled up after all) runs again on the primary, so a replica's failure never reaches the client. A write asks for its
// token when there are replicas to read it back from.
func (s *Server) run(ctx *fasthttp.RequestCtx, x *exchange, readOnly bool, fn func(*wire.Result) error) error {
	rs := s.replicas.Load()
	if rs == nil {
		return s.pool.Run(context.Background(), &x.req, fn)
	}
	if !readOnly {
		x.req.WantLSN = !x.req.Tx.Rollback
		err := s.pool.Run(context.Background(), &x.req, fn)
		x.req.WantLSN = false
		return err
	}
	var want uint64
	token := ctx.Request.Header.Peek(lsnHeader)
	if token != nil {
		var ok bool
		if want, ok = wire.ParseLSN(token); !ok {
			// Not a token we gave: only the primary surely has it.
			return s.pool.Run(context.Background(), &x.req, fn)
		}
	}
	r, guard := rs.Pick(want)
	if r == nil {
		return s.pool.Run(context.Background(), &x.req, fn)
	}
	if guard {
		x.req.AfterLSN = token
	}
	r.Routed()
	err := r.Pool().TryRun(context.Background(), &x.req, fn)
	x.req.AfterLSN = nil
	if err == nil || !rs.Failed(r, err) {
		return err
	}
	x.res.reset()
	return s.pool.Run(context.Background(), &x.req, fn)
}

// setLSNHeader gives a committed write's response its token.
func setLSNHeader(ctx *fasthttp.RequestCtx, x *exchange) {
	if lsn := x.req.CommitLSN(); len(lsn) > 0 {
		ctx.Response.Header.SetBytesV(lsnHeader, lsn)
	}
}
