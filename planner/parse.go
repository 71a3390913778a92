package planner

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pgrst/pgrst/apierr"
)

// ParseQuery parses a raw (still percent-encoded) URL query string into a
// Query. It does not look at the schema. Errors are *Error values: PGRST100
// for malformed parameters, PGRST103 for a limit/offset that selects nothing.
//
// Parameters are split on '&' and ';', '+' and %XX are decoded, order and
// duplicates are kept. As in PostgREST, a parameter without '=' is ignored
// except in Params, select/columns/on_conflict take their first occurrence,
// and every other parameter whose last dot-separated word is not order,
// limit, offset, and or or is a filter.
func ParseQuery(rawQuery string) (*Query, error) {
	q := &Query{Limit: -1}
	if err := q.parse(rawQuery, true); err != nil {
		return nil, err
	}
	return q, nil
}

// ParseQueryInto is ParseQuery into a Query that the caller reuses from
// request to request: the slices' capacity is kept, so a repeated query
// shape parses without allocating. q's previous contents are replaced; after
// an error they are unspecified. The Query holds substrings of rawQuery.
func ParseQueryInto(q *Query, rawQuery string) error {
	*q = Query{Limit: -1, Params: q.Params[:0], Filters: q.Filters[:0], Select: q.Select[:0],
		Order: q.Order[:0], Ranges: q.Ranges[:0], CallArgs: q.CallArgs[:0]}
	return q.parse(rawQuery, true)
}

// ParseCallQueryInto is ParseQueryInto for a function called with GET or
// HEAD: as in PostgREST, a parameter whose value does not start like a
// filter (op.value) is an argument of the function (Query.CallArgs), not
// a filter.
func ParseCallQueryInto(q *Query, rawQuery string) error {
	*q = Query{Limit: -1, Params: q.Params[:0], Filters: q.Filters[:0], Select: q.Select[:0],
		Order: q.Order[:0], Ranges: q.Ranges[:0], CallArgs: q.CallArgs[:0], callRead: true}
	return q.parse(rawQuery, true)
}

