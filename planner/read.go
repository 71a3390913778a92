package planner

import (
	"strconv"
	"strings"

	"github.com/pgrst/pgrst/cache"
)

// ReadOptions are the settings a read plan depends on besides the query.
type ReadOptions struct {
	// Schema is the exposed schema the request targets.
	Schema string
	// MaxRows caps the number of rows (db-max-rows); 0 means no cap.
	MaxRows int64
	// Head builds no body (HEAD requests).
	Head bool
}

// Statement is one SQL statement and its arguments. Every argument is a Go
// string or nil, meant to be sent in text format with an unspecified type
// so that PostgreSQL infers the type from the statement and parses the text.
type Statement struct {
	SQL  string
	Args []any
}

// Plan is the SQL text for one request shape plus what is needed to bind
// the values of any query of that shape. A Plan is immutable and safe for
// concurrent use; it stays valid as long as the schema cache it was built
// from (column types decide to_jsonb and to_tsvector wrapping).
type Plan struct {
	SQL     string
	maxRows int64
	limit   bool // the statement ends its source query with LIMIT/OFFSET
	nArgs   int
}

// PlanRead plans a GET/HEAD on the table or view target of o.Schema.
// It is NewReadPlan followed by Bind.
func PlanRead(q *Query, s *cache.Schema, target string, o ReadOptions) (*Statement, error) {
	p, err := NewReadPlan(q, s, target, o)
	if err != nil {
		return nil, err
	}
	return &Statement{SQL: p.SQL, Args: p.Bind(q)}, nil
}

// NewReadPlan resolves q against the schema cache and builds the SQL text.
// Queries with equal AppendReadKey keys get equal plans, so a plan can be
// cached under that key and reused with Bind.
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
		return nil, errTableNotFound(o.Schema, target, suggestTable(s, o.Schema, target))
	}
	if err := checkUnplanned(q); err != nil {
		return nil, err
	}
	b := builder{rel: rel, buf: make([]byte, 0, 512)}
	b.read(q, o)
	return &Plan{SQL: string(b.buf), maxRows: o.MaxRows, limit: q.HasRange || o.MaxRows > 0, nArgs: len(b.args)}, nil
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
	dst = append(dst, ';')
	return q.ShapeKey(dst)
}

// checkUnplanned rejects the grammar that parses but is not planned yet,
// with the errors PostgREST gives where they do not depend on embedding.
func checkUnplanned(q *Query) error {
	// PostgREST resolves filter, order, limit and logic paths in that order,
	// each folding from the last parameter, so the last bad one is reported.
	for i := len(q.Filters) - 1; i >= 0; i-- {
		if err := checkPath(q.Select, q.Filters[i].Path); err != nil {
			return err
		}
	}
	for i := len(q.Order) - 1; i >= 0; i-- {
		if err := checkPath(q.Select, q.Order[i].Path); err != nil {
			return err
		}
	}
	for i := range q.Ranges {
		if err := checkPath(q.Select, q.Ranges[i].Path); err != nil {
			return err
		}
	}
	for i := len(q.Logic) - 1; i >= 0; i-- {
		if err := checkPath(q.Select, q.Logic[i].Path); err != nil {
			return err
		}
	}
	if q.hasEmbeds() {
		return errNotImplemented("Resource embedding and spreads are not implemented yet")
	}
	for _, op := range q.Order {
		if len(op.Path) > 0 {
			continue
		}
		for _, t := range op.Terms {
			if t.Relation != "" {
				return errNotEmbedded(t.Relation)
			}
		}
	}
	for _, it := range q.Select {
		if it.Agg != AggNone {
			return errAggregatesNotAllowed()
		}
	}
	return nil
}

