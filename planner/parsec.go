package planner

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pgrst/pgrst/apierr"
)

// This file is a small backtracking parser engine with the error model of
// Haskell's Parsec, which PostgREST's URL grammar is written in. Clients see
// Parsec's error positions and "unexpected ... expecting ..." texts in
// PGRST100 bodies, so the grammar in grammar.go is written against this
// engine to reproduce them.
//
// The model: every step reports whether it succeeded, whether it consumed
// input, and an error (a position and messages). A sequence keeps the error
// of a step that consumed input and otherwise merges it with the errors
// carried so far; an alternative is only tried when the first branch failed
// without consuming; "try" turns a consuming failure into a non-consuming
// one; a label replaces the "expecting" messages of a non-consuming result;
// merging keeps the error furthest into the input and concatenates errors at
// the same position.
//
// Control flow never depends on messages, so the parser first runs with
// verbose off (no message is built, nothing allocated for errors) and runs a
// second time with verbose on only when the input is malformed.

type msgKind uint8

const (
	msgSysUnexpect msgKind = iota // a primitive met an unexpected token ("" = end of input)
	msgUnexpect                   // notFollowedBy met a token
	msgExpect                     // what was expected
)

type pmsg struct {
	kind msgKind
	text string
}

// perr is a parse error: a byte offset and messages (none = unknown error).
type perr struct {
	pos  int
	msgs []pmsg
}

// res is the outcome of one parsing step.
type res struct {
	ok       bool
	consumed bool
	err      perr
}

type pstate struct {
	in      string
	pos     int
	verbose bool
	depth   int
	memo    fieldMemo
}

// fieldMemo is the last fieldName result: from start to end.
type fieldMemo struct {
	ok         bool
	start, end int
	val        string
	r          res
}

// maxDepth bounds nesting of embeds and logic trees, so hostile input cannot
// exhaust the goroutine stack.
const maxDepth = 256

var okEmpty = res{ok: true}

func (s *pstate) peek() (rune, int) {
	if s.pos >= len(s.in) {
		return -1, 0
	}
	c := s.in[s.pos]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s.in[s.pos:])
}

// merge is Parsec's mergeError.
func (s *pstate) merge(a, b perr) perr {
	if !s.verbose {
		return perr{}
	}
	if len(b.msgs) == 0 && len(a.msgs) > 0 {
		return a
	}
	if len(a.msgs) == 0 && len(b.msgs) > 0 {
		return b
	}
	switch {
	case a.pos > b.pos:
		return a
	case a.pos < b.pos:
		return b
	}
	m := make([]pmsg, 0, len(a.msgs)+len(b.msgs))
	m = append(m, a.msgs...)
	m = append(m, b.msgs...)
	return perr{pos: a.pos, msgs: m}
}

// or combines a failed, non-consuming first branch with the second branch's result.
func (s *pstate) or(first, second res) res {
	if second.consumed {
		return second
	}
	second.err = s.merge(first.err, second.err)
	return second
}

// try makes a consuming failure non-consuming and rewinds to start.
func (s *pstate) try(start int, r res) res {
	if !r.ok {
		s.pos = start
		r.consumed = false
	}
	return r
}

// label is Parsec's <?>: it names what a non-consuming step expected.
func (s *pstate) label(r res, name string) res {
	if !s.verbose || r.consumed {
		return r
	}
	if r.ok && len(r.err.msgs) == 0 {
		return r
	}
	m := make([]pmsg, 0, len(r.err.msgs)+1)
	m = append(m, pmsg{msgExpect, name})
	for _, x := range r.err.msgs {
		if x.kind != msgExpect {
			m = append(m, x)
		}
	}
	r.err.msgs = m
	return r
}

// seq tracks consumption and the carried error along a sequence of steps.
type seq struct {
	s        *pstate
	consumed bool
	err      perr
}

// step adds a step's result; it reports whether the step succeeded.
func (q *seq) step(r res) bool {
	if r.consumed {
		q.consumed = true
		q.err = r.err
	} else {
		q.err = q.s.merge(q.err, r.err)
	}
	return r.ok
}

func (q *seq) done(ok bool) res { return res{ok: ok, consumed: q.consumed, err: q.err} }

// unexpectedToken is the error of a primitive that met the token at pos.
func (s *pstate) unexpectedToken(expect string) res {
	if !s.verbose {
		return res{}
	}
	var tok string
	if s.pos < len(s.in) {
		r, _ := utf8.DecodeRuneInString(s.in[s.pos:])
		tok = hsShowString(string(r))
	}
	if expect == "" {
		return res{err: perr{pos: s.pos, msgs: []pmsg{{msgSysUnexpect, tok}}}}
	}
	return res{err: perr{pos: s.pos, msgs: []pmsg{{msgSysUnexpect, tok}, {msgExpect, expect}}}}
}

