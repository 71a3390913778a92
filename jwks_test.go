package main

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// jwt-jwks-url end to end: the binary fetches the key set at start and
// after a reload from the config table, and logs each fetch without the
// keys or the URL's password.
func TestJWKSURL(t *testing.T) {
	const (
		keyA     = "jwks-key-A-Hn4tLeak-0123456789abcdef"
		keyB     = "jwks-key-B-Pc8wLeak-0123456789abcdef"
		password = "jwks-pw-Ux2mLeak"
	)
	provider := func(kid, key string) string {
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
	urlA, urlB := provider("a", keyA), provider("b", keyB)
	tok := func(kid, key string) string {
		k, err := jwk.FromRaw([]byte(key))
		if err != nil {
			t.Fatal(err)
		}
		k.Set(jwk.KeyIDKey, kid)
		tk := jwt.New()
		tk.Set("role", "todo_user")
		b, err := jwt.Sign(tk, jwt.WithKey(jwa.HS256, k))
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + string(b)
	}

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
