package apierr

import (
	"regexp"
	"testing"
)

// Every entry of the table, as clients see it: PostgREST v16.2's texts,
// byte for byte.
func TestCodes(t *testing.T) {
	cases := []struct {
		got  *Error
		want Error
	}{
		{ConnectionError("dial tcp: refused"), Error{Status: 503, Code: "PGRST001",
			Message: "Database client error. Retrying the connection.", Details: "dial tcp: refused", RetryAfter: "0"}},
		{NoSchemaCache(), Error{Status: 503, Code: "PGRST002",
			Message: "Could not query the database for the schema cache. Retrying.", RetryAfter: "0"}},
		{AcquireTimeout(), Error{Status: 504, Code: "PGRST003", Message: "Timed out acquiring connection from connection pool."}},
		{QueryParam("m", "d"), Error{Status: 400, Code: "PGRST100", Message: "m", Details: "d"}},
		{RPCMethod("PUT"), Error{Status: 405, Code: "PGRST101", Message: "Cannot use the PUT method on RPC"}},
		{InvalidBody("Empty or invalid json", ""), Error{Status: 400, Code: "PGRST102", Message: "Empty or invalid json"}},
		{NegativeLimit(), Error{Status: 416, Code: "PGRST103", Message: "Requested range not satisfiable",
			Details: "Limit should be greater than or equal to zero."}},
		{RangeReversed(), Error{Status: 416, Code: "PGRST103", Message: "Requested range not satisfiable",
			Details: "The lower boundary must be lower than or equal to the upper boundary in the Range header."}},
		{OffsetBeyondTotal(10, 4), Error{Status: 416, Code: "PGRST103", Message: "Requested range not satisfiable",
			Details: "An offset of 10 was requested, but there are only 4 rows."}},
		{PutFilters(), Error{Status: 405, Code: "PGRST105",
			Message: "Filters must include all and only primary key columns with 'eq' operators"}},
		{InvalidSchema("x", []string{"a", "b"}), Error{Status: 406, Code: "PGRST106", Message: "Invalid schema: x",
			Hint: "Only the following schemas are exposed: a, b"}},
		{NoMediaType([]string{"text/csv", "application/xml"}), Error{Status: 406, Code: "PGRST107",
			Message: "None of these media types are available: text/csv, application/xml"}},
		{NotEmbedded("c"), Error{Status: 400, Code: "PGRST108", Message: "'c' is not an embedded resource in this request",
			Hint: "Verify that 'c' is included in the 'select' query parameter."}},
		{NotEmbeddedAlias("c", "a"), Error{Status: 400, Code: "PGRST108", Message: "'c' is not an embedded resource in this request",
			Details: "Target names are not allowed in filters if they have an alias",
			Hint:    "Change 'c' to 'a' in filters, orders or limits."}},
		{GUCHeaders(), Error{Status: 500, Code: "PGRST111",
			Message: "response.headers guc must be a JSON array composed of objects with a single key and a string value"}},
		{GUCStatus(), Error{Status: 500, Code: "PGRST112", Message: "response.status guc must be a valid status code"}},
		{PutRange(), Error{Status: 400, Code: "PGRST114", Message: "limit/offset querystring parameters are not allowed for PUT"}},
		{PutMismatch(), Error{Status: 400, Code: "PGRST115", Message: "Payload values do not match URL in primary key column(s)"}},
		{SingularCardinality(3), Error{Status: 406, Code: "PGRST116", Message: "Cannot coerce the result to a single JSON object",
			Details: "The result contains 3 rows"}},
		{UnsupportedMethod("PUT"), Error{Status: 405, Code: "PGRST117", Message: "Unsupported HTTP method: PUT"}},
		{RelatedOrderNotToOne("films", "roles"), Error{Status: 400, Code: "PGRST118",
			Message: "A related order on 'roles' is not possible",
			Details: "'films' and 'roles' do not form a many-to-one or one-to-one relationship"}},
		{RaiseParse("d", "h"), Error{Status: 500, Code: "PGRST121",
			Message: `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`, Details: "d", Hint: "h"}},
		{BadEmbedOp("c"), Error{Status: 400, Code: "PGRST120", Message: "Bad operator on the 'c' embedded resource",
			Details: "Only is null or not is null filters are allowed on embedded resources"}},
		{InvalidPreferences([]string{"x", "y=1"}), Error{Status: 400, Code: "PGRST122",
			Message: "Invalid preferences given with handling=strict", Details: "Invalid preferences: x, y=1"}},
		{AggregatesNotAllowed(), Error{Status: 400, Code: "PGRST123", Message: "Use of aggregate functions is not allowed"}},
		{MaxAffected(7), Error{Status: 400, Code: "PGRST124", Message: "Query result exceeds max-affected preference constraint",
			Details: "The query affects 7 rows"}},
		{InvalidPath(), Error{Status: 404, Code: "PGRST125", Message: "Invalid path specified in request URL"}},
		{OpenAPIDisabled(), Error{Status: 404, Code: "PGRST126", Message: "Root endpoint metadata is disabled"}},
		{NotImplemented("d"), Error{Status: 400, Code: "PGRST127", Message: "Feature not implemented", Details: "d"}},
		{NoRelationship("s", "p", "c", "", "", ""), Error{Status: 400, Code: "PGRST200",
			Message: "Could not find a relationship between 'p' and 'c' in the schema cache",
			Details: "Searched for a foreign key relationship between 'p' and 'c' in the schema 's', but no matches were found."}},
		{NoRelationship("s", "p", "c", "fk", "cc", "c"), Error{Status: 400, Code: "PGRST200",
			Message: "Could not find a relationship between 'p' and 'c' in the schema cache",
			Details: "Searched for a foreign key relationship between 'p' and 'c' using the hint 'fk' in the schema 's', but no matches were found.",
			Hint:    "Perhaps you meant 'cc' instead of 'c'."}},
		{AmbiguousRelationship("p", "c", `[{"x":1}]`, []string{"'c!a'", "'c!b'"}), Error{Status: 300, Code: "PGRST201",
			Message:     "Could not embed because more than one relationship was found for 'p' and 'c'",
			DetailsJSON: `[{"x":1}]`,
			Hint:        "Try changing 'c' to one of the following: 'c!a', 'c!b'. Find the desired relationship in the 'details' key."}},
		{FunctionNotFound("m", "d"), Error{Status: 404, Code: "PGRST202", Message: "m", Details: "d"}},
		{AmbiguousFunction([]string{"s.f(a => int)", "s.f(a => text)"}), Error{Status: 300, Code: "PGRST203",
			Message: "Could not choose the best candidate function between: s.f(a => int), s.f(a => text)",
			Hint:    "Try renaming the parameters or the function itself in the database so function overloading can be resolved"}},
		{ColumnNotFound("films", "x"), Error{Status: 400, Code: "PGRST204",
			Message: "Could not find the 'x' column of 'films' in the schema cache"}},
		{TableNotFound("s", "t", ""), Error{Status: 404, Code: "PGRST205", Message: "Could not find the table 's.t' in the schema cache"}},
		{TableNotFound("s", "t", "tt"), Error{Status: 404, Code: "PGRST205", Message: "Could not find the table 's.t' in the schema cache",
			Hint: "Perhaps you meant the table 's.tt'"}},
		{JWTSecretMissing(), Error{Status: 500, Code: "PGRST300", Message: "Server lacks JWT secret"}},
		{JWTEmpty(), Error{Status: 401, Code: "PGRST301", Message: "Empty JWT is sent in Authorization header",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="Empty JWT is sent in Authorization header"`}},
		{JWTParts(2), Error{Status: 401, Code: "PGRST301", Message: "Expected 3 parts in JWT; got 2",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="Expected 3 parts in JWT; got 2"`}},
		{JWTCrypto(), Error{Status: 401, Code: "PGRST301", Message: "JWT cryptographic operation failed",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="JWT cryptographic operation failed"`}},
		{JWTNoSuitableKey(), Error{Status: 401, Code: "PGRST301", Message: "No suitable key or wrong key type",
			Details:         "No suitable key was found to decode the JWT",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="No suitable key or wrong key type"`}},
		{JWTNoKeyDecoded(), Error{Status: 401, Code: "PGRST301", Message: "No suitable key or wrong key type",
			Details:         "None of the keys was able to decode the JWT",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="No suitable key or wrong key type"`}},
		{JWTUnsecured(), Error{Status: 401, Code: "PGRST301", Message: "Wrong or unsupported encoding algorithm",
			Details:         "JWT is unsecured but expected 'alg' was not 'none'",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="Wrong or unsupported encoding algorithm"`}},
		{JWTTokenRequired(), Error{Status: 401, Code: "PGRST302", Message: "Anonymous access is disabled", WWWAuthenticate: "Bearer"}},
		{JWTExpired(), Error{Status: 401, Code: "PGRST303", Message: "JWT expired",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="JWT expired"`}},
		{JWTNotYetValid(), Error{Status: 401, Code: "PGRST303", Message: "JWT not yet valid",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="JWT not yet valid"`}},
		{JWTIssuedInFuture(), Error{Status: 401, Code: "PGRST303", Message: "JWT issued at future",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="JWT issued at future"`}},
		{JWTNotInAudience(), Error{Status: 401, Code: "PGRST303", Message: "JWT not in audience",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="JWT not in audience"`}},
		{JWTParsingClaims(), Error{Status: 401, Code: "PGRST303", Message: "Parsing claims failed",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="Parsing claims failed"`}},
		{JWTClaimNotNumber("exp"), Error{Status: 401, Code: "PGRST303", Message: "The JWT 'exp' claim must be a number",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="The JWT 'exp' claim must be a number"`}},
		{JWTAudNotStrings(), Error{Status: 401, Code: "PGRST303",
			Message:         "The JWT 'aud' claim must be a string or an array of strings",
			WWWAuthenticate: `Bearer error="invalid_token", error_description="The JWT 'aud' claim must be a string or an array of strings"`}},
		{Internal("boom"), Error{Status: 500, Code: "PGRSTX00", Message: "boom"}},
		{PlannerInternal("d"), Error{Status: 500, Code: "PGRSTX00", Message: "Internal planner error", Details: "d"}},
	}
	code := regexp.MustCompile(`^PGRST([0-9]{3}|X00)$`)
	status := map[string]int{}
	for _, c := range cases {
		if *c.got != c.want {
			t.Errorf("got  %#v\nwant %#v", *c.got, c.want)
		}
		if !code.MatchString(c.got.Code) {
			t.Errorf("%s: not a PGRST code", c.got.Code)
		}
		if s, ok := status[c.got.Code]; ok && s != c.got.Status {
			t.Errorf("%s: statuses %d and %d", c.got.Code, s, c.got.Status)
		}
		status[c.got.Code] = c.got.Status
	}
}

func TestErrorText(t *testing.T) {
	if s := NotImplemented("rpc").Error(); s != "PGRST127 (400): Feature not implemented: rpc" {
		t.Errorf("Error() = %q", s)
	}
	if s := InvalidPath().Error(); s != "PGRST125 (404): Invalid path specified in request URL" {
		t.Errorf("Error() = %q", s)
	}
}

func TestHeaders(t *testing.T) {
	var e Error
	e.AddHeader("X-A", "1")
	e.AddHeader("X-B", "")
	var got []string
	e.EachHeader(func(n, v string) { got = append(got, n+"="+v) })
	if len(got) != 2 || got[0] != "X-A=1" || got[1] != "X-B=" {
		t.Errorf("headers %q", got)
	}
}
