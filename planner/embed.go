package planner

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
)

// Resource embedding. A read plan is a tree of nodes: the root reads the
// target, each embed (name(...), alias:name!hint!inner(...), ...name(...))
// reads the relation a relationship leads to. The tree holds no request
// values, only the structure and which filters, logic trees, orders and
// ranges of the query belong to which node (by index), so a Plan built
// from one query serves every query of the same shape.

// node is one level of a read: the root or an embed.
type node struct {
	rel *cache.Relation     // the relation this level reads
	r   *cache.Relationship // how it is reached from the parent (nil at the root)
	// relName is the relation named in the select item (the target at the
	// root); name is the output name: the alias, else relName.
	relName, name string
	alias         bool // the item has an alias
	// legacyMatch: a filter, order or limit named this aliased embed by
	// its relation (url-use-legacy-target-names).
	legacyMatch bool
	hintText    string // the item's !hint
	depth       int
	// fromAlias names rel inside this level's subquery; aggAlias names the
	// subquery (the lateral join) in the parent. Both follow PostgREST's
	// naming, which its error messages show.
	fromAlias, aggAlias string
	spread, inner       bool
	toOne               bool
	// group: this level aggregates, its own fields' or those of the to-one
	// spreads below it, grouped by its other columns; grouped (the root
	// only): some level does.
	group, grouped bool
	// cte: the embed reads the rows a nested insert's CTE of that name
	// returned, not its table (nested.go).
	cte string
	// junctionCTE: likewise for the junction of a many-to-many embed.
	junctionCTE string
	// empty: no fields and only empty embeds below; no output column.
	empty bool
	// noFields: the select list has no field items.
	noFields bool
	children []*node // one per embed or spread item, in select order
	filters  []int   // indexes into Query.Filters
	logic    []int   // indexes into Query.Logic
	order    int     // index into Query.Order, -1 for none
	rng      int     // index into Query.Ranges, -1 for none
	distinct int     // index into Query.EmbedDistinct, -1 for none
}

// rootNode is the tree of a query without embeds (or before resolution).
func rootNode(rel *cache.Relation) *node {
	return &node{rel: rel, relName: rel.Name, name: rel.Name, order: -1, rng: -1, distinct: -1}
}

// addNodes adds a child node for each embed of items, recursively.
func (n *node) addNodes(items []SelectItem, depth int) {
	n.noFields = true
	for i := range items {
		it := &items[i]
		if it.Kind == SelectField {
			n.noFields = false
			continue
		}
		c := &node{relName: it.Relation, name: it.Relation, depth: depth, order: -1, rng: -1, distinct: -1,
			hintText: it.Hint, spread: it.Kind == SelectSpread, inner: it.Join == JoinInner}
		if it.Alias != "" && it.Kind == SelectEmbed {
			c.name, c.alias = it.Alias, true
		}
		c.addNodes(it.Children, depth+1)
		n.children = append(n.children, c)
	}
}

// find follows an embed path from n. A step names an embed by its output
// name: the alias, or the relation when it has none. With legacy
// (url-use-legacy-target-names, PostgREST's default) a step may also name
// an aliased embed by its relation; such an embed is marked legacyMatch,
// which the response reports in a Warning header. Without legacy, the same
// relation can be embedded twice under two aliases and filtered apart.
func (n *node) find(path []string, legacy bool) (*node, error) {
	for _, name := range path {
		var found *node
		if legacy {
			found = n.legacyChild(name)
		} else {
			found = n.child(name)
		}
		if found == nil {
			for _, c := range n.children {
				if c.alias && c.relName == name {
					return nil, apierr.NotEmbeddedAlias(name, c.name)
				}
			}
			return nil, apierr.NotEmbedded(name)
		}
		if legacy && found.alias && found.relName == name && found.name != name {
			found.legacyMatch = true
		}
		n = found
	}
	return n, nil
}

// legacyChild returns the first embed whose relation or output name is
// name, or nil.
func (n *node) legacyChild(name string) *node {
	for _, c := range n.children {
		if c.relName == name || c.name == name {
			return c
		}
	}
	return nil
}

