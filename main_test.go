package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds pgrst once for the tests that run it as a user would.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pgrst")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Every invalid value ends the program with exit code 1 and one line that
// names the option, never a panic or a stack trace.
func TestInvalidConfigExits(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cases := []struct {
		name, file string
		env        []string
		option     string
	}{
		{"pool", `db-pool = "abc"`, nil, "db-pool"},
		{"port", `server-port = 70000`, nil, "server-port"},
		{"short secret", `jwt-secret = "short"`, nil, "jwt-secret"},
		{"log level", `log-level = "loud"`, nil, "log-level"},
		{"max rows", "", []string{"PGRST_DB_MAX_ROWS=-5"}, "db-max-rows"},
		{"bad role claim key", `jwt-role-claim-key = ".role[abc"`, nil, "jwt-role-claim-key"},
		{"syntax", `db-uri = "unterminated`, nil, "pgrst.conf"},
		{"missing file", "", nil, "missing.conf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "pgrst.conf")
			if c.name == "missing file" {
				path = filepath.Join(dir, "missing.conf")
			} else if err := os.WriteFile(path, []byte(c.file+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, path)
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, c.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, stderr %q", err, stderr.String())
			}
			msg := strings.TrimSpace(stderr.String())
			if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, c.option) || strings.Contains(msg, "goroutine") {
				t.Fatalf("want one line naming %s, got %q", c.option, msg)
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	bin := buildBinary(t)
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "pgrst ") {
		t.Fatalf("--version: %v %q", err, out)
	}
	out, err = exec.Command(bin, "--example").Output()
	if err != nil || !strings.Contains(string(out), "db-uri") {
		t.Fatalf("--example: %v %q", err, out)
	}
	// The example is itself a valid configuration.
	path := filepath.Join(t.TempDir(), "example.conf")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Command(bin, "--help").Output(); err != nil {
		t.Fatalf("--help: %v", err)
	}
	cmd := exec.Command(bin, "--bogus")
	if err := cmd.Run(); err == nil {
		t.Fatal("--bogus accepted")
	}
}

// The server starts without its database (answering 503 until the schema
// cache loads) and stops cleanly on SIGTERM.
func TestStartWithoutDatabaseAndStop(t *testing.T) {
	bin := buildBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pprofAddr := pln.Addr().String()
	pln.Close()
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"PGRST_DB_URI=postgres://nobody@127.0.0.1:1/none?connect_timeout=1",
		"PGRST_SERVER_HOST=127.0.0.1",
		"PGRST_SERVER_PORT=" + strconv.Itoa(port),
		"PGRST_DB_ANON_ROLE=anon",
		"PGRST_PPROF_ADDR=" + pprofAddr,
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/items"
	var res *http.Response
	for i := 0; i < 100; i++ {
		if res, err = http.Get(url); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 503 || !strings.Contains(string(body), "PGRST002") {
		t.Fatalf("without a database: %d %s", res.StatusCode, body)
	}
	// The profiling endpoints (PGRST_PPROF_ADDR) listen on their own address.
	if res, err = http.Get("http://" + pprofAddr + "/debug/pprof/"); err != nil || res.StatusCode != 200 {
		t.Fatalf("pprof: %v %v", res, err)
	}
	res.Body.Close()
	if res, err = http.Get(url[:strings.LastIndex(url, "/")] + "/debug/pprof/"); err != nil || res.StatusCode == 200 {
		t.Fatalf("pprof must not be served on the API's port: %v %v", res, err)
	}
	res.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit 15 s after SIGTERM")
	}
}
