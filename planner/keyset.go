package planner

import (
	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/sqltext"
)

// Keyset pagination (pgrst's own). A read with Prefer: pagination=keyset,
// or with an after={...} cursor, pages by its sort key instead of by
// offset. The page after a cursor is
//
//	WHERE <filters> AND (sort key) > (the cursor's values) ORDER BY <sort key> LIMIT n
//
// which an index on the sort key answers by seeking to the cursor, so page
// 1,000 costs what page 1 costs. The envelope adds the cursor of the
// page's last row (none when the page is not full), from which the server
// builds the Link: <...>; rel="next" header.
//
// The sort key is the root's order, each term a column of the target,
// followed by the primary key's columns the order lacks, so that the key
// is unique and no row is skipped or repeated; without an order, the
// primary key. The cursor is the JSON object {"col": value, ...} of the
// key's columns: json_build_object writes it, and json_populate_record
// with the relation's row type reads it back, so each value compares in
// its column's type (a key missing from the cursor reads as null).
//
// When every key column is NOT NULL and all directions are equal, the
// condition is a row comparison, which a B-tree index serves as a range.
// Otherwise it is the expanded form, key by key:
//
//	after(k1) OR (k1 = v1 AND (after(k2) OR (k2 = v2 AND ...)))
//
// where after() follows the term's direction and nulls placement, and a
// NOT NULL first key adds the bound k1 >= v1 (<= descending) that an
// index can seek to.

// keyTerm is one column of a keyset read's sort key.
type keyTerm struct {
	name       string
	desc       bool
	nullsFirst bool // effective: a descending term puts nulls first by default
	notNull    bool
}

// planKeyset returns the sort key of a keyset read, nil for any other
// request. It refuses, with a 400, what keyset pagination cannot serve.
func planKeyset(r *Request, rel *cache.Relation, tree *node) ([]keyTerm, error) {
	q := r.Query
	if r.Action != ActionRead {
		if q.HasAfter {
			return nil, apierr.NotImplemented("keyset pagination (after) applies to reads of tables and views")
		}
		return nil, nil
	}
	if !q.HasAfter && !r.Prefer.Keyset {
		return nil, nil
	}
	if q.Distinct != DistinctNone {
		return nil, apierr.Keyset("it does not combine with distinct", "")
	}
	for i := range q.Select {
		if q.Select[i].Agg != AggNone {
			return nil, apierr.Keyset("it does not combine with aggregates", "")
		}
	}
	if (!q.HasRange || q.Limit < 0) && r.MaxRows <= 0 {
		return nil, apierr.Keyset("it needs a page size", "Add limit=<rows>")
	}
	var terms []OrderTerm
	if tree.order >= 0 {
		terms = q.Order[tree.order].Terms
	}
	keys := make([]keyTerm, 0, len(terms)+len(rel.PrimaryKey))
	has := func(name string) bool {
		for _, k := range keys {
			if k.name == name {
				return true
			}
		}
		return false
	}
	for i := range terms {
		t := &terms[i]
		if t.Relation != "" || len(t.Field.JSON) > 0 {
			return nil, apierr.Keyset("its order may only name columns of '"+rel.Name+"'", "")
		}
		col := rel.Column(t.Field.Name)
		if col == nil {
			return nil, apierr.ColumnNotFound(rel.Name, t.Field.Name)
		}
		if has(col.Name) {
			continue // a repeated column decides nothing more
		}
		desc := t.Dir == DirDesc
		keys = append(keys, keyTerm{name: col.Name, desc: desc,
			nullsFirst: t.Nulls == NullsFirst || (t.Nulls != NullsLast && desc), notNull: !col.Nullable})
	}
	for _, name := range rel.PrimaryKey {
		if !has(name) {
			keys = append(keys, keyTerm{name: name, notNull: true})
		}
	}
	if len(keys) == 0 {
		return nil, apierr.Keyset("'"+rel.Name+"' has no primary key to sort by", "Add order=<columns that identify a row>")
	}
	return keys, nil
}

// keysetOrderBy appends the ORDER BY of a keyset read: its sort key.
func (b *builder) keysetOrderBy() {
	b.str(" ORDER BY ")
	for i, k := range b.keyset {
		if i > 0 {
			b.str(", ")
		}
		b.column(k.name)
		if k.desc {
			b.str(" DESC")
		}
		if k.nullsFirst != k.desc {
			if k.nullsFirst {
				b.str(" NULLS FIRST")
			} else {
				b.str(" NULLS LAST")
			}
		}
	}
}