// legacyWarning is the Warning text for the embeds of tree that a path
// named by relation instead of alias (PostgREST's wording), "" for none.
func legacyWarning(tree *node) string {
	var hint []byte
	var walk func(*node)
	walk = func(n *node) {
		if n.legacyMatch {
			if len(hint) > 0 {
				hint = append(hint, ", "...)
			}
			hint = append(hint, '`')
			hint = append(hint, n.relName...)
			hint = append(hint, "` to `"...)
			hint = append(hint, n.name...)
			hint = append(hint, '`')
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(tree)
	if len(hint) == 0 {
		return ""
	}
	return "Embedded resource was referenced by relation name even though it has an alias. " +
		"This is deprecated and will stop working in a future release. Update " + string(hint) +
		" in query string filters, orders or limits."
}

// child returns the embed whose output name is name, or nil.
func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// planTree resolves the select tree of q against the schema cache. The
// checks come in PostgREST's order: embed paths of filters, orders, ranges
// and logic trees (PGRST108), relationships (PGRST200/201), related orders
// (PGRST108/118), aggregates (PGRST123).
func planTree(r *Request, s *cache.Schema, rel *cache.Relation) (*node, error) {
	q, schema, legacy := r.Query, r.Schema, r.LegacyTargetNames
	root := rootNode(rel)
	root.addNodes(q.Select, 1)
	// Each kind folds from the last parameter, so the last bad one is reported.
	for i := len(q.Filters) - 1; i >= 0; i-- {
		if _, err := root.find(q.Filters[i].Path, legacy); err != nil {
			return nil, err
		}
	}
	for i := len(q.Order) - 1; i >= 0; i-- {
		if _, err := root.find(q.Order[i].Path, legacy); err != nil {
			return nil, err
		}
	}
	for i := range q.Ranges {
		if _, err := root.find(q.Ranges[i].Path, legacy); err != nil {
			return nil, err
		}
	}
	for i := len(q.Logic) - 1; i >= 0; i-- {
		if _, err := root.find(q.Logic[i].Path, legacy); err != nil {
			return nil, err
		}
	}
	for i := range q.Filters {
		n, _ := root.find(q.Filters[i].Path, legacy)
		n.filters = append(n.filters, i)
	}
	for i := range q.Logic {
		n, _ := root.find(q.Logic[i].Path, legacy)
		n.logic = append(n.logic, i)
	}
	for i := range q.Order {
		// The first order parameter for a path wins.
		if n, _ := root.find(q.Order[i].Path, legacy); n.order < 0 {
			n.order = i
		}
	}
	for i := range q.Ranges {
		n, _ := root.find(q.Ranges[i].Path, legacy)
		n.rng = i
	}
	for i := range q.EmbedDistinct {
		n, err := root.find(q.EmbedDistinct[i].Path, legacy)
		if err != nil {
			return nil, err
		}
		if n.distinct < 0 { // the first one for a path wins
			n.distinct = i
		}
	}
	if len(root.children) > 0 {
		if s == nil {
			return nil, errNoRelBetween(s, schema, rel.Name, root.children[0].relName, "")
		}
		if err := resolveRels(root, s, schema); err != nil {
			return nil, err
		}
	}
	if err := checkNode(root, q); err != nil {
		return nil, err
	}
	if err := checkDistinctNodes(root, q); err != nil { // distinct.go
		return nil, err
	}
	if err := checkEmbedOps(root, q); err != nil {
		return nil, err
	}
	if err := planAggregates(root, q.Select, r.Aggregates); err != nil {
		return nil, err
	}
	return root, nil
}

// resolveRels finds the relationship of each embed, depth first.
func resolveRels(parent *node, s *cache.Schema, schema string) error {
	for _, c := range parent.children {
		rels := findRels(s, schema, parent.rel.Name, c.relName, c.hint())
		switch len(rels) {
		case 0:
			return errNoRelBetween(s, schema, parent.rel.Name, c.relName, c.hint())
		case 1:
		default:
			return errAmbiguousRel(parent.rel.Name, c.relName, rels)
		}
		r := rels[0]
		target := s.Relations[r.Foreign]
		if target == nil {
			return errNoRelBetween(s, schema, parent.rel.Name, c.relName, c.hint())
		}
		c.r, c.rel, c.toOne = r, target, r.IsToOne()
		d := strconv.Itoa(c.depth)
		c.fromAlias = r.Foreign.Name + "_" + d
		c.aggAlias = r.Table.Name + "_" + c.name + "_" + d
		if err := resolveRels(c, s, schema); err != nil {
			return err
		}
		c.empty = !c.spread && c.noFields && allEmpty(c.children)
	}
	return nil
}

func allEmpty(ns []*node) bool {
	for _, n := range ns {
		if !n.noFields || !allEmpty(n.children) {
			return false
		}
	}
	return true
}

func (n *node) hint() string { return n.hintText }

// findRels lists the relationships from origin that an embed of target
// (with an optional !hint) may mean, as PostgREST's findRel does.
func findRels(s *cache.Schema, schema, origin, target, hint string) []*cache.Relationship {
	var out []*cache.Relationship
	for _, r := range s.Relationships[cache.QName{Schema: schema, Name: origin}] {
		if r.Computed {
			if r.Function.Schema == schema && r.Function.Name == target {
				out = append(out, r)
			}
			continue
		}
		if r.Foreign.Schema != schema {
			continue
		}
		if matchRel(r, target, hint) {
			out = append(out, r)
		}
	}
	return out
}

func matchRel(r *cache.Relationship, target, hint string) bool {
	isM2O := r.Card == cache.ManyToOne
	isO2M := r.Card == cache.OneToMany
	single := r.Junction == nil && len(r.Columns) == 1
	fkCol := func(h string) bool { return single && r.Columns[0] == h }
	refCol := func(h string) bool { return single && r.ForeignColumns[0] == h }
	cons := func(h string) bool { return r.Junction == nil && r.Constraint == h }
	if r.IsSelf {
		if hint == "" {
			// children by the table's name, the parent by the FK column
			return target == r.Foreign.Name && isO2M || fkCol(target) && isM2O
		}
		return target == r.Foreign.Name && isO2M && refCol(hint)
	}
	if hint == "" {
		return target == r.Foreign.Name ||
			cons(target) && !r.ForeignIsView ||
			fkCol(target) && !r.ForeignIsView
	}
	return target == r.Foreign.Name &&
		(cons(hint) || fkCol(hint) || refCol(hint) ||
			r.Junction != nil && r.Junction.Table.Name == hint)
}

// checkNode checks related orders, depth first.
func checkNode(n *node, q *Query) error {
	if n.order >= 0 {
		for _, t := range q.Order[n.order].Terms {
			if t.Relation == "" {
				continue
			}
			c := n.child(t.Relation)
			if c == nil {
				return apierr.NotEmbedded(t.Relation)
			}
			if !c.toOne {
				return apierr.RelatedOrderNotToOne(n.rel.Name, c.name)
			}
		}
	}
	for _, c := range n.children {
		if err := checkNode(c, q); err != nil {
			return err
		}
	}
	return nil
}

// embedFilter returns the embed a filter tests (embed=is.null,
// embed=not.is.null), or nil when it filters a column. As in PostgREST,
// only is.null (negated or not) on an embed's output name tests the embed:
// any other filter on that name filters the column of the same name
// (user_friend?select=*,user1(*)&user1=eq.<id>).
func (n *node) embedFilter(f *Filter) *node {
	if n == nil || len(f.Field.JSON) > 0 || len(n.children) == 0 ||
		f.Expr.Op != OpIs || f.Expr.Is != IsNull {
		return nil
	}
	return n.child(f.Field.Name)
}

// checkEmbedOps rejects a filter on an embed's name with an operator
// other than is.null (PGRST120). As in PostgREST v16, a name that is also
// a column of the relation filters that column instead.
func checkEmbedOps(n *node, q *Query) error {
	bad := func(f *Filter) error {
		if len(f.Field.JSON) > 0 || (f.Expr.Op == OpIs && f.Expr.Is == IsNull) ||
			n.child(f.Field.Name) == nil || n.rel == nil || n.rel.Column(f.Field.Name) != nil {
			return nil
		}
		return apierr.BadEmbedOp(f.Field.Name)
	}
	var walk func(l *Logic) error
	walk = func(l *Logic) error {
		if l.Leaf != nil {
			return bad(l.Leaf)
		}
		for i := range l.Children {
			if err := walk(&l.Children[i]); err != nil {
				return err
			}
		}
		return nil
	}
	for _, i := range n.filters {
		if err := bad(&q.Filters[i]); err != nil {
			return err
		}
	}
	for _, i := range n.logic {
		if err := walk(&q.Logic[i].Tree); err != nil {
			return err
		}
	}
	for _, c := range n.children {
		if err := checkEmbedOps(c, q); err != nil {
			return err
		}
	}
	return nil
}

// Errors of embedding.

// errNoRelBetween is PGRST200, with a close name as the hint.
func errNoRelBetween(s *cache.Schema, schema, parent, child, hint string) *Error {
	suggestion, misspelt := noRelHint(s, schema, parent, child)
	return apierr.NoRelationship(schema, parent, child, hint, suggestion, misspelt)
}

// noRelHint suggests a close name: for the embed when the parent has
// relationships, else for the parent. It returns the suggestion and the
// name it replaces, or "" when there is none.
func noRelHint(s *cache.Schema, schema, parent, child string) (suggestion, misspelt string) {
	if s == nil {
		return "", ""
	}
	var targets []string
	key := cache.QName{Schema: schema, Name: parent}
	// Relationships through a private junction are not embeddable, but
	// they make the parent "found" (PostgREST drops them after indexing).
	found := hasPrivateJunctionTarget(s, key, schema)
	for _, r := range s.Relationships[key] {
		if r.Computed && r.Function.Schema == schema || !r.Computed && r.Foreign.Schema == schema {
			found = true
			targets = append(targets, r.Foreign.Name)
		}
	}
	if found {
		// No suggestion when the embed names a target: the hint is wrong.
		if slices.Contains(targets, child) {
			return "", ""
		}
		if m := closest(targets, child, 0.33); m != "" {
			return m, child
		}
		return "", ""
	}
	var parents []string
	for k, list := range s.Relationships {
		if k.Schema != schema {
			continue
		}
		for _, r := range list {
			if r.Computed && r.Function.Schema == schema || !r.Computed && r.Foreign.Schema == schema {
				parents = append(parents, k.Name)
				break
			}
		}
	}
	for k := range s.PrivateJunctionTargets {
		if k.Schema == schema && !slices.Contains(parents, k.Name) && hasPrivateJunctionTarget(s, k, schema) {
			parents = append(parents, k.Name)
		}
	}
	if m := closest(parents, parent, 0.33); m != "" {
		return m, parent
	}
	return "", ""
}

// hasPrivateJunctionTarget reports whether rel reaches a relation of
// schema through a junction of a private schema.
func hasPrivateJunctionTarget(s *cache.Schema, rel cache.QName, schema string) bool {
	for _, t := range s.PrivateJunctionTargets[rel] {
		if t.Schema == schema {
			return true
		}
	}
	return false
}

// closest returns the candidate most similar to name with a score of at
// least minScore (1 - Levenshtein distance / longer length, ignoring
// case). Ties go to the smaller name.
func closest(cands []string, name string, minScore float64) string {
	want := []rune(strings.ToLower(name))
	best, bestScore := "", 0.0
	for _, c := range cands {
		cr := []rune(strings.ToLower(c))
		longest := max(len(want), len(cr))
		if longest == 0 {
			continue
		}
		score := 1 - float64(levenshtein(want, cr))/float64(longest)
		if score < minScore {
			continue
		}
		if score > bestScore || score == bestScore && c < best {
			best, bestScore = c, score
		}
	}
	return best
}

type relDetail struct {
	Cardinality  string `json:"cardinality"`
	Embedding    string `json:"embedding"`
	Relationship string `json:"relationship"`
}

// errAmbiguousRel is PGRST201: its details list the candidates, its hint
// the !hint forms that pick each.
func errAmbiguousRel(parent, child string, rels []*cache.Relationship) *Error {
	details := make([]relDetail, 0, len(rels))
	hints := make([]string, 0, len(rels))
	cols := func(c []string) string { return "(" + strings.Join(c, ", ") + ")" }
	for _, r := range rels {
		if r.Computed {
			continue
		}
		d := relDetail{Cardinality: r.Card.String(), Embedding: r.Table.Name + " with " + r.Foreign.Name}
		h := r.Constraint
		if j := r.Junction; j != nil {
			d.Relationship = j.Table.Name + " using " + j.Constraint1 + cols(j.SourceJunctionColumns) +
				" and " + j.Constraint2 + cols(j.TargetJunctionColumns)
			h = j.Table.Name
		} else {
			d.Relationship = r.Constraint + " using " + r.Table.Name + cols(r.Columns) +
				" and " + r.Foreign.Name + cols(r.ForeignColumns)
		}
		details = append(details, d)
		hints = append(hints, "'"+r.Foreign.Name+"!"+h+"'")
	}
	raw, _ := json.Marshal(details)
	return apierr.AmbiguousRelationship(parent, child, string(raw), hints)
}