// char is Parsec's char: one given ASCII character, labelled with its show.
func (s *pstate) char(c byte) res {
	if s.pos < len(s.in) && s.in[s.pos] == c {
		s.pos++
		return res{ok: true, consumed: true, err: perr{pos: s.pos}}
	}
	if !s.verbose {
		return res{}
	}
	lbl := ""
	if c < utf8.RuneSelf {
		lbl = charLabels[c]
	}
	if lbl == "" {
		lbl = hsShowString(string(rune(c)))
	}
	return s.unexpectedToken(lbl)
}

// charLabels holds show [c] for the characters the grammar names.
var charLabels = func() (m [128]string) {
	for _, c := range "(),.:!-\"\\>{}[]" {
		m[c] = hsShowString(string(c))
	}
	return m
}()

// str is Parsec's string: on a mismatch after the first character it fails
// having consumed input; its error is reported at the start.
func (s *pstate) str(lit string) res {
	if len(s.in)-s.pos >= len(lit) && s.in[s.pos:s.pos+len(lit)] == lit {
		s.pos += len(lit)
		return res{ok: true, consumed: len(lit) > 0}
	}
	if !s.verbose && (s.pos >= len(s.in) || len(lit) == 0 || s.in[s.pos] != lit[0]) {
		return res{}
	}
	return s.strSlow(lit)
}

func (s *pstate) strSlow(lit string) res {
	start := s.pos
	for i := 0; i < len(lit); i++ {
		if s.pos+i >= len(s.in) || s.in[s.pos+i] != lit[i] {
			consumed := i > 0
			if !s.verbose {
				return res{consumed: consumed}
			}
			var tok string
			if s.pos+i < len(s.in) {
				r, _ := utf8.DecodeRuneInString(s.in[s.pos+i:])
				tok = hsShowString(string(r))
			}
			return res{consumed: consumed, err: perr{pos: start, msgs: []pmsg{{msgSysUnexpect, tok}, {msgExpect, hsShowString(lit)}}}}
		}
	}
	s.pos += len(lit)
	return res{ok: true, consumed: len(lit) > 0, err: perr{pos: s.pos}}
}

// tryStr is try (string lit).
func (s *pstate) tryStr(lit string) res {
	return s.try(s.pos, s.str(lit))
}

// cannotStart reports that lit cannot match here. Only used with verbose
// off, where skipping a non-consuming failure changes nothing.
func (s *pstate) cannotStart(lit string) bool {
	return !s.verbose && (s.pos >= len(s.in) || s.in[s.pos] != lit[0])
}

// lookAheadStr is try (lookAhead (string lit)): succeeds without consuming.
func (s *pstate) lookAheadStr(lit string) res {
	start := s.pos
	r := s.str(lit)
	s.pos = start
	if r.ok {
		return okEmpty
	}
	r.consumed = false
	return r
}

// eofP is Parsec's eof: notFollowedBy anyToken <?> "end of input".
func (s *pstate) eofP() res {
	if s.pos >= len(s.in) {
		// anyToken's failure is carried by the success, then labelled.
		if !s.verbose {
			return okEmpty
		}
		return res{ok: true, err: perr{pos: s.pos, msgs: []pmsg{{msgSysUnexpect, ""}, {msgExpect, "end of input"}}}}
	}
	if !s.verbose {
		return res{}
	}
	r, _ := utf8.DecodeRuneInString(s.in[s.pos:])
	// anyToken does not advance the position, so the error is here.
	return res{err: perr{pos: s.pos, msgs: []pmsg{{msgUnexpect, hsShowChar(r)}, {msgExpect, "end of input"}}}}
}

// notFollowedByChar is notFollowedBy (satisfy pred <?> lbl) for a
// one-character parser; lbl may be empty (no label).
func (s *pstate) notFollowedByChar(pred func(rune) bool, lbl string) res {
	c, n := s.peek()
	if n > 0 && pred(c) {
		if !s.verbose {
			return res{}
		}
		// The character was consumed before "unexpected" ran, so the
		// error sits after it.
		return res{err: perr{pos: s.pos + n, msgs: []pmsg{{msgUnexpect, hsShowChar(c)}}}}
	}
	// The inner parser's failure is carried by the success.
	r := s.unexpectedToken(lbl)
	r.ok = true
	return r
}

// many runs step until it fails without consuming. step must consume when
// it succeeds.
func (s *pstate) many(step func() res) res {
	consumed := false
	for {
		r := step()
		if r.ok && r.consumed {
			consumed = true
			continue
		}
		if r.ok { // an empty success would loop forever
			r.consumed = consumed
			return r
		}
		if r.consumed {
			return r
		}
		r.ok = true
		r.consumed = consumed
		return r
	}
}

