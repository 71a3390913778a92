package server

import (
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"
)

// logAccess writes one line per request at the levels PostgREST uses:
// 5xx at error, 4xx at warn, the rest at info. The logger's level decides
// which of them appear (the default, error, shows 5xx only). Its message
// is PostgREST's access line (Apache's combined format, with the
// request's role as the user); role is "" before authentication. query,
// when set (log-query), is the request's SQL, logged before it at the
// same level.
func (s *Server) logAccess(ctx *fasthttp.RequestCtx, start time.Time, role, query string) {
	status := ctx.Response.StatusCode()
	level := zerolog.InfoLevel
	switch {
	case status >= 500:
		level = zerolog.ErrorLevel
	case status >= 400:
		level = zerolog.WarnLevel
	}
	ev := s.log.WithLevel(level)
	if ev == nil { // level disabled: nothing to format
		return
	}
	if query != "" {
		ev.Str("query", query).Msg("query")
		ev = s.log.WithLevel(level)
	}
	remote := ctx.RemoteIP().String()
	ev.Bytes("method", ctx.Method()).
		Bytes("uri", ctx.RequestURI()).
		Int("status", status).
		Int("bytes", bodySize(ctx)).
		Dur("duration", time.Since(start)).
		Str("remote", remote).
		Msg(string(appendAccessLine(nil, ctx, start, remote, role)))
}

// appendAccessLine appends the combined log format line of the request:
//
//	127.0.0.1 - web_anon [06/Dec/2026:01:12:42 +0000] "GET /films HTTP/1.1" 200 96 "" "curl/8.5.0"
func appendAccessLine(dst []byte, ctx *fasthttp.RequestCtx, start time.Time, remote, role string) []byte {
	dst = append(dst, remote...)
	dst = append(dst, " - "...)
	if role == "" {
		role = "-"
	}
	dst = append(dst, role...)
	dst = append(dst, " ["...)
	dst = start.AppendFormat(dst, "02/Jan/2006:15:04:05 -0700")
	dst = append(dst, `] "`...)
	dst = append(dst, ctx.Method()...)
	dst = append(dst, ' ')
	dst = append(dst, ctx.RequestURI()...)
	dst = append(dst, ' ')
	dst = append(dst, ctx.Request.Header.Protocol()...)
	dst = append(dst, `" `...)
	dst = strconv.AppendInt(dst, int64(ctx.Response.StatusCode()), 10)
	dst = append(dst, ' ')
	if n := bodySize(ctx); n >= 0 {
		dst = strconv.AppendInt(dst, int64(n), 10)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, ` "`...)
	dst = append(dst, ctx.Request.Header.Referer()...)
	dst = append(dst, `" "`...)
	dst = append(dst, ctx.Request.Header.UserAgent()...)
	return append(dst, '"')
}

// bodySize is the size of the response body for the access log, or -1
// for a streamed body: it is written after the handler returns, and
// asking for its bytes here would read it whole into memory.
func bodySize(ctx *fasthttp.RequestCtx) int {
	if ctx.Response.IsBodyStream() {
		return -1
	}
	return len(ctx.Response.Body())
}
