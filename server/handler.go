package server

import (
	"bytes"
	"sync"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/server/payload"
	"github.com/pgrst/pgrst/wire"
)

// exchange is the per-request scratch space, reused through a sync.Pool.
// Everything in it that aliases the request (q's strings, pr.Prefer's
// bytes, the arguments) is valid only while the handler runs.
type exchange struct {
	route route
	// target is the last request's target: a repeated path reuses the
	// string instead of allocating it again.
	target    string
	rawQuery  []byte
	q         planner.Query
	pr        planner.Request // what the planner plans from
	auth      auth.Result
	accept    []accepted
	media     readMedia // the negotiated media type
	byProfile bool      // the response names the schema in Content-Profile
	key       []byte    // plan cache key
	req       wire.Request
	args      planner.Args    // req.Params
	explain   planner.Args    // req.ExplainParams
	res       result          // what the response needs of the result row
	payload   payload.Payload // a write's or a call's body
	buf       []byte          // request.headers / request.cookies JSON, header values
	timing    timing          // Server-Timing (timing.go)
	order     []int           // Content-Location parameter order
	head      bool            // HEAD: the body is not sent
	etag      bool            // the response gets an ETag (etag.go)
	stream    *subscriber     // a /listen/ stream to start (listen.go)
}

var exchanges = sync.Pool{New: func() any { return new(exchange) }}

func (x *exchange) reset() {
	x.req.ResetSettings()
	x.req.Tx = wire.Tx{}
	x.req.PreRequest = ""
	x.req.Check = ""
	x.req.SQL = ""
	x.req.Plan = false
	x.req.Params = nil
	x.req.Explain = ""
	x.req.ExplainParams = nil
	x.req.AfterLSN, x.req.WantLSN = nil, false
	x.buf = x.buf[:0]
	x.rawQuery = nil
	x.auth = auth.Result{}
	x.res.reset()
	x.payload.Reset()
	x.pr.Payload = planner.Payload{}
	x.head, x.etag = false, false
	x.stream = nil
}

// Handle is the whole request pipeline: route, authenticate, plan, run,
// respond. Each stage returns an error that becomes PostgREST's error body.
func (s *Server) Handle(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	rt := s.opts.Load()
	allowOrigin, creds, cors := rt.cors.allow(&ctx.Request.Header) // cors.go
	if cors && bytes.Equal(ctx.Method(), []byte("OPTIONS")) && writePreflight(ctx, allowOrigin, creds) {
		s.stats.countStatus(ctx.Response.StatusCode())
		s.logAccess(ctx, start, "", "")
		return
	}
	x := exchanges.Get().(*exchange)
	x.reset()
	x.timing.begin(rt.ServerTiming, start)
	authed, err := s.serve(ctx, x, rt)
	if err != nil {
		writeError(ctx, toAPIError(err, authed), rt.MinimalErrors)
	}
	h := &ctx.Response.Header
	if cors && !bytes.Equal(ctx.Method(), []byte("OPTIONS")) {
		addCORSHeaders(h, allowOrigin, creds)
	}
	if rt.TraceHeader != "" {
		if v := ctx.Request.Header.Peek(rt.TraceHeader); v != nil {
			h.SetBytesV(rt.TraceHeader, v)
		}
	}
	if x.timing.on {
		x.timing.mark(stageResponse)
		x.buf = x.timing.appendHeader(x.buf[:0])
		h.SetBytesV("Server-Timing", x.buf)
	}
	if x.stream != nil {
		s.startStream(ctx, x.stream) // listen.go: the headers are final
		x.stream = nil
	}
	var query string
	if rt.LogQuery {
		query = x.req.SQL // the plan's text: it outlives the exchange
	}
	role := x.auth.Role // a string of the token cache or the options: it outlives the exchange
	exchanges.Put(x)
	s.stats.countStatus(ctx.Response.StatusCode()) // metrics.go
	s.logAccess(ctx, start, role, query)
}

