package jsonpath

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Query is a parsed JSONPath query. It is immutable and safe for
// concurrent use.
type Query struct {
	q jpQuery
}

// jpQuery is "$..." (root) or "@..." (current node, inside filters).
type jpQuery struct {
	root bool
	segs []jpSegment
}

type jpSegment struct {
	descendant bool
	sels       []jpSelector
}

type selKind uint8

const (
	selName selKind = iota
	selIndex
	selSlice
	selWildcard
	selFilter
)

type jpSelector struct {
	kind             selKind
	name             string
	index            int
	start, end       int
	hasStart, hasEnd bool
	step             int
	filter           jpOr
}

type jpOr []jpAnd
type jpAnd []jpBasic

type basicKind uint8

const (
	basicParen basicKind = iota
	basicQuery
	basicFunc
	basicCompare
)

type jpBasic struct {
	kind  basicKind
	not   bool
	or    jpOr
	query *jpQuery
	fn    *jpFunc
	cmp   *jpCompare
}

type jpCompare struct {
	left, right jpComparable
	op          string
}

// jpComparable is a literal or a singular query.
type jpComparable struct {
	lit   any
	isLit bool
	sq    jpSingular
}

type jpSingular struct {
	root bool
	segs []jpSingularSeg
}

type jpSingularSeg struct {
	name    string
	index   int
	isIndex bool
}

// jpFunc is search(a, b): true when a is a string in which the regular
// expression b matches.
type jpFunc struct {
	args [2]jpArg
}

type argKind uint8

const (
	argLit argKind = iota
	argQuery
	argOther // a logical expression or a function: never a string
)

type jpArg struct {
	kind  argKind
	lit   any
	query *jpQuery
}

// --- evaluation ---

// Select returns the values of the nodes q selects in root, in order.
func (q *Query) Select(root any) []any {
	return q.q.eval(root, root)
}

// First returns the value of the first node q selects in root; ok is false
// when it selects none.
func (q *Query) First(root any) (v any, ok bool) {
	nodes := q.q.eval(root, root)
	if len(nodes) == 0 {
		return nil, false
	}
	return nodes[0], true
}

func (q *jpQuery) eval(root, cur any) []any {
	nodes := []any{cur}
	if q.root {
		nodes[0] = root
	}
	for i := range q.segs {
		seg := &q.segs[i]
		var next []any
		for _, n := range nodes {
			if seg.descendant {
				for _, d := range descendants(n, nil) {
					next = seg.apply(root, d, next)
				}
			} else {
				next = seg.apply(root, n, next)
			}
		}
		nodes = next
	}
	return nodes
}

// descendants lists n and every container below it, depth first; a
// scalar has none (aeson-jsonpath's allElemsRecursive).
func descendants(n any, out []any) []any {
	switch x := n.(type) {
	case map[string]any:
		out = append(out, n)
		for _, k := range sortedKeys(x) {
			out = descendants(x[k], out)
		}
	case []any:
		out = append(out, n)
		for _, e := range x {
			out = descendants(e, out)
		}
	}
	return out
}

func (seg *jpSegment) apply(root, n any, out []any) []any {
	for i := range seg.sels {
		out = seg.sels[i].apply(root, n, out)
	}
	return out
}

