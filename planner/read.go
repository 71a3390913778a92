package planner

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/sqltext"
)

// ReadOptions are the settings a read plan depends on besides the query.
type ReadOptions struct {
	// Schema is the exposed schema the request targets.
	Schema string
	// MaxRows caps the number of rows (db-max-rows); 0 means no cap.
	MaxRows int64
	// Head builds no body (HEAD requests).
	Head bool
	// Count is the Prefer: count mode; Body the media type's rendering
	// (see envelope.go).
	Count Count
	Body  Body
	// Handler is the media type handler of BodyHandler.
	Handler *cache.MediaHandler
	// LegacyTargetNames lets filters, orders and limits name an aliased
	// embed by its relation (url-use-legacy-target-names).
	LegacyTargetNames bool
}

// Statement is one SQL statement and its arguments (see Plan.AppendArgs
// for their form and lifetime).
type Statement struct {
	SQL  string
	Args [][]byte
}

// Plan is the SQL text for one request shape plus what is needed to bind
// the values of any query of that shape. A Plan is immutable and safe for
// concurrent use; it stays valid as long as the schema cache it was built
// from (column types decide to_jsonb and to_tsvector wrapping).
type Plan struct {
	SQL     string
	maxRows int64
	limit   bool  // the statement ends its source query with LIMIT/OFFSET
	tree    *node // the resolved select tree (embeds)
	// Warning is the text of the Warning header the response carries
	// (without the "299 agent" prefix), empty for none: PostgREST's
	// deprecation notice when a filter, order or limit named an aliased
	// embed by its relation.
	Warning string
	envelope
}

// PlanRead plans a GET/HEAD on the table or view target of o.Schema.
// It is NewReadPlan followed by AppendArgs.
func PlanRead(q *Query, s *cache.Schema, target string, o ReadOptions) (*Statement, error) {
	p, err := NewReadPlan(q, s, target, o)
	if err != nil {
		return nil, err
	}
	args, _ := p.AppendArgs(nil, nil, q)
	return &Statement{SQL: p.SQL, Args: args}, nil
}

// NewReadPlan resolves q against the schema cache and builds the SQL text.
// Queries with equal AppendReadKey keys get equal plans, so a plan can be
// cached under that key and reused with AppendArgs.
//
// Unknown columns are not rejected here: like PostgREST, the statement
// names them and PostgreSQL answers 42703 ("column films.foo does not
// exist"), which the server maps to 400.
func NewReadPlan(q *Query, s *cache.Schema, target string, o ReadOptions) (*Plan, error) {
	var rel *cache.Relation
	if s != nil {
		rel = s.Relation(o.Schema, target)
	}
	if rel == nil {
		return nil, apierr.TableNotFound(o.Schema, target, suggestTable(s, o.Schema, target))
	}
	tree, err := planTree(q, s, rel, o.Schema, o.LegacyTargetNames)
	if err != nil {
		return nil, err
	}
	b := builder{rel: rel, buf: make([]byte, 0, 512), tree: tree}
	b.read(q, o)
	return &Plan{SQL: string(b.buf), maxRows: o.MaxRows, limit: q.HasRange || o.MaxRows > 0, tree: tree,
		Warning: legacyWarning(tree), envelope: b.env}, nil
}

// AppendReadKey appends the plan cache key of a read: the query's shape
// plus everything else NewReadPlan depends on. The caller must also drop
// cached plans when the schema cache is replaced.
func AppendReadKey(dst []byte, q *Query, target string, o ReadOptions) []byte {
	dst = append(dst, 'R')
	if o.Head {
		dst = append(dst, 'H')
	}
	dst = appendKeyStr(dst, o.Schema)
	dst = appendKeyStr(dst, target)
	dst = strconv.AppendInt(dst, o.MaxRows, 10)
	dst = appendEnvelopeKey(dst, o)
	if o.LegacyTargetNames {
		dst = append(dst, 'L')
	}
	dst = append(dst, ';')
	return q.ShapeKey(dst)
}

