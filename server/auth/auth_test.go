package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/pgrst/pgrst/server/auth/jsonpath"
)

// now is the fixed clock of these tests.
var now = time.Unix(1_700_000_000, 0)

const secret = "reallyreallyreallyreallyverysafe" // PostgREST's test secret

// testKeys are generated once for the whole package.
var testKeys = sync.OnceValue(func() struct {
	rsa, rsa2 *rsa.PrivateKey
	ec256     *ecdsa.PrivateKey
	ec384     *ecdsa.PrivateKey
	ed        ed25519.PrivateKey
} {
	var k struct {
		rsa, rsa2 *rsa.PrivateKey
		ec256     *ecdsa.PrivateKey
		ec384     *ecdsa.PrivateKey
		ed        ed25519.PrivateKey
	}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.ec256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.ec384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		panic(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	return k
})

// sign makes a JWS with jwx over payload exactly as given.
func sign(t testing.TB, alg jwa.SignatureAlgorithm, key any, payload string, hdr map[string]any) string {
	t.Helper()
	h := jws.NewHeaders()
	for k, v := range hdr {
		if err := h.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := jws.Sign([]byte(payload), jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// publicJWK is the JSON of the public half of key with the given members.
func publicJWK(t testing.TB, key any, members map[string]any) string {
	t.Helper()
	k, err := jwk.PublicKeyOf(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range members {
		if err := k.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustNew(t testing.TB, o Options) *Verifier {
	t.Helper()
	v, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func bearer(tok string) []byte { return []byte("Bearer " + tok) }

// wantRole checks a successful authentication.
func wantRole(t *testing.T, v *Verifier, header []byte, role string) Result {
	t.Helper()
	res, err := v.Authenticate(header, now)
	if err != nil {
		t.Fatalf("Authenticate: %v (%s)", err, err.Details)
	}
	if res.Role != role {
		t.Fatalf("role = %q, want %q", res.Role, role)
	}
	return res
}

// PostgREST v16.2's PGRST301 texts for keys and algorithms (the details
// are jose-jwt's), spelt out here so that the tests pin them.
const (
	msgKeyError     = "No suitable key or wrong key type"
	msgBadAlgorithm = "Wrong or unsupported encoding algorithm"

	detNoSuitableKey = "No suitable key was found to decode the JWT"
	detNoKeyDecoded  = "None of the keys was able to decode the JWT"
	detUnsecured     = "JWT is unsecured but expected 'alg' was not 'none'"
)

// wantErr checks a failure's code, message and details.
func wantErr(t *testing.T, v *Verifier, header []byte, code, msg, details string) *Error {
	t.Helper()
	res, err := v.Authenticate(header, now)
	if err == nil {
		t.Fatalf("Authenticate succeeded with role %q, want %s %q", res.Role, code, msg)
	}
	if err.Code != code || err.Message != msg || err.Details != details {
		t.Fatalf("error = %s %q (details %q), want %s %q (details %q)", err.Code, err.Message, err.Details, code, msg, details)
	}
	return err
}

func TestHMACPlainSecret(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), AnonRole: "anon", CacheEntries: 100})
	for _, alg := range []jwa.SignatureAlgorithm{jwa.HS256, jwa.HS384, jwa.HS512} {
		t.Run(alg.String(), func(t *testing.T) {
			tok := sign(t, alg, []byte(secret), `{"role":"author"}`, nil)
			res := wantRole(t, v, bearer(tok), "author")
			if string(res.Claims) != `{"role":"author"}` {
				t.Errorf("claims = %s", res.Claims)
			}
			if res.Anonymous {
				t.Error("Anonymous is true for a token")
			}
		})
	}
}

// PostgREST's own spec tokens (test/spec/Feature/Auth/AuthSpec.hs), signed
// with its test secret.
func TestPostgRESTSpecTokens(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), AnonRole: "postgrest_test_anonymous", CacheEntries: 100})
	wantRole(t, v, bearer("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoicG9zdGdyZXN0X3Rlc3RfYXV0aG9yIn0.Xod-F15qsGL0WhdOCr2j3DdKuTw9QJERVgoFD3vGaWA"), "postgrest_test_author")
	// exp 9999999999
	wantRole(t, v, bearer("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjk5OTk5OTk5OTksInJvbGUiOiJwb3N0Z3Jlc3RfdGVzdF9hdXRob3IiLCJpZCI6Impkb2UifQ.Dpss-QoLYjec5OTsOaAc3FNVsSjA89wACoV-0ra3ClA"), "postgrest_test_author")
	// exp 1446678149
	err := wantErr(t, v, bearer("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE0NDY2NzgxNDksInJvbGUiOiJwb3N0Z3Jlc3RfdGVzdF9hdXRob3IiLCJpZCI6Impkb2UifQ.f8__E6VQwYcDqwHmr9PG03uaZn8Zh1b0vbJ9DYS0AdM"),
		"PGRST303", "JWT expired", "")
	if err.Status != 401 || err.WWWAuthenticate != `Bearer error="invalid_token", error_description="JWT expired"` {
		t.Errorf("status %d, WWW-Authenticate %q", err.Status, err.WWWAuthenticate)
	}
	err = wantErr(t, v, bearer("ey9zdGdyZXN0X3Rlc3RfYXV0aG9yIiwiaWQiOiJqZG9lIn0.y4vZuu1dDdwAl0-S00MCRWRYMlJ5YAMSir6Es6WtWx0"),
		"PGRST301", "Expected 3 parts in JWT; got 2", "")
	if err.WWWAuthenticate != `Bearer error="invalid_token", error_description="Expected 3 parts in JWT; got 2"` {
		t.Errorf("WWW-Authenticate %q", err.WWWAuthenticate)
	}
	// no claims at all, and claims without a role: the anonymous role
	res := wantRole(t, v, bearer("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.CUIP5V9thWsGGFsFyGijSZf1fJMfarLHI9CEJL-TGNk"), "postgrest_test_anonymous")
	if string(res.Claims) != `{"role":"postgrest_test_anonymous"}` {
		t.Errorf("claims = %s", res.Claims)
	}
	res = wantRole(t, v, bearer("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6Impkb2UifQ.RVlZDaSyKbFPvxUf3V_NQXybfRB4dlBIkAUQXVXLUAI"), "postgrest_test_anonymous")
	if string(res.Claims) != `{"role":"postgrest_test_anonymous","id":"jdoe"}` {
		t.Errorf("claims = %s", res.Claims)
	}
}

// The RS256 token and JWK of PostgREST's AsymmetricJwtSpec.hs; its payload
// ends with a newline, which must be passed through.
func TestPostgRESTAsymmetricSpec(t *testing.T) {
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJyb2xlIjogInBvc3RncmVzdF90ZXN0X2F1dGhvciJ9Cg.CBOYWDvqgAR0YYnZnyDGTQi6AJLc2Pds6_eV3YuBG6I36mj_h05eLhkEKNEDA5ZteMzCiY83P60rC_xtxVd7B6vo3BeF5uoanPS3rrbuHzKPwzsrgrD_CqvEuJ4n7Q9epkQiLsNkcexneENZDRqFjbwZx3DrXiCWwlK3Ytr5NAIGxmy0od-0xNpb2U1nXQyO_Q3mumWFViRt4tmFn_3goDHNKG3Ha_AzImfUNvHnWL78kAc4rbn15vLtWXD8PwtSnZaB4lY4V6RfsaW937srQsmRetvytM1i_bHBnjkjQLAqGbXPyItjtlXPs0uGNBadE8-wgkLtfmSCC4v2DjUthw"
	const key = `{"alg":"RS256","e":"AQAB","key_ops":["verify"],"kty":"RSA","n":"0etQ2Tg187jb04MWfpuogYGV75IFrQQBxQaGH75eq_FpbkyoLcEpRUEWSbECP2eeFya2yZ9vIO5ScD-lPmovePk4Aa4SzZ8jdjhmAbNykleRPCxMg0481kz6PQhnHRUv3nF5WP479CnObJKqTVdEagVL66oxnX9VhZG9IZA7k0Th5PfKQwrKGyUeTGczpOjaPqbxlunP73j9AfnAt4XCS8epa-n3WGz1j-wfpr_ys57Aq-zBCfqP67UYzNpeI1AoXsJhD9xSDOzvJgFRvc3vm2wjAW4LEMwi48rCplamOpZToIHEPIaPzpveYQwDnB1HFTR1ove9bpKJsHmi-e2uzQ","use":"sig"}`
	for _, s := range []string{key, `{"keys": [` + key + `]}`} {
		v := mustNew(t, Options{Secret: []byte(s), AnonRole: "anon", CacheEntries: 10})
		res := wantRole(t, v, bearer(tok), "postgrest_test_author")
		if string(res.Claims) != "{\"role\": \"postgrest_test_author\"}\n" {
			t.Errorf("claims = %q, want the payload as sent", res.Claims)
		}
	}
}

func TestAsymmetricKeys(t *testing.T) {
	k := testKeys()
	cases := []struct {
		name string
		alg  jwa.SignatureAlgorithm
		priv any
		jwk  string
	}{
		{"RS256", jwa.RS256, k.rsa, publicJWK(t, k.rsa, map[string]any{"alg": "RS256", "use": "sig"})},
		{"RS512 key without alg", jwa.RS512, k.rsa, publicJWK(t, k.rsa, nil)},
		{"PS256", jwa.PS256, k.rsa, publicJWK(t, k.rsa, nil)},
		{"ES256", jwa.ES256, k.ec256, publicJWK(t, k.ec256, map[string]any{"alg": "ES256"})},
		{"ES384", jwa.ES384, k.ec384, publicJWK(t, k.ec384, nil)},
		{"EdDSA", jwa.EdDSA, k.ed, publicJWK(t, k.ed, nil)},
		{"oct JWK", jwa.HS384, []byte(secret), `{"kty":"oct","k":"` + b64(secret) + `"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := mustNew(t, Options{Secret: []byte(c.jwk), CacheEntries: 10})
			tok := sign(t, c.alg, c.priv, `{"role":"author","exp":1700000100}`, nil)
			wantRole(t, v, bearer(tok), "author")
			wantErr(t, v, bearer(tamper(tok)), "PGRST301", msgKeyError, detNoKeyDecoded)
		})
	}
}

// tamper flips one bit of a token's signature.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		panic(err)
	}
	sig[len(sig)/2] ^= 1
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

func TestPrivateJWKVerifies(t *testing.T) {
	k := testKeys()
	full, err := jwk.FromRaw(k.rsa)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(full)
	v := mustNew(t, Options{Secret: b})
	wantRole(t, v, bearer(sign(t, jwa.RS256, k.rsa, `{"role":"r"}`, nil)), "r")
}

func TestJWKSKidSelection(t *testing.T) {
	k := testKeys()
	set := `{"keys":[` +
		publicJWK(t, k.rsa, map[string]any{"kid": "one", "alg": "RS256"}) + `,` +
		publicJWK(t, k.rsa2, map[string]any{"kid": "two", "alg": "RS256"}) + `,` +
		publicJWK(t, k.ec256, map[string]any{"kid": "three"}) + `,` +
		`{"kty":"RSA","alg":"RSA-OAEP","use":"enc","n":"AQAB","e":"AQAB"},` +
		`{"kty":"weird","kid":"four"}]}`
	v := mustNew(t, Options{Secret: []byte(set), AnonRole: "anon"})
	payload := `{"role":"author"}`

	wantRole(t, v, bearer(sign(t, jwa.RS256, k.rsa, payload, map[string]any{"kid": "one"})), "author")
	wantRole(t, v, bearer(sign(t, jwa.RS256, k.rsa2, payload, map[string]any{"kid": "two"})), "author")
	wantRole(t, v, bearer(sign(t, jwa.ES256, k.ec256, payload, map[string]any{"kid": "three"})), "author")
	// without kid every fitting key is tried
	wantRole(t, v, bearer(sign(t, jwa.RS256, k.rsa2, payload, nil)), "author")
	// the kid names the other RSA key: its signature check fails
	wantErr(t, v, bearer(sign(t, jwa.RS256, k.rsa2, payload, map[string]any{"kid": "one"})), "PGRST301", msgKeyError, detNoKeyDecoded)
	// a kid no key has
	wantErr(t, v, bearer(sign(t, jwa.RS256, k.rsa, payload, map[string]any{"kid": "nine"})), "PGRST301", msgKeyError, detNoSuitableKey)
	// the kid of a key of another type
	wantErr(t, v, bearer(sign(t, jwa.RS256, k.rsa, payload, map[string]any{"kid": "three"})), "PGRST301", msgKeyError, detNoSuitableKey)
	// a plain secret has no kid, so a token with one finds no key (PostgREST)
	plain := mustNew(t, Options{Secret: []byte(secret)})
	wantErr(t, plain, bearer(sign(t, jwa.HS256, []byte(secret), payload, map[string]any{"kid": "x"})), "PGRST301", msgKeyError, detNoSuitableKey)
}

func TestAlgorithmMismatch(t *testing.T) {
	k := testKeys()
	rsaOnly := mustNew(t, Options{Secret: []byte(publicJWK(t, k.rsa, map[string]any{"alg": "RS256"}))})
	plain := mustNew(t, Options{Secret: []byte(secret)})
	ec := mustNew(t, Options{Secret: []byte(publicJWK(t, k.ec256, nil))})
	payload := `{"role":"author"}`

	// an HMAC token against an RSA key
	wantErr(t, rsaOnly, bearer(sign(t, jwa.HS256, []byte(secret), payload, nil)), "PGRST301", msgKeyError, detNoSuitableKey)
	// the key says RS256, the token RS384
	wantErr(t, rsaOnly, bearer(sign(t, jwa.RS384, k.rsa, payload, nil)), "PGRST301", msgKeyError, detNoSuitableKey)
	// an RSA token against an HMAC secret
	wantErr(t, plain, bearer(sign(t, jwa.RS256, k.rsa, payload, nil)), "PGRST301", msgKeyError, detNoSuitableKey)
	// the classic confusion: HS256 keyed with the RSA public key's JWK text
	wantErr(t, rsaOnly, bearer(sign(t, jwa.HS256, []byte(publicJWK(t, k.rsa, map[string]any{"alg": "RS256"})), payload, nil)), "PGRST301", msgKeyError, detNoSuitableKey)
	// ES384 on a P-256 key: the key fits the type, the curve does not
	wantErr(t, ec, bearer(sign(t, jwa.ES384, k.ec384, payload, nil)), "PGRST301", msgKeyError, detNoKeyDecoded)
	// wrong HMAC secret
	wantErr(t, plain, bearer(sign(t, jwa.HS256, []byte(strings.Repeat("x", 32)), payload, nil)), "PGRST301", msgKeyError, detNoKeyDecoded)
	// an algorithm neither we nor PostgREST know
	wantErr(t, plain, bearer(b64(`{"alg":"HS257"}`)+"."+b64(payload)+".c2ln"), "PGRST301", "JWT cryptographic operation failed", "")
}

func TestUnsecuredTokenRejected(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), AnonRole: "anon"})
	for _, tok := range []string{
		b64(`{"alg":"none"}`) + "." + b64(`{"role":"postgres"}`) + ".",
		b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(`{"role":"postgres"}`) + "." + b64("sig"),
	} {
		err := wantErr(t, v, bearer(tok), "PGRST301", msgBadAlgorithm, detUnsecured)
		if err.WWWAuthenticate != `Bearer error="invalid_token", error_description="Wrong or unsupported encoding algorithm"` {
			t.Errorf("WWW-Authenticate %q", err.WWWAuthenticate)
		}
	}
}

func TestMalformedTokens(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), AnonRole: "anon"})
	good := sign(t, jwa.HS256, []byte(secret), `{"role":"author"}`, nil)
	parts := strings.Split(good, ".")
	cases := []struct {
		name, tok, msg string
	}{
		{"one part", "abc", "Expected 3 parts in JWT; got 1"},
		{"four parts", good + ".x", "Expected 3 parts in JWT; got 4"},
		{"header not base64", "!!." + parts[1] + "." + parts[2], "JWT cryptographic operation failed"},
		{"header not JSON", b64("nope") + "." + parts[1] + "." + parts[2], "JWT cryptographic operation failed"},
		{"header kid not a string", b64(`{"alg":"HS256","kid":7}`) + "." + parts[1] + "." + parts[2], "JWT cryptographic operation failed"},
		{"JWE header", b64(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + "." + parts[1] + "." + parts[2], "JWT cryptographic operation failed"},
		{"padded payload", parts[0] + "." + parts[1] + "==." + parts[2], "JWT cryptographic operation failed"},
		{"signature not base64", parts[0] + "." + parts[1] + ".*", "JWT cryptographic operation failed"},
		{"trailing space", good + " ", "JWT cryptographic operation failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, v, bearer(c.tok), "PGRST301", c.msg, "")
		})
	}
	// "Bearer" with nothing after it
	for _, h := range []string{"Bearer", "Bearer ", "bearer \t "} {
		err := wantErr(t, v, []byte(h), "PGRST301", "Empty JWT is sent in Authorization header", "")
		if err.WWWAuthenticate != `Bearer error="invalid_token", error_description="Empty JWT is sent in Authorization header"` {
			t.Errorf("WWW-Authenticate %q", err.WWWAuthenticate)
		}
	}
}

func TestClaimsNotAnObject(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), AnonRole: "anon", CacheEntries: 10})
	for _, p := range []string{`[1]`, `"role"`, `{"role":`, "{\"role\":\"\xff\"}", `{} {}`} {
		tok := sign(t, jwa.HS256, []byte(secret), p, nil)
		wantErr(t, v, bearer(tok), "PGRST303", "Parsing claims failed", "")
		wantErr(t, v, bearer(tok), "PGRST303", "Parsing claims failed", "") // cached
	}
}

func TestTimeClaims(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), AnonRole: "anon", CacheEntries: 100})
	n := now.Unix()
	cases := []struct {
		name    string
		payload string
		msg     string // empty: accepted
	}{
		{"exp in the future", `{"exp":` + itoa(n+60) + `}`, ""},
		{"exp now", `{"exp":` + itoa(n) + `}`, ""},
		{"exp within the skew", `{"exp":` + itoa(n-30) + `}`, ""},
		{"exp beyond the skew", `{"exp":` + itoa(n-31) + `}`, "JWT expired"},
		{"exp fractional counts as 0", `{"exp":` + itoa(n+60) + `.5}`, "JWT expired"},
		{"exp integral float", `{"exp":` + itoa(n+60) + `.0}`, ""},
		{"exp exponent", `{"exp":1.8e9}`, ""},
		{"exp huge counts as 0", `{"exp":1e400}`, "JWT expired"},
		{"exp null is absent", `{"exp":null}`, ""},
		{"exp a string", `{"exp":"9999999999"}`, "The JWT 'exp' claim must be a number"},
		{"nbf within the skew", `{"nbf":` + itoa(n+30) + `}`, ""},
		{"nbf beyond the skew", `{"nbf":` + itoa(n+31) + `}`, "JWT not yet valid"},
		{"nbf a bool", `{"nbf":true}`, "The JWT 'nbf' claim must be a number"},
		{"iat now", `{"iat":` + itoa(n) + `}`, ""},
		{"iat within the skew", `{"iat":` + itoa(n+30) + `}`, ""},
		{"iat beyond the skew", `{"iat":` + itoa(n+31) + `}`, "JWT issued at future"},
		{"iat an object", `{"iat":{}}`, "The JWT 'iat' claim must be a number"},
		{"exp checked before nbf", `{"nbf":"x","exp":1}`, "JWT expired"},
		{"nbf checked before iat", `{"iat":"x","nbf":` + itoa(n+100) + `}`, "JWT not yet valid"},
		{"time before aud", `{"aud":7,"exp":1}`, "JWT expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := bearer(sign(t, jwa.HS256, []byte(secret), c.payload, nil))
			for range 2 { // miss, then hit
				if c.msg == "" {
					wantRole(t, v, tok, "anon")
				} else {
					wantErr(t, v, tok, "PGRST303", c.msg, "")
				}
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestExpiresAfterCaching(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), CacheEntries: 10})
	tok := bearer(sign(t, jwa.HS256, []byte(secret), `{"role":"author","exp":`+itoa(now.Unix()+60)+`}`, nil))
	wantRole(t, v, tok, "author")
	// exp + 30 s is still accepted, one second more is not
	if _, err := v.Authenticate(tok, now.Add(90*time.Second)); err != nil {
		t.Fatalf("90 s later: %v", err)
	}
	if _, err := v.Authenticate(tok, now.Add(91*time.Second)); err == nil || err.Message != "JWT expired" {
		t.Fatalf("91 s later: %v, want JWT expired", err)
	}
	if hits, misses := v.CacheStats(); hits != 2 || misses != 1 {
		t.Errorf("hits %d misses %d, want 2 and 1", hits, misses)
	}
	// nbf too: refused early, accepted once the time has come
	tok = bearer(sign(t, jwa.HS256, []byte(secret), `{"role":"author","nbf":`+itoa(now.Unix()+120)+`}`, nil))
	wantErr(t, v, tok, "PGRST303", "JWT not yet valid", "")
	if res, err := v.Authenticate(tok, now.Add(100*time.Second)); err != nil || res.Role != "author" {
		t.Fatalf("100 s later: %v %q", err, res.Role)
	}
}

func TestAudience(t *testing.T) {
	with := mustNew(t, Options{Secret: []byte(secret), Audience: "youraudience", AnonRole: "anon"})
	without := mustNew(t, Options{Secret: []byte(secret), AnonRole: "anon"})
	cases := []struct {
		aud      string // JSON, or empty for no aud member
		with, wo string // expected message; empty = accepted
	}{
		{``, "", ""},
		{`null`, "", ""},
		{`"youraudience"`, "", ""},
		{`"notyouraudience"`, "JWT not in audience", ""},
		{`""`, "JWT not in audience", ""},
		{`["youraudience"]`, "", ""},
		{`["a","youraudience","b"]`, "", ""},
		{`["notyouraudience"]`, "JWT not in audience", ""},
		{`[]`, "", ""},
		{`{"invalid":"value"}`, "The JWT 'aud' claim must be a string or an array of strings", "The JWT 'aud' claim must be a string or an array of strings"},
		{`[{"invalid":"value"},"youraudience"]`, "The JWT 'aud' claim must be a string or an array of strings", "The JWT 'aud' claim must be a string or an array of strings"},
		{`5`, "The JWT 'aud' claim must be a string or an array of strings", "The JWT 'aud' claim must be a string or an array of strings"},
	}
	for _, c := range cases {
		payload := `{"role":"author"}`
		if c.aud != "" {
			payload = `{"role":"author","aud":` + c.aud + `}`
		}
		tok := bearer(sign(t, jwa.HS256, []byte(secret), payload, nil))
		for _, vc := range []struct {
			v   *Verifier
			msg string
		}{{with, c.with}, {without, c.wo}} {
			if vc.msg == "" {
				wantRole(t, vc.v, tok, "author")
			} else {
				wantErr(t, vc.v, tok, "PGRST303", vc.msg, "")
			}
		}
	}
}

// Role claim keys: PostgREST's fixtures (test/io/fixtures/fixtures.yaml,
// roleclaims and deprecatedroleclaims) and more. want "" means no role
// claim was found, so the anonymous role.
var roleKeyCases = []struct {
	key, claims, want string
}{
	{"", `{"role":"author"}`, "author"},
	{"$.role", `{"role":"author"}`, "author"},
	{".role", `{"role":"author"}`, "author"},
	{"$.postgrest.a_role", `{"postgrest":{"a_role":"author"},"other":"claims"}`, "author"},
	{"$.customObject.manyRoles[1]", `{"customObject":{"manyRoles":["other","author"]},"other":{}}`, "author"},
	{`$["https://www.example.com/roles"][0].value`, `{"https://www.example.com/roles":[{"value":"author"}],"other":666}`, "author"},
	{"$.myDomain[3]", `{"myDomain":["other","author"],"other":1.23}`, ""},
	{"$.myRole", `{"role":"author","other":true}`, ""},
	{`$.realm_access.roles[?(@ == "author")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
	{`$.realm_access.roles[?(@ != "other")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
	{"$.aud", `{"aud":"author"}`, "author"},
	{"$.aud[1]", `{"aud":["author","x"]}`, "x"},
	{".postgrest.a_role", `{"postgrest":{"a_role":"author"},"other":"claims"}`, "author"},
	{".customObject.manyRoles[1]", `{"customObject":{"manyRoles":["other","author"]},"other":{}}`, "author"},
	{`."https://www.example.com/roles"[0].value`, `{"https://www.example.com/roles":[{"value":"author"}],"other":666}`, "author"},
	{".myDomain[3]", `{"myDomain":["other","author"],"other":1.23}`, ""},
	{".myRole", `{"role":"author","other":true}`, ""},
	{`.realm_access.roles[?(@ == "author")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
	{`.realm_access.roles[?(@ != "other")]`, `{"realm_access":{"roles":["other","author"]}}`, "author"},
	{`.realm_access.roles[?(@ ^== "postgrest_te")]`, `{"realm_access":{"roles":["other","postgrest_test_author"]}}`, "postgrest_test_author"},
	{`.realm_access.roles[?(@ ==^ "st_test_author")]`, `{"realm_access":{"roles":["other","postgrest_test_author"]}}`, "postgrest_test_author"},
	{`.realm_access.roles[?(@ *== "_test_")]`, `{"realm_access":{"roles":["other","postgrest_test_author"]}}`, "postgrest_test_author"},
	{`.realm_access.roles[?(@ == "string")]`, `{"realm_access":{"roles":[{"obj_key":"obj_value"}]}}`, ""},
	{".a.b[1]", `{"a":{"b":["x","author"]}}`, "author"},
	{`."https://x/y".role`, `{"https://x/y":{"role":"author"}}`, "author"},
	{"$.a.b", `{"a":{"b":"author"}}`, "author"},
	{`$['https://x/y'].role`, `{"https://x/y":{"role":"author"}}`, "author"},
	{`$.postgrest.roles[?(@ == 'author')]`, `{"postgrest":{"roles":["other","author"]}}`, "author"},
	{`$.postgrest.roles[?search(@, '^au')]`, `{"postgrest":{"roles":["other","author"]}}`, "author"},
	{`$.postgrest.roles[?search(@, 'zz')]`, `{"postgrest":{"roles":["other","author"]}}`, ""},
	{"$.roles[-1]", `{"roles":["a","b","c"]}`, "c"},
	{"$.roles[1:]", `{"roles":["a","b","c"]}`, "b"},
	{"$.roles[::-1]", `{"roles":["a","b","c"]}`, "c"},
	{"$.roles[5:1:-2]", `{"roles":["a","b","c"]}`, "c"},
	{"$.roles[*]", `{"roles":["a","b"]}`, "a"},
	{"$.*", `{"z":"last","a":"first"}`, "first"},
	{"$..role", `{"x":{"y":{"role":"deep"}}}`, "deep"},
	{"$..[0]", `{"b":[1],"a":["first"]}`, "first"},
	{`$.users[?@.name == 'bob'].role`, `{"users":[{"name":"ann","role":"a"},{"name":"bob","role":"b"}]}`, "b"},
	{`$.users[?@.level > 2 && !(@.name == 'cy')].role`, `{"users":[{"name":"ann","level":1,"role":"a"},{"name":"cy","level":3,"role":"c"},{"name":"di","level":5,"role":"d"}]}`, "d"},
	{`$.users[?@.admin].role`, `{"users":[{"role":"a"},{"admin":false,"role":"b"}]}`, "b"},
	{`$.users[?@.n == 2].role`, `{"users":[{"n":2.0,"role":"two"}]}`, "two"},
	{`$.users[?@.n <= $.limit].role`, `{"limit":3,"users":[{"n":5,"role":"x"},{"n":3,"role":"y"}]}`, "y"},
	{"$.role", `{"role":7}`, "7"},
	{"$.role", `{"role":true}`, "true"},
	{"$.role", `{"role":null}`, "null"},
	{"$.role", `{"role":{"b":1,"a":[1.5]}}`, `{"a":[1.5],"b":1}`},
	{"$ .role", `{"role":"author"}`, "author"},
	{"$[ 'role' , 'x' ]", `{"role":"author","x":"y"}`, "author"},
	{`$["r\u006fle"]`, `{"role":"author"}`, "author"},
}

func TestRoleClaimKey(t *testing.T) {
	for _, c := range roleKeyCases {
		t.Run(c.key, func(t *testing.T) {
			v := mustNew(t, Options{Secret: []byte(secret), RoleClaimKey: c.key, AnonRole: "anon"})
			want := c.want
			if want == "" {
				want = "anon"
			}
			res := wantRole(t, v, bearer(sign(t, jwa.HS256, []byte(secret), c.claims, nil)), want)
			var m map[string]any
			if err := json.Unmarshal(res.Claims, &m); err != nil {
				t.Fatalf("claims %s: %v", res.Claims, err)
			}
			if m["role"] != want {
				t.Errorf("claims role = %v, want %q (claims %s)", m["role"], want, res.Claims)
			}
		})
	}
}

func TestInvalidRoleClaimKeys(t *testing.T) {
	// PostgREST's fixtures (invalidroleclaimkeys, deprecatedinvalidroleclaimkeys) and more.
	for _, key := range []string{
		"$.my_role;;domain", "@@.role.other",
		"role.other", ".role##", ".my_role;;domain", ".#$$%&$%/", "1234", ".role[?(@ =)]",
		"$.role ", "$[01]", "$[-0]", "$.1abc", "$[?@.a ==]", "$.a[", `.roles[?(@ == "x")].more`,
	} {
		_, err := New(Options{RoleClaimKey: key})
		if err == nil || !strings.HasPrefix(err.Error(), "jwt-role-claim-key: ") {
			t.Errorf("%q: error %v, want one naming jwt-role-claim-key", key, err)
		}
	}
}

func TestClaimsPassThrough(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), RoleClaimKey: "$.app.role", AnonRole: "anon"})
	cases := []struct{ payload, want string }{
		// already right: the bytes as sent
		{` { "app" : {"role":"x"}, "role" : "x", "n": 1.50 } `, ` { "app" : {"role":"x"}, "role" : "x", "n": 1.50 } `},
		// no role member: role first, the rest verbatim
		{`{"app":{"role":"x"},"n":1.50,"s":"a,b}"}`, `{"role":"x","app":{"role":"x"},"n":1.50,"s":"a,b}"}`},
		// another role member: replaced
		{`{"role":"admin", "app":{"role":"x"}}`, `{"role":"x","app":{"role":"x"}}`},
		// two role members: both replaced by one
		{`{"role":"x","app":{"role":"x"},"role":"y"}`, `{"role":"x","app":{"role":"x"}}`},
		// no role claim: the anonymous role
		{`{}`, `{"role":"anon"}`},
	}
	for _, c := range cases {
		res := wantRole(t, v, bearer(sign(t, jwa.HS256, []byte(secret), c.payload, nil)), roleOf(c.want))
		if string(res.Claims) != c.want {
			t.Errorf("payload %s: claims %s, want %s", c.payload, res.Claims, c.want)
		}
	}
}

func roleOf(claims string) string {
	var m map[string]any
	_ = json.Unmarshal([]byte(claims), &m)
	return m["role"].(string)
}

func TestLegacyClaims(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), AnonRole: "anon"})
	res := wantRole(t, v, bearer(sign(t, jwa.HS256, []byte(secret), `{"sub":"me","role":"author","n":3,"o":{"a":"b"}}`, nil)), "author")
	want := [][2]string{{"n", "3"}, {"o", `{"a":"b"}`}, {"role", "author"}, {"sub", "me"}}
	if got, _ := json.Marshal(res.LegacyClaims); string(got) != mustJSON(want) {
		t.Errorf("legacy claims %s, want %s", got, mustJSON(want))
	}
	res = wantRole(t, v, bearer(sign(t, jwa.HS256, []byte(secret), `{"sub":"me"}`, nil)), "anon")
	if got, _ := json.Marshal(res.LegacyClaims); string(got) != `[["role","anon"],["sub","me"]]` {
		t.Errorf("legacy claims %s", got)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestAnonymous(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), AnonRole: "web_anon"})
	for _, h := range []string{"", "Basic dXNlcjpwYXNz", "BearerX abc", "Token abc"} {
		res := wantRole(t, v, []byte(h), "web_anon")
		if string(res.Claims) != `{"role":"web_anon"}` || !res.Anonymous {
			t.Errorf("%q: claims %s anonymous %v", h, res.Claims, res.Anonymous)
		}
	}
	res := wantRole(t, v, nil, "web_anon")
	if len(res.LegacyClaims) != 1 || res.LegacyClaims[0] != [2]string{"role", "web_anon"} {
		t.Errorf("legacy claims %v", res.LegacyClaims)
	}
	tok := sign(t, jwa.HS256, []byte(secret), `{"role":"author"}`, nil)
	for _, h := range []string{"Bearer " + tok, "bearer " + tok, "BEARER\t  " + tok} {
		wantRole(t, v, []byte(h), "author")
	}
}

func TestNoAnonRole(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), CacheEntries: 10})
	for _, h := range [][]byte{nil, []byte("Basic abc")} {
		err := wantErr(t, v, h, "PGRST302", "Anonymous access is disabled", "")
		if err.Status != 401 || err.WWWAuthenticate != "Bearer" {
			t.Errorf("status %d, WWW-Authenticate %q", err.Status, err.WWWAuthenticate)
		}
	}
	// a valid token without a role claim
	tok := bearer(sign(t, jwa.HS256, []byte(secret), `{"sub":"x"}`, nil))
	wantErr(t, v, tok, "PGRST302", "Anonymous access is disabled", "")
	wantErr(t, v, tok, "PGRST302", "Anonymous access is disabled", "")
	// with a role it works
	wantRole(t, v, bearer(sign(t, jwa.HS256, []byte(secret), `{"role":"author"}`, nil)), "author")
}

