package cache

import (
	"cmp"
	"slices"
	"strconv"
)

// Cardinality is the kind of a relationship, seen from its source.
type Cardinality uint8

// The cardinalities, in PostgREST's order (which sorts ambiguity details).
const (
	OneToMany Cardinality = iota + 1
	ManyToOne
	OneToOne
	ManyToMany
)

var cardNames = [...]string{"", "one-to-many", "many-to-one", "one-to-one", "many-to-many"}

func (c Cardinality) String() string { return cardNames[c] }

// Relationship lets the source relation embed the target. Foreign-key
// relationships come from a foreign key in either direction (or through a
// junction table for many-to-many), traced through views; a computed
// relationship comes from a function f(source) returning target rows.
type Relationship struct {
	Table   QName // source
	Foreign QName // target
	// TableIsView / ForeignIsView: the end is a view (or matview).
	TableIsView, ForeignIsView bool
	// IsSelf: source and target are the same relation.
	IsSelf bool
	Card   Cardinality
	// Constraint is the foreign key's name (empty for M2M and computed).
	Constraint string
	// Columns[i] of Table equals ForeignColumns[i] of Foreign (M2O, O2M, O2O).
	Columns, ForeignColumns []string
	// IsParent: for one-to-one, the source is the referenced side.
	IsParent bool
	// Junction is set for many-to-many.
	Junction *Junction

	// Computed relationships: Function(Table row) returns Foreign rows;
	// ToOne when it returns a single row (not SETOF, or ROWS 1).
	Computed bool
	Function QName
	ToOne    bool
}

// Junction is the middle table of a many-to-many relationship:
// Constraint1 references the source, Constraint2 the target.
type Junction struct {
	Table                    QName
	Constraint1, Constraint2 string
	// SourceColumns[i] of the source equals SourceJunctionColumns[i] of the
	// junction; likewise for the target.
	SourceColumns, SourceJunctionColumns []string
	TargetColumns, TargetJunctionColumns []string
}

// IsToOne reports whether embedding gives at most one row (an object).
func (r *Relationship) IsToOne() bool {
	if r.Computed {
		return r.ToOne
	}
	return r.Card == ManyToOne || r.Card == OneToOne
}

// The JSON shapes of the relationship parts of sql/introspect.sql.

type fkDoc struct {
	Name     string   `json:"name"`
	OID      uint32   `json:"oid"`
	Schema   string   `json:"schema"`
	Table    string   `json:"table"`
	FOID     uint32   `json:"foid"`
	FSchema  string   `json:"fschema"`
	FTable   string   `json:"ftable"`
	Nums     []int    `json:"nums"`
	FNums    []int    `json:"fnums"`
	Cols     []string `json:"cols"`
	FCols    []string `json:"fcols"`
	OneToOne bool     `json:"one_to_one"`
}

type pkDoc struct {
	OID  uint32 `json:"oid"`
	Nums []int  `json:"nums"`
}

type viewDoc struct {
	OID  uint32   `json:"oid"`
	Cols []string `json:"cols"`
	Def  string   `json:"def"`
}

type computedDoc struct {
	Schema    string `json:"schema"`
	Name      string `json:"name"`
	TableOID  uint32 `json:"table_oid"`
	FTableOID uint32 `json:"ftable_oid"`
	SingleRow bool   `json:"single"`
}

// colRef is one column of a table: (pg_class oid, attnum).
type colRef struct {
	rel uint32
	num int
}

// relsBuilder derives the relationships of a catalog snapshot.
type relsBuilder struct {
	s       *Schema
	byOID   map[uint32]*Relation // exposed relations
	exposed map[string]bool
	views   map[uint32]*viewDoc
	// origins[view oid][attnum-1] is the view column's own origin (one
	// level down), zero when it is computed.
	origins map[uint32][]colRef
	// traced maps an exposed view to base column → view columns showing it.
	traced map[uint32]map[colRef][]string
	// byBase lists the traced views showing a column of a table, by name.
	byBase map[uint32][]uint32
	pks    map[uint32][]int
}

