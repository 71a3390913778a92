package planner

import (
	"strconv"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/sqltext"
)

// The SQL of embedding. Each embed is a LEFT (or INNER) JOIN LATERAL
// subquery of its parent's FROM, correlated by the relationship's columns:
//
//	to-one:  JOIN LATERAL (SELECT ... FROM t AS t_1 WHERE t_1.id = parent.t_id) AS agg ON TRUE
//	         selected as row_to_json(agg.*) AS name
//	to-many: JOIN LATERAL (SELECT json_agg(agg) AS agg FROM (SELECT ...) AS agg) AS agg ON TRUE
//	         selected as COALESCE(agg.agg, '[]') AS name
//
// Embeds stay json, never jsonb: a cast to jsonb parses the text that was
// just built and prints it again (3x the database time of a one-to-many
// embed in the bench), and json keeps the keys in the select's order.
//
// A spread selects the subquery's columns instead (to-many: each one
// aggregated into an array). The embed's own filters, logic trees, order
// and limit stay inside its subquery. Embedded values are bind parameters
// numbered in text order, like all others (bind.go).

// level appends the subquery of embed n, whose select items are items.
func (b *builder) level(q *Query, items []SelectItem, n *node, maxRows int64) {
	parentAlias, parentRel := b.alias, b.rel
	prevCur := b.cur
	b.cur, b.rel, b.alias = n, n.rel, n.fromAlias
	b.str("SELECT ")
	b.distinct(q, n) // distinct.go
	start := len(b.buf)
	group := b.selectList(q, items, n)
	if n.spread && !n.toOne {
		b.spreadOrderColumns(q, n, len(b.buf) > start)
	}
	b.str(" FROM ")
	b.embedFrom(n, parentAlias, parentRel)
	b.joins(q, items, n, maxRows)
	where := b.whereClause()
	b.nodeConditions(q, n, where)
	b.joinConditions(n, parentAlias, parentRel, where)
	b.groupBy(group)
	b.levelOrderBy(q, n)
	if n.rng >= 0 || maxRows > 0 {
		var r *RangeParam
		if n.rng >= 0 {
			r = &q.Ranges[n.rng]
		}
		b.embedLimitParams(r)
	}
	b.cur, b.rel, b.alias = prevCur, parentRel, parentAlias
}

// embedLimitOffset are the LIMIT (-1: ALL) and OFFSET arguments of an
// embed whose range parameter is r (nil for none).
func embedLimitOffset(r *RangeParam, maxRows int64) (limit, offset int64) {
	limit, off := int64(-1), int64(0)
	if r != nil {
		if r.HasLimit {
			limit = max(r.Limit, 0)
		}
		off = max(r.Offset, 0)
	}
	if maxRows > 0 && (limit < 0 || limit > maxRows) {
		limit = maxRows
	}
	return limit, off
}

// selectList appends the select list of level n: its fields and the
// output columns of its embeds ("*" when it has neither). At a level that
// groups (n.group) it returns the positions of the columns to group by:
// all but the aggregates.
func (b *builder) selectList(q *Query, items []SelectItem, n *node) (group []int) {
	if n.noFields && len(n.children) == 0 {
		b.star()
		return nil
	}
	pos := 0
	// col starts the next output column; grouped says it is not an
	// aggregate.
	col := func(grouped bool) {
		if pos > 0 {
			b.str(", ")
		}
		pos++
		if grouped && n.group {
			group = append(group, pos)
		}
	}
	k := 0
	for i := range items {
		it := &items[i]
		if it.Kind != SelectField {
			b.embedColumns(it.Children, n, n.children[k], col)
			k++
			continue
		}
		if it.Agg != AggNone {
			col(false)
			b.aggItem(it, !n.spread)
			continue
		}
		if isStar(it) && (n.spread && !n.toOne || n.group) && len(n.rel.Columns) > 0 {
			// A to-many spread aggregates each column, and a level
			// that groups groups by each: name them.
			for _, c := range n.rel.Columns {
				col(true)
				b.outColumn(c)
			}
			continue
		}
		col(true)
		b.selectItem(it)
	}
	return group
}

