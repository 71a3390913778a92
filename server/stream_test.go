package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// streamFixture creates the relations the streaming tests read: a json
// column whose text has line breaks, a view whose rows come slowly (each
// one sleeps; each is larger than the 8 KB PostgreSQL gathers before it
// sends), and one that fails after its first rows.
func streamFixture(t *testing.T) {
	t.Helper()
	if err := pgtest.Shared().Exec(context.Background(), `
	  create table if not exists api.stream_docs (id int primary key, doc json, note text);
	  truncate api.stream_docs;
	  insert into api.stream_docs values (1, E'{\n  "a": [1,\n 2]\n}', E'x\ny'), (2, null, ''), (3, '"s"', 'a "b" (c), \\d');
	  create or replace view api.stream_slow as
	    select g as id, pg_sleep(0.1)::text || repeat('x', 9000) as pad from generate_series(1, 100) g;
	  create or replace view api.stream_stall as
	    select g as id, pg_sleep(case when g < 4 then 0 else 60 end)::text || repeat('x', 9000) as pad
	    from generate_series(1, 4) g;
	  create or replace view api.stream_big as
	    select a * 10000 + b as id, repeat('x', 200) as pad from generate_series(1, 1000) a, generate_series(1, 10000) b;
	  create or replace view api.stream_fail as
	    select g as id, 100 / (5000 - g) as q from generate_series(1, 10000) g;
	  grant select on api.stream_docs, api.stream_slow, api.stream_stall, api.stream_big, api.stream_fail to web_anon;`); err != nil {
		t.Fatal(err)
	}
}

// A streamed JSON array or CSV has exactly the bytes of the aggregated
// body, chunked, without Content-Range; NDJSON has the array's objects,
// one per line.
func TestStreamSameBytes(t *testing.T) {
	streamFixture(t)
	s := startServer(t, nil)
	paths := []string{
		"/stream_docs?order=id",
		"/stream_docs?id=eq.-1",
		"/formats?order=id",
		"/films?select=id,title,director:directors(last_name)&order=id.desc&limit=3",
		"/films?select=title,roles(character)&id=lt.4&order=id",
		"/rpc/films_since?y=1990&order=id",
	}
	for _, p := range paths {
		for _, accept := range []string{"application/json", "text/csv"} {
			plain := s.get(t, p, "Accept", accept)
			streamed := s.get(t, p, "Accept", accept, "Prefer", "stream")
			if plain.Status != 200 || streamed.Status != 200 {
				t.Fatalf("%s %s: status %d / %d: %s", p, accept, plain.Status, streamed.Status, streamed.Body)
			}
			if streamed.Body != plain.Body {
				t.Errorf("%s %s: streamed body\n%q\nwant\n%q", p, accept, streamed.Body, plain.Body)
			}
			if got := streamed.Header.Get("Preference-Applied"); got != "stream" {
				t.Errorf("%s %s: Preference-Applied %q", p, accept, got)
			}
			if streamed.Header.Get("Content-Range") != "" || streamed.Header.Get("Content-Type") != plain.Header.Get("Content-Type") {
				t.Errorf("%s %s: headers %v", p, accept, streamed.Header)
			}
		}
		plain := s.get(t, p)
		nd := s.get(t, p, "Accept", "application/x-ndjson")
		if nd.Status != 200 || nd.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("%s ndjson: %d %v %s", p, nd.Status, nd.Header, nd.Body)
		}
		var rows []json.RawMessage
		if err := json.Unmarshal([]byte(plain.Body), &rows); err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(nd.Body, "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		if len(lines) != len(rows) {
			t.Fatalf("%s: %d lines for %d rows: %q", p, len(lines), len(rows), nd.Body)
		}
		for i, l := range lines {
			if !strings.HasSuffix(l, "\n") || strings.Count(l, "\n") != 1 {
				t.Fatalf("%s: line %d %q", p, i, l)
			}
			if a, b := compactJSON(t, l), compactJSON(t, string(rows[i])); a != b {
				t.Errorf("%s: line %d %s, want %s", p, i, a, b)
			}
		}
	}
	// A function's values, one per line.
	nd := s.get(t, "/rpc/numbers?n=3", "Accept", "application/x-ndjson")
	if nd.Status != 200 || nd.Body != "1\n2\n3\n" {
		t.Fatalf("setof int: %d %q", nd.Status, nd.Body)
	}
}

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %q", s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// What cannot stream says so, or is answered whole: NDJSON of a
// function's single value is 406, Prefer: stream on a singular media
// type is not applied, HEAD sends no body.
func TestStreamNotApplicable(t *testing.T) {
	s := startServer(t, nil)
	expectError(t, s.get(t, "/rpc/add_them?a=1&b=2", "Accept", "application/x-ndjson"), 406, "PGRST107")
	r := s.get(t, "/films?id=eq.1", "Accept", "application/vnd.pgrst.object+json", "Prefer", "stream")
	if r.Status != 200 || r.Header.Get("Preference-Applied") != "" || r.Header.Get("Content-Range") == "" {
		t.Fatalf("object: %d %v", r.Status, r.Header)
	}
	r = s.do(t, "HEAD", "/films", "Accept", "application/x-ndjson")
	if r.Status != 200 || r.Body != "" {
		t.Fatalf("HEAD: %d %q", r.Status, r.Body)
	}
}

