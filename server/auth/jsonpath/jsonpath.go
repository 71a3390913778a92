package jsonpath

import (
	"encoding/json"
	"slices"
	"strconv"
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

// jpComparable is a literal, a singular query or a function whose result
// is a value (length, count, value): what a comparison compares and what a
// function takes for a ValueType parameter.
type jpComparable struct {
	kind cmpKind
	lit  any
	sq   jpSingular
	fn   *jpFunc
}

type cmpKind uint8

const (
	cmpLit cmpKind = iota
	cmpQuery
	cmpFunc
)

// jpSingular is a singular query: names and indices only, so it selects
// at most one node.
type jpSingular struct {
	root bool
	segs []jpSingularSeg
}

type jpSingularSeg struct {
	name    string
	index   int
	isIndex bool
}

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
		r = b.fn.test(root, cur)
	case basicCompare:
		r = b.cmp.eval(root, cur)
	}
	return r != b.not
}

// value is the value c stands for; ok is false for Nothing (a query that
// selects no node, or a function without a result).
func (c *jpComparable) value(root, cur any) (v any, ok bool) {
	switch c.kind {
	case cmpLit:
		return c.lit, true
	case cmpFunc:
		return c.fn.value(root, cur)
	}
	return c.sq.value(root, cur)
}

func (sq *jpSingular) value(root, cur any) (any, bool) {
	v := cur
	if sq.root {
		v = root
	}
	for _, s := range sq.segs {
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

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
