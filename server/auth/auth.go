package auth

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/server/auth/jsonpath"
	"github.com/pgrst/pgrst/sqltext"
)

// Options configure a Verifier.
type Options struct {
	// Secret is the key material of jwt-secret (already read from a file
	// and base64-decoded by the configuration): a plain HMAC secret of at
	// least 32 bytes, or the JSON of a JWK or of a JWKS. Empty: no JWT
	// support, and any request with a token fails with PGRST300.
	Secret []byte
	// Audience is jwt-aud; empty means any aud is accepted.
	Audience string
	// RoleClaimKey is jwt-role-claim-key: a JSONPath ("$.role", the
	// default when empty) or PostgREST's older JSPath (".role").
	RoleClaimKey string
	// AnonRole is db-anon-role; empty disables anonymous access.
	AnonRole string
	// CacheEntries bounds the cache of verified tokens
	// (jwt-cache-max-entries); 0 or less disables it.
	CacheEntries int
	// Remote, when it names a JWKS URL or an OpenID Connect issuer, adds
	// the keys fetched from there to Secret's (which may be empty). New
	// then waits for the first fetch; Close stops the refreshes.
	Remote RemoteOptions
}

// Result is who a request runs as.
type Result struct {
	// Role is the database role to switch to.
	Role string
	// Claims is the value of request.jwt.claims: the token's payload JSON
	// with a top-level "role" holding Role, as PostgREST sets it. When the
	// payload already has exactly that role member it is passed through
	// byte for byte; otherwise "role" is put first and every other member
	// is copied as sent. Anonymous requests get {"role":"<anon role>"}.
	Claims []byte
	// LegacyClaims are the request.jwt.claim.<name> settings of PostgREST
	// before v10, sorted by name: each top-level claim as text (strings
	// unquoted, other values as JSON), with role replaced by Role.
	LegacyClaims [][2]string
	// Anonymous is true when the request carried no token.
	Anonymous bool
}

// Verifier authenticates requests. It is safe for concurrent use.
//
// The Claims and LegacyClaims of a Result, and the *Error values returned,
// are shared with the token cache and with other requests: read them, never
// modify them.
type Verifier struct {
	keys      atomic.Pointer[keySet] // replaced when a remote set is fetched
	remote    *remote                // nil without jwt-jwks-url or jwt-oidc-issuer
	issuer    string                 // the iss tokens must carry; "" for any
	hasSecret bool
	audience  string
	roleKey   rolePath
	anonRole  string
	anon      Result
	cache     *cache.Bounded[*entry]
}

// rolePath finds the role claim: a JSONPath or a jsPath.
type rolePath interface {
	first(root any) (any, bool)
}

// jsonPath is a rolePath from a JSONPath query.
type jsonPath struct{ q *jsonpath.Query }

func (p jsonPath) first(root any) (any, bool) { return p.q.First(root) }

// entry is the cached outcome of a token whose signature verified: the
// time claims, which are checked against the clock on every use, and
// either the time-independent error or the result.
type entry struct {
	keys          *keySet // the set the signature verified with
	exp, nbf, iat timeClaim
	err           *Error
	res           Result
}

// New parses the key material and the role claim key. Its error is one
// line naming the offending option.
func New(o Options) (*Verifier, error) {
	v := &Verifier{audience: o.Audience, anonRole: o.AnonRole}
	var static []verifyKey
	if len(o.Secret) > 0 {
		keys, err := parseSecret(o.Secret)
		if err != nil {
			return nil, fmt.Errorf("jwt-secret: %s", strings.ReplaceAll(err.Error(), "\n", " "))
		}
		static, v.hasSecret = keys, true
	}
	v.keys.Store(&keySet{keys: static})
	if o.Remote.JWKSURL != "" || o.Remote.Issuer != "" {
		name := "jwt-jwks-url"
		if o.Remote.JWKSURL == "" {
			name, v.issuer = "jwt-oidc-issuer", o.Remote.Issuer
		}
		r, err := newRemote(o.Remote, static, &v.keys)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		v.remote, v.hasSecret = r, true
	}

	key := o.RoleClaimKey
	if strings.TrimSpace(key) == "" {
		key = "$.role"
	}
	if q, err := jsonpath.Parse(key); err == nil {
		v.roleKey = jsonPath{q}
	} else if p, lerr := parseJSPath(key); lerr == nil {
		v.roleKey = p
	} else {
		if strings.HasPrefix(key, "$") {
			lerr = err
		}
		return nil, fmt.Errorf("jwt-role-claim-key: %q is neither a JSONPath nor a JSPath: %v", key, lerr)
	}

	if o.AnonRole != "" {
		claims := sqltext.AppendJSONString([]byte(`{"role":`), o.AnonRole)
		v.anon = Result{
			Role:         o.AnonRole,
			Claims:       append(claims, '}'),
			LegacyClaims: [][2]string{{"role", o.AnonRole}},
			Anonymous:    true,
		}
	}
	if o.CacheEntries > 0 {
		v.cache = cache.NewBounded[*entry](o.CacheEntries)
	}
	if v.remote != nil {
		v.remote.start()
	}
	return v, nil
}

