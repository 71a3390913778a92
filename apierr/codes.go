package apierr

import (
	"strconv"
	"strings"
)

// The table: one function per PGRST error (or per message of a code that
// has several), in code order, as PostgREST v16.2 words them (Error.hs).
// Each code's status is written here once.

// ConnectionError is PGRST001: the database cannot be reached (details:
// the driver's error). The client may retry at once.
func ConnectionError(details string) *Error {
	return &Error{Status: 503, Code: "PGRST001", Message: "Database client error. Retrying the connection.",
		Details: details, RetryAfter: "0"}
}

// NoSchemaCache is PGRST002: no schema cache has been loaded yet.
func NoSchemaCache() *Error {
	return &Error{Status: 503, Code: "PGRST002",
		Message: "Could not query the database for the schema cache. Retrying.", RetryAfter: "0"}
}

// AcquireTimeout is PGRST003: no pooled connection came free in time.
func AcquireTimeout() *Error {
	return &Error{Status: 504, Code: "PGRST003", Message: "Timed out acquiring connection from connection pool."}
}

// QueryParam is PGRST100, a malformed query parameter; message and details
// are the parser's.
func QueryParam(message, details string) *Error {
	return &Error{Status: 400, Code: "PGRST100", Message: message, Details: details}
}

// RequestUnreadable is PGRST100 for a request the HTTP server cannot read
// (pgrst's own): status is 400 (malformed), 408 (too slow) or 431 (request
// line and headers too large).
func RequestUnreadable(status int, message, details string) *Error {
	return &Error{Status: status, Code: "PGRST100", Message: message, Details: details}
}

// RPCMethod is PGRST101: functions take GET, HEAD and POST only.
func RPCMethod(method string) *Error {
	return &Error{Status: 405, Code: "PGRST101", Message: "Cannot use the " + method + " method on RPC"}
}

// InvalidBody is PGRST102, a request body PostgREST refuses; message and
// details are the body parser's.
func InvalidBody(message, details string) *Error {
	return &Error{Status: 400, Code: "PGRST102", Message: message, Details: details}
}

// BodyTooLarge is PGRST102 with status 413 (pgrst's own): the body is
// larger than server-max-body-size.
func BodyTooLarge(limit int) *Error { return bodyTooLarge("The body", limit) }

// CSVTooLarge is BodyTooLarge for the JSON a CSV body becomes, which the
// same limit bounds.
func CSVTooLarge(limit int) *Error { return bodyTooLarge("The JSON of the CSV body", limit) }

func bodyTooLarge(what string, limit int) *Error {
	return &Error{Status: 413, Code: "PGRST102", Message: "Request body too large",
		Details: what + " may have at most " + strconv.Itoa(limit) + " bytes (server-max-body-size)"}
}

// rangeNotSatisfiable is PGRST103 with one of its details.
func rangeNotSatisfiable(details string) *Error {
	return &Error{Status: 416, Code: "PGRST103", Message: "Requested range not satisfiable", Details: details}
}

// NegativeLimit is PGRST103 for a limit, offset or Range that selects no
// rows.
func NegativeLimit() *Error {
	return rangeNotSatisfiable("Limit should be greater than or equal to zero.")
}

// RangeReversed is PGRST103 for a Range header whose last row comes before
// its first.
func RangeReversed() *Error {
	return rangeNotSatisfiable("The lower boundary must be lower than or equal to the upper boundary in the Range header.")
}

// OffsetBeyondTotal is PGRST103 for an offset past the counted rows.
func OffsetBeyondTotal(offset, total int64) *Error {
	return rangeNotSatisfiable("An offset of " + strconv.FormatInt(offset, 10) +
		" was requested, but there are only " + strconv.FormatInt(total, 10) + " rows.")
}

// PutFilters is PGRST105: PUT's filters must be eq on every primary key
// column and nothing else.
func PutFilters() *Error {
	return &Error{Status: 405, Code: "PGRST105",
		Message: "Filters must include all and only primary key columns with 'eq' operators"}
}