// builder appends SQL text and collects the arguments in bind order.
type builder struct {
	buf  []byte
	args args
	rel  *cache.Relation
	env  envelope // filled by envelope()
	// tree is the resolved select tree; cur the level being written, whose
	// relation is rel and whose columns are qualified by alias (the
	// schema-qualified name of rel when empty: the root).
	tree  *node
	cur   *node
	alias string
	// dry builders only collect arguments (AppendArgs of the embeds'
	// joins and of the count query).
	dry bool
}

// param adds the argument s and returns its placeholder number.
func (b *builder) param(s string) int {
	b.args.str(s)
	return len(b.args.vals)
}

// limitParams adds the arguments of LIMIT l (ALL when l < 0) OFFSET off
// and appends their placeholders.
func (b *builder) limitParams(l, off int64) {
	b.str(" LIMIT ")
	b.args.limit(l)
	b.ph(len(b.args.vals))
	b.str(" OFFSET ")
	b.args.num(off)
	b.ph(len(b.args.vals))
}

// filterParam adds the argument of e's operand and returns its placeholder
// number. e has one (its operator is not "is").
func (b *builder) filterParam(e *OpExpr) int {
	b.args.filter(e)
	return len(b.args.vals)
}

func (b *builder) ph(n int) {
	if b.dry {
		return
	}
	b.buf = append(b.buf, '$')
	b.buf = strconv.AppendInt(b.buf, int64(n), 10)
}

func (b *builder) str(s string) {
	if !b.dry {
		b.buf = append(b.buf, s...)
	}
}

func (b *builder) ident(s string) {
	if !b.dry {
		b.buf = sqltext.AppendIdent(b.buf, s)
	}
}

func (b *builder) qualified() {
	if b.alias != "" {
		b.ident(b.alias)
		return
	}
	b.ident(b.rel.Schema)
	b.str(".")
	b.ident(b.rel.Name)
}

func (b *builder) column(name string) {
	b.qualified()
	if name == "*" {
		b.str(".*")
		return
	}
	b.str(".")
	b.ident(name)
}

// field renders a column with its JSON path. Columns that are not json or
// jsonb (or are unknown) go through to_jsonb first, as in PostgREST.
func (b *builder) field(f Field) {
	if len(f.JSON) == 0 {
		b.column(f.Name)
		return
	}
	col := b.rel.Column(f.Name)
	if col == nil || (col.Type != "json" && col.Type != "jsonb") {
		b.str("to_jsonb(")
		b.column(f.Name)
		b.str(")")
	} else {
		b.column(f.Name)
	}
	b.jsonPath(f.JSON)
}

// whereClause returns the separator of a WHERE clause: its first call
// appends " WHERE ", the later ones " AND ".
func (b *builder) whereClause() func() {
	first := true
	return func() {
		if first {
			b.str(" WHERE ")
			first = false
		} else {
			b.str(" AND ")
		}
	}
}

// nodeConditions appends the filters and logic trees of node n.
func (b *builder) nodeConditions(q *Query, n *node, where func()) {
	for _, i := range n.filters {
		where()
		b.filter(&q.Filters[i])
	}
	for _, i := range n.logic {
		where()
		b.logic(&q.Logic[i].Tree)
	}
}

func (b *builder) read(q *Query, o ReadOptions) {
	if b.tree == nil {
		t, err := planTree(q, nil, b.rel, o.Schema, o.LegacyTargetNames)
		if err != nil {
			t = rootNode(b.rel)
		}
		b.tree = t
	}
	root := b.tree
	b.cur = root
	b.str("WITH pgrst_source AS (SELECT ")
	b.selectList(q, q.Select, root)
	b.str(" FROM ")
	b.qualified()
	b.joins(q, q.Select, root, o.MaxRows)
	where := b.whereClause()
	b.nodeConditions(q, root, where)
	b.orderBy(q, root)
	if q.HasRange || o.MaxRows > 0 {
		b.limitParams(limitOffset(q, o.MaxRows))
	}
	b.envelope(q, o)
}