// buildRelationships fills s.Relationships and the primary keys of views.
func (d *catalogDoc) buildRelationships(s *Schema) {
	b := &relsBuilder{
		s:       s,
		byOID:   make(map[uint32]*Relation, len(s.Relations)),
		exposed: make(map[string]bool, len(s.Exposed)),
		views:   make(map[uint32]*viewDoc, len(d.Views)),
		origins: make(map[uint32][]colRef, len(d.Views)),
		traced:  make(map[uint32]map[colRef][]string),
		byBase:  make(map[uint32][]uint32),
		pks:     make(map[uint32][]int, len(d.PKs)),
	}
	for _, name := range s.Exposed {
		b.exposed[name] = true
	}
	for _, r := range s.Relations {
		b.byOID[r.OID] = r
	}
	for i := range d.PKs {
		b.pks[d.PKs[i].OID] = d.PKs[i].Nums
	}
	for i := range d.Views {
		v := &d.Views[i]
		b.views[v.OID] = v
		b.origins[v.OID] = viewOrigins(v.Def, len(v.Cols))
	}
	b.traceViews()
	b.viewPrimaryKeys()

	var rels []*Relationship
	for i := range d.FKs {
		rels = b.fkRels(rels, &d.FKs[i])
	}
	s.PrivateJunctionTargets = b.privateJunctionTargets(rels, d.FKs)
	rels = b.m2mRels(rels)
	// Inverses: O2M for every M2O, and the other side of every O2O.
	n := len(rels)
	for _, r := range rels[:n] {
		inv := &Relationship{Table: r.Foreign, Foreign: r.Table, TableIsView: r.ForeignIsView, ForeignIsView: r.TableIsView,
			IsSelf: r.IsSelf, Constraint: r.Constraint, Columns: r.ForeignColumns, ForeignColumns: r.Columns}
		switch r.Card {
		case ManyToOne:
			inv.Card = OneToMany
		case OneToOne:
			inv.Card = OneToOne
			inv.IsParent = !r.IsParent
		default:
			continue
		}
		rels = append(rels, inv)
	}

	out := make(map[QName][]*Relationship)
	for _, r := range rels {
		if !b.exposed[r.Table.Schema] || !b.exposed[r.Foreign.Schema] ||
			r.Junction != nil && !b.exposed[r.Junction.Table.Schema] {
			continue
		}
		out[r.Table] = append(out[r.Table], r)
	}
	b.computedRels(out, d.Computed)
	for _, list := range out {
		slices.SortStableFunc(list, compareRels)
	}
	s.Relationships = out
}

// traceViews follows each column of each exposed view down to a base table
// column, through views on views.
func (b *relsBuilder) traceViews() {
	for oid := range b.views {
		r := b.byOID[oid]
		if r == nil {
			continue // a view outside the exposed schemas: only a step on the way
		}
		cols := b.views[oid].Cols
		m := make(map[colRef][]string)
		for i, o := range b.origins[oid] {
			base, ok := b.trace(o)
			if !ok || i >= len(cols) {
				continue
			}
			m[base] = append(m[base], cols[i])
		}
		if len(m) > 0 {
			b.traced[oid] = m
			var bases []uint32
			for ref := range m {
				if !slices.Contains(bases, ref.rel) {
					bases = append(bases, ref.rel)
					b.byBase[ref.rel] = append(b.byBase[ref.rel], oid)
				}
			}
		}
	}
	// Map order is random: sort each list by the view's name.
	for _, views := range b.byBase {
		slices.SortFunc(views, func(x, y uint32) int {
			a, c := b.byOID[x], b.byOID[y]
			return cmp.Or(cmp.Compare(a.Schema, c.Schema), cmp.Compare(a.Name, c.Name))
		})
	}
}

// trace resolves a column origin through views to a table column.
func (b *relsBuilder) trace(o colRef) (colRef, bool) {
	for range 64 { // views cannot form cycles; the bound only guards bad input
		if o.rel == 0 || o.num <= 0 {
			return colRef{}, false
		}
		v, ok := b.origins[o.rel]
		if !ok {
			return o, true
		}
		if o.num > len(v) {
			return colRef{}, false
		}
		o = v[o.num-1]
	}
	return colRef{}, false
}

// viewCols returns, for each key column of table rel, the view columns
// of view showing it; nil unless every key column is shown.
func (b *relsBuilder) viewCols(view, rel uint32, nums []int) [][]string {
	m := b.traced[view]
	if m == nil {
		return nil
	}
	out := make([][]string, len(nums))
	for i, n := range nums {
		cols := m[colRef{rel, n}]
		if len(cols) == 0 {
			return nil
		}
		out[i] = cols
	}
	return out
}

// viewsOver lists the exposed views that show every column nums of rel.
func (b *relsBuilder) viewsOver(rel uint32, nums []int) (views []uint32, cols [][][]string) {
	for _, oid := range b.byBase[rel] {
		if c := b.viewCols(oid, rel, nums); c != nil {
			views = append(views, oid)
			cols = append(cols, c)
		}
	}
	return views, cols
}

