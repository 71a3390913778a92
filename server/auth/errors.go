package auth

import "strconv"

// Error is a failed authentication as the client sees it: PostgREST's
// PGRST30x error body, its HTTP status, and the WWW-Authenticate header
// value to send (empty: none). Empty Details and Hint are JSON null.
//
// Errors returned by Authenticate may be shared between requests: treat
// them as read-only.
type Error struct {
	Status          int
	Code            string
	Message         string
	Details         string
	Hint            string
	WWWAuthenticate string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The four kinds of PostgREST JWT errors (Error.hs, instance ErrorBody
// JwtError): a missing secret is a server fault; a token that cannot be
// decoded or verified, and one whose claims are invalid, are 401 with an
// invalid_token challenge; a request without a token when there is no
// anonymous role is 401 with a bare Bearer challenge.
func secretMissing() *Error {
	return &Error{Status: 500, Code: "PGRST300", Message: "Server lacks JWT secret"}
}

func tokenRequired() *Error {
	return &Error{Status: 401, Code: "PGRST302", Message: "Anonymous access is disabled", WWWAuthenticate: "Bearer"}
}

func decodeError(msg, details string) *Error {
	return &Error{Status: 401, Code: "PGRST301", Message: msg, Details: details, WWWAuthenticate: invalidToken(msg)}
}

func claimsError(msg string) *Error {
	return &Error{Status: 401, Code: "PGRST303", Message: msg, WWWAuthenticate: invalidToken(msg)}
}

// invalidToken is the RFC 6750 challenge PostgREST sends with PGRST301 and
// PGRST303. The description is quoted the way Haskell's show quotes text,
// which for these ASCII messages is Go's quoting too.
func invalidToken(msg string) string {
	return `Bearer error="invalid_token", error_description=` + strconv.Quote(msg)
}

// Messages of PostgREST v16.2 (Error.hs). The details of KeyError and
// BadAlgorithm are the texts of the jose-jwt library PostgREST decodes with.
const (
	msgKeyError     = "No suitable key or wrong key type"
	msgBadAlgorithm = "Wrong or unsupported encoding algorithm"

	detNoSuitableKey = "No suitable key was found to decode the JWT"
	detNoKeyDecoded  = "None of the keys was able to decode the JWT"
	detUnsecured     = "JWT is unsecured but expected 'alg' was not 'none'"
)

// Errors that carry no per-token data are built once, so that the cached
// path returns them without allocating.
var (
	errSecretMissing = secretMissing()
	errTokenRequired = tokenRequired()

	errEmptyToken   = decodeError("Empty JWT is sent in Authorization header", "")
	errBadCrypto    = decodeError("JWT cryptographic operation failed", "")
	errNoSuitable   = decodeError(msgKeyError, detNoSuitableKey)
	errNoKeyDecoded = decodeError(msgKeyError, detNoKeyDecoded)
	errUnsecured    = decodeError(msgBadAlgorithm, detUnsecured)

	errExpired        = claimsError("JWT expired")
	errNotYetValid    = claimsError("JWT not yet valid")
	errIssuedInFuture = claimsError("JWT issued at future")
	errNotInAudience  = claimsError("JWT not in audience")
	errParsingClaims  = claimsError("Parsing claims failed")
	errExpNotNumber   = claimsError("The JWT 'exp' claim must be a number")
	errNbfNotNumber   = claimsError("The JWT 'nbf' claim must be a number")
	errIatNotNumber   = claimsError("The JWT 'iat' claim must be a number")
	errAudNotStrings  = claimsError("The JWT 'aud' claim must be a string or an array of strings")
)

// errParts is PostgREST's answer to a token that is not three dot-separated
// parts; n is the number of parts found.
func errParts(n int) *Error {
	return decodeError("Expected 3 parts in JWT; got "+strconv.Itoa(n), "")
}
