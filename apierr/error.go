// Package apierr is the one table of the errors pgrst answers with: every
// PGRST code it produces, with its HTTP status, message, details and hint,
// is built by a function of codes.go and nowhere else. Planner, auth,
// payload (request body) and server failures are all *Error values, and
// the server writes every one with the same body writer; database errors
// (RAISE SQLSTATE 'PGRST' included) become *Error values in the server,
// which owns the SQLSTATE → HTTP status map.
//
// The package imports nothing from the project, so the planner (which must
// not import the server) and server/auth can both return its errors.
package apierr

import (
	"strconv"
	"strings"
)

// Error is a failure as the client sees it: PostgREST's error body
// {"code","message","details","hint"}, the HTTP status and the headers that
// go with it. An empty Details or Hint is JSON null.
//
// Errors may be built once and returned to many requests (the server's and
// the JWT verifier's fixed errors are): treat a returned *Error as
// read-only.
type Error struct {
	Status  int
	Code    string // PGRSTnnn, or the SQLSTATE of a database error
	Message string
	Details string
	Hint    string
	// DetailsJSON, when set, is the details as raw JSON instead of a
	// string (PGRST201 lists the candidate relationships).
	DetailsJSON string

	// WWWAuthenticate is the WWW-Authenticate challenge to send (401s);
	// empty: none.
	WWWAuthenticate string
	// RetryAfter is the Retry-After header to send (503s while the
	// database is away); empty: none.
	RetryAfter string
	// Headers are more response headers (AddHeader, EachHeader), and
	// StatusText the text of the status line when not the standard one: a
	// RAISE SQLSTATE 'PGRST' error sets them (server/raise.go). Headers is
	// a string, each name and value followed by a NUL (which neither can
	// hold: they come from PostgreSQL text), so that Error stays
	// comparable with ==.
	Headers    string
	StatusText string
}

// AddHeader adds a response header to e.Headers.
func (e *Error) AddHeader(name, value string) {
	e.Headers += name + "\x00" + value + "\x00"
}

// EachHeader calls f with every header of e.Headers, in order.
func (e *Error) EachHeader(f func(name, value string)) {
	h := e.Headers
	for {
		name, rest, ok := strings.Cut(h, "\x00")
		if !ok {
			return
		}
		value, rest, _ := strings.Cut(rest, "\x00")
		f(name, value)
		h = rest
	}
}

func (e *Error) Error() string {
	s := e.Code + " (" + strconv.Itoa(e.Status) + "): " + e.Message
	if e.Details != "" {
		s += ": " + e.Details
	}
	return s
}