// sepBy1 is Parsec's item `sepBy1` sep, that is item, then many (sep >>
// item): it appends the items to dst. sep must consume when it succeeds. A
// separator that succeeds followed by an item that fails is a consuming
// failure of the whole list. item and sep are method expressions such as
// (*pstate).fieldName: a bound method value s.fieldName would add a wrapper
// call to every use.
func sepBy1[T any](s *pstate, dst []T, item func(*pstate) (T, res), sep func(*pstate) res) ([]T, res) {
	q := seq{s: s}
	x, r := item(s)
	if !q.step(r) {
		return dst, q.done(false)
	}
	dst = append(dst, x)
	r = s.many(func() res {
		iq := seq{s: s}
		ok := iq.step(sep(s))
		if ok {
			x, r := item(s)
			if ok = iq.step(r); ok {
				dst = append(dst, x)
			}
		}
		return iq.done(ok)
	})
	return dst, q.done(q.step(r))
}

// sepBy is Parsec's item `sepBy` sep: sepBy1, or no items when the first
// item fails without consuming.
func sepBy[T any](s *pstate, dst []T, item func(*pstate) (T, res), sep func(*pstate) res) ([]T, res) {
	dst, r := sepBy1(s, dst, item, sep)
	if !r.ok && !r.consumed {
		r.ok = true
	}
	return dst, r
}

// ws is many (oneOf " \t").
func (s *pstate) ws() res {
	start := s.pos
	for s.pos < len(s.in) && (s.in[s.pos] == ' ' || s.in[s.pos] == '\t') {
		s.pos++
	}
	if !s.verbose {
		return res{ok: true, consumed: s.pos > start}
	}
	r := s.unexpectedToken("")
	r.ok = true
	r.consumed = s.pos > start
	return r
}

// failure is the PGRST100 error for a failed parse.
func (s *pstate) failure(what string, e perr) *Error {
	line, col := position(s.in, e.pos)
	msg := "\"" + what + "\" (line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ")"
	return apierr.QueryParam(msg, showMessages(e.msgs))
}

// position converts a byte offset into Parsec's line and column.
func position(in string, off int) (line, col int) {
	line, col = 1, 1
	if off > len(in) {
		off = len(in)
	}
	for _, r := range in[:off] {
		switch r {
		case '\n':
			line++
			col = 1
		case '\t':
			col = col + 8 - (col-1)%8
		default:
			col++
		}
	}
	return line, col
}

// showMessages renders messages like Parsec's showErrorMessages with
// PostgREST's wording, newlines turned into spaces and the result trimmed.
func showMessages(msgs []pmsg) string {
	if len(msgs) == 0 {
		return "unknown parse error"
	}
	var sys, unexp, exp []string
	for _, m := range msgs {
		switch m.kind {
		case msgSysUnexpect:
			sys = append(sys, m.text)
		case msgUnexpect:
			unexp = append(unexp, m.text)
		case msgExpect:
			exp = append(exp, m.text)
		}
	}
	var parts []string
	if len(unexp) == 0 && len(sys) > 0 {
		if sys[0] == "" {
			parts = append(parts, "unexpected end of input")
		} else {
			parts = append(parts, "unexpected "+sys[0])
		}
	}
	if s := commasOr(clean(unexp)); s != "" {
		parts = append(parts, "unexpected "+s)
	}
	if s := commasOr(clean(exp)); s != "" {
		parts = append(parts, "expecting "+s)
	}
	return strings.TrimFunc(strings.Join(parts, " "), unicode.IsSpace)
}

// clean drops empty strings and duplicates, keeping the first occurrence.
func clean(xs []string) []string {
	out := xs[:0:0]
	for _, x := range xs {
		if x == "" {
			continue
		}
		dup := false
		for _, y := range out {
			if y == x {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

func commasOr(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// asciiNames are Haskell's names for control characters.
var asciiNames = [...]string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "a", "b", "t", "n", "v", "f", "r", "SO", "SI",
	"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"}

// hsShowString is Haskell's show for a String.
func hsShowString(str string) string {
	var b strings.Builder
	b.WriteByte('"')
	rs := []rune(str)
	for i, r := range rs {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		default:
			writeHsChar(&b, r)
		}
		// "\&" separates a numeric escape from a following digit, and \SO from H.
		if i+1 < len(rs) {
			next := rs[i+1]
			if r > 127 && next >= '0' && next <= '9' {
				b.WriteString(`\&`)
			} else if r == 14 && next == 'H' {
				b.WriteString(`\&`)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hsShowChar is Haskell's show for a Char.
func hsShowChar(r rune) string {
	var b strings.Builder
	b.WriteByte('\'')
	if r == '\'' {
		b.WriteString(`\'`)
	} else {
		writeHsChar(&b, r)
	}
	b.WriteByte('\'')
	return b.String()
}

func writeHsChar(b *strings.Builder, r rune) {
	switch {
	case r == '\\':
		b.WriteString(`\\`)
	case r < 32:
		b.WriteByte('\\')
		b.WriteString(asciiNames[r])
	case r == 127:
		b.WriteString(`\DEL`)
	case r > 127:
		b.WriteByte('\\')
		b.WriteString(strconv.Itoa(int(r)))
	default:
		b.WriteRune(r)
	}
}
