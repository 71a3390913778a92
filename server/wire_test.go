package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// In the steady state a request is one network round trip: the client
// writes to the database once (the whole pipelined batch) per request.
func TestOneRoundTrip(t *testing.T) {
	s := startServer(t, func(_ *server.Options, w *wire.Options) { w.PoolSize = 1 })
	tok := token(t, map[string]any{"role": "todo_user"})
	for i := 0; i < 3; i++ { // prepare the statements on the connection
		expect(t, s.get(t, "/todos?select=id&id=eq.1", bearer(tok)...), 200, `[{"id":1}]`)
	}
	before := s.writes.Load()
	const n = 20
	for i := 0; i < n; i++ {
		s.get(t, "/todos?select=id&id=eq.2", bearer(tok)...)
	}
	if got := s.writes.Load() - before; got != n {
		t.Fatalf("%d requests made %d writes to the database, want %d", n, got, n)
	}

	// A planned count adds an EXPLAIN to the same pipeline.
	planned := []string{"Prefer", "count=planned"}
	for i := 0; i < 3; i++ {
		s.get(t, "/todos?select=id&id=gt.1", planned...)
	}
	before = s.writes.Load()
	for i := 0; i < n; i++ {
		r := s.get(t, "/todos?select=id&id=gt.2", planned...)
		if cr := r.Header.Get("Content-Range"); !strings.HasPrefix(cr, "0-1/") || strings.HasSuffix(cr, "/*") {
			t.Fatalf("planned count: Content-Range %q", cr)
		}
	}
	if got := s.writes.Load() - before; got != n {
		t.Fatalf("%d planned-count requests made %d writes to the database, want %d", n, got, n)
	}
}

// With the database unreachable the server answers 503, never hangs or crashes.
func TestDatabaseDown(t *testing.T) {
	s := startServerWithoutDatabase(t, 2*time.Second)
	r := s.get(t, "/todos")
	expectError(t, r, 503, "PGRST002")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

// Request headers beyond fasthttp's default 4 KiB buffer (a JWT with many
// claims, a long select) are served.
func TestLargeRequestHeaders(t *testing.T) {
	s := startServer(t, nil)
	long := strings.Repeat("x", 9000)
	expect(t, s.get(t, "/todos?select=id&id=eq.1", "X-Long", long), 200, `[{"id":1}]`)
}

// db-prepared-statements = false: the same requests, every statement
// unnamed (what PgBouncer's transaction mode needs).
func TestUnpreparedStatements(t *testing.T) {
	s := startServer(t, func(_ *server.Options, w *wire.Options) { w.NoPreparedStatements = true })
	for range 2 {
		expect(t, s.get(t, "/films?id=lt.3&select=title,directors(last_name)&order=id"), 200,
			`[{"title":"Duck Soup","directors":{"last_name":"McCarey"}},{"title":"A Night at the Opera","directors":{"last_name":"Wood"}}]`)
		expect(t, s.get(t, "/rpc/add_them?a=2&b=3"), 200, `5`)
	}
	r := s.send(t, "POST", "/w_items?select=id", `{"id":971,"name":"unprepared"}`, with(jsonBody, "Prefer", "return=representation")...)
	expect(t, r, 201, `[{"id":971}]`)
}
