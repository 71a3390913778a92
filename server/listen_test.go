package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgrst/pgrst/control"
	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/sql"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// The listen policy of these tests: anyone may listen to open*, only
// todo_user to todo*, nobody to anything else.
const listenPolicy = `
create or replace function pgrst.listen_allowed(channel text) returns boolean
  language sql stable
  as $$ select channel like 'open%' or (channel like 'todo%' and current_user = 'todo_user') $$;
`

var listenSetup sync.Once

// startListenServer is a server with /listen/ enabled, the pgrst schema
// installed (as pgrst setup does) and the tests' policy.
func startListenServer(t *testing.T, edit func(*server.Options)) *testServer {
	t.Helper()
	listenSetup.Do(func() {
		if err := pgtest.Shared().Exec(context.Background(), sql.MustRead("pgrst_schema.sql")+listenPolicy); err != nil {
			t.Fatal(err)
		}
	})
	return startServer(t, func(o *server.Options, _ *wire.Options) {
		o.ListenEnabled = true
		o.ListenKeepAlive = 200 * time.Millisecond
		if edit != nil {
			edit(o)
		}
	})
}

func notify(t *testing.T, channel, payload string) {
	t.Helper()
	q := fmt.Sprintf("select pg_notify('%s', '%s')", channel, strings.ReplaceAll(payload, "'", "''"))
	if err := pgtest.Shared().Exec(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}

// sseEvent is one event of a stream.
type sseEvent struct {
	Event, Data string
}

// sseStream reads a response's events; comments are counted.
type sseStream struct {
	res      *http.Response
	r        *bufio.Reader
	comments int
}

// listen opens /listen/channel; headers alternate name, value.
func (s *testServer) listen(t *testing.T, channel string, headers ...string) (*sseStream, response) {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL+"/listen/"+channel, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return nil, response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
	}
	st := &sseStream{res: res, r: bufio.NewReader(res.Body)}
	t.Cleanup(st.Close)
	return st, response{Status: 200, Header: res.Header}
}

func (st *sseStream) Close() { st.res.Body.Close() }

// next returns the next event; io.EOF when the stream ended.
func (st *sseStream) next() (sseEvent, error) {
	var ev sseEvent
	var data []string
	seen := false
	for {
		line, err := st.r.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && seen:
			ev.Data = strings.Join(data, "\n")
			return ev, nil
		case line == "":
		case strings.HasPrefix(line, ":"):
			st.comments++
		default:
			seen = true
			name, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch name {
			case "event":
				ev.Event = value
			case "data":
				data = append(data, value)
			}
		}
	}
}

