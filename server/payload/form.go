package payload

import (
	"bytes"

	"github.com/pgrst/pgrst/sqltext"
)

// parseForm reads an application/x-www-form-urlencoded body as PostgREST
// does (http-types' parseSimpleQuery): a leading '?' is dropped, pairs are
// separated by '&' or ';' (an empty pair between two separators is an
// empty key), a pair without '=' has an empty value, and keys and values
// are percent-decoded with '+' as a space ("%" without two hexadecimal
// digits stays as it is). The JSON is one object of string values, with
// the pairs in order: for a repeated key PostgreSQL's json_populate_record
// functions take the last value, as PostgREST's map of the pairs does.
func (p *Payload) parseForm(b []byte) {
	if len(b) > 0 && b[0] == '?' {
		b = b[1:]
	}
	p.fbuf, p.fspan = p.fbuf[:0], p.fspan[:0]
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '&' && b[i] != ';' {
			i++
		}
		pair := b[:i]
		if i < len(b) {
			b = b[i+1:]
		} else {
			b = nil
		}
		key, val := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			key, val = pair[:i], pair[i+1:]
		}
		start := len(p.fbuf)
		p.fbuf = urlDecode(p.fbuf, key)
		mid := len(p.fbuf)
		p.fbuf = urlDecode(p.fbuf, val)
		p.fspan = append(p.fspan, span{start, mid}, span{mid, len(p.fbuf)})
	}
	out := append(p.buf[:0], '{')
	for i := 0; i < len(p.fspan); i += 2 {
		k, v := p.fspan[i], p.fspan[i+1]
		key, val := p.fbuf[k.start:k.end], p.fbuf[v.start:v.end]
		if i > 0 {
			out = append(out, ',')
		}
		out = sqltext.AppendJSON(out, key)
		out = append(out, ':')
		out = sqltext.AppendJSON(out, val)
		p.Form = append(p.Form, Field{Key: key, Value: val})
		p.addText(key)
	}
	p.buf = append(out, '}')
	p.JSON, p.Rows = p.buf, 1
	p.buildSet()
	p.setKeys()
}

// urlDecode appends s percent-decoded, with '+' as a space.
func urlDecode(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		j := i
		for j < len(s) && s[j] != '+' && s[j] != '%' {
			j++
		}
		dst = append(dst, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		switch {
		case s[i] == '+':
			dst = append(dst, ' ')
		case i+2 < len(s) && unhex(s[i+1]) >= 0 && unhex(s[i+2]) >= 0:
			dst = append(dst, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
			i += 2
		default:
			dst = append(dst, '%')
		}
	}
	return dst
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}