// parse fills a fresh q. With fast, the forms the fast path knows
// (fastparse.go) skip the full parser, which handles everything else.
func (q *Query) parse(rawQuery string, fast bool) error {
	q.Params = splitQuery(rawQuery, q.Params)

	var (
		sel, cols, onConflict, dist              *Param
		seenSel, seenCols, seenOnConfl, seenDist bool
		nFilters                                 int
	)
	for i := range q.Params {
		p := &q.Params[i]
		switch p.Key {
		case "select":
			if !seenSel {
				seenSel = true
				if p.HasValue {
					sel = p
				}
			}
			continue
		case "columns":
			if !seenCols {
				seenCols = true
				if p.HasValue {
					cols = p
				}
			}
			continue
		case "on_conflict":
			if !seenOnConfl {
				seenOnConfl = true
				if p.HasValue {
					onConflict = p
				}
			}
			continue
		case "distinct": // bare "distinct" counts too
			if !distinctForm(p) {
				break // a filter on a column named distinct
			}
			if !seenDist {
				seenDist = true
				dist = p
			}
			continue
		case "after":
			if !q.HasAfter && q.isCursor(p) {
				q.After, q.HasAfter = p.Value, true
				continue
			}
		}
		if p.HasValue && paramKind(p) == kindFilter {
			nFilters++
		}
	}

	var st lazyState
	// PostgREST reports the first error in this order: order, logic trees,
	// columns, select, filters, on_conflict.
	for i := range q.Params {
		p := &q.Params[i]
		if !p.HasValue || paramKind(p) != kindOrder {
			continue
		}
		path, _, err := parseTreePath(&st, p.Key, fast)
		if err != nil {
			return err
		}
		var terms []OrderTerm
		if n := len(q.Order); n < cap(q.Order) {
			terms = q.Order[:n+1][n].Terms[:0] // reuse the capacity
		}
		ok := false
		if fast {
			terms, ok = fastOrder(p.Value, terms)
		}
		if !ok {
			s := st.get()
			if err := run(s, p.Value, "order", p.Value, func() res {
				var r res
				terms, r = s.order()
				return r
			}); err != nil {
				return err
			}
		}
		q.Order = append(q.Order, OrderParam{Path: path, Terms: terms})
	}
	for i := range q.Params {
		p := &q.Params[i]
		if !p.HasValue || paramKind(p) != kindLogic {
			continue
		}
		lp, err := parseLogicParam(st.get(), p.Key, p.Value)
		if err != nil {
			return err
		}
		q.Logic = append(q.Logic, lp)
	}
	if cols != nil {
		s := st.get()
		if err := run(s, cols.Value, "columns parameter", cols.Value, func() res {
			var r res
			q.Columns, r = s.columns()
			return r
		}); err != nil {
			return err
		}
		if v := cols.Value; s.pos < len(v) && (v[s.pos] == '(' || v[s.pos] == '!') {
			// PostgREST's parse stopped at an embed: a nested insert.
			*s = pstate{in: v}
			if plain, embeds, ok := s.columnEmbeds(); ok {
				q.Columns, q.ColumnEmbeds = plain, embeds
			}
		}
		q.HasColumns = true
	}
	if sel != nil {
		ok := false
		if fast {
			var items []SelectItem
			if items, ok = fastSelect(sel.Value, q.Select); ok {
				q.Select = items
			}
		}
		if !ok {
			s := st.get()
			if err := run(s, sel.Value, "select parameter", sel.Value, func() res {
				var r res
				q.Select, r = s.fieldForest()
				return r
			}); err != nil {
				return err
			}
		}
	}
	if nFilters > cap(q.Filters) {
		q.Filters = make([]Filter, 0, nFilters)
	}
	for i := range q.Params {
		p := &q.Params[i]
		if !p.HasValue || paramKind(p) != kindFilter || q.IsAfterParam(p) {
			continue
		}
		path, field, err := parseTreePath(&st, p.Key, fast)
		if err != nil {
			return err
		}
		var e OpExpr
		ok := false
		if fast {
			e, ok = fastOpExpr(p.Value)
		}
		if !ok && q.callRead {
			// PostgREST's pOpExpr <|> pure (NoOpExpr v): a value that
			// fails before consuming anything is an argument.
			s := st.get()
			*s = pstate{in: p.Value}
			var r res
			e, r = s.opExpr(false)
			if !r.ok && !r.consumed {
				q.CallArgs = append(q.CallArgs, Param{Key: field.Name, Value: p.Value, HasValue: true})
				continue
			}
			ok = r.ok
		}
		if !ok {
			s := st.get()
			if err := run(s, p.Value, "filter", p.Value, func() res {
				var r res
				e, r = s.opExpr(false)
				return r
			}); err != nil {
				return err
			}
		}
		q.Filters = append(q.Filters, Filter{Path: path, Field: field, Expr: e})
	}
	if onConflict != nil {
		s := st.get()
		if err := run(s, onConflict.Value, "on_conflict parameter", onConflict.Value, func() res {
			var r res
			q.OnConflict, r = s.columns()
			return r
		}); err != nil {
			return err
		}
		q.HasOnConflict = true
	}
	if dist != nil {
		var err error
		if q.Distinct, q.DistinctOn, err = parseDistinct(&st, dist.Value); err != nil {
			return err
		}
	}
	for i := range q.Params {
		p := &q.Params[i]
		if paramKind(p) != kindDistinct {
			continue
		}
		path, _, err := parseTreePath(&st, p.Key, fast)
		if err != nil {
			return err
		}
		d := DistinctParam{Path: path}
		if d.Kind, d.On, err = parseDistinct(&st, p.Value); err != nil {
			return err
		}
		q.EmbedDistinct = append(q.EmbedDistinct, d)
	}
	return q.parseRanges(&st, fast)
}

// isCursor reports whether p, named "after", is a keyset cursor: a JSON
// object, where a filter's value starts with an operator. A function's
// arguments keep the name.
func (q *Query) isCursor(p *Param) bool {
	return !q.callRead && p.HasValue && strings.HasPrefix(p.Value, "{")
}

// IsAfterParam reports whether p is the keyset cursor that q took.
func (q *Query) IsAfterParam(p *Param) bool {
	return q.HasAfter && p.Key == "after" && p.Value == q.After && q.isCursor(p)
}

// lazyState allocates the full parser's state on first use: the fast
// path needs none.
type lazyState struct{ s *pstate }

func (l *lazyState) get() *pstate {
	if l.s == nil {
		l.s = &pstate{}
	}
	return l.s
}

// run parses input with p; on failure it parses again with messages on to
// build PostgREST's error, "failed to parse <what> (<shown>)". Parsing need
// not reach the end of the input.
func run(s *pstate, input, what, shown string, p func() res) error {
	*s = pstate{in: input}
	if p().ok {
		return nil
	}
	*s = pstate{in: input, verbose: true}
	what = "failed to parse " + what + " (" + shown + ")"
	r := p()
	if r.ok { // cannot happen: messages never change control flow
		return apierr.QueryParam("\""+what+"\"", "unknown parse error")
	}
	return s.failure(what, r.err)
}

