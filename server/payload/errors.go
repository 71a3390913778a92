package payload

import (
	"strconv"

	"github.com/pgrst/pgrst/apierr"
)

// Error is a body PostgREST refuses: a PGRST102 of apierr's table. Parse
// returns only *Error values; those without per-request text are shared,
// so treat them as read-only.
type Error = apierr.Error

// invalidBody is PostgREST's InvalidBody: PGRST102, status 400 (Error.hs).
func invalidBody(message, details string) *Error { return apierr.InvalidBody(message, details) }

// The messages of Payload.hs. PostgREST drops aeson's parse error in favour
// of one generic message (PostgREST issue 2344), so invalid JSON has no
// details; only a body nested too deeply for the scanner says why.
var (
	errInvalidJSON = invalidBody("Empty or invalid json", "")
	errTooDeep     = invalidBody("Empty or invalid json",
		"JSON nested deeper than "+strconv.Itoa(maxDepth)+" levels")
	errKeysMismatch = invalidBody("All object keys must match", "")
	errCSVFields    = invalidBody("All lines must have same number of fields", "")
)

// errContentType is the answer to a media type the action cannot take.
func errContentType(mime string) *Error {
	return invalidBody("Content-Type not acceptable: "+mime, "")
}

// errCSV is a CSV body that does not parse. PostgREST passes on the error
// of its CSV library (cassava), which starts with "parse error".
func errCSV(what string, line int) *Error {
	return invalidBody("parse error ("+what+") at line "+strconv.Itoa(line), "")
}
