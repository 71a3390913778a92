package planner

import (
	"slices"

	"github.com/pgrst/pgrst/apierr"
)

// The distinct parameter (db-distinct-enabled): distinct reads
// SELECT DISTINCT of the selected columns, distinct=on(a,b) reads
// SELECT DISTINCT ON (a, b), one row per value of a and b; an embedded
// resource's (actors.distinct) applies inside its subquery.

// checkDistinct refuses the distinct parameter where it is not served:
// while db-distinct-enabled is off, on anything but a read of a table or
// view, and a plain distinct with embedded resources (their json has no
// equality; distinct=on(...) serves that case).
func checkDistinct(r *Request) error {
	q := r.Query
	if q.Distinct == DistinctNone && len(q.EmbedDistinct) == 0 {
		return nil
	}
	if !r.Distinct {
		return apierr.DistinctNotAllowed()
	}
	if r.Action != ActionRead {
		return apierr.NotImplemented("distinct applies to reads of tables and views")
	}
	if q.Distinct == DistinctAll {
		for i := range q.Select {
			if q.Select[i].Kind != SelectField {
				return apierr.NotImplemented("distinct with embedded resources; use distinct=on(column,...)")
			}
		}
	}
	return nil
}

// checkDistinctNodes refuses an embed's distinct where it is not served:
// on a spread (its columns join the parent's), and a plain distinct on an
// embed that embeds others.
func checkDistinctNodes(n *node, q *Query) error {
	if n.distinct >= 0 {
		if n.spread {
			return apierr.NotImplemented("distinct on a spread embedded resource")
		}
		if q.EmbedDistinct[n.distinct].Kind == DistinctAll && len(n.children) > 0 {
			return apierr.NotImplemented("distinct with embedded resources; use distinct=on(column,...)")
		}
	}
	for _, c := range n.children {
		if err := checkDistinctNodes(c, q); err != nil {
			return err
		}
	}
	return nil
}

// nodeDistinct returns the distinct form of level n and its on columns:
// the root's from the distinct parameter, an embed's from its own.
func nodeDistinct(q *Query, n *node) (Distinct, []string) {
	if n.distinct >= 0 {
		d := &q.EmbedDistinct[n.distinct]
		return d.Kind, d.On
	}
	if n.depth == 0 {
		return q.Distinct, q.DistinctOn
	}
	return DistinctNone, nil
}

// distinct appends the DISTINCT [ON (...)] of level n's select list.
func (b *builder) distinct(q *Query, n *node) {
	kind, on := nodeDistinct(q, n)
	switch kind {
	case DistinctAll:
		b.str("DISTINCT ")
	case DistinctOn:
		b.str("DISTINCT ON (")
		b.distinctColumns(on)
		b.str(") ")
	}
}

func (b *builder) distinctColumns(on []string) {
	for i, c := range on {
		if i > 0 {
			b.str(", ")
		}
		b.column(c)
	}
}

// levelOrderBy appends the ORDER BY of level n.
func (b *builder) levelOrderBy(q *Query, n *node) {
	if n == b.tree && b.keyset != nil {
		b.keysetOrderBy() // keyset.go
	} else if kind, on := nodeDistinct(q, n); kind == DistinctOn {
		b.distinctOrderBy(q, n, on)
	} else {
		b.orderBy(q, n)
	}
}

// distinctOrderBy appends the ORDER BY of a DISTINCT ON level, which
// PostgreSQL wants to start with the DISTINCT ON columns: the leading
// order terms that name distinct columns keep their place and direction,
// the other distinct columns follow (ascending), then the remaining order
// terms, which choose the row kept for each distinct value.
func (b *builder) distinctOrderBy(q *Query, n *node, on []string) {
	var terms []OrderTerm
	if n.order >= 0 {
		terms = q.Order[n.order].Terms
	}
	lead := 0
	for lead < len(terms) && isDistinctTerm(&terms[lead], on) {
		lead++
	}
	b.str(" ORDER BY ")
	sep := false
	next := func() {
		if sep {
			b.str(", ")
		}
		sep = true
	}
	for i := range terms[:lead] {
		next()
		b.orderTerm(&terms[i])
	}
	for _, c := range on {
		if !slices.ContainsFunc(terms[:lead], func(t OrderTerm) bool { return t.Field.Name == c }) {
			next()
			b.column(c)
		}
	}
	for i := lead; i < len(terms); i++ {
		next()
		b.orderTerm(&terms[i])
	}
}

// isDistinctTerm reports whether order term t is one of the DISTINCT ON
// columns, as such (no JSON path, not an embed's column).
func isDistinctTerm(t *OrderTerm, on []string) bool {
	return t.Relation == "" && len(t.Field.JSON) == 0 && slices.Contains(on, t.Field.Name)
}

// distinctCountSource appends the count query of a distinct read: the
// distinct rows the filters select, without limit and offset.
func (b *builder) distinctCountSource(q *Query) {
	b.str("SELECT DISTINCT ")
	var group []int
	if q.Distinct == DistinctOn {
		b.distinctColumns(q.DistinctOn)
	} else {
		prev := b.cur
		b.cur = b.tree
		group = b.selectList(q, q.Select, b.tree)
		b.cur = prev
	}
	b.str(" FROM ")
	b.fromItem()
	b.countConditions(q, b.whereClause())
	b.groupBy(group)
}
