package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/pgrst/pgrst/internal/jwttest"
	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/wire"
)

// rotatingIssuer is an OpenID provider on loopback: a discovery document
// and a JWKS holding the public half of its current signing key.
type rotatingIssuer struct {
	*httptest.Server
	mu      sync.Mutex
	kid     string
	key     *ecdsa.PrivateKey
	fetches atomic.Int32
}

func newRotatingIssuer(t *testing.T) *rotatingIssuer {
	is := &rotatingIssuer{}
	is.rotate(t, "k1")
	is.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		is.mu.Lock()
		defer is.mu.Unlock()
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": is.URL, "jwks_uri": is.URL + "/jwks"})
		case "/jwks":
			is.fetches.Add(1)
			pub, err := jwk.PublicKeyOf(is.key)
			if err != nil {
				t.Error(err)
			}
			pub.Set(jwk.KeyIDKey, is.kid)
			w.Header().Set("Cache-Control", "max-age=3600")
			json.NewEncoder(w).Encode(map[string]any{"keys": []jwk.Key{pub}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(is.Close)
	return is
}

// rotate replaces the signing key; the old one leaves the key set.
func (is *rotatingIssuer) rotate(t *testing.T, kid string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is.mu.Lock()
	is.kid, is.key = kid, key
	is.mu.Unlock()
}

// token is signed with the current key; iss is the issuer's URL.
func (is *rotatingIssuer) token(t *testing.T, role string) string {
	is.mu.Lock()
	defer is.mu.Unlock()
	return jwttest.Sign(t, jwa.ES256, is.key, is.kid, map[string]any{"role": role, "iss": is.URL})
}

func TestJWKSFromOIDCIssuer(t *testing.T) {
	is := newRotatingIssuer(t)
	// The cooldown is long enough that a loaded machine still sends the
	// next request within it after a fetch.
	const cooldown = 2 * time.Second
	s := startServer(t, func(o *server.Options, _ *wire.Options) {
		v, err := auth.New(auth.Options{AnonRole: "web_anon", CacheEntries: 100,
			Remote: auth.RemoteOptions{Issuer: is.URL, Cooldown: cooldown}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.Close)
		o.Auth = v
	})
	old := is.token(t, "todo_user")
	expect(t, s.get(t, "/whoami?select=role", bearer(old)...), 200, `[{"role":"todo_user"}]`)

	// Past the cooldown of the first fetch, an unknown kid fetches the
	// rotated set once.
	time.Sleep(cooldown + 50*time.Millisecond)
	is.rotate(t, "k2")
	fresh := is.token(t, "todo_user")
	expect(t, s.get(t, "/whoami?select=role", bearer(fresh)...), 200, `[{"role":"todo_user"}]`)
	expect(t, s.get(t, "/whoami?select=role", bearer(fresh)...), 200, `[{"role":"todo_user"}]`)
	if n := is.fetches.Load(); n != 2 {
		t.Errorf("%d key set fetches, want 2", n)
	}
	// Within the cooldown of that fetch, the next new kid is unknown.
	is.rotate(t, "k3")
	r := s.get(t, "/whoami?select=role", bearer(is.token(t, "todo_user"))...)
	expectError(t, r, 401, "PGRST301")
	if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
	}
	if n := is.fetches.Load(); n != 2 {
		t.Errorf("%d key set fetches within the cooldown, want 2", n)
	}
	// The rotated-out key no longer verifies, cached or not.
	expectError(t, s.get(t, "/whoami?select=role", bearer(old)...), 401, "PGRST301")
	// A token signed by another provider is refused.
	other := newRotatingIssuer(t)
	expectError(t, s.get(t, "/whoami", bearer(other.token(t, "todo_user"))...), 401, "PGRST301")
}
