package main

// Black-box tests of the control plane: the pgrst binary against real,
// throwaway PostgreSQL clusters, changed with SQL, NOTIFY, signals and
// pg_ctl while it runs. Never by restarting pgrst.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lestrrat-go/jwx/v2/jwa"

	"github.com/pgrst/pgrst/internal/jwttest"
	"github.com/pgrst/pgrst/sql"
	"github.com/pgrst/pgrst/wire/pgtest"
)

const ctlSecret = "control-plane-test-secret-0123456789"

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// pgrstBinary builds pgrst once for all the control plane tests.
func pgrstBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "pgrst-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "pgrst")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// newCluster starts a cluster of the test's own, with the demo database,
// stopped and removed at the end of the test.
func newCluster(t *testing.T) *pgtest.Cluster {
	t.Helper()
	c, err := pgtest.Start(pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	execSQL(t, c, sql.MustRead("demo.sql"))
	return c
}

func execSQL(t testing.TB, c *pgtest.Cluster, script string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Exec(ctx, script); err != nil {
		t.Fatal(err)
	}
}

// runSetup runs `pgrst setup` as the superuser, granting the authenticator.
func runSetup(t *testing.T, c *pgtest.Cluster, extra ...string) string {
	t.Helper()
	args := append([]string{"setup", "--role", "authenticator"}, extra...)
	cmd := exec.Command(pgrstBinary(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PGRST_DB_URI=" + c.URI("postgres", "postgres")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pgrst setup: %v\n%s", err, out)
	}
	return string(out)
}

// syncBuffer collects the server's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// proc is a running pgrst.
type proc struct {
	cmd   *exec.Cmd
	url   string // the API
	admin string // the admin server
	log   *syncBuffer
	done  chan struct{}
}

func freePort(t *testing.T) string {
	t.Helper()
	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(port)
}

// startPgrst runs pgrst on c with the demo settings plus env ("K=V"). With
// wait, it returns once /ready answers 200.
func startPgrst(t *testing.T, c *pgtest.Cluster, wait bool, env ...string) *proc {
	t.Helper()
	port, adminPort := freePort(t), freePort(t)
	cmd := exec.Command(pgrstBinary(t))
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"PGRST_DB_URI=" + c.URI("authenticator", "postgres"),
		"PGRST_DB_SCHEMAS=api",
		"PGRST_DB_ANON_ROLE=web_anon",
		"PGRST_JWT_SECRET=" + ctlSecret,
		"PGRST_SERVER_HOST=127.0.0.1",
		"PGRST_SERVER_PORT=" + port,
		"PGRST_ADMIN_SERVER_PORT=" + adminPort,
		"PGRST_LOG_LEVEL=info",
	}, env...)
	p := &proc{cmd: cmd, url: "http://127.0.0.1:" + port, admin: "http://127.0.0.1:" + adminPort,
		log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("pgrst log:\n%s", p.log.String())
		}
	})
	if wait {
		p.waitFor(t, 30*time.Second, "ready", func() bool { return p.status(p.admin+"/ready") == 200 })
	}
	return p
}

