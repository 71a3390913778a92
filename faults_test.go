package main

// Faults with real processes: the pgrst binary on a throwaway cluster
// whose backends are terminated, whose statements time out, whose pool
// runs dry, and a pgrst stopped with SIGTERM while requests run. Every
// request gets an answer in bounded time, the process lives on, and it is
// fully back (requests 200, the listener delivers a NOTIFY) soon after the
// database is.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgrst/pgrst/wire/pgtest"
	"github.com/pgrst/pgrst/wire/pgtest/faultproxy"
)

// faultsFixture adds to the demo database what the fault tests need: a
// table for bulk writes (whose row marked 'slow' holds the insert for a
// while, so a kill lands mid-transaction), a slow function, and a role
// whose statement_timeout is short.
const faultsFixture = `
create table api.bulk (id int primary key, note text);
grant select, insert, delete on api.bulk to web_anon;
create function api.bulk_hold() returns trigger language plpgsql as $$
begin perform pg_sleep(0.5); return new; end $$;
create trigger bulk_hold before insert on api.bulk for each row
  when (new.note = 'slow') execute function api.bulk_hold();
create function api.slow(s float8) returns int language sql volatile as $$
  select 1 from pg_sleep(s) $$;
grant execute on function api.slow to web_anon;
do $$ begin
  if not exists (select from pg_roles where rolname = 'fault_hurried') then
    create role fault_hurried nologin;
  end if;
end $$;
grant fault_hurried to authenticator;
grant usage on schema api to fault_hurried;
grant execute on function api.slow to fault_hurried;
alter role fault_hurried set statement_timeout = '200ms';
create table api.wide (id int primary key, v text);
insert into api.wide select i, repeat(md5(i::text), 3000) from generate_series(1, 500) i;
grant select on api.wide to web_anon;
`

// TestFaults runs the fault tests on one cluster (one initdb, not seven),
// each with a pgrst of its own, one after another.
func TestFaults(t *testing.T) {
	c := newCluster(t)
	execSQL(t, c, faultsFixture)
	runSetup(t, c)
	for _, f := range []struct {
		name string
		run  func(*testing.T, *pgtest.Cluster)
	}{
		{"TerminateBackendsUnderLoad", testTerminateBackendsUnderLoad},
		{"StatementTimeoutPerRole", testStatementTimeoutPerRole},
		{"PoolExhausted", testPoolExhausted},
		{"BulkInsertKilled", testBulkInsertKilled},
		{"ClientDisconnectLeavesNoTransaction", testClientDisconnectLeavesNoTransaction},
		{"GracefulShutdownUnderLoad", testGracefulShutdownUnderLoad},
		{"RestartRecovery", testRestartRecovery},
		{"StalledNetwork", testStalledNetwork},
		{"StalledStream", testStalledStream},
		{"Soak", testSoak}, // soak_test.go
	} {
		t.Run(f.name, func(t *testing.T) { f.run(t, c) })
	}
}

// outcome is one answered (or failed) request of a load.
type outcome struct {
	at     time.Time
	took   time.Duration
	status int // 0: no HTTP answer
	body   string
}

// load runs requests in a loop on several workers until stopped.
type load struct {
	mu      sync.Mutex
	results []outcome
	stop    chan struct{}
	wg      sync.WaitGroup
}

// startLoad has workers GET the paths of p in turn, each request bounded
// by timeout (an answer later than that is a hang).
func startLoad(p *proc, workers int, timeout time.Duration, paths ...string) *load {
	l := &load{stop: make(chan struct{})}
	c := &http.Client{Timeout: timeout}
	for w := 0; w < workers; w++ {
		l.wg.Add(1)
		go func(w int) {
			defer l.wg.Done()
			for i := w; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				start := time.Now()
				res, err := c.Get(p.url + paths[i%len(paths)])
				o := outcome{at: start}
				if err != nil {
					o.body = err.Error()
				} else {
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					o.status, o.body = res.StatusCode, string(b)
				}
				o.took = time.Since(start)
				l.mu.Lock()
				l.results = append(l.results, o)
				l.mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}(w)
	}
	return l
}

