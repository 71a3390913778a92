package server_test

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

var timingRE = regexp.MustCompile(`^(\w+);dur=\d+\.\d$`)

// stagesOf returns the stage names of a Server-Timing header, checking
// each entry's form.
func stagesOf(t *testing.T, r response) string {
	t.Helper()
	h := r.Header.Get("Server-Timing")
	var names []string
	for _, e := range strings.Split(h, ", ") {
		m := timingRE.FindStringSubmatch(e)
		if m == nil {
			t.Fatalf("Server-Timing %q: bad entry %q", h, e)
		}
		names = append(names, m[1])
	}
	return strings.Join(names, " ")
}

// server-timing-enabled reports the stages a request went through.
func TestServerTiming(t *testing.T) {
	off := startServer(t, nil)
	if h := off.get(t, "/films?id=eq.1").Header.Get("Server-Timing"); h != "" {
		t.Fatalf("Server-Timing while disabled: %q", h)
	}
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.ServerTiming = true })
	all := "jwt parse plan transaction response"
	r := s.get(t, "/films?id=eq.1&select=title")
	expect(t, r, 200, `[{"title":"Duck Soup"}]`)
	if got := stagesOf(t, r); got != all {
		t.Fatalf("read: stages %q", got)
	}
	r = s.send(t, "POST", "/w_items", `{"id":961,"name":"timed"}`, jsonBody...)
	expect(t, r, 201, "")
	if got := stagesOf(t, r); got != all {
		t.Fatalf("write: stages %q", got)
	}
	// OPTIONS answers without the database.
	if got := stagesOf(t, s.do(t, "OPTIONS", "/films")); got != "jwt parse response" {
		t.Fatalf("OPTIONS: stages %q", got)
	}
	// A request that fails early still says how long it took.
	r = s.get(t, "/films?select=nope(")
	expectError(t, r, 400, "PGRST100")
	if got := stagesOf(t, r); got != "jwt response" {
		t.Fatalf("parse error: stages %q", got)
	}
}

// server-trace-header is echoed; log-query logs each request's SQL.
func TestTraceHeaderAndLogQuery(t *testing.T) {
	var mu sync.Mutex
	var logged bytes.Buffer
	log := zerolog.New(zerolog.SyncWriter(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}))).Level(zerolog.InfoLevel)
	s := startServerLogging(t, func(o *server.Options, _ *wire.Options) {
		o.TraceHeader = "X-Request-Id"
		o.LogQuery = true
	}, log)
	r := s.get(t, "/films?id=eq.1&select=title", "X-Request-Id", "abc-1")
	expect(t, r, 200, "")
	expectHeader(t, r, "X-Request-Id", "abc-1")
	r = s.get(t, "/films?id=eq.1")
	if _, ok := r.Header["X-Request-Id"]; ok {
		t.Fatal("trace header without one in the request")
	}
	mu.Lock()
	out := logged.String()
	mu.Unlock()
	if !strings.Contains(out, `"query":"WITH pgrst_source AS (SELECT \"api\".\"films\".\"title\"`) {
		t.Fatalf("query not logged: %s", out)
	}
	// The access line is PostgREST's (Apache's combined format).
	access := regexp.MustCompile(`"message":"127\.0\.0\.1 - web_anon \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] \\"GET /films\?id=eq\.1&select=title HTTP/1\.1\\" 200 23 \\"\\" \\"Go-http-client/1\.1\\""`)
	if !access.MatchString(out) {
		t.Fatalf("no access line: %s", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
