package server

import (
	"bytes"
	"strings"

	"github.com/valyala/fasthttp"
)

// CORS, as PostgREST answers it (its policy for the wai-cors middleware):
//
//   - A request without an Origin header is left alone.
//   - With server-cors-allowed-origins empty, any origin is accepted and
//     answered with "Access-Control-Allow-Origin: *". Otherwise only an
//     origin equal (byte for byte) to a listed one is accepted, echoed back
//     with "Access-Control-Allow-Credentials: true"; any other origin gets
//     no CORS header at all and the request is served as usual.
//   - OPTIONS with an accepted origin is a preflight when
//     Access-Control-Request-Method names a method of corsMethods and every
//     name of Access-Control-Request-Headers is allowed (see
//     preflightHeaders). It is answered at once, 200 with an empty body,
//     whatever the path, before authentication and the schema cache.
//     Otherwise the OPTIONS request is served as usual, without CORS
//     headers (writeOptions still sends "Access-Control-Allow-Origin: *").
//   - Any other method with an accepted origin is served as usual, success
//     or error, and the CORS headers plus Access-Control-Expose-Headers
//     are added to the response.

// corsPolicy is server-cors-allowed-origins, parsed once per configuration.
type corsPolicy struct {
	// origins are the accepted origins; nil accepts any.
	origins [][]byte
}

var (
	hdrAllowOrigin      = []byte("Access-Control-Allow-Origin")
	hdrAllowCredentials = []byte("Access-Control-Allow-Credentials")
	hdrExposeHeaders    = []byte("Access-Control-Expose-Headers")
	hdrAllowMethods     = []byte("Access-Control-Allow-Methods")
	hdrAllowHeaders     = []byte("Access-Control-Allow-Headers")
	hdrMaxAge           = []byte("Access-Control-Max-Age")

	corsAnyOrigin = []byte("*")
	corsTrue      = []byte("true")
	// corsExposed are the response headers scripts may read.
	corsExposed = []byte("Content-Encoding, Content-Location, Content-Range, Content-Type, " +
		"Date, Location, Server, Transfer-Encoding, Range-Unit")
	// corsExposedLink adds the Link of a keyset read (pgrst's own).
	corsExposedLink = append(append([]byte{}, corsExposed...), ", Link"...)
	// corsMethodList is corsMethods as Access-Control-Allow-Methods sends it:
	// PostgREST's methods followed by the CORS simple ones it lacks.
	corsMethodList = []byte("GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD")
	corsMethods    = [...]string{"GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD"}
	// corsMaxAge is one day: browsers cache the preflight answer that long.
	corsMaxAge = []byte("86400")
	// corsSimpleHeaders are the CORS simple request headers but
	// Content-Type, always allowed after the requested ones.
	corsSimpleHeaders = [...]string{"Accept", "Accept-Language", "Content-Language"}
)

// newCORSPolicy parses a server-cors-allowed-origins value: a comma
// separated list whose entries are trimmed of white space. An empty value
// accepts any origin.
func newCORSPolicy(allowed string) corsPolicy {
	if allowed == "" {
		return corsPolicy{}
	}
	parts := strings.Split(allowed, ",")
	p := corsPolicy{origins: make([][]byte, len(parts))}
	for i, o := range parts {
		p.origins[i] = []byte(strings.TrimSpace(o))
	}
	return p
}

// allow decides on h's Origin header: ok is false when the request has
// none, or one not accepted. Otherwise allowOrigin is the value of
// Access-Control-Allow-Origin (it may alias h) and creds whether
// Access-Control-Allow-Credentials is sent. Allocates nothing.
func (p *corsPolicy) allow(h *fasthttp.RequestHeader) (allowOrigin []byte, creds, ok bool) {
	// PeekAll, not Peek: an empty Origin header is still an Origin header.
	all := h.PeekAll("Origin")
	if len(all) == 0 {
		return nil, false, false
	}
	// As wai-cors, leave WebSocket upgrades alone.
	if up := h.Peek("Upgrade"); len(up) > 0 && bytes.EqualFold(up, []byte("websocket")) {
		return nil, false, false
	}
	origin := all[0]
	if p.origins == nil {
		return corsAnyOrigin, false, true
	}
	for _, o := range p.origins {
		if bytes.Equal(o, origin) {
			return origin, true, true
		}
	}
	return nil, false, false
}

// addCORSHeaders adds the headers of an actual (not preflight) CORS
// response. They are added after the response's own, as PostgREST does.
func addCORSHeaders(rh *fasthttp.ResponseHeader, allowOrigin []byte, creds bool) {
	rh.AddBytesKV(hdrAllowOrigin, allowOrigin)
	if creds {
		rh.AddBytesKV(hdrAllowCredentials, corsTrue)
	}
	if len(rh.Peek("Link")) > 0 {
		rh.AddBytesKV(hdrExposeHeaders, corsExposedLink)
		return
	}
	rh.AddBytesKV(hdrExposeHeaders, corsExposed)
}

