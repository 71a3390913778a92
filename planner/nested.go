package planner

import (
	"strconv"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/sqltext"
)

// Nested inserts. A POST whose columns parameter embeds relationships
// (columns=name,client(name),tasks(title,labels(name))) inserts the body's
// rows and, under the keys that name those relationships, their related
// rows, all in the one statement, so they commit or fail together. Each
// table of the tree is a level; a level reached through a to-one
// relationship whose foreign key its parent holds is inserted before the
// parent (the parent takes its key), any other after it (it takes the
// parent's key):
//
//	WITH pgrst_n0 AS (<elements of the body, numbered>),
//	pgrst_n1 AS (<the client object of each element>),
//	pgrst_i1 AS (INSERT INTO clients ... ORDER BY o RETURNING id),
//	pgrst_k1 AS (SELECT row_number() OVER () AS pgrst_o, id FROM pgrst_i1),
//	pgrst_mutation AS (INSERT INTO projects(name, client_id)
//	  SELECT _.name, pgrst_k1.id FROM pgrst_n0 AS pgrst_e ... LEFT JOIN (pgrst_k1 JOIN pgrst_n1 ...)
//	  ORDER BY pgrst_e.o RETURNING ...),
//	pgrst_k0 AS (...), pgrst_n2 AS (<the tasks of each element>), pgrst_i2 AS (INSERT INTO tasks ...), ...
//	pgrst_source AS (SELECT ... FROM pgrst_mutation AS projects <embeds>)
//
// Elements are numbered in insert order (o, dense from 1; p is the number
// of the parent level's element they came from), each insert feeds its
// rows in that order, and its RETURNING rows are numbered again
// (pgrst_k): PostgreSQL returns an INSERT ... SELECT's rows in the order
// it inserts them, so the n-th returned row is the n-th element. The rows
// a data-modifying CTE inserts are not visible to the rest of the
// statement through their table, so the representation reads an embed of
// a level from the level's CTE (node.cte).

// nestLevel is one table of a nested insert: the root or an embed of the
// columns parameter.
type nestLevel struct {
	id     int
	rel    *cache.Relation
	r      *cache.Relationship // from the parent level (nil at the root)
	parent *nestLevel
	key    string          // the parent element's key that holds this level's rows
	cols   []*cache.Column // written from the body
	// before: the parent holds the foreign key, so this level is inserted
	// first and the parent takes its key columns (r.ForeignColumns).
	before   bool
	children []*nestLevel
	// embedded: the representation reads this level's rows (RETURNING *).
	embedded bool
}

// cte is the name of the level's insert.
func (lv *nestLevel) cte() string {
	if lv.id == 0 {
		return "pgrst_mutation"
	}
	return "pgrst_i" + strconv.Itoa(lv.id)
}

// junctionCTE is the name of the junction insert of a many-to-many level.
func (lv *nestLevel) junctionCTE() string { return "pgrst_j" + strconv.Itoa(lv.id) }

// links are the columns of a level that other levels take: the key
// columns of its to-many children's relationships (of the source, through
// a junction), those its parent takes when it is inserted before it, and
// those a junction takes of the target of a many-to-many level.
func (lv *nestLevel) links() []string {
	var cols []string
	add := func(names []string) {
		for _, n := range names {
			if !slicesContains(cols, n) {
				cols = append(cols, n)
			}
		}
	}
	switch {
	case lv.before:
		add(lv.r.ForeignColumns)
	case lv.r != nil && lv.r.Junction != nil:
		add(lv.r.Junction.TargetColumns)
	}
	for _, c := range lv.children {
		switch {
		case c.r.Junction != nil:
			add(c.r.Junction.SourceColumns)
		case !c.before:
			add(c.r.Columns)
		}
	}
	return cols
}

// planNested resolves the embeds of the columns parameter of an insert
// (New refuses them on other actions).
func planNested(r *Request, s *cache.Schema, rel *cache.Relation) (*nestLevel, error) {
	if r.Prefer.Resolution != ResolutionUnset {
		return nil, apierr.NotImplemented("a nested insert cannot resolve duplicates (Prefer: resolution)")
	}
	cols, err := writeColumns(r, rel)
	if err != nil {
		return nil, err
	}
	root := &nestLevel{rel: rel, cols: cols}
	next := 1
	if err := root.resolve(r.Query.ColumnEmbeds, s, r.Schema, &next); err != nil {
		return nil, err
	}
	return root, nil
}

