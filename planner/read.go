package planner

import (
	"strconv"
	"strings"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/sqltext"
)

// Plan is the SQL text for one request shape plus the program that binds
// the values of any request of that shape (Bind). A Plan is immutable and
// safe for concurrent use; it stays valid as long as the schema cache it
// was built from (column types decide to_jsonb and to_tsvector wrapping).
// It keeps no memory of the request it was planned from.
type Plan struct {
	SQL     string
	args    []bindStep
	maxRows int64
	// ReadOnly says the statement runs in a read-only transaction.
	ReadOnly bool
	// Void says the plan calls a function returning void: the response
	// has no body (204).
	Void bool
	// Single says the plan calls a function returning one value or row
	// rather than a set (Void ones too).
	Single bool
	// FuncSettings are the called function's own settings, which the
	// caller may hoist to the transaction (db-hoisted-tx-settings).
	FuncSettings []cache.Setting
	// Warning is the text of the Warning header the response carries
	// (without the "299 agent" prefix), empty for none: PostgREST's
	// deprecation notice when a filter, order or limit named an aliased
	// embed by its relation.
	Warning string
	// ResolutionIgnored says an insert has no conflict target (no
	// primary key, no on_conflict): Prefer: resolution= does not apply,
	// and Preference-Applied does not name it (as PostgREST).
	ResolutionIgnored bool
	envelope
}

// New plans request r: it resolves r's target and query against the
// schema cache and builds the SQL text, the action's source wrapped in the
// envelope. Requests with equal AppendKey keys get equal plans, so a plan
// can be cached under that key and reused with Bind.
//
// Unknown columns are not rejected here: like PostgREST, the statement
// names them and PostgreSQL answers 42703 ("column films.foo does not
// exist"), which the server maps to 400.
func New(r *Request, s *cache.Schema) (*Plan, error) {
	if !Plans(r.Action) {
		return nil, apierr.NotImplemented("the " + r.Action.String() + " action is not available yet")
	}
	if err := checkDistinct(r); err != nil { // distinct.go
		return nil, err
	}
	if len(r.Query.ColumnEmbeds) > 0 && r.Action != ActionInsert {
		return nil, apierr.NotImplemented("embedded resources in the columns parameter insert related rows: only a POST on a table takes them")
	}
	if r.Action == ActionCall {
		return newCall(r, s) // call.go
	}
	rel, err := Relation(s, r.Schema, r.Target)
	if err != nil {
		return nil, err
	}
	q := r.Query
	if r.Action == ActionUpsert {
		if err := checkPut(q, rel); err != nil {
			return nil, err
		}
	}
	tree, err := planTree(r, s, rel)
	if err != nil {
		return nil, err
	}
	keys, err := planKeyset(r, rel, tree) // keyset.go
	if err != nil {
		return nil, err
	}
	b := builder{rel: rel, buf: make([]byte, 0, 512), tree: tree, slots: newSlotIndex(q), keyset: keys}
	if len(q.ColumnEmbeds) > 0 {
		if b.nest, err = planNested(r, s, rel); err != nil { // nested.go
			return nil, err
		}
	}
	sources[r.Action](&b, r)
	b.envelope(r)
	if b.err != nil {
		return nil, b.err
	}
	return &Plan{SQL: string(b.buf), args: b.prog, maxRows: r.MaxRows, ReadOnly: !r.Action.isWrite(),
		Warning: strings.Clone(legacyWarning(tree)), envelope: b.env,
		ResolutionIgnored: r.Action == ActionInsert && !q.HasOnConflict && len(rel.PrimaryKey) == 0}, nil
}

// Relation finds the table or view target of schema, or returns
// PostgREST's PGRST205 with the closest name as a hint.
func Relation(s *cache.Schema, schema, target string) (*cache.Relation, error) {
	var rel *cache.Relation
	if s != nil {
		rel = s.Relation(schema, target)
	}
	if rel == nil {
		return nil, apierr.TableNotFound(schema, target, suggestTable(s, schema, target))
	}
	return rel, nil
}

// builder appends SQL text and records the bind program of its
// placeholders (bind.go).
type builder struct {
	buf   []byte
	prog  []bindStep
	slots *slotIndex
	err   error // a value outside the query's slots: a planner bug
	rel   *cache.Relation
	env   envelope // filled by envelope()
	// tree is the resolved select tree; cur the level being written, whose
	// relation is rel and whose columns are qualified by alias (the
	// schema-qualified name of rel when empty: the root).
	tree  *node
	cur   *node
	alias string
	// call is the resolved call of a call's plan (call.go), else nil.
	call *callPlan
	// keyset is the sort key of a keyset read (keyset.go), else nil;
	// afterPh the placeholder of its cursor.
	keyset  []keyTerm
	afterPh int
	// nest is the tree of a nested insert (nested.go), else nil.
	nest *nestLevel
}

