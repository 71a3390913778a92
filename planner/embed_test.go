package planner

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/pgrst/pgrst/cache"
)

// embedSchema is testSchema plus directors, roles and actors, with the
// relationships cache.Load would find: films → directors (M2O), roles
// (O2M), actors (M2M through roles), and a self reference on directors.
func embedSchema() *cache.Schema {
	s := testSchema()
	add := func(name string, cols ...string) {
		r := &cache.Relation{Schema: "test", Name: name, Kind: cache.KindTable, ColumnIndex: map[string]*cache.Column{}}
		for i, c := range cols {
			col := &cache.Column{Name: c, Type: "integer", BaseType: "int4", Position: i + 1, Nullable: true}
			r.Columns = append(r.Columns, col)
			r.ColumnIndex[c] = col
		}
		s.Relations[cache.QName{Schema: "test", Name: name}] = r
	}
	add("directors", "id", "name", "mentor_id")
	add("roles", "film_id", "actor_id", "character")
	add("actors", "id", "name")
	films := s.Relation("test", "films")
	col := &cache.Column{Name: "director_id", Type: "integer", BaseType: "int4", Position: 9, Nullable: true}
	films.Columns = append(films.Columns, col)
	films.ColumnIndex["director_id"] = col
	q := func(n string) cache.QName { return cache.QName{Schema: "test", Name: n} }
	m2o := func(t, ft, cons, col, fcol string) (*cache.Relationship, *cache.Relationship) {
		a := &cache.Relationship{Table: q(t), Foreign: q(ft), IsSelf: t == ft, Card: cache.ManyToOne, Constraint: cons,
			Columns: []string{col}, ForeignColumns: []string{fcol}}
		b := &cache.Relationship{Table: q(ft), Foreign: q(t), IsSelf: t == ft, Card: cache.OneToMany, Constraint: cons,
			Columns: []string{fcol}, ForeignColumns: []string{col}}
		return a, b
	}
	s.Relationships = map[cache.QName][]*cache.Relationship{}
	link := func(a, b *cache.Relationship) {
		s.Relationships[a.Table] = append(s.Relationships[a.Table], a)
		s.Relationships[b.Table] = append(s.Relationships[b.Table], b)
	}
	link(m2o("films", "directors", "films_director_id_fkey", "director_id", "id"))
	link(m2o("roles", "films", "roles_film_id_fkey", "film_id", "id"))
	link(m2o("roles", "actors", "roles_actor_id_fkey", "actor_id", "id"))
	link(m2o("directors", "directors", "directors_mentor_id_fkey", "mentor_id", "id"))
	m2m := func(t, ft, c1, c2, jc1, jc2 string) *cache.Relationship {
		return &cache.Relationship{Table: q(t), Foreign: q(ft), Card: cache.ManyToMany, Junction: &cache.Junction{
			Table: q("roles"), Constraint1: c1, Constraint2: c2,
			SourceColumns: []string{"id"}, SourceJunctionColumns: []string{jc1},
			TargetColumns: []string{"id"}, TargetJunctionColumns: []string{jc2}}}
	}
	link(m2m("films", "actors", "roles_film_id_fkey", "roles_actor_id_fkey", "film_id", "actor_id"),
		m2m("actors", "films", "roles_actor_id_fkey", "roles_film_id_fkey", "actor_id", "film_id"))
	return s
}

// embedQueries have every kind of embedded value: JSON keys in embedded
// selects, filters, logic trees, orders, ranges at several depths.
var embedQueries = []string{
	"select=title,directors(id,name)",
	"select=*,d:directors!films_director_id_fkey(*),roles(character,actors(name))&roles.character=eq.x&roles.actors.name=like.*a*",
	"select=data->a,actors(id,name)&actors.order=name.desc&actors.limit=2&actors.offset=1&id=gt.3&limit=5",
	"select=title,roles(character)&roles.or=(character.eq.a,character.eq.b)&roles=not.is.null&order=title",
	"select=title,directors!inner(name)&directors.name=in.(a,b)&order=directors(name).desc,data->>k",
	"select=title,...directors(name,mentor:directors(name))&year=gte.1990",
	"select=title,roles(),directors(name)&or=(roles.is.null,data->>x.eq.1)&directors.data->k=eq.1",
	"select=title,...roles(character)&roles.character=eq.x&roles.limit=1",
	"select=id,actors!inner(id)&actors.id=eq.1&title=fts(english).cat&limit=1&offset=2",
	"select=directors(directors(name))&directors.directors.order=name&directors.directors.limit=1",
	"select=title,...actors(name,...roles(character))&actors.order=name->>k.desc.nullslast,id&actors.limit=2&actors.roles.order=character",
}

