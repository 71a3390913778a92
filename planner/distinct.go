package planner

import (
	"slices"

	"github.com/pgrst/pgrst/apierr"
)

// The distinct parameter (db-distinct-enabled): distinct reads
// SELECT DISTINCT of the selected columns, distinct=on(a,b) reads
// SELECT DISTINCT ON (a, b), one row per value of a and b.

// checkDistinct refuses the distinct parameter where it is not served:
// while db-distinct-enabled is off, on anything but a read of a table or
// view, and a plain distinct with embedded resources (their json has no
// equality; distinct=on(...) serves that case).
func checkDistinct(r *Request) error {
	q := r.Query
	if q.Distinct == DistinctNone {
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

// distinct appends the DISTINCT [ON (...)] of a read's select list.
func (b *builder) distinct(q *Query) {
	switch q.Distinct {
	case DistinctAll:
		b.str("DISTINCT ")
	case DistinctOn:
		b.str("DISTINCT ON (")
		b.distinctColumns(q)
		b.str(") ")
	}
}

func (b *builder) distinctColumns(q *Query) {
	for i, c := range q.DistinctOn {
		if i > 0 {
			b.str(", ")
		}
		b.column(c)
	}
}

// distinctOrderBy appends the ORDER BY of a DISTINCT ON read, which
// PostgreSQL wants to start with the DISTINCT ON columns: the leading
// order terms that name distinct columns keep their place and direction,
// the other distinct columns follow (ascending), then the remaining order
// terms, which choose the row kept for each distinct value.
func (b *builder) distinctOrderBy(q *Query, n *node) {
	var terms []OrderTerm
	if n.order >= 0 {
		terms = q.Order[n.order].Terms
	}
	lead := 0
	for lead < len(terms) && isDistinctTerm(&terms[lead], q.DistinctOn) {
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
	for _, c := range q.DistinctOn {
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
		b.distinctColumns(q)
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
