package server_test

import (
	"strings"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// expectHeader checks one response header.
func expectHeader(t testing.TB, r response, name, want string) {
	t.Helper()
	if got := r.Header.Get(name); got != want {
		t.Errorf("%s: got %q, want %q (status %d, body %s)", name, got, want, r.Status, r.Body)
	}
}

// expectNoHeader checks that a response lacks a header.
func expectNoHeader(t testing.TB, r response, name string) {
	t.Helper()
	if v, ok := r.Header[name]; ok {
		t.Errorf("unexpected %s: %q", name, v)
	}
}

func TestCountExact(t *testing.T) {
	s := startServer(t, nil)
	exact := []string{"Prefer", "count=exact"}

	r := s.get(t, "/todos?select=id&order=id", exact...)
	expect(t, r, 200, `[{"id":1},{"id":2},{"id":3},{"id":4}]`)
	expectHeader(t, r, "Content-Range", "0-3/4")
	expectHeader(t, r, "Preference-Applied", "count=exact")

	// A page smaller than the total is partial content.
	r = s.get(t, "/todos?select=id&order=id&limit=2&offset=1", exact...)
	expect(t, r, 206, `[{"id":2},{"id":3}]`)
	expectHeader(t, r, "Content-Range", "1-2/4")

	// The count honours the filters, not the limit.
	r = s.get(t, "/todos?select=id&order=id&done=is.false&limit=1", exact...)
	expect(t, r, 206, `[{"id":2}]`)
	expectHeader(t, r, "Content-Range", "0-0/3")
	r = s.get(t, "/todos?select=id&or=(id.eq.1,id.eq.4)&limit=1&order=id", exact...)
	expect(t, r, 206, `[{"id":1}]`)
	expectHeader(t, r, "Content-Range", "0-0/2")

	// An offset at the total is an empty page; past it, 416.
	r = s.get(t, "/todos?offset=4", exact...)
	expect(t, r, 206, `[]`)
	expectHeader(t, r, "Content-Range", "*/4")
	r = s.get(t, "/todos?offset=5", exact...)
	body := expectError(t, r, 416, "PGRST103")
	if body["details"] != "An offset of 5 was requested, but there are only 4 rows." ||
		body["message"] != "Requested range not satisfiable" {
		t.Errorf("416 body %v", body)
	}
	expectHeader(t, r, "Content-Range", "*/4")

	// Nothing selected.
	r = s.get(t, "/todos?id=gt.100", exact...)
	expect(t, r, 200, `[]`)
	expectHeader(t, r, "Content-Range", "*/0")
	r = s.get(t, "/todos?id=gt.100&offset=1", exact...)
	expectError(t, r, 416, "PGRST103")
	expectHeader(t, r, "Content-Range", "*/0")

	// HEAD counts without a body.
	r = s.do(t, "HEAD", "/todos?limit=1", exact...)
	if r.Status != 206 || r.Body != "" {
		t.Fatalf("HEAD: %d %q", r.Status, r.Body)
	}
	expectHeader(t, r, "Content-Range", "0-0/4")

	// Without Prefer: count the total is unknown.
	r = s.get(t, "/todos?limit=1")
	expect(t, r, 200, "")
	expectHeader(t, r, "Content-Range", "0-0/*")
	expectNoHeader(t, r, "Preference-Applied")
}

func TestCountWithMaxRows(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.MaxRows = 2 })
	r := s.get(t, "/todos?select=id&order=id", "Prefer", "count=exact")
	expect(t, r, 206, `[{"id":1},{"id":2}]`)
	expectHeader(t, r, "Content-Range", "0-1/4")

	// count=estimated below the cap is exact.
	s = startServer(t, func(o *server.Options, _ *wire.Options) { o.MaxRows = 100 })
	r = s.get(t, "/todos?select=id&order=id&limit=1", "Prefer", "count=estimated")
	expect(t, r, 206, `[{"id":1}]`)
	expectHeader(t, r, "Content-Range", "0-0/4")
	expectHeader(t, r, "Preference-Applied", "count=estimated")
	// Above it, the planner's estimate (numbers is analyzed: 1000 rows).
	r = s.get(t, "/numbers?order=n&limit=2", "Prefer", "count=estimated")
	expect(t, r, 206, `[{"n":1},{"n":2}]`)
	expectHeader(t, r, "Content-Range", "0-1/1000")
}