func TestNoSecret(t *testing.T) {
	v := mustNew(t, Options{AnonRole: "anon"})
	wantRole(t, v, nil, "anon")
	for _, h := range []string{"Bearer abc", "Bearer "} {
		err := wantErr(t, v, []byte(h), "PGRST300", "Server lacks JWT secret", "")
		if err.Status != 500 || err.WWWAuthenticate != "" {
			t.Errorf("status %d, WWW-Authenticate %q", err.Status, err.WWWAuthenticate)
		}
	}
}

func TestNewErrors(t *testing.T) {
	k := testKeys()
	for _, s := range []string{
		"tooshort",
		`{"kty":"RSA","n":"AQAB"}`, // no e
		`{"kty":"RSA","e":"AQAB","n":"AQAB","use":"both"}`,
		`{"kty":"RSA","e":"AQAB","n":"AQAB","kid":5}`,
		`{"kty":"weird"}`,                       // a single key we cannot use
		`{"keys":[{"kty":"EC","crv":"P-256"}]}`, // no x, y
		`{"keys":"nope"}`,
		`{"alg":"RS256"}`, // no kty
		`{"kty":"OKP","crv":"Ed25519","x":"AAAA"}`,
		`{"kty":"EC","crv":"P-256","x":"AQ","y":"AQ"}`, // not on the curve
	} {
		_, err := New(Options{Secret: []byte(s)})
		if err == nil || !strings.HasPrefix(err.Error(), "jwt-secret: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("secret %s: error %v, want one line naming jwt-secret", s, err)
		}
	}
	// accepted: keys we ignore inside a set, and a set with no usable key
	for _, s := range []string{
		`{"keys":[]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed448","x":"AAAA"},` + publicJWK(t, k.ed, nil) + `]}`,
	} {
		if _, err := New(Options{Secret: []byte(s)}); err != nil {
			t.Errorf("secret %s: %v", s, err)
		}
	}
	if _, err := New(Options{Secret: []byte(strings.Repeat("s", 32))}); err != nil {
		t.Errorf("32-byte secret: %v", err)
	}
}