// groupBy appends the GROUP BY clause of the column positions group.
func (b *builder) groupBy(group []int) {
	for i, p := range group {
		if i == 0 {
			b.str(" GROUP BY ")
		} else {
			b.str(", ")
		}
		b.buf = strconv.AppendInt(b.buf, int64(p), 10)
	}
}

func isStar(it *SelectItem) bool { return it.Field.Name == "*" && len(it.Field.JSON) == 0 }

// embedColumns appends the output columns of embed c in its parent n's
// select list, each started by col. An embed is json, or jsonb where the
// query groups (json has no equality to group by). The aggregates of a
// to-one spread are applied by the first level above it that is not a
// spread.
func (b *builder) embedColumns(items []SelectItem, n, c *node, col func(grouped bool)) {
	jsonb := b.tree.grouped && (n.group || n.spread)
	switch {
	case c.empty:
	case c.spread:
		for _, sc := range spreadNames(items, c, n.group) {
			agg := sc.item != nil && sc.item.Agg != AggNone
			col(!agg)
			if agg && !n.spread {
				b.hoistedAgg(sc.item, c.aggAlias, sc.name)
				continue
			}
			b.ident(c.aggAlias)
			if sc.name == "*" {
				b.str(".*")
			} else {
				b.str(".")
				b.ident(sc.name)
			}
		}
	case c.toOne:
		col(true)
		b.str("row_to_json(")
		b.ident(c.aggAlias)
		b.str(".*)")
		b.embedAlias(jsonb, c.name)
	default:
		col(true)
		b.str("COALESCE(")
		b.ident(c.aggAlias)
		b.str(".")
		b.ident(c.aggAlias)
		b.str(", '[]')")
		b.embedAlias(jsonb, c.name)
	}
}

// embedAlias ends an embed's value in the select list: the cast to jsonb
// when some level groups (json cannot be grouped), then its name.
func (b *builder) embedAlias(jsonb bool, name string) {
	if jsonb {
		b.str("::jsonb")
	}
	b.str(" AS ")
	b.ident(name)
}

// spreadCol is an output column of a spread embed: its name and the
// select field it comes from (nil for an embed's column or a star's).
type spreadCol struct {
	name string
	item *SelectItem
}

// spreadNames are the output columns of a spread embed, which its parent
// selects by name ("*" for all of a to-one spread's columns, unless
// expand: inside a to-many spread, which aggregates each column by name,
// or under a level that groups by each).
func spreadNames(items []SelectItem, c *node, expand bool) []spreadCol {
	expand = expand || !c.toOne
	var names []spreadCol
	k := 0
	for i := range items {
		it := &items[i]
		if it.Kind != SelectField {
			cc := c.children[k]
			k++
			switch {
			case cc.spread:
				names = append(names, spreadNames(it.Children, cc, expand)...)
			case !cc.empty:
				names = append(names, spreadCol{name: cc.name})
			}
			continue
		}
		if isStar(it) && it.Agg == AggNone {
			if !expand || len(c.rel.Columns) == 0 {
				names = append(names, spreadCol{name: "*"})
			} else {
				for _, col := range c.rel.Columns {
					names = append(names, spreadCol{name: col.Name})
				}
			}
			continue
		}
		names = append(names, spreadCol{name: selectName(it), item: it})
	}
	return names
}

// joins appends the lateral join of each embed of level n.
func (b *builder) joins(q *Query, items []SelectItem, n *node, maxRows int64) {
	k := 0
	for i := range items {
		if items[i].Kind == SelectField {
			continue
		}
		b.join(q, items[i].Children, n.children[k], maxRows)
		k++
	}
}

func (b *builder) join(q *Query, items []SelectItem, c *node, maxRows int64) {
	if c.inner {
		b.str(" INNER JOIN LATERAL (")
	} else {
		b.str(" LEFT JOIN LATERAL (")
	}
	agg := c.aggAlias
	if c.toOne {
		b.level(q, items, c, maxRows)
		b.str(") AS ")
		b.ident(agg)
		b.str(" ON TRUE")
		return
	}
	b.str("SELECT json_agg(")
	b.ident(agg)
	b.str(") AS ")
	b.ident(agg)
	if c.spread {
		for _, sc := range spreadNames(items, c, true) {
			b.str(", COALESCE(json_agg(")
			b.ident(agg)
			b.str(".")
			b.ident(sc.name)
			b.spreadAggOrder(q, c)
			b.str("), '[]') AS ")
			b.ident(sc.name)
		}
	}
	b.str(" FROM (")
	b.level(q, items, c, maxRows)
	b.str(") AS ")
	b.ident(agg)
	b.str(") AS ")
	b.ident(agg)
	if c.inner {
		b.str(" ON ")
		b.ident(agg)
		b.str(" IS NOT NULL")
	} else {
		b.str(" ON TRUE")
	}
}