// serve runs a request under one configuration, rt, loaded once by
// Handle: a reload in between never mixes two configurations.
func (s *Server) serve(ctx *fasthttp.RequestCtx, x *exchange, rt *runConfig) (authed bool, err error) {
	if rt.ListenEnabled {
		if channel, ok := listenChannel(ctx.Path()); ok {
			return s.serveListen(ctx, x, rt, channel) // listen.go
		}
	}
	plan, authed, err := s.prepare(ctx, x, rt)
	if err != nil || plan == nil {
		return authed, err
	}
	// Not the RequestCtx: pgx would watch it with a goroutine per request,
	// and it races with the server's shutdown. wire bounds the wait for a
	// connection itself, and PostgreSQL's statement_timeout the rest.
	if x.media.plan != nil {
		return authed, s.respondPlan(ctx, x, plan.ReadOnly)
	}
	if plan.Stream {
		return authed, s.serveStream(ctx, x, plan) // stream.go
	}
	err = s.run(ctx, x, plan.ReadOnly, func(r *wire.Result) error {
		if err := x.res.read(ctx, plan, r, x.head); err != nil {
			return err
		}
		if x.etag {
			x.res.etag = appendETag(x.res.etag[:0], r.Body)
		}
		return checkResult(x)
	})
	x.timing.mark(stageTransaction)
	if err != nil {
		return authed, err
	}
	if err := s.respond(ctx, x, plan, rt); err != nil {
		return authed, err
	}
	setLSNHeader(ctx, x) // replica.go
	return authed, nil
}

