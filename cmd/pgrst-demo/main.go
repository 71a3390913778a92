package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/pgrst/pgrst/control"
	fixtures "github.com/pgrst/pgrst/sql"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// demoSecret signs the demo's JWTs. It is public: never use it elsewhere.
const demoSecret = "pgrst-demo-secret-not-for-production-use"

func main() {
	os.Exit(run())
}

func run() int {
	server := flag.String("server", "bin/pgrst", "the pgrst binary to run")
	dir := flag.String("dir", ".pgrst-demo", "directory of the demo's PostgreSQL cluster, recreated at each run")
	explorer := flag.String("explorer", "", "an unpacked swagger-ui-dist package: the admin server (port + 1) serves it at /explorer/ when it is there")
	flag.Parse()
	port := "3000"
	if p := os.Getenv("PORT"); p != "" {
		port = p
	}

	if _, err := os.Stat(*server); err != nil {
		return fail(fmt.Errorf("%w (build it first: make build)", err))
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("localhost", port), time.Second); err == nil {
		conn.Close()
		return fail(fmt.Errorf("port %s is already in use (another demo? set PORT to use another port)", port))
	}
	// Signals that arrive while the cluster starts are handled once it has.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)

	if err := clearDir(*dir); err != nil {
		return fail(err)
	}
	fmt.Fprintf(os.Stderr, "pgrst-demo: starting PostgreSQL in %s\n", *dir)
	cluster, err := pgtest.Start(pgtest.Options{Dir: *dir})
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgrst-demo:", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	err = cluster.Exec(ctx, fixtures.MustRead("demo.sql"))
	cancel()
	if err != nil {
		return fail(fmt.Errorf("loading demo.sql: %w", err))
	}
	// The control schema, as `pgrst setup --role authenticator` installs it.
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	err = cluster.Exec(ctx, control.SchemaSQL("pgrst", false)+control.GrantSQL("authenticator"))
	cancel()
	if err != nil {
		return fail(fmt.Errorf("installing the pgrst schema: %w", err))
	}
	token, err := demoToken()
	if err != nil {
		return fail(err)
	}
	select {
	case sig := <-sigs:
		return 128 + int(sig.(syscall.Signal))
	default:
	}

	cmd := exec.Command(*server)
	cmd.Env = append(os.Environ(),
		"PGRST_DB_URI="+cluster.URI("authenticator", "postgres"),
		"PGRST_DB_SCHEMAS=api",
		"PGRST_DB_ANON_ROLE=web_anon",
		"PGRST_JWT_SECRET="+demoSecret,
		"PGRST_SERVER_PORT="+port,
	)
	explorerURL := ""
	if _, err := os.Stat(filepath.Join(*explorer, "swagger-ui-bundle.js")); *explorer != "" && err == nil {
		n, _ := strconv.Atoi(port)
		admin := strconv.Itoa(n + 1)
		cmd.Env = append(cmd.Env, "PGRST_ADMIN_SERVER_PORT="+admin, "PGRST_ADMIN_SERVER_EXPLORER_DIR="+*explorer)
		explorerURL = "http://localhost:" + admin + "/explorer/"
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// In its own process group, the server gets one stop signal, ours,
	// rather than the terminal's Ctrl-C and then ours again.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	ready, sig := waitListening(port, exited, sigs)
	if ready {
		printBanner(port, cluster, token, explorerURL)
	}
	if sig == nil {
		select {
		case <-exited:
		case sig = <-sigs:
		}
	}
	if sig != nil {
		cmd.Process.Signal(sig)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			fmt.Fprintln(os.Stderr, "pgrst-demo: the server did not stop within 10s; killing it")
			cmd.Process.Kill()
			<-exited
		}
	}
	return exitCode(cmd.ProcessState)
}

// clearDir removes what a previous run left in dir, unless a server still
// runs there, or dir holds something else than a demo cluster.
func clearDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err != nil && len(entries) > 0 {
		return fmt.Errorf("%s holds something else than the demo's database: remove it or pick another -dir", dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err == nil {
		first, _, _ := strings.Cut(string(b), "\n")
		if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 && syscall.Kill(pid, 0) == nil {
			return fmt.Errorf("a PostgreSQL server (pid %d) still runs in %s: is another demo running?", pid, dir)
		}
	}
	return os.RemoveAll(dir)
}

// demoToken is an HS256 JWT for the role todo_user, without expiry. It is
// the same at every run, so it may be kept in a shell variable.
func demoToken() (string, error) {
	tok, err := jwt.NewBuilder().Claim("role", "todo_user").Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256, []byte(demoSecret)))
	return string(signed), err
}

// waitListening waits until something accepts connections on port (ready),
// for at most 30 seconds, or until the server exits; a signal cuts the wait
// short and is returned.
func waitListening(port string, exited <-chan struct{}, sigs <-chan os.Signal) (ready bool, sig os.Signal) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort("localhost", port), time.Second)
		if err == nil {
			conn.Close()
			return true, nil
		}
		select {
		case <-exited:
			return false, nil
		case sig := <-sigs:
			return false, sig
		case <-time.After(100 * time.Millisecond):
		}
	}
	fmt.Fprintf(os.Stderr, "pgrst-demo: nothing listens on port %s after 30s\n", port)
	return false, nil
}

func printBanner(port string, c *pgtest.Cluster, token, explorerURL string) {
	base := "localhost:" + port
	if explorerURL != "" {
		fmt.Printf("\nAPI explorer (Swagger UI): %s\n", explorerURL)
	}
	fmt.Printf(`
pgrst demo: http://%[1]s  (Ctrl-C stops it and removes the database)

  curl %[1]s/todos
  curl '%[1]s/todos?done=is.false&order=due.asc.nullslast'
  curl '%[1]s/films?select=title,year&year=lt.1960&order=year.desc'
  curl '%[1]s/films?select=title,directors(last_name),roles(character,actors(first_name,last_name))&id=eq.1'

  export TOKEN=%[2]s
  curl '%[1]s/todos?select=id,task&done=is.false' -H "Authorization: Bearer $TOKEN"

  The token is an HS256 JWT for the role todo_user, signed with the demo secret
  %[3]s
  Database (superuser, no password): psql '%[4]s'

  Configuration in the database, applied at once to the running server:
  psql '%[4]s' -c "insert into pgrst.config values ('db-max-rows', '2')"
  psql '%[4]s' -c "delete from pgrst.config"

`, base, token, demoSecret, c.URI("postgres", "postgres"))
}

// exitCode is the child's exit code, or 128+signal if a signal ended it.
func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return 1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "pgrst-demo:", err)
	return 1
}
