package jsonpath

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

type jpParser struct {
	s   string
	pos int
}

// Parse parses s, the whole of which must be a JSONPath query ("$...").
func Parse(s string) (*Query, error) {
	p := &jpParser{s: s}
	if !p.peekByte('$') {
		return nil, errors.New("a JSONPath starts with '$'")
	}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.s[p.pos:], p.pos)
	}
	return &Query{q: *q}, nil
}

func (p *jpParser) fail(what string) error {
	if p.pos >= len(p.s) {
		return fmt.Errorf("expected %s at end of input", what)
	}
	return fmt.Errorf("expected %s at offset %d", what, p.pos)
}

func (p *jpParser) peekByte(c byte) bool { return p.pos < len(p.s) && p.s[p.pos] == c }

func (p *jpParser) peekString(s string) bool {
	return len(p.s)-p.pos >= len(s) && p.s[p.pos:p.pos+len(s)] == s
}

func (p *jpParser) spaces() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// query parses "$" or "@" and the segments that follow, each optionally
// preceded by white space.
func (p *jpParser) query() (*jpQuery, error) {
	q := &jpQuery{root: p.s[p.pos] == '$'}
	p.pos++
	for {
		save := p.pos
		p.spaces()
		seg, ok, err := p.segment()
		if err != nil {
			return nil, err
		}
		if !ok {
			p.pos = save
			return q, nil
		}
		q.segs = append(q.segs, seg)
	}
}

// segment parses one child or descendant segment; ok is false (and
// nothing is consumed) when none starts here.
func (p *jpParser) segment() (jpSegment, bool, error) {
	var seg jpSegment
	switch {
	case p.peekString(".."):
		p.pos += 2
		seg.descendant = true
		if p.peekByte('[') {
			break
		}
		return p.member(seg, "a member name, '*' or '[' after '..'")
	case p.peekByte('.'):
		p.pos++
		return p.member(seg, "a member name or '*' after '.'")
	case !p.peekByte('['):
		return seg, false, nil
	}
	sels, err := p.bracketed()
	seg.sels = sels
	return seg, true, err
}

// member reads the '*' or member name of a dotted segment; what is the
// message when neither is there.
func (p *jpParser) member(seg jpSegment, what string) (jpSegment, bool, error) {
	if p.peekByte('*') {
		p.pos++
		seg.sels = []jpSelector{{kind: selWildcard}}
		return seg, true, nil
	}
	name, ok := p.shorthandName()
	if !ok {
		return seg, false, p.fail(what)
	}
	seg.sels = []jpSelector{{kind: selName, name: name}}
	return seg, true, nil
}

// shorthandName reads a member-name-shorthand: a letter, '_' or any
// non-ASCII character, then also digits.
func (p *jpParser) shorthandName() (string, bool) {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c >= 0x80:
			_, size := utf8.DecodeRuneInString(p.s[p.pos:])
			p.pos += size
		case c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z'):
			p.pos++
		case '0' <= c && c <= '9' && p.pos > start:
			p.pos++
		default:
			return p.s[start:p.pos], p.pos > start
		}
	}
	return p.s[start:p.pos], p.pos > start
}

func (p *jpParser) bracketed() ([]jpSelector, error) {
	p.pos++ // '['
	var sels []jpSelector
	for {
		p.spaces()
		sel, err := p.selector()
		if err != nil {
			return nil, err
		}
		sels = append(sels, sel)
		p.spaces()
		if p.peekByte(',') {
			p.pos++
			continue
		}
		if !p.peekByte(']') {
			return nil, p.fail("',' or ']'")
		}
		p.pos++
		return sels, nil
	}
}

