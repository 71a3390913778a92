package main

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The database password and the JWT secret never appear in the log (at
// debug level), in a response (bodies and headers, errors included), in
// /metrics or /schema_cache, whatever happens: bad requests and tokens,
// invalid and restart-only configuration from the database, reloads,
// the database going away and coming back, a start with a URI that
// cannot be used.
func TestSecretsNeverLeak(t *testing.T) {
	const (
		password    = "pw-Zq9xLeak-7731"
		jwtSecret   = "jwt-secret-Kp2vLeak-0123456789abcdef"
		tableSecret = "table-secret-short"         // an invalid jwt-secret from the config table
		otherPass   = "pw-other-Wm4nLeak-5510"     // in a db-uri that waits for a restart
		badURIPass  = "pw-bad-uri-Rt8cLeak-2207"   // in a db-uri that cannot be parsed
		appSecret   = "app-setting-Yh3bLeak-4409"  // an app.settings value: the database's to see, not the log's
		claimSecret = "claim-value-Qd5sLeak-9901"  // a claim: likewise
		headerValue = "header-value-Vb7kLeak-3303" // an Authorization header that is not a token
	)
	secrets := []string{password, jwtSecret, tableSecret, otherPass, badURIPass, appSecret, claimSecret, headerValue}

	c := newCluster(t)
	runSetup(t, c)
	uri, err := url.Parse(c.URI("authenticator", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	uri.User = url.UserPassword("authenticator", password)
	p := startPgrst(t, c, true,
		"PGRST_DB_URI="+uri.String(),
		"PGRST_JWT_SECRET="+jwtSecret,
		"PGRST_LOG_LEVEL=debug",
		"PGRST_APP_SETTINGS_HIDDEN="+appSecret,
		"PGRST_DB_POOL_ACQUISITION_TIMEOUT=2",
	)
	var seen strings.Builder // every response, headers and body
	admin := *p
	admin.url = p.admin
	get := func(srv *proc, path string, headers ...string) {
		r := srv.get(t, path, headers...)
		r.header.Write(&seen)
		seen.WriteString(r.body + "\n")
	}
	exercise := func() {
		tok := signedToken(t, jwtSecret, map[string]any{"role": "todo_user", "sub": claimSecret})
		bad := signedToken(t, "another-secret-of-32-characters-x", map[string]any{"role": "todo_user"})
		get(p, "/todos")
		get(p, "/todos", "Authorization", tok)
		get(p, "/todos", "Authorization", bad)
		get(p, "/todos", "Authorization", "Bearer "+headerValue)
		get(p, "/todos", "Authorization", headerValue)
		get(p, "/nothing_here")
		get(p, "/todos?id=eq.notanumber")
		get(p, "/todos?select=nope")
		get(p, "/rpc/nope")
		get(p, "/")
		get(&admin, "/metrics")
		get(&admin, "/schema_cache")
		get(&admin, "/ready")
	}
	exercise()

	// Configuration from the database: an invalid secret, a db-uri that
	// needs a restart.
	otherURI := *uri
	otherURI.User = url.UserPassword("authenticator", otherPass)
	execSQL(t, c, `insert into pgrst.config values ('jwt-secret', '`+tableSecret+`'), ('db-uri', '`+otherURI.String()+`')`)
	p.waitFor(t, 5*time.Second, "the config reload to be logged", func() bool {
		return strings.Contains(p.log.String(), "jwt-secret")
	})
	execSQL(t, c, `delete from pgrst.config; notify pgrst`)
	p.cmd.Process.Signal(syscall.SIGUSR1)
	p.cmd.Process.Signal(syscall.SIGUSR2)
	exercise()

	// The database goes away, and comes back.
	if err := c.Halt(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		exercise()
	}
	if err := c.Resume(); err != nil {
		t.Fatal(err)
	}
	p.waitFor(t, 30*time.Second, "ready after the restart", func() bool { return p.status(p.admin+"/ready") == 200 })
	exercise()

	// Starts with a URI that cannot be parsed or used, or a secret that
	// is not one.
	var startLog []byte
	for _, env := range [][]string{
		{"PGRST_DB_URI=postgres://authenticator:" + badURIPass + "@127.0.0.1:99999/postgres"},
		{"PGRST_DB_URI=host=127.0.0.1 port=99999 user=authenticator password=" + badURIPass},
		{"PGRST_DB_URI=postgres://authenticator:" + badURIPass + "@127.0.0.1:1/postgres?connect_timeout=1"},
		{"PGRST_DB_URI=" + uri.String(), "PGRST_JWT_SECRET=" + tableSecret},
		{"PGRST_DB_URI=" + uri.String(), "PGRST_JWT_SECRET={\"kty\":\"oct\",\"k\":\"" + tableSecret + "\""},
	} {
		cmd := exec.Command(pgrstBinary(t))
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PGRST_SERVER_PORT=" + freePort(t),
			"PGRST_LOG_LEVEL=debug", "PGRST_SERVER_HOST=127.0.0.1"}, env...)
		// Started here, waited for in a goroutine: cmd.Process is set
		// before anything else reads it.
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() {
			cmd.Wait()
			close(exited)
		}()
		select {
		case <-exited:
		case <-time.After(2 * time.Second):
			cmd.Process.Signal(syscall.SIGTERM)
			<-exited
		}
		startLog = append(startLog, out.Bytes()...)
	}

	log := p.log.String()
	if !strings.Contains(log, "jwt-secret") || !strings.Contains(string(startLog), "db-uri") {
		t.Fatalf("the log does not show the reloads:\n%s", log)
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the log shows %q:\n%s", s, excerpt(log, s))
		}
		if strings.Contains(seen.String(), s) {
			t.Errorf("a response shows %q:\n%s", s, excerpt(seen.String(), s))
		}
		if strings.Contains(string(startLog), s) {
			t.Errorf("the start-up output shows %q:\n%s", s, startLog)
		}
	}
	t.Logf("%d bytes of log, %d of responses, %d of start-up output checked", len(log), seen.Len(), len(startLog))
}

// excerpt is the text around the first s in text.
func excerpt(text, s string) string {
	i := strings.Index(text, s)
	lo, hi := max(0, i-300), min(len(text), i+len(s)+300)
	return text[lo:hi]
}
