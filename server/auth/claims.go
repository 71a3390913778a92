package auth

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/pgrst/pgrst/sqltext"
)

// clockSkew is PostgREST's allowance, in seconds, when checking exp, nbf
// and iat (Auth/Jwt.hs, allowedSkewSeconds; docs: "a 30-second clock skew").
const clockSkew = 30

// timeClaim is one of exp, nbf, iat as read from the claims.
type timeClaim struct {
	state uint8 // claimAbsent, claimNumber or claimInvalid
	sec   int64
}

const (
	claimAbsent  uint8 = iota // missing or null
	claimNumber               // a JSON number
	claimInvalid              // anything else: PGRST303 "... must be a number"
)

// decodeClaims parses the payload as PostgREST does (a JSON object, else
// PGRST303 "Parsing claims failed"), keeping numbers as written.
func decodeClaims(payload []byte) (map[string]any, bool) {
	if !utf8.Valid(payload) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// readTimeClaim reads exp, nbf or iat. PostgREST turns a number that is not
// an integer within int64 into 0 (Scientific's toBoundedInteger, defaulted).
func readTimeClaim(claims map[string]any, name string) timeClaim {
	v, ok := claims[name]
	if !ok || v == nil {
		return timeClaim{}
	}
	n, ok := v.(json.Number)
	if !ok {
		return timeClaim{state: claimInvalid}
	}
	sec, _ := integerValue(string(n))
	return timeClaim{state: claimNumber, sec: sec}
}

// integerValue returns the value of a JSON number literal when it is an
// integer that fits in int64 (1e3 and 1000.0 do; 1.5 and 1e30 do not),
// without ever expanding a large exponent.
func integerValue(lit string) (int64, bool) {
	i, neg := 0, false
	if i < len(lit) && lit[i] == '-' {
		neg, i = true, i+1
	}
	var digits []byte
	for i < len(lit) && lit[i] >= '0' && lit[i] <= '9' {
		digits = append(digits, lit[i])
		i++
	}
	frac := 0
	if i < len(lit) && lit[i] == '.' {
		i++
		for i < len(lit) && lit[i] >= '0' && lit[i] <= '9' {
			digits = append(digits, lit[i])
			frac++
			i++
		}
	}
	exp := 0
	if i < len(lit) && (lit[i] == 'e' || lit[i] == 'E') {
		i++
		eneg := false
		if i < len(lit) && (lit[i] == '+' || lit[i] == '-') {
			eneg, i = lit[i] == '-', i+1
		}
		for i < len(lit) && lit[i] >= '0' && lit[i] <= '9' {
			if exp < 1<<20 {
				exp = exp*10 + int(lit[i]-'0')
			}
			i++
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(lit) {
		return 0, false
	}
	// value = digits × 10^(exp-frac); drop leading zeros, fold trailing ones.
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return 0, true
	}
	scale := exp - frac
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		scale++
	}
	if scale < 0 || len(digits)+scale > 19 {
		return 0, false
	}
	var u uint64
	for _, d := range digits {
		u = u*10 + uint64(d-'0')
	}
	for ; scale > 0; scale-- {
		if u > (1<<64-1)/10 {
			return 0, false
		}
		u *= 10
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// checkAudience applies PostgREST's aud rule: aud must be absent, null, a
// string or an array of strings (whatever jwt-aud is); when jwt-aud is set,
// a string must equal it and a non-empty array must contain it.
func checkAudience(claims map[string]any, audience string) *Error {
	v, ok := claims["aud"]
	if !ok || v == nil {
		return nil
	}
	switch a := v.(type) {
	case string:
		if audience != "" && a != audience {
			return errNotInAudience
		}
		return nil
	case []any:
		found := len(a) == 0 || audience == ""
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return errAudNotStrings
			}
			if s == audience {
				found = true
			}
		}
		if !found {
			return errNotInAudience
		}
		return nil
	}
	return errAudNotStrings
}

// roleText is PostgREST's text of a role claim: a string as is, any other
// JSON value in its JSON form.
func roleText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(appendJSON(nil, v))
}