// expectEvent reads the next event within a few seconds.
func (st *sseStream) expectEvent(t *testing.T, want sseEvent) {
	t.Helper()
	type result struct {
		ev  sseEvent
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ev, err := st.next()
		ch <- result{ev, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("stream: %v, want %+v", r.err, want)
		}
		if r.ev != want {
			t.Fatalf("event %+v, want %+v", r.ev, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no event within 5s, want %+v", want)
	}
}

// expectEnd reads up to the end of the stream: the last event must be
// the server's end event with reason (none when reason is "").
func (st *sseStream) expectEnd(t *testing.T, reason string) {
	t.Helper()
	var last sseEvent
	done := make(chan error, 1)
	go func() {
		for {
			ev, err := st.next()
			if err != nil {
				done <- err
				return
			}
			last = ev
		}
	}()
	select {
	case err := <-done:
		if err != io.EOF && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("stream ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not end")
	}
	if reason != "" && last != (sseEvent{Event: "end", Data: reason}) {
		t.Fatalf("last event %+v, want the end event with %q", last, reason)
	}
}

func TestListenRelaysNotifications(t *testing.T) {
	s := startListenServer(t, nil)
	st, r := s.listen(t, "open_relay")
	if st == nil {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Fatalf("Cache-Control %q", cc)
	}
	notify(t, "open_relay", "hello")
	st.expectEvent(t, sseEvent{Data: "hello"})
	notify(t, "open_other", "not for this stream")
	// Every line terminator starts a data line; the client joins them with LF.
	notify(t, "open_relay", "line 1\nline 2\r\nline 3\rline 4\n")
	st.expectEvent(t, sseEvent{Data: "line 1\nline 2\nline 3\nline 4\n"})
	notify(t, "open_relay", "")
	st.expectEvent(t, sseEvent{Data: ""})
	notify(t, "open_relay", "data: {\"id\": 1}")
	st.expectEvent(t, sseEvent{Data: "data: {\"id\": 1}"})

	// A second listener of the same channel: both get each event.
	st2, _ := s.listen(t, "open_relay")
	notify(t, "open_relay", "both")
	st.expectEvent(t, sseEvent{Data: "both"})
	st2.expectEvent(t, sseEvent{Data: "both"})

	// Keep-alive comments flow while nothing is notified.
	time.Sleep(500 * time.Millisecond)
	notify(t, "open_relay", "after a pause")
	st2.expectEvent(t, sseEvent{Data: "after a pause"})
	if st2.comments == 0 {
		t.Fatal("no keep-alive comment in 500ms at a 200ms interval")
	}
}

func TestListenRefused(t *testing.T) {
	s := startListenServer(t, nil)
	// Anonymous, refused by the policy: 401, so the client may log in.
	_, r := s.listen(t, "todo_x")
	body := expectError(t, r, 401, "PGRST130")
	if r.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
	}
	if body["message"] != "Not allowed to listen on channel 'todo_x'" {
		t.Errorf("message %v", body["message"])
	}
	// With a token whose role the policy allows.
	tok := token(t, map[string]any{"role": "todo_user"})
	st, r := s.listen(t, "todo_x", "Authorization", "Bearer "+tok)
	if st == nil {
		t.Fatalf("todo_user refused: %d %s", r.Status, r.Body)
	}
	// With a token whose role the policy refuses: 403.
	_, r = s.listen(t, "secret", "Authorization", "Bearer "+tok)
	expectError(t, r, 403, "PGRST130")
	// A bad token is refused before the database is asked.
	_, r = s.listen(t, "open_x", "Authorization", "Bearer nope")
	expectError(t, r, 401, "PGRST301")
	// Not an event stream.
	_, r = s.listen(t, "open_x", "Accept", "application/json")
	expectError(t, r, 406, "PGRST107")
	// Channel names PostgreSQL would truncate or refuse.
	_, r = s.listen(t, strings.Repeat("o", 64))
	expectError(t, r, 400, "PGRST131")
	_, r = s.listen(t, "open_a/b")
	expectError(t, r, 404, "PGRST125")
	r = s.do(t, "POST", "/listen/open_x")
	expectError(t, r, 405, "PGRST117")

	// The refused ones got nothing, the allowed one gets its events.
	notify(t, "todo_x", "for todo_user")
	st.expectEvent(t, sseEvent{Data: "for todo_user"})

	// Off by default: the path is PostgREST's PGRST125.
	off := startServer(t, nil)
	_, r = off.listen(t, "open_x")
	expectError(t, r, 404, "PGRST125")
}

// db-pre-request runs before the check, as for any request, and can
// refuse too.
func TestListenPreRequest(t *testing.T) {
	if err := pgtest.Shared().Exec(context.Background(), `
create or replace function public.listen_gate() returns void language plpgsql as $$
begin
  if current_setting('request.path', true) like '/listen/open_gated%' then
    raise insufficient_privilege using message = 'gated';
  end if;
end $$;
grant execute on function public.listen_gate() to public;`); err != nil {
		t.Fatal(err)
	}
	s := startListenServer(t, func(o *server.Options) { o.PreRequest = "public.listen_gate" })
	_, r := s.listen(t, "open_gated")
	body := expectError(t, r, 401, "42501")
	if body["message"] != "gated" {
		t.Fatalf("message %v", body["message"])
	}
	if st, r := s.listen(t, "open_free"); st == nil {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
}

// A subscriber that reads nothing is dropped when its queue fills; the
// one that reads gets every event, without waiting for the slow one.
func TestListenSlowSubscriberDropped(t *testing.T) {
	s := startListenServer(t, func(o *server.Options) {
		o.ListenBuffer = 16
		o.ListenKeepAlive = time.Hour
	})
	// The slow client: a small receive buffer, and it never reads.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	slow, err := d.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "GET /listen/open_slow HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
	fast, _ := s.listen(t, "open_slow")
	if fast == nil {
		t.Fatal("fast listener refused")
	}
	waitFor(t, func() bool { n, _ := s.srv.ListenStats(); return n == 2 })

	// Paced so that the fast listener's queue never holds more than a
	// batch; the slow one's fills once its socket buffers (up to a few
	// MB on loopback) are full.
	conn, err := pgconn.Connect(context.Background(), pgtest.Shared().URI("postgres", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Were the fast listener held up by the slow one, its reads would
	// block: fail instead.
	watchdog := time.AfterFunc(30*time.Second, fast.Close)
	defer watchdog.Stop()
	payload := strings.Repeat("x", 7900)
	const n, batch = 1200, 4 // 9.5 MB in all
	for i := 0; i < n; i += batch {
		var q strings.Builder
		for j := i; j < i+batch; j++ {
			fmt.Fprintf(&q, "select pg_notify('open_slow', '%d %s');", j, payload)
		}
		if _, err := conn.Exec(context.Background(), q.String()).ReadAll(); err != nil {
			t.Fatal(err)
		}
		for j := i; j < i+batch; j++ {
			ev, err := fast.next()
			if err != nil {
				t.Fatalf("event %d: %v", j, err)
			}
			if want := fmt.Sprintf("%d %s", j, payload); ev.Data != want {
				t.Fatalf("event %d: %.20q", j, ev.Data)
			}
		}
	}
	waitFor(t, func() bool { n, dropped := s.srv.ListenStats(); return n == 1 && dropped == 1 })
	m := startAdmin(t, s, func() control.Stats { return control.Stats{} }).get(t, "/metrics")
	for _, want := range []string{"pgrst_listen_subscribers 1\n", "pgrst_listen_dropped_total 1\n",
		fmt.Sprintf("pgrst_listen_events_total %d\n", n)} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The slow client's stream ends: reading it all reaches the end.
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, slow); err != nil {
		t.Fatalf("slow stream: %v", err)
	}
}

// A client that leaves is unsubscribed (its write fails at the next
// keep-alive at the latest), and the channel is UNLISTENed with its
// last subscriber; listening again later works.
func TestListenClientDisconnect(t *testing.T) {
	s := startListenServer(t, nil)
	st, _ := s.listen(t, "open_dc")
	st2, _ := s.listen(t, "open_dc")
	waitFor(t, func() bool { return strings.Join(s.srv.ListenChannels(), ",") == "open_dc" })
	st.Close()
	waitFor(t, func() bool { n, _ := s.srv.ListenStats(); return n == 1 })
	if got := strings.Join(s.srv.ListenChannels(), ","); got != "open_dc" {
		t.Fatalf("channels %q with one listener left", got)
	}
	notify(t, "open_dc", "still here")
	st2.expectEvent(t, sseEvent{Data: "still here"})
	st2.Close()
	waitFor(t, func() bool { return len(s.srv.ListenChannels()) == 0 })

	st3, _ := s.listen(t, "open_dc")
	notify(t, "open_dc", "again")
	st3.expectEvent(t, sseEvent{Data: "again"})
}

// Shutdown ends the streams (it would otherwise wait for them forever).
func TestListenShutdown(t *testing.T) {
	s := startListenServer(t, nil)
	st, _ := s.listen(t, "open_shutdown")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Shutdown took %v", d)
	}
	st.expectEnd(t, "shutdown")
	// Nothing of the streams or their connection is left running.
	waitFor(t, func() bool {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		return !strings.Contains(stacks, "server.(*hub)") && !strings.Contains(stacks, "wire.(*Notifier)")
	})
}

// The LISTEN connection lost: the streams end, and the next listener
// gets a new connection.
func TestListenDatabaseLost(t *testing.T) {
	s := startListenServer(t, nil)
	st, _ := s.listen(t, "open_lost")
	notify(t, "open_lost", "before")
	st.expectEvent(t, sseEvent{Data: "before"})
	if err := pgtest.Shared().Exec(context.Background(),
		"select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pgrst notifier'"); err != nil {
		t.Fatal(err)
	}
	st.expectEnd(t, "database")
	waitFor(t, func() bool { n, _ := s.srv.ListenStats(); return n == 0 })
	st2, r := s.listen(t, "open_lost")
	if st2 == nil {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	notify(t, "open_lost", "after")
	st2.expectEvent(t, sseEvent{Data: "after"})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10s")
}
