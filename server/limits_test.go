package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// expectPGRSTError checks a status and a PostgREST error body with code.
func expectPGRSTError(t *testing.T, what string, status int, body string, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d; body %s", what, status, wantStatus, clip(body))
		return
	}
	if err := cleanError(body); err != nil {
		t.Errorf("%s: %v: %s", what, err, clip(body))
		return
	}
	if !strings.Contains(body, `"code":"`+code+`"`) {
		t.Errorf("%s: code is not %s: %s", what, code, clip(body))
	}
}

// rawRequest writes text on a new connection to base and returns the
// status and body of the answer (status 0 when the server closed the
// connection without one). The answer is read while the request is
// written: the server may refuse a request before it has all of it.
func rawRequest(t *testing.T, base, text string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go io.WriteString(c, text)
	return readAnswer(c)
}

func readAnswer(c net.Conn) (int, string) {
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// Bodies: the limit is server-max-body-size, checked before the body is
// read whether its length is announced or chunked; the default lets
// bodies larger than fasthttp's own default (4 MiB) through.
func TestBodySizeLimit(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.MaxBodySize = 1024 })
	small := `{"name":"` + strings.Repeat("s", 900) + `"}`
	expect(t, s.send(t, "POST", "/inj", small, jsonBody...), 201, "")
	big := `{"name":"` + strings.Repeat("b", 2000) + `"}`
	r := s.send(t, "POST", "/inj", big, jsonBody...)
	expectPGRSTError(t, "announced length", r.Status, r.Body, 413, "PGRST102")
	if r.Body != "" && !strings.Contains(r.Body, "1024 bytes") {
		t.Errorf("the error does not name the limit: %s", r.Body)
	}
	status, body := rawRequest(t, s.URL, "POST /inj HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"+
		fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(big), big))
	expectPGRSTError(t, "chunked", status, body, 413, "PGRST102")
	// Announced, never sent: refused at once, not after a read timeout.
	status, body = rawRequest(t, s.URL, "POST /inj HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n")
	expectPGRSTError(t, "huge announced length", status, body, 413, "PGRST102")
	expect(t, s.get(t, "/inj?select=name&name=eq."+strings.Repeat("b", 2000)), 200, `[]`)

	// A CSV body's JSON repeats the header's names on every row: the same
	// limit bounds it, so a small body cannot expand without end.
	csvBody := []string{"Content-Type", "text/csv"}
	expect(t, s.send(t, "POST", "/inj", "name\ncsv fits\n", csvBody...), 201, "")
	expanding := strings.Repeat("h", 900) + "\n" + strings.Repeat("x\n", 60) // 1,021 bytes
	r = s.send(t, "POST", "/inj", expanding, csvBody...)
	expectPGRSTError(t, "expanding CSV", r.Status, r.Body, 413, "PGRST102")
	if !strings.Contains(r.Body, "JSON of the CSV body") {
		t.Errorf("the error does not say what is too large: %s", r.Body)
	}
	expect(t, s.get(t, "/inj?select=name&name=eq.csv%20fits"), 200, `[{"name":"csv fits"}]`)

	d := startServer(t, nil)
	rows := make([]string, 5)
	for i := range rows {
		rows[i] = `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
	}
	expect(t, d.send(t, "POST", "/inj", "["+strings.Join(rows, ",")+"]", jsonBody...), 201, "")
	expect(t, d.send(t, "DELETE", "/inj?name=like.xxxxx*", ""), 204, "")
}

// Request lines and headers past 16 KiB, and requests that are not
// HTTP, get PostgREST error bodies, on the API and the admin server.
func TestRequestLimits(t *testing.T) {
	s := startServer(t, nil)
	long := strings.Repeat("a", 20<<10)
	r := s.get(t, "/inj?name=eq."+long)
	expectPGRSTError(t, "long URL", r.Status, r.Body, 431, "PGRST100")
	r = s.get(t, "/inj", "X-Big", long)
	expectPGRSTError(t, "long header", r.Status, r.Body, 431, "PGRST100")
	r = s.get(t, "/inj", "Cookie", "a="+long)
	expectPGRSTError(t, "long cookie", r.Status, r.Body, 431, "PGRST100")
	many := make([]string, 0, 4000)
	for i := 0; i < 2000; i++ {
		many = append(many, fmt.Sprintf("X-H%d", i), "v")
	}
	r = s.get(t, "/inj", many...)
	expectPGRSTError(t, "many headers", r.Status, r.Body, 431, "PGRST100")
	for _, text := range []string{
		"GARBAGE\r\n\r\n",
		"GET\r\n\r\n",
		"GET /inj HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		"GET /inj HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
		"POST /inj HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	} {
		status, body := rawRequest(t, s.URL, text)
		expectPGRSTError(t, fmt.Sprintf("%q", text), status, body, 400, "PGRST100")
	}
	expect(t, s.get(t, "/inj?select=id&id=eq.1"), 200, `[{"id":1}]`)

	a := server.NewAdmin(s.srv, server.AdminOptions{})
	admin := serveOnFreePort(t, a.Serve, a.Shutdown)
	status, body := rawRequest(t, admin, "GET /live HTTP/1.1\r\nHost: x\r\nX-Big: "+long+"\r\n\r\n")
	expectPGRSTError(t, "admin: long header", status, body, 431, "PGRST100")
	status, body = rawRequest(t, admin, "GARBAGE\r\n\r\n")
	expectPGRSTError(t, "admin: garbage", status, body, 400, "PGRST100")
}

// The grammar's extremes: deep logic trees and embeds, many select
// items, huge limits and ranges, deeply nested JSON. Each gets an answer
// with a JSON body, never a crash, and the server goes on serving.
func TestGrammarLimits(t *testing.T) {
	s := startServer(t, nil)
	nest := func(n int, open, leaf, close string) string {
		return strings.Repeat(open, n) + leaf + strings.Repeat(close, n)
	}
	items := make([]string, 2000)
	for i := range items {
		items[i] = "id"
	}
	cases := []struct {
		name, method, path, body string
		headers                  []string
		status                   []int // acceptable statuses
	}{
		{"logic tree depth 100", "GET", "/inj?select=id&or=" + nest(100, "(or", "(id.eq.1,id.eq.2)", ")"), "", nil, []int{200}},
		{"logic tree depth 2000", "GET", "/inj?select=id&or=" + nest(2000, "(or", "(id.eq.1)", ")"), "", nil, []int{400}},
		{"not chain", "GET", "/inj?select=id&id=" + strings.Repeat("not.", 2000) + "eq.1", "", nil, []int{400}},
		{"embed depth 20", "GET", "/inj_child?select=id," + nest(10, "inj(id,inj_child(id,", "note", "))"), "", nil, []int{200}},
		{"embed depth 1000", "GET", "/inj_child?select=id," + nest(500, "inj(id,inj_child(id,", "note", "))"), "", nil, []int{400}},
		// PostgreSQL's limit (54011), 500 as in PostgREST.
		{"2000 select items", "GET", "/inj?select=" + strings.Join(items, ","), "", nil, []int{500}},
		{"1000 filters", "GET", "/inj?select=id" + strings.Repeat("&id=gt.0", 1000), "", nil, []int{200}},
		{"in list of 3000", "GET", "/inj?select=id&id=in.(" + strings.TrimSuffix(strings.Repeat("1,", 3000), ",") + ")", "", nil, []int{200}},
		// Numbers past int64 saturate: every row, or none.
		{"limit 10^20", "GET", "/inj?select=id&limit=99999999999999999999", "", nil, []int{200}},
		{"offset 10^20", "GET", "/inj?select=id&offset=99999999999999999999", "", nil, []int{200}},
		{"limit max int64", "GET", "/inj?select=id&limit=9223372036854775807&offset=9223372036854775807", "", nil, []int{200}},
		{"negative limit", "GET", "/inj?select=id&limit=-1", "", nil, []int{400, 416}},
		{"range 10^20", "GET", "/inj?select=id", "", []string{"Range", "0-99999999999999999999"}, []int{200, 206, 416}},
		{"range start 10^20", "GET", "/inj?select=id", "", []string{"Range", "99999999999999999999-"}, []int{200, 206, 416}},
		{"range max int64", "GET", "/inj?select=id", "", []string{"Range", "9223372036854775806-9223372036854775807"}, []int{200, 206, 416}},
		{"embedded limit 10^20", "GET", "/inj?select=id,inj_child(id)&inj_child.limit=99999999999999999999", "", nil, []int{200}},
		{"nested JSON 100000", "POST", "/inj", `{"name":"n","data":` + nest(100000, "[", "1", "]") + `}`, jsonBody, []int{400}},
		{"nested JSON array body", "POST", "/inj", nest(100000, "[", "{}", "]"), jsonBody, []int{400}},
		{"nested JSON rpc", "POST", "/rpc/inj_echo", `{"a":` + nest(100000, `{"a":`, "1", "}") + `}`, jsonBody, []int{400}},
		{"json path depth 1000", "GET", "/inj?select=data" + strings.Repeat("->a", 1000), "", nil, []int{200}},
	}
	for _, c := range cases {
		r := s.send(t, c.method, c.path, c.body, c.headers...)
		okStatus := false
		for _, st := range c.status {
			okStatus = okStatus || r.Status == st
		}
		if !okStatus {
			t.Errorf("%s: status %d, want one of %v: %s", c.name, r.Status, c.status, clip(r.Body))
			continue
		}
		if r.Status >= 400 {
			if err := cleanError(r.Body); err != nil {
				t.Errorf("%s: %v: %s", c.name, err, clip(r.Body))
			}
		}
	}
	expect(t, s.get(t, "/inj?select=id&id=eq.1"), 200, `[{"id":1}]`)
}

// Slow clients (slowloris) hit the read timeout and get 408; silent ones
// the same; neither holds a database connection, so other clients are
// served meanwhile, by a pool of one.
func TestSlowClients(t *testing.T) {
	wo := wire.Options{URI: pgtest.Shared().URI("authenticator", "postgres"), PoolSize: 1, AcquireTimeout: time.Second}
	pool, err := wire.Open(wo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	v, err := auth.New(auth.Options{Secret: []byte(testSecret), AnonRole: "web_anon"})
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(pool, server.Options{Schemas: []string{"api"}, ExtraSearchPath: []string{"public"}, Auth: v}, zerolog.Nop())
	if _, err := srv.LoadSchema(context.Background()); err != nil {
		t.Fatal(err)
	}
	const readTimeout = 500 * time.Millisecond
	srv.SetReadTimeouts(readTimeout, readTimeout)
	s := &testServer{URL: serveOnFreePort(t, srv.Serve, srv.Shutdown), srv: srv}
	addr := strings.TrimPrefix(s.URL, "http://")

	type outcome struct {
		status int
		body   string
		took   time.Duration
		drip   bool
	}
	var wg sync.WaitGroup
	outcomes := make(chan outcome, 16)
	slow := func(first string, drip bool) {
		defer wg.Done()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			outcomes <- outcome{body: err.Error(), drip: drip}
			return
		}
		defer c.Close()
		start := time.Now()
		c.SetDeadline(start.Add(10 * time.Second))
		io.WriteString(c, first)
		if drip {
			// One header byte every 100 ms, never the end of the headers.
			go func() {
				for i := 0; i < 100; i++ {
					time.Sleep(100 * time.Millisecond)
					if _, err := io.WriteString(c, "a"); err != nil {
						return
					}
				}
			}()
		}
		status, body := readAnswer(c)
		outcomes <- outcome{status, body, time.Since(start), drip}
	}
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go slow("GET /inj HTTP/1.1\r\nHost: x\r\nX-Slow: ", true)
		go slow("", false)
	}
	// Meanwhile, the one pooled connection serves others.
	for i := 0; i < 20; i++ {
		expect(t, s.get(t, "/inj?select=id&id=eq.1"), 200, `[{"id":1}]`)
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	close(outcomes)
	for o := range outcomes {
		if o.took > readTimeout+2*time.Second {
			t.Errorf("a slow client was held %v", o.took)
		}
		// A silent connection may also just be closed.
		if !o.drip && o.status == 0 && o.body == "EOF" {
			continue
		}
		expectPGRSTError(t, "slow client", o.status, o.body, 408, "PGRST100")
	}
}