func TestIntegerValue(t *testing.T) {
	cases := []struct {
		lit string
		n   int64
		ok  bool
	}{
		{"0", 0, true}, {"-0", 0, true}, {"17", 17, true}, {"-17", -17, true},
		{"1.0", 1, true}, {"1.5", 0, false}, {"1e3", 1000, true}, {"1.5e1", 15, true},
		{"1500e-3", 0, false}, {"1000e-3", 1, true}, {"1e400", 0, false}, {"1e-400", 0, false},
		{"9223372036854775807", 1<<63 - 1, true}, {"9223372036854775808", 0, false},
		{"-9223372036854775808", -1 << 63, true}, {"0.000", 0, true},
	}
	for _, c := range cases {
		n, ok := integerValue(c.lit)
		if n != c.n || ok != c.ok {
			t.Errorf("integerValue(%s) = %d, %v; want %d, %v", c.lit, n, ok, c.n, c.ok)
		}
	}
}

func TestCachedPathDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	k := testKeys()
	v := mustNew(t, Options{Secret: []byte(publicJWK(t, k.rsa, nil)), RoleClaimKey: "$.app.roles[0]", CacheEntries: 100})
	ok := bearer(sign(t, jwa.RS256, k.rsa, `{"app":{"roles":["author"]},"exp":`+itoa(now.Unix()+60)+`}`, nil))
	expired := bearer(sign(t, jwa.RS256, k.rsa, `{"role":"author","exp":1}`, nil))
	wantRole(t, v, ok, "author")
	wantErr(t, v, expired, "PGRST303", "JWT expired", "")
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := v.Authenticate(ok, now); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Authenticate(expired, now); err == nil {
			t.Fatal("expired token accepted")
		}
	})
	if allocs != 0 {
		t.Errorf("cached Authenticate allocates %.1f times, want 0", allocs)
	}
	anon := mustNew(t, Options{AnonRole: "anon"})
	if allocs := testing.AllocsPerRun(100, func() { _, _ = anon.Authenticate(nil, now) }); allocs != 0 {
		t.Errorf("anonymous Authenticate allocates %.1f times, want 0", allocs)
	}
}