// resolve adds the child levels of embeds to lv, depth first.
func (lv *nestLevel) resolve(embeds []ColumnEmbed, s *cache.Schema, schema string, next *int) error {
	for i := range embeds {
		e := &embeds[i]
		var rels []*cache.Relationship
		if s != nil {
			rels = findRels(s, schema, lv.rel.Name, e.Relation, e.Hint)
		}
		switch len(rels) {
		case 0:
			return errNoRelBetween(s, schema, lv.rel.Name, e.Relation, e.Hint)
		case 1:
		default:
			return errAmbiguousRel(lv.rel.Name, e.Relation, rels)
		}
		rel := rels[0]
		if rel.Computed {
			return apierr.NotImplemented("a nested insert follows foreign keys; '" + e.Relation +
				"' of '" + lv.rel.Name + "' is a computed relationship")
		}
		for _, sib := range lv.children {
			if sib.r == rel {
				return apierr.QueryParam("Invalid columns parameter", "the relationship of '"+e.Relation+"' and '"+
					sib.key+"' is embedded twice in the columns of '"+lv.rel.Name+"'")
			}
		}
		target := s.Relations[rel.Foreign]
		if target == nil {
			return errNoRelBetween(s, schema, lv.rel.Name, e.Relation, e.Hint)
		}
		c := &nestLevel{id: *next, rel: target, r: rel, parent: lv, key: e.Relation,
			before: rel.Card == cache.ManyToOne || rel.Card == cache.OneToOne && !rel.IsParent}
		*next++
		for _, name := range e.Columns {
			col := target.Column(name)
			if col == nil {
				return apierr.ColumnNotFound(target.Name, name)
			}
			c.cols = append(c.cols, col)
		}
		// The key columns a level takes from another must not be written
		// from the body too (a junction's are not written from it).
		taker, taken := c, rel.ForeignColumns
		if c.before {
			taker, taken = lv, rel.Columns
		}
		for _, col := range taker.cols {
			if slicesContains(taken, col.Name) {
				return apierr.QueryParam("Invalid columns parameter", "'"+col.Name+"' of '"+taker.rel.Name+
					"' is set by the nested insert of '"+e.Relation+"'; leave it out of the columns")
			}
		}
		if err := c.resolve(e.Embeds, s, schema, next); err != nil {
			return err
		}
		lv.children = append(lv.children, c)
	}
	return nil
}

// matchNested marks the embeds of the representation's select tree that
// read rows of a nested level: below the node that reads lv's rows, an
// embed of a child level's relationship reads that level's CTE, and one
// back up the relationship lv was reached by reads its parent's.
func matchNested(n *node, lv *nestLevel) {
	for _, c := range n.children {
		m := lv.match(c.r)
		if m == nil {
			continue
		}
		c.cte = m.cte()
		if m.parent == lv && c.r.Junction != nil {
			c.junctionCTE = m.junctionCTE()
		}
		m.embedded = true
		matchNested(c, m)
	}
}

// match is the level whose rows an embed of relationship r reads from
// lv's rows, or nil for its table.
func (lv *nestLevel) match(r *cache.Relationship) *nestLevel {
	for _, cl := range lv.children {
		if cl.r == r {
			return cl
		}
	}
	if up := lv.r; up != nil && r != nil && !r.Computed && r.Junction == nil && up.Junction == nil &&
		r.Constraint == up.Constraint && r.Table == up.Foreign && r.Foreign == up.Table &&
		(r.Card != up.Card || r.IsParent != up.IsParent) { // not up itself (a self-reference)
		return lv.parent
	}
	return nil
}

// nestedSource appends the CTEs of a nested insert up to pgrst_source.
func (b *builder) nestedSource(r *Request) {
	root := b.nest
	if r.representation() {
		matchNested(b.tree, root)
	}
	b.str("WITH pgrst_n0 AS (SELECT pgrst_x.o, pgrst_x.v FROM (SELECT ")
	b.ph(b.bind(bindBody, 0, true))
	b.str("::jsonb AS j) pgrst_payload, jsonb_array_elements(CASE WHEN jsonb_typeof(pgrst_payload.j) = 'array' " +
		"THEN pgrst_payload.j ELSE jsonb_build_array(pgrst_payload.j) END) WITH ORDINALITY AS pgrst_x(v, o))")
	b.nestLevel(r, root, nil)
	b.str(", pgrst_source AS (")
	if !r.representation() {
		// Only what a response without rows reads (returnList), not the
		// key columns the levels took.
		b.str("SELECT ")
		if r.Prefer.Return == ReturnHeadersOnly && len(b.rel.PrimaryKey) > 0 {
			b.columnNames(b.rel.PrimaryKey)
		} else {
			b.str("1")
		}
		b.str(" FROM pgrst_mutation")
		return
	}
	b.representation(r)
}