func TestCountPlanned(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/numbers?order=n&limit=3", "Prefer", "count=planned")
	expect(t, r, 206, `[{"n":1},{"n":2},{"n":3}]`)
	expectHeader(t, r, "Content-Range", "0-2/1000")
	expectHeader(t, r, "Preference-Applied", "count=planned")

	// Filter values are bound in the EXPLAIN too; the estimate is PostgreSQL's.
	r = s.get(t, "/numbers?n=lte.10&order=n&limit=1", "Prefer", "count=planned")
	if r.Status != 206 && r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if cr := r.Header.Get("Content-Range"); !strings.HasPrefix(cr, "0-0/") || strings.HasSuffix(cr, "/*") {
		t.Errorf("Content-Range %q", cr)
	}
	// Without db-max-rows, estimated is the larger of exact and planned.
	r = s.get(t, "/numbers?order=n&limit=1", "Prefer", "count=estimated")
	expect(t, r, 206, `[{"n":1}]`)
	expectHeader(t, r, "Content-Range", "0-0/1000")
}

func TestRangeHeader(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/todos?select=id&order=id", "Range", "0-1")
	expect(t, r, 200, `[{"id":1},{"id":2}]`)
	expectHeader(t, r, "Content-Range", "0-1/*")

	r = s.get(t, "/todos?select=id&order=id", "Range-Unit", "items", "Range", "0-1", "Prefer", "count=exact")
	expect(t, r, 206, `[{"id":1},{"id":2}]`)
	expectHeader(t, r, "Content-Range", "0-1/4")

	r = s.get(t, "/todos?select=id&order=id", "Range", "2-")
	expect(t, r, 200, `[{"id":3},{"id":4}]`)
	expectHeader(t, r, "Content-Range", "2-3/*")

	// Beyond the end: truncated.
	r = s.get(t, "/todos?select=id&order=id", "Range", "3-100")
	expect(t, r, 200, `[{"id":4}]`)
	expectHeader(t, r, "Content-Range", "3-3/*")

	// The header and limit/offset intersect.
	r = s.get(t, "/todos?select=id&order=id&limit=2", "Range", "1-3")
	expect(t, r, 200, `[{"id":2}]`)
	expectHeader(t, r, "Content-Range", "1-1/*")
	r = s.get(t, "/todos?select=id&order=id&offset=1", "Range", "0-1")
	expect(t, r, 200, `[{"id":2}]`)

	// limit=0 wins.
	r = s.get(t, "/todos?limit=0", "Range", "1-2")
	expect(t, r, 200, `[]`)
	expectHeader(t, r, "Content-Range", "*/*")

	body := expectError(t, s.get(t, "/todos", "Range", "2-1"), 416, "PGRST103")
	if body["details"] != "The lower boundary must be lower than or equal to the upper boundary in the Range header." {
		t.Errorf("details %v", body["details"])
	}
	body = expectError(t, s.get(t, "/todos?limit=1&offset=5", "Range", "0-1"), 416, "PGRST103")
	if body["details"] != "Limit should be greater than or equal to zero." {
		t.Errorf("details %v", body["details"])
	}

	// Malformed headers are ignored, and so is Range on HEAD.
	for _, h := range []string{"items=0-1", "-1", "a-b", "1-2-3", ""} {
		r = s.get(t, "/todos?select=id&order=id", "Range", h)
		expectHeader(t, r, "Content-Range", "0-3/*")
	}
	r = s.do(t, "HEAD", "/todos", "Range", "0-0")
	expectHeader(t, r, "Content-Range", "0-3/*")
}

