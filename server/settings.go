package server

import (
	"bytes"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/sqltext"
	"github.com/pgrst/pgrst/wire"
)

// fillSettings queues the transaction-local settings of a request in
// PostgREST's order: search_path, the role's own settings, role, claims, method, path, headers,
// cookies, app settings; then the legacy per-name GUCs when enabled.
// The search_path is the request's schema (Accept-Profile) and the extra
// ones; the role's settings come from sc, the schema cache the request
// was planned with. Values go straight into the request's settings
// buffers (x.buf is scratch for the JSON documents and the legacy names):
// no allocation.
func fillSettings(ctx *fasthttp.RequestCtx, x *exchange, rt *runConfig, sc *cache.Schema, schema string) {
	r := &x.req
	r.Set("search_path", rt.searchPathFor(schema))
	if len(sc.RoleSettings) > 0 {
		roleSettings(r, sc.RoleSettings[x.auth.Role])
	}
	r.Set("role", x.auth.Role)
	r.SetBytes(nameJWTClaims, x.auth.Claims)
	r.SetBytes(nameMethod, ctx.Method())
	r.SetBytes(namePath, ctx.Path())

	// request.headers: lower-case names, cookies excluded.
	b := append(x.buf[:0], '{')
	ctx.Request.Header.VisitAll(func(k, v []byte) {
		if bytes.EqualFold(k, []byte("Cookie")) {
			return
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONLower(b, k)
		b = append(b, ':')
		b = sqltext.AppendJSONString(b, unsafe.String(unsafe.SliceData(v), len(v)))
	})
	b = append(b, '}')
	r.SetBytes(nameHeaders, b)

	b = append(b[:0], '{')
	ctx.Request.Header.VisitAllCookie(func(k, v []byte) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = sqltext.AppendJSONString(b, unsafe.String(unsafe.SliceData(k), len(k)))
		b = append(b, ':')
		b = sqltext.AppendJSONString(b, unsafe.String(unsafe.SliceData(v), len(v)))
	})
	b = append(b, '}')
	r.SetBytes(nameCookies, b)

	for _, kv := range rt.AppSettings {
		r.Set(kv[0], kv[1])
	}

	if rt.LegacyGUCs {
		for _, c := range x.auth.LegacyClaims {
			b = append(append(b[:0], "request.jwt.claim."...), c[0]...)
			r.SetBytes(b, unsafe.Slice(unsafe.StringData(c[1]), len(c[1])))
		}
		// PostgreSQL only takes setting names made of identifiers, so
		// names like user-agent have no legacy GUC.
		ctx.Request.Header.VisitAll(func(k, v []byte) {
			if bytes.EqualFold(k, []byte("Cookie")) || !sqltext.IsGUCNamePart(k) {
				return
			}
			b = appendLower(append(b[:0], "request.header."...), k)
			r.SetBytes(b, v)
		})
		ctx.Request.Header.VisitAllCookie(func(k, v []byte) {
			if sqltext.IsGUCNamePart(k) {
				b = append(append(b[:0], "request.cookie."...), k...)
				r.SetBytes(b, v)
			}
		})
	}
	x.buf = b
}

// roleSettings applies the settings of the request's role (ALTER ROLE r
// SET), as PostgREST: default_transaction_isolation is the transaction's
// isolation level (a called function's own may override it), the others
// transaction-local settings, set before the role so that one the
// authenticator may set but the role may not still applies.
func roleSettings(r *wire.Request, settings []cache.Setting) {
	for _, s := range settings {
		if s.Name == "default_transaction_isolation" {
			r.Tx.Isolation = isolationLevel(s.Value)
			continue
		}
		r.Set(s.Name, s.Value)
	}
}

// Setting names passed as bytes (SetBytes takes both name and value so).
var (
	nameJWTClaims = []byte("request.jwt.claims")
	nameMethod    = []byte("request.method")
	namePath      = []byte("request.path")
	nameHeaders   = []byte("request.headers")
	nameCookies   = []byte("request.cookies")
)

// appendLower appends k with ASCII letters lower-cased.
func appendLower(dst, k []byte) []byte {
	for _, c := range k {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendJSONLower appends k lower-cased (ASCII) as a JSON string.
func appendJSONLower(dst, k []byte) []byte {
	var tmp [64]byte // on the stack: header names are short
	l := appendLower(tmp[:0], k)
	return sqltext.AppendJSONString(dst, unsafe.String(unsafe.SliceData(l), len(l)))
}

// quoteIdentList renders first and rest as a comma-separated list of
// quoted identifiers, the form search_path takes.
func quoteIdentList(dst []byte, first string, rest []string) string {
	dst = sqltext.AppendIdent(dst, first)
	for _, s := range rest {
		dst = append(dst, ", "...)
		dst = sqltext.AppendIdent(dst, s)
	}
	return string(dst)
}
