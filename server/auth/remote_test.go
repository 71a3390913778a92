package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
)

// jwksServer is an identity provider on loopback whose key set the test
// changes: it counts the JWKS fetches and can be made to fail.
type jwksServer struct {
	*httptest.Server
	mu           sync.Mutex
	set          string // the JWKS document
	cacheControl string
	status       int // 0: 200
	fetches      atomic.Int32
	issuer       string // discovery's "issuer"; "" = the server's URL
}

func newJWKSServer(t *testing.T, set string) *jwksServer {
	s := &jwksServer{set: set}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			iss := s.issuer
			if iss == "" {
				iss = s.URL
			}
			w.Write([]byte(`{"issuer":"` + iss + `","jwks_uri":"` + s.URL + `/keys"}`))
		case "/keys":
			s.fetches.Add(1)
			if s.status != 0 {
				w.WriteHeader(s.status)
				return
			}
			if s.cacheControl != "" {
				w.Header().Set("Cache-Control", s.cacheControl)
			}
			w.Write([]byte(s.set))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(set string) {
	s.mu.Lock()
	s.set, s.status = set, 0
	s.mu.Unlock()
}

func (s *jwksServer) fail(status int) {
	s.mu.Lock()
	s.status = status
	s.mu.Unlock()
}

// events collects a verifier's fetch reports.
type events struct {
	mu   sync.Mutex
	list []FetchEvent
}

func (e *events) add(ev FetchEvent) { e.mu.Lock(); e.list = append(e.list, ev); e.mu.Unlock() }

func (e *events) last() FetchEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.list[len(e.list)-1]
}

func remoteVerifier(t *testing.T, ro RemoteOptions, ev *events) *Verifier {
	t.Helper()
	if ev != nil {
		ro.OnFetch = ev.add
	}
	v := mustNew(t, Options{AnonRole: "anon", CacheEntries: 100, Remote: ro})
	t.Cleanup(v.Close)
	return v
}

// authNow authenticates against the real clock (remote tests sign
// tokens without time claims).
func authNow(t *testing.T, v *Verifier, tok string) (Result, *Error) {
	t.Helper()
	return v.Authenticate(bearer(tok), time.Now())
}

func wantRemoteRole(t *testing.T, v *Verifier, tok, role string) {
	t.Helper()
	res, err := authNow(t, v, tok)
	if err != nil {
		t.Fatalf("Authenticate: %s %s (%s)", err.Code, err.Message, err.Details)
	}
	if res.Role != role {
		t.Fatalf("role = %q, want %q", res.Role, role)
	}
}

func wantRemoteErr(t *testing.T, v *Verifier, tok, code, details string) {
	t.Helper()
	res, err := authNow(t, v, tok)
	if err == nil {
		t.Fatalf("Authenticate succeeded with role %q, want %s", res.Role, code)
	}
	if err.Code != code || err.Details != details || err.Status != 401 ||
		!strings.HasPrefix(err.WWWAuthenticate, `Bearer error="invalid_token"`) {
		t.Fatalf("error = %d %s %q (%q), WWW-Authenticate %q; want 401 %s (%q)",
			err.Status, err.Code, err.Message, err.Details, err.WWWAuthenticate, code, details)
	}
}

func TestRemoteRotation(t *testing.T) {
	k := testKeys()
	one := `{"keys":[` + publicJWK(t, k.rsa, map[string]any{"kid": "one", "alg": "RS256"}) + `]}`
	two := `{"keys":[` + publicJWK(t, k.rsa2, map[string]any{"kid": "two", "alg": "RS256"}) + `]}`
	idp := newJWKSServer(t, one)
	tokOne := sign(t, jwa.RS256, k.rsa, `{"role":"author"}`, map[string]any{"kid": "one"})
	tokTwo := sign(t, jwa.RS256, k.rsa2, `{"role":"editor"}`, map[string]any{"kid": "two"})
	const cooldown = 500 * time.Millisecond
	v := remoteVerifier(t, RemoteOptions{JWKSURL: idp.URL + "/keys", Cooldown: cooldown}, nil)

	wantRemoteRole(t, v, tokOne, "author")
	wantRemoteErr(t, v, tokTwo, "PGRST301", detNoSuitableKey) // within the cooldown: no fetch
	if n := idp.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}

	idp.serve(two)
	time.Sleep(cooldown + 50*time.Millisecond)
	// The unknown kid fetches the rotated set, and the request succeeds.
	wantRemoteRole(t, v, tokTwo, "editor")
	if n := idp.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	// The old key left the set: its token, though cached, fails now.
	wantRemoteErr(t, v, tokOne, "PGRST301", detNoSuitableKey)
}