func (s *jpSelector) apply(root, n any, out []any) []any {
	switch s.kind {
	case selName:
		if m, ok := n.(map[string]any); ok {
			if v, ok := m[s.name]; ok {
				out = append(out, v)
			}
		}
	case selIndex:
		if a, ok := n.([]any); ok {
			i := s.index
			if i < 0 {
				i += len(a)
			}
			if i >= 0 && i < len(a) {
				out = append(out, a[i])
			}
		}
	case selSlice:
		if a, ok := n.([]any); ok {
			out = s.slice(a, out)
		}
	case selWildcard:
		out = appendChildren(n, out)
	case selFilter:
		for _, c := range appendChildren(n, nil) {
			if s.filter.eval(root, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

func appendChildren(n any, out []any) []any {
	switch x := n.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			out = append(out, x[k])
		}
	case []any:
		out = append(out, x...)
	}
	return out
}

// slice is RFC 9535's array slice [start:end:step].
func (s *jpSelector) slice(a []any, out []any) []any {
	n := len(a)
	norm := func(i int) int {
		if i < 0 {
			return n + i
		}
		return i
	}
	clamp := func(i, lo, hi int) int { return min(max(i, lo), hi) }
	switch {
	case s.step > 0:
		lo, hi := 0, n
		if s.hasStart {
			lo = norm(s.start)
		}
		if s.hasEnd {
			hi = norm(s.end)
		}
		lo, hi = clamp(lo, 0, n), clamp(hi, 0, n)
		for i := lo; i < hi; i += s.step {
			out = append(out, a[i])
		}
	case s.step < 0:
		hi, lo := n-1, -1
		if s.hasStart {
			hi = norm(s.start)
		}
		if s.hasEnd {
			lo = norm(s.end)
		}
		hi, lo = clamp(hi, -1, n-1), clamp(lo, -1, n-1)
		for i := hi; lo < i; i += s.step {
			out = append(out, a[i])
		}
	}
	return out
}

func (or jpOr) eval(root, cur any) bool {
	for _, and := range or {
		if and.eval(root, cur) {
			return true
		}
	}
	return false
}

func (and jpAnd) eval(root, cur any) bool {
	for i := range and {
		if !and[i].eval(root, cur) {
			return false
		}
	}
	return true
}

func (b *jpBasic) eval(root, cur any) bool {
	var r bool
	switch b.kind {
	case basicParen:
		r = b.or.eval(root, cur)
	case basicQuery:
		r = len(b.query.eval(root, cur)) > 0
	case basicFunc:
		r = b.fn.eval(root, cur)
	case basicCompare:
		r = b.cmp.eval(root, cur)
	}
	return r != b.not
}

func (c *jpComparable) value(root, cur any) (any, bool) {
	if c.isLit {
		return c.lit, true
	}
	v := cur
	if c.sq.root {
		v = root
	}
	for _, s := range c.sq.segs {
		if s.isIndex {
			a, ok := v.([]any)
			// aeson-jsonpath does not count negative indices from the end here.
			if !ok || s.index < 0 || s.index >= len(a) {
				return nil, false
			}
			v = a[s.index]
		} else {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[s.name]; !ok {
				return nil, false
			}
		}
	}
	return v, true
}

func (c *jpCompare) eval(root, cur any) bool {
	l, lok := c.left.value(root, cur)
	r, rok := c.right.value(root, cur)
	eq := lok == rok && (!lok || jsonEqual(l, r))
	switch c.op {
	case "==":
		return eq
	case "!=":
		return !eq
	case "<":
		return lok && rok && jsonLess(l, r)
	case "<=":
		return (lok && rok && jsonLess(l, r)) || eq
	case ">":
		return lok && rok && jsonLess(r, l)
	case ">=":
		return (lok && rok && jsonLess(r, l)) || eq
	}
	return false
}

func jsonLess(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x < y
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		xf, _ := strconv.ParseFloat(string(x), 64)
		yf, _ := strconv.ParseFloat(string(y), 64)
		return xf < yf
	}
	return false
}

// Equal reports whether a and b are the same JSON value, as the == of a
// filter compares them: numbers by value, arrays element by element,
// objects member by member.
func Equal(a, b any) bool {
	return jsonEqual(a, b)
}

func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		xf, _ := strconv.ParseFloat(string(x), 64)
		yf, _ := strconv.ParseFloat(string(y), 64)
		return xf == yf
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

func (f *jpFunc) eval(root, cur any) bool {
	text, ok1 := f.args[0].str(root, cur)
	pattern, ok2 := f.args[1].str(root, cur)
	if !ok1 || !ok2 {
		return false
	}
	re, err := regexp.Compile(pattern)
	return err == nil && re.MatchString(text)
}

// str is the string an argument of search() stands for: a string literal,
// or a query selecting exactly one node that is a string.
func (a *jpArg) str(root, cur any) (string, bool) {
	switch a.kind {
	case argLit:
		s, ok := a.lit.(string)
		return s, ok
	case argQuery:
		nodes := a.query.eval(root, cur)
		if len(nodes) != 1 {
			return "", false
		}
		s, ok := nodes[0].(string)
		return s, ok
	}
	return "", false
}

// --- parsing ---

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
		switch {
		case p.peekByte('['):
			sels, err := p.bracketed()
			seg.sels = sels
			return seg, true, err
		case p.peekByte('*'):
			p.pos++
			seg.sels = []jpSelector{{kind: selWildcard}}
			return seg, true, nil
		}
		name, ok := p.shorthandName()
		if !ok {
			return seg, false, p.fail("a member name, '*' or '[' after '..'")
		}
		seg.sels = []jpSelector{{kind: selName, name: name}}
		return seg, true, nil
	case p.peekByte('.'):
		p.pos++
		if p.peekByte('*') {
			p.pos++
			seg.sels = []jpSelector{{kind: selWildcard}}
			return seg, true, nil
		}
		name, ok := p.shorthandName()
		if !ok {
			return seg, false, p.fail("a member name or '*' after '.'")
		}
		seg.sels = []jpSelector{{kind: selName, name: name}}
		return seg, true, nil
	case p.peekByte('['):
		sels, err := p.bracketed()
		seg.sels = sels
		return seg, true, err
	}
	return seg, false, nil
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
	var or jpOr
	for {
		and, err := p.logicalAnd()
		if err != nil {
			return nil, err
		}
		or = append(or, and)
		save := p.pos
		p.spaces()
		if !p.peekString("||") {
			p.pos = save
			return or, nil
		}
		p.pos += 2
		p.spaces()
	}
}

