package server

import (
	"bytes"
	"context"
	"sync"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/wire"
)

// exchange is the per-request scratch space, reused through a sync.Pool.
type exchange struct {
	req wire.Request
	buf []byte // request.headers / request.cookies JSON
	key []byte // plan cache key
	// target is the last request's target: a repeated path reuses the
	// string instead of allocating it again.
	target string
	// q is the parsed query string; its strings alias the request's
	// memory (rawQuery), so nothing may keep them past the request.
	q        planner.Query
	rawQuery []byte
	auth     auth.Result
	rd       readState // the read path's scratch (range.go)
	// args holds the computed statement arguments (limits, patterns,
	// in-lists) that req.Params and req.ExplainParams point into; the
	// others alias rawQuery (planner.Plan.AppendArgs).
	args []byte
}

var exchanges = sync.Pool{New: func() any { return new(exchange) }}

func (x *exchange) reset() {
	x.req.ResetSettings()
	x.req.PreRequest = ""
	x.req.SQL = ""
	x.req.Params = x.req.Params[:0]
	x.req.Explain = ""
	x.req.ExplainParams = x.req.ExplainParams[:0]
	x.args = x.args[:0]
	x.buf = x.buf[:0]
	x.rawQuery = nil
	x.auth = auth.Result{}
}

func (x *exchange) set(name, value string) { x.req.Set(name, value) }

// Handle is the whole request pipeline: route, authenticate, plan, run,
// respond. Each stage returns an error that becomes PostgREST's error body.
func (s *Server) Handle(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	rt := s.opts.Load()
	allowOrigin, creds, cors := rt.cors.allow(&ctx.Request.Header) // cors.go
	if cors && bytes.Equal(ctx.Method(), []byte("OPTIONS")) && writePreflight(ctx, allowOrigin, creds) {
		s.stats.countStatus(ctx.Response.StatusCode())
		s.logAccess(ctx, start)
		return
	}
	x := exchanges.Get().(*exchange)
	x.reset()
	authed, err := s.serve(ctx, x, rt)
	if err != nil {
		writeError(ctx, toAPIError(err, authed))
	} else if len(ctx.Response.Header.Peek("Vary")) == 0 {
		// As PostgREST, on every response but errors, unless the
		// database set its own (response.headers).
		ctx.Response.Header.Set("Vary", "Accept, Prefer, Range")
	}
	if cors && !bytes.Equal(ctx.Method(), []byte("OPTIONS")) {
		addCORSHeaders(&ctx.Response.Header, allowOrigin, creds)
	}
	exchanges.Put(x)
	s.stats.countStatus(ctx.Response.StatusCode()) // metrics.go
	s.logAccess(ctx, start)
}