// expand lists every choice of one view column per key column (a key
// column shown twice in a view gives two relationships).
func expand(cols [][]string) [][]string {
	out := [][]string{nil}
	for _, alts := range cols {
		next := make([][]string, 0, len(out)*len(alts))
		for _, prefix := range out {
			for _, c := range alts {
				next = append(next, append(slices.Clip(prefix), c))
			}
		}
		out = next
		if len(out) > 64 {
			out = out[:64] // pathological views: keep the first combinations
		}
	}
	return out
}

// viewPrimaryKeys gives an exposed view without a key the primary keys of
// the tables it shows all key columns of (the first view column for each).
func (b *relsBuilder) viewPrimaryKeys() {
	for oid := range b.traced {
		r := b.byOID[oid]
		if len(r.PrimaryKey) > 0 {
			continue
		}
		// Base tables in the order their first column appears in the view.
		var bases []uint32
		for _, o := range b.origins[oid] {
			if base, ok := b.trace(o); ok && !slices.Contains(bases, base.rel) {
				bases = append(bases, base.rel)
			}
		}
		for _, base := range bases {
			nums := b.pks[base]
			if len(nums) == 0 {
				continue
			}
			cols := b.viewCols(oid, base, nums)
			if cols == nil {
				continue
			}
			for _, c := range cols {
				r.PrimaryKey = append(r.PrimaryKey, c[0])
			}
		}
	}
}

func (b *relsBuilder) qname(oid uint32) QName {
	r := b.byOID[oid]
	return QName{r.Schema, r.Name}
}

func (b *relsBuilder) isView(oid uint32) bool {
	if r := b.byOID[oid]; r != nil {
		return r.Kind == KindView || r.Kind == KindMaterialized
	}
	_, ok := b.views[oid]
	return ok
}

// fkRels adds the to-one relationships of a foreign key: table to table,
// and the same traced through the views of either end.
func (b *relsBuilder) fkRels(rels []*Relationship, fk *fkDoc) []*Relationship {
	card := ManyToOne
	if fk.OneToOne {
		card = OneToOne
	}
	add := func(t, ft QName, tView, ftView bool, cols, fcols []string) {
		rels = append(rels, &Relationship{Table: t, Foreign: ft, TableIsView: tView, ForeignIsView: ftView,
			IsSelf: t == ft, Card: card, Constraint: fk.Name, Columns: cols, ForeignColumns: fcols})
	}
	t := QName{fk.Schema, fk.Table}
	ft := QName{fk.FSchema, fk.FTable}
	add(t, ft, b.isView(fk.OID), b.isView(fk.FOID), fk.Cols, fk.FCols)
	if len(b.byBase[fk.OID]) == 0 && len(b.byBase[fk.FOID]) == 0 {
		return rels
	}
	srcViews, srcCols := b.viewsOver(fk.OID, fk.Nums)
	dstViews, dstCols := b.viewsOver(fk.FOID, fk.FNums)
	var srcExp, dstExp [][][]string
	for i, v := range srcViews {
		srcExp = append(srcExp, expand(srcCols[i]))
		for _, cols := range srcExp[i] {
			add(b.qname(v), ft, true, b.isView(fk.FOID), cols, fk.FCols)
		}
	}
	for j, w := range dstViews {
		dstExp = append(dstExp, expand(dstCols[j]))
		for _, fcols := range dstExp[j] {
			add(t, b.qname(w), b.isView(fk.OID), true, fk.Cols, fcols)
		}
	}
	for i, v := range srcViews {
		for j, w := range dstViews {
			for _, cols := range srcExp[i] {
				for _, fcols := range dstExp[j] {
					add(b.qname(v), b.qname(w), true, true, cols, fcols)
				}
			}
		}
	}
	return rels
}