func (p *jpParser) logicalAnd() (jpAnd, error) {
	var and jpAnd
	for {
		b, err := p.basic()
		if err != nil {
			return nil, err
		}
		and = append(and, b)
		save := p.pos
		p.spaces()
		if !p.peekString("&&") {
			p.pos = save
			return and, nil
		}
		p.pos += 2
		p.spaces()
	}
}

// basic parses a parenthesised expression, a comparison or a test, in
// that order of preference.
func (p *jpParser) basic() (jpBasic, error) {
	start := p.pos
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
	if !not {
		if cmp, ok := p.comparison(); ok {
			return jpBasic{kind: basicCompare, cmp: cmp}, nil
		}
		p.pos = start
	}
	switch {
	case p.peekByte('$') || p.peekByte('@'):
		q, err := p.query()
		if err != nil {
			return jpBasic{}, err
		}
		return jpBasic{kind: basicQuery, not: not, query: q}, nil
	case p.peekString("search("):
		fn, err := p.function()
		if err != nil {
			return jpBasic{}, err
		}
		return jpBasic{kind: basicFunc, not: not, fn: fn}, nil
	}
	return jpBasic{}, p.fail("a filter expression")
}

// comparison tries "comparable op comparable"; on failure the caller
// rewinds.
func (p *jpParser) comparison() (*jpCompare, bool) {
	left, ok := p.comparable()
	if !ok {
		return nil, false
	}
	p.spaces()
	var op string
	for _, o := range [...]string{">=", "<=", ">", "<", "!=", "=="} {
		if p.peekString(o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, false
	}
	p.pos += len(op)
	p.spaces()
	right, ok := p.comparable()
	if !ok {
		return nil, false
	}
	return &jpCompare{left: left, right: right, op: op}, true
}

func (p *jpParser) comparable() (jpComparable, bool) {
	if p.peekByte('$') || p.peekByte('@') {
		sq := jpSingular{root: p.s[p.pos] == '$'}
		p.pos++
		for {
			save := p.pos
			p.spaces()
			seg, ok := p.singularSegment()
			if !ok {
				p.pos = save
				return jpComparable{sq: sq}, true
			}
			sq.segs = append(sq.segs, seg)
		}
	}
	lit, ok := p.literal()
	return jpComparable{lit: lit, isLit: true}, ok
}

func (p *jpParser) singularSegment() (jpSingularSeg, bool) {
	save := p.pos
	switch {
	case p.peekByte('.'):
		p.pos++
		if name, ok := p.shorthandName(); ok {
			return jpSingularSeg{name: name}, true
		}
	case p.peekByte('['):
		p.pos++
		if p.peekByte('\'') || p.peekByte('"') {
			if name, err := p.stringLiteral(); err == nil && p.peekByte(']') {
				p.pos++
				return jpSingularSeg{name: name}, true
			}
		} else if n, ok, err := p.signedInt(); err == nil && ok && p.peekByte(']') {
			p.pos++
			return jpSingularSeg{index: n, isIndex: true}, true
		}
	}
	p.pos = save
	return jpSingularSeg{}, false
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

// function parses search(arg, arg).
func (p *jpParser) function() (*jpFunc, error) {
	p.pos += len("search(")
	f := &jpFunc{}
	for i := range f.args {
		p.spaces()
		a, err := p.functionArg()
		if err != nil {
			return nil, err
		}
		f.args[i] = a
		p.spaces()
		want := byte(',')
		if i == 1 {
			want = ')'
		}
		if !p.peekByte(want) {
			return nil, p.fail(fmt.Sprintf("%q", want))
		}
		p.pos++
	}
	return f, nil
}

func (p *jpParser) functionArg() (jpArg, error) {
	start := p.pos
	if lit, ok := p.literal(); ok {
		return jpArg{kind: argLit, lit: lit}, nil
	}
	p.pos = start
	if p.peekByte('$') || p.peekByte('@') {
		q, err := p.query()
		if err == nil {
			save := p.pos
			p.spaces()
			if p.peekByte(',') || p.peekByte(')') {
				p.pos = save
				return jpArg{kind: argQuery, query: q}, nil
			}
		}
		p.pos = start
	}
	if _, err := p.logicalOr(); err != nil {
		return jpArg{}, err
	}
	return jpArg{kind: argOther}, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
