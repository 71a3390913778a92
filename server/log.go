package server

import (
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"
)

// logAccess writes one line per request at the levels PostgREST uses:
// 5xx at error, 4xx at warn, the rest at info. The logger's level decides
// which of them appear (the default, error, shows 5xx only). query, when
// set (log-query), is the request's SQL, logged before it at the same
// level.
func (s *Server) logAccess(ctx *fasthttp.RequestCtx, start time.Time, query string) {
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
	ev.Bytes("method", ctx.Method()).
		Bytes("uri", ctx.RequestURI()).
		Int("status", status).
		Int("bytes", len(ctx.Response.Body())).
		Dur("duration", time.Since(start)).
		Str("remote", ctx.RemoteIP().String()).
		Msg("request")
}
