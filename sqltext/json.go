package sqltext

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
	"unsafe"
)

// AppendJSONString appends s as a JSON string (see AppendJSON).
func AppendJSONString(dst []byte, s string) []byte {
	return appendJSON(dst, unsafe.Slice(unsafe.StringData(s), len(s)), false)
}

// AppendJSON appends s as a JSON string: '"' and '\' escaped, \n \r \t by
// name, other control bytes (NUL too) as \u00XX, valid UTF-8 as it is and
// each byte of invalid UTF-8 as U+FFFD, so the result is always valid JSON.
func AppendJSON(dst, s []byte) []byte { return appendJSON(dst, s, false) }

// AppendJSONUndoubled is AppendJSON of the content of a quoted CSV field,
// where each doubled quote stands for one.
func AppendJSONUndoubled(dst, s []byte) []byte { return appendJSON(dst, s, true) }

func appendJSON(dst, s []byte, undouble bool) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if len(s)-i >= 8 {
			m := JSONSpecial8(binary.LittleEndian.Uint64(s[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		c := s[i]
		if c >= ' ' && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r != utf8.RuneError || size > 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
			if undouble {
				i++
			}
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// JSONSpecial8 marks the bytes of v (8 bytes read little-endian) that
// need a look inside a JSON string: '"', '\\', a control character or a
// non-ASCII byte. Each term is the classic "has a zero byte" test: it may
// mark a byte after a marked one by mistake, never before, so the lowest
// mark is exact.
func JSONSpecial8(v uint64) uint64 {
	q := v ^ ('"' * ones)
	s := v ^ ('\\' * ones)
	return ((q-ones)&^q | (s-ones)&^s | (v-' '*ones)&^v | v) & highs
}