// nestLevel appends the CTEs of level lv (its elements already numbered
// in pgrst_n<id>): those of the levels inserted before it, its insert, the
// numbering of its returned rows when other levels take its keys, then
// the levels inserted after it.
func (b *builder) nestLevel(r *Request, lv, parent *nestLevel) {
	for _, c := range lv.children {
		if c.before {
			b.nestElements(c, lv)
			b.nestLevel(r, c, lv)
		}
	}
	b.str(", ")
	b.str(lv.cte())
	b.str(" AS (")
	b.nestInsert(r, lv, parent)
	b.str(")")
	if links := lv.links(); len(links) > 0 {
		b.str(", pgrst_k")
		b.buf = strconv.AppendInt(b.buf, int64(lv.id), 10)
		b.str(" AS (SELECT row_number() OVER () AS pgrst_o, ")
		b.columnNames(links)
		b.str(" FROM ")
		b.str(lv.cte())
		b.nestGuard(lv)
		b.str(")")
	}
	if lv.r != nil && lv.r.Junction != nil {
		b.junctionInsert(lv, parent)
	}
	for _, c := range lv.children {
		if !c.before {
			b.nestElements(c, lv)
			b.nestLevel(r, c, lv)
		}
	}
}

// nestGuard appends the condition that fails the statement when level
// lv's insert returned fewer rows than it had elements (a trigger skipped
// some): its rows could no longer be matched with their elements. SQL
// has no function that raises an error, so a failing cast of the message
// does (22P02, 400).
func (b *builder) nestGuard(lv *nestLevel) {
	n := "pgrst_n" + strconv.Itoa(lv.id)
	count := func(from string) { b.str("(SELECT pg_catalog.count(*) FROM " + from + ")") }
	b.str(" WHERE CASE WHEN ")
	count(lv.cte())
	b.str(" = ")
	count(n)
	b.str(" THEN true ELSE ('nested insert into ' || ")
	b.buf = sqltext.AppendLiteral(b.buf, lv.rel.Name)
	b.str(" || ': ' || ")
	count(lv.cte())
	b.str(" || ' rows came back for ' || ")
	count(n)
	b.str(" || ' objects (a trigger skipped rows), so the related rows cannot be matched')::boolean END")
}

// nestElements appends pgrst_n<id> of level c: the JSON rows under its
// key in each element of its parent's, numbered in order. A level
// inserted before its parent takes one object per element (a missing key
// or null: none); any other an array, or an object as one row.
func (b *builder) nestElements(c, parent *nestLevel) {
	b.str(", pgrst_n")
	b.buf = strconv.AppendInt(b.buf, int64(c.id), 10)
	b.str(" AS (SELECT row_number() OVER (ORDER BY pgrst_e.o")
	value := func() {
		b.str("pgrst_e.v -> ")
		b.buf = sqltext.AppendLiteral(b.buf, c.key) // a catalog name the key matched
	}
	if c.before {
		b.str(") AS o, pgrst_e.o AS p, ")
		value()
		b.str(" AS v FROM pgrst_n")
		b.buf = strconv.AppendInt(b.buf, int64(parent.id), 10)
		b.str(" AS pgrst_e WHERE coalesce(jsonb_typeof(")
		value()
		b.str("), 'null') <> 'null')")
		return
	}
	b.str(", pgrst_x.o) AS o, pgrst_e.o AS p, pgrst_x.v FROM pgrst_n")
	b.buf = strconv.AppendInt(b.buf, int64(parent.id), 10)
	b.str(" AS pgrst_e, jsonb_array_elements(CASE coalesce(jsonb_typeof(")
	value()
	b.str("), 'null') WHEN 'null' THEN '[]' WHEN 'object' THEN jsonb_build_array(")
	value()
	b.str(") ELSE ")
	value()
	b.str(" END) WITH ORDINALITY AS pgrst_x(v, o))")
}

