package auth

import "github.com/pgrst/pgrst/apierr"

// Error is a failed authentication as the client sees it: one of
// PostgREST's PGRST30x errors (apierr's table), with the WWW-Authenticate
// challenge to send.
//
// Errors returned by Authenticate may be shared between requests: treat
// them as read-only.
type Error = apierr.Error

// Errors that carry no per-token data are built once, so that the cached
// path returns them without allocating.
var (
	errSecretMissing = apierr.JWTSecretMissing()
	errTokenRequired = apierr.JWTTokenRequired()

	errEmptyToken   = apierr.JWTEmpty()
	errBadCrypto    = apierr.JWTCrypto()
	errNoSuitable   = apierr.JWTNoSuitableKey()
	errNoKeyDecoded = apierr.JWTNoKeyDecoded()
	errUnsecured    = apierr.JWTUnsecured()

	errExpired        = apierr.JWTExpired()
	errNotYetValid    = apierr.JWTNotYetValid()
	errIssuedInFuture = apierr.JWTIssuedInFuture()
	errNotInAudience  = apierr.JWTNotInAudience()
	errWrongIssuer    = apierr.JWTWrongIssuer()
	errParsingClaims  = apierr.JWTParsingClaims()
	errExpNotNumber   = apierr.JWTClaimNotNumber("exp")
	errNbfNotNumber   = apierr.JWTClaimNotNumber("nbf")
	errIatNotNumber   = apierr.JWTClaimNotNumber("iat")
	errAudNotStrings  = apierr.JWTAudNotStrings()
)
