package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"

	"github.com/pgrst/pgrst/apierr"
)

// bearerToken extracts the token of an Authorization header value the way
// PostgREST does (wai-extra's extractBearerAuth): the scheme is everything
// up to the first white space and must be "bearer" in any case; the token
// is the rest with leading white space removed. ok is false for any other
// scheme, which PostgREST treats as no token at all.
func bearerToken(h []byte) (token []byte, ok bool) {
	i := 0
	for i < len(h) && !isSpace(h[i]) {
		i++
	}
	if i != 6 || !equalFoldBearer(h[:6]) {
		return nil, false
	}
	for i < len(h) && isSpace(h[i]) {
		i++
	}
	return h[i:], true
}

// isSpace is Haskell's isSpace on a Latin-1 character.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xA0
}

func equalFoldBearer(b []byte) bool {
	const want = "bearer"
	for i := 0; i < len(want); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}

// jwsHeader is the part of the JOSE header that verification reads.
type jwsHeader struct {
	alg    string
	kid    string
	hasKid bool
}

// decodeSegment decodes one unpadded base64url part of a token. Go's
// decoder skips CR and LF, which jose-jwt does not; those are refused.
func decodeSegment(s []byte) ([]byte, bool) {
	if bytes.IndexByte(s, '\r') >= 0 || bytes.IndexByte(s, '\n') >= 0 {
		return nil, false
	}
	out := make([]byte, base64.RawURLEncoding.DecodedLen(len(s)))
	n, err := base64.RawURLEncoding.Decode(out, s)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}

// parseHeader reads the JOSE header as jose-jwt does. unsecured is true for
// "alg": "none". ok is false when the header is not a JSON object, names an
// algorithm we do not verify (PostgREST knows no PS*, we do), has an "enc"
// member (a JWE, which never has three parts), or has typ, cty or kid that
// are neither null nor strings.
func parseHeader(b []byte) (h jwsHeader, unsecured, ok bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || m == nil {
		return h, false, false
	}
	alg, isString := jsonString(m["alg"])
	if isString && alg == "none" {
		return h, true, true
	}
	if _, isJWE := m["enc"]; isJWE {
		return h, false, false
	}
	if !isString || algKind[alg] == 0 {
		return h, false, false
	}
	for _, name := range [...]string{"typ", "cty"} {
		if v := m[name]; !isNull(v) {
			if _, s := jsonString(v); !s {
				return h, false, false
			}
		}
	}
	h.alg = alg
	if v := m["kid"]; !isNull(v) {
		kid, s := jsonString(v)
		if !s {
			return h, false, false
		}
		h.kid, h.hasKid = kid, true
	}
	return h, false, true
}

// verifyToken checks a token's form and signature and returns its payload
// (the claims JSON as sent). The order of checks and the errors are
// PostgREST's (Auth/Jwt.hs parseToken, then jose-jwt's decode): part count,
// then any undecodable part or header, then alg "none", then key choice,
// then the signature.
func verifyToken(keys []verifyKey, token []byte) ([]byte, *Error) {
	dot1 := bytes.IndexByte(token, '.')
	dots := bytes.Count(token, []byte{'.'})
	if dots != 2 {
		return nil, apierr.JWTParts(dots + 1)
	}
	dot2 := dot1 + 1 + bytes.IndexByte(token[dot1+1:], '.')
	headerB64, payloadB64, sigB64 := token[:dot1], token[dot1+1:dot2], token[dot2+1:]

	headerJSON, ok := decodeSegment(headerB64)
	if !ok {
		return nil, errBadCrypto
	}
	h, unsecured, ok := parseHeader(headerJSON)
	if !ok {
		return nil, errBadCrypto
	}
	payload, ok := decodeSegment(payloadB64)
	if !ok {
		return nil, errBadCrypto
	}
	if unsecured {
		return nil, errUnsecured
	}
	sig, ok := decodeSegment(sigB64)
	if !ok {
		return nil, errBadCrypto
	}

	signingInput := token[:dot2]
	tried := false
	for i := range keys {
		k := &keys[i]
		if !k.fits(h.alg, h.kid, h.hasKid) {
			continue
		}
		tried = true
		if k.verify(h.alg, signingInput, sig) {
			return payload, nil
		}
	}
	if !tried {
		return nil, errNoSuitable
	}
	return nil, errNoKeyDecoded
}