// prepare does everything before the database: it routes, authenticates,
// parses, negotiates, plans, and fills x.req with the settings, the
// transaction's mode and the bound statement. A nil plan with a nil error
// means the response is complete (OPTIONS, /).
func (s *Server) prepare(ctx *fasthttp.RequestCtx, x *exchange, rt *runConfig) (plan *planner.Plan, authed bool, err error) {
	rq, err := routeOf(ctx.Method(), ctx.Path())
	if err != nil {
		return nil, false, err
	}
	if rq.action == planner.ActionRoot && rt.RootSpec != "" && rt.OpenAPIMode != openAPIDisabled {
		rq = rootSpecRoute(rq, rt.RootSpec) // root.go
	}
	if string(rq.target) != x.target {
		x.target = string(rq.target)
	}
	res, aerr := rt.Auth.Authenticate(ctx.Request.Header.Peek("Authorization"), time.Now())
	x.timing.mark(stageJWT)
	if aerr != nil {
		return nil, false, aerr
	}
	x.auth = res
	// As in PostgREST, a request counts as authenticated (42501 → 403, not
	// 401) when it runs as a role other than the anonymous one.
	authed = res.Role != rt.Auth.AnonRole()

	sc := s.schema.Load()
	if sc == nil {
		return nil, authed, errNoSchemaCache
	}
	schema, byProfile, err := profile(ctx.Request.Header.Peek(rq.profileHeader()), rt.Schemas)
	if err != nil {
		return nil, authed, err
	}
	x.byProfile = byProfile
	if !planner.Plans(rq.action) {
		x.timing.mark(stageParse) // OPTIONS and / answer from here
	}
	pr := &x.pr
	// A read's ETag hashes the body, so a HEAD wanting one has the body
	// built too (and not sent); a function called with POST gets none.
	x.head = rq.head
	x.etag = rt.ETag && (rq.action == planner.ActionRead || rq.action == planner.ActionCall) && !rq.post
	*pr = planner.Request{Action: rq.action, Head: rq.head && !x.etag, Schema: schema, Target: x.target,
		Query: &x.q, Prefer: pr.Prefer, MaxRows: rt.MaxRows, LegacyTargetNames: rt.LegacyTargetNames,
		Aggregates: rt.Aggregates, Distinct: rt.Distinct}
	switch {
	case rq.action == planner.ActionOptions && rq.rpc:
		return nil, authed, respondCallOptions(ctx, sc, schema, x.target) // call.go
	case rq.action == planner.ActionOptions:
		return nil, authed, s.respondOptions(ctx, sc, schema, x.target)
	case rq.action == planner.ActionRoot:
		return nil, authed, s.serveRoot(ctx, x, rt, sc, schema, rq.head) // root.go
	case !planner.Plans(rq.action):
		return nil, authed, apierr.UnsupportedMethod(string(ctx.Method()))
	}

	x.rawQuery = ctx.URI().QueryString()
	q := &x.q
	parse := planner.ParseQueryInto
	if rq.action == planner.ActionCall && !rq.post {
		parse = planner.ParseCallQueryInto // arguments in the query
	}
	if err := parse(q, unsafe.String(unsafe.SliceData(x.rawQuery), len(x.rawQuery))); err != nil {
		return nil, authed, err
	}
	if rt.SafeWrites && (rq.action == planner.ActionUpdate || rq.action == planner.ActionDelete) && !q.HasRootFilter() {
		return nil, authed, apierr.UnfilteredWrite(string(ctx.Method()))
	}
	if (rq.action == planner.ActionRead || rq.action == planner.ActionCall) && !rq.head && !rq.post {
		if err := applyRangeHeader(q, ctx.Request.Header.Peek("Range")); err != nil {
			return nil, authed, err
		}
	}
	pr.Prefer.Reset()
	ctx.Request.Header.VisitAll(func(k, v []byte) {
		if bytes.EqualFold(k, []byte("Prefer")) {
			pr.Prefer.Add(v)
		}
	})
	if !rt.txOverride {
		pr.Prefer.Tx = planner.TxUnset // not honoured, so not echoed
	}
	if a := rq.action; a == planner.ActionInsert || a == planner.ActionUpdate || a == planner.ActionUpsert {
		if err := x.readPayload(ctx, s.http.MaxRequestBodySize); err != nil {
			return nil, authed, err
		}
	}
	if rq.action == planner.ActionCall {
		if err := x.readCall(ctx, rq.post, s.http.MaxRequestBodySize); err != nil { // call.go
			return nil, authed, err
		}
	}
	x.accept = parseRequestAccept(x.accept[:0], &ctx.Request.Header)
	var acceptable bool
	rel, handlers := negotiationTarget(sc, pr, rq.rpc) // negotiate.go
	x.media, acceptable = negotiateRead(x.accept, q, rel, handlers, rt.PlanEnabled)
	pr.Media = planner.Media{Body: x.media.body, Handler: x.media.handler}
	if pr.Stream = acceptable && streamRequested(x, rq.post); pr.Stream { // stream.go
		pr.Prefer.Count, x.etag = planner.CountNone, false
	}
	x.timing.mark(stageParse)
	plan, err = s.plan(x, sc)
	if err != nil {
		return nil, authed, err
	}
	if !acceptable {
		return nil, authed, errMediaType(x.accept)
	}
	if !plan.Stream {
		pr.Prefer.Stream = false // not applied
		if x.media.body == planner.BodyNDJSON && !x.head {
			return nil, authed, errMediaType(x.accept)
		}
	}
	if err := pr.Prefer.StrictError(); err != nil {
		return nil, authed, err
	}
	if plan.Single && pr.Prefer.HasMaxAffected && pr.Prefer.Handling == planner.HandlingStrict {
		return nil, authed, apierr.MaxAffectedSingle()
	}

	x.req.Tx = wire.Tx{ReadOnly: plan.ReadOnly}
	if !plan.ReadOnly {
		x.req.Tx.Rollback = pr.Prefer.Tx == planner.TxRollback || rt.txRollback && pr.Prefer.Tx != planner.TxCommit
		x.req.Check = writeCheck(pr)
	}
	fillSettings(ctx, x, rt, sc, schema)
	if pr.Prefer.HasTimezone {
		x.req.SetBytes([]byte("timezone"), pr.Prefer.Timezone)
	}
	if len(plan.FuncSettings) > 0 {
		hoistSettings(&x.req, plan.FuncSettings, rt.HoistedTxSettings) // call.go
	}
	x.req.PreRequest = rt.preRequestSQL
	x.req.SQL = plan.SQL
	if x.media.plan != nil {
		// The statement's EXPLAIN answers; nothing checks its result.
		x.req.SQL = string(x.media.plan.AppendExplain(x.buf[:0])) + plan.SQL
		x.req.Plan, x.req.Check = true, ""
	}
	plan.Bind(&x.args, pr)
	x.req.Params = x.args.Vals
	if plan.Count.NeedsExplain() {
		// The row estimate comes from EXPLAIN of the count query, in
		// the same pipeline: still one round trip.
		x.req.Explain = plan.ExplainSQL
		plan.BindExplain(&x.explain, pr)
		x.req.ExplainParams = x.explain.Vals
	}
	x.timing.mark(stagePlan)
	return plan, authed, nil
}

// respondPlan runs a request whose Accept asked for the statement's plan
// (application/vnd.pgrst.plan) and answers it: 200 with EXPLAIN's output.
func (s *Server) respondPlan(ctx *fasthttp.RequestCtx, x *exchange, readOnly bool) error {
	err := s.run(ctx, x, readOnly, func(r *wire.Result) error {
		ctx.Response.SetBody(r.Body)
		return nil
	})
	x.timing.mark(stageTransaction)
	if err != nil {
		return err
	}
	ctx.Response.Header.Set("Content-Type", x.media.contentType)
	return nil
}

// plan returns the cached plan of x.pr's shape, planning it on a miss.
// A plan keeps nothing of the request's memory, so it is cached as built.
func (s *Server) plan(x *exchange, sc *cache.Schema) (*planner.Plan, error) {
	x.key = planner.AppendKey(x.key[:0], &x.pr)
	if p, ok := s.plans.Get(unsafe.String(unsafe.SliceData(x.key), len(x.key))); ok && p.schema == sc {
		return p.plan, nil
	}
	p, err := planner.New(&x.pr, sc)
	if err != nil {
		return nil, err
	}
	s.plans.Put(string(x.key), cachedPlan{plan: p, schema: sc})
	return p, nil
}
