// Package jwttest signs JWTs for the tests: one helper for the tokens
// they send, whatever the algorithm and key.
package jwttest

import (
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Sign returns a compact JWT with claims, signed with alg and key (an HMAC
// secret as []byte, or a private key such as *rsa.PrivateKey); kid, when
// not empty, names the key in the header. It fails t on any error.
func Sign(t testing.TB, alg jwa.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	k, err := jwk.FromRaw(key)
	if err != nil {
		t.Fatal(err)
	}
	if kid != "" {
		if err := k.Set(jwk.KeyIDKey, kid); err != nil {
			t.Fatal(err)
		}
	}
	tok := jwt.New()
	for name, v := range claims {
		if err := tok.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	b, err := jwt.Sign(tok, jwt.WithKey(alg, k))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
