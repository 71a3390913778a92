package server_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/pgrst/pgrst/internal/jwttest"
	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/wire"
)

// b64 is base64url without padding, as JWTs encode their parts.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signHS signs header and claims with HMAC-SHA256 and secret, whatever the
// header says: attacks forge tokens a JWT library would refuse to make.
func signHS(secret []byte, header, claims any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	head := b64(h) + "." + b64(c)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(head))
	return head + "." + b64(mac.Sum(nil))
}

// signRS signs claims with RS256 and priv, its header naming kid.
func signRS(t *testing.T, priv *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	return jwttest.Sign(t, jwa.RS256, priv, kid, claims)
}

// expectRejected checks a 401 with the PGRST code, the message, and the
// RFC 6750 challenge naming it.
func expectRejected(t *testing.T, r response, code, message string) {
	t.Helper()
	body := expectError(t, r, 401, code)
	if message != "" && body["message"] != message {
		t.Errorf("message %q, want %q", body["message"], message)
	}
	want := `Bearer error="invalid_token", error_description="` + message + `"`
	if message == "" {
		want = `Bearer error="invalid_token"`
	}
	if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, want) {
		t.Errorf("WWW-Authenticate %q, want %q", got, want)
	}
}

// Tokens an attacker makes: each is refused with PostgREST's 401, code,
// message and challenge, and none runs as a role other than the
// anonymous one. Beside each attack, the honest token it is made from is
// accepted, so a refusal is the attack's doing.
func TestJWTAttacks(t *testing.T) {
	s := startServer(t, nil)
	const who = "/whoami?select=role"
	now := time.Now().Unix()
	hs := map[string]any{"alg": "HS256", "typ": "JWT"}
	role := func(extra ...any) map[string]any {
		c := map[string]any{"role": "todo_user"}
		for i := 0; i+1 < len(extra); i += 2 {
			c[extra[i].(string)] = extra[i+1]
		}
		return c
	}
	secret := []byte(testSecret)
	ok := func(t *testing.T, tok string) {
		t.Helper()
		expect(t, s.get(t, who, bearer(tok)...), 200, `[{"role":"todo_user"}]`)
	}
	ok(t, signHS(secret, hs, role()))

	t.Run("alg none", func(t *testing.T) {
		for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
			tok := b64([]byte(`{"alg":"`+alg+`","typ":"JWT"}`)) + "." + b64([]byte(`{"role":"todo_user"}`)) + "."
			r := s.get(t, who, bearer(tok)...)
			if alg == "none" {
				expectRejected(t, r, "PGRST301", "Wrong or unsupported encoding algorithm")
			} else {
				expectRejected(t, r, "PGRST301", "JWT cryptographic operation failed")
			}
			// With the signature of an honest token left on.
			honest := signHS(secret, hs, role())
			tok += honest[strings.LastIndexByte(honest, '.')+1:]
			expectError(t, s.get(t, who, bearer(tok)...), 401, "PGRST301")
		}
	})
	t.Run("expired, 30 s of skew", func(t *testing.T) {
		ok(t, signHS(secret, hs, role("exp", now-20)))
		expectRejected(t, s.get(t, who, bearer(signHS(secret, hs, role("exp", now-40)))...), "PGRST303", "JWT expired")
	})
	t.Run("nbf in the future", func(t *testing.T) {
		ok(t, signHS(secret, hs, role("nbf", now+20)))
		expectRejected(t, s.get(t, who, bearer(signHS(secret, hs, role("nbf", now+40)))...), "PGRST303", "JWT not yet valid")
	})
	t.Run("iat in the future", func(t *testing.T) {
		ok(t, signHS(secret, hs, role("iat", now+20)))
		expectRejected(t, s.get(t, who, bearer(signHS(secret, hs, role("iat", now+40)))...), "PGRST303", "JWT issued at future")
	})
	t.Run("time claims of the wrong type", func(t *testing.T) {
		for _, c := range []string{"exp", "nbf", "iat"} {
			r := s.get(t, who, bearer(signHS(secret, hs, role(c, "tomorrow")))...)
			expectRejected(t, r, "PGRST303", "The JWT '"+c+"' claim must be a number")
		}
	})
	t.Run("tampered", func(t *testing.T) {
		good := signHS(secret, hs, role())
		parts := strings.Split(good, ".")
		// The payload swapped for a stronger role, the signature kept.
		forged := parts[0] + "." + b64([]byte(`{"role":"postgres"}`)) + "." + parts[2]
		expectRejected(t, s.get(t, who, bearer(forged)...), "PGRST301", "No suitable key or wrong key type")
		// One byte of the signature changed.
		sig := []byte(parts[2])
		sig[3] ^= 1
		expectError(t, s.get(t, who, bearer(parts[0]+"."+parts[1]+"."+string(sig))...), 401, "PGRST301")
		// The signature removed, or cut short.
		expectError(t, s.get(t, who, bearer(parts[0]+"."+parts[1]+".")...), 401, "PGRST301")
		expectError(t, s.get(t, who, bearer(good[:len(good)-4])...), 401, "PGRST301")
		// The header's alg changed to another HMAC.
		h384 := b64([]byte(`{"alg":"HS384","typ":"JWT"}`))
		expectError(t, s.get(t, who, bearer(h384+"."+parts[1]+"."+parts[2])...), 401, "PGRST301")
	})
	t.Run("malformed", func(t *testing.T) {
		good := signHS(secret, hs, role())
		parts := strings.Split(good, ".")
		cases := map[string]string{
			"not base64 header":  "!!!." + parts[1] + "." + parts[2],
			"not base64 payload": parts[0] + ".a*b." + parts[2],
			"padded base64":      parts[0] + "=." + parts[1] + "." + parts[2],
			"standard alphabet":  base64.StdEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + "+/." + parts[1] + "." + parts[2],
			"header not JSON":    b64([]byte("alg=HS256")) + "." + parts[1] + "." + parts[2],
			"header an array":    b64([]byte(`["HS256"]`)) + "." + parts[1] + "." + parts[2],
			"kid a number":       b64([]byte(`{"alg":"HS256","kid":1}`)) + "." + parts[1] + "." + parts[2],
			"unknown alg":        b64([]byte(`{"alg":"HS999"}`)) + "." + parts[1] + "." + parts[2],
			"dots only":          "..",
			"NUL bytes":          b64([]byte("\x00\x00")) + "." + b64([]byte("\x00")) + ".",
		}
		for name, tok := range cases {
			r := s.get(t, who, bearer(tok)...)
			if r.Status != 401 {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
				continue
			}
			expectError(t, r, 401, "PGRST301")
		}
		// A payload that is not an object.
		expectRejected(t, s.get(t, who, bearer(signHS(secret, hs, []int{1}))...), "PGRST303", "Parsing claims failed")
		// Two or four parts.
		expectRejected(t, s.get(t, who, bearer(parts[0]+"."+parts[1])...), "PGRST301", "Expected 3 parts in JWT; got 2")
		expectRejected(t, s.get(t, who, bearer(good+".x")...), "PGRST301", "Expected 3 parts in JWT; got 4")
		expectRejected(t, s.get(t, who, "Authorization", "Bearer "), "PGRST301", "Empty JWT is sent in Authorization header")
	})
	t.Run("JWE", func(t *testing.T) {
		// Compact JWE: five parts.
		jwe := b64([]byte(`{"alg":"dir","enc":"A256GCM"}`)) + "..iv.ciphertext.tag"
		expectRejected(t, s.get(t, who, bearer(jwe)...), "PGRST301", "Expected 3 parts in JWT; got 5")
		// An "enc" header on three parts.
		enc := signHS(secret, map[string]any{"alg": "HS256", "enc": "A256GCM"}, role())
		expectRejected(t, s.get(t, who, bearer(enc)...), "PGRST301", "JWT cryptographic operation failed")
	})
	t.Run("role not granted", func(t *testing.T) {
		// A valid token for a role the authenticator may not switch to
		// (the superuser): the database refuses the switch, so the
		// request runs nothing. PostgREST's answer: 42501, 403 as the
		// token is valid.
		for _, r := range []string{"postgres", "pg_read_server_files"} {
			expectError(t, s.get(t, who, bearer(signHS(secret, hs, map[string]any{"role": r}))...), 403, "42501")
		}
		// A role that does not exist.
		expectError(t, s.get(t, who, bearer(signHS(secret, hs, map[string]any{"role": "ghost"}))...), 401, "22023")
	})
	t.Run("huge token", func(t *testing.T) {
		// Within the header limit (16 KiB): read, verified, refused.
		pad := strings.Repeat("A", 12<<10)
		good := signHS(secret, hs, role())
		parts := strings.Split(good, ".")
		expectError(t, s.get(t, who, bearer(parts[0]+"."+pad+"."+parts[2])...), 401, "PGRST301")
		// 1 MB: past the header limit, refused before any parsing. The
		// server answers while the client still writes; its lingering
		// close lets the client read the answer (no reset).
		big := parts[0] + "." + strings.Repeat("A", 1<<20) + "." + parts[2]
		status, body := rawRequest(t, s.URL, "GET "+who+" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+big+"\r\n\r\n")
		expectPGRSTError(t, "1 MB token", status, body, 431, "PGRST100")
		// The server still answers.
		ok(t, good)
	})
}