// appendJSON writes v compactly: object keys sorted, integer-valued numbers
// as integers, other numbers as written.
func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case json.Number:
		if n, ok := integerValue(string(x)); ok {
			return strconv.AppendInt(b, n, 10)
		}
		return append(b, x...)
	case string:
		return sqltext.AppendJSONString(b, x)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = sqltext.AppendJSONString(b, k)
			b = append(b, ':')
			b = appendJSON(b, x[k])
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// member is the byte span of one top-level member of a JSON object.
type member struct {
	start, end int // from the key's opening quote to the value's end
	key        string
	value      []byte
}

// topMembers lists the members of the JSON object p, which must already
// be known to be valid.
func topMembers(p []byte) []member {
	i := skipWS(p, 0)
	if i >= len(p) || p[i] != '{' {
		return nil
	}
	var out []member
	i = skipWS(p, i+1)
	for i < len(p) && p[i] == '"' {
		start := i
		keyEnd := skipString(p, i)
		raw := p[start+1 : keyEnd-1]
		key := string(raw)
		if bytes.IndexByte(raw, '\\') >= 0 {
			_ = json.Unmarshal(p[start:keyEnd], &key)
		}
		i = skipWS(p, keyEnd)
		i = skipWS(p, i+1) // ':'
		vstart := i
		i = skipValue(p, i)
		out = append(out, member{start: start, end: i, key: key, value: p[vstart:i]})
		i = skipWS(p, i)
		if i < len(p) && p[i] == ',' {
			i = skipWS(p, i+1)
		}
	}
	return out
}

func skipWS(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at p[i] == '"'.
func skipString(p []byte, i int) int {
	for i++; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(p)
}

// skipValue returns the index after the JSON value starting at p[i].
func skipValue(p []byte, i int) int {
	depth := 0
	for i < len(p) {
		switch c := p[i]; c {
		case '"':
			i = skipString(p, i)
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return i
}

// claimsWithRole is what PostgREST sets as request.jwt.claims: the claims
// with a top-level "role" holding the chosen role (Query/PreQuery.hs
// inserts it). When the payload already says exactly that, its bytes are
// kept as they are; otherwise the object is rewritten with "role" first
// and every other member copied byte for byte.
func claimsWithRole(payload []byte, members []member, role string) []byte {
	roles := 0
	keep := false
	for _, m := range members {
		if m.key == "role" {
			roles++
			var s string
			keep = len(m.value) > 0 && m.value[0] == '"' && json.Unmarshal(m.value, &s) == nil && s == role
		}
	}
	if roles == 1 && keep {
		return payload
	}
	b := make([]byte, 0, len(payload)+len(role)+10)
	b = append(b, `{"role":`...)
	b = sqltext.AppendJSONString(b, role)
	for _, m := range members {
		if m.key == "role" {
			continue
		}
		b = append(b, ',')
		b = append(b, payload[m.start:m.end]...)
	}
	return append(b, '}')
}

// legacyClaims are the request.jwt.claim.<name> settings of PostgREST
// before v10, sorted by name: each top-level claim (role replaced by the
// chosen role) as text, strings unquoted and other values as JSON.
func legacyClaims(claims map[string]any, role string) [][2]string {
	out := make([][2]string, 0, len(claims)+1)
	hasRole := false
	for _, k := range sortedKeys(claims) {
		if !sqltext.IsGUCNamePart(k) {
			// PostgreSQL refuses such a setting name ("http://x/y"):
			// the claim is only in request.jwt.claims.
			continue
		}
		v := roleText(claims[k])
		if k == "role" {
			v, hasRole = role, true
		}
		out = append(out, [2]string{k, v})
	}
	if !hasRole {
		out = append(out, [2]string{"role", role})
		sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	}
	return out
}