// serve runs a request under one configuration, rt, loaded once by
// Handle: a reload in between never mixes two configurations.
func (s *Server) serve(ctx *fasthttp.RequestCtx, x *exchange, rt *runtime) (authed bool, err error) {
	method := ctx.Method()
	head := bytes.Equal(method, []byte("HEAD"))
	get := bytes.Equal(method, []byte("GET"))
	options := bytes.Equal(method, []byte("OPTIONS"))
	if !head && !get && !options {
		return false, apierr.UnsupportedMethod(string(method))
	}

	tb, isRPC, err := route(ctx.Path())
	if err != nil {
		return false, err
	}
	if string(tb) != x.target {
		x.target = string(tb)
	}
	target := x.target

	res, aerr := rt.Auth.Authenticate(ctx.Request.Header.Peek("Authorization"), time.Now())
	if aerr != nil {
		return false, aerr
	}
	x.auth = res
	// As in PostgREST, a request counts as authenticated (42501 → 403, not
	// 401) when it runs as a role other than the anonymous one.
	authed = res.Role != rt.Auth.AnonRole()

	sc := s.schema.Load()
	if sc == nil {
		return authed, errNoSchemaCache
	}
	schema, byProfile, err := profile(ctx.Request.Header.Peek("Accept-Profile"), rt.Schemas)
	if err != nil {
		return authed, err
	}
	if isRPC {
		return authed, apierr.NotImplemented("functions (/rpc) are not available yet")
	}
	if options {
		return authed, writeOptions(ctx, sc, schema, target)
	}
	if target == "" {
		return authed, apierr.NotImplemented("the root endpoint (OpenAPI) is not available yet")
	}

	x.rawQuery = ctx.URI().QueryString()
	q := &x.q
	if err := planner.ParseQueryInto(q, unsafe.String(unsafe.SliceData(x.rawQuery), len(x.rawQuery))); err != nil {
		return authed, err
	}
	if get {
		if err := applyRangeHeader(q, ctx.Request.Header.Peek("Range")); err != nil {
			return authed, err
		}
	}
	rd := &x.rd
	parsePrefer(&ctx.Request.Header, &rd.prefs)
	rd.accept = parseRequestAccept(rd.accept[:0], &ctx.Request.Header)
	media, acceptable := negotiateRead(rd.accept, q, sc.Relation(schema, target))
	rd.media = media
	plan, err := s.readPlan(x, q, sc, target, planner.ReadOptions{
		Schema: schema, MaxRows: rt.MaxRows, Head: head, Count: rd.prefs.count, Body: media.body, Handler: media.handler,
		LegacyTargetNames: rt.LegacyTargetNames})
	if err != nil {
		return authed, err
	}
	if !acceptable {
		return authed, errMediaType(rd.accept)
	}
	if err := rd.prefs.strictError(); err != nil {
		return authed, err
	}

	// Reads run in a read-only transaction (default isolation, read committed).
	x.set("transaction_read_only", "on")
	searchPath := rt.searchPath
	if schema != firstOr(rt.Schemas, "public") {
		searchPath = quoteIdentList(nil, schema, rt.ExtraSearchPath)
	}
	s.fillSettings(ctx, x, rt, method, searchPath)
	if rd.prefs.hasTimezone {
		x.req.SetBytes([]byte("timezone"), rd.prefs.timezone)
	}
	x.req.PreRequest = rt.preRequestSQL
	x.req.SQL = plan.SQL
	x.req.Params, x.args = plan.AppendArgs(x.req.Params, x.args, q)
	if plan.Count.NeedsExplain() {
		// The row estimate comes from EXPLAIN of the count query, in
		// the same pipeline: still one round trip.
		x.req.Explain = plan.ExplainSQL
		x.req.ExplainParams, x.args = plan.AppendExplainArgs(x.req.ExplainParams, x.args, q)
	}
	// Not the RequestCtx: pgx would watch it with a goroutine per request,
	// and it races with the server's shutdown. wire bounds the wait for a
	// connection itself, and PostgreSQL's statement_timeout the rest.
	err = s.pool.Run(context.Background(), &x.req, func(r *wire.Result) error {
		if err := readRow(ctx, rd, plan, r, head); err != nil {
			return err
		}
		applyEstimate(rd, plan, r.Explain)
		return nil
	})
	if err != nil {
		return authed, err
	}
	writeReadHeaders(ctx, rd, q, target, schema, byProfile)
	if plan.Warning != "" {
		// PostgREST's warn-agent is "PostgRESTv<version>"; ours names pgrst.
		ctx.Response.Header.Set("Warning", "299 pgrstv"+rt.Version+` "`+plan.Warning+`"`)
	}
	return authed, nil
}

// applyEstimate completes count=planned and count=estimated with the
// planner's row estimate: planned always takes it; estimated takes it when
// the exact count stopped at db-max-rows and the estimate is larger.
func applyEstimate(rd *readState, plan *planner.Plan, explain []byte) {
	switch {
	case plan.Count == planner.CountPlanned:
	case plan.Count == planner.CountEstimated && rd.hasTotal && plan.CappedByMaxRows(rd.total):
	default:
		return
	}
	n, ok := planRows(explain)
	if !ok {
		return
	}
	if plan.Count == planner.CountPlanned || !rd.hasTotal || n > rd.total {
		rd.total, rd.hasTotal = n, true
	}
}

// readPlan returns the cached plan of q's shape, planning it on a miss.
func (s *Server) readPlan(x *exchange, q *planner.Query, sc *cache.Schema, target string, o planner.ReadOptions) (*planner.Plan, error) {
	x.key = planner.AppendReadKey(x.key[:0], q, target, o)
	if p, ok := s.plans.Get(unsafe.String(unsafe.SliceData(x.key), len(x.key))); ok && p.schema == sc {
		return p.plan, nil
	}
	if x.rawQuery != nil {
		// The cached plan must not keep strings that alias the request
		// (serve): plan from a copy of the query string, parsed again,
		// with the Range header's effect taken over.
		oq, err := planner.ParseQuery(string(x.rawQuery))
		if err != nil {
			return nil, err
		}
		oq.Offset, oq.Limit, oq.HasRange = q.Offset, q.Limit, q.HasRange
		q = oq
	}
	p, err := planner.NewReadPlan(q, sc, target, o)
	if err != nil {
		return nil, err
	}
	s.plans.Put(string(x.key), cachedPlan{plan: p, schema: sc})
	return p, nil
}

// route splits the path into the target relation and whether it is a
// function call. "/" is the root endpoint (empty target). The target
// aliases path.
func route(path []byte) (target []byte, rpc bool, err error) {
	p := bytes.TrimPrefix(path, []byte("/"))
	if len(p) == 0 {
		return nil, false, nil
	}
	if rest, ok := bytes.CutPrefix(p, []byte("rpc/")); ok {
		if len(rest) == 0 || bytes.IndexByte(rest, '/') >= 0 {
			return nil, false, errInvalidPath
		}
		return rest, true, nil
	}
	if bytes.IndexByte(p, '/') >= 0 {
		return nil, false, errInvalidPath
	}
	return p, false, nil
}
