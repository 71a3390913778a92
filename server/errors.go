package server

import (
	"errors"
	"net"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/sqltext"
	"github.com/pgrst/pgrst/wire"
)

// Gateway errors that the server itself produces, built once.
var (
	errNoSchemaCache  = apierr.NoSchemaCache()
	errInvalidPath    = apierr.InvalidPath()
	errAcquireTimeout = apierr.AcquireTimeout()
)

// toAPIError maps an error of any layer to the client's view of it: the
// planner's, auth's and the server's own are apierr errors already;
// database errors keep their SQLSTATE as the code. authed says whether the
// request carried a valid JWT (42501 is 401 without one).
func toAPIError(err error, authed bool) *apierr.Error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae
	}
	var de *wire.DBError
	if errors.As(err, &de) && de.Code == "PGRST" {
		return raisedError(de)
	}
	if errors.As(err, &de) {
		e := &apierr.Error{Status: statusOfSQLState(de.Code, de.Message, authed), Code: de.Code,
			Message: de.Message, Details: de.Detail, Hint: de.Hint}
		if e.Status == 401 {
			e.WWWAuthenticate = "Bearer"
		}
		return e
	}
	if errors.Is(err, wire.ErrAcquireTimeout) {
		return errAcquireTimeout
	}
	var ce *wire.ConnError
	if errors.As(err, &ce) {
		return apierr.ConnectionError(ce.Error())
	}
	return apierr.Internal(err.Error())
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

// readErrorHandler is the HTTP server's ErrorHandler: a request it cannot
// read gets PostgREST's error body, like every other error, instead of
// fasthttp's plain text. maxBody is the server's body limit.
func readErrorHandler(maxBody int) func(*fasthttp.RequestCtx, error) {
	tooLarge := apierr.BodyTooLarge(maxBody)
	headersTooLarge := apierr.RequestUnreadable(431, "Request header fields too large",
		"The request line and headers may have at most "+strconv.Itoa(readBufferSize)+" bytes")
	timeout := apierr.RequestUnreadable(408, "Request timeout", "The request was not received in time")
	return func(ctx *fasthttp.RequestCtx, err error) {
		// The request may be partly unread: close without a reset.
		lingerOnClose(ctx.Conn())
		var small *fasthttp.ErrSmallBuffer
		var ne net.Error
		switch {
		case errors.Is(err, fasthttp.ErrBodyTooLarge):
			writeError(ctx, tooLarge, false)
		case errors.As(err, &small):
			writeError(ctx, headersTooLarge, false)
		case errors.As(err, &ne) && ne.Timeout():
			writeError(ctx, timeout, false)
		default:
			writeError(ctx, apierr.RequestUnreadable(400, "Malformed HTTP request", err.Error()), false)
		}
	}
}

// writeError writes e as the response; minimal leaves out details and
// hint (client-error-verbosity).
func writeError(ctx *fasthttp.RequestCtx, e *apierr.Error, minimal bool) {
	ctx.Response.ResetBody()
	ctx.SetStatusCode(e.Status)
	ctx.Response.Header.Del("Content-Range")
	ctx.Response.Header.SetContentType("application/json; charset=utf-8")
	// RFC 9209; PostgREST names itself here, and clients match on it.
	ctx.Response.Header.Set("Proxy-Status", "PostgREST; error="+e.Code)
	if e.WWWAuthenticate != "" {
		ctx.Response.Header.Set("WWW-Authenticate", e.WWWAuthenticate)
	}
	if e.RetryAfter != "" {
		ctx.Response.Header.Set("Retry-After", e.RetryAfter)
	}
	e.EachHeader(func(name, value string) { ctx.Response.Header.Set(name, value) })
	if e.StatusText != "" {
		ctx.Response.Header.SetStatusMessage([]byte(e.StatusText))
	}
	buf := make([]byte, 0, 128+len(e.Message)+len(e.Details)+len(e.DetailsJSON)+len(e.Hint))
	ctx.Response.BodyWriter().Write(appendErrorBody(buf, e, minimal))
}

// appendErrorBody appends e as PostgREST's error object,
// {"code","details","hint","message"}, empty strings as null, or only
// {"code","message"} when minimal: the one writer of error bodies
// (writeError, and the 416 of a read past its rows).
func appendErrorBody(buf []byte, e *apierr.Error, minimal bool) []byte {
	buf = append(buf, `{"code":`...)
	buf = appendJSONStringOrNull(buf, e.Code)
	if minimal {
		buf = append(buf, `,"message":`...)
		buf = appendJSONStringOrNull(buf, e.Message)
		return append(buf, '}')
	}
	buf = append(buf, `,"details":`...)
	if e.DetailsJSON != "" {
		buf = append(buf, e.DetailsJSON...)
	} else {
		buf = appendJSONStringOrNull(buf, e.Details)
	}
	buf = append(buf, `,"hint":`...)
	buf = appendJSONStringOrNull(buf, e.Hint)
	buf = append(buf, `,"message":`...)
	buf = appendJSONStringOrNull(buf, e.Message)
	return append(buf, '}')
}

func appendJSONStringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return sqltext.AppendJSONString(dst, s)
}
