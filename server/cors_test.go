package server_test

import (
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

const (
	corsMethods = "GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD"
	corsExposed = "Content-Encoding, Content-Location, Content-Range, Content-Type, " +
		"Date, Location, Server, Transfer-Encoding, Range-Unit"
)

// expectPreflight checks a preflight answer: 200, empty body, the CORS
// headers of a preflight and nothing of the ordinary OPTIONS answer.
func expectPreflight(t *testing.T, r response, allowOrigin, allowHeaders string) {
	t.Helper()
	if r.Status != 200 || r.Body != "" {
		t.Fatalf("preflight: %d %q", r.Status, r.Body)
	}
	expectHeader(t, r, "Access-Control-Allow-Origin", allowOrigin)
	expectHeader(t, r, "Access-Control-Allow-Methods", corsMethods)
	expectHeader(t, r, "Access-Control-Max-Age", "86400")
	if allowHeaders == "" {
		expectNoHeader(t, r, "Access-Control-Allow-Headers")
	} else {
		expectHeader(t, r, "Access-Control-Allow-Headers", allowHeaders)
	}
	if allowOrigin == "*" {
		expectNoHeader(t, r, "Access-Control-Allow-Credentials")
	} else {
		expectHeader(t, r, "Access-Control-Allow-Credentials", "true")
	}
	if got := r.Header.Values("Access-Control-Allow-Origin"); len(got) != 1 {
		t.Errorf("Access-Control-Allow-Origin %q", got)
	}
	expectHeader(t, r, "Content-Length", "0")
	for _, h := range []string{"Allow", "Access-Control-Expose-Headers", "Vary", "Content-Type"} {
		expectNoHeader(t, r, h)
	}
}

// expectNoCORS checks that a response carries no CORS header but what
// the ordinary OPTIONS answer sends.
func expectNoCORS(t *testing.T, r response) {
	t.Helper()
	for _, h := range []string{"Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
		"Access-Control-Allow-Headers", "Access-Control-Max-Age", "Access-Control-Expose-Headers"} {
		expectNoHeader(t, r, h)
	}
}

func TestCORSPreflight(t *testing.T) {
	s := startServer(t, nil)
	pre := func(path string, headers ...string) response {
		return s.do(t, "OPTIONS", path, append([]string{"Origin", "http://example.com",
			"Access-Control-Request-Method", "POST"}, headers...)...)
	}

	expectPreflight(t, pre("/", "Accept", "*/*", "Access-Control-Request-Headers", "Foo,Bar"),
		"*", "Authorization, Foo, Bar, Accept, Accept-Language, Content-Language")
	expectPreflight(t, pre("/todos", "Access-Control-Request-Headers", "Content-Type"),
		"*", "Authorization, Content-Type, Accept, Accept-Language, Content-Language")
	// Requested names keep their case and order; a simple header already
	// requested (in any case) is not repeated.
	expectPreflight(t, pre("/todos", "Access-Control-Request-Headers", " accept ,X-Trace"),
		"*", "Authorization, accept, X-Trace, Accept-Language, Content-Language")
	expectPreflight(t, pre("/todos", "Access-Control-Request-Headers", ""),
		"*", "Authorization, Accept, Accept-Language, Content-Language")
	// No Access-Control-Request-Headers: no Access-Control-Allow-Headers.
	expectPreflight(t, pre("/todos"), "*", "")

	// Any path, answered before routing, authentication and the schema.
	for _, path := range []string{"/nope", "/rpc/nope", "/a/b", "/todos?select=bad("} {
		expectPreflight(t, pre(path), "*", "")
	}
	expectPreflight(t, pre("/todos", "Authorization", "Bearer not.a.token"), "*", "")
	for _, m := range []string{"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		expectPreflight(t, s.do(t, "OPTIONS", "/nope", "Origin", "http://example.com",
			"Access-Control-Request-Method", m), "*", "")
	}

	// Not a preflight: the plain OPTIONS answer, without the CORS headers.
	notPreflight := [][]string{
		{"Origin", "http://localhost:8000"}, // no Access-Control-Request-Method
		{"Origin", "http://example.com", "Access-Control-Request-Method", "TRACE"},
		{"Origin", "http://example.com", "Access-Control-Request-Method", "post"},
		{"Origin", "http://example.com", "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "X A"}, // not a header name
		{"Access-Control-Request-Method", "POST"}, // no Origin
	}
	for _, h := range notPreflight {
		r := s.do(t, "OPTIONS", "/todos", h...)
		if r.Status != 200 {
			t.Fatalf("%q: status %d", h, r.Status)
		}
		expectHeader(t, r, "Allow", "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE")
		expectHeader(t, r, "Access-Control-Allow-Origin", "*")
		expectNoCORS(t, r)
		r = s.do(t, "OPTIONS", "/nope", h...)
		expectError(t, r, 404, "PGRST205")
		expectNoHeader(t, r, "Access-Control-Allow-Origin")
		expectNoCORS(t, r)
	}
}