// afterCondition appends the condition that selects the rows after the
// cursor, whose placeholder is b.afterPh.
func (b *builder) afterCondition() {
	keys := b.keyset
	rowCompare := true
	for _, k := range keys {
		rowCompare = rowCompare && k.notNull && k.desc == keys[0].desc
	}
	op := " > "
	if keys[0].desc {
		op = " < "
	}
	if rowCompare {
		b.keyList(false)
		b.str(op)
		b.keyList(true)
		return
	}
	bound := keys[0].notNull
	if bound {
		// A range an index can seek to; the rest decides within it.
		b.str("(")
		b.column(keys[0].name)
		b.str(op[:2] + "= ")
		b.cursorValue(keys[0].name)
		b.str(" AND ")
	}
	b.str("(")
	for i, k := range keys {
		if i > 0 {
			b.str(" OR (")
			b.keyEqual(keys[i-1])
			b.str(" AND (")
		}
		b.keyAfter(k)
	}
	for range keys[1:] {
		b.str("))")
	}
	b.str(")")
	if bound {
		b.str(")")
	}
}

// keyList appends (k1, k2, ...) of the row, or of the cursor.
func (b *builder) keyList(cursor bool) {
	if len(b.keyset) > 1 {
		b.str("(")
	}
	for i, k := range b.keyset {
		if i > 0 {
			b.str(", ")
		}
		if cursor {
			b.cursorValue(k.name)
		} else {
			b.column(k.name)
		}
	}
	if len(b.keyset) > 1 {
		b.str(")")
	}
}

// keyAfter appends the condition that the row's k sorts after the
// cursor's: beyond it in k's direction, or, where nulls come first, any
// value after a null cursor; where nulls come last, a null row value
// after any value, and nothing after a null.
func (b *builder) keyAfter(k keyTerm) {
	op := " > "
	if k.desc {
		op = " < "
	}
	beyond := func() { // k > v, or k < v descending
		b.column(k.name)
		b.str(op)
		b.cursorValue(k.name)
	}
	b.str("(")
	switch {
	case k.notNull:
		beyond()
	case k.nullsFirst:
		beyond()
		b.str(" OR (")
		b.cursorValue(k.name)
		b.str(" IS NULL AND ")
		b.column(k.name)
		b.str(" IS NOT NULL)")
	default:
		b.cursorValue(k.name)
		b.str(" IS NOT NULL AND (")
		beyond()
		b.str(" OR ")
		b.column(k.name)
		b.str(" IS NULL)")
	}
	b.str(")")
}

// keyEqual appends the condition that the row's k equals the cursor's.
func (b *builder) keyEqual(k keyTerm) {
	b.column(k.name)
	if k.notNull {
		b.str(" = ")
	} else {
		b.str(" IS NOT DISTINCT FROM ")
	}
	b.cursorValue(k.name)
}

// cursorValue appends the cursor's value of column name, in its type. The
// subquery makes it an InitPlan, computed once per statement, where a
// plain call would run again for each row a filter looks at.
func (b *builder) cursorValue(name string) {
	b.str("((SELECT json_populate_record(NULL::")
	b.qname(cache.QName{Schema: b.rel.Schema, Name: b.rel.Name})
	b.str(", ")
	b.ph(b.afterPh)
	b.str("::json))).")
	b.ident(name)
}

// keysetSource appends the CTE pgrst_keyset: the cursor of the page's
// last row, found by the same conditions and order as the page (the count
// query's form of them) at the page's last position; no row when the page
// is not full.
func (b *builder) keysetSource(q *Query) {
	b.str(", pgrst_keyset AS (SELECT json_build_object(")
	for i, k := range b.keyset {
		if i > 0 {
			b.str(", ")
		}
		b.buf = sqltext.AppendLiteral(b.buf, k.name)
		b.str(", ")
		b.column(k.name)
	}
	b.str(")::text AS pgrst_next FROM ")
	b.fromItem()
	where := b.whereClause()
	b.countConditions(q, where)
	if q.HasAfter {
		where()
		b.afterCondition()
	}
	b.keysetOrderBy()
	b.str(" LIMIT ")
	b.ph(b.bind(bindNextLimit, 0, true))
	b.str(" OFFSET ")
	b.ph(b.bind(bindNextOffset, 0, true))
	b.str(")")
}