// limitOffset are the LIMIT and OFFSET arguments: the requested limit
// capped by maxRows (-1: LIMIT ALL) and the offset.
func limitOffset(q *Query, maxRows int64) (limit, offset int64) {
	limit = q.Limit
	if maxRows > 0 && (limit < 0 || limit > maxRows) {
		limit = maxRows
	}
	return limit, q.Offset
}

func (b *builder) selectItem(it *SelectItem) {
	if it.Field.Name == "*" && len(it.Field.JSON) == 0 {
		b.star()
		return
	}
	// A column of a domain with a json representation is selected through
	// its cast function, under the column's name unless aliased.
	var rep *cache.Column
	if len(it.Field.JSON) == 0 {
		if c := b.rel.Column(it.Field.Name); c != nil && c.ToJSON.Name != "" {
			rep = c
		}
	}
	if it.Cast != "" {
		b.str("CAST(")
	}
	if rep != nil {
		b.qname(rep.ToJSON)
		b.str("(")
		b.field(it.Field)
		b.str(")")
	} else {
		b.field(it.Field)
	}
	if it.Cast != "" {
		b.str(" AS ")
		if !b.dry {
			b.buf = appendCastType(b.buf, it.Cast)
		}
		b.str(")")
	}
	alias := outputName(it)
	if alias == "" && rep != nil {
		alias = rep.Name
	}
	if alias != "" {
		b.str(" AS ")
		b.ident(alias)
	}
}

// star appends the columns "*" selects from the current relation: all of
// them at once, or, when one has a json representation (see selectItem),
// each by name so that those go through their cast function.
func (b *builder) star() {
	if !hasJSONRep(b.rel) {
		b.column("*")
		return
	}
	for i, c := range b.rel.Columns {
		if i > 0 {
			b.str(", ")
		}
		b.outColumn(c)
	}
}

// outColumn appends column c as selected output: through its json
// representation's function when it has one, named as the column.
func (b *builder) outColumn(c *cache.Column) {
	if c.ToJSON.Name == "" {
		b.column(c.Name)
		return
	}
	b.qname(c.ToJSON)
	b.str("(")
	b.column(c.Name)
	b.str(") AS ")
	b.ident(c.Name)
}

func hasJSONRep(rel *cache.Relation) bool {
	for _, c := range rel.Columns {
		if c.ToJSON.Name != "" {
			return true
		}
	}
	return false
}

// textRep is the function parsing a filter value on field f into its
// column's domain (its text representation), or nil.
func (b *builder) textRep(f *Field) *cache.QName {
	if len(f.JSON) > 0 {
		return nil
	}
	if c := b.rel.Column(f.Name); c != nil && c.FromText.Name != "" {
		return &c.FromText
	}
	return nil
}

// outputName is the alias of a select field: the explicit one, or for a JSON
// path the last key (the last key before trailing indexes, else the column).
func outputName(it *SelectItem) string {
	if it.Alias != "" {
		return it.Alias
	}
	path := it.Field.JSON
	if len(path) == 0 {
		return ""
	}
	for i := len(path) - 1; i >= 0; i-- {
		if !path[i].Index {
			return path[i].Key
		}
	}
	return it.Field.Name
}

var opSQL = [...]string{
	OpEq: "=", OpGte: ">=", OpGt: ">", OpLte: "<=", OpLt: "<",
	OpLike: "LIKE", OpILike: "ILIKE", OpMatch: "~", OpIMatch: "~*",
	OpNeq: "<>", OpCs: "@>", OpCd: "<@", OpOv: "&&", OpSl: "<<", OpSr: ">>",
	OpNxr: "&<", OpNxl: "&>", OpAdj: "-|-",
	OpFts: "to_tsquery", OpPlFts: "plainto_tsquery", OpPhFts: "phraseto_tsquery", OpWFts: "websearch_to_tsquery",
}

var isSQL = [...]string{IsNull: " IS NULL", IsNotNull: " IS NOT NULL", IsTrue: " IS TRUE", IsFalse: " IS FALSE", IsUnknown: " IS UNKNOWN"}