func TestRemoteUnknownKidRateLimit(t *testing.T) {
	k := testKeys()
	idp := newJWKSServer(t, `{"keys":[`+publicJWK(t, k.rsa, map[string]any{"kid": "one"})+`]}`)
	toks := make([]string, 20)
	for i := range toks {
		toks[i] = sign(t, jwa.RS256, k.rsa2, `{"role":"x"}`, map[string]any{"kid": "k" + string(rune('a'+i))})
	}
	const cooldown = time.Second
	v := remoteVerifier(t, RemoteOptions{JWKSURL: idp.URL + "/keys", Cooldown: cooldown}, nil)
	burst := func() {
		var wg sync.WaitGroup
		for _, tok := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := v.Authenticate(bearer(tok), time.Now()); err == nil || err.Code != "PGRST301" {
					t.Errorf("unknown kid: %v", err)
				}
			}()
		}
		wg.Wait()
	}
	burst() // right after the first fetch: all within the cooldown
	if n := idp.fetches.Load(); n != 1 {
		t.Fatalf("after a burst within the cooldown: %d fetches, want 1", n)
	}
	time.Sleep(cooldown + 50*time.Millisecond)
	burst() // twenty unknown kids together: one fetch
	if n := idp.fetches.Load(); n != 2 {
		t.Fatalf("after a burst past the cooldown: %d fetches, want 2", n)
	}
	burst()
	if n := idp.fetches.Load(); n != 2 {
		t.Fatalf("after a second burst: %d fetches, want 2", n)
	}
}

func TestRemoteFailureKeepsKeys(t *testing.T) {
	k := testKeys()
	idp := newJWKSServer(t, `{"keys":[`+publicJWK(t, k.rsa, map[string]any{"kid": "one"})+`]}`)
	var ev events
	v := remoteVerifier(t, RemoteOptions{JWKSURL: idp.URL + "/keys", Cooldown: 20 * time.Millisecond}, &ev)
	tokOne := sign(t, jwa.RS256, k.rsa, `{"role":"author"}`, map[string]any{"kid": "one"})
	tokNew := sign(t, jwa.RS256, k.rsa2, `{"role":"author"}`, map[string]any{"kid": "new"})
	wantRemoteRole(t, v, tokOne, "author")

	for _, c := range []struct {
		name  string
		setup func()
		want  string
	}{
		{"status 500", func() { idp.fail(500) }, "status 500"},
		{"not JSON", func() { idp.serve("<html>") }, "not a JSON object"},
		{"one key, not a set", func() { idp.serve(publicJWK(t, k.rsa2, map[string]any{"kid": "new"})) }, "not a JSON object"},
		{"no usable key", func() { idp.serve(`{"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}]}`) }, "no usable"},
		{"a malformed key", func() { idp.serve(`{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0","use":"both"}]}`) }, `"use" must be`},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.setup()
			time.Sleep(30 * time.Millisecond)
			before := idp.fetches.Load()
			wantRemoteErr(t, v, tokNew, "PGRST301", detNoSuitableKey) // fetches, fails
			if idp.fetches.Load() == before {
				t.Fatal("the unknown kid did not fetch")
			}
			last := ev.last()
			if last.Err == nil || !strings.Contains(last.Err.Error(), c.want) {
				t.Fatalf("fetch error %v, want one saying %q", last.Err, c.want)
			}
			if strings.Contains(last.Err.Error(), "c2VjcmV0") {
				t.Fatalf("the error shows key material: %v", last.Err)
			}
			wantRemoteRole(t, v, tokOne, "author") // the last good set stays
		})
	}
}

// The background refresh follows max-age (within MinTTL), and retries a
// failed fetch without dropping the keys.
func TestRemoteBackgroundRefresh(t *testing.T) {
	k := testKeys()
	idp := newJWKSServer(t, `{"keys":[`+publicJWK(t, k.rsa, map[string]any{"kid": "one"})+`]}`)
	idp.cacheControl = "public, max-age=0"
	v := remoteVerifier(t, RemoteOptions{JWKSURL: idp.URL + "/keys", MinTTL: 50 * time.Millisecond, Cooldown: time.Hour}, nil)
	idp.serve(`{"keys":[` + publicJWK(t, k.rsa2, map[string]any{"kid": "two"}) + `]}`)
	tokTwo := sign(t, jwa.RS256, k.rsa2, `{"role":"author"}`, map[string]any{"kid": "two"})
	waitFor(t, func() bool { _, err := authNow(t, v, tokTwo); return err == nil })

	idp.fail(503)
	n := idp.fetches.Load()
	waitFor(t, func() bool { return idp.fetches.Load() >= n+2 })
	wantRemoteRole(t, v, tokTwo, "author")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5 s")
}