// parseDistinct parses the distinct parameter's value: empty (or a bare
// "distinct") for SELECT DISTINCT, on(col,...) for DISTINCT ON.
func parseDistinct(st *lazyState, v string) (Distinct, []string, error) {
	if v == "" {
		return DistinctAll, nil, nil
	}
	inner, ok := strings.CutPrefix(v, "on(")
	if ok {
		inner, ok = strings.CutSuffix(inner, ")")
	}
	if ok {
		s := st.get()
		*s = pstate{in: inner}
		cols, r := s.columns()
		if r.ok && s.pos == len(inner) {
			return DistinctOn, cols, nil
		}
	}
	return 0, nil, apierr.QueryParam("\"failed to parse distinct parameter ("+v+")\"",
		"expected an empty value or on(column,...)")
}

type paramKindT uint8

const (
	kindFilter paramKindT = iota
	kindReserved
	kindOrder
	kindLimit
	kindOffset
	kindLogic
	kindDistinct // an embed's distinct (the root's is reserved)
)

// paramKind classifies a parameter by its key's last dot-separated word.
func paramKind(p *Param) paramKindT {
	key := p.Key
	switch key {
	case "select", "columns", "on_conflict":
		return kindReserved
	case "distinct":
		if distinctForm(p) {
			return kindReserved
		}
		return kindFilter
	}
	last := key[strings.LastIndexByte(key, '.')+1:]
	switch last {
	case "order":
		return kindOrder
	case "limit":
		return kindLimit
	case "offset":
		return kindOffset
	case "and", "or":
		return kindLogic
	case "distinct":
		if distinctForm(p) {
			return kindDistinct
		}
	}
	return kindFilter
}

// distinctForm reports whether a parameter named distinct (or
// embed.distinct) has one of the distinct parameter's forms: no value or
// an empty one (DISTINCT), or on(...) (DISTINCT ON). Any other value is a
// filter's (operator.value, and no operator is "on"), so a column named
// distinct stays filterable, as in PostgREST, whether db-distinct-enabled
// is on or off.
func distinctForm(p *Param) bool {
	return !p.HasValue || p.Value == "" || strings.HasPrefix(p.Value, "on(")
}

// parseTreePath parses a filter/order/limit key: embed path and field.
func parseTreePath(st *lazyState, key string, fast bool) ([]string, Field, error) {
	if fast {
		if path, field, ok := fastTreePath(key); ok {
			return path, field, nil
		}
	}
	s := st.get()
	var (
		path  []string
		field Field
	)
	err := run(s, key, "tree path", key, func() res {
		var r res
		path, field, r = s.treePath()
		return r
	})
	return path, field, err
}

// parseLogicParam parses key=value of an and/or parameter. The key's last
// word (with a "not" anywhere before it) is prefixed to the value, as in
// PostgREST, so error columns count from that prefix.
func parseLogicParam(s *pstate, key, value string) (LogicParam, error) {
	var names []string
	if err := run(s, key, "logic path", key, func() res {
		var r res
		names, r = s.logicPath()
		return r
	}); err != nil {
		return LogicParam{}, err
	}
	op := names[len(names)-1]
	var path []string
	neg := false
	for _, n := range names[:len(names)-1] {
		if n != "not" {
			path = append(path, n)
		}
	}
	for _, n := range names {
		if n == "not" {
			neg = true
		}
	}
	if neg {
		op = "not." + op
	}
	var tree Logic
	err := run(s, op+value, "logic tree", value, func() res {
		var r res
		tree, r = s.logicTree()
		return r
	})
	return LogicParam{Path: path, Tree: tree}, err
}

// logicPath is fieldName `sepBy1` delimiter.
func (s *pstate) logicPath() ([]string, res) {
	return sepBy1(s, nil, (*pstate).fieldName, (*pstate).delimiter)
}

// nnRange is a range of row numbers [lo, hi] (hi = +inf when inf).
type nnRange struct {
	lo, hi int64
	inf    bool
}

var allRows = nnRange{lo: 0, inf: true}

func (r nnRange) empty() bool { return !r.inf && r.hi < r.lo }

// limit is the number of rows of a bounded range.
func (r nnRange) limit() (int64, bool) {
	if r.inf {
		return 0, false
	}
	return satAdd(satSub(r.hi, r.lo), 1), true
}

