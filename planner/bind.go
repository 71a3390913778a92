package planner

import (
	"strconv"
	"strings"
	"unsafe"
)

// Binding a cached plan. When the builder writes a placeholder $n it
// records, as step n of the plan's bind program, where the value of $n
// comes from: a slot of the query (a JSON key, a filter's operand or fts
// language, an embed's range) or a number computed from the query and the
// plan (the top-level LIMIT and OFFSET). Slots are numbered by one walk of
// the query (walkSlots) that depends only on its shape, so for any query
// with the plan's shape key, slot k is the same part of the request, and
// binding is that walk plus a loop over the program.

// slotKind says how a bind step renders its value.
type slotKind uint8

const (
	bindKey          slotKind = iota // a JSON path key (keys[slot].Key)
	bindOperand                      // a filter's operand (exprs[slot], see args.filter)
	bindLang                         // an fts filter's language (exprs[slot].Lang)
	bindEmbedLimit                   // an embed's LIMIT (ranges[slot], -1 for none)
	bindEmbedOffset                  // an embed's OFFSET
	bindLimit                        // the top-level LIMIT
	bindOffset                       // the top-level OFFSET
	bindCallArg                      // a call's argument (Query.CallArgs[slot].Value)
	bindCallVariadic                 // a variadic argument: every CallArgs named as CallArgs[slot]
	bindBody                         // the request's body (Payload.JSON); slot bodyHex: as a bytea literal
	bindAfter                        // the keyset cursor (Query.After)
	bindNextLimit                    // LIMIT of the next page's cursor: 1, or 0 for an empty page
	bindNextOffset                   // its OFFSET: the page's last row
)

// bindStep is one placeholder of a statement.
type bindStep struct {
	kind slotKind
	slot int32
}

// slots are the parts of one query that bind values, in walkSlots order,
// by kind.
type slots struct {
	keys   []*JSONStep
	exprs  []*OpExpr
	ranges []*RangeParam
}

func (s *slots) reset() {
	clear(s.keys)
	clear(s.exprs)
	clear(s.ranges)
	s.keys, s.exprs, s.ranges = s.keys[:0], s.exprs[:0], s.ranges[:0]
}

// walkSlots collects q's slots: select JSON keys (depth first), then for
// each filter its JSON keys and operator, then the logic trees' leaves the
// same way, the order terms' JSON keys and the embeds' ranges.
func (s *slots) walk(q *Query) {
	s.reset()
	s.selectKeys(q.Select)
	for i := range q.Filters {
		s.filter(&q.Filters[i])
	}
	for i := range q.Logic {
		s.logic(&q.Logic[i].Tree)
	}
	for i := range q.Order {
		for j := range q.Order[i].Terms {
			s.fieldKeys(&q.Order[i].Terms[j].Field)
		}
	}
	for i := range q.Ranges {
		s.ranges = append(s.ranges, &q.Ranges[i])
	}
}

func (s *slots) selectKeys(items []SelectItem) {
	for i := range items {
		s.fieldKeys(&items[i].Field)
		s.selectKeys(items[i].Children)
	}
}

func (s *slots) fieldKeys(f *Field) {
	for i := range f.JSON {
		s.keys = append(s.keys, &f.JSON[i])
	}
}

func (s *slots) filter(f *Filter) {
	s.fieldKeys(&f.Field)
	s.exprs = append(s.exprs, &f.Expr)
}

func (s *slots) logic(l *Logic) {
	if l.Leaf != nil {
		s.filter(l.Leaf)
		return
	}
	for i := range l.Children {
		s.logic(&l.Children[i])
	}
}

// slotIndex maps the slots of the query being planned to their numbers.
type slotIndex struct {
	keys   map[*JSONStep]int32
	exprs  map[*OpExpr]int32
	ranges map[*RangeParam]int32
}

func newSlotIndex(q *Query) *slotIndex {
	var s slots
	s.walk(q)
	x := &slotIndex{
		keys:   make(map[*JSONStep]int32, len(s.keys)),
		exprs:  make(map[*OpExpr]int32, len(s.exprs)),
		ranges: make(map[*RangeParam]int32, len(s.ranges)),
	}
	for i, p := range s.keys {
		x.keys[p] = int32(i)
	}
	for i, p := range s.exprs {
		x.exprs[p] = int32(i)
	}
	for i, p := range s.ranges {
		x.ranges[p] = int32(i)
	}
	return x
}

