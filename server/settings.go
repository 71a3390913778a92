package server

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/valyala/fasthttp"
)

// fillSettings queues the transaction-local settings of a request in
// PostgREST's order: search_path, role, claims, method, path, headers,
// cookies, app settings; then the legacy per-name GUCs when enabled.
func (s *Server) fillSettings(ctx *fasthttp.RequestCtx, x *exchange, rt *runtime, method []byte) {
	x.set("search_path", rt.searchPath)
	x.set("role", x.auth.Role)
	x.set("request.jwt.claims", string(x.auth.Claims))
	x.set("request.method", string(method))
	x.set("request.path", string(ctx.Path()))

	// request.headers: lower-case names, cookies excluded.
	b := append(x.buf[:0], '{')
	first := true
	ctx.Request.Header.VisitAll(func(k, v []byte) {
		if bytes.EqualFold(k, []byte("Cookie")) {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, lowerASCII(k))
		b = append(b, ':')
		b = appendJSONString(b, string(v))
	})
	b = append(b, '}')
	x.set("request.headers", string(b))

	b = append(b[:0], '{')
	first = true
	ctx.Request.Header.VisitAllCookie(func(k, v []byte) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, string(k))
		b = append(b, ':')
		b = appendJSONString(b, string(v))
	})
	b = append(b, '}')
	x.set("request.cookies", string(b))
	x.buf = b

	for _, kv := range rt.AppSettings {
		x.set(kv[0], kv[1])
	}

	if rt.LegacyGUCs {
		for _, c := range x.auth.LegacyClaims {
			x.set("request.jwt.claim."+c[0], c[1])
		}
		// PostgreSQL only takes setting names made of identifiers, so
		// names like user-agent have no legacy GUC.
		ctx.Request.Header.VisitAll(func(k, v []byte) {
			if bytes.EqualFold(k, []byte("Cookie")) || !isGUCNamePart(k) {
				return
			}
			x.set("request.header."+lowerASCII(k), string(v))
		})
		ctx.Request.Header.VisitAllCookie(func(k, v []byte) {
			if isGUCNamePart(k) {
				x.set("request.cookie."+string(k), string(v))
			}
		})
	}
}

// isGUCNamePart reports whether s can be one dot-separated part of a
// custom setting name: an identifier of letters, digits, _ and $.
func isGUCNamePart(s []byte) bool {
	if len(s) == 0 || s[0] >= '0' && s[0] <= '9' || s[0] == '$' {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80) {
			return false
		}
	}
	return true
}

func lowerASCII(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

var (
	errGUCHeaders = &apiError{status: 500, code: "PGRST111",
		message: "response.headers guc must be a JSON array composed of objects with a single key and a string value"}
	errGUCStatus = &apiError{status: 500, code: "PGRST112",
		message: "response.status guc must be a valid status code"}
)

// applyResponseGUCs parses response.headers (a JSON array of one-key
// objects) and response.status, set by the request's SQL.
func applyResponseGUCs(ctx *fasthttp.RequestCtx, headers, status []byte, code *int) error {
	if len(headers) > 0 {
		var list []map[string]string
		if err := json.Unmarshal(headers, &list); err != nil {
			return errGUCHeaders
		}
		for _, m := range list {
			if len(m) != 1 {
				return errGUCHeaders
			}
			for k, v := range m {
				ctx.Response.Header.Set(k, v)
			}
		}
	}
	if len(status) > 0 {
		n, err := strconv.Atoi(string(status))
		if err != nil || n < 100 || n > 599 {
			return errGUCStatus
		}
		*code = n
	}
	return nil
}
