package planner

import "github.com/pgrst/pgrst/apierr"

// Aggregates (db-aggregates-enabled): count(), col.sum(), .avg(), .max(),
// .min() and .count() in the select list, as in PostgREST. A level with
// aggregates groups by its other output columns, by position. The
// aggregates of a to-one spread are applied one level up, by the first
// level that is not a spread: the spread's subquery selects the raw
// value under the aggregate's output name, and that level aggregates the
// joined rows, grouped by its other columns, the spread's included. The
// aggregates of to-many spreads are not implemented (PGRST127), as in
// PostgREST.

// planAggregates checks the aggregates of the select tree rooted at root
// (items) and marks the levels that group.
func planAggregates(root *node, items []SelectItem, enabled bool) error {
	if !hasAggregate(items) {
		return nil
	}
	if !enabled {
		return apierr.AggregatesNotAllowed()
	}
	if _, err := markGroups(root, items); err != nil {
		return err
	}
	root.grouped = true
	return nil
}

func hasAggregate(items []SelectItem) bool {
	for i := range items {
		if items[i].Agg != AggNone || hasAggregate(items[i].Children) {
			return true
		}
	}
	return false
}

// markGroups sets n.group where n applies aggregates. For a spread it
// returns whether the spread has aggregates its parent must apply.
func markGroups(n *node, items []SelectItem) (bool, error) {
	has := false
	k := 0
	for i := range items {
		it := &items[i]
		if it.Kind == SelectField {
			has = has || it.Agg != AggNone
			continue
		}
		c := n.children[k]
		k++
		sub, err := markGroups(c, it.Children)
		if err != nil {
			return false, err
		}
		if sub && !c.toOne {
			return false, apierr.NotImplemented("Aggregates are not implemented for one-to-many or many-to-many spreads.")
		}
		has = has || sub
	}
	if n.spread {
		return has, nil
	}
	n.group = has
	return false, nil
}

// selectName is the output name of select field it: its alias, else an
// aggregate's name, else the JSON path's last key or the column.
func selectName(it *SelectItem) string {
	if it.Alias != "" {
		return it.Alias
	}
	if it.Agg != AggNone {
		return aggNames[it.Agg]
	}
	if name := outputName(it); name != "" {
		return name
	}
	return it.Field.Name
}

// aggItem appends aggregate field it: applied (agg(value)[::cast]) at the
// level that groups, else (in a to-one spread) the value alone, which
// that level aggregates by name (hoistedAgg). count()'s value is a
// constant, null where the spread's row is missing.
func (b *builder) aggItem(it *SelectItem, apply bool) {
	switch {
	case apply:
		b.applyAgg(it, func() {
			if isStar(it) {
				b.str("*")
			} else {
				b.fieldExpr(it)
			}
		})
	case isStar(it):
		b.str("1")
	default:
		b.fieldExpr(it)
	}
	b.str(" AS ")
	b.ident(selectName(it))
}

// hoistedAgg appends the aggregate of spread column name of the spread
// subquery alias.
func (b *builder) hoistedAgg(it *SelectItem, alias, name string) {
	b.applyAgg(it, func() {
		b.ident(alias)
		b.str(".")
		b.ident(name)
	})
	b.str(" AS ")
	b.ident(name)
}

// applyAgg appends it's aggregate over the value arg appends, with the
// aggregate's cast.
func (b *builder) applyAgg(it *SelectItem, arg func()) {
	if it.AggCast != "" {
		b.str("CAST(")
	}
	b.str(aggNames[it.Agg])
	b.str("(")
	arg()
	b.str(")")
	if it.AggCast != "" {
		b.str(" AS ")
		b.buf = appendCastType(b.buf, it.AggCast)
		b.str(")")
	}
}