// Audience: jwt-aud set, a token for another audience is refused, with
// aud as a string or a list.
func TestJWTAudience(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) {
		v, err := auth.New(auth.Options{Secret: []byte(testSecret), AnonRole: "web_anon", Audience: "pgrst-test"})
		if err != nil {
			t.Fatal(err)
		}
		o.Auth = v
	})
	hs := map[string]any{"alg": "HS256", "typ": "JWT"}
	sign := func(aud any) []string {
		return bearer(signHS([]byte(testSecret), hs, map[string]any{"role": "todo_user", "aud": aud}))
	}
	expect(t, s.get(t, "/whoami?select=role", sign("pgrst-test")...), 200, `[{"role":"todo_user"}]`)
	expect(t, s.get(t, "/whoami?select=role", sign([]string{"x", "pgrst-test"})...), 200, `[{"role":"todo_user"}]`)
	expectRejected(t, s.get(t, "/whoami", sign("other")...), "PGRST303", "JWT not in audience")
	expectRejected(t, s.get(t, "/whoami", sign([]string{"x", "y"})...), "PGRST303", "JWT not in audience")
	expectRejected(t, s.get(t, "/whoami", sign(42)...), "PGRST303", "The JWT 'aud' claim must be a string or an array of strings")
}

// A JWKS of one RSA key: HS/RS confusion (the public key used as an HMAC
// secret), an unknown kid, and another key under the right kid are all
// refused; the owner of the key gets in.
func TestJWTAsymmetricAttacks(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jwk.FromRaw(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub.Set(jwk.KeyIDKey, "k1")
	pub.Set(jwk.AlgorithmKey, jwa.RS256)
	set := jwk.NewSet()
	set.AddKey(pub)
	jwks, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, func(o *server.Options, _ *wire.Options) {
		v, err := auth.New(auth.Options{Secret: jwks, AnonRole: "web_anon"})
		if err != nil {
			t.Fatal(err)
		}
		o.Auth = v
	})
	const who = "/whoami?select=role"
	claims := map[string]any{"role": "todo_user"}
	expect(t, s.get(t, who, bearer(signRS(t, priv, "k1", claims))...), 200, `[{"role":"todo_user"}]`)

	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	for name, secret := range map[string][]byte{"PEM": pemKey, "DER": der, "JWKS": jwks, "modulus": priv.PublicKey.N.Bytes()} {
		for _, kid := range []any{nil, "k1"} {
			h := map[string]any{"alg": "HS256", "typ": "JWT"}
			if kid != nil {
				h["kid"] = kid
			}
			r := s.get(t, who, bearer(signHS(secret, h, claims))...)
			expectRejected(t, r, "PGRST301", "No suitable key or wrong key type")
			if t.Failed() {
				t.Fatalf("HS256 with the public key as %s, kid %v", name, kid)
			}
		}
	}
	expectRejected(t, s.get(t, who, bearer(signRS(t, other, "k2", claims))...), "PGRST301", "No suitable key or wrong key type")
	expectRejected(t, s.get(t, who, bearer(signRS(t, other, "k1", claims))...), "PGRST301", "No suitable key or wrong key type")
	// The right key under an unknown kid.
	expectRejected(t, s.get(t, who, bearer(signRS(t, priv, "k2", claims))...), "PGRST301", "No suitable key or wrong key type")
}