// A to-many spread orders each of its arrays, as PostgREST does: the
// embed's order terms become extra columns of its subquery (so terms on
// columns that are not selected work too), and each json_agg orders by
// them. The subquery keeps its ORDER BY, so that a limit takes the first
// rows of that order.

// spreadOrderColumns appends the order terms of to-many spread n as
// columns of its subquery, named by spreadOrderAlias; more is true when
// the select list already has columns.
func (b *builder) spreadOrderColumns(q *Query, n *node, more bool) {
	if n.order < 0 {
		return
	}
	for i := range q.Order[n.order].Terms {
		t := &q.Order[n.order].Terms[i]
		if more {
			b.str(", ")
		}
		more = true
		if t.Relation != "" {
			b.relOrderField(t)
		} else {
			b.field(t.Field)
		}
		b.str(" AS ")
		b.spreadOrderAlias(n, t, i)
	}
}

// spreadOrderAlias names the column of n's order term i: the embed's
// alias, the column and the term's position, which keeps it apart from
// the selected columns and the other terms.
func (b *builder) spreadOrderAlias(n *node, t *OrderTerm, i int) {
	b.buf = sqltext.AppendIdent(b.buf, n.aggAlias+"_"+t.Field.Name+"_"+strconv.Itoa(i+1))
}

// spreadAggOrder appends the ORDER BY of a json_agg of to-many spread c.
func (b *builder) spreadAggOrder(q *Query, c *node) {
	if c.order < 0 || len(q.Order[c.order].Terms) == 0 {
		return
	}
	b.str(" ORDER BY ")
	for i := range q.Order[c.order].Terms {
		t := &q.Order[c.order].Terms[i]
		if i > 0 {
			b.str(", ")
		}
		b.ident(c.aggAlias)
		b.str(".")
		b.spreadOrderAlias(c, t, i)
		b.orderSuffix(t)
	}
}

// embedFrom appends the FROM items of embed n.
func (b *builder) embedFrom(n *node, parentAlias string, parentRel *cache.Relation) {
	r := n.r
	if n.cte != "" {
		b.str(n.cte)
		b.str(" AS ")
		b.ident(n.fromAlias)
		if n.junctionCTE != "" {
			b.str(", ")
			b.str(n.junctionCTE)
		}
		return
	}
	if r.Computed {
		// f(parent_row::source_type): the parent's row by its alias, or by
		// the root table's unqualified name.
		b.qname(r.Function)
		b.str("(")
		if parentAlias != "" {
			b.ident(parentAlias)
		} else {
			b.ident(parentRel.Name)
		}
		b.str("::")
		b.qname(r.Table)
		b.str(") AS ")
		b.ident(n.fromAlias)
		return
	}
	b.qname(r.Foreign)
	b.str(" AS ")
	b.ident(n.fromAlias)
	if r.Junction != nil {
		b.str(", ")
		b.qname(r.Junction.Table)
	}
}

// joinConditions appends the conditions that correlate embed n with its
// parent.
func (b *builder) joinConditions(n *node, parentAlias string, parentRel *cache.Relation, where func()) {
	r := n.r
	parent := func() {
		if parentAlias != "" {
			b.ident(parentAlias)
		} else {
			b.ident(parentRel.Schema)
			b.str(".")
			b.ident(parentRel.Name)
		}
	}
	if r.Computed {
		return
	}
	if j := r.Junction; j != nil {
		junction := func() {
			if n.junctionCTE != "" {
				b.str(n.junctionCTE)
			} else {
				b.qname(j.Table)
			}
		}
		for i := range j.TargetColumns {
			where()
			b.ident(n.fromAlias)
			b.str(".")
			b.ident(j.TargetColumns[i])
			b.str(" = ")
			junction()
			b.str(".")
			b.ident(j.TargetJunctionColumns[i])
		}
		for i := range j.SourceColumns {
			where()
			parent()
			b.str(".")
			b.ident(j.SourceColumns[i])
			b.str(" = ")
			junction()
			b.str(".")
			b.ident(j.SourceJunctionColumns[i])
		}
		return
	}
	for i := range r.Columns {
		where()
		b.ident(n.fromAlias)
		b.str(".")
		b.ident(r.ForeignColumns[i])
		b.str(" = ")
		parent()
		b.str(".")
		b.ident(r.Columns[i])
	}
}

