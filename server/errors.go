package server

import (
	"errors"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/sqltext"
	"github.com/pgrst/pgrst/wire"
)

// apiError is what the client sees of a failure: PostgREST's error body
// {"code","message","details","hint"} (empty strings become null), its
// HTTP status and any extra header.
type apiError struct {
	status  int
	code    string
	message string
	details string
	// detailsJSON, when set, is written as the details instead (raw JSON).
	detailsJSON string
	hint        string
	// header/value is one extra response header (WWW-Authenticate, Retry-After).
	header, value string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// Gateway errors that the server itself produces.
var (
	errNoSchemaCache = &apiError{status: 503, code: "PGRST002",
		message: "Could not query the database for the schema cache. Retrying.",
		header:  "Retry-After", value: "0"}
	errInvalidPath = &apiError{status: 404, code: "PGRST125",
		message: "Invalid path specified in request URL"}
	errAcquireTimeout = &apiError{status: 504, code: "PGRST003",
		message: "Timed out acquiring connection from connection pool."}
)

func errUnsupportedMethod(method []byte) *apiError {
	return &apiError{status: 405, code: "PGRST117", message: "Unsupported HTTP method: " + string(method)}
}

func errNotImplemented(details string) *apiError {
	return &apiError{status: 400, code: "PGRST127", message: "Feature not implemented", details: details}
}

// toAPIError maps an error of any layer to the client's view of it. authed
// says whether the request carried a valid JWT (42501 is 401 without one).
func toAPIError(err error, authed bool) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var pe *planner.Error
	if errors.As(err, &pe) {
		return &apiError{status: pe.Status, code: pe.Code, message: pe.Message, details: pe.Details, detailsJSON: pe.DetailsJSON, hint: pe.Hint}
	}
	var je *auth.Error
	if errors.As(err, &je) {
		e := &apiError{status: je.Status, code: je.Code, message: je.Message, details: je.Details, hint: je.Hint}
		if je.WWWAuthenticate != "" {
			e.header, e.value = "WWW-Authenticate", je.WWWAuthenticate
		}
		return e
	}
	var de *wire.DBError
	if errors.As(err, &de) {
		e := &apiError{status: statusOfSQLState(de.Code, de.Message, authed), code: de.Code,
			message: de.Message, details: de.Detail, hint: de.Hint}
		if e.status == 401 {
			e.header, e.value = "WWW-Authenticate", "Bearer"
		}
		return e
	}
	if errors.Is(err, wire.ErrAcquireTimeout) {
		return errAcquireTimeout
	}
	var ce *wire.ConnError
	if errors.As(err, &ce) {
		return &apiError{status: 503, code: "PGRST001",
			message: "Database client error. Retrying the connection.", details: ce.Error(),
			header: "Retry-After", value: "0"}
	}
	return &apiError{status: 500, code: "PGRSTX00", message: err.Error()}
}

// statusOfSQLState is PostgREST's SQLSTATE → HTTP status table.
func statusOfSQLState(code, message string, authed bool) int {
	switch code {
	case "23503", "23505":
		return 409
	case "25006":
		return 405
	case "21000":
		if strings.HasSuffix(message, "requires a WHERE clause") {
			return 400
		}
		return 500
	case "22023":
		// A JWT naming a role that does not exist.
		if strings.HasPrefix(message, "role") && strings.HasSuffix(message, "does not exist") {
			return 401
		}
		return 400
	case "53400":
		return 500
	case "57P01":
		return 503
	case "P0001":
		return 400
	case "42883":
		if strings.HasPrefix(message, "function xmlagg(") {
			return 406
		}
		return 404
	case "42P01":
		return 404
	case "42P17":
		return 500
	case "42501":
		if authed {
			return 403
		}
		return 401
	}
	if len(code) < 2 {
		return 400
	}
	switch code[:2] {
	case "08", "53":
		return 503
	case "09", "25", "2D", "38", "39", "3B", "40", "54", "55", "57", "58", "F0", "HV", "P0", "XX":
		return 500
	case "0L", "0P", "28":
		return 403
	case "PT":
		if n, err := strconv.Atoi(code[2:]); err == nil && n >= 100 && n <= 599 {
			return n
		}
		return 500
	}
	return 400
}

// writeError writes e as the response.
func writeError(ctx *fasthttp.RequestCtx, e *apiError) {
	ctx.Response.ResetBody()
	ctx.SetStatusCode(e.status)
	ctx.Response.Header.Del("Content-Range")
	ctx.Response.Header.SetContentType("application/json; charset=utf-8")
	// RFC 9209; PostgREST names itself here, and clients match on it.
	ctx.Response.Header.Set("Proxy-Status", "PostgREST; error="+e.code)
	if e.header != "" {
		ctx.Response.Header.Set(e.header, e.value)
	}
	b := ctx.Response.BodyWriter()
	buf := make([]byte, 0, 128+len(e.message)+len(e.details)+len(e.hint))
	buf = append(buf, `{"code":`...)
	buf = appendJSONStringOrNull(buf, e.code)
	buf = append(buf, `,"details":`...)
	if e.detailsJSON != "" {
		buf = append(buf, e.detailsJSON...)
	} else {
		buf = appendJSONStringOrNull(buf, e.details)
	}
	buf = append(buf, `,"hint":`...)
	buf = appendJSONStringOrNull(buf, e.hint)
	buf = append(buf, `,"message":`...)
	buf = appendJSONStringOrNull(buf, e.message)
	buf = append(buf, '}')
	b.Write(buf)
}

func appendJSONStringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return sqltext.AppendJSONString(dst, s)
}
