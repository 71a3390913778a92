package pgtest_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrst/pgrst/wire/pgtest"
)

const fixture = `
create table items (id int primary key, name text not null);
insert into items values (1, 'one'), (2, 'two'), (3, 'três');
`

// helperEnv makes the test binary, started again by TestWatchdogSIGKILL,
// start a cluster, print where it is and wait to be killed.
const helperEnv = "PGTEST_WATCHDOG_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		watchdogHelper()
		return
	}
	pgtest.Main(m, fixture)
}

func watchdogHelper() {
	c, err := pgtest.Start(pgtest.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s %d\n", c.Dir(), c.Port())
	select {}
}

func connect(t *testing.T, uri string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryString(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestShared(t *testing.T) {
	c := pgtest.Shared()
	conn := connect(t, c.URI("postgres", "postgres"))
	if got := queryString(t, conn, "select string_agg(name, ',' order by id) from items"); got != "one,two,três" {
		t.Fatalf("items = %q", got)
	}
	for setting, want := range map[string]string{
		"server_encoding":  "UTF8",
		"lc_collate":       "C",
		"TimeZone":         "UTC",
		"fsync":            "off",
		"listen_addresses": "127.0.0.1",
	} {
		if got := queryString(t, conn, "show "+setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	if got := queryString(t, conn, "select current_user"); got != "postgres" {
		t.Errorf("current_user = %q", got)
	}
}

func TestStartExecStop(t *testing.T) {
	c, err := pgtest.Start(pgtest.Options{Settings: map[string]string{
		"work_mem":         "8MB",
		"application_name": "it's pgtest", // quoting
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	dir := c.Dir()
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	if err := c.Exec(ctx, `
		create role app login;
		create database appdb owner app;
	`); err == nil {
		t.Fatal("create database inside the script's implicit transaction should fail")
	}
	if err := c.Exec(ctx, "create role app login; create schema s authorization app; create table s.t (x int); alter table s.t owner to app; insert into s.t values (42);"); err != nil {
		t.Fatal(err)
	}
	err = c.Exec(ctx, "select 1;\n\nselect nosuchcolumn from s.t;")
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("error without line: %v", err)
	}

	conn := connect(t, c.URI("app", "postgres"))
	if got := queryString(t, conn, "select x::text from s.t"); got != "42" {
		t.Fatalf("x = %q", got)
	}
	if got := queryString(t, conn, "show work_mem"); got != "8MB" {
		t.Errorf("work_mem = %q", got)
	}
	if got := queryString(t, conn, "show application_name"); got != "it's pgtest" {
		t.Errorf("application_name = %q", got)
	}
	// The unix socket in Dir works too.
	sock := connect(t, fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres", dir, c.Port()))
	if got := queryString(t, sock, "select current_user"); got != "postgres" {
		t.Errorf("current_user over the socket = %q", got)
	}
	conn.Close(ctx)
	sock.Close(ctx)

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dir %s still there after Stop: %v", dir, err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if portOpen(c.Port()) {
		t.Fatalf("port %d still open after Stop", c.Port())
	}
}

func TestKeepAndRestart(t *testing.T) {
	// Not t.TempDir(), whose parent is closed to the postgres user, which
	// runs the cluster when the tests run as root.
	tmp, err := os.MkdirTemp("", "pgtest-keep-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "cluster")
	c, err := pgtest.Start(pgtest.Options{Dir: dir, Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Exec(context.Background(), "create table kept (x int); insert into kept values (7);"); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		t.Fatalf("Keep: %v", err)
	}

	// Started again on the same Dir, the cluster still has its data.
	c, err = pgtest.Start(pgtest.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	conn := connect(t, c.URI("postgres", "postgres"))
	if got := queryString(t, conn, "select x::text from kept"); got != "7" {
		t.Fatalf("x = %q", got)
	}
	conn.Close(context.Background())
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dir still there: %v", err)
	}
}

func TestURI(t *testing.T) {
	got := pgtest.Shared().URI("web user", "my db")
	want := "postgres://web%20user@127.0.0.1:" + strconv.Itoa(pgtest.Shared().Port()) + "/my%20db?sslmode=disable"
	if got != want {
		t.Fatalf("URI = %q, want %q", got, want)
	}
}

func TestFindBin(t *testing.T) {
	dir, err := pgtest.FindBin()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}

	t.Setenv("PG_BIN", dir)
	if got, err := pgtest.FindBin(); err != nil || got != dir {
		t.Fatalf("FindBin with PG_BIN=%s: %q, %v", dir, got, err)
	}
}

// TestWatchdogSIGKILL kills a test binary that holds a cluster and checks
// that the watchdog stops the server and removes the directory.
func TestWatchdogSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second cluster")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper: %v", err)
	}
	var dir string
	var port int
	if _, err := fmt.Sscanf(line, "%s %d", &dir, &port); err != nil {
		t.Fatalf("helper said %q: %v", line, err)
	}
	if !portOpen(port) {
		t.Fatalf("helper's cluster is not listening on %d", port)
	}
	cmd.Process.Kill() // SIGKILL: no deferred Stop runs
	cmd.Wait()

	deadline := time.Now().Add(30 * time.Second)
	for {
		_, statErr := os.Stat(dir)
		gone := errors.Is(statErr, os.ErrNotExist)
		if gone && !portOpen(port) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after SIGKILL: dir removed %v, port %d open %v", gone, port, portOpen(port))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func portOpen(port int) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// A Dir holding other things is refused and left alone, since Stop would
// remove it.
func TestDirNotEmpty(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := pgtest.Start(pgtest.Options{Dir: dir}); err == nil {
		c.Stop()
		t.Fatal("Start accepted a directory with other files")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatal(err)
	}
}