// waitFor polls cond every 10ms until it holds, and returns how long that
// took; it fails the test after limit.
func (p *proc) waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		select {
		case <-p.done:
			t.Fatalf("pgrst exited while waiting for %s:\n%s", what, p.log.String())
		default:
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: not after %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

var client = &http.Client{Timeout: 10 * time.Second}

// status GETs url; 0 when it cannot be reached.
func (p *proc) status(url string) int {
	res, err := client.Get(url)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (p *proc) get(t *testing.T, path string, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest("GET", p.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// rows GETs path and returns the number of rows of a 200 answer, or -status.
func (p *proc) rows(t *testing.T, path string, headers ...string) int {
	t.Helper()
	r := p.get(t, path, headers...)
	if r.status != 200 {
		return -r.status
	}
	var list []any
	if err := json.Unmarshal([]byte(r.body), &list); err != nil {
		t.Fatalf("%s: %v: %s", path, err, r.body)
	}
	return len(list)
}

// metric reads one sample of /metrics (name with its labels, as printed).
func (p *proc) metric(t *testing.T, sample string) float64 {
	t.Helper()
	res, err := client.Get(p.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("/metrics lacks %s:\n%s", sample, b)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signedToken is an Authorization header with claims signed with secret
// (HS256).
func signedToken(t *testing.T, secret string, claims map[string]any) string {
	t.Helper()
	return "Bearer " + jwttest.Sign(t, jwa.HS256, []byte(secret), "", claims)
}

// `pgrst setup` installs the schema, runs again without losing rows, and
// the table accepts known option names only.
func TestSetupIdempotent(t *testing.T) {
	c := newCluster(t)
	runSetup(t, c)
	execSQL(t, c, `insert into pgrst.config values ('db-max-rows', '7'), ('app.settings.x', 'y')`)
	runSetup(t, c)
	ctx := context.Background()
	err := c.Exec(ctx, `do $$ begin
	  if (select count(*) from pgrst.config) <> 2 then raise 'rows lost'; end if;
	  if not has_table_privilege('authenticator', 'pgrst.config', 'select') then raise 'no grant'; end if;
	  if has_table_privilege('web_anon', 'pgrst.config', 'select') then raise 'too much granted'; end if;
	end $$`)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Exec(ctx, `insert into pgrst.config values ('db-bogus', '1')`); err == nil || !strings.Contains(err.Error(), "23514") {
		t.Fatalf("unknown key accepted: %v", err)
	}
	if err := c.Exec(ctx, `insert into pgrst.config values ('app.settings.', '1')`); err == nil {
		t.Fatal("empty app.settings name accepted")
	}
}

// visibleWithin bounds the wait for a change of configuration or schema
// to show. The goal is well under a second (the tests log the times); the
// bound leaves room for a loaded machine under the race detector.
const visibleWithin = 10 * time.Second

// Rows of pgrst.config change a running server's answers within a
// second; deleting them restores the file/env values; an invalid value is
// rejected with a log line naming the key, and serving goes on.
func TestConfigTable(t *testing.T) {
	c := newCluster(t)
	runSetup(t, c)
	execSQL(t, c, `
	  create schema api2;
	  create table api2.things (id int primary key);
	  insert into api2.things values (1), (2);
	  grant usage on schema api2 to web_anon;
	  grant select on api2.things to web_anon;`)
	p := startPgrst(t, c, true)
	change := func(what, stmt string, cond func() bool) {
		t.Helper()
		start := time.Now()
		execSQL(t, c, stmt)
		p.waitFor(t, visibleWithin, what, cond)
		t.Logf("%s: visible after %v", what, time.Since(start).Round(time.Millisecond))
	}

	if n := p.rows(t, "/todos"); n != 4 {
		t.Fatalf("got %d todos", n)
	}
	change("db-max-rows", `insert into pgrst.config values ('db-max-rows', '2')`,
		func() bool { return p.rows(t, "/todos") == 2 })
	change("delete db-max-rows", `delete from pgrst.config where key = 'db-max-rows'`,
		func() bool { return p.rows(t, "/todos") == 4 })

	// jwt-secret: tokens of the new secret pass, those of the old one no longer.
	const newSecret = "a-new-secret-from-the-database-0123456789"
	oldTok := signedToken(t, ctlSecret, map[string]any{"role": "todo_user"})
	newTok := signedToken(t, newSecret, map[string]any{"role": "todo_user"})
	if n := p.rows(t, "/todos", "Authorization", oldTok); n != 4 {
		t.Fatalf("old token: %d", n)
	}
	change("jwt-secret", `insert into pgrst.config values ('jwt-secret', '`+newSecret+`')`,
		func() bool { return p.rows(t, "/todos", "Authorization", newTok) == 4 })
	if n := p.rows(t, "/todos", "Authorization", oldTok); n != -401 {
		t.Fatalf("old token after the change: %d", n)
	}
	change("delete jwt-secret", `delete from pgrst.config where key = 'jwt-secret'`,
		func() bool { return p.rows(t, "/todos", "Authorization", oldTok) == 4 })

	// db-anon-role: a role that may not read todos.
	execSQL(t, c, `do $$ begin if not exists (select from pg_roles where rolname = 'nobody') then create role nobody nologin; end if; end $$;
	  grant nobody to authenticator; grant usage on schema api to nobody;`)
	change("db-anon-role", `insert into pgrst.config values ('db-anon-role', 'nobody')`,
		func() bool { return p.rows(t, "/todos") == -401 })
	change("delete db-anon-role", `delete from pgrst.config where key = 'db-anon-role'`,
		func() bool { return p.rows(t, "/todos") == 4 })

	// db-schemas: the new schema's tables appear, the old ones go.
	change("db-schemas", `insert into pgrst.config values ('db-schemas', 'api2')`,
		func() bool { return p.rows(t, "/things") == 2 })
	if n := p.rows(t, "/todos"); n != -404 {
		t.Fatalf("todos with db-schemas=api2: %d", n)
	}
	change("delete db-schemas", `delete from pgrst.config where key = 'db-schemas'`,
		func() bool { return p.rows(t, "/todos") == 4 })

	// PostgREST's in-database configuration: the table wins over it.
	change("ALTER ROLE SET pgrst.db_max_rows", `alter role authenticator set pgrst.db_max_rows = '3'; notify pgrst, 'reload config'`,
		func() bool { return p.rows(t, "/todos") == 3 })
	change("table over role", `insert into pgrst.config values ('db-max-rows', '1')`,
		func() bool { return p.rows(t, "/todos") == 1 })
	change("reset", `alter role authenticator reset pgrst.db_max_rows; delete from pgrst.config`,
		func() bool { return p.rows(t, "/todos") == 4 })

	// An invalid value: logged with its key, the last good config stays.
	execSQL(t, c, `insert into pgrst.config values ('db-max-rows', '2')`)
	p.waitFor(t, visibleWithin, "db-max-rows=2", func() bool { return p.rows(t, "/todos") == 2 })
	fails := p.metric(t, `pgrst_config_reloads_total{status="FAIL"}`)
	execSQL(t, c, `update pgrst.config set value = 'lots' where key = 'db-max-rows'`)
	p.waitFor(t, visibleWithin, "rejection", func() bool {
		return p.metric(t, `pgrst_config_reloads_total{status="FAIL"}`) > fails
	})
	if !regexp.MustCompile(`"option":"db-max-rows".*"source":"pgrst.config".*lots`).MatchString(p.log.String()) {
		t.Fatalf("no log line naming db-max-rows:\n%s", p.log.String())
	}
	if n := p.rows(t, "/todos"); n != 2 {
		t.Fatalf("after an invalid value: %d rows, want the last good 2", n)
	}

	// A restart-only option: a warning naming it, nothing else changes.
	execSQL(t, c, `delete from pgrst.config; insert into pgrst.config values ('server-port', '1'), ('db-max-rows', '3')`)
	p.waitFor(t, visibleWithin, "db-max-rows=3", func() bool { return p.rows(t, "/todos") == 3 })
	if !regexp.MustCompile(`"option":"server-port".*restart`).MatchString(p.log.String()) {
		t.Fatalf("no warning naming server-port:\n%s", p.log.String())
	}
	execSQL(t, c, `delete from pgrst.config`)
	p.waitFor(t, visibleWithin, "cleared", func() bool { return p.rows(t, "/todos") == 4 })
}

// A new table becomes readable after NOTIFY 'reload schema', after
// SIGUSR1, and with the DDL event trigger after the DDL alone.
func TestSchemaReload(t *testing.T) {
	c := newCluster(t)
	runSetup(t, c)
	p := startPgrst(t, c, true)
	// At start the schema cache loads once, and the configuration is
	// not read again: the first load waited for LISTEN, so the
	// listener's first connection asks for no reload.
	time.Sleep(time.Second) // a second load would come within the debounce
	if n := p.metric(t, `pgrst_schema_cache_loads_total{status="SUCCESS"}`); n != 1 {
		t.Fatalf("%v schema cache loads at start", n)
	}
	if n := p.metric(t, `pgrst_config_reloads_total{status="SUCCESS"}`); n != 0 {
		t.Fatalf("%v configuration reloads at start", n)
	}
	newTable := func(name string) string {
		return `create table api.` + name + ` (id int); insert into api.` + name + ` values (1); grant select on api.` + name + ` to web_anon;`
	}

	execSQL(t, c, newTable("t_notify"))
	if n := p.rows(t, "/t_notify"); n != -404 {
		t.Fatalf("before the reload: %d", n)
	}
	start := time.Now()
	execSQL(t, c, `notify pgrst, 'reload schema'`)
	p.waitFor(t, visibleWithin, "NOTIFY", func() bool { return p.rows(t, "/t_notify") == 1 })
	t.Logf("NOTIFY 'reload schema' -> new table readable: %v", time.Since(start).Round(time.Millisecond))

	execSQL(t, c, newTable("t_signal"))
	start = time.Now()
	p.cmd.Process.Signal(syscall.SIGUSR1)
	p.waitFor(t, visibleWithin, "SIGUSR1", func() bool { return p.rows(t, "/t_signal") == 1 })
	t.Logf("SIGUSR1 -> new table readable: %v", time.Since(start).Round(time.Millisecond))

	// SIGUSR2 reloads the configuration (the table has no rows: nothing changes).
	reloads := p.metric(t, `pgrst_config_reloads_total{status="SUCCESS"}`)
	p.cmd.Process.Signal(syscall.SIGUSR2)
	p.waitFor(t, visibleWithin, "SIGUSR2", func() bool {
		return p.metric(t, `pgrst_config_reloads_total{status="SUCCESS"}`) > reloads
	})

	// An unknown payload is a warning, nothing more.
	execSQL(t, c, `notify pgrst, 'reload everything'`)
	p.waitFor(t, visibleWithin, "warning", func() bool { return strings.Contains(p.log.String(), "reload everything") })

	runSetup(t, c, "--ddl-reload")
	start = time.Now()
	execSQL(t, c, newTable("t_ddl"))
	p.waitFor(t, visibleWithin, "DDL event trigger", func() bool { return p.rows(t, "/t_ddl") == 1 })
	t.Logf("DDL event trigger -> new table readable: %v", time.Since(start).Round(time.Millisecond))
	execSQL(t, c, `drop table api.t_ddl`)
	p.waitFor(t, visibleWithin, "dropped", func() bool { return p.rows(t, "/t_ddl") == -404 })

	// A failed reload keeps the old cache: db-schemas names a schema that
	// is then dropped (the event trigger asks for the reload).
	reloads = p.metric(t, `pgrst_config_reloads_total{status="SUCCESS"}`)
	execSQL(t, c, `create schema api_gone; insert into pgrst.config values ('db-schemas', 'api,api_gone')`)
	p.waitFor(t, visibleWithin, "two schemas", func() bool {
		return p.metric(t, `pgrst_config_reloads_total{status="SUCCESS"}`) > reloads
	})
	fails := p.metric(t, `pgrst_schema_cache_loads_total{status="FAIL"}`)
	execSQL(t, c, `drop schema api_gone`)
	p.waitFor(t, visibleWithin, "failed reload", func() bool {
		return p.metric(t, `pgrst_schema_cache_loads_total{status="FAIL"}`) > fails
	})
	if n := p.rows(t, "/todos"); n != 4 {
		t.Fatalf("after a failed reload: %d", n)
	}
	if !strings.Contains(p.log.String(), "keeping the old one") {
		t.Fatalf("no log of the failed reload:\n%s", p.log.String())
	}
	if p.status(p.admin+"/live") != 200 || p.status(p.admin+"/schema_cache") != 200 {
		t.Fatal("admin endpoints")
	}
}

// A burst of 50 notifications causes at most two schema reloads.
func TestNotificationBurst(t *testing.T) {
	c := newCluster(t)
	p := startPgrst(t, c, true)
	// Wait for the start-up reloads to settle.
	time.Sleep(500 * time.Millisecond)
	before := p.metric(t, `pgrst_schema_cache_loads_total{status="SUCCESS"}`)
	notes := p.metric(t, `pgrst_notifications_total`)
	ctx := context.Background()
	conn, err := pgconn.Connect(ctx, c.URI("postgres", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Separate transactions: PostgreSQL folds equal notifications of one
	// transaction into one.
	for i := 0; i < 50; i++ {
		if _, err := conn.Exec(ctx, "notify pgrst, 'reload schema'").ReadAll(); err != nil {
			t.Fatal(err)
		}
	}
	p.waitFor(t, visibleWithin, "50 notifications", func() bool {
		return p.metric(t, `pgrst_notifications_total`)-notes >= 50
	})
	time.Sleep(time.Second)
	loads := p.metric(t, `pgrst_schema_cache_loads_total{status="SUCCESS"}`) - before
	t.Logf("50 notifications -> %v schema reloads", loads)
	if loads < 1 || loads > 2 {
		t.Fatalf("%v reloads", loads)
	}
}

// Altering a column's type under a prepared statement: the next request
// succeeds (the statement is prepared again, invisibly).
func TestAlterColumnTypeUnderPreparedStatement(t *testing.T) {
	c := newCluster(t)
	execSQL(t, c, `create table api.alter_me (id int, name text); insert into api.alter_me values (1, 'one'), (2, 'two');
	  grant select on api.alter_me to web_anon;`)
	p := startPgrst(t, c, true, "PGRST_DB_POOL=1", "PGRST_DB_CHANNEL_ENABLED=false")
	for i := 0; i < 3; i++ {
		if n := p.rows(t, "/alter_me?id=eq.1&select=id,name"); n != 1 {
			t.Fatalf("before: %d", n)
		}
	}
	execSQL(t, c, `alter table api.alter_me alter column id type text`)
	r := p.get(t, "/alter_me?id=eq.1&select=id,name")
	if r.status != 200 || !strings.Contains(r.body, `"id":"1"`) {
		t.Fatalf("after ALTER: %d %s", r.status, r.body)
	}
	execSQL(t, c, `alter table api.alter_me alter column id type bigint using id::bigint`)
	r = p.get(t, "/alter_me?id=eq.2&select=id,name")
	if r.status != 200 || !strings.Contains(r.body, `"id":2`) {
		t.Fatalf("after the second ALTER: %d %s", r.status, r.body)
	}
}

// Started with the database down, pgrst answers 503 PGRST002 with
// Retry-After and /ready 503; once the database starts, /ready is 200 and
// requests succeed.
func TestStartWithDatabaseDown(t *testing.T) {
	c := newCluster(t)
	if err := c.Halt(); err != nil {
		t.Fatal(err)
	}
	p := startPgrst(t, c, false)
	p.waitFor(t, 10*time.Second, "listening", func() bool { return p.status(p.admin+"/live") == 200 })
	if s := p.status(p.admin + "/ready"); s != 503 {
		t.Fatalf("/ready with the database down: %d", s)
	}
	r := p.get(t, "/todos")
	if r.status != 503 || !strings.Contains(r.body, "PGRST002") || r.header.Get("Retry-After") == "" {
		t.Fatalf("with the database down: %d %v %s", r.status, r.header, r.body)
	}
	time.Sleep(2 * time.Second) // let the retries back off a little
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	took := p.waitFor(t, 10*time.Second, "/ready 200", func() bool { return p.status(p.admin+"/ready") == 200 })
	t.Logf("database started -> /ready 200 after %v", took.Round(time.Millisecond))
	if n := p.rows(t, "/todos"); n != 4 {
		t.Fatalf("after start: %d", n)
	}
	// pgrst --ready probes the same endpoint.
	cmd := exec.Command(pgrstBinary(t), "--ready")
	cmd.Env = []string{"PGRST_ADMIN_SERVER_PORT=" + strings.TrimPrefix(p.admin, "http://127.0.0.1:"), "PGRST_ADMIN_SERVER_HOST=127.0.0.1"}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pgrst --ready: %v %s", err, out)
	}
}

// A request made as soon as pgrst's port accepts connections waits for the
// first schema load instead of getting 503 PGRST002.
func TestFirstRequestWaitsForSchema(t *testing.T) {
	c := newCluster(t)
	p := startPgrst(t, c, false)
	p.waitFor(t, 10*time.Second, "port open", func() bool {
		conn, err := net.Dial("tcp", strings.TrimPrefix(p.url, "http://"))
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
	if r := p.get(t, "/todos?select=id"); r.status != 200 {
		t.Fatalf("first request: %d %s", r.status, r.body)
	}
}