func TestRemoteOIDCIssuer(t *testing.T) {
	k := testKeys()
	idp := newJWKSServer(t, `{"keys":[`+publicJWK(t, k.ec256, map[string]any{"kid": "e"})+`]}`)
	v := remoteVerifier(t, RemoteOptions{Issuer: idp.URL}, nil)
	tok := func(payload string) string {
		return sign(t, jwa.ES256, k.ec256, payload, map[string]any{"kid": "e"})
	}
	wantRemoteRole(t, v, tok(`{"role":"author","iss":"`+idp.URL+`"}`), "author")
	for _, payload := range []string{`{"role":"author"}`, `{"role":"author","iss":"https://evil.example"}`, `{"role":"author","iss":1}`} {
		_, err := authNow(t, v, tok(payload))
		if err == nil || err.Code != "PGRST303" || err.Message != "JWT not issued by the configured issuer" {
			t.Errorf("%s: %v", payload, err)
		}
	}

	// A discovery document naming another issuer is refused.
	idp2 := newJWKSServer(t, `{"keys":[`+publicJWK(t, k.ec256, map[string]any{"kid": "e"})+`]}`)
	idp2.issuer = "https://elsewhere.example"
	var ev events
	v2 := remoteVerifier(t, RemoteOptions{Issuer: idp2.URL, Cooldown: time.Hour}, &ev)
	if err := ev.last().Err; err == nil || !strings.Contains(err.Error(), "is not the configured") {
		t.Fatalf("discovery error %v", err)
	}
	wantRemoteErr(t, v2, tok(`{"role":"author","iss":"`+idp2.URL+`"}`), "PGRST301", detNoSuitableKey)
}

// Static keys of jwt-secret verify beside the fetched ones.
func TestRemoteWithSecret(t *testing.T) {
	k := testKeys()
	idp := newJWKSServer(t, `{"keys":[`+publicJWK(t, k.rsa, map[string]any{"kid": "one"})+`]}`)
	v := mustNew(t, Options{Secret: []byte(secret), Remote: RemoteOptions{JWKSURL: idp.URL + "/keys"}})
	defer v.Close()
	wantRemoteRole(t, v, sign(t, jwa.HS256, []byte(secret), `{"role":"svc"}`, nil), "svc")
	wantRemoteRole(t, v, sign(t, jwa.RS256, k.rsa, `{"role":"author"}`, map[string]any{"kid": "one"}), "author")
}

func TestRemoteURLs(t *testing.T) {
	for _, c := range []struct {
		o    RemoteOptions
		want string
	}{
		{RemoteOptions{JWKSURL: "ftp://x/keys"}, `jwt-jwks-url: "ftp://x/keys" is not an http(s) URL`},
		{RemoteOptions{Issuer: "example.com"}, `jwt-oidc-issuer: "example.com" is not an http(s) URL`},
		{RemoteOptions{JWKSURL: "https://user:hunter2@/keys"}, `jwt-jwks-url: "https://user:xxxxx@/keys" is not an http(s) URL`},
	} {
		_, err := New(Options{Remote: c.o})
		if err == nil || err.Error() != c.want {
			t.Errorf("%+v: %v, want %s", c.o, err, c.want)
		}
	}
	// A password in the URL is never reported; an unreachable provider
	// does not stop New.
	var ev events
	v := remoteVerifier(t, RemoteOptions{JWKSURL: "http://user:hunter2@127.0.0.1:1/keys", Cooldown: time.Hour}, &ev)
	last := ev.last()
	if last.Err == nil || strings.Contains(last.Err.Error(), "hunter2") || strings.Contains(last.URL, "hunter2") {
		t.Fatalf("event %+v", last)
	}
	wantRemoteErr(t, v, sign(t, jwa.HS256, []byte(secret), `{"role":"a"}`, nil), "PGRST301", detNoSuitableKey)
}

func TestRemoteTTL(t *testing.T) {
	r := &remote{o: RemoteOptions{MinTTL: time.Minute, MaxTTL: time.Hour, DefaultTTL: 15 * time.Minute}}
	for cc, want := range map[string]time.Duration{
		"":                           15 * time.Minute,
		"public, max-age=600":        10 * time.Minute,
		"max-age=5":                  time.Minute,
		"max-age=99999999999999999":  time.Hour,
		"MAX-AGE=\"120\", must-rev":  2 * time.Minute,
		"no-store":                   time.Minute,
		"max-age=600, no-cache":      time.Minute,
		"max-age=-1":                 15 * time.Minute,
		"max-age=abc, s-maxage=9000": 15 * time.Minute,
	} {
		if got := r.ttl(cc); got != want {
			t.Errorf("ttl(%q) = %v, want %v", cc, got, want)
		}
	}
}
