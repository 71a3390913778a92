package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"

	"github.com/valyala/fasthttp"
)

// Conditional reads (server-etag-enabled): a GET or HEAD of a table, a
// view or a function answered 200 or 206 carries an ETag, a strong
// validator of the body bytes, and If-None-Match naming it gets 304
// without a body. The body is still built by the database: this saves the
// transfer, not the query. Off by default, as in PostgREST: hashing costs
// time per byte and a HEAD then builds the body it does not send.

// etagLen is the length of a quoted ETag: 128 bits of SHA-256 in hex.
// SHA-256 rather than a faster non-cryptographic hash because two bodies
// must never share a validator, and it is as fast as CRC-64 where the CPU
// has SHA instructions; the seeded hashes of the runtime would differ
// between instances behind one load balancer.
const etagLen = 2 + 2*16

// appendETag appends the quoted strong ETag of body.
func appendETag(dst, body []byte) []byte {
	sum := sha256.Sum256(body)
	var tag [etagLen]byte
	tag[0], tag[etagLen-1] = '"', '"'
	hex.Encode(tag[1:etagLen-1], sum[:16])
	return append(dst, tag[:]...)
}

// noneMatch reports whether the If-None-Match value v names etag or is
// "*", by the weak comparison RFC 9110 prescribes for If-None-Match: a W/
// prefix on either side is ignored. v is a comma-separated list; a
// malformed member matches nothing.
func noneMatch(v, etag []byte) bool {
	etag = bytes.TrimPrefix(etag, []byte("W/"))
	for len(v) > 0 {
		v = trimOWS(v)
		if len(v) > 0 && v[0] == '*' {
			return true
		}
		v = bytes.TrimPrefix(v, []byte("W/"))
		if len(v) == 0 || v[0] != '"' {
			return false
		}
		end := bytes.IndexByte(v[1:], '"')
		if end < 0 {
			return false
		}
		if bytes.Equal(v[:end+2], etag) {
			return true
		}
		v = trimOWS(v[end+2:])
		if len(v) > 0 && v[0] != ',' {
			return false
		}
		if len(v) > 0 {
			v = v[1:]
		}
	}
	return false
}

func trimOWS(v []byte) []byte { return bytes.TrimLeft(v, " \t") }

// applyETag sets the ETag of a successful read (keeping one the request's
// SQL set in response.headers) and returns 304 when the request's
// If-None-Match names it, status otherwise. A 304 has no body and none of
// the body's headers.
func applyETag(ctx *fasthttp.RequestCtx, x *exchange, status int) int {
	h := &ctx.Response.Header
	tag := h.Peek("ETag")
	if tag == nil {
		h.SetBytesV("ETag", x.res.etag)
		tag = x.res.etag
	}
	inm := ctx.Request.Header.Peek("If-None-Match")
	if inm == nil || !noneMatch(inm, tag) {
		return status
	}
	ctx.Response.ResetBody()
	h.Del("Content-Type")
	h.Del("Content-Range")
	h.SetNoDefaultContentType(true)
	return fasthttp.StatusNotModified
}
