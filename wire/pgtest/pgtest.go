package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
)

// Options says where and how a cluster runs. The zero value is a fresh
// cluster in a new temporary directory on a free port.
type Options struct {
	// Dir holds the cluster: data/ (PGDATA), postgres.log and the unix
	// socket. Empty means a new temporary directory. Otherwise it must be
	// missing or empty, or hold a cluster left by Keep, which is started
	// again as it is. Stop removes Dir with all it holds unless Keep.
	Dir string
	// Port on 127.0.0.1; 0 picks a free one.
	Port int
	// Settings are extra postgresql.conf settings (name → value, written
	// quoted, so any type of setting works); they override pgtest's own.
	Settings map[string]string
	// Keep leaves Dir in place at Stop (the cluster is still stopped).
	Keep bool
}

// Cluster is a running PostgreSQL cluster. Its methods are safe for
// concurrent use.
type Cluster struct {
	bin     string
	dir     string
	data    string
	port    int
	keep    bool
	cred    *syscall.Credential // non-nil when running as root
	watch   *watchdog
	stopped sync.Once
	stopErr error
}

// live holds every started cluster until Stop, so a Cluster that a caller
// stops referencing is not collected, which would close its watchdog pipe
// and stop it under the caller's feet.
var live sync.Map

// startTimeout bounds pg_ctl start -w; generous, for loaded CI machines.
const startTimeout = 120 * time.Second

// Start creates (initdb) and starts a cluster. initdb runs with
// -U postgres --auth=trust -E UTF8 --no-locale and TZ=UTC; the server
// listens on 127.0.0.1 only, and on a unix socket in Dir when the path is
// short enough for one. On error nothing is left behind (unless Keep, or
// Dir held a cluster already).
func Start(o Options) (*Cluster, error) {
	return start(o, func(c *Cluster) ([]byte, error) {
		return c.run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust",
			"-E", "UTF8", "--no-locale", "--no-sync")
	})
}

// start is Start with the command that creates a new data directory
// (initdb, or pg_basebackup for a replica).
func start(o Options, create func(*Cluster) ([]byte, error)) (*Cluster, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, keep: o.Keep}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresCredential(); err != nil {
			return nil, err
		}
	}

	created := true // Start made the directory, so a failed start removes it
	if o.Dir == "" {
		if c.dir, err = os.MkdirTemp("", "pgtest-"); err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	} else {
		if c.dir, err = filepath.Abs(o.Dir); err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
		// Stop removes Dir as a whole, so it must be new, empty, or a
		// cluster pgtest left: never a directory with other things in it.
		entries, err := os.ReadDir(c.dir)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if err := os.MkdirAll(c.dir, 0o755); err != nil {
				return nil, fmt.Errorf("pgtest: %w", err)
			}
		case err != nil:
			return nil, fmt.Errorf("pgtest: %w", err)
		case len(entries) > 0:
			if _, err := os.Stat(filepath.Join(c.dir, "data", "PG_VERSION")); err != nil {
				return nil, fmt.Errorf("pgtest: Dir %s is neither empty nor a pgtest cluster", c.dir)
			}
			created = false
		}
	}
	c.data = filepath.Join(c.dir, "data")

	fail := func(err error) (*Cluster, error) {
		if _, statErr := os.Stat(filepath.Join(c.data, "postmaster.pid")); statErr == nil {
			c.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", c.data) // e.g. after a start timed out
		}
		c.stopWatchdog()
		if created && !c.keep {
			os.RemoveAll(c.dir)
		}
		return nil, err
	}
	if err := os.Chmod(c.dir, 0o755); err != nil {
		return fail(fmt.Errorf("pgtest: %w", err))
	}
	if err := c.chown(c.dir); err != nil {
		return fail(err)
	}
	if err := c.checkReachable(); err != nil {
		return fail(err)
	}
	if c.watch, err = startWatchdog(c.dir, c.data, c.keep); err != nil {
		return fail(err)
	}

	if _, err := os.Stat(filepath.Join(c.data, "PG_VERSION")); err != nil {
		if out, err := create(c); err != nil {
			return fail(fmt.Errorf("pgtest: creating %s: %w\n%s", c.data, err, out))
		}
		conf := filepath.Join(c.data, "postgresql.conf")
		if err := appendFile(conf, "\ninclude_if_exists = 'pgtest.conf'\n"); err != nil {
			return fail(fmt.Errorf("pgtest: %w", err))
		}
	}

	for attempt := 1; ; attempt++ {
		c.port = o.Port
		if c.port == 0 {
			if c.port, err = FreePort(); err != nil {
				return fail(err)
			}
		}
		if err := c.writeSettings(o.Settings); err != nil {
			return fail(err)
		}
		logFile := filepath.Join(c.dir, "postgres.log")
		out, err := c.run("pg_ctl", "start", "-w", "-t", strconv.Itoa(int(startTimeout/time.Second)),
			"-D", c.data, "-l", logFile)
		if err == nil {
			break
		}
		log := tail(logFile, 20)
		// Another process may take a free port between our look and
		// the server's bind: try another one.
		if o.Port == 0 && attempt < 3 && strings.Contains(log, "already in use") {
			continue
		}
		return fail(fmt.Errorf("pgtest: pg_ctl start: %w\n%s\n%s:\n%s", err, out, logFile, log))
	}
	live.Store(c, struct{}{})
	return c, nil
}