func (p *jpParser) selector() (jpSelector, error) {
	switch {
	case p.peekByte('\'') || p.peekByte('"'):
		name, err := p.stringLiteral()
		return jpSelector{kind: selName, name: name}, err
	case p.peekByte('*'):
		p.pos++
		return jpSelector{kind: selWildcard}, nil
	case p.peekByte('?'):
		p.pos++
		p.spaces()
		or, err := p.logicalOr()
		return jpSelector{kind: selFilter, filter: or}, err
	}
	// an index or a slice
	sel := jpSelector{kind: selIndex, step: 1}
	if n, ok, err := p.signedInt(); err != nil {
		return sel, err
	} else if ok {
		sel.index, sel.start, sel.hasStart = n, n, true
		p.spaces()
		if !p.peekByte(':') {
			return sel, nil
		}
	}
	if !p.peekByte(':') {
		return sel, p.fail("a selector")
	}
	p.pos++
	sel.kind = selSlice
	p.spaces()
	if n, ok, err := p.signedInt(); err != nil {
		return sel, err
	} else if ok {
		sel.end, sel.hasEnd = n, true
		p.spaces()
	}
	if p.peekByte(':') {
		p.pos++
		save := p.pos
		p.spaces()
		if n, ok, err := p.signedInt(); err != nil {
			return sel, err
		} else if ok {
			sel.step = n
		} else {
			p.pos = save
		}
	}
	return sel, nil
}

// signedInt reads an RFC 9535 integer: no leading zeros, no "-0", within
// ±(2^53-1). ok is false when no digit or '-' starts here.
func (p *jpParser) signedInt() (int, bool, error) {
	start := p.pos
	if p.peekByte('-') {
		p.pos++
	}
	ds := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == ds {
		p.pos = start
		if p.s[start:min(start+1, len(p.s))] == "-" {
			return 0, false, p.fail("a digit")
		}
		return 0, false, nil
	}
	digits := p.s[ds:p.pos]
	if (len(digits) > 1 && digits[0] == '0') || p.s[start:p.pos] == "-0" {
		return 0, false, fmt.Errorf("invalid integer %q at offset %d", p.s[start:p.pos], start)
	}
	n, err := strconv.ParseInt(p.s[start:p.pos], 10, 64)
	if err != nil || n > 1<<53-1 || n < -(1<<53-1) {
		return 0, false, fmt.Errorf("integer %q out of range at offset %d", p.s[start:p.pos], start)
	}
	return int(n), true, nil
}

// stringLiteral reads a single- or double-quoted string with JSON-like
// escapes (\' only inside single quotes, \" only inside double quotes).
func (p *jpParser) stringLiteral() (string, error) {
	quote := p.s[p.pos]
	p.pos++
	var b []byte
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == quote:
			p.pos++
			return string(b), nil
		case c == '\\':
			p.pos++
			if p.pos >= len(p.s) {
				return "", p.fail("an escape")
			}
			e := p.s[p.pos]
			p.pos++
			switch e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case '/', '\\':
				b = append(b, e)
			case quote:
				b = append(b, quote)
			case 'u':
				r, err := p.unicodeEscape()
				if err != nil {
					return "", err
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", fmt.Errorf("invalid escape \\%c at offset %d", e, p.pos-1)
			}
		case c < 0x20:
			return "", fmt.Errorf("control character in string at offset %d", p.pos)
		default:
			b = append(b, c)
			p.pos++
		}
	}
	return "", p.fail("a closing quote")
}

func (p *jpParser) hex4() (rune, bool) {
	if len(p.s)-p.pos < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.pos:p.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(n), true
}

func (p *jpParser) unicodeEscape() (rune, error) {
	r, ok := p.hex4()
	switch {
	case !ok:
		return 0, p.fail("four hex digits")
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, fmt.Errorf("lone low surrogate at offset %d", p.pos-4)
	case r >= 0xD800 && r <= 0xDBFF:
		if !p.peekString(`\u`) {
			return 0, p.fail("a low surrogate")
		}
		p.pos += 2
		lo, ok := p.hex4()
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return 0, p.fail("a low surrogate")
		}
		return (r-0xD800)*0x400 + (lo - 0xDC00) + 0x10000, nil
	}
	return r, nil
}

func (p *jpParser) logicalOr() (jpOr, error) {
	return infixList(p, "||", p.logicalAnd)
}

func (p *jpParser) logicalAnd() (jpAnd, error) {
	return infixList(p, "&&", p.basic)
}

// infixList parses item (op item)..., with optional spaces around op.
func infixList[T any](p *jpParser, op string, item func() (T, error)) ([]T, error) {
	var list []T
	for {
		x, err := item()
		if err != nil {
			return nil, err
		}
		list = append(list, x)
		save := p.pos
		p.spaces()
		if !p.peekString(op) {
			p.pos = save
			return list, nil
		}
		p.pos += len(op)
		p.spaces()
	}
}