func TestCacheDisabled(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret)})
	tok := bearer(sign(t, jwa.HS256, []byte(secret), `{"role":"author"}`, nil))
	wantRole(t, v, tok, "author")
	wantRole(t, v, tok, "author")
	if h, m := v.CacheStats(); h != 0 || m != 0 {
		t.Errorf("stats %d %d with the cache disabled", h, m)
	}
}

func TestFailuresAreNotCached(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), CacheEntries: 10})
	bad := bearer(sign(t, jwa.HS256, []byte(strings.Repeat("x", 32)), `{"role":"author"}`, nil))
	wantErr(t, v, bad, "PGRST301", msgKeyError, detNoKeyDecoded)
	wantErr(t, v, bad, "PGRST301", msgKeyError, detNoKeyDecoded)
	if n := v.cache.Len(); n != 0 {
		t.Errorf("cache holds %d entries after failed signatures", n)
	}
}

func TestHeaderBytesNotRetained(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), CacheEntries: 10})
	tok := sign(t, jwa.HS256, []byte(secret), `{"role":"author"}`, nil)
	h := bearer(tok)
	wantRole(t, v, h, "author")
	for i := range h { // the server reuses its header buffer
		h[i] = 'x'
	}
	wantRole(t, v, bearer(tok), "author")
	if hits, _ := v.CacheStats(); hits != 1 {
		t.Errorf("hits = %d, want 1", hits)
	}
}