// An error before the first row is an ordinary error response; one after
// it ends the stream so that the client sees an incomplete body.
func TestStreamErrors(t *testing.T) {
	streamFixture(t)
	s := startServer(t, nil)
	expectError(t, s.get(t, "/films?select=nope", "Accept", "application/x-ndjson"), 400, "42703")
	expectError(t, s.get(t, "/stream_fail?id=gt.4999", "Accept", "application/x-ndjson"), 400, "22012")

	req, _ := http.NewRequest("GET", s.URL+"/stream_fail", nil)
	req.Header.Set("Accept", "application/x-ndjson")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	b, err := io.ReadAll(res.Body)
	if err == nil {
		t.Fatalf("a stream that failed after %d bytes ended as if complete", len(b))
	}
	if !strings.HasPrefix(string(b), `{"id":1,"q":0}`+"\n") {
		t.Fatalf("body starts %.40q", b)
	}
	// The pool's connection is sound afterwards.
	expect(t, s.get(t, "/films?select=id&id=eq.1"), 200, `[{"id":1}]`)
}

// The first rows reach the client while the statement still runs: the
// server never holds the whole body.
func TestStreamFirstRowsEarly(t *testing.T) {
	streamFixture(t)
	s := startServer(t, nil)
	for _, h := range [][2]string{{"application/x-ndjson", ""}, {"text/csv", "stream"}, {"application/json", "stream"}} {
		req, _ := http.NewRequest("GET", s.URL+"/stream_slow", nil)
		req.Header.Set("Accept", h[0])
		if h[1] != "" {
			req.Header.Set("Prefer", h[1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(res.Body).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if n := activeStatements(t, "stream_slow"); n != 1 {
			t.Fatalf("%s: first line %q read, but %d statements still run", h[0], line, n)
		}
		res.Body.Close() // the client goes away
		waitNoActive(t, "stream_slow")
	}
}

// A client that disconnects mid-stream cancels the statement and frees
// the pool's connection: with a pool of one, the next request is served.
// The statement may be computing (the slow view sleeps between rows, the
// stalled one a minute before its fourth row: it writes nothing that
// would notice the client's absence, and only a cancel stops it) or
// blocked sending rows the client no longer reads (ten million rows of
// the big view).
func TestStreamClientDisconnects(t *testing.T) {
	streamFixture(t)
	s := startServer(t, func(_ *server.Options, w *wire.Options) {
		w.PoolSize = 1
		w.AcquireTimeout = 3 * time.Second
	})
	for _, view := range []string{"stream_slow", "stream_stall", "stream_big", "stream_slow", "stream_big"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, "GET /"+view+" HTTP/1.1\r\nHost: x\r\nAccept: application/x-ndjson\r\n\r\n")
		br := bufio.NewReader(conn)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(l, `{"id":1`) {
				break
			}
		}
		if view != "stream_slow" {
			time.Sleep(200 * time.Millisecond) // the socket buffers fill up, the stall begins
		}
		if n := activeStatements(t, view); n != 1 {
			t.Fatalf("%s: %d statements run before the client went away", view, n)
		}
		conn.Close()
		waitNoActive(t, view)
		expect(t, s.get(t, "/films?select=id&id=eq.2"), 200, `[{"id":2}]`)
	}
}

// activeStatements counts the backends running a statement on view.
func activeStatements(t *testing.T, view string) int {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pgtest.Shared().URI("postgres", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, `select count(*) from pg_stat_activity
	  where state = 'active' and query like '%' || $1 || '%' and pid <> pg_backend_pid()`, view).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitNoActive waits until no backend runs a statement on view (each of
// the views takes far longer than the wait to finish by itself).
func waitNoActive(t *testing.T, view string) {
	t.Helper()
	for i := 0; activeStatements(t, view) > 0; i++ {
		if i == 50 {
			t.Fatalf("the statement on %s still runs after the client went away", view)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