// basic parses a parenthesised expression, a comparison or a test.
func (p *jpParser) basic() (jpBasic, error) {
	not := false
	if p.peekByte('!') {
		not = true
		p.pos++
		p.spaces()
	}
	if p.peekByte('(') {
		p.pos++
		p.spaces()
		or, err := p.logicalOr()
		if err != nil {
			return jpBasic{}, err
		}
		p.spaces()
		if !p.peekByte(')') {
			return jpBasic{}, p.fail("')'")
		}
		p.pos++
		return jpBasic{kind: basicParen, not: not, or: or}, nil
	}
	start := p.pos
	var left jpComparable
	switch {
	case p.peekByte('$') || p.peekByte('@'):
		q, err := p.query()
		if err != nil {
			return jpBasic{}, err
		}
		if not || !p.atCompareOp() {
			return jpBasic{kind: basicQuery, not: not, query: q}, nil
		}
		sq, ok := q.singular()
		if !ok {
			return jpBasic{}, fmt.Errorf("a query that may select several nodes cannot be compared (offset %d)", start)
		}
		left = jpComparable{kind: cmpQuery, sq: sq}
	case p.atFunction():
		fn, err := p.function()
		if err != nil {
			return jpBasic{}, err
		}
		if not || !p.atCompareOp() {
			if !fn.logical() {
				return jpBasic{}, fmt.Errorf("the value of %s() must be compared (offset %d)", fn.name, start)
			}
			return jpBasic{kind: basicFunc, not: not, fn: fn}, nil
		}
		if fn.logical() {
			return jpBasic{}, fmt.Errorf("the logical result of %s() cannot be compared (offset %d)", fn.name, start)
		}
		left = jpComparable{kind: cmpFunc, fn: fn}
	default:
		lit, ok := p.literal()
		if not || !ok {
			p.pos = start
			return jpBasic{}, p.fail("a filter expression")
		}
		if !p.atCompareOp() {
			p.spaces()
			return jpBasic{}, p.fail("a comparison operator")
		}
		left = jpComparable{kind: cmpLit, lit: lit}
	}
	p.spaces()
	op := p.compareOp()
	p.pos += len(op)
	p.spaces()
	right, err := p.comparable()
	if err != nil {
		return jpBasic{}, err
	}
	return jpBasic{kind: basicCompare, cmp: &jpCompare{left: left, right: right, op: op}}, nil
}

// compareOp is the comparison operator at the current offset, or "".
func (p *jpParser) compareOp() string {
	for _, o := range [...]string{">=", "<=", "!=", "==", ">", "<"} {
		if p.peekString(o) {
			return o
		}
	}
	return ""
}

// atCompareOp reports whether a comparison operator follows, after
// optional white space, without consuming anything.
func (p *jpParser) atCompareOp() bool {
	save := p.pos
	p.spaces()
	op := p.compareOp()
	p.pos = save
	return op != ""
}

// comparable parses a literal, a singular query or a function with a
// value.
func (p *jpParser) comparable() (jpComparable, error) {
	start := p.pos
	switch {
	case p.peekByte('$') || p.peekByte('@'):
		q, err := p.query()
		if err != nil {
			return jpComparable{}, err
		}
		sq, ok := q.singular()
		if !ok {
			return jpComparable{}, fmt.Errorf("a query that may select several nodes cannot be compared (offset %d)", start)
		}
		return jpComparable{kind: cmpQuery, sq: sq}, nil
	case p.atFunction():
		fn, err := p.function()
		if err != nil {
			return jpComparable{}, err
		}
		if fn.logical() {
			return jpComparable{}, fmt.Errorf("the logical result of %s() is not a value (offset %d)", fn.name, start)
		}
		return jpComparable{kind: cmpFunc, fn: fn}, nil
	}
	lit, ok := p.literal()
	if !ok {
		p.pos = start
		return jpComparable{}, p.fail("a literal, a singular query or a function")
	}
	return jpComparable{kind: cmpLit, lit: lit}, nil
}