// InvalidSchema is PGRST106: Accept-Profile names a schema that is not
// exposed.
func InvalidSchema(schema string, exposed []string) *Error {
	return &Error{Status: 406, Code: "PGRST106", Message: "Invalid schema: " + schema,
		Hint: "Only the following schemas are exposed: " + strings.Join(exposed, ", ")}
}

// NoMediaType is PGRST107: none of the accepted media types can be
// produced.
func NoMediaType(accepted []string) *Error {
	return &Error{Status: 406, Code: "PGRST107",
		Message: "None of these media types are available: " + strings.Join(accepted, ", ")}
}

// NotEmbedded is PGRST108: a filter, order or limit names an embed that
// the select does not contain.
func NotEmbedded(name string) *Error {
	return &Error{Status: 400, Code: "PGRST108",
		Message: "'" + name + "' is not an embedded resource in this request",
		Hint:    "Verify that '" + name + "' is included in the 'select' query parameter."}
}

// NotEmbeddedAlias is PGRST108 for a path that names an aliased embed by
// its relation instead of its alias.
func NotEmbeddedAlias(name, alias string) *Error {
	e := NotEmbedded(name)
	e.Details = "Target names are not allowed in filters if they have an alias"
	e.Hint = "Change '" + name + "' to '" + alias + "' in filters, orders or limits."
	return e
}

// GUCHeaders is PGRST111: response.headers is not a JSON array of
// one-key objects with string values.
func GUCHeaders() *Error {
	return &Error{Status: 500, Code: "PGRST111",
		Message: "response.headers guc must be a JSON array composed of objects with a single key and a string value"}
}

// GUCStatus is PGRST112: response.status is not a status code.
func GUCStatus() *Error {
	return &Error{Status: 500, Code: "PGRST112", Message: "response.status guc must be a valid status code"}
}

// PutRange is PGRST114: PUT with limit or offset.
func PutRange() *Error {
	return &Error{Status: 400, Code: "PGRST114", Message: "limit/offset querystring parameters are not allowed for PUT"}
}

// PutMismatch is PGRST115: PUT's body and URL disagree on the primary key.
func PutMismatch() *Error {
	return &Error{Status: 400, Code: "PGRST115", Message: "Payload values do not match URL in primary key column(s)"}
}

// SingularCardinality is PGRST116: a singular media type (one object) and
// a result of rows rows.
func SingularCardinality(rows int64) *Error {
	return &Error{Status: 406, Code: "PGRST116", Message: "Cannot coerce the result to a single JSON object",
		Details: "The result contains " + strconv.FormatInt(rows, 10) + " rows"}
}

// UnsupportedMethod is PGRST117.
func UnsupportedMethod(method string) *Error {
	return &Error{Status: 405, Code: "PGRST117", Message: "Unsupported HTTP method: " + method}
}

// RaiseParse is PGRST121: the MESSAGE or DETAIL of a RAISE SQLSTATE
// 'PGRST' is not the JSON it must be.
func RaiseParse(details, hint string) *Error {
	return &Error{Status: 500, Code: "PGRST121",
		Message: `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`, Details: details, Hint: hint}
}

// RelatedOrderNotToOne is PGRST118: a related order on an embed that is
// not to-one.
func RelatedOrderNotToOne(origin, target string) *Error {
	return &Error{Status: 400, Code: "PGRST118",
		Message: "A related order on '" + target + "' is not possible",
		Details: "'" + origin + "' and '" + target + "' do not form a many-to-one or one-to-one relationship"}
}