func TestCORSActualRequests(t *testing.T) {
	s := startServer(t, nil)
	origin := []string{"Origin", "http://example.com"}
	check := func(r response) {
		t.Helper()
		expectHeader(t, r, "Access-Control-Allow-Origin", "*")
		expectHeader(t, r, "Access-Control-Expose-Headers", corsExposed)
		expectNoHeader(t, r, "Access-Control-Allow-Credentials")
		expectNoHeader(t, r, "Access-Control-Allow-Methods")
		expectNoHeader(t, r, "Access-Control-Max-Age")
	}

	r := s.get(t, "/todos?select=id&id=eq.1", origin...)
	expect(t, r, 200, `[{"id":1}]`)
	check(r)
	expectHeader(t, r, "Vary", "Accept, Prefer, Range")
	r = s.do(t, "HEAD", "/todos", origin...)
	if r.Status != 200 {
		t.Fatalf("HEAD: %d", r.Status)
	}
	check(r)
	// An empty Origin header is an Origin header.
	check(s.get(t, "/todos?select=id&id=eq.1", "Origin", ""))

	// Errors carry them too, whatever stage failed.
	r = s.get(t, "/nope", origin...)
	expectError(t, r, 404, "PGRST205")
	check(r)
	r = s.get(t, "/todos?select=id", append(origin, "Authorization", "Bearer not.a.token")...)
	if r.Status != 401 {
		t.Fatalf("bad token: %d %s", r.Status, r.Body)
	}
	check(r)
	r = s.do(t, "TRACE", "/todos", origin...)
	if r.Status < 400 {
		t.Fatalf("TRACE: %d", r.Status)
	}
	check(r)

	// No Origin, no CORS headers.
	r = s.get(t, "/todos?select=id&id=eq.1")
	expect(t, r, 200, `[{"id":1}]`)
	expectNoHeader(t, r, "Access-Control-Allow-Origin")
	expectNoCORS(t, r)
	r = s.get(t, "/nope")
	expectNoHeader(t, r, "Access-Control-Allow-Origin")
	expectNoCORS(t, r)
	// A WebSocket upgrade is left alone.
	r = s.get(t, "/todos?select=id&id=eq.1", append(origin, "Upgrade", "websocket", "Connection", "Upgrade")...)
	expectNoHeader(t, r, "Access-Control-Allow-Origin")
	expectNoCORS(t, r)
}

func TestCORSAllowedOrigins(t *testing.T) {
	var opts *server.Options
	s := startServer(t, func(o *server.Options, _ *wire.Options) {
		o.CORSAllowedOrigins = " http://example.com ,http://example2.com"
		opts = o
	})
	listed := func(origin string) {
		t.Helper()
		expectPreflight(t, s.do(t, "OPTIONS", "/todos", "Origin", origin,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "Content-Type"),
			origin, "Authorization, Content-Type, Accept, Accept-Language, Content-Language")
		expectPreflight(t, s.do(t, "OPTIONS", "/nope", "Origin", origin,
			"Access-Control-Request-Method", "GET"), origin, "")
		for _, path := range []string{"/todos?select=id&id=eq.1", "/nope"} {
			r := s.get(t, path, "Origin", origin)
			expectHeader(t, r, "Access-Control-Allow-Origin", origin)
			expectHeader(t, r, "Access-Control-Allow-Credentials", "true")
			expectHeader(t, r, "Access-Control-Expose-Headers", corsExposed)
		}
	}
	unlisted := func(origin string) {
		t.Helper()
		r := s.get(t, "/todos?select=id&id=eq.1", "Origin", origin)
		expect(t, r, 200, `[{"id":1}]`)
		expectNoHeader(t, r, "Access-Control-Allow-Origin")
		expectNoCORS(t, r)
		// Its preflight is an ordinary OPTIONS request.
		r = s.do(t, "OPTIONS", "/todos", "Origin", origin, "Access-Control-Request-Method", "POST")
		expectHeader(t, r, "Allow", "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE")
		expectHeader(t, r, "Access-Control-Allow-Origin", "*")
		expectNoCORS(t, r)
		r = s.do(t, "OPTIONS", "/nope", "Origin", origin, "Access-Control-Request-Method", "POST")
		expectError(t, r, 404, "PGRST205")
		expectNoCORS(t, r)
	}
	listed("http://example.com")
	listed("http://example2.com")
	unlisted("http://invalid.com")
	unlisted("http://EXAMPLE.com") // compared byte for byte
	unlisted("http://example.com/")
	unlisted("")

	// The list is live: a new configuration takes effect at once.
	o := *opts
	o.CORSAllowedOrigins = "http://invalid.com"
	s.srv.SetOptions(o)
	listed("http://invalid.com")
	unlisted("http://example.com")
	o.CORSAllowedOrigins = ""
	s.srv.SetOptions(o)
	expectPreflight(t, s.do(t, "OPTIONS", "/todos", "Origin", "http://example.com",
		"Access-Control-Request-Method", "POST"), "*", "")
}