// Close stops the background refresh of a remote key set (a no-op
// without one). The Verifier still verifies with the keys it has.
func (v *Verifier) Close() {
	if v.remote != nil {
		v.remote.close()
	}
}

// Authenticate decides the role of a request from its Authorization header
// value (nil or empty when there is none) at time now.
//
// A header whose scheme is not Bearer counts as no header, as in PostgREST.
// A token seen before is answered from the cache without allocating: only
// its exp, nbf and iat are checked again against now.
func (v *Verifier) Authenticate(authorization []byte, now time.Time) (Result, *Error) {
	token, ok := bearerToken(authorization)
	if !ok {
		if v.anonRole == "" {
			return Result{}, errTokenRequired
		}
		return v.anon, nil
	}
	if !v.hasSecret {
		return Result{}, errSecretMissing
	}
	if len(token) == 0 {
		return Result{}, errEmptyToken
	}
	keys := v.keys.Load()
	if v.cache != nil {
		// The key aliases the header bytes; Get does not keep it.
		if e, ok := v.cache.Get(unsafe.String(&token[0], len(token))); ok && e.keys == keys {
			return e.check(now)
		}
	}
	e, err := v.verify(token, keys)
	if err == errNoSuitable && v.remote != nil && v.remote.refreshUnknown(keys) {
		e, err = v.verify(token, v.keys.Load()) // the key may be new
	}
	if err != nil {
		return Result{}, err // failed signatures are not cached
	}
	if v.cache != nil {
		v.cache.Put(string(token), e)
	}
	return e.check(now)
}

// verify checks a token not in the cache and computes everything about it
// that does not depend on the time.
func (v *Verifier) verify(token []byte, keys *keySet) (*entry, *Error) {
	payload, err := verifyToken(keys.keys, token)
	if err != nil {
		return nil, err
	}
	claims, ok := decodeClaims(payload)
	if !ok {
		return &entry{err: errParsingClaims}, nil
	}
	e := &entry{
		keys: keys,
		exp:  readTimeClaim(claims, "exp"),
		nbf:  readTimeClaim(claims, "nbf"),
		iat:  readTimeClaim(claims, "iat"),
	}
	if e.err = checkAudience(claims, v.audience); e.err != nil {
		return e, nil
	}
	if v.issuer != "" {
		if iss, _ := claims["iss"].(string); iss != v.issuer {
			e.err = errWrongIssuer
			return e, nil
		}
	}
	var role string
	if r, found := v.roleKey.first(claims); found {
		role = roleText(r)
	} else if v.anonRole != "" {
		role = v.anonRole
	} else {
		e.err = errTokenRequired
		return e, nil
	}
	e.res = Result{
		Role:         role,
		Claims:       claimsWithRole(payload, topMembers(payload), role),
		LegacyClaims: legacyClaims(claims, role),
	}
	return e, nil
}

// check applies PostgREST's claim checks in its order: exp, nbf, iat (each
// first for being a number, then against the clock with 30 s of skew),
// then aud, then the role.
func (e *entry) check(now time.Time) (Result, *Error) {
	t := now.Unix()
	switch e.exp.state {
	case claimInvalid:
		return Result{}, errExpNotNumber
	case claimNumber:
		if t-clockSkew > e.exp.sec {
			return Result{}, errExpired
		}
	}
	switch e.nbf.state {
	case claimInvalid:
		return Result{}, errNbfNotNumber
	case claimNumber:
		if t+clockSkew < e.nbf.sec {
			return Result{}, errNotYetValid
		}
	}
	switch e.iat.state {
	case claimInvalid:
		return Result{}, errIatNotNumber
	case claimNumber:
		if t+clockSkew < e.iat.sec {
			return Result{}, errIssuedInFuture
		}
	}
	if e.err != nil {
		return Result{}, e.err
	}
	return e.res, nil
}

// AnonRole is the role of requests without a token ("" when anonymous
// access is disabled).
func (v *Verifier) AnonRole() string { return v.anonRole }

// CacheEvictions returns the number of tokens the full cache dropped
// (zero when the cache is disabled).
func (v *Verifier) CacheEvictions() uint64 {
	if v.cache == nil {
		return 0
	}
	return v.cache.Evictions()
}

// CacheStats returns the token cache's hit and miss counts (zero when the
// cache is disabled).
func (v *Verifier) CacheStats() (hits, misses uint64) {
	if v.cache == nil {
		return 0, 0
	}
	return v.cache.Stats()
}