// UnfilteredWrite is PGRST119, pgrst's own (PostgREST leaves the code
// unused): with db-safe-writes, a PATCH or DELETE without any filter on
// its target, which would change every row.
func UnfilteredWrite(method string) *Error {
	return &Error{Status: 400, Code: "PGRST119", Message: method + " requires a filter",
		Details: "db-safe-writes refuses a " + method + " that would affect every row of the table",
		Hint:    "Add a filter on the table's columns; to affect every row on purpose, use one that holds for all, e.g. id=not.is.null"}
}

// BadEmbedOp is PGRST120: a filter on an embed other than is.null.
func BadEmbedOp(name string) *Error {
	return &Error{Status: 400, Code: "PGRST120",
		Message: "Bad operator on the '" + name + "' embedded resource",
		Details: "Only is null or not is null filters are allowed on embedded resources"}
}

// InvalidPreferences is PGRST122: Prefer handling=strict with items that
// are not valid preferences.
func InvalidPreferences(items []string) *Error {
	return &Error{Status: 400, Code: "PGRST122", Message: "Invalid preferences given with handling=strict",
		Details: "Invalid preferences: " + strings.Join(items, ", ")}
}

// AggregatesNotAllowed is PGRST123 (db-aggregates-enabled is off).
func AggregatesNotAllowed() *Error {
	return &Error{Status: 400, Code: "PGRST123", Message: "Use of aggregate functions is not allowed"}
}

// MaxAffected is PGRST124: under handling=strict, a write affects rows
// rows, more than max-affected allows.
func MaxAffected(rows int64) *Error {
	return &Error{Status: 400, Code: "PGRST124", Message: "Query result exceeds max-affected preference constraint",
		Details: "The query affects " + strconv.FormatInt(rows, 10) + " rows"}
}

// MaxAffectedSingle is PGRST128: max-affected under handling=strict on a
// function that returns one value or row, not a set.
func MaxAffectedSingle() *Error {
	return &Error{Status: 400, Code: "PGRST128",
		Message: "Function must return SETOF or TABLE when max-affected preference is used with handling=strict"}
}

// DistinctNotAllowed is PGRST129 (pgrst's own): the distinct parameter
// while db-distinct-enabled is off.
func DistinctNotAllowed() *Error {
	return &Error{Status: 400, Code: "PGRST129", Message: "Use of distinct is not allowed",
		Hint: "Set db-distinct-enabled to allow it"}
}

// Keyset is PGRST100 (pgrst's own) for a keyset read (Prefer:
// pagination=keyset, or an after cursor) that cannot be served; details
// say why.
func Keyset(details, hint string) *Error {
	return &Error{Status: 400, Code: "PGRST100", Message: "Keyset pagination is not possible for this request",
		Details: details, Hint: hint}
}

// InvalidPath is PGRST125.
func InvalidPath() *Error {
	return &Error{Status: 404, Code: "PGRST125", Message: "Invalid path specified in request URL"}
}

// OpenAPIDisabled is PGRST126: openapi-mode is disabled, so / has nothing.
func OpenAPIDisabled() *Error {
	return &Error{Status: 404, Code: "PGRST126", Message: "Root endpoint metadata is disabled"}
}

// NotImplemented is PGRST127, for what parses but is not served yet.
func NotImplemented(details string) *Error {
	return &Error{Status: 400, Code: "PGRST127", Message: "Feature not implemented", Details: details}
}

// ListenRefused is PGRST130 (pgrst's own): the request's role may not
// listen on the channel (pgrst.listen_allowed answered false). 401
// without a token, so a client knows to authenticate; 403 with one.
func ListenRefused(channel string, authed bool) *Error {
	e := &Error{Status: 403, Code: "PGRST130", Message: "Not allowed to listen on channel '" + channel + "'",
		Hint: "pgrst.listen_allowed(channel) decides who may listen where"}
	if !authed {
		e.Status, e.WWWAuthenticate = 401, "Bearer"
	}
	return e
}

// ListenChannel is PGRST131 (pgrst's own): /listen/<channel> names no
// valid channel (empty, over 63 bytes, or with a NUL byte).
func ListenChannel(details string) *Error {
	return &Error{Status: 400, Code: "PGRST131", Message: "Invalid channel name", Details: details}
}