func (b *builder) filter(f *Filter) {
	e := &f.Expr
	if c := b.cur.embedFilter(f); c != nil {
		b.embedNullFilter(c, e)
		return
	}
	if e.Not {
		b.str("NOT (")
	}
	lang := 0
	if e.Op.isFts() {
		// The language is bound first, whatever its place in the text.
		if e.HasLang {
			lang = b.param(e.Lang)
		}
		// A column of another type goes through to_tsvector. An unknown
		// name is left as is, as in PostgREST: PostgreSQL resolves a
		// computed column (a function of the row type, maybe returning
		// tsvector) and reports anything else.
		if col := b.rel.Column(f.Field.Name); col == nil || col.BaseType == "tsvector" {
			b.field(f.Field)
		} else {
			b.str("to_tsvector(")
			if lang > 0 {
				b.ph(lang)
				b.str(", ")
			}
			b.field(f.Field)
			b.str(")")
		}
	} else {
		b.field(f.Field)
	}
	switch {
	case e.Op == OpIs:
		b.str(isSQL[e.Is])
	case e.Op == OpIn:
		b.str(" = ANY(")
		if fn := b.textRep(&f.Field); fn != nil {
			// Each element through the domain's text parser.
			b.str("(SELECT ")
			b.qname(*fn)
			b.str("(unnest(")
			b.ph(b.filterParam(e))
			b.str("::text[])))")
		} else {
			b.ph(b.filterParam(e))
		}
		b.str(")")
	case e.Op == OpIsDistinct:
		b.str(" IS DISTINCT FROM ")
		b.ph(b.filterParam(e))
	case e.Op.isFts():
		b.str(" @@ ")
		b.str(opSQL[e.Op])
		b.str("(")
		if lang > 0 {
			b.ph(lang)
			b.str(", ")
		}
		b.ph(b.filterParam(e))
		b.str(")")
	default:
		b.str(" ")
		b.str(opSQL[e.Op])
		b.str(" ")
		switch e.Quant {
		case QuantAny:
			b.str("ANY(")
		case QuantAll:
			b.str("ALL(")
		}
		// The value goes through the domain's text parser, as in
		// PostgREST (not a LIKE pattern).
		var fn *cache.QName
		if e.Op != OpLike && e.Op != OpILike {
			fn = b.textRep(&f.Field)
		}
		if fn != nil {
			b.qname(*fn)
			b.str("(")
		}
		b.ph(b.filterParam(e))
		if fn != nil {
			b.str(")")
		}
		if e.Quant != QuantNone {
			b.str(")")
		}
	}
	if e.Not {
		b.str(")")
	}
}

func (b *builder) logic(l *Logic) { b.logicTree(l, nil) }

// logicTree appends a logic tree; its leaves are filters, or count
// conditions when q is set (countFilter).
func (b *builder) logicTree(l *Logic, q *Query) {
	if l.Leaf != nil {
		if q != nil {
			b.countFilter(q, l.Leaf)
		} else {
			b.filter(l.Leaf)
		}
		return
	}
	if l.Not {
		b.str("NOT ")
	}
	b.str("(")
	for i := range l.Children {
		if i > 0 {
			if l.Or {
				b.str(" OR ")
			} else {
				b.str(" AND ")
			}
		}
		b.logicTree(&l.Children[i], q)
	}
	b.str(")")
}

func (b *builder) orderTerm(t *OrderTerm) {
	if t.Relation != "" {
		b.relOrderField(t)
	} else {
		b.field(t.Field)
	}
	b.orderSuffix(t)
}

