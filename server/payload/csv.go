package payload

import (
	"bytes"
	"encoding/binary"
	"math/bits"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/sqltext"
)

// parseCSV converts a CSV body into a JSON array of objects, as PostgREST
// does with the cassava library: the first line names the columns, each
// further line is an object of them. Fields follow RFC 4180 (a quoted
// field may hold commas, line breaks and doubled quotes); a line ends with
// CRLF, LF or CR; a line of one empty field is skipped. Every value is a
// JSON string, except a field that reads NULL (quoted or not), which is
// null.
//
// Every line must have as many fields as the header. PostgREST (cassava)
// drops the fields beyond the header's and refuses a short line only when
// the lines differ among themselves; here any other count is its error.
//
// The JSON may take at most maxJSON bytes (0: no bound); beyond, the body
// is refused with 413.
func (p *Payload) parseCSV(b []byte, maxJSON int) error {
	p.hbuf, p.hspan = p.hbuf[:0], p.hspan[:0]
	i := 0
	for {
		content, quoted, next, msg := csvField(b, i)
		if msg != "" {
			return errCSV(msg, lineOf(b, next))
		}
		i = next
		k := content
		if quoted && bytes.IndexByte(content, '"') >= 0 {
			p.tmp = appendUndoubled(p.tmp[:0], content)
			k = p.tmp
		}
		start := len(p.hbuf)
		if len(p.hspan) > 0 {
			p.hbuf = append(p.hbuf, ',')
		}
		p.hbuf = sqltext.AppendJSON(p.hbuf, k)
		p.hbuf = append(p.hbuf, ':')
		p.hspan = append(p.hspan, span{start, len(p.hbuf)})
		p.addText(k)
		if i == len(b) {
			return errCSV("header without a line end", lineOf(b, i))
		}
		if b[i] == ',' {
			i++
			continue
		}
		i = lineEnd(b, i)
		break
	}

	cols := len(p.hspan)
	out := p.buf[:0]
	est := csvJSONSize(b[i:], len(p.hbuf), cols)
	if maxJSON > 0 {
		est = min(est, maxJSON+1)
	}
	if cap(out) < est {
		// One allocation of about the output's size, rather than the
		// doublings of growing to it (twice its size in garbage).
		out = make([]byte, 0, est)
	}
	out = append(out, '[')
	rows := 0
	short := false
	for i < len(b) {
		rowStart := len(out)
		if rows > 0 {
			out = append(out, ',')
		}
		out = append(out, '{')
		n := 0
		blank := false
		for {
			content, quoted, next, msg := csvField(b, i)
			if msg != "" {
				p.buf = out
				return errCSV(msg, lineOf(b, next))
			}
			if n < cols {
				h := p.hspan[n]
				out = append(out, p.hbuf[h.start:h.end]...)
				if string(content) == "NULL" {
					out = append(out, "null"...)
				} else {
					out = appendField(out, content, quoted)
				}
			}
			n++
			blank = n == 1 && len(content) == 0
			i = next
			if i < len(b) && b[i] == ',' {
				i++
				continue
			}
			i = lineEnd(b, i)
			break
		}
		switch {
		case blank && n == 1:
			out = out[:rowStart]
		case n != cols:
			short = true
			out = out[:rowStart]
		default:
			out = append(out, '}')
			rows++
		}
		if maxJSON > 0 && len(out) >= maxJSON { // no room for the closing bracket
			p.buf = out
			return apierr.CSVTooLarge(maxJSON)
		}
	}
	p.buf = append(out, ']')
	if short {
		return errCSVFields
	}
	p.JSON, p.Array, p.Rows = p.buf, true, rows
	if rows > 0 {
		p.buildSet()
		p.setKeys()
	}
	return nil
}

// csvJSONSize estimates the size of the JSON array that parseCSV makes of
// rows, the CSV lines after the header: each line's fields plus, per line,
// the header's keys (hlen bytes, with their commas and colons), quotes
// around each value and the object's braces and comma. A line break inside
// a quoted field or an escaped character makes it inexact, which costs at
// most one more growth. The estimate stops at four times the body, so that
// blank or short lines under a long header cannot ask for a huge buffer
// before parsing finds them.
func csvJSONSize(rows []byte, hlen, cols int) int {
	lines := bytes.Count(rows, []byte{'\n'}) + 1
	return min(len(rows)+lines*(hlen+2*cols+3)+2, 4*len(rows)+4096)
}

// csvField reads the field at b[i]: its content (for a quoted field, the
// text between the quotes with its quotes still doubled), whether it was
// quoted, and the index after it, where a comma, a line end or the end of
// the body must follow. msg says what is wrong otherwise, at b[next].
func csvField(b []byte, i int) (content []byte, quoted bool, next int, msg string) {
	if i < len(b) && b[i] == '"' {
		j := i + 1
		for {
			q := bytes.IndexByte(b[j:], '"')
			if q < 0 {
				return nil, true, i, "unterminated quoted field"
			}
			j += q + 1
			if j < len(b) && b[j] == '"' {
				j++
				continue
			}
			break
		}
		if j < len(b) && b[j] != ',' && b[j] != '\n' && b[j] != '\r' {
			return nil, true, j, "unexpected character after a quoted field"
		}
		return b[i+1 : j-1], true, j, ""
	}
	j := i
	for len(b)-j >= 8 {
		if m := fieldEnd(binary.LittleEndian.Uint64(b[j:])); m != 0 {
			j += bits.TrailingZeros64(m) >> 3
			break
		}
		j += 8
	}
	for j < len(b) && b[j] != ',' && b[j] != '\n' && b[j] != '\r' && b[j] != '"' {
		j++
	}
	if j < len(b) && b[j] == '"' {
		return nil, false, j, `unexpected '"' in an unquoted field`
	}
	return b[i:j], false, j, ""
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// fieldEnd marks the bytes of v (little-endian) that end an unquoted
// field: ',', '\n', '\r' and '"' (a mistake). The lowest mark is exact, as
// in sqltext.JSONSpecial8.
func fieldEnd(v uint64) uint64 {
	a := v ^ (',' * ones)
	n := v ^ ('\n' * ones)
	r := v ^ ('\r' * ones)
	q := v ^ ('"' * ones)
	return ((a-ones)&^a | (n-ones)&^n | (r-ones)&^r | (q-ones)&^q) & highs
}

// lineEnd skips the line end (CRLF, LF or CR) at b[i], if any.
func lineEnd(b []byte, i int) int {
	switch {
	case i >= len(b):
	case b[i] == '\n':
		i++
	case b[i] == '\r':
		i++
		if i < len(b) && b[i] == '\n' {
			i++
		}
	}
	return i
}

// lineOf is the number of the line (from 1) that b[i] is on.
func lineOf(b []byte, i int) int {
	n := 1
	for j := 0; j < i && j < len(b); j++ {
		if b[j] == '\n' || b[j] == '\r' && (j+1 >= len(b) || b[j+1] != '\n') {
			n++
		}
	}
	return n
}

// appendUndoubled appends s with each doubled quote made single.
func appendUndoubled(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		dst = append(dst, s[i])
		if s[i] == '"' {
			i++
		}
	}
	return dst
}

// appendField appends a CSV field's content as a JSON string; in a quoted
// field each doubled quote stands for one.
func appendField(dst, content []byte, quoted bool) []byte {
	if quoted {
		return sqltext.AppendJSONUndoubled(dst, content)
	}
	return sqltext.AppendJSON(dst, content)
}
