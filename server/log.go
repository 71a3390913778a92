package server

import (
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"
)

// logAccess writes one line per request at the levels PostgREST uses:
// 5xx at error, 4xx at warn, the rest at info. The logger's level decides
// which of them appear (the default, error, shows 5xx only).
func (s *Server) logAccess(ctx *fasthttp.RequestCtx, start time.Time) {
	status := ctx.Response.StatusCode()
	var ev *zerolog.Event
	switch {
	case status >= 500:
		ev = s.log.Error()
	case status >= 400:
		ev = s.log.Warn()
	default:
		ev = s.log.Info()
	}
	if ev == nil { // level disabled: nothing to format
		return
	}
	ev.Bytes("method", ctx.Method()).
		Bytes("uri", ctx.RequestURI()).
		Int("status", status).
		Int("bytes", len(ctx.Response.Body())).
		Dur("duration", time.Since(start)).
		Str("remote", ctx.RemoteIP().String()).
		Msg("request")
}