// parseRanges applies limit/offset parameters like PostgREST's QueryParams
// and ApiRequest: the last of each key wins, unreadable numbers are ignored,
// a negative offset is clamped by intersecting with [0, inf), and a range
// that ends up empty (other than limit=0) is PGRST103.
func (q *Query) parseRanges(st *lazyState, fast bool) error {
	type kv struct {
		key            string
		limit, offset  int64
		hasL, hasO     bool // the parameter is present
		validL, validO bool // and its value a number
	}
	var buf [4]kv // on the stack: a query names few ranges
	ranges := buf[:0]
	for i := range q.Params {
		p := &q.Params[i]
		if !p.HasValue {
			continue
		}
		kind := paramKind(p)
		if kind != kindLimit && kind != kindOffset {
			continue
		}
		key := p.Key
		if kind == kindOffset {
			if key == "offset" {
				key = "limit" // the common case, without a concatenation
			} else {
				key = key[:len(key)-len("offset")] + "limit"
			}
		}
		j := 0
		for j < len(ranges) && ranges[j].key != key {
			j++
		}
		if j == len(ranges) {
			ranges = append(ranges, kv{key: key})
		}
		e := &ranges[j]
		if kind == kindLimit {
			e.hasL = true
			e.limit, e.validL = readInteger(p.Value)
		} else {
			e.hasO = true
			e.offset, e.validO = readInteger(p.Value)
		}
	}
	top := allRows
	topLimit := allRows
	for _, e := range ranges {
		var r nnRange
		switch {
		case e.hasL && e.hasO:
			l, o := int64(0), int64(0)
			if e.validL {
				l = e.limit
			}
			if e.validO {
				o = e.offset
			}
			r = nnRange{lo: o, hi: satSub(satAdd(o, l), 1)}
			if l > 0 && r.hi < o {
				r.hi = math.MaxInt64 // o+l saturated: not empty, unbounded
			}
		case e.hasL:
			r = allRows
			if e.validL {
				r.hi, r.inf = satSub(e.limit, 1), false
			}
		default:
			r = allRows
			if e.validO {
				r.lo = e.offset
			}
		}
		if e.key == "limit" {
			topLimit = r
			continue
		}
		path, _, err := parseTreePath(st, e.key, fast)
		if err != nil {
			return err
		}
		rp := RangeParam{Path: path, Offset: r.lo, HasLimit: !r.inf, HasOffset: e.hasO}
		if l, ok := r.limit(); ok {
			rp.Limit = l
		}
		q.Ranges = append(q.Ranges, rp)
	}
	// Intersect with [0, inf); limit=0 (upper bound -1) passes as is.
	limitZero := !topLimit.inf && topLimit.hi == -1
	top = topLimit
	if top.lo < 0 {
		top.lo = 0
	}
	if limitZero {
		top = nnRange{lo: 0, hi: -1}
	}
	if top.empty() && !limitZero {
		return apierr.NegativeLimit()
	}
	if top != allRows {
		q.HasRange = true
		q.Offset = top.lo
		if l, ok := top.limit(); ok {
			q.Limit = l
		}
	}
	return nil
}

// readInteger reads an optionally signed decimal integer surrounded by
// optional whitespace (Haskell's readMaybe); false when it is not one.
// Out-of-range values saturate.
func readInteger(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	neg := false
	if strings.HasPrefix(v, "-") {
		neg = true
		v = strings.TrimLeft(v[1:], " \t\n\r")
	}
	if v == "" {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		n = math.MaxInt64
	}
	if neg {
		n = -n
	}
	return n, true
}

func satAdd(a, b int64) int64 {
	c := a + b
	if a > 0 && b > 0 && c < 0 {
		return math.MaxInt64
	}
	if a < 0 && b < 0 && c >= 0 {
		return math.MinInt64
	}
	return c
}

func satSub(a, b int64) int64 {
	if b == math.MinInt64 {
		return satAdd(satAdd(a, math.MaxInt64), 1)
	}
	return satAdd(a, -b)
}

// splitQuery splits and decodes a query string like WAI's
// parseQueryReplacePlus: a leading '?' is dropped, pairs are separated by
// '&' or ';', '+' is a space and %XX a byte. Invalid UTF-8 becomes U+FFFD.
func splitQuery(raw string, dst []Param) []Param {
	raw = strings.TrimPrefix(raw, "?")
	if dst == nil && raw != "" {
		n := 1
		for i := 0; i < len(raw); i++ {
			if raw[i] == '&' || raw[i] == ';' {
				n++
			}
		}
		dst = make([]Param, 0, n)
	}
	for raw != "" {
		i := strings.IndexAny(raw, "&;")
		pair := raw
		if i >= 0 {
			pair, raw = raw[:i], raw[i+1:]
		} else {
			raw = ""
		}
		var p Param
		if j := strings.IndexByte(pair, '='); j >= 0 {
			p.Key, p.Value, p.HasValue = urlDecode(pair[:j]), urlDecode(pair[j+1:]), true
		} else {
			p.Key = urlDecode(pair)
		}
		dst = append(dst, p)
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// urlDecode decodes '+' and %XX; a '%' not followed by two hex digits stays.
func urlDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		if utf8.ValidString(s) {
			return s
		}
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '+':
			b = append(b, ' ')
			continue
		case '%':
			if i+2 < len(s) {
				h, ok1 := unhex(s[i+1])
				l, ok2 := unhex(s[i+2])
				if ok1 && ok2 {
					b = append(b, h<<4|l)
					i += 2
					continue
				}
			}
		}
		b = append(b, c)
	}
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(b)
}