// singular converts q to a singular query: ok is false unless each of its
// segments is a child segment with one name or index.
func (q *jpQuery) singular() (jpSingular, bool) {
	sq := jpSingular{root: q.root, segs: make([]jpSingularSeg, 0, len(q.segs))}
	for _, seg := range q.segs {
		if seg.descendant || len(seg.sels) != 1 {
			return jpSingular{}, false
		}
		switch sel := seg.sels[0]; sel.kind {
		case selName:
			sq.segs = append(sq.segs, jpSingularSeg{name: sel.name})
		case selIndex:
			sq.segs = append(sq.segs, jpSingularSeg{index: sel.index, isIndex: true})
		default:
			return jpSingular{}, false
		}
	}
	return sq, true
}

// literal reads a string, number, true, false or null.
func (p *jpParser) literal() (any, bool) {
	switch {
	case p.peekByte('\'') || p.peekByte('"'):
		s, err := p.stringLiteral()
		return s, err == nil
	case p.peekString("true"):
		p.pos += 4
		return true, true
	case p.peekString("false"):
		p.pos += 5
		return false, true
	case p.peekString("null"):
		p.pos += 4
		return nil, true
	}
	start := p.pos
	if p.peekByte('-') {
		p.pos++
	}
	ds := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == ds || (p.pos-ds > 1 && p.s[ds] == '0') {
		return nil, false
	}
	if p.peekByte('.') {
		p.pos++
		fs := p.pos
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == fs {
			return nil, false
		}
	}
	if p.peekByte('e') || p.peekByte('E') {
		p.pos++
		if p.peekByte('+') || p.peekByte('-') {
			p.pos++
		}
		es := p.pos
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		if p.pos == es {
			return nil, false
		}
	}
	return json.Number(p.s[start:p.pos]), true
}

// atFunction reports whether a function name and '(' follow.
func (p *jpParser) atFunction() bool {
	i := p.pos
	if i >= len(p.s) || p.s[i] < 'a' || p.s[i] > 'z' {
		return false
	}
	for i < len(p.s) && isFunctionNameChar(p.s[i]) {
		i++
	}
	return i < len(p.s) && p.s[i] == '('
}

func isFunctionNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// function parses a function expression, name(args), checking that it is
// well-typed (RFC 9535 section 2.4.3): a value parameter takes a literal,
// a singular query or a function with a value; a node list parameter
// takes a query.
func (p *jpParser) function() (*jpFunc, error) {
	start := p.pos
	for isFunctionNameChar(p.s[p.pos]) {
		p.pos++
	}
	name := p.s[start:p.pos]
	sig, ok := functions[name]
	if !ok {
		return nil, fmt.Errorf("unknown function %s() at offset %d", name, start)
	}
	p.pos++ // '('
	f := &jpFunc{name: name, kind: sig.kind, args: make([]jpArg, len(sig.params))}
	for i, param := range sig.params {
		p.spaces()
		if i > 0 {
			if !p.peekByte(',') {
				return nil, p.fail(fmt.Sprintf("',' and argument %d of %s()", i+1, name))
			}
			p.pos++
			p.spaces()
		}
		argStart := p.pos
		switch param {
		case valueType:
			c, err := p.comparable()
			if err != nil {
				return nil, fmt.Errorf("argument %d of %s(): %w", i+1, name, err)
			}
			f.args[i].val = c
		case nodesType:
			if !p.peekByte('$') && !p.peekByte('@') {
				return nil, p.fail(fmt.Sprintf("a query as argument %d of %s()", i+1, name))
			}
			q, err := p.query()
			if err != nil {
				return nil, err
			}
			f.args[i].query = q
		}
		save := p.pos
		p.spaces()
		if !p.peekByte(',') && !p.peekByte(')') {
			p.pos = argStart
			want := "a literal, a singular query or a function with a value"
			if param == nodesType {
				want = "a query"
			}
			return nil, fmt.Errorf("argument %d of %s() at offset %d is not %s", i+1, name, argStart, want)
		}
		p.pos = save
	}
	p.spaces()
	if !p.peekByte(')') {
		return nil, p.fail(fmt.Sprintf("')' after the %d argument(s) of %s()", len(sig.params), name))
	}
	p.pos++
	if f.logical() && f.args[1].val.kind == cmpLit {
		f.fixedRE = true
		if pattern, ok := f.args[1].val.lit.(string); ok {
			f.re = compileIRegexp(pattern, f.kind == fnMatch)
		}
	}
	return f, nil
}