// orderBy appends the ORDER BY of level n. A term rel(col) orders by a
// column of a to-one embed's subquery.
func (b *builder) orderBy(q *Query, n *node) {
	if n.order < 0 {
		return
	}
	terms := q.Order[n.order].Terms
	if len(terms) == 0 {
		return
	}
	b.str(" ORDER BY ")
	for i := range terms {
		if i > 0 {
			b.str(", ")
		}
		b.orderTerm(&terms[i])
	}
}

// relOrderField appends rel(col): the column of the embed's subquery.
func (b *builder) relOrderField(t *OrderTerm) {
	c := b.cur.child(t.Relation)
	b.ident(c.aggAlias)
	b.str(".")
	b.ident(t.Field.Name)
	b.jsonPath(t.Field.JSON)
}

// embedNullFilter appends embed=is.null / embed=not.is.null: whether the
// embed's subquery found rows.
func (b *builder) embedNullFilter(c *node, e *OpExpr) {
	b.ident(c.aggAlias)
	if e.Not {
		b.str(" IS DISTINCT FROM NULL")
	} else {
		b.str(" IS NOT DISTINCT FROM NULL")
	}
}

func (b *builder) qname(q cache.QName) {
	b.ident(q.Schema)
	b.str(".")
	b.ident(q.Name)
}

// The count query (Prefer: count with a limit) counts the root rows that
// the filters select, without the embeds' output. An !inner embed becomes
// EXISTS (its own count query) and embed=is.null / embed=not.is.null
// becomes [NOT] EXISTS (...), as in PostgREST.

// countConditions appends the root's conditions of the count query, each
// preceded by where().
func (b *builder) countConditions(q *Query, where func()) {
	n := b.tree
	prev := b.cur
	b.cur = n
	b.countNode(q, n, where)
	b.cur = prev
}

// countNode appends the conditions of level n (b.cur is n).
func (b *builder) countNode(q *Query, n *node, where func()) {
	for _, i := range n.filters {
		where()
		b.countFilter(q, &q.Filters[i])
	}
	for _, i := range n.logic {
		where()
		b.countLogic(q, &q.Logic[i].Tree)
	}
	for _, c := range n.children {
		if c.inner {
			where()
			b.countExists(q, c)
		}
	}
}

func (b *builder) countFilter(q *Query, f *Filter) {
	c := b.cur.embedFilter(f)
	if c == nil {
		b.filter(f)
		return
	}
	if !f.Expr.Not {
		b.str("NOT ")
	}
	b.countExists(q, c)
}

func (b *builder) countLogic(q *Query, l *Logic) { b.logicTree(l, q) }

// countExists appends EXISTS (SELECT 1 FROM embed c WHERE ...).
func (b *builder) countExists(q *Query, c *node) {
	parentAlias, parentRel, prevCur := b.alias, b.rel, b.cur
	b.cur, b.rel, b.alias = c, c.rel, c.fromAlias
	b.str("EXISTS (SELECT 1 FROM ")
	b.embedFrom(c, parentAlias, parentRel)
	where := b.whereClause()
	for _, i := range c.filters {
		where()
		b.countFilter(q, &q.Filters[i])
	}
	for _, i := range c.logic {
		where()
		b.countLogic(q, &q.Logic[i].Tree)
	}
	b.joinConditions(c, parentAlias, parentRel, where)
	for _, cc := range c.children {
		if cc.inner {
			where()
			b.countExists(q, cc)
		}
	}
	b.str(")")
	b.cur, b.rel, b.alias = prevCur, parentRel, parentAlias
}
