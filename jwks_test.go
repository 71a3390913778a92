package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"

	"github.com/pgrst/pgrst/internal/jwttest"
)

// jwksProvider serves a key set of one HS256 key, kid, behind basic
// authentication (user idp, password), and returns its URL with them.
func jwksProvider(t *testing.T, kid, key, password string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "idp" || p != password {
			w.WriteHeader(401)
			return
		}
		w.Write([]byte(`{"keys":[{"kty":"oct","kid":"` + kid + `","alg":"HS256","k":"` +
			base64.RawURLEncoding.EncodeToString([]byte(key)) + `"}]}`))
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/jwks")
	u.User = url.UserPassword("idp", password)
	return u.String()
}

// kidToken is an Authorization header with a todo_user token signed with
// key (HS256), naming kid.
func kidToken(t *testing.T, kid, key string) string {
	t.Helper()
	return "Bearer " + jwttest.Sign(t, jwa.HS256, []byte(key), kid, map[string]any{"role": "todo_user"})
}

// jwt-jwks-url end to end: the binary fetches the key set at start and
// after a reload from the config table, and logs each fetch without the
// keys or the URL's password.
func TestJWKSURL(t *testing.T) {
	const (
		keyA     = "jwks-key-A-Hn4tLeak-0123456789abcdef"
		keyB     = "jwks-key-B-Pc8wLeak-0123456789abcdef"
		password = "jwks-pw-Ux2mLeak"
	)
	urlA, urlB := jwksProvider(t, "a", keyA, password), jwksProvider(t, "b", keyB, password)
	tok := func(kid, key string) string { return kidToken(t, kid, key) }

	c := newCluster(t)
	runSetup(t, c)
	p := startPgrst(t, c, true, "PGRST_JWT_JWKS_URL="+urlA, "PGRST_LOG_LEVEL=debug")
	if n := p.rows(t, "/todos", "Authorization", tok("a", keyA)); n != 4 {
		t.Fatalf("token of the fetched key: %d", n)
	}
	// jwt-secret still verifies beside the fetched keys.
	if n := p.rows(t, "/todos", "Authorization", signedToken(t, ctlSecret, map[string]any{"role": "todo_user"})); n != 4 {
		t.Fatalf("token of jwt-secret: %d", n)
	}
	if n := p.rows(t, "/todos", "Authorization", tok("b", keyB)); n != -401 {
		t.Fatalf("token of another provider: %d", n)
	}

	execSQL(t, c, `insert into pgrst.config values ('jwt-jwks-url', '`+urlB+`')`)
	p.waitFor(t, 5*time.Second, "the new provider's key", func() bool {
		return p.rows(t, "/todos", "Authorization", tok("b", keyB)) == 4
	})
	if n := p.rows(t, "/todos", "Authorization", tok("a", keyA)); n != -401 {
		t.Fatalf("token of the old provider after the reload: %d", n)
	}

	log := p.log.String()
	if strings.Count(log, "JWT key set fetched") < 2 {
		t.Fatalf("the log does not show two fetches:\n%s", log)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{keyA, keyB, password, b64([]byte(keyA)), b64([]byte(keyB))} {
		if strings.Contains(log, s) {
			t.Errorf("the log shows %q:\n%s", s, excerpt(log, s))
		}
	}
}

// A verifier's background key refresh ends with it: after reloads that
// replace it, and after one that built a verifier but failed later (a
// db-schemas that does not exist), one refresh goroutine runs.
func TestJWKSVerifierGoroutines(t *testing.T) {
	const keyA, keyB, password = "jwks-key-A-0123456789abcdef-0123", "jwks-key-B-0123456789abcdef-0123", "pw"
	urlA, urlB := jwksProvider(t, "a", keyA, password), jwksProvider(t, "b", keyB, password)
	c := newCluster(t)
	runSetup(t, c)
	pprofAddr := "127.0.0.1:" + freePort(t)
	p := startPgrst(t, c, true, "PGRST_JWT_JWKS_URL="+urlA, "PGRST_PPROF_ADDR="+pprofAddr)
	refreshes := func() int {
		res, err := client.Get("http://" + pprofAddr + "/debug/pprof/goroutine?debug=2")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return strings.Count(string(b), "auth.(*remote).loop(")
	}
	if n := refreshes(); n != 1 {
		t.Fatalf("%d key refresh goroutines at start, want 1", n)
	}
	for i, u := range []string{urlB, urlA, urlB} {
		kid, key := "a", keyA
		if u == urlB {
			kid, key = "b", keyB
		}
		execSQL(t, c, `delete from pgrst.config where key = 'jwt-jwks-url';
			insert into pgrst.config values ('jwt-jwks-url', '`+u+`')`)
		p.waitFor(t, 10*time.Second, fmt.Sprintf("reload %d", i+1), func() bool {
			return p.rows(t, "/todos", "Authorization", kidToken(t, kid, key)) == 4
		})
	}
	if n := refreshes(); n != 1 {
		t.Fatalf("%d key refresh goroutines after 3 reloads, want 1", n)
	}
	failed := p.metric(t, `pgrst_config_reloads_total{status="FAIL"}`)
	execSQL(t, c, `delete from pgrst.config where key = 'jwt-jwks-url';
		insert into pgrst.config values ('jwt-jwks-url', '`+urlA+`'), ('db-schemas', 'no_such_schema')`)
	p.waitFor(t, 10*time.Second, "the failed reload", func() bool {
		return p.metric(t, `pgrst_config_reloads_total{status="FAIL"}`) > failed
	})
	if n := refreshes(); n != 1 {
		t.Fatalf("%d key refresh goroutines after a failed reload, want 1", n)
	}
	if n := p.rows(t, "/todos", "Authorization", kidToken(t, "b", keyB)); n != 4 {
		t.Fatalf("the running verifier after a failed reload: %d", n)
	}
}