func TestPreferences(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/todos?select=id&id=eq.1", "Prefer", "handling=lenient, count=exact", "Prefer", "timezone=UTC, return=representation")
	expect(t, r, 200, `[{"id":1}]`)
	// Reads echo count, handling and timezone, in PostgREST's order.
	expectHeader(t, r, "Preference-Applied", "count=exact, handling=lenient, timezone=UTC")

	// The first of each kind wins.
	r = s.get(t, "/todos?limit=1", "Prefer", "count=planned,count=exact")
	expectHeader(t, r, "Preference-Applied", "count=planned")

	// Unknown preferences are ignored unless handling=strict.
	r = s.get(t, "/todos?id=eq.1&select=id", "Prefer", "anything, count=whatever")
	expect(t, r, 200, `[{"id":1}]`)
	expectNoHeader(t, r, "Preference-Applied")

	body := expectError(t, s.get(t, "/todos", "Prefer", "handling=strict, anything"), 400, "PGRST122")
	if body["message"] != "Invalid preferences given with handling=strict" || body["details"] != "Invalid preferences: anything" {
		t.Errorf("body %v", body)
	}
	body = expectError(t, s.get(t, "/todos", "Prefer", "handling=strict", "Prefer", "something, else"), 400, "PGRST122")
	if body["details"] != "Invalid preferences: something, else" {
		t.Errorf("details %v", body["details"])
	}
	// Every known preference is valid under strict, on reads too.
	r = s.get(t, "/todos?id=eq.1&select=id", "Prefer",
		"handling=strict, return=minimal, resolution=merge-duplicates, missing=default, tx=commit, max-affected=5, timezone=UTC, count=exact")
	expect(t, r, 200, `[{"id":1}]`)
	expectHeader(t, r, "Preference-Applied", "count=exact, handling=strict, timezone=UTC")

	// timezone= sets the session time zone.
	r = s.get(t, "/todos?select=due&id=eq.3", "Prefer", "timezone=America/Los_Angeles")
	expect(t, r, 200, `[{"due":"2030-01-01T01:00:00-08:00"}]`)
	expectHeader(t, r, "Preference-Applied", "timezone=America/Los_Angeles")
	body = expectError(t, s.get(t, "/todos", "Prefer", "timezone=Invalid/Timezone"), 400, "22023")
	if body["message"] != `invalid value for parameter "TimeZone": "Invalid/Timezone"` {
		t.Errorf("message %v", body["message"])
	}
}

func TestAcceptProfile(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.Schemas = []string{"api", "api_v2"} })

	// The first schema is the default, and is named with several schemas.
	r := s.get(t, "/todos?select=id&id=eq.1")
	expect(t, r, 200, `[{"id":1}]`)
	expectHeader(t, r, "Content-Profile", "api")

	r = s.get(t, "/todos?order=id", "Accept-Profile", "api_v2")
	expect(t, r, 200, `[{"id":1,"title":"v2 first"},{"id":2,"title":"v2 second"}]`)
	expectHeader(t, r, "Content-Profile", "api_v2")
	r = s.do(t, "HEAD", "/only_v2", "Accept-Profile", "api_v2")
	if r.Status != 200 {
		t.Errorf("HEAD: %d", r.Status)
	}
	expectHeader(t, r, "Content-Profile", "api_v2")

	// The profile's schema leads the search path.
	expect(t, s.get(t, "/settings", "Accept-Profile", "api_v2"), 200, `[{"search_path":"\"api_v2\", \"public\""}]`)

	body := expectError(t, s.get(t, "/todos", "Accept-Profile", "unknown"), 406, "PGRST106")
	if body["message"] != "Invalid schema: unknown" || body["hint"] != "Only the following schemas are exposed: api, api_v2" {
		t.Errorf("body %v", body)
	}
	expectError(t, s.do(t, "OPTIONS", "/todos", "Accept-Profile", "unknown"), 406, "PGRST106")
	body = expectError(t, s.get(t, "/only_v2"), 404, "PGRST205")
	if body["message"] != "Could not find the table 'api.only_v2' in the schema cache" {
		t.Errorf("message %v", body["message"])
	}

	// One schema: no Content-Profile unless the client asked for it.
	one := startServer(t, nil)
	expectNoHeader(t, one.get(t, "/todos?limit=1"), "Content-Profile")
	expectHeader(t, one.get(t, "/todos?limit=1", "Accept-Profile", "api"), "Content-Profile", "api")
	expectError(t, one.get(t, "/todos", "Accept-Profile", "api_v2"), 406, "PGRST106")
}

func TestOptions(t *testing.T) {
	s := startServer(t, nil)
	r := s.do(t, "OPTIONS", "/todos")
	if r.Status != 200 || r.Body != "" {
		t.Fatalf("OPTIONS: %d %q", r.Status, r.Body)
	}
	expectHeader(t, r, "Allow", "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE")
	expectHeader(t, r, "Access-Control-Allow-Origin", "*")
	expectNoHeader(t, r, "Content-Type")
	expectHeader(t, s.do(t, "OPTIONS", "/todo_counts"), "Allow", "OPTIONS,GET,HEAD")
	expectHeader(t, s.do(t, "OPTIONS", "/film_summary"), "Allow", "OPTIONS,GET,HEAD")
	expectHeader(t, s.do(t, "OPTIONS", "/"), "Allow", "OPTIONS,GET,HEAD")
	expectError(t, s.do(t, "OPTIONS", "/nope"), 404, "PGRST205")
}

