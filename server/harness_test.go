package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/rs/zerolog"

	"github.com/pgrst/pgrst/internal/jwttest"
	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/sql"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

const testSecret = "reallyreallyreallyreallyverysafe"

func TestMain(m *testing.M) {
	pgtest.Main(m, sql.MustRead("demo.sql"), sql.MustRead("test_fixture.sql"), sql.MustRead("test_embed.sql"), sql.MustRead("test_write.sql"), sql.MustRead("test_nested.sql"), sql.MustRead("test_call.sql"), sql.MustRead("test_openapi.sql"),
		sql.MustRead("test_security.sql"), sql.MustRead("test_auth.sql"))
}

// testServer is a pgrst server on a free port against the shared cluster.
type testServer struct {
	URL    string
	srv    *server.Server
	writes *atomic.Int64 // client → database writes, one per round trip
}

// startServer starts a server with the demo settings, changed by edit,
// with its schema cache loaded.
func startServer(t testing.TB, edit func(*server.Options, *wire.Options)) *testServer {
	t.Helper()
	return newTestServer(t, edit, true, zerolog.Nop())
}

// startServerLogging is startServer with the server's log.
func startServerLogging(t testing.TB, edit func(*server.Options, *wire.Options), log zerolog.Logger) *testServer {
	t.Helper()
	return newTestServer(t, edit, true, log)
}

// startServerWithoutDatabase starts a server whose database cannot be
// reached (nothing listens on port 1), so it never loads a schema cache.
func startServerWithoutDatabase(t testing.TB, acquireTimeout time.Duration) *testServer {
	t.Helper()
	return newTestServer(t, func(_ *server.Options, w *wire.Options) {
		w.URI = "postgres://nobody@127.0.0.1:1/postgres?connect_timeout=1"
		w.AcquireTimeout = acquireTimeout
	}, false, zerolog.Nop())
}

func newTestServer(t testing.TB, edit func(*server.Options, *wire.Options), loadSchema bool, log zerolog.Logger) *testServer {
	t.Helper()
	var writes atomic.Int64
	wo := wire.Options{
		URI:            pgtest.Shared().URI("authenticator", "postgres"),
		PoolSize:       4,
		AcquireTimeout: 5 * time.Second,
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: c, writes: &writes}, nil
		},
	}
	ao := auth.Options{Secret: []byte(testSecret), AnonRole: "web_anon", CacheEntries: 100}
	so := server.Options{Schemas: []string{"api"}, ExtraSearchPath: []string{"public"}, Version: "test"}
	if edit != nil {
		edit(&so, &wo)
	}
	if so.Auth == nil {
		v, err := auth.New(ao)
		if err != nil {
			t.Fatal(err)
		}
		so.Auth = v
	}
	pool, err := wire.Open(wo)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(pool, so, log)
	if loadSchema {
		if _, err := srv.LoadSchema(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(pool.Close) // runs after the server's shutdown (LIFO)
	url := serveOnFreePort(t, srv.Serve, srv.Shutdown)
	return &testServer{URL: url, srv: srv, writes: &writes}
}

// serveOnFreePort serves on a free loopback port until the test ends and
// returns the base URL.
func serveOnFreePort(t testing.TB, serve func(net.Listener) error, shutdown func(context.Context) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shutdown(ctx)
	})
	return "http://" + ln.Addr().String()
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// response is what a test looks at.
type response struct {
	Status int
	Header http.Header
	Body   string
}

// do sends a request; headers alternate name, value.
func (s *testServer) do(t testing.TB, method, path string, headers ...string) response {
	t.Helper()
	return s.send(t, method, path, "", headers...)
}

// send sends a request with a body (none when empty).
func (s *testServer) send(t testing.TB, method, path, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (s *testServer) get(t testing.TB, path string, headers ...string) response {
	t.Helper()
	return s.do(t, "GET", path, headers...)
}

// expect checks status and that the body is the JSON want (compared as
// values, so key order and spacing don't matter).
func expect(t testing.TB, r response, status int, want string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if want == "" {
		return
	}
	var got, exp any
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatalf("body is not JSON: %v: %q", err, r.Body)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad expectation %q: %v", want, err)
	}
	gb, _ := json.Marshal(got)
	eb, _ := json.Marshal(exp)
	if string(gb) != string(eb) {
		t.Fatalf("body\n got %s\nwant %s", gb, eb)
	}
}

// expectError checks status and PGRST/SQLSTATE code of an error body, and
// that all four keys are present.
func expectError(t testing.TB, r response, status int, code string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
		t.Fatalf("error body is not JSON: %q", r.Body)
	}
	for _, k := range []string{"code", "message", "details", "hint"} {
		if _, ok := body[k]; !ok {
			t.Fatalf("error body lacks %q: %s", k, r.Body)
		}
	}
	if body["code"] != code {
		t.Fatalf("code %v, want %s; body %s", body["code"], code, r.Body)
	}
	return body
}

// token signs claims with the test secret (HS256).
func token(t testing.TB, claims map[string]any) string {
	t.Helper()
	return jwttest.Sign(t, jwa.HS256, []byte(testSecret), "", claims)
}