// A to-many spread orders its arrays inside json_agg, by extra columns of
// its subquery, and keeps the subquery's ORDER BY for its limit.
func TestSpreadOrderInAggregate(t *testing.T) {
	s := embedSchema()
	q := mustParse(t, "select=title,...roles(character)&roles.order=actor_id.desc.nullsfirst,film_id")
	p, err := NewReadPlan(q, s, "films", ReadOptions{Schema: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`json_agg("films_roles_1"."character" ORDER BY "films_roles_1"."films_roles_1_actor_id_1" DESC NULLS FIRST, "films_roles_1"."films_roles_1_film_id_2")`,
		`AS "films_roles_1_actor_id_1", "roles_1"."film_id" AS "films_roles_1_film_id_2" FROM`,
		`ORDER BY "roles_1"."actor_id" DESC NULLS FIRST, "roles_1"."film_id")`,
	} {
		if !strings.Contains(p.SQL, want) {
			t.Errorf("SQL lacks %s:\n%s", want, p.SQL)
		}
	}
}

func TestEmbedBindPlaceholders(t *testing.T) {
	s := embedSchema()
	opts := []ReadOptions{{Schema: "test"}, {Schema: "test", MaxRows: 7}, {Schema: "test", Count: CountExact}, {Schema: "test", Count: CountEstimated, MaxRows: 3}}
	for _, qs := range embedQueries {
		q := mustParse(t, qs)
		for _, o := range opts {
			p, err := NewReadPlan(q, s, "films", o)
			if err != nil {
				t.Fatalf("%s: %v", qs, err)
			}
			if n, args := maxPlaceholder(p.SQL), bindArgs(p, q); n != len(args) {
				t.Errorf("%s %+v: %d placeholders for %d args\n%s", qs, o, n, len(args), p.SQL)
			}
			if n, args := maxPlaceholder(p.ExplainSQL), explainArgs(p, q); n != len(args) {
				t.Errorf("%s: explain has %d placeholders for %d args", qs, n, len(args))
			}
		}
	}
}

// Two queries that differ only in values have the same key and SQL.
func TestEmbedShapeIsValueFree(t *testing.T) {
	s := embedSchema()
	pairs := [][2]string{
		{"select=title,roles(character)&roles.character=eq.a&roles.limit=1", "select=title,roles(character)&roles.character=eq.b&roles.limit=9"},
		{"select=title,directors!inner(name)&directors.name=in.(a,b)&order=directors(data->x)", "select=title,directors!inner(name)&directors.name=in.(c)&order=directors(data->y)"},
	}
	for _, pr := range pairs {
		q1, q2 := mustParse(t, pr[0]), mustParse(t, pr[1])
		o := ReadOptions{Schema: "test"}
		if !bytes.Equal(AppendReadKey(nil, q1, "films", o), AppendReadKey(nil, q2, "films", o)) {
			t.Errorf("keys differ: %s / %s", pr[0], pr[1])
		}
		p1, err1 := NewReadPlan(q1, s, "films", o)
		p2, err2 := NewReadPlan(q2, s, "films", o)
		if err1 != nil || err2 != nil || p1.SQL != p2.SQL {
			t.Errorf("SQL differs: %v %v\n%s\n%s", err1, err2, p1.SQL, p2.SQL)
		}
	}
}

func TestEmbedSQL(t *testing.T) {
	s := embedSchema()
	st, err := PlanRead(mustParse(t, "select=title,directors(name),actors(name)&actors.name=eq.x&actors.limit=2"), s, "films", ReadOptions{Schema: "test"})
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT "test"."films"."title", row_to_json("films_directors_1".*) AS "directors", ` +
		`COALESCE("films_actors_1"."films_actors_1", '[]') AS "actors" FROM "test"."films" ` +
		`LEFT JOIN LATERAL (SELECT "directors_1"."name" FROM "test"."directors" AS "directors_1" ` +
		`WHERE "directors_1"."id" = "test"."films"."director_id") AS "films_directors_1" ON TRUE ` +
		`LEFT JOIN LATERAL (SELECT json_agg("films_actors_1") AS "films_actors_1" FROM (` +
		`SELECT "actors_1"."name" FROM "test"."actors" AS "actors_1", "test"."roles" ` +
		`WHERE "actors_1"."name" = $1 AND "actors_1"."id" = "test"."roles"."actor_id" ` +
		`AND "test"."films"."id" = "test"."roles"."film_id" LIMIT $2 OFFSET $3) AS "films_actors_1") AS "films_actors_1" ON TRUE`
	if got := source(t, st.SQL); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEmbedErrors(t *testing.T) {
	s := embedSchema()
	cases := []struct{ query, code, message string }{
		{"select=title,nope(*)", "PGRST200", "Could not find a relationship between 'films' and 'nope' in the schema cache"},
		{"select=title,directors!nope(*)", "PGRST200", "Could not find a relationship between 'films' and 'directors' in the schema cache"},
		{"select=title,roles(*)&order=roles(character)", "PGRST118", "A related order on 'roles' is not possible"},
		{"select=title&order=roles(character)", "PGRST108", "'roles' is not an embedded resource in this request"},
		{"select=title,roles(count())", "PGRST123", "Use of aggregate functions is not allowed"},
	}
	for _, c := range cases {
		_, err := PlanRead(mustParse(t, c.query), s, "films", ReadOptions{Schema: "test"})
		var e *Error
		if !errors.As(err, &e) || e.Code != c.code || e.Message != c.message {
			t.Errorf("%s: got %v", c.query, err)
		}
	}
}

// FuzzEmbedBind checks, for queries that plan against embedSchema, that
// Bind numbers the arguments as the builder does.
func FuzzEmbedBind(f *testing.F) {
	for _, q := range embedQueries {
		f.Add(q)
	}
	s := embedSchema()
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := ParseQuery(raw)
		if err != nil {
			return
		}
		for _, o := range []ReadOptions{{Schema: "test"}, {Schema: "test", MaxRows: 10, Count: CountExact}} {
			p, err := NewReadPlan(q, s, "films", o)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("not an *Error: %v", err)
				}
				return
			}
			if n, args := maxPlaceholder(p.SQL), bindArgs(p, q); n != len(args) {
				t.Fatalf("%d placeholders for %d args", n, len(args))
			}
		}
	})
}

// With url-use-legacy-target-names, a path may name an aliased embed by
// its relation; the plan carries PostgREST's Warning text, and the option
// is part of the plan cache key.
func TestEmbedLegacyTargetNames(t *testing.T) {
	s := embedSchema()
	q := mustParse(t, "select=title,d:directors(name),r:roles(*)&directors.name=eq.x&roles.limit=1&d.id=gt.0")
	if _, err := NewReadPlan(q, s, "films", ReadOptions{Schema: "test"}); err == nil {
		t.Fatal("relation name of an aliased embed accepted without the legacy option")
	}
	o := ReadOptions{Schema: "test", LegacyTargetNames: true}
	p, err := NewReadPlan(q, s, "films", o)
	if err != nil {
		t.Fatal(err)
	}
	want := "Embedded resource was referenced by relation name even though it has an alias. " +
		"This is deprecated and will stop working in a future release. " +
		"Update `directors` to `d`, `roles` to `r` in query string filters, orders or limits."
	if p.Warning != want {
		t.Errorf("warning\n got %q\nwant %q", p.Warning, want)
	}
	if !strings.Contains(p.SQL, `"directors_1"."name" = $`) {
		t.Errorf("filter not in the embed: %s", p.SQL)
	}
	p, err = NewReadPlan(mustParse(t, "select=title,d:directors(name)&d.name=eq.x"), s, "films", o)
	if err != nil || p.Warning != "" {
		t.Errorf("alias path: warning %q, err %v", p.Warning, err)
	}
	a := AppendReadKey(nil, q, "films", o)
	b := AppendReadKey(nil, q, "films", ReadOptions{Schema: "test"})
	if bytes.Equal(a, b) {
		t.Error("the legacy option is not part of the plan key")
	}
}

// Only is.null tests an embed. Another operator on its name is PGRST120,
// unless the relation has a column of that name: then it filters the
// column, as in PostgREST v16.
func TestEmbedNameFilters(t *testing.T) {
	s := embedSchema()
	cases := []struct{ query, want string }{
		{"select=title,directors(name)&directors=is.null", `"films_directors_1" IS NOT DISTINCT FROM NULL`},
		{"select=title,directors(name)&directors=not.is.null", `"films_directors_1" IS DISTINCT FROM NULL`},
		{"select=title,director_id(name)&director_id=eq.1", `"test"."films"."director_id" = $1`},
		{"select=title,director_id(name)&or=(director_id.eq.1,director_id.is.null)",
			`("test"."films"."director_id" = $1 OR "films_director_id_1" IS NOT DISTINCT FROM NULL)`},
	}
	for _, c := range cases {
		st, err := PlanRead(mustParse(t, c.query), s, "films", ReadOptions{Schema: "test"})
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if !strings.Contains(st.SQL, c.want) {
			t.Errorf("%s: no %s in\n%s", c.query, c.want, st.SQL)
		}
	}
	for _, query := range []string{
		"select=title,directors(name)&directors=eq.1",
		"select=title,directors(name)&directors=is.not_null",
		"select=title,roles(*)&or=(roles.eq.1,roles.is.null)",
		"select=title,roles(*,actors(*))&roles.actors=gt.1",
	} {
		_, err := PlanRead(mustParse(t, query), s, "films", ReadOptions{Schema: "test"})
		if e, ok := err.(*Error); !ok || e.Code != "PGRST120" {
			t.Errorf("%s: got %v, want PGRST120", query, err)
		}
	}
}

// Full-text search wraps a column in to_tsvector unless it is a tsvector;
// an unknown name (a computed column) is left to PostgreSQL.
func TestFtsComputedColumn(t *testing.T) {
	s := testSchema()
	cases := []struct{ query, want string }{
		{"title=fts(simple).x", `to_tsvector($1, "test"."films"."title") @@ to_tsquery($1, $2)`},
		{"search=fts(simple).x", `"test"."films"."search" @@ to_tsquery($1, $2)`},
		{"computed_vec=fts(simple).x", `"test"."films"."computed_vec" @@ to_tsquery($1, $2)`},
	}
	for _, c := range cases {
		st, err := PlanRead(mustParse(t, c.query), s, "films", ReadOptions{Schema: "test"})
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if !strings.Contains(st.SQL, c.want) {
			t.Errorf("%s: no %s in\n%s", c.query, c.want, st.SQL)
		}
	}
}