func TestConcurrent(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), CacheEntries: 8})
	var toks [][]byte
	for i := range 32 {
		toks = append(toks, bearer(sign(t, jwa.HS256, []byte(secret), `{"role":"r`+itoa(int64(i))+`"}`, nil)))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				j := (i + g) % len(toks)
				res, err := v.Authenticate(toks[j], now)
				if err != nil || res.Role != "r"+itoa(int64(j)) {
					t.Errorf("token %d: %v %q", j, err, res.Role)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkAuthenticateCold(b *testing.B) {
	k := testKeys()
	for _, c := range []struct {
		name   string
		secret string
		alg    jwa.SignatureAlgorithm
		key    any
	}{
		{"HS256", secret, jwa.HS256, []byte(secret)},
		{"RS256", publicJWK(b, k.rsa, nil), jwa.RS256, k.rsa},
		{"ES256", publicJWK(b, k.ec256, nil), jwa.ES256, k.ec256},
		{"EdDSA", publicJWK(b, k.ed, nil), jwa.EdDSA, k.ed},
	} {
		b.Run(c.name, func(b *testing.B) {
			v := mustNew(b, Options{Secret: []byte(c.secret)}) // no cache: every call verifies
			tok := bearer(sign(b, c.alg, c.key, `{"role":"author","exp":`+itoa(now.Unix()+3600)+`,"sub":"user-1"}`, nil))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Authenticate(tok, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAuthenticateCached(b *testing.B) {
	k := testKeys()
	v := mustNew(b, Options{Secret: []byte(publicJWK(b, k.rsa, nil)), CacheEntries: 1000})
	tok := bearer(sign(b, jwa.RS256, k.rsa, `{"role":"author","exp":`+itoa(now.Unix()+3600)+`,"sub":"user-1"}`, nil))
	if _, err := v.Authenticate(tok, now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Authenticate(tok, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAuthenticateCachedSerial(b *testing.B) {
	k := testKeys()
	v := mustNew(b, Options{Secret: []byte(publicJWK(b, k.rsa, nil)), CacheEntries: 1000})
	tok := bearer(sign(b, jwa.RS256, k.rsa, `{"role":"author","exp":`+itoa(now.Unix()+3600)+`,"sub":"user-1"}`, nil))
	if _, err := v.Authenticate(tok, now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Authenticate(tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

// Hostile headers and role claim keys must give errors, never panics.
func FuzzAuthenticate(f *testing.F) {
	tok := sign(f, jwa.HS256, []byte(secret), `{"role":"author","aud":["a"],"exp":9999999999}`, nil)
	for _, s := range []string{"", "Bearer ", "Bearer " + tok, "Bearer a.b.c", "Bearer " + tamper(tok),
		"Bearer " + b64(`{"alg":"none"}`) + "." + b64(`{}`) + ".", "bearer\xa0" + tok} {
		f.Add([]byte(s))
	}
	v := mustNew(f, Options{Secret: []byte(secret), AnonRole: "anon", RoleClaimKey: "$..role", CacheEntries: 16})
	f.Fuzz(func(t *testing.T, h []byte) {
		res, err := v.Authenticate(h, now)
		if err == nil && res.Role == "" {
			t.Fatal("success without a role")
		}
	})
}

func FuzzRoleClaimKey(f *testing.F) {
	for _, c := range roleKeyCases {
		f.Add(c.key, c.claims)
	}
	f.Fuzz(func(t *testing.T, key, claims string) {
		v, err := New(Options{RoleClaimKey: key, AnonRole: "anon"})
		if err != nil {
			return
		}
		m, ok := decodeClaims([]byte(claims))
		if !ok {
			return
		}
		if r, found := v.roleKey.first(m); found {
			_ = roleText(r)
		}
		out := claimsWithRole([]byte(claims), topMembers([]byte(claims)), "x\"y")
		m2, ok := decodeClaims(out)
		if !ok || m2["role"] != "x\"y" {
			t.Fatalf("claims %s became %s", claims, out)
		}
		m["role"] = "x\"y"
		if !jsonpath.Equal(m, m2) {
			t.Fatalf("claims %s became %s", claims, out)
		}
	})
}

// A full token cache drops tokens and counts them
// (pgrst_jwt_cache_evictions_total).
func TestCacheEvictions(t *testing.T) {
	v := mustNew(t, Options{Secret: []byte(secret), CacheEntries: 16})
	for i := range 100 {
		wantRole(t, v, bearer(sign(t, jwa.HS256, []byte(secret), `{"role":"author","n":`+itoa(int64(i))+`}`, nil)), "author")
	}
	if e := v.CacheEvictions(); e == 0 || e > 100 {
		t.Fatalf("evictions %d after 100 tokens in a cache of 16", e)
	}
	if e := mustNew(t, Options{Secret: []byte(secret)}).CacheEvictions(); e != 0 {
		t.Fatalf("evictions %d without a cache", e)
	}
}

// FuzzClaims signs whatever payload the fuzzer makes, so it gets past the
// signature to the claims: no panic; a payload that is not a JSON object
// is refused; an accepted one gives a role and request.jwt.claims that
// are a JSON object whose "role" is that role.
func FuzzClaims(f *testing.F) {
	for _, s := range []string{`{"role":"author"}`, `{}`, `{"role":1}`, `{"role":"a","role":"b"}`,
		`{"exp":1,"role":"x"}`, `{"nbf":99999999999}`, `{"aud":["a",{}]}`, `[]`, `"x"`, `{"role":"\u0000"}`,
		`{"role":"a\"b","x":[1,{"y":null}]}`, "{\"role\":\"\xff\"}", `{"a":1e999}`} {
		f.Add([]byte(s))
	}
	v := mustNew(f, Options{Secret: []byte(secret), AnonRole: "anon", CacheEntries: 16})
	f.Fuzz(func(t *testing.T, payload []byte) {
		tok, err := jws.Sign(payload, jws.WithKey(jwa.HS256, []byte(secret)))
		if err != nil {
			return // jwx refuses to sign it
		}
		res, aerr := v.Authenticate([]byte("Bearer "+string(tok)), now)
		// UseNumber: 1e999 is a JSON number, which PostgreSQL takes.
		var obj map[string]any
		d := json.NewDecoder(bytes.NewReader(payload))
		d.UseNumber()
		isObject := d.Decode(&obj) == nil && obj != nil && !d.More()
		if aerr != nil {
			return
		}
		if !isObject {
			t.Fatalf("payload %q accepted (role %q)", payload, res.Role)
		}
		// A role claim "" gives the role "", which PostgreSQL refuses
		// (401), as PostgREST.
		var claims map[string]any
		d = json.NewDecoder(bytes.NewReader(res.Claims))
		d.UseNumber()
		if err := d.Decode(&claims); err != nil || claims["role"] != strings.ToValidUTF8(res.Role, "\uFFFD") {
			t.Fatalf("payload %q: claims %q for role %q (%v)", payload, res.Claims, res.Role, err)
		}
	})
}