// m2mRels adds a many-to-many relationship for every pair of many-to-one
// relationships of the same junction (two different foreign keys) whose
// columns all belong to the junction's primary key.
func (b *relsBuilder) m2mRels(rels []*Relationship) []*Relationship {
	bySource := make(map[QName][]*Relationship)
	for _, r := range rels {
		if r.Card == ManyToOne {
			bySource[r.Table] = append(bySource[r.Table], r)
		}
	}
	// Iterate junctions in a fixed order.
	junctions := make([]QName, 0, len(bySource))
	for k, list := range bySource {
		if len(list) > 1 {
			junctions = append(junctions, k)
		}
	}
	slices.SortFunc(junctions, compareQName)
	for _, jt := range junctions {
		jr := b.s.Relations[jt]
		if jr == nil || len(jr.PrimaryKey) == 0 {
			continue // only exposed junctions are kept anyway
		}
		list := bySource[jt]
		for _, r1 := range list {
			for _, r2 := range list {
				if r1.Constraint == r2.Constraint {
					continue
				}
				if !allIn(r1.Columns, jr.PrimaryKey) || !allIn(r2.Columns, jr.PrimaryKey) {
					continue
				}
				rels = append(rels, &Relationship{
					Table: r1.Foreign, Foreign: r2.Foreign,
					TableIsView: r1.ForeignIsView, ForeignIsView: r2.ForeignIsView,
					IsSelf: r1.Foreign == r2.Foreign, Card: ManyToMany,
					Junction: &Junction{
						Table: jt, Constraint1: r1.Constraint, Constraint2: r2.Constraint,
						SourceColumns: r1.ForeignColumns, SourceJunctionColumns: r1.Columns,
						TargetColumns: r2.ForeignColumns, TargetJunctionColumns: r2.Columns,
					},
				})
			}
		}
	}
	return rels
}

// privateJunctionTargets finds the many-to-many relationships that m2mRels
// leaves out because their junction is a table of a private schema: for
// every pair of its many-to-one relationships (two different foreign keys,
// columns inside the junction's primary key) between relations of exposed
// schemas, the first's target reaches the second's.
func (b *relsBuilder) privateJunctionTargets(rels []*Relationship, fks []fkDoc) map[QName][]QName {
	// The private tables' oids and attnums of foreign key columns, by name.
	type tableNums struct {
		oid  uint32
		nums map[string]int
	}
	private := make(map[QName]*tableNums)
	for i := range fks {
		fk := &fks[i]
		if b.exposed[fk.Schema] || len(fk.Cols) != len(fk.Nums) {
			continue
		}
		k := QName{fk.Schema, fk.Table}
		t := private[k]
		if t == nil {
			t = &tableNums{oid: fk.OID, nums: make(map[string]int)}
			private[k] = t
		}
		for j, c := range fk.Cols {
			t.nums[c] = fk.Nums[j]
		}
	}
	if len(private) == 0 {
		return nil
	}
	inKey := func(t *tableNums, cols []string) bool {
		pk := b.pks[t.oid]
		for _, c := range cols {
			n, ok := t.nums[c]
			if !ok || !slices.Contains(pk, n) {
				return false
			}
		}
		return true
	}
	bySource := make(map[QName][]*Relationship)
	for _, r := range rels {
		if t := private[r.Table]; t != nil && r.Card == ManyToOne && b.exposed[r.Foreign.Schema] && inKey(t, r.Columns) {
			bySource[r.Table] = append(bySource[r.Table], r)
		}
	}
	var out map[QName][]QName
	for _, list := range bySource {
		for _, r1 := range list {
			for _, r2 := range list {
				if r1.Constraint == r2.Constraint || slices.Contains(out[r1.Foreign], r2.Foreign) {
					continue
				}
				if out == nil {
					out = make(map[QName][]QName)
				}
				out[r1.Foreign] = append(out[r1.Foreign], r2.Foreign)
			}
		}
	}
	return out
}

func allIn(cols, set []string) bool {
	for _, c := range cols {
		if !slices.Contains(set, c) {
			return false
		}
	}
	return true
}

// computedRels adds the computed relationships; one named like a target
// relation of the same schema replaces the detected relationships to it.
func (b *relsBuilder) computedRels(out map[QName][]*Relationship, docs []computedDoc) {
	for i := range docs {
		c := &docs[i]
		t, ft := b.byOID[c.TableOID], b.byOID[c.FTableOID]
		if t == nil || ft == nil {
			continue
		}
		src := QName{t.Schema, t.Name}
		fn := QName{c.Schema, c.Name}
		list := out[src]
		// The same function name for the same table (overloads on other
		// tables aside) can only exist once; drop detected relationships to
		// a relation with the function's qualified name.
		list = slices.DeleteFunc(list, func(r *Relationship) bool {
			return !r.Computed && r.Foreign == fn || r.Computed && r.Function == fn
		})
		list = append(list, &Relationship{Table: src, Foreign: QName{ft.Schema, ft.Name},
			TableIsView:   t.Kind == KindView || t.Kind == KindMaterialized,
			ForeignIsView: ft.Kind == KindView || ft.Kind == KindMaterialized,
			IsSelf:        src == QName{ft.Schema, ft.Name}, Computed: true, Function: fn, ToOne: c.SingleRow})
		out[src] = list
	}
}

