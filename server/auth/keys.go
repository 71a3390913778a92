package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// minSecretLen is PostgREST's lower bound for a plain HMAC secret (bytes).
const minSecretLen = 32

// plainSecretAlg is the algorithm a plain (non-JWK) secret is restricted
// to; empty allows HS256, HS384 and HS512.
//
// PostgREST v16.2 turns a plain secret into a JWK marked "alg": "HS256"
// (Config.hs, parseSecret), so it answers HS384/HS512 tokens with PGRST301
// "No suitable key or wrong key type". We accept all three HMAC algorithms
// with a plain secret; set this to "HS256" for PostgREST's exact behaviour.
const plainSecretAlg = ""

type keyKind uint8

const (
	kindOct keyKind = iota + 1
	kindRSA
	kindEC
	kindOKP
)

// verifyKey is one usable verification key of jwt-secret.
type verifyKey struct {
	kind   keyKind
	kid    string
	hasKid bool
	alg    string // the JWK's "alg"; empty = any algorithm of its kind
	curve  string // EC: "P-256", "P-384" or "P-521"
	raw    any    // []byte, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// algKind is the key type each supported JWS algorithm needs. These are
// jose-jwt's algorithms (the library PostgREST verifies with) plus PS256,
// PS384 and PS512, which PostgREST does not know and rejects as
// undecodable.
var algKind = map[string]keyKind{
	"HS256": kindOct, "HS384": kindOct, "HS512": kindOct,
	"RS256": kindRSA, "RS384": kindRSA, "RS512": kindRSA,
	"PS256": kindRSA, "PS384": kindRSA, "PS512": kindRSA,
	"ES256": kindEC, "ES384": kindEC, "ES512": kindEC,
	"EdDSA": kindOKP,
}

// ecCurve is the curve each ECDSA algorithm is defined on.
var ecCurve = map[string]string{"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}

// jwkAlgs are the "alg" values a JWK may carry and still be read, as in
// jose-jwt: a key with another alg (or another kty) is ignored, not an error.
var jwkAlgs = map[string]bool{
	"none": true, "HS256": true, "HS384": true, "HS512": true,
	"RS256": true, "RS384": true, "RS512": true, "PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true, "EdDSA": true,
	"RSA1_5": true, "RSA-OAEP": true, "RSA-OAEP-256": true, "A128KW": true, "A192KW": true, "A256KW": true,
}

// parseSecret reads jwt-secret: a JSON Web Key Set, a single JSON Web Key,
// or else a plain HMAC secret of at least 32 bytes. Keys that can never
// verify a JWS (encryption keys, unknown key types) are left out.
func parseSecret(secret []byte) ([]verifyKey, error) {
	trimmed := bytes.TrimSpace(secret)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		var top map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &top); err != nil {
			return nil, err
		}
		if rawKeys, ok := top["keys"]; ok {
			var list []json.RawMessage
			if err := json.Unmarshal(rawKeys, &list); err != nil {
				return nil, errors.New(`the JWKS "keys" member is not an array`)
			}
			var keys []verifyKey
			for i, raw := range list {
				k, ok, err := parseJWK(raw)
				if err != nil {
					return nil, fmt.Errorf("JWKS key %d: %w", i, err)
				}
				if ok {
					keys = append(keys, k)
				}
			}
			return keys, nil
		}
		k, ok, err := parseJWK(trimmed)
		if err != nil {
			return nil, fmt.Errorf("JWK: %w", err)
		}
		if !ok {
			return nil, errors.New("JWK: not a signature verification key of a supported type (RSA, EC, OKP Ed25519, oct)")
		}
		return []verifyKey{k}, nil
	}
	if len(secret) < minSecretLen {
		return nil, errors.New("The JWT secret must be at least 32 characters long.")
	}
	key := make([]byte, len(secret))
	copy(key, secret)
	return []verifyKey{{kind: kindOct, alg: plainSecretAlg, raw: key}}, nil
}

