package planner

import (
	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/sqltext"
)

// The source of a write. The mutation is a CTE of its own, and the rows it
// returns are shaped by the select tree as a read shapes a table's:
//
//	WITH pgrst_mutation AS (INSERT INTO t(a, b) SELECT ... RETURNING ...),
//	pgrst_source AS (SELECT <select list> FROM pgrst_mutation AS "t" <embeds> <order>)
//
// The body is ONE bind parameter that PostgreSQL expands into rows with
// json_to_recordset and the written columns' types:
//
//	FROM (SELECT $1::json AS json_data) pgrst_payload,
//	LATERAL (SELECT "a", "b" FROM json_to_recordset(<array>) AS _("a" integer, "b" text)) pgrst_body
//
// An object body is one row (json_build_array wraps it), an array one row
// per element. A mutation whose response needs no rows returns 1 for each
// (a table the role may insert into but not read stays writable).

// Payload is what the planner knows of a write's or a call's body: the
// keys of its (first) object, which name the written columns unless
// ?columns= does, and the body itself, bound as one parameter (bindBody).
// A call's text, XML or binary body, its single unnamed argument, is bound
// the same way (a bytea one in hex).
type Payload struct {
	Keys []string
	// JSON is the body as JSON text (or a call's raw body); it is not part
	// of the plan. Nil binds NULL.
	JSON []byte
}

// isWrite reports whether a is an action that writes a table.
func (a Action) isWrite() bool {
	return a == ActionInsert || a == ActionUpdate || a == ActionUpsert || a == ActionDelete
}

// representation reports whether a write's response carries its rows.
func (r *Request) representation() bool { return r.Prefer.Return == ReturnRepresentation }