// Args is a statement's arguments, reused from request to request. Vals
// are in PostgreSQL's text format, to be sent with an unspecified type so
// that PostgreSQL infers each type from the statement and parses the text:
// a nil slice is NULL, an empty non-nil slice the empty string. Most alias
// the query's strings without copying (in the server, the request's
// memory); the computed ones (limits, LIKE patterns, in-lists) live in a
// buffer of Args. So Vals are valid, and must not be modified, only while
// the query is unchanged and until the next Bind: send them, then drop
// them. With a reused Args a repeated query shape binds without
// allocating.
type Args struct {
	Vals  [][]byte
	buf   []byte
	slots slots
}

// bind fills a with the values of prog for request r under plan p.
func (a *Args) bind(prog []bindStep, p *Plan, r *Request) {
	q := r.Query
	a.Vals, a.buf = a.Vals[:0], a.buf[:0]
	if len(prog) == 0 {
		return
	}
	a.slots.walk(q)
	for _, st := range prog {
		switch st.kind {
		case bindKey:
			a.str(a.slots.keys[st.slot].Key)
		case bindOperand:
			a.operand(a.slots.exprs[st.slot])
		case bindLang:
			a.str(a.slots.exprs[st.slot].Lang)
		case bindEmbedLimit, bindEmbedOffset:
			var r *RangeParam
			if st.slot >= 0 {
				r = a.slots.ranges[st.slot]
			}
			l, off := embedLimitOffset(r, p.maxRows)
			if st.kind == bindEmbedLimit {
				a.limit(l)
			} else {
				a.num(off)
			}
		case bindLimit:
			l, _ := limitOffset(q, p.maxRows)
			a.limit(l)
		case bindOffset:
			a.num(q.Offset)
		case bindAfter:
			a.str(q.After)
		case bindNextLimit, bindNextOffset:
			l, _ := limitOffset(q, p.maxRows) // >= 0: keyset reads have a page size
			if st.kind == bindNextLimit {
				a.num(min(l, 1))
			} else {
				a.num(satAdd(q.Offset, max(l-1, 0)))
			}
		case bindCallArg:
			a.str(q.CallArgs[st.slot].Value)
		case bindCallVariadic:
			a.callVariadic(q, st.slot)
		case bindBody:
			switch {
			case st.slot == bodyHex:
				a.hexBody(r.Payload.JSON)
			case r.Payload.JSON == nil:
				a.Vals = append(a.Vals, nil)
			default:
				a.Vals = append(a.Vals, r.Payload.JSON)
			}
		}
	}
	a.slots.reset() // drop the references to q
}

// emptyText is the empty string as an argument (a nil slice is NULL).
var emptyText = []byte{}

// str appends s without copying it.
func (a *Args) str(s string) {
	if s == "" {
		a.Vals = append(a.Vals, emptyText)
		return
	}
	a.Vals = append(a.Vals, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// limit appends the argument of LIMIT n: NULL (LIMIT ALL) when n < 0.
func (a *Args) limit(n int64) {
	if n < 0 {
		a.Vals = append(a.Vals, nil)
		return
	}
	a.num(n)
}

// num appends n in decimal.
func (a *Args) num(n int64) {
	start := len(a.buf)
	a.buf = strconv.AppendInt(a.buf, n, 10)
	a.computed(start)
}

// computed appends a.buf[start:] as an argument. The full slice expression
// keeps an append to one value from overwriting the next; a value stays
// valid when a.buf grows into a new array.
func (a *Args) computed(start int) {
	end := len(a.buf)
	if start == end {
		a.Vals = append(a.Vals, emptyText)
		return
	}
	a.Vals = append(a.Vals, a.buf[start:end:end])
}

// operand appends the argument of e's operand: the in-list as an array
// literal, a LIKE pattern with '*' as '%', else the value. Operator "is"
// has none.
func (a *Args) operand(e *OpExpr) {
	switch e.Op {
	case OpIs:
	case OpIn:
		start := len(a.buf)
		a.buf = appendInList(a.buf, e.List)
		a.computed(start)
	case OpLike, OpILike:
		if strings.IndexByte(e.Value, '*') < 0 {
			a.str(e.Value)
			return
		}
		start := len(a.buf)
		for i := 0; i < len(e.Value); i++ {
			if c := e.Value[i]; c == '*' {
				a.buf = append(a.buf, '%')
			} else {
				a.buf = append(a.buf, c)
			}
		}
		a.computed(start)
	default:
		a.str(e.Value)
	}
}

// Bind fills a with the arguments of the plan's statement for r, which
// must have the plan's shape (equal AppendKey keys).
func (p *Plan) Bind(a *Args, r *Request) { a.bind(p.args, p, r) }

// BindExplain fills a with the arguments of ExplainSQL for r.
func (p *Plan) BindExplain(a *Args, r *Request) { a.bind(p.explainArgs, p, r) }
