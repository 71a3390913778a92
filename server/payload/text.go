package payload

import "unicode/utf8"

// addText appends text k to the keys of the first object as the JSON
// that sqltext.AppendJSON makes of it reads: invalid UTF-8 becomes U+FFFD.
func (p *Payload) addText(k []byte) {
	start := len(p.kbuf)
	p.kbuf = appendValid(p.kbuf, k)
	p.occ = append(p.occ, span{start, len(p.kbuf)})
}

// appendValid appends s with each byte that is not part of valid UTF-8
// replaced by U+FFFD.
func appendValid(dst, s []byte) []byte {
	if utf8.Valid(s) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}
