package server_test

// Micro-benchmarks of the request path (make bench-micro). The handler
// benchmarks run the whole pipeline in-process against the real database
// of TestMain: route, auth, parse, plan cache, one pipelined round trip,
// response. Their -benchmem figures include what pgx and fasthttp allocate.
// The benchmarks of parsing, planning and JWT verification in isolation
// are in planner/ and server/auth/.

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// benchQuery is shaped like the bench harness's scenario 2: a select list,
// two filters, an order and a limit.
const benchQuery = "select=id,title,year,rating&language=eq.English&year=lt.1960&order=year.desc&limit=50"

// benchRequest is a read of films with query q.
func benchRequest(q *planner.Query) *planner.Request {
	return &planner.Request{Action: planner.ActionRead, Schema: "api", Target: "films", Query: q}
}

func benchSchema(b *testing.B) *cache.Schema {
	b.Helper()
	sc := startServer(b, nil).srv.Schema()
	if sc == nil {
		b.Fatal("no schema cache")
	}
	return sc
}

func mustParseQuery(b *testing.B, qs string) *planner.Query {
	b.Helper()
	q, err := planner.ParseQuery(qs)
	if err != nil {
		b.Fatal(err)
	}
	return q
}

// BenchmarkParseURL is the URL grammar parser on a typical query string.
func BenchmarkParseURL(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := planner.ParseQuery(benchQuery); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkShapeKey is the plan-cache key of a parsed query.
func BenchmarkShapeKey(b *testing.B) {
	q := mustParseQuery(b, benchQuery)
	key := make([]byte, 0, 256)
	r := benchRequest(q)
	b.ReportAllocs()
	for b.Loop() {
		key = planner.AppendKey(key[:0], r)
	}
}

// BenchmarkPlanCold plans a query against the real schema cache: what a
// plan-cache miss costs.
func BenchmarkPlanCold(b *testing.B) {
	sc := benchSchema(b)
	r := benchRequest(mustParseQuery(b, benchQuery))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := planner.New(r, sc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanCacheHit is the server's steady state before the database:
// parse into a reused Query, shape key, plan-cache lookup, bind the
// parameters into reused slices.
func BenchmarkPlanCacheHit(b *testing.B) {
	sc := benchSchema(b)
	plans := cache.NewBounded[*planner.Plan](4096)
	q := mustParseQuery(b, benchQuery)
	r := benchRequest(q)
	key := planner.AppendKey(nil, r)
	p, err := planner.New(r, sc)
	if err != nil {
		b.Fatal(err)
	}
	plans.Put(string(key), p)
	var args planner.Args
	b.ReportAllocs()
	for b.Loop() {
		if err := planner.ParseQueryInto(q, benchQuery); err != nil {
			b.Fatal(err)
		}
		key = planner.AppendKey(key[:0], r)
		p, ok := plans.Get(unsafe.String(unsafe.SliceData(key), len(key))) // as the server looks it up
		if !ok {
			b.Fatal("plan-cache miss")
		}
		p.Bind(&args, r)
	}
}

// benchHandler runs the server's handler in-process on one request.
func benchHandler(b *testing.B, uri string, headers ...string) {
	benchHandlerWith(b, nil, 200, uri, headers...)
}

// benchHandlerWith is benchHandler with edited options, expecting status
// want.
func benchHandlerWith(b *testing.B, edit func(*server.Options, *wire.Options), want int, uri string, headers ...string) {
	s := startServer(b, edit)
	var req fasthttp.Request
	req.SetRequestURI(uri)
	req.Header.SetMethod("GET")
	req.Header.SetHost("localhost")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	s.srv.Handle(&ctx) // warm: plan cached, statements prepared
	if ctx.Response.StatusCode() != want {
		b.Fatalf("%s: HTTP %d %s", uri, ctx.Response.StatusCode(), ctx.Response.Body())
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		s.srv.Handle(&ctx)
		if ctx.Response.StatusCode() != want {
			b.Fatalf("HTTP %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

// BenchmarkHandlerByKey is scenario 1's shape: one row by primary key,
// anonymous, plan-cache hit, one round trip to PostgreSQL.
func BenchmarkHandlerByKey(b *testing.B) {
	benchHandler(b, "/films?id=eq.4")
}

// BenchmarkHandlerByKeyJWT is the same with a JWT (the verification cache
// answers after the first request).
func BenchmarkHandlerByKeyJWT(b *testing.B) {
	benchHandler(b, "/films?id=eq.4", "Authorization", "Bearer "+token(b, map[string]any{"role": "web_anon"}))
}

// BenchmarkHandlerFiltered is scenario 2's shape.
func BenchmarkHandlerFiltered(b *testing.B) {
	benchHandler(b, "/films?"+benchQuery)
}

func etagOn(o *server.Options, _ *wire.Options) { o.ETag = true }

// BenchmarkHandlerByKeyETag and BenchmarkHandlerFilteredETag are the same
// with server-etag-enabled; ...NotModified answers 304 to If-None-Match.
func BenchmarkHandlerByKeyETag(b *testing.B) {
	benchHandlerWith(b, etagOn, 200, "/films?id=eq.4")
}

func BenchmarkHandlerFilteredETag(b *testing.B) {
	benchHandlerWith(b, etagOn, 200, "/films?"+benchQuery)
}

func BenchmarkHandlerFilteredNotModified(b *testing.B) {
	benchHandlerWith(b, etagOn, 304, "/films?"+benchQuery, "If-None-Match", "*")
}

// BenchmarkETag hashes a 130 KB body (scenario 7's size) into its ETag.
func BenchmarkETag(b *testing.B) {
	body := bytes.Repeat([]byte(`{"id":12345,"customer_id":678,"status":"delivered","total":123.45,"ordered_at":"2023-01-02T03:04:05+00:00","shipping_address":"1 Market St"},`), 1000)
	var tag []byte
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		tag = server.AppendETag(tag[:0], body)
	}
}

// BenchmarkWriteResponse serialises a response as the server leaves it to
// fasthttp: status, content type, Content-Range, a 130 KB JSON body
// (scenario 7's size).
func BenchmarkWriteResponse(b *testing.B) {
	body := bytes.Repeat([]byte(`{"id":12345,"customer_id":678,"status":"delivered","total":123.45,"ordered_at":"2023-01-02T03:04:05+00:00","shipping_address":"1 Market St"},`), 1000)
	var res fasthttp.Response
	w := bufio.NewWriterSize(io.Discard, 64<<10)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		res.Reset()
		res.SetStatusCode(200)
		res.Header.SetContentType("application/json; charset=utf-8")
		res.Header.Set("Content-Range", "0-999/*")
		res.SetBody(body)
		if err := res.Write(w); err != nil {
			b.Fatal(err)
		}
	}
}