// ListenUnavailable is PGRST132 (pgrst's own): the server is shutting
// down and takes no new listener.
func ListenUnavailable() *Error {
	return &Error{Status: 503, Code: "PGRST132", Message: "The server is shutting down", RetryAfter: "1"}
}

// NoRelationship is PGRST200: no relationship between parent and child
// (with the embed's !hint, "" for none). When suggestion is not "", the
// hint proposes it instead of misspelt (the child or the parent).
func NoRelationship(schema, parent, child, hint, suggestion, misspelt string) *Error {
	d := "Searched for a foreign key relationship between '" + parent + "' and '" + child
	if hint != "" {
		d += "' using the hint '" + hint
	}
	d += "' in the schema '" + schema + "', but no matches were found."
	e := &Error{Status: 400, Code: "PGRST200",
		Message: "Could not find a relationship between '" + parent + "' and '" + child + "' in the schema cache",
		Details: d}
	if suggestion != "" {
		e.Hint = "Perhaps you meant '" + suggestion + "' instead of '" + misspelt + "'."
	}
	return e
}

// AmbiguousRelationship is PGRST201: several relationships join parent and
// child. detailsJSON lists them; hints are the embeds that pick each
// ('child!hint').
func AmbiguousRelationship(parent, child, detailsJSON string, hints []string) *Error {
	return &Error{Status: 300, Code: "PGRST201",
		Message:     "Could not embed because more than one relationship was found for '" + parent + "' and '" + child + "'",
		DetailsJSON: detailsJSON,
		Hint: "Try changing '" + child + "' to one of the following: " + strings.Join(hints, ", ") +
			". Find the desired relationship in the 'details' key."}
}

// FunctionNotFound is PGRST202 (message and details as the planner words
// them from the call); the hint, if any, is set by the caller.
func FunctionNotFound(message, details string) *Error {
	return &Error{Status: 404, Code: "PGRST202", Message: message, Details: details}
}

// AmbiguousFunction is PGRST203: candidates lists the overloads
// ("schema.name(arg => type, ...)").
func AmbiguousFunction(candidates []string) *Error {
	return &Error{Status: 300, Code: "PGRST203",
		Message: "Could not choose the best candidate function between: " + strings.Join(candidates, ", "),
		Hint:    "Try renaming the parameters or the function itself in the database so function overloading can be resolved"}
}

// ColumnNotFound is PGRST204: a written column that rel lacks.
func ColumnNotFound(rel, col string) *Error {
	return &Error{Status: 400, Code: "PGRST204",
		Message: "Could not find the '" + col + "' column of '" + rel + "' in the schema cache"}
}

// TableNotFound is PGRST205, with a close table name as the hint when
// suggestion is not "".
func TableNotFound(schema, name, suggestion string) *Error {
	e := &Error{Status: 404, Code: "PGRST205",
		Message: "Could not find the table '" + schema + "." + name + "' in the schema cache"}
	if suggestion != "" {
		e.Hint = "Perhaps you meant the table '" + schema + "." + suggestion + "'"
	}
	return e
}

// JWT errors, PostgREST's four kinds (instance ErrorBody JwtError): a
// missing secret is a server fault; a token that cannot be decoded or
// verified (PGRST301), and one whose claims are invalid (PGRST303), are 401
// with an invalid_token challenge; a request without a token when there is
// no anonymous role is 401 with a bare Bearer challenge. The details of
// some PGRST301s are the texts of jose-jwt, which PostgREST decodes with.

// JWTSecretMissing is PGRST300.
func JWTSecretMissing() *Error {
	return &Error{Status: 500, Code: "PGRST300", Message: "Server lacks JWT secret"}
}

func jwtDecode(message, details string) *Error {
	return &Error{Status: 401, Code: "PGRST301", Message: message, Details: details,
		WWWAuthenticate: invalidToken(message)}
}