// bind adds a placeholder's bind step and returns its number.
func (b *builder) bind(kind slotKind, slot int32, ok bool) int {
	if !ok && b.err == nil {
		b.err = apierr.PlannerInternal("a bind parameter outside the query")
	}
	b.prog = append(b.prog, bindStep{kind: kind, slot: slot})
	return len(b.prog)
}

// keyParam adds the argument of a JSON path key of the query.
func (b *builder) keyParam(st *JSONStep) int {
	i, ok := b.slots.keys[st]
	return b.bind(bindKey, i, ok)
}

// langParam adds the argument of an fts filter's language.
func (b *builder) langParam(e *OpExpr) int {
	i, ok := b.slots.exprs[e]
	return b.bind(bindLang, i, ok)
}

// filterParam adds the argument of e's operand and returns its placeholder
// number. e has one (its operator is not "is").
func (b *builder) filterParam(e *OpExpr) int {
	i, ok := b.slots.exprs[e]
	return b.bind(bindOperand, i, ok)
}

// limitParams appends the placeholders of the top-level LIMIT and OFFSET.
func (b *builder) limitParams() {
	b.str(" LIMIT ")
	b.ph(b.bind(bindLimit, 0, true))
	b.str(" OFFSET ")
	b.ph(b.bind(bindOffset, 0, true))
}

// embedLimitParams appends the placeholders of the LIMIT and OFFSET of an
// embed whose range parameter is r (nil for none).
func (b *builder) embedLimitParams(r *RangeParam) {
	i, ok := int32(-1), true
	if r != nil {
		i, ok = b.slots.ranges[r]
	}
	b.str(" LIMIT ")
	b.ph(b.bind(bindEmbedLimit, i, ok))
	b.str(" OFFSET ")
	b.ph(b.bind(bindEmbedOffset, i, ok))
}

func (b *builder) ph(n int) {
	b.buf = append(b.buf, '$')
	b.buf = strconv.AppendInt(b.buf, int64(n), 10)
}

func (b *builder) str(s string) { b.buf = append(b.buf, s...) }

func (b *builder) ident(s string) { b.buf = sqltext.AppendIdent(b.buf, s) }

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
	if b.call != nil && name != "*" && b.rel.OID != 0 && b.rel.Column(name) == nil {
		// A computed column over a call's rows, which are records: cast
		// to the relation's row type, PostgreSQL finds the function (and
		// chooses among overloads for several types).
		b.str("(")
		b.qualified()
		b.str("::")
		b.qname(cache.QName{Schema: b.rel.Schema, Name: b.rel.Name})
		b.str(").")
		b.ident(name)
		return
	}
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

// readSource appends the source of a read: the relation's rows that the
// filters select, with the select list, embeds, order and range.
func (b *builder) readSource(r *Request) {
	b.str("WITH pgrst_source AS (")
	b.selectRows(r)
}

// selectRows appends SELECT <select list> FROM <fromItem> with the
// embeds, the root's filters, order and range: a read's source, and a
// call's over the function's rows.
func (b *builder) selectRows(r *Request) {
	q := r.Query
	root := b.tree
	b.cur = root
	b.str("SELECT ")
	b.distinct(q, root)
	group := b.selectList(q, q.Select, root)
	b.str(" FROM ")
	b.fromItem()
	b.joins(q, q.Select, root, r.MaxRows)
	where := b.whereClause()
	b.nodeConditions(q, root, where)
	if b.keyset != nil && q.HasAfter {
		b.afterPh = b.bind(bindAfter, 0, true)
		where()
		b.afterCondition() // keyset.go
	}
	b.groupBy(group)
	b.levelOrderBy(q, root) // distinct.go
	if q.HasRange || r.MaxRows > 0 {
		b.limitParams()
	}
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
	rep := b.fieldExpr(it)
	alias := outputName(it)
	if alias == "" && rep != nil {
		alias = rep.Name
	}
	if alias != "" {
		b.str(" AS ")
		b.ident(alias)
	}
}

// fieldExpr appends the value of select field it with its cast, and
// returns its column when that is selected through its json
// representation: a column of a domain with one goes through its cast
// function.
func (b *builder) fieldExpr(it *SelectItem) (rep *cache.Column) {
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
		b.buf = appendCastType(b.buf, it.Cast)
		b.str(")")
	}
	return rep
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
			lang = b.langParam(e)
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
	for i := range steps {
		st := &steps[i]
		if st.Text {
			b.str("->>")
		} else {
			b.str("->")
		}
		b.ph(b.keyParam(st))
		if st.Index {
			b.str("::int")
		}
	}
}