func compareQName(a, b QName) int {
	return cmp.Or(cmp.Compare(a.Schema, b.Schema), cmp.Compare(a.Name, b.Name))
}

func compareStrings(a, b []string) int { return slices.Compare(a, b) }

// compareRels is PostgREST's order of relationships: foreign-key ones
// before computed ones, then by target, self, cardinality, constraint and
// columns.
func compareRels(a, b *Relationship) int {
	if a.Computed != b.Computed {
		if a.Computed {
			return 1
		}
		return -1
	}
	if a.Computed {
		return cmp.Or(compareQName(a.Function, b.Function), compareQName(a.Foreign, b.Foreign))
	}
	c := cmp.Or(compareQName(a.Foreign, b.Foreign), cmpBool(a.IsSelf, b.IsSelf), cmp.Compare(a.Card, b.Card))
	if c != 0 {
		return c
	}
	if a.Junction != nil && b.Junction != nil {
		ja, jb := a.Junction, b.Junction
		return cmp.Or(compareQName(ja.Table, jb.Table), cmp.Compare(ja.Constraint1, jb.Constraint1),
			cmp.Compare(ja.Constraint2, jb.Constraint2),
			compareStrings(ja.SourceColumns, jb.SourceColumns), compareStrings(ja.TargetColumns, jb.TargetColumns))
	}
	return cmp.Or(cmp.Compare(a.Constraint, b.Constraint), compareStrings(a.Columns, b.Columns),
		compareStrings(a.ForeignColumns, b.ForeignColumns), cmpBool(a.TableIsView, b.TableIsView),
		cmpBool(a.ForeignIsView, b.ForeignIsView))
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// viewOrigins reads a view's query tree (pg_rewrite.ev_action as text) and
// returns the origin of each of its n output columns: the table column a
// plain column reference comes from (resorigtbl, resorigcol of the target
// list entry), zero for computed columns.
func viewOrigins(def string, n int) []colRef {
	out := make([]colRef, n)
	sc := nodeScanner{s: def}
	// The tree is a list of Query nodes: find the first one.
	for {
		tok := sc.next()
		if tok == "" {
			return out
		}
		if tok == "{" && sc.next() == "QUERY" {
			break
		}
	}
	// Fields of the Query node at depth 0 relative to it.
	depth := 0
	for {
		tok := sc.next()
		switch tok {
		case "":
			return out
		case "{", "(":
			depth++
		case "}", ")":
			if depth == 0 {
				return out // end of the Query node
			}
			depth--
		case ":targetList":
			if depth == 0 {
				sc.targetList(out)
				return out
			}
		}
	}
}

// targetList reads a list of TARGETENTRY nodes.
func (sc *nodeScanner) targetList(out []colRef) {
	if sc.next() != "(" {
		return // <> : no columns
	}
	for {
		tok := sc.next()
		if tok != "{" {
			return // ")" or the end
		}
		if sc.next() != "TARGETENTRY" {
			return
		}
		var resno, col int
		var tbl uint64
		junk := false
		depth := 0
	entry:
		for {
			tok := sc.next()
			switch tok {
			case "":
				return
			case "{", "(":
				depth++
			case "}", ")":
				if depth == 0 {
					break entry
				}
				depth--
			case ":resno", ":resorigtbl", ":resorigcol", ":resjunk":
				if depth != 0 {
					continue
				}
				v := sc.next()
				switch tok {
				case ":resno":
					resno, _ = strconv.Atoi(v)
				case ":resorigtbl":
					tbl, _ = strconv.ParseUint(v, 10, 32)
				case ":resorigcol":
					col, _ = strconv.Atoi(v)
				case ":resjunk":
					junk = v == "true"
				}
			}
		}
		if !junk && resno >= 1 && resno <= len(out) {
			out[resno-1] = colRef{uint32(tbl), col}
		}
	}
}

// nodeScanner splits a pg_node_tree text into tokens: the brackets
// ( ) { } alone, and words separated by white space or brackets, where a
// backslash escapes the next character.
type nodeScanner struct {
	s string
	i int
}

func (sc *nodeScanner) next() string {
	s := sc.s
	i := sc.i
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
		i++
	}
	if i >= len(s) {
		sc.i = i
		return ""
	}
	switch s[i] {
	case '(', ')', '{', '}':
		sc.i = i + 1
		return s[i : i+1]
	}
	start := i
	for i < len(s) {
		c := s[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '(' || c == ')' || c == '{' || c == '}' {
			break
		}
		i++
	}
	if i > len(s) {
		i = len(s)
	}
	sc.i = i
	return s[start:i]
}