// checkPath verifies that an embed path names embeds of the select tree
// (by alias, or by name when there is no alias).
func checkPath(items []SelectItem, path []string) error {
	for _, name := range path {
		var found *SelectItem
		for i := range items {
			it := &items[i]
			if it.Kind == SelectField {
				continue
			}
			target := it.Relation
			if it.Alias != "" {
				target = it.Alias
			}
			if target == name {
				found = it
				break
			}
		}
		if found == nil {
			return errNotEmbedded(name)
		}
		items = found.Children
	}
	return nil
}

// builder appends SQL text and collects the arguments in bind order.
type builder struct {
	buf  []byte
	args []any
	rel  *cache.Relation
}

// param adds an argument and returns its placeholder number.
func (b *builder) param(v any) int {
	b.args = append(b.args, v)
	return len(b.args)
}

func (b *builder) ph(n int) {
	b.buf = append(b.buf, '$')
	b.buf = strconv.AppendInt(b.buf, int64(n), 10)
}

func (b *builder) str(s string) { b.buf = append(b.buf, s...) }

func (b *builder) qualified() {
	b.buf = appendIdent(b.buf, b.rel.Schema)
	b.buf = append(b.buf, '.')
	b.buf = appendIdent(b.buf, b.rel.Name)
}

func (b *builder) column(name string) {
	b.qualified()
	b.buf = append(b.buf, '.')
	if name == "*" {
		b.buf = append(b.buf, '*')
		return
	}
	b.buf = appendIdent(b.buf, name)
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
	for _, st := range f.JSON {
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

func (b *builder) read(q *Query, o ReadOptions) {
	b.str("WITH pgrst_source AS (SELECT ")
	if len(q.Select) == 0 {
		b.column("*")
	}
	for i := range q.Select {
		if i > 0 {
			b.str(", ")
		}
		b.selectItem(&q.Select[i])
	}
	b.str(" FROM ")
	b.qualified()
	first := true
	where := func() {
		if first {
			b.str(" WHERE ")
			first = false
		} else {
			b.str(" AND ")
		}
	}
	for i := range q.Filters {
		where()
		b.filter(&q.Filters[i])
	}
	for i := range q.Logic {
		where()
		b.logic(&q.Logic[i].Tree)
	}
	if terms := rootOrder(q); len(terms) > 0 {
		b.str(" ORDER BY ")
		for i := range terms {
			if i > 0 {
				b.str(", ")
			}
			b.orderTerm(&terms[i])
		}
	}
	if q.HasRange || o.MaxRows > 0 {
		l, off := limitArgs(q, o.MaxRows)
		b.str(" LIMIT ")
		b.ph(b.param(l))
		b.str(" OFFSET ")
		b.ph(b.param(off))
	}
	b.str(") SELECT null::text AS total_result_set, pg_catalog.count(_pgrst_t)::text AS page_total, ")
	if o.Head {
		b.str("''::text AS body, ")
	} else {
		b.str("coalesce(json_agg(_pgrst_t), '[]')::text AS body, ")
	}
	b.str("nullif(current_setting('response.headers', true), '') AS response_headers, " +
		"nullif(current_setting('response.status', true), '') AS response_status " +
		"FROM (SELECT * FROM pgrst_source) _pgrst_t")
}

// rootOrder is the order of the root: PostgREST applies the order
// parameters from last to first, so the first one wins.
func rootOrder(q *Query) []OrderTerm {
	for i := range q.Order {
		if len(q.Order[i].Path) == 0 {
			return q.Order[i].Terms
		}
	}
	return nil
}

// limitArgs are the LIMIT and OFFSET arguments: the requested limit capped
// by maxRows (nil = LIMIT ALL) and the offset.
func limitArgs(q *Query, maxRows int64) (any, any) {
	var l any
	limit := q.Limit
	if maxRows > 0 && (limit < 0 || limit > maxRows) {
		limit = maxRows
	}
	if limit >= 0 {
		l = strconv.FormatInt(limit, 10)
	}
	return l, strconv.FormatInt(q.Offset, 10)
}

func (b *builder) selectItem(it *SelectItem) {
	if it.Field.Name == "*" && len(it.Field.JSON) == 0 {
		b.column("*")
		return
	}
	if it.Cast != "" {
		b.str("CAST(")
		b.field(it.Field)
		b.str(" AS ")
		b.buf = appendCastType(b.buf, it.Cast)
		b.str(")")
	} else {
		b.field(it.Field)
	}
	if alias := outputName(it); alias != "" {
		b.str(" AS ")
		b.buf = appendIdent(b.buf, alias)
	}
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

// filterValue is the argument of a filter's operand (nil when it has none).
func filterValue(e *OpExpr) (any, bool) {
	switch e.Op {
	case OpIs:
		return nil, false
	case OpIn:
		return arrayLiteral(e.List), true
	case OpLike, OpILike:
		return strings.ReplaceAll(e.Value, "*", "%"), true
	}
	return e.Value, true
}

func (b *builder) filter(f *Filter) {
	e := &f.Expr
	if e.Not {
		b.str("NOT (")
	}
	lang := 0
	if e.Op.isFts() {
		// The language is bound first, whatever its place in the text.
		if e.HasLang {
			lang = b.param(e.Lang)
		}
		if col := b.rel.Column(f.Field.Name); col != nil && col.BaseType == "tsvector" {
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
	v, _ := filterValue(e)
	switch {
	case e.Op == OpIs:
		b.str(isSQL[e.Is])
	case e.Op == OpIn:
		b.str(" = ANY(")
		b.ph(b.param(v))
		b.str(")")
	case e.Op == OpIsDistinct:
		b.str(" IS DISTINCT FROM ")
		b.ph(b.param(v))
	case e.Op.isFts():
		b.str(" @@ ")
		b.str(opSQL[e.Op])
		b.str("(")
		if lang > 0 {
			b.ph(lang)
			b.str(", ")
		}
		b.ph(b.param(v))
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
		b.ph(b.param(v))
		if e.Quant != QuantNone {
			b.str(")")
		}
	}
	if e.Not {
		b.str(")")
	}
}

func (b *builder) logic(l *Logic) {
	if l.Leaf != nil {
		b.filter(l.Leaf)
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
		b.logic(&l.Children[i])
	}
	b.str(")")
}

func (b *builder) orderTerm(t *OrderTerm) {
	b.field(t.Field)
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

// Bind returns the arguments of q for this plan. q must have the shape the
// plan was built for (equal AppendReadKey keys). It walks q in the order
// the builder numbered the placeholders: select JSON keys, filters (fts
// language, JSON keys, operand), logic trees, order JSON keys, limit, offset.
func (p *Plan) Bind(q *Query) []any {
	args := make([]any, 0, p.nArgs)
	for i := range q.Select {
		args = appendKeys(args, q.Select[i].Field.JSON)
	}
	for i := range q.Filters {
		args = appendFilterArgs(args, &q.Filters[i])
	}
	for i := range q.Logic {
		args = appendLogicArgs(args, &q.Logic[i].Tree)
	}
	terms := rootOrder(q)
	for i := range terms {
		args = appendKeys(args, terms[i].Field.JSON)
	}
	if p.limit {
		l, off := limitArgs(q, p.maxRows)
		args = append(args, l, off)
	}
	return args
}

func appendKeys(args []any, path []JSONStep) []any {
	for _, st := range path {
		args = append(args, st.Key)
	}
	return args
}

func appendFilterArgs(args []any, f *Filter) []any {
	if f.Expr.Op.isFts() && f.Expr.HasLang {
		args = append(args, f.Expr.Lang)
	}
	args = appendKeys(args, f.Field.JSON)
	if v, ok := filterValue(&f.Expr); ok {
		args = append(args, v)
	}
	return args
}

func appendLogicArgs(args []any, l *Logic) []any {
	if l.Leaf != nil {
		return appendFilterArgs(args, l.Leaf)
	}
	for i := range l.Children {
		args = appendLogicArgs(args, &l.Children[i])
	}
	return args
}