// Port is the TCP port the cluster listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// Dir is the cluster's directory: data/, postgres.log and the unix socket
// (so it also serves as a libpq host, e.g. host=<Dir>).
func (c *Cluster) Dir() string { return c.dir }

// URI is a connection string for user and database over TCP:
// postgres://user@127.0.0.1:port/database?sslmode=disable. The cluster
// trusts every local connection, so no password is needed.
func (c *Cluster) URI(user, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(user),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Exec runs a script of one or more statements as the superuser postgres
// in the database postgres, over the simple query protocol (so a fixture
// file runs as it is, in one implicit transaction unless it has its own
// BEGIN/COMMIT). An error in the script reports its line.
func (c *Cluster) Exec(ctx context.Context, sql string) error {
	conn, err := pgconn.Connect(ctx, c.URI("postgres", "postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql).ReadAll(); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Position > 0 {
			return fmt.Errorf("pgtest: exec: line %d: %w", lineOf(sql, int(pgErr.Position)), err)
		}
		return fmt.Errorf("pgtest: exec: %w", err)
	}
	return nil
}

// Stop shuts the cluster down (pg_ctl stop -m fast, falling back to
// immediate) and removes its directory unless Keep. Calling it again
// returns the first call's result.
func (c *Cluster) Stop() error {
	c.stopped.Do(func() {
		defer live.Delete(c)
		if out, err := c.run("pg_ctl", "stop", "-w", "-m", "fast", "-D", c.data); err != nil {
			if out2, err2 := c.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", c.data); err2 != nil {
				c.stopErr = fmt.Errorf("pgtest: pg_ctl stop: %w\n%s%s", err, out, out2)
			}
		}
		if !c.keep {
			if err := os.RemoveAll(c.dir); err != nil && c.stopErr == nil {
				c.stopErr = fmt.Errorf("pgtest: %w", err)
			}
		}
		c.stopWatchdog()
	})
	return c.stopErr
}

func (c *Cluster) stopWatchdog() {
	if c.watch != nil {
		c.watch.release()
	}
}

// run runs one of the PostgreSQL binaries (as postgres when we are root)
// in the cluster's directory and returns its combined output.
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir // the caller's working directory may be closed to postgres
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	// pg_ctl start hands the server a log file, not our pipe; should
	// anything keep the pipe open anyway, do not wait for it forever.
	cmd.WaitDelay = 5 * time.Second
	return cmd.CombinedOutput()
}

// writeSettings writes data/pgtest.conf, which postgresql.conf includes:
// pgtest's settings, then the caller's.
func (c *Cluster) writeSettings(extra map[string]string) error {
	socketDir := c.dir
	// A unix socket path is limited to 107 bytes; without room, TCP only.
	if len(filepath.Join(socketDir, ".s.PGSQL."+strconv.Itoa(c.port)+".lock")) > 100 {
		socketDir = ""
	}
	var b strings.Builder
	b.WriteString("# written by pgtest at each start\n")
	set := func(name, value string) {
		b.WriteString(name + " = '" + strings.ReplaceAll(value, "'", "''") + "'\n")
	}
	set("listen_addresses", "127.0.0.1")
	set("port", strconv.Itoa(c.port))
	set("unix_socket_directories", socketDir)
	set("fsync", "off")
	set("synchronous_commit", "off")
	set("full_page_writes", "off")
	set("timezone", "UTC")
	set("log_timezone", "UTC")
	names := make([]string, 0, len(extra))
	for name := range extra {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		set(name, extra[name])
	}
	path := filepath.Join(c.data, "pgtest.conf")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return c.chown(path)
}

// chown gives path to the postgres user when the cluster runs as it.
func (c *Cluster) chown(path string) error {
	if c.cred == nil {
		return nil
	}
	if err := os.Chown(path, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// checkReachable makes sure the postgres user can traverse every parent of
// the cluster's directory (t.TempDir(), for one, is closed to others), so
// the failure is named here rather than as a puzzling initdb error.
func (c *Cluster) checkReachable() error {
	if c.cred == nil {
		return nil
	}
	for p := filepath.Dir(c.dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgtest: %w", err)
		}
		mode := fi.Mode().Perm()
		ok := mode&0o001 != 0
		if st, isUnix := fi.Sys().(*syscall.Stat_t); isUnix && !ok {
			ok = st.Uid == c.cred.Uid && mode&0o100 != 0 || st.Gid == c.cred.Gid && mode&0o010 != 0
		}
		if !ok {
			return fmt.Errorf("pgtest: the cluster runs as the OS user postgres (we are root), which cannot reach %s: %s is %v; use a directory whose parents others may traverse (chmod o+x %s)", c.dir, p, mode, p)
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, and PostgreSQL refuses to run as root: the cluster runs as the OS user postgres, which is missing (%v); create it (useradd --system postgres) or install PostgreSQL's package, which does", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgtest: user postgres has uid %q, gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// FreePort asks the kernel for a free port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	if err2 := f.Close(); err == nil {
		err = err2
	}
	return err
}

// tail returns the last n lines of a file, or "" if it cannot be read.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// lineOf converts PostgreSQL's error position (1-based, in characters) into
// a 1-based line number of sql.
func lineOf(sql string, position int) int {
	line := 1
	for i := 0; i < len(sql) && position > 1; position-- {
		r, size := utf8.DecodeRuneInString(sql[i:])
		if r == '\n' {
			line++
		}
		i += size
	}
	return line
}