// parseJWK reads one JWK. ok is false for a well-formed key that can never
// verify a JWS: an unknown kty or alg, "use": "enc", an encryption alg, or
// an Ed448 key (which jwx cannot verify with).
func parseJWK(raw []byte) (verifyKey, bool, error) {
	var hint struct {
		Kty json.RawMessage `json:"kty"`
		Alg json.RawMessage `json:"alg"`
		Use json.RawMessage `json:"use"`
		Kid json.RawMessage `json:"kid"`
		Crv json.RawMessage `json:"crv"`
	}
	if err := json.Unmarshal(raw, &hint); err != nil {
		return verifyKey{}, false, errors.New("a key must be a JSON object")
	}
	kty, _ := jsonString(hint.Kty)
	alg, algIsString := jsonString(hint.Alg)
	if len(hint.Kty) == 0 || isNull(hint.Kty) {
		return verifyKey{}, false, errors.New(`"kty" is required`)
	}
	switch {
	case kty != "RSA" && kty != "EC" && kty != "OKP" && kty != "oct":
		return verifyKey{}, false, nil
	case !isNull(hint.Alg) && (!algIsString || !jwkAlgs[alg]):
		return verifyKey{}, false, nil
	}
	var k verifyKey
	if !isNull(hint.Kid) {
		kid, ok := jsonString(hint.Kid)
		if !ok {
			return verifyKey{}, false, errors.New(`"kid" must be a string`)
		}
		k.kid, k.hasKid = kid, true
	}
	use := ""
	if !isNull(hint.Use) {
		u, ok := jsonString(hint.Use)
		if !ok || (u != "sig" && u != "enc") {
			return verifyKey{}, false, errors.New(`"use" must be "sig" or "enc"`)
		}
		use = u
	}
	crv, _ := jsonString(hint.Crv)
	if kty == "OKP" && crv == "Ed448" {
		return verifyKey{}, false, nil
	}

	key, err := jwk.ParseKey(raw)
	if err != nil {
		return verifyKey{}, false, errors.New(strings.TrimPrefix(err.Error(), "failed to "))
	}
	pub, err := jwk.PublicRawKeyOf(key)
	if err != nil {
		return verifyKey{}, false, err
	}
	switch p := pub.(type) {
	case []byte:
		k.kind = kindOct
		if len(p) == 0 {
			return verifyKey{}, false, errors.New(`"k" is empty`)
		}
	case *rsa.PublicKey:
		k.kind = kindRSA
	case *ecdsa.PublicKey:
		k.kind = kindEC
		// ECDH validates the point and allows only P-256, P-384 and P-521,
		// the curves of ES256, ES384 and ES512.
		if _, err := p.ECDH(); err != nil {
			return verifyKey{}, false, fmt.Errorf("EC key: %v", err)
		}
		k.curve = p.Curve.Params().Name
	case ed25519.PublicKey:
		k.kind = kindOKP
		if len(p) != ed25519.PublicKeySize {
			return verifyKey{}, false, errors.New("Ed25519 key: x must be 32 bytes")
		}
	default:
		return verifyKey{}, false, nil // X25519 and other non-signing keys
	}
	k.raw = pub
	if k.kind == kindOKP {
		alg = "EdDSA" // jose-jwt: an Ed25519 key is always for EdDSA
	} else if isNull(hint.Alg) {
		alg = ""
	}
	if use == "enc" || (alg != "" && algKind[alg] != k.kind) {
		return verifyKey{}, false, nil
	}
	k.alg = alg
	return k, true, nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// fits says whether k may verify a token with header alg and kid, as
// jose-jwt's canDecodeJws decides: a token kid must equal the key's kid
// (a key without one never matches), the key's alg (if any) must be the
// token's, and the key type must be the one of the algorithm.
func (k *verifyKey) fits(alg, kid string, hasKid bool) bool {
	if hasKid && (!k.hasKid || k.kid != kid) {
		return false
	}
	if k.alg != "" && k.alg != alg {
		return false
	}
	return algKind[alg] == k.kind
}

// verify checks signature over signingInput with k for alg.
func (k *verifyKey) verify(alg string, signingInput, signature []byte) bool {
	if k.kind == kindEC && ecCurve[alg] != k.curve {
		return false
	}
	v, err := jws.NewVerifier(jwa.SignatureAlgorithm(alg))
	if err != nil {
		return false
	}
	return v.Verify(signingInput, signature, k.raw) == nil
}