// AppendArgs appends the arguments of q for this plan to dst, in
// placeholder order, and returns the extended slice and scratch. q must
// have the shape the plan was built for (equal AppendReadKey keys).
//
// The arguments are in PostgreSQL's text format, to be sent with an
// unspecified type so that PostgreSQL infers each type from the statement
// and parses the text: a nil slice is NULL, an empty non-nil slice the
// empty string. Most alias q's strings without copying (in the server,
// the request's memory); the computed ones (limits, LIKE patterns,
// in-lists) are appended to scratch, which the caller reuses from call to
// call. So the arguments are valid, and must not be modified, only while
// q's strings and scratch are unchanged: send them, then drop them. With
// reused dst and scratch a repeated query shape binds without allocating.
//
// AppendArgs walks q in the order the builder numbered the placeholders:
// select JSON keys, the embeds' joins (bindJoins), root filters (fts
// language, JSON keys, operand), logic trees, order JSON keys, limit,
// offset, then the count query's (bindEnvelope).
func (p *Plan) AppendArgs(dst [][]byte, scratch []byte, q *Query) ([][]byte, []byte) {
	a := args{vals: dst, buf: scratch}
	for i := range q.Select {
		a.keys(q.Select[i].Field.JSON)
	}
	root := p.tree
	if len(root.children) > 0 {
		p.bindJoins(&a, q)
	}
	for _, i := range root.filters {
		a.filterArgs(&q.Filters[i])
	}
	for _, i := range root.logic {
		a.logicArgs(&q.Logic[i].Tree)
	}
	if root.order >= 0 {
		terms := q.Order[root.order].Terms
		for i := range terms {
			a.keys(terms[i].Field.JSON)
		}
	}
	if p.limit {
		l, off := limitOffset(q, p.maxRows)
		a.limit(l)
		a.num(off)
	}
	p.bindEnvelope(&a, q)
	return a.vals, a.buf
}

// args collects a statement's arguments in the form AppendArgs describes.
type args struct {
	vals [][]byte
	buf  []byte // the computed values' text
}

// emptyText is the empty string as an argument (a nil slice is NULL).
var emptyText = []byte{}

// str appends s without copying it.
func (a *args) str(s string) {
	if s == "" {
		a.vals = append(a.vals, emptyText)
		return
	}
	a.vals = append(a.vals, unsafe.Slice(unsafe.StringData(s), len(s)))
}

// limit appends the argument of LIMIT n: NULL (LIMIT ALL) when n < 0.
func (a *args) limit(n int64) {
	if n < 0 {
		a.vals = append(a.vals, nil)
		return
	}
	a.num(n)
}

// num appends n in decimal.
func (a *args) num(n int64) {
	start := len(a.buf)
	a.buf = strconv.AppendInt(a.buf, n, 10)
	a.computed(start)
}

// computed appends a.buf[start:] as an argument. The full slice expression
// keeps an append to one value from overwriting the next; a value stays
// valid when a.buf grows into a new array.
func (a *args) computed(start int) {
	end := len(a.buf)
	if start == end {
		a.vals = append(a.vals, emptyText)
		return
	}
	a.vals = append(a.vals, a.buf[start:end:end])
}

// filter appends the argument of e's operand: the in-list as an array
// literal, a LIKE pattern with '*' as '%', else the value. Operator "is"
// has none.
func (a *args) filter(e *OpExpr) {
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

func (a *args) keys(path []JSONStep) {
	for _, st := range path {
		a.str(st.Key)
	}
}

func (a *args) filterArgs(f *Filter) {
	if f.Expr.Op.isFts() && f.Expr.HasLang {
		a.str(f.Expr.Lang)
	}
	a.keys(f.Field.JSON)
	a.filter(&f.Expr)
}

func (a *args) logicArgs(l *Logic) {
	if l.Leaf != nil {
		a.filterArgs(l.Leaf)
		return
	}
	for i := range l.Children {
		a.logicArgs(&l.Children[i])
	}
}

// orderSuffix appends an order term's direction and nulls placement.
func (b *builder) orderSuffix(t *OrderTerm) {
	switch t.Dir {
	case DirAsc:
		b.str(" ASC")
	case DirDesc:
		b.str(" DESC")
	}
	switch t.Nulls {
	case NullsFirst:
		b.str(" NULLS FIRST")
	case NullsLast:
		b.str(" NULLS LAST")
	}
}

// jsonPath appends the -> / ->> steps of a JSON path, each key a parameter.
func (b *builder) jsonPath(steps []JSONStep) {
	for _, st := range steps {
		if st.Text {
			b.str("->>")
		} else {
			b.str("->")
		}
		b.ph(b.param(st.Key))
		if st.Index {
			b.str("::int")
		}
	}
}