// JWTEmpty is PGRST301 for "Authorization: Bearer" with no token.
func JWTEmpty() *Error { return jwtDecode("Empty JWT is sent in Authorization header", "") }

// JWTParts is PGRST301 for a token of n dot-separated parts, not three.
func JWTParts(n int) *Error { return jwtDecode("Expected 3 parts in JWT; got "+strconv.Itoa(n), "") }

// JWTCrypto is PGRST301 for a token that cannot be decoded or verified.
func JWTCrypto() *Error { return jwtDecode("JWT cryptographic operation failed", "") }

// JWTNoSuitableKey is PGRST301: no key of jwt-secret fits the token.
func JWTNoSuitableKey() *Error {
	return jwtDecode("No suitable key or wrong key type", "No suitable key was found to decode the JWT")
}

// JWTNoKeyDecoded is PGRST301: keys fit, but none verifies the token.
func JWTNoKeyDecoded() *Error {
	return jwtDecode("No suitable key or wrong key type", "None of the keys was able to decode the JWT")
}

// JWTUnsecured is PGRST301 for an unsigned token (alg none).
func JWTUnsecured() *Error {
	return jwtDecode("Wrong or unsupported encoding algorithm", "JWT is unsecured but expected 'alg' was not 'none'")
}

// JWTTokenRequired is PGRST302: no token, and no anonymous role.
func JWTTokenRequired() *Error {
	return &Error{Status: 401, Code: "PGRST302", Message: "Anonymous access is disabled", WWWAuthenticate: "Bearer"}
}

func jwtClaims(message string) *Error {
	return &Error{Status: 401, Code: "PGRST303", Message: message, WWWAuthenticate: invalidToken(message)}
}

// JWTExpired, JWTNotYetValid and JWTIssuedInFuture are PGRST303 for the
// exp, nbf and iat checks.
func JWTExpired() *Error        { return jwtClaims("JWT expired") }
func JWTNotYetValid() *Error    { return jwtClaims("JWT not yet valid") }
func JWTIssuedInFuture() *Error { return jwtClaims("JWT issued at future") }

// JWTNotInAudience is PGRST303: aud does not name jwt-aud.
func JWTNotInAudience() *Error { return jwtClaims("JWT not in audience") }

// JWTWrongIssuer is PGRST303 (pgrst's own): iss is not jwt-oidc-issuer.
func JWTWrongIssuer() *Error { return jwtClaims("JWT not issued by the configured issuer") }

// JWTParsingClaims is PGRST303: the payload is not a JSON object.
func JWTParsingClaims() *Error { return jwtClaims("Parsing claims failed") }

// JWTClaimNotNumber is PGRST303 for a time claim (exp, nbf, iat) that is
// not a number.
func JWTClaimNotNumber(claim string) *Error {
	return jwtClaims("The JWT '" + claim + "' claim must be a number")
}

// JWTAudNotStrings is PGRST303: aud is neither a string nor an array of
// strings.
func JWTAudNotStrings() *Error {
	return jwtClaims("The JWT 'aud' claim must be a string or an array of strings")
}

// invalidToken is the RFC 6750 challenge of PGRST301 and PGRST303. The
// description is quoted the way Haskell's show quotes text, which for these
// ASCII messages is Go's quoting too.
func invalidToken(message string) string {
	return `Bearer error="invalid_token", error_description=` + strconv.Quote(message)
}

// Internal is PGRSTX00: a failure no other entry describes (message: the
// error's text).
func Internal(message string) *Error {
	return &Error{Status: 500, Code: "PGRSTX00", Message: message}
}

// PlannerInternal is PGRSTX00 for a planner bug, reported instead of a
// wrong statement.
func PlannerInternal(details string) *Error {
	return &Error{Status: 500, Code: "PGRSTX00", Message: "Internal planner error", Details: details}
}