func TestContentLocation(t *testing.T) {
	s := startServer(t, nil)
	expectHeader(t, s.get(t, "/todos"), "Content-Location", "/todos")
	expectHeader(t, s.get(t, "/todos?select=id&order=id&id=gt.1"), "Content-Location", "/todos?id=gt.1&order=id&select=id")
	expectHeader(t, s.get(t, "/todos?task=eq.a%20b&select=id,task"), "Content-Location", "/todos?select=id%2Ctask&task=eq.a%20b")
	// Repeated keys keep their order, joined by commas; a bare key has "=".
	expectHeader(t, s.get(t, "/todos?id=lt.4&done&id=gt.1"), "Content-Location", "/todos?done=&id=lt.4,gt.1")
	expectHeader(t, s.do(t, "HEAD", "/todos?limit=1"), "Content-Location", "/todos?limit=1")
}

// Every malformed piece of the URL grammar is 400 PGRST100 with a message
// and details saying what was expected where.
func TestMalformedGrammar(t *testing.T) {
	s := startServer(t, nil)
	cases := []string{
		"select=id,",
		"select=id::",
		"select=task->",
		"select=id,,task",
		"select=*,count(",
		"select=a:b:c",
		"id=eq",
		"id=xx.1",
		"id=not.",
		"id=in.1,2",
		"id=in.(1,2",
		"id=is.maybe",
		"id=like(some).x",
		"task=fts(english.x",
		"or=(id.eq.1",
		"or=(id.eq.1,)",
		"or=()",
		"and=(id.eq.1,or(id.eq.2)",
		"not.or=(id.eqq.1)",
		"or=(id.eq.1,and(done.is.maybe))",
		"order=id.up",
		"order=id.asc.nullsmiddle",
		"order=id,",
		"order=id.desc.nullsfirst.x",
		"id=is().value",
		"or=(id.in.1,2,id.eq.3)",
		"or=)(",
		"select=data->(x",
	}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			body := expectError(t, s.get(t, "/todos?"+c), 400, "PGRST100")
			msg, _ := body["message"].(string)
			details, _ := body["details"].(string)
			if msg == "" || details == "" {
				t.Errorf("message %q details %q", msg, details)
			}
		})
	}
}

// Requests that differ only in values (filters, limit, offset, the JWT)
// share one cached plan; a new shape or a new schema cache misses.
func TestPlanCacheCounters(t *testing.T) {
	s := startServer(t, nil)
	h0, m0 := s.srv.PlanCacheStats()
	expect(t, s.get(t, "/todos?select=id&id=eq.1&limit=1&offset=0"), 200, `[{"id":1}]`)
	expect(t, s.get(t, "/todos?select=id&id=eq.2&limit=5&offset=0"), 200, `[{"id":2}]`)
	tok := token(t, map[string]any{"role": "todo_user"})
	expect(t, s.get(t, "/todos?select=id&id=eq.3&limit=2&offset=0", bearer(tok)...), 200, `[{"id":3}]`)
	h, m := s.srv.PlanCacheStats()
	if h-h0 != 2 || m-m0 != 1 {
		t.Fatalf("hits %d misses %d, want 2 and 1", h-h0, m-m0)
	}
	// Another shape (an order), another media type or count mode: misses.
	s.get(t, "/todos?select=id&id=eq.1&limit=1&offset=0&order=id")
	s.get(t, "/todos?select=id&id=eq.1&limit=1&offset=0", "Accept", "text/csv")
	s.get(t, "/todos?select=id&id=eq.1&limit=1&offset=0", "Prefer", "count=exact")
	if h2, m2 := s.srv.PlanCacheStats(); h2 != h || m2-m != 3 {
		t.Fatalf("hits +%d misses +%d, want +0 and +3", h2-h, m2-m)
	}
	// A new schema cache drops every plan.
	s.srv.SetSchema(s.srv.Schema())
	_, m = s.srv.PlanCacheStats()
	expect(t, s.get(t, "/todos?select=id&id=eq.4&limit=1&offset=0"), 200, `[{"id":4}]`)
	if _, m2 := s.srv.PlanCacheStats(); m2-m != 1 {
		t.Fatalf("after SetSchema: misses +%d, want +1", m2-m)
	}
}