// writePreflight answers ctx, an OPTIONS request with an accepted origin,
// as a preflight request and reports true; or reports false, leaving the
// response untouched, when the request is not a preflight PostgREST
// answers (then it is served as a plain OPTIONS request).
func writePreflight(ctx *fasthttp.RequestCtx, allowOrigin []byte, creds bool) bool {
	h := &ctx.Request.Header
	method := h.Peek("Access-Control-Request-Method")
	known := false
	for _, m := range corsMethods {
		if string(method) == m {
			known = true
			break
		}
	}
	if !known {
		return false
	}
	var allowHeaders []byte
	if reqHeaders := h.PeekAll("Access-Control-Request-Headers"); len(reqHeaders) > 0 {
		var ok bool
		if allowHeaders, ok = preflightHeaders(reqHeaders[0]); !ok {
			return false
		}
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	rh := &ctx.Response.Header
	rh.SetBytesKV(hdrAllowOrigin, allowOrigin)
	if creds {
		rh.SetBytesKV(hdrAllowCredentials, corsTrue)
	}
	rh.SetBytesKV(hdrAllowMethods, corsMethodList)
	if allowHeaders != nil {
		rh.SetBytesKV(hdrAllowHeaders, allowHeaders)
	}
	rh.SetBytesKV(hdrMaxAge, corsMaxAge)
	return true
}

// preflightHeaders returns Access-Control-Allow-Headers for the value of
// Access-Control-Request-Headers, or false when a requested name is not
// allowed.
//
// The allowed names are Authorization, then the requested ones as given
// (the value split at commas, each trimmed, case kept), then those of
// corsSimpleHeaders not among them (case-insensitively). The check reads
// the value the stricter way a CORS list is parsed: header names
// (token characters) separated by commas with optional white space around
// them, read as far as that grammar goes (a comma followed by a space ends
// the list). So a requested entry that is not one token (say "A B") fails
// the check and the request is not a preflight.
func preflightHeaders(v []byte) ([]byte, bool) {
	// The names the grammar reads must each be allowed.
	i := skipListSpace(v, 0)
	for {
		j := i
		for j < len(v) && isHeaderNameChar(v[j]) {
			j++
		}
		if j == i {
			break
		}
		if !headerAllowed(v, v[i:j]) {
			return nil, false
		}
		k := skipListSpace(v, j)
		if k+1 >= len(v) || v[k] != ',' || !isHeaderNameChar(v[k+1]) {
			break
		}
		i = k + 1
	}

	out := make([]byte, 0, len("Authorization")+len(v)+64)
	out = append(out, "Authorization"...)
	forEachRequested(v, func(name []byte) {
		out = append(out, ", "...)
		out = append(out, name...)
	})
	for _, s := range corsSimpleHeaders {
		dup := false
		forEachRequested(v, func(name []byte) {
			dup = dup || strings.EqualFold(string(name), s)
		})
		if !dup {
			out = append(out, ", "...)
			out = append(out, s...)
		}
	}
	return out, true
}

// headerAllowed reports whether name is Authorization, one of the requested
// names in v or a simple header, compared case-insensitively.
func headerAllowed(v, name []byte) bool {
	if strings.EqualFold(string(name), "Authorization") {
		return true
	}
	for _, s := range corsSimpleHeaders {
		if strings.EqualFold(string(name), s) {
			return true
		}
	}
	found := false
	forEachRequested(v, func(r []byte) {
		found = found || bytes.EqualFold(r, name)
	})
	return found
}

// forEachRequested calls f with each comma-separated entry of v, trimmed
// of white space; empty entries included, none when v is empty.
func forEachRequested(v []byte, f func([]byte)) {
	if len(v) == 0 {
		return
	}
	for {
		entry, rest, more := bytes.Cut(v, []byte(","))
		f(trimEntry(entry))
		if !more {
			return
		}
		v = rest
	}
}

// trimEntry trims the bytes PostgREST strips from a requested name:
// ASCII white space and 0xA0.
func trimEntry(b []byte) []byte {
	space := func(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0 }
	for len(b) > 0 && space(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && space(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// skipListSpace skips the white space the list grammar allows.
func skipListSpace(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || (v[i] >= '\t' && v[i] <= '\r')) {
		i++
	}
	return i
}

// isHeaderNameChar reports whether c may appear in a header name: a
// visible ASCII character other than the separators of RFC 2616.
func isHeaderNameChar(c byte) bool {
	return c >= 33 && c <= 126 && strings.IndexByte(`()<>@,;:\"/[]?={}`, c) < 0
}
