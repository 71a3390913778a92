package server

import (
	"bytes"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/wire"
)

// exchange is the per-request scratch space, reused through a sync.Pool.
type exchange struct {
	req  wire.Request
	buf  []byte // request.headers / request.cookies JSON
	key  []byte // plan cache key
	auth auth.Result
}

var exchanges = sync.Pool{New: func() any { return new(exchange) }}

func (x *exchange) reset() {
	x.req.SettingNames = x.req.SettingNames[:0]
	x.req.SettingValues = x.req.SettingValues[:0]
	x.req.PreRequest = ""
	x.req.SQL = ""
	x.req.Args = nil
	x.buf = x.buf[:0]
	x.auth = auth.Result{}
}

func (x *exchange) set(name, value string) {
	x.req.SettingNames = append(x.req.SettingNames, name)
	x.req.SettingValues = append(x.req.SettingValues, value)
}

// Handle is the whole request pipeline: route, authenticate, plan, run,
// respond. Each stage returns an error that becomes PostgREST's error body.
func (s *Server) Handle(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	x := exchanges.Get().(*exchange)
	x.reset()
	authed, err := s.serve(ctx, x)
	if err != nil {
		writeError(ctx, toAPIError(err, authed))
	}
	exchanges.Put(x)
	s.logAccess(ctx, start)
}

func (s *Server) serve(ctx *fasthttp.RequestCtx, x *exchange) (authed bool, err error) {
	rt := s.opts.Load()
	method := ctx.Method()
	head := bytes.Equal(method, []byte("HEAD"))
	if !head && !bytes.Equal(method, []byte("GET")) {
		return false, errUnsupportedMethod(method)
	}

	target, isRPC, err := route(ctx.Path())
	if err != nil {
		return false, err
	}

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
	if isRPC {
		return authed, errNotImplemented("functions (/rpc) are not available yet")
	}
	if target == "" {
		return authed, errNotImplemented("the root endpoint (OpenAPI) is not available yet")
	}

	q, err := planner.ParseQuery(string(ctx.URI().QueryString()))
	if err != nil {
		return authed, err
	}
	plan, err := s.readPlan(x, q, sc, target, planner.ReadOptions{
		Schema: firstOr(rt.Schemas, "public"), MaxRows: rt.MaxRows, Head: head})
	if err != nil {
		return authed, err
	}

	// Reads run in a read-only transaction (default isolation, read committed).
	x.set("transaction_read_only", "on")
	s.fillSettings(ctx, x, rt, method)
	x.req.PreRequest = rt.preRequestSQL
	x.req.SQL = plan.SQL
	x.req.Args = plan.Bind(q)
	err = s.pool.Run(ctx, &x.req, func(r *wire.Result) error {
		return writeRead(ctx, r, q.Offset, head)
	})
	return authed, err
}

// readPlan returns the cached plan of q's shape, planning it on a miss.
func (s *Server) readPlan(x *exchange, q *planner.Query, sc *cache.Schema, target string, o planner.ReadOptions) (*planner.Plan, error) {
	x.key = planner.AppendReadKey(x.key[:0], q, target, o)
	if p, ok := s.plans.Get(unsafe.String(unsafe.SliceData(x.key), len(x.key))); ok && p.schema == sc {
		return p.plan, nil
	}
	p, err := planner.NewReadPlan(q, sc, target, o)
	if err != nil {
		return nil, err
	}
	s.plans.Put(string(x.key), cachedPlan{plan: p, schema: sc})
	return p, nil
}

// route splits the path into the target relation and whether it is a
// function call. "/" is the root endpoint (empty target).
func route(path []byte) (target string, rpc bool, err error) {
	p := bytes.TrimPrefix(path, []byte("/"))
	if len(p) == 0 {
		return "", false, nil
	}
	if rest, ok := bytes.CutPrefix(p, []byte("rpc/")); ok {
		if len(rest) == 0 || bytes.IndexByte(rest, '/') >= 0 {
			return "", false, errInvalidPath
		}
		return string(rest), true, nil
	}
	if bytes.IndexByte(p, '/') >= 0 {
		return "", false, errInvalidPath
	}
	return string(p), false, nil
}

// writeRead writes a read's result: status, Content-Range, body.
func writeRead(ctx *fasthttp.RequestCtx, r *wire.Result, offset int64, head bool) error {
	status := 200
	if err := applyResponseGUCs(ctx, r.ResponseHeaders, r.ResponseStatus, &status); err != nil {
		return err
	}
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentType("application/json; charset=utf-8")
	n, _ := strconv.ParseInt(string(r.PageTotal), 10, 64)
	ctx.Response.Header.SetBytesV("Content-Range", contentRange(nil, offset, n, r.TotalResultSet))
	if !head {
		ctx.Response.SetBody(r.Body)
	}
	return nil
}

// contentRange renders "first-last/total" ("*" for an unknown total, and
// "*/total" for an empty page).
func contentRange(dst []byte, offset, n int64, total []byte) []byte {
	if n == 0 {
		dst = append(dst, '*')
	} else {
		dst = strconv.AppendInt(dst, offset, 10)
		dst = append(dst, '-')
		dst = strconv.AppendInt(dst, offset+n-1, 10)
	}
	dst = append(dst, '/')
	if total == nil {
		return append(dst, '*')
	}
	return append(dst, total...)
}