// firstOKAfter waits for a request started after t0 to answer 200 and
// returns when it answered, relative to t0.
func (l *load) firstOKAfter(t *testing.T, t0 time.Time) time.Duration {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		for _, r := range l.results {
			if r.at.After(t0) && r.status == 200 {
				l.mu.Unlock()
				return r.at.Add(r.took).Sub(t0)
			}
		}
		l.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("requests do not succeed after the fault")
	return 0
}

// outageCode is the error of a request that met a fault: the database
// unreachable or the connection broken (503), the pool exhausted (504).
var outageCode = regexp.MustCompile(`"code":"PGRST00[0-3]"`)

// finish stops the load and checks every answer: 200, or 503/504 with a
// PGRST00x body, each within limit. It returns the count per status.
func (l *load) finish(t *testing.T, limit time.Duration) map[int]int {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	counts := map[int]int{}
	bad := 0
	for _, r := range l.results {
		counts[r.status]++
		ok := r.status == 200 || (r.status == 503 || r.status == 504) && outageCode.MatchString(r.body)
		if r.took > limit {
			ok = false
		}
		if !ok && bad < 10 {
			t.Errorf("answer %d after %v: %.300s", r.status, r.took.Round(time.Millisecond), r.body)
		}
		if !ok {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d answers unexpected", bad, len(l.results))
	}
	return counts
}

// superConn is a superuser connection to c for the test's own SQL.
func superConn(t *testing.T, c *pgtest.Cluster) *pgconn.PgConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, c.URI("postgres", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// queryText runs sql and returns the first column of its first row ("" for none).
func queryText(t *testing.T, conn *pgconn.PgConn, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	last := res[len(res)-1]
	if len(last.Rows) == 0 || len(last.Rows[0]) == 0 {
		return ""
	}
	return string(last.Rows[0][0])
}

// alive fails the test if pgrst exited.
func (p *proc) alive(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		t.Fatalf("pgrst exited:\n%s", p.log.String())
	default:
	}
}

// listenerBack waits until the listener delivers a NOTIFY: one is sent
// every 20ms until pgrst_notifications_total grows. It returns the time
// from t0.
func (p *proc) listenerBack(t *testing.T, c *pgtest.Cluster, t0 time.Time, limit time.Duration) time.Duration {
	t.Helper()
	before := p.metric(t, "pgrst_notifications_total")
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c.Exec(ctx, `notify pgrst, 'reload config'`) // fails while the database is still away
		cancel()
		if p.metric(t, "pgrst_notifications_total") > before {
			return time.Since(t0)
		}
		if time.Since(t0) > limit {
			t.Fatalf("the listener delivers no NOTIFY %v after the fault", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tableBack creates a new table, sends NOTIFY 'reload schema' and waits
// until the table is readable; it returns the time from t0.
func (p *proc) tableBack(t *testing.T, c *pgtest.Cluster, name string, t0 time.Time, limit time.Duration) time.Duration {
	t.Helper()
	execSQL(t, c, `create table api.`+name+` (id int); insert into api.`+name+` values (1);
	  grant select on api.`+name+` to web_anon; notify pgrst, 'reload schema'`)
	p.waitFor(t, limit, "table "+name+" readable", func() bool { return p.rows(t, "/"+name) == 1 })
	return time.Since(t0)
}

// backendsOf lists the pids of pgrst's pool connections (not the listener's).
const poolBackends = `select pid from pg_stat_activity where usename = 'authenticator'
  and application_name <> 'pgrst listener' and pid <> pg_backend_pid()`

// Under load, pg_terminate_backend of every pool connection, again and
// again, and of the listener's: every request answers in time (200, or
// 503 PGRST001 for the ones whose connection died), pgrst lives on, and
// requests and the listener work again at once.
func testTerminateBackendsUnderLoad(t *testing.T, c *pgtest.Cluster) {
	p := startPgrst(t, c, true, "PGRST_DB_POOL=4", "PGRST_DB_POOL_ACQUISITION_TIMEOUT=2")
	conn := superConn(t, c)
	l := startLoad(p, 6, 5*time.Second, "/todos?id=eq.1", "/rpc/slow?s=0.01", "/films?select=title,directors(last_name)&limit=2")
	time.Sleep(200 * time.Millisecond)
	const rounds = 8
	killed := 0
	for i := 0; i < rounds; i++ {
		n, _ := strconv.Atoi(queryText(t, conn, `select count(pg_terminate_backend(pid)) from (`+poolBackends+`) b`))
		killed += n
		time.Sleep(150 * time.Millisecond)
	}
	t0 := time.Now()
	ok := l.firstOKAfter(t, t0)
	listener := queryText(t, conn, `select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = 'pgrst listener'`)
	t1 := time.Now()
	time.Sleep(100 * time.Millisecond)
	counts := l.finish(t, 3*time.Second)
	p.alive(t)
	t.Logf("%d rounds of pg_terminate_backend, %d pool backends killed; answers %v; first 200 after the last kill %v",
		rounds, killed, counts, ok.Round(time.Millisecond))
	if killed < rounds {
		t.Errorf("only %d backends killed: was there any load?", killed)
	}
	if listener != "1" {
		t.Fatalf("listener backends killed: %q", listener)
	}
	back := p.listenerBack(t, c, t1, 5*time.Second)
	t.Logf("listener killed: NOTIFY delivered again after %v", back.Round(time.Millisecond))
	took := p.tableBack(t, c, "after_kill", time.Now(), 3*time.Second)
	t.Logf("NOTIFY 'reload schema' -> new table readable in %v", took.Round(time.Millisecond))
}

// pg_ctl restart under load: every request answers in time; requests
// answer 200 and the listener delivers a NOTIFY again soon after the
// database is back (the goal is 1 s; the limit leaves room for a loaded
// machine). The same after stop, a pause, start.
func testRestartRecovery(t *testing.T, c *pgtest.Cluster) {
	p := startPgrst(t, c, true, "PGRST_DB_POOL=4", "PGRST_DB_POOL_ACQUISITION_TIMEOUT=2")
	l := startLoad(p, 4, 5*time.Second, "/todos?id=eq.1", "/rpc/slow?s=0.01")
	time.Sleep(300 * time.Millisecond)

	recovered := func(what string, back time.Time, table string) {
		ok := l.firstOKAfter(t, back)
		notify := p.listenerBack(t, c, back, 5*time.Second)
		tbl := p.tableBack(t, c, table, back, 5*time.Second)
		t.Logf("%s: after the database was back: first 200 %v, NOTIFY delivered %v, new table readable %v",
			what, ok.Round(time.Millisecond), notify.Round(time.Millisecond), tbl.Round(time.Millisecond))
	}
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	recovered("pg_ctl restart", time.Now(), "after_restart")

	if err := c.Halt(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	recovered("pg_ctl stop, 1.5 s, start", time.Now(), "after_start")

	counts := l.finish(t, 3*time.Second)
	p.alive(t)
	t.Logf("answers: %v", counts)
	if counts[503] == 0 {
		t.Error("no 503 during the outage: did the database really go away?")
	}
}

// A role's statement_timeout applies to its requests (57014, 500) and
// ends them in time; the connection stays good for the next request,
// whose role has none.
func testStatementTimeoutPerRole(t *testing.T, c *pgtest.Cluster) {
	p := startPgrst(t, c, true, "PGRST_DB_POOL=1")
	tok := signedToken(t, ctlSecret, map[string]any{"role": "fault_hurried"})
	start := time.Now()
	r := p.get(t, "/rpc/slow?s=2", "Authorization", tok)
	took := time.Since(start)
	if r.status != 500 || !strings.Contains(r.body, `"code":"57014"`) {
		t.Fatalf("over the role's statement_timeout: %d %s", r.status, r.body)
	}
	if took > 1500*time.Millisecond {
		t.Fatalf("statement_timeout 200ms answered after %v", took)
	}
	t.Logf("statement_timeout 200ms: 500 57014 after %v", took.Round(time.Millisecond))
	if r := p.get(t, "/rpc/slow?s=0.3"); r.status != 200 {
		t.Fatalf("anonymous 0.3 s on the same connection: %d %s", r.status, r.body)
	}
	if r := p.get(t, "/rpc/slow?s=0.05", "Authorization", tok); r.status != 200 {
		t.Fatalf("within the role's statement_timeout: %d %s", r.status, r.body)
	}
}

// An exhausted pool answers 504 PGRST003 after db-pool-acquisition-timeout
// (not before, not much later), and serves again once connections free up.
func testPoolExhausted(t *testing.T, c *pgtest.Cluster) {
	p := startPgrst(t, c, true, "PGRST_DB_POOL=2", "PGRST_DB_POOL_ACQUISITION_TIMEOUT=1")
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := p.get(t, "/rpc/slow?s=2.5"); r.status != 200 {
				t.Errorf("slow request: %d %s", r.status, r.body)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // both hold their connection
	start := time.Now()
	r := p.get(t, "/todos")
	took := time.Since(start)
	if r.status != 504 || !strings.Contains(r.body, `"code":"PGRST003"`) {
		t.Fatalf("with the pool exhausted: %d %s", r.status, r.body)
	}
	if took < 900*time.Millisecond || took > 2500*time.Millisecond {
		t.Fatalf("PGRST003 after %v, want about 1 s", took)
	}
	t.Logf("pool exhausted: 504 PGRST003 after %v (db-pool-acquisition-timeout 1 s)", took.Round(time.Millisecond))
	wg.Wait()
	if n := p.rows(t, "/todos"); n != 4 {
		t.Fatalf("after the slow requests: %d", n)
	}
}

// A bulk insert whose backend is killed leaves all its rows or none: the
// kill lands mid-transaction (the row marked slow holds the insert), or
// at random moments of a large insert.
func testBulkInsertKilled(t *testing.T, c *pgtest.Cluster) {
	p := startPgrst(t, c, true)
	conn := superConn(t, c)
	const n = 20000
	post := func(base int, last string) (int, string) {
		var b strings.Builder
		b.WriteByte('[')
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			note := "row"
			if i == n-1 {
				note = last
			}
			fmt.Fprintf(&b, `{"id":%d,"note":%q}`, base+i, note)
		}
		b.WriteByte(']')
		res, err := (&http.Client{Timeout: 10 * time.Second}).Post(p.url+"/bulk", "application/json", strings.NewReader(b.String()))
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	outcomes := map[string]int{}
	for round := 0; round < 6; round++ {
		base := round * n
		last := "row"
		if round == 0 {
			last = "slow" // certainly mid-transaction: the kill waits for its trigger
		}
		done := make(chan [2]any, 1)
		go func() { s, b := post(base, last); done <- [2]any{s, b} }()
		if round == 0 {
			waitSleeping(t, conn) // a fixed delay misses it when the body comes slowly
		} else {
			time.Sleep(time.Duration(round) * 25 * time.Millisecond) // at random moments
		}
		queryText(t, conn, `select count(pg_terminate_backend(pid)) from (`+poolBackends+`) b`)
		r := <-done
		status, body := r[0].(int), r[1].(string)
		got := queryText(t, conn, fmt.Sprintf(`select count(*) from api.bulk where id >= %d and id < %d`, base, base+n))
		switch {
		case got != "0" && got != strconv.Itoa(n):
			t.Fatalf("round %d: %s of %d rows after the kill (answer %d %s)", round, got, n, status, body)
		case status == 201 && got != strconv.Itoa(n):
			t.Fatalf("round %d: 201 but %s rows", round, got)
		case round == 0 && (got != "0" || status != 503 || !outageCode.MatchString(body)):
			t.Fatalf("killed mid-transaction: %s rows, answer %d %s", got, status, body)
		case status != 201 && status != 503:
			t.Fatalf("round %d: answer %d %s", round, status, body)
		}
		outcomes[fmt.Sprintf("%d/%s rows", status, got)]++
		p.alive(t)
	}
	t.Logf("bulk inserts of %d rows with a backend kill: %v", n, outcomes)
}

// waitSleeping waits until a pool backend sleeps in the slow row's trigger,
// so a kill then lands mid-transaction however slowly the request came.
func waitSleeping(t *testing.T, conn *pgconn.PgConn) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for queryText(t, conn, `select count(*) from pg_stat_activity where usename = 'authenticator' and wait_event = 'PgSleep'`) == "0" {
		if time.Now().After(deadline) {
			t.Fatal("the slow insert never reached its trigger")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A client that disconnects mid-request, before or after its body is
// read, leaves no transaction open: pg_stat_activity shows no pgrst
// session idle in transaction, and the pool serves on.
// disconnectIDs are the ids of the rows the disconnect test inserts,
// beyond those of the bulk inserts.
const disconnectIDs = 1 << 30

// The soak's rows in api.bulk have ids from 2*soakIDs up: clear of the
// bulk inserts' and below disconnectIDs.
const soakIDs = 1 << 28

func testClientDisconnectLeavesNoTransaction(t *testing.T, c *pgtest.Cluster) {
	p := startPgrst(t, c, true, "PGRST_DB_POOL=2")
	conn := superConn(t, c)
	addr := strings.TrimPrefix(p.url, "http://")
	send := func(req string) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write([]byte(req))
		time.Sleep(100 * time.Millisecond)
		nc.Close()
	}
	for i := 0; i < 4; i++ {
		// Gone while a read-write function runs.
		send("POST /rpc/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"s\":0.4}")
		// Gone while a bulk insert runs (its slow row holds it).
		body := fmt.Sprintf(`[{"id":%d,"note":"slow"}]`, disconnectIDs+i)
		send("POST /bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
			strconv.Itoa(len(body)) + "\r\n\r\n" + body)
		// Gone in the middle of its body.
		send("POST /bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[{\"id\":1,")
	}
	open := func() string {
		return queryText(t, conn, `select count(*) from pg_stat_activity where usename = 'authenticator'
		  and state like 'idle in transaction%'`)
	}
	for i := 0; i < 30; i++ { // sample while the abandoned requests finish
		if n := open(); n != "0" {
			t.Fatalf("%s pgrst sessions idle in transaction", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := p.rows(t, "/todos"); n != 4 {
		t.Fatalf("after the disconnects: %d", n)
	}
	// A request whose client left still ran to its end, as in PostgREST:
	// the insert committed.
	if got := queryText(t, conn, fmt.Sprintf(`select count(*) from api.bulk where id >= %d`, disconnectIDs)); got != "4" {
		t.Fatalf("bulk rows: %s", got)
	}
	p.alive(t)
}

// SIGTERM while slow requests run: each of them completes with 200 (no
// reset), new connections are refused, and the process exits soon after
// the last one.
func testGracefulShutdownUnderLoad(t *testing.T, c *pgtest.Cluster) {
	p := startPgrst(t, c, true, "PGRST_DB_POOL=8")
	const inflight = 6
	const slow = 1500 * time.Millisecond
	type answer struct {
		status int
		err    error
	}
	answers := make(chan answer, inflight)
	for i := 0; i < inflight; i++ {
		go func() {
			res, err := (&http.Client{Timeout: 10 * time.Second}).Get(p.url + "/rpc/slow?s=1.5")
			if err != nil {
				answers <- answer{0, err}
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			answers <- answer{res.StatusCode, nil}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if nc, err := net.DialTimeout("tcp", strings.TrimPrefix(p.url, "http://"), time.Second); err == nil {
		nc.Close()
		t.Error("a new connection was accepted after SIGTERM")
	}
	for i := 0; i < inflight; i++ {
		if a := <-answers; a.status != 200 {
			t.Errorf("an in-flight request: %d %v", a.status, a.err)
		}
	}
	answered := time.Since(start)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("no exit 5 s after the last in-flight request")
	}
	exited := time.Since(start)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	t.Logf("SIGTERM with %d requests of %v in flight: all 200 after %v, exit after %v",
		inflight, slow, answered.Round(time.Millisecond), exited.Round(time.Millisecond))
}

// Through a proxy that slows, then stalls (a half-open connection: the
// bytes are taken, nothing comes back), then cuts the connections to the
// database: with db-timeout every request answers within its timeouts
// (200 while slow, 503/504 while stalled), and once the network is back
// requests and the listener work again.
func testStalledNetwork(t *testing.T, c *pgtest.Cluster) {
	proxy, uri := startProxy(t, c)
	p := startPgrst(t, c, true, "PGRST_DB_URI="+uri, "PGRST_DB_TIMEOUT=1",
		"PGRST_DB_POOL=4", "PGRST_DB_POOL_ACQUISITION_TIMEOUT=2")
	// The longest wait: a new connection's connect timeout (5 s).
	l := startLoad(p, 4, 8*time.Second, "/todos?id=eq.1", "/rpc/slow?s=0.01")
	time.Sleep(200 * time.Millisecond)

	proxy.Delay(100 * time.Millisecond)
	time.Sleep(time.Second)
	proxy.Resume()

	proxy.Stall()
	stalled := time.Now()
	time.Sleep(3 * time.Second)
	l.mu.Lock()
	var during []time.Duration
	for _, r := range l.results {
		if r.at.After(stalled) && r.status != 200 {
			during = append(during, r.took)
		}
	}
	l.mu.Unlock()
	if len(during) == 0 {
		t.Fatal("no request answered while the network stalled")
	}
	proxy.Resume()
	back := time.Now()
	ok := l.firstOKAfter(t, back)
	notify := p.listenerBack(t, c, back, 10*time.Second)
	t.Logf("stall 3 s: first failed answers after %v; after it ended: first 200 %v, NOTIFY delivered %v",
		during[0].Round(time.Millisecond), ok.Round(time.Millisecond), notify.Round(time.Millisecond))

	// The open connections hang for good, the listener's among them,
	// while new ones pass: requests time out and reconnect; only a check
	// of the silent listener finds its connection dead, and a NOTIFY is
	// delivered again once it has reconnected.
	proxy.StallOpen()
	t1 := time.Now()
	back2 := p.listenerBack(t, c, t1, 10*time.Second)
	ok2 := l.firstOKAfter(t, t1)
	t.Logf("open connections hung: first 200 %v, NOTIFY delivered again %v (db-timeout 1 s)",
		ok2.Round(time.Millisecond), back2.Round(time.Millisecond))
	// pgx keeps a closed connection's pool slot while it drains it, up to
	// 15 s: pgrst closes the socket of a hung one at once.
	if ok2 > 5*time.Second {
		t.Errorf("first 200 only %v after the open connections hung", ok2)
	}
	proxy.Cut()

	counts := l.finish(t, 6*time.Second)
	p.alive(t)
	t.Logf("answers: %v", counts)
}

// startProxy puts a fault proxy before c and returns it with the URI of
// the authenticator through it.
func startProxy(t *testing.T, c *pgtest.Cluster) (*faultproxy.Proxy, string) {
	t.Helper()
	proxy, err := faultproxy.Start("127.0.0.1:" + strconv.Itoa(c.Port()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	uri := strings.Replace(c.URI("authenticator", "postgres"), ":"+strconv.Itoa(c.Port())+"/",
		":"+strconv.Itoa(proxy.Port())+"/", 1)
	return proxy, uri
}

// A streamed response (NDJSON) whose database connection hangs mid-way:
// with db-timeout the stream ends (the body incomplete, never complete-
// looking) soon after, rather than never, and pgrst serves on.
func testStalledStream(t *testing.T, c *pgtest.Cluster) {
	proxy, uri := startProxy(t, c)
	p := startPgrst(t, c, true, "PGRST_DB_URI="+uri, "PGRST_DB_TIMEOUT=1", "PGRST_DB_POOL=2")
	req, _ := http.NewRequest("GET", p.url+"/wide", nil)
	req.Header.Set("Accept", "application/x-ndjson")
	res, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("stream: %d", res.StatusCode)
	}
	// Streamed (chunked) even with the access log on (log-level info),
	// which once read the whole body to log its size.
	if res.ContentLength >= 0 {
		t.Fatalf("not streamed: Content-Length %d", res.ContentLength)
	}
	if _, err := io.ReadFull(res.Body, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	proxy.StallOpen()
	start := time.Now()
	n, err := io.Copy(io.Discard, res.Body)
	took := time.Since(start)
	if err == nil {
		t.Fatalf("the stream ended as if complete (%d more bytes) while its connection hung", n)
	}
	t.Logf("stream's connection hung: body cut %v later (%d more bytes, %v)", took.Round(time.Millisecond), n, err)
	if took > 5*time.Second {
		t.Errorf("the stream ended only %v after its connection hung (db-timeout 1 s)", took)
	}
	proxy.Cut()
	p.waitFor(t, 5*time.Second, "200 after the hung stream", func() bool { return p.rows(t, "/todos") == 4 })
	p.alive(t)
}
