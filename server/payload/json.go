package payload

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/pgrst/pgrst/sqltext"
)

// maxDepth bounds the nesting of arrays and objects in a JSON body, as
// encoding/json does: the scanner keeps one byte per open container, and
// a body deeper than this is refused.
const maxDepth = 10000

// parseJSON validates a JSON body (RFC 8259, strings in valid UTF-8) in
// one pass and collects the keys of its top-level object, or of each
// object of its top-level array.
func (p *Payload) parseJSON(b []byte) error {
	i := skipWS(b, 0)
	if i == len(b) {
		return errInvalidJSON
	}
	var err error
	scalar := false
	switch b[i] {
	case '{':
		i, err = p.object(b, i, 1)
		p.Rows = 1
	case '[':
		p.Array = true
		i, err = p.array(b, i)
	default:
		scalar = true
		i, err = p.skip(b, i, 0)
	}
	if err != nil {
		return err
	}
	if skipWS(b, i) != len(b) {
		return errInvalidJSON
	}
	if p.mismatch {
		return errKeysMismatch
	}
	if scalar {
		// PostgREST truncates any other JSON value to an empty array.
		p.JSON, p.Array = emptyArray, true
		return nil
	}
	p.JSON = b
	if p.Rows > 0 {
		p.setKeys()
	}
	return nil
}

// array reads the top-level array at b[i] == '[': its elements must all
// be objects with the same keys.
func (p *Payload) array(b []byte, i int) (int, error) {
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	var err error
	for {
		if i < len(b) && b[i] == '{' {
			i, err = p.object(b, i, 2)
			p.Rows++
		} else {
			p.mismatch = true
			i, err = p.skip(b, i, 1)
		}
		if err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, errInvalidJSON
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, errInvalidJSON
		}
	}
}

// object reads an object whose keys are columns, at b[i] == '{' and
// nested depth deep: the first one gives the set of keys, every later one
// is compared with it.
func (p *Payload) object(b []byte, i, depth int) (int, error) {
	first := p.row == 0
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return i, errInvalidJSON
			}
			start := i + 1
			end, esc, ok := scanString(b, i)
			if !ok {
				return end, errInvalidJSON
			}
			if !p.mismatch {
				k := b[start : end-1]
				if esc {
					p.tmp = appendUnescaped(p.tmp[:0], k)
					k = p.tmp
				}
				if first {
					p.addKey(k)
				} else {
					p.matchKey(k)
				}
			}
			i = skipWS(b, end)
			if i >= len(b) || b[i] != ':' {
				return i, errInvalidJSON
			}
			// Most values are strings and numbers: read them here.
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == '"' {
				if i, _, ok = scanString(b, i); !ok {
					return i, errInvalidJSON
				}
			} else if i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] == '-') {
				if i, ok = scanNumber(b, i); !ok {
					return i, errInvalidJSON
				}
			} else {
				var err error
				if i, err = p.skip(b, i, depth); err != nil {
					return i, err
				}
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, errInvalidJSON
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return i, errInvalidJSON
			}
			i = skipWS(b, i+1)
		}
	}
	if first {
		p.buildSet()
	} else if !p.mismatch {
		p.endObject()
	}
	p.row++
	return i, nil
}

// skip validates the JSON value at b[i], inside depth open containers,
// and returns the index after it. It keeps its open containers in
// p.stack, not on the goroutine's stack.
func (p *Payload) skip(b []byte, i, depth int) (int, error) {
	stack := p.stack[:0]
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return i, errInvalidJSON
		}
		ok := true
		switch c := b[i]; c {
		case '"':
			i, _, ok = scanString(b, i)
		case '{', '[':
			if depth+len(stack) >= maxDepth {
				return i, errTooDeep
			}
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == c+2 { // '{'+2 is '}', '['+2 is ']'
				i++
				break
			}
			stack = append(stack, c)
			p.stack = stack // keep the grown buffer
			if c == '{' {
				if i, ok = objectKey(b, i); !ok {
					return i, errInvalidJSON
				}
			}
			continue
		case 't':
			ok = len(b)-i >= 4 && string(b[i:i+4]) == "true"
			i += 4
		case 'f':
			ok = len(b)-i >= 5 && string(b[i:i+5]) == "false"
			i += 5
		case 'n':
			ok = len(b)-i >= 4 && string(b[i:i+4]) == "null"
			i += 4
		default:
			i, ok = scanNumber(b, i)
		}
		if !ok {
			return i, errInvalidJSON
		}
		// After a value: close containers until one continues.
		for {
			if len(stack) == 0 {
				return i, nil
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, errInvalidJSON
			}
			top := stack[len(stack)-1]
			if b[i] == top+2 {
				i++
				stack = stack[:len(stack)-1]
				continue
			}
			if b[i] != ',' {
				return i, errInvalidJSON
			}
			i = skipWS(b, i+1)
			if top == '{' {
				if i, ok = objectKey(b, i); !ok {
					return i, errInvalidJSON
				}
			}
			break
		}
	}
}

// objectKey reads `"key" :` at b[i] and the spaces after it.
func objectKey(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	i, _, ok := scanString(b, i)
	if !ok {
		return i, false
	}
	i = skipWS(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	return skipWS(b, i+1), true
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		if c := b[i]; c > ' ' || c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return i
		}
		i++
	}
	return i
}

// scanString reads the string at b[i] == '"' and returns the index after
// its closing quote, whether it has escapes, and whether it is valid.
func scanString(b []byte, i int) (end int, esc, ok bool) {
	i++
	for {
		for {
			if len(b)-i < 8 {
				for i < len(b) && b[i] >= ' ' && b[i] < utf8.RuneSelf && b[i] != '"' && b[i] != '\\' {
					i++
				}
				break
			}
			if m := sqltext.JSONSpecial8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(b) {
			return i, esc, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return i, esc, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || hex4(b[i+2:i+6]) < 0 {
					return i, esc, false
				}
				i += 6
			default:
				return i, esc, false
			}
		case c < ' ':
			return i, esc, false
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return i, esc, false
			}
			i += size
		}
	}
}

// scanNumber reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? at b[i].
func scanNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// hex4 is the value of 4 hexadecimal digits, -1 if they are not.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendUnescaped appends the text of the valid JSON string content s
// (without its quotes). A \u escape of a lone surrogate becomes U+FFFD,
// as in encoding/json (PostgreSQL rejects it when it reads the key).
func appendUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(s)-i >= 6 && s[i] == '\\' && s[i+1] == 'u' {
					r2 = hex4(s[i+2:])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					dst = utf8.AppendRune(dst, d)
					i += 6
					continue
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, s[i+1])
		}
		i += 2
	}
	return dst
}