// writeColumns are the written columns: those of ?columns=, else the
// body's keys, each a column of rel (else PGRST204).
func writeColumns(r *Request, rel *cache.Relation) ([]*cache.Column, error) {
	names := r.Payload.Keys
	if r.Query.HasColumns {
		names = r.Query.Columns
	}
	cols := make([]*cache.Column, 0, len(names))
	for _, n := range names {
		c := rel.Column(n)
		if c == nil {
			return nil, apierr.ColumnNotFound(rel.Name, n)
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// writeSource appends the mutation CTE and opens pgrst_source over it.
func (b *builder) writeSource(r *Request) {
	if b.nest != nil {
		b.nestedSource(r) // nested.go
		return
	}
	q := r.Query
	rel := b.rel
	cols, err := writeColumns(r, rel)
	if err != nil && r.Action != ActionDelete {
		b.fail(err)
		return
	}
	b.str("WITH pgrst_mutation AS (")
	switch {
	case r.Action == ActionUpdate && len(cols) == 0:
		// An empty object updates nothing: no rows, with the columns
		// the response reads.
		b.str("SELECT ")
		b.returnList(r)
		b.str(" FROM ")
		b.qualified()
		b.str(" WHERE false")
	case r.Action == ActionUpdate:
		b.update(r, cols)
		b.returning(r)
	case r.Action == ActionDelete:
		b.str("DELETE FROM ")
		b.qualified()
		b.rootConditions(q)
		b.returning(r)
	default:
		b.insert(r, cols)
		b.returning(r)
	}
	b.str("), pgrst_source AS (")
	if !r.representation() {
		b.str("SELECT * FROM pgrst_mutation")
		return
	}
	b.representation(r)
}

// representation appends pgrst_source's query of a write's
// representation: the returned rows are the root of the select tree, by
// the relation's name.
func (b *builder) representation(r *Request) {
	q, rel := r.Query, b.rel
	root := b.tree
	b.cur = root
	b.alias = rel.Name
	b.str("SELECT ")
	group := b.selectList(q, q.Select, root)
	b.str(" FROM pgrst_mutation AS ")
	b.ident(rel.Name)
	b.joins(q, q.Select, root, r.MaxRows)
	b.groupBy(group)
	b.orderBy(q, root)
	b.alias = ""
}

// rootConditions appends the WHERE clause of the root's filters and logic
// trees (updates and deletes).
func (b *builder) rootConditions(q *Query) {
	b.cur = b.tree
	b.nodeConditions(q, b.tree, b.whereClause())
}

// insert appends INSERT ... SELECT from the body, with the ON CONFLICT of
// an upsert: PUT, or POST with resolution=merge-duplicates or
// ignore-duplicates on on_conflict or the primary key.
func (b *builder) insert(r *Request, cols []*cache.Column) {
	b.str("INSERT INTO ")
	b.qualified()
	if len(cols) > 0 {
		b.str("(")
		b.columnList(cols, "")
		b.str(")")
	}
	// Without columns each element inserts a row of defaults.
	b.str(" SELECT ")
	b.columnList(cols, "pgrst_body")
	b.bodySource(r, cols, false)
	conflict, resolution := b.conflict(r)
	where := b.whereClause()
	if resolution == ResolutionMerge {
		// pgrst.inserted counts the rows inserted: +1 for each row
		// offered, -1 for each that updated instead (as PostgREST).
		where()
		b.str("pg_catalog.set_config('pgrst.inserted', (coalesce(nullif(pg_catalog.current_setting('pgrst.inserted', true), '')::int, 0) + 1)::text, true) <> '0'")
	}
	if r.Action == ActionUpsert {
		// PUT's filters (eq on each primary key column) must hold for
		// the body's row, else nothing is written (PGRST115).
		b.alias = "pgrst_body"
		b.cur = b.tree
		b.nodeConditions(r.Query, b.tree, where)
		b.alias = ""
	}
	if len(conflict) == 0 || resolution == ResolutionUnset {
		return
	}
	b.str(" ON CONFLICT(")
	for i, c := range conflict {
		if i > 0 {
			b.str(", ")
		}
		b.ident(c)
	}
	b.str(") ")
	if resolution == ResolutionIgnore || len(cols) == 0 {
		b.str("DO NOTHING")
		return
	}
	b.str("DO UPDATE SET ")
	b.setFrom(cols, "EXCLUDED.")
	b.str(" WHERE pg_catalog.set_config('pgrst.inserted', (coalesce(nullif(pg_catalog.current_setting('pgrst.inserted', true), '')::int, 0) - 1)::text, true) <> '-1'")
}

// conflict is the conflict target and resolution of an insert: PUT merges
// on the primary key; POST resolves per Prefer: resolution= on
// ?on_conflict= or the primary key.
func (b *builder) conflict(r *Request) ([]string, Resolution) {
	if r.Action == ActionUpsert {
		return b.rel.PrimaryKey, ResolutionMerge
	}
	if r.Query.HasOnConflict {
		return r.Query.OnConflict, r.Prefer.Resolution
	}
	return b.rel.PrimaryKey, r.Prefer.Resolution
}

// update appends UPDATE ... SET from the body's one object.
func (b *builder) update(r *Request, cols []*cache.Column) {
	b.str("UPDATE ")
	b.qualified()
	b.str(" SET ")
	b.setFrom(cols, "pgrst_body.")
	b.bodySource(r, cols, true)
	b.rootConditions(r.Query)
}

// setFrom appends the SET list "c = <from>c" of each column (from is a
// row's name and its dot: EXCLUDED. or pgrst_body.).
func (b *builder) setFrom(cols []*cache.Column, from string) {
	for i, c := range cols {
		if i > 0 {
			b.str(", ")
		}
		b.ident(c.Name)
		b.str(" = ")
		b.str(from)
		b.ident(c.Name)
	}
}

// bodySource appends the FROM items that expand the body into rows of
// the written columns: one per element of an array body, one for an
// object; first keeps only the first (an update's one set of values).
// A column of a domain with a json representation is read as json and
// parsed by its cast's function.
//
// With Prefer: missing=default (POST and PATCH), a key absent from an
// element takes its column's default, evaluated only then (a sequence
// advances only for the rows that take it). The elements go through
// jsonb, as in PostgREST, so duplicate keys keep their last value.
func (b *builder) bodySource(r *Request, cols []*cache.Column, first bool) {
	const elements = "CASE WHEN json_typeof(pgrst_payload.json_data) = 'array' " +
		"THEN pgrst_payload.json_data ELSE json_build_array(pgrst_payload.json_data) END"
	b.str(" FROM (SELECT ")
	b.ph(b.bind(bindBody, 0, true))
	b.str("::json AS json_data) pgrst_payload, LATERAL (SELECT ")
	switch {
	case len(cols) == 0:
		// Each element inserts a row of defaults.
		b.str("1 FROM json_array_elements(" + elements + ")")
	case r.Prefer.Missing == MissingDefault && r.Action != ActionUpsert && hasDefault(cols):
		b.parsedColumns(cols, true)
		b.str(" FROM jsonb_array_elements((" + elements + ")::jsonb) AS pgrst_e(v), LATERAL jsonb_to_record(pgrst_e.v) AS _(")
		b.typedColumns(cols)
		b.str(")")
	default:
		b.parsedColumns(cols, false)
		b.str(" FROM json_to_recordset(" + elements + ") AS _(")
		b.typedColumns(cols)
		b.str(")")
	}
	if first {
		b.str(" LIMIT 1")
	}
	b.str(") pgrst_body")
}

func hasDefault(cols []*cache.Column) bool {
	for _, c := range cols {
		if c.HasDefault {
			return true
		}
	}
	return false
}

// parsedColumns appends the written columns as read from the body's
// record _: a domain with a json representation through its function,
// and with defaults, the column's default where the element (pgrst_e.v)
// lacks the key.
func (b *builder) parsedColumns(cols []*cache.Column, defaults bool) {
	for i, c := range cols {
		if i > 0 {
			b.str(", ")
		}
		dflt := defaults && c.HasDefault
		if dflt {
			b.str("CASE WHEN pgrst_e.v ? ")
			b.buf = sqltext.AppendLiteral(b.buf, c.Name)
			b.str(" THEN ")
		}
		if c.FromJSON.Name != "" {
			b.qname(c.FromJSON)
			b.str("(_.")
			b.ident(c.Name)
			b.str(")")
		} else {
			b.str("_.")
			b.ident(c.Name)
		}
		if dflt {
			b.str(" ELSE CAST((")
			b.str(c.Default) // pg_get_expr() of the catalog, not of the request
			b.str(") AS ")
			b.str(c.Type)
			b.str(") END")
		}
		if dflt || c.FromJSON.Name != "" {
			b.str(" AS ")
			b.ident(c.Name)
		}
	}
}

// typedColumns appends the record's column definitions: each column's
// type (json for a domain parsed from json).
func (b *builder) typedColumns(cols []*cache.Column) {
	for i, c := range cols {
		if i > 0 {
			b.str(", ")
		}
		b.ident(c.Name)
		if c.FromJSON.Name != "" {
			b.str(" json")
			continue
		}
		b.str(" ")
		b.str(c.Type) // format_type() of the catalog, not of the request
	}
}

// columnList appends the names of cols, each qualified by table if set.
func (b *builder) columnList(cols []*cache.Column, table string) {
	for i, c := range cols {
		if i > 0 {
			b.str(", ")
		}
		if table != "" {
			b.ident(table)
			b.str(".")
		}
		b.ident(c.Name)
	}
}

// returning appends what the mutation returns (returnList).
func (b *builder) returning(r *Request) {
	b.str(" RETURNING ")
	b.returnList(r)
}

// returnList appends the mutated rows' columns a response needs: for a
// representation those its select tree reads (returnedColumns), for a
// Location the primary key, else 1 per row. So a role may write a table
// of which it can read only the columns it selects; a computed column
// is computed here, on the table's row.
func (b *builder) returnList(r *Request) {
	var cols []string
	switch {
	case r.representation():
		var all bool
		if cols, all = returnedColumns(r.Query, b.tree); all {
			b.returnAll(cols)
			return
		}
	case r.Action == ActionInsert && r.Prefer.Return == ReturnHeadersOnly:
		cols = b.rel.PrimaryKey
	}
	if len(cols) == 0 {
		b.str("1")
		return
	}
	for i, c := range cols {
		if i > 0 {
			b.str(", ")
		}
		b.column(c)
	}
}

// returnAll appends every column of the mutated rows, and the computed
// ones of cols.
func (b *builder) returnAll(cols []string) {
	b.qualified()
	b.str(".*")
	for _, c := range cols {
		if c != "*" && b.rel.Column(c) == nil {
			b.str(", ")
			b.column(c)
		}
	}
}

// returnedColumns are the columns of the root relation that a
// representation reads: its select fields and root order terms, the
// columns its embeds join on, and the primary key (as PostgREST). all
// is set when that is every column: "*", or a computed relationship,
// whose function takes the whole row (cols then still names the
// computed columns the select reads).
func returnedColumns(q *Query, root *node) (cols []string, all bool) {
	add := func(names ...string) {
		for _, n := range names {
			if n == "*" {
				all = true
			}
			if !slicesContains(cols, n) {
				cols = append(cols, n)
			}
		}
	}
	if len(q.Select) == 0 {
		return nil, true
	}
	for i := range q.Select {
		if it := &q.Select[i]; it.Kind == SelectField {
			add(it.Field.Name)
		}
	}
	if root.order >= 0 {
		for _, t := range q.Order[root.order].Terms {
			if t.Relation == "" {
				add(t.Field.Name)
			}
		}
	}
	for _, c := range root.children {
		switch rel := c.r; {
		case rel == nil || rel.Computed:
			all = true
		case rel.Junction != nil:
			add(rel.Junction.SourceColumns...)
		default:
			add(rel.Columns...)
		}
	}
	add(root.rel.PrimaryKey...)
	return cols, all
}

// location appends the Location column of an insert with
// return=headers-only: the primary key of the one inserted row as a JSON
// array of [column, "eq.value"] pairs (is.null for NULL), else NULL.
func (b *builder) location(r *Request) {
	if r.Action != ActionInsert || r.Prefer.Return != ReturnHeadersOnly || len(b.rel.PrimaryKey) == 0 {
		b.str("null::text")
		return
	}
	b.str("CASE WHEN pg_catalog.count(_pgrst_t) = 1 THEN (SELECT json_agg(json_build_array(pgrst_k.key, " +
		"coalesce('eq.' || pgrst_k.value, 'is.null')))::text FROM json_each_text((SELECT row_to_json(pgrst_r) " +
		"FROM pgrst_source pgrst_r LIMIT 1)) AS pgrst_k) END")
}

// fail records the first error of planning.
func (b *builder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// checkPut checks PUT's query: no limit or offset (PGRST114), and filters
// that are eq on each primary key column, once, and nothing else
// (PGRST105).
func checkPut(q *Query, rel *cache.Relation) error {
	if q.HasRange || len(q.Ranges) > 0 {
		return apierr.PutRange()
	}
	if len(q.Logic) > 0 || len(q.Filters) != len(rel.PrimaryKey) || len(rel.PrimaryKey) == 0 {
		return apierr.PutFilters()
	}
	for i := range q.Filters {
		f := &q.Filters[i]
		e := &f.Expr
		if len(f.Path) > 0 || len(f.Field.JSON) > 0 || e.Op != OpEq || e.Not || e.Quant != QuantNone || !slicesContains(rel.PrimaryKey, f.Field.Name) {
			return apierr.PutFilters()
		}
		for j := 0; j < i; j++ {
			if q.Filters[j].Field.Name == f.Field.Name {
				return apierr.PutFilters()
			}
		}
	}
	return nil
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