// nestInsert appends the INSERT of level lv: its body columns from each
// element of pgrst_n<id>, the key columns it takes from its parent (when
// inserted after it) and from the levels inserted before it.
func (b *builder) nestInsert(r *Request, lv, parent *nestLevel) {
	type take struct {
		cols, from []string
		alias      string
	}
	var takes []take
	if parent != nil && !lv.before && lv.r.Junction == nil {
		takes = append(takes, take{lv.r.ForeignColumns, lv.r.Columns, "pgrst_k" + strconv.Itoa(parent.id)})
	}
	for _, c := range lv.children {
		if c.before {
			takes = append(takes, take{c.r.Columns, c.r.ForeignColumns, "pgrst_k" + strconv.Itoa(c.id)})
		}
	}
	b.str("INSERT INTO ")
	b.qname(cache.QName{Schema: lv.rel.Schema, Name: lv.rel.Name})
	sep := false
	for _, t := range takes {
		sep = sep || len(t.cols) > 0
	}
	if len(lv.cols) > 0 || sep {
		// Without columns each element inserts a row of defaults.
		b.str("(")
		b.columnList(lv.cols, "")
		sep = len(lv.cols) > 0
		for _, t := range takes {
			for _, c := range t.cols {
				if sep {
					b.str(", ")
				}
				sep = true
				b.ident(c)
			}
		}
		b.str(")")
	}
	b.str(" SELECT ")
	defaults := r.Prefer.Missing == MissingDefault
	b.parsedColumns(lv.cols, defaults)
	sep = len(lv.cols) > 0
	for _, t := range takes {
		for _, c := range t.from {
			if sep {
				b.str(", ")
			}
			sep = true
			b.ident(t.alias)
			b.str(".")
			b.ident(c)
		}
	}
	b.str(" FROM pgrst_n")
	b.buf = strconv.AppendInt(b.buf, int64(lv.id), 10)
	b.str(" AS pgrst_e")
	if len(lv.cols) > 0 {
		b.str(" CROSS JOIN LATERAL jsonb_to_record(pgrst_e.v) AS _(")
		b.typedColumns(lv.cols)
		b.str(")")
	}
	for i, t := range takes {
		if i == 0 && parent != nil && !lv.before && lv.r.Junction == nil {
			// Each row's parent row, by the number of its element.
			b.str(" JOIN ")
			b.str(t.alias)
			b.str(" ON ")
			b.str(t.alias)
			b.str(".pgrst_o = pgrst_e.p")
			continue
		}
		// The row inserted before from this element's object, if any.
		n := "pgrst_n" + t.alias[len("pgrst_k"):]
		b.str(" LEFT JOIN (")
		b.str(t.alias)
		b.str(" JOIN ")
		b.str(n)
		b.str(" ON ")
		b.str(n)
		b.str(".o = ")
		b.str(t.alias)
		b.str(".pgrst_o) ON ")
		b.str(n)
		b.str(".p = pgrst_e.o")
	}
	b.str(" ORDER BY pgrst_e.o RETURNING ")
	switch {
	case lv.id == 0:
		b.nestRootReturn(r, lv.links())
	case lv.embedded:
		b.qname(cache.QName{Schema: lv.rel.Schema, Name: lv.rel.Name})
		b.str(".*")
	case len(lv.links()) > 0:
		b.columnNames(lv.links())
	default:
		b.str("1")
	}
}

// nestRootReturn appends what the root's insert returns: what its
// response reads (returnList), and the key columns other levels take.
func (b *builder) nestRootReturn(r *Request, links []string) {
	if r.representation() {
		cols, all := returnedColumns(r.Query, b.tree)
		if all || b.nest.embedded {
			// Every column, also for an embed back up from a nested level.
			b.returnAll(cols)
			return
		}
		for _, c := range cols {
			if !slicesContains(links, c) {
				links = append(links, c)
			}
		}
	} else if r.Prefer.Return == ReturnHeadersOnly {
		for _, c := range b.rel.PrimaryKey {
			if !slicesContains(links, c) {
				links = append(links, c)
			}
		}
	}
	if len(links) == 0 {
		b.str("1")
		return
	}
	for i, c := range links {
		if i > 0 {
			b.str(", ")
		}
		b.column(c) // a computed column too
	}
}

// columnNames appends the quoted names of cols.
func (b *builder) columnNames(cols []string) {
	for i, c := range cols {
		if i > 0 {
			b.str(", ")
		}
		b.ident(c)
	}
}

// junctionInsert appends pgrst_j<id>, the junction rows of many-to-many
// level lv: each of its rows with the parent row of its element.
func (b *builder) junctionInsert(lv, parent *nestLevel) {
	j := lv.r.Junction
	k, pk := "pgrst_k"+strconv.Itoa(lv.id), "pgrst_k"+strconv.Itoa(parent.id)
	b.str(", ")
	b.str(lv.junctionCTE())
	b.str(" AS (INSERT INTO ")
	b.qname(j.Table)
	b.str("(")
	b.columnNames(j.SourceJunctionColumns)
	b.str(", ")
	b.columnNames(j.TargetJunctionColumns)
	b.str(") SELECT ")
	for i, c := range j.SourceColumns {
		if i > 0 {
			b.str(", ")
		}
		b.str(pk + ".")
		b.ident(c)
	}
	for _, c := range j.TargetColumns {
		b.str(", " + k + ".")
		b.ident(c)
	}
	b.str(" FROM pgrst_n")
	b.buf = strconv.AppendInt(b.buf, int64(lv.id), 10)
	b.str(" AS pgrst_e JOIN " + k + " ON " + k + ".pgrst_o = pgrst_e.o JOIN " + pk + " ON " + pk + ".pgrst_o = pgrst_e.p RETURNING ")
	if lv.embedded {
		b.qname(j.Table)
		b.str(".*")
	} else {
		b.str("1")
	}
	b.str(")")
}
