package planner

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const outer = ` SELECT null::text AS total_result_set, pg_catalog.count(_pgrst_t)::text AS page_total, ` +
	`coalesce(json_agg(_pgrst_t), '[]') AS body, ` +
	`nullif(current_setting('response.headers', true), '') AS response_headers, ` +
	`nullif(current_setting('response.status', true), '') AS response_status ` +
	`FROM (SELECT * FROM pgrst_source) _pgrst_t`

func plan(t testing.TB, qs, target string, o ReadOptions) *Statement {
	t.Helper()
	q := mustParse(t, qs)
	if o.Schema == "" {
		o.Schema = "test"
	}
	st, err := PlanRead(q, testSchema(), target, o)
	if err != nil {
		t.Fatalf("%s: %v", qs, err)
	}
	return st
}

// source extracts the pgrst_source query from a statement.
func source(t testing.TB, sql string) string {
	t.Helper()
	const pre = "WITH pgrst_source AS ("
	if !strings.HasPrefix(sql, pre) {
		t.Fatalf("unexpected statement: %s", sql)
	}
	i := strings.Index(sql, ") SELECT null::text AS total_result_set")
	if i < 0 {
		t.Fatalf("unexpected statement: %s", sql)
	}
	return sql[len(pre):i]
}

func TestReadStatement(t *testing.T) {
	st := plan(t, "select=id,title,year&year=gte.1990&title=like.*the*&order=year.desc,title&limit=10", "films", ReadOptions{})
	want := `WITH pgrst_source AS (SELECT "test"."films"."id", "test"."films"."title", "test"."films"."year" FROM "test"."films" ` +
		`WHERE "test"."films"."year" >= $1 AND "test"."films"."title" LIKE $2 ` +
		`ORDER BY "test"."films"."year" DESC, "test"."films"."title" LIMIT $3 OFFSET $4)` + outer
	if st.SQL != want {
		t.Errorf("got\n%s\nwant\n%s", st.SQL, want)
	}
	if wantArgs := []any{"1990", "%the%", "10", "0"}; !reflect.DeepEqual(anyArgs(st.Args), wantArgs) {
		t.Errorf("args %q", st.Args)
	}

	head := plan(t, "", "films", ReadOptions{Head: true})
	wantHead := `WITH pgrst_source AS (SELECT "test"."films".* FROM "test"."films")` +
		strings.Replace(outer, "coalesce(json_agg(_pgrst_t), '[]') AS body", "''::text AS body", 1)
	if head.SQL != wantHead || len(head.Args) != 0 {
		t.Errorf("head: got\n%s\n%q", head.SQL, head.Args)
	}
}

func TestReadSQL(t *testing.T) {
	const f = `"test"."films"`
	cases := []struct {
		query, source string
		args          []any
	}{
		{"", `SELECT ` + f + `.* FROM ` + f, nil},
		{"select=", `SELECT ` + f + `.* FROM ` + f, nil},
		{"select=*,id", `SELECT ` + f + `.*, ` + f + `."id" FROM ` + f, nil},
		{"select=t:title,year::text,id::double%20precision,x::my%20type",
			`SELECT ` + f + `."title" AS "t", CAST(` + f + `."year" AS text), CAST(` + f + `."id" AS double precision), CAST(` + f + `."x" AS "my type") FROM ` + f, nil},
		{"select=data->a->>b,meta->>k,j:data->0,data->x->1,data->0->1,title->a",
			`SELECT ` + f + `."data"->$1->>$2 AS "b", ` + f + `."meta"->>$3 AS "k", ` + f + `."data"->$4::int AS "j", ` +
				f + `."data"->$5->$6::int AS "x", ` + f + `."data"->$7::int->$8::int AS "data", to_jsonb(` + f + `."title")->$9 AS "a" FROM ` + f,
			[]any{"a", "b", "k", "0", "x", "1", "0", "1", "a"}},
		{"select=data->>n::int", `SELECT CAST(` + f + `."data"->>$1 AS int) AS "n" FROM ` + f, []any{"n"}},
		{"id=eq.1", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."id" = $1`, []any{"1"}},
		{"id=neq.1", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."id" <> $1`, []any{"1"}},
		{"id=gt.1&id=gte.2&id=lt.3&id=lte.4", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."id" > $1 AND ` + f + `."id" >= $2 AND ` + f + `."id" < $3 AND ` + f + `."id" <= $4`, []any{"1", "2", "3", "4"}},
		{"title=like.*a*b", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."title" LIKE $1`, []any{"%a%b"}},
		{"title=ilike.A*", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."title" ILIKE $1`, []any{"A%"}},
		{"title=match.^a", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."title" ~ $1`, []any{"^a"}},
		{"title=imatch.^a", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."title" ~* $1`, []any{"^a"}},
		{"id=in.(1,2,3)", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."id" = ANY($1)`, []any{`{"1","2","3"}`}},
		{`title=in.("a,b",c\d,"e\"f\\")`, `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."title" = ANY($1)`, []any{`{"a,b","c\\d","e\"f\\"}`}},
		{"id=in.()", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."id" = ANY($1)`, []any{`{}`}},
		{"id=not.in.(1)", `SELECT ` + f + `.* FROM ` + f + ` WHERE NOT (` + f + `."id" = ANY($1))`, []any{`{"1"}`}},
		{"id=is.null&id=is.not_null&id=is.true&id=is.false&id=is.unknown",
			`SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."id" IS NULL AND ` + f + `."id" IS NOT NULL AND ` + f + `."id" IS TRUE AND ` + f + `."id" IS FALSE AND ` + f + `."id" IS UNKNOWN`, nil},
		{"id=not.is.null", `SELECT ` + f + `.* FROM ` + f + ` WHERE NOT (` + f + `."id" IS NULL)`, nil},
		{"id=isdistinct.2", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."id" IS DISTINCT FROM $1`, []any{"2"}},
		{"title=fts.a", `SELECT ` + f + `.* FROM ` + f + ` WHERE to_tsvector(` + f + `."title") @@ to_tsquery($1)`, []any{"a"}},
		{"title=fts(english).a", `SELECT ` + f + `.* FROM ` + f + ` WHERE to_tsvector($1, ` + f + `."title") @@ to_tsquery($1, $2)`, []any{"english", "a"}},
		{"search=plfts.a", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."search" @@ plainto_tsquery($1)`, []any{"a"}},
		{"search=phfts(french).a", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."search" @@ phraseto_tsquery($1, $2)`, []any{"french", "a"}},
		{"search=not.wfts.a", `SELECT ` + f + `.* FROM ` + f + ` WHERE NOT (` + f + `."search" @@ websearch_to_tsquery($1))`, []any{"a"}},
		{"data->>t=fts(simple).a", `SELECT ` + f + `.* FROM ` + f + ` WHERE to_tsvector($1, ` + f + `."data"->>$2) @@ to_tsquery($1, $3)`, []any{"simple", "t", "a"}},
		{"tags=cs.{a}&tags=cd.{a}&tags=ov.{a}", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."tags" @> $1 AND ` + f + `."tags" <@ $2 AND ` + f + `."tags" && $3`, []any{"{a}", "{a}", "{a}"}},
		{"during=sl.[1,2]&during=sr.[1,2]&during=nxr.[1,2]&during=nxl.[1,2]&during=adj.[1,2]",
			`SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."during" << $1 AND ` + f + `."during" >> $2 AND ` + f + `."during" &< $3 AND ` + f + `."during" &> $4 AND ` + f + `."during" -|- $5`,
			[]any{"[1,2]", "[1,2]", "[1,2]", "[1,2]", "[1,2]"}},
		{"id=eq(any).{1,2}&title=like(all).{a*,*b}&title=not.imatch(any).{x}",
			`SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."id" = ANY($1) AND ` + f + `."title" LIKE ALL($2) AND NOT (` + f + `."title" ~* ANY($3))`,
			[]any{"{1,2}", "{a%,%b}", "{x}"}},
		{"data->a->>b=eq.1&meta->>c=gt.2&title->>x=eq.3&data->0=eq.4",
			`SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."data"->$1->>$2 = $3 AND ` + f + `."meta"->>$4 > $5 AND to_jsonb(` + f + `."title")->>$6 = $7 AND ` + f + `."data"->$8::int = $9`,
			[]any{"a", "b", "1", "c", "2", "x", "3", "0", "4"}},
		{"tags=eq.{a,b}", `SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."tags" = $1`, []any{"{a,b}"}},
		{"or=(id.eq.1,and(year.gt.2,title.not.is.null))&not.and=(id.lt.5,title.like.x*)",
			`SELECT ` + f + `.* FROM ` + f + ` WHERE (` + f + `."id" = $1 OR (` + f + `."year" > $2 AND NOT (` + f + `."title" IS NULL))) AND NOT (` + f + `."id" < $3 AND ` + f + `."title" LIKE $4)`,
			[]any{"1", "2", "5", "x%"}},
		{"id=gt.0&or=(id.in.(1,2),title.fts(english).x)",
			`SELECT ` + f + `.* FROM ` + f + ` WHERE ` + f + `."id" > $1 AND (` + f + `."id" = ANY($2) OR to_tsvector($3, ` + f + `."title") @@ to_tsquery($3, $4))`,
			[]any{"0", `{"1","2"}`, "english", "x"}},
		{"order=year.desc.nullslast,title.asc,id.nullsfirst,data->>k.desc",
			`SELECT ` + f + `.* FROM ` + f + ` ORDER BY ` + f + `."year" DESC NULLS LAST, ` + f + `."title" ASC, ` + f + `."id" NULLS FIRST, ` + f + `."data"->>$1 DESC`,
			[]any{"k"}},
		{"order=id&order=title", `SELECT ` + f + `.* FROM ` + f + ` ORDER BY ` + f + `."id"`, nil},
		{"limit=5", `SELECT ` + f + `.* FROM ` + f + ` LIMIT $1 OFFSET $2`, []any{"5", "0"}},
		{"limit=5&offset=10", `SELECT ` + f + `.* FROM ` + f + ` LIMIT $1 OFFSET $2`, []any{"5", "10"}},
		{"offset=10", `SELECT ` + f + `.* FROM ` + f + ` LIMIT $1 OFFSET $2`, []any{nil, "10"}},
		{"limit=0", `SELECT ` + f + `.* FROM ` + f + ` LIMIT $1 OFFSET $2`, []any{"0", "0"}},
	}
	for _, c := range cases {
		st := plan(t, c.query, "films", ReadOptions{})
		if got := source(t, st.SQL); got != c.source {
			t.Errorf("%s:\n got  %s\n want %s", c.query, got, c.source)
		}
		if len(st.Args) != 0 || len(c.args) != 0 {
			if !reflect.DeepEqual(anyArgs(st.Args), c.args) {
				t.Errorf("%s: args %q, want %q", c.query, st.Args, c.args)
			}
		}
	}
}

func TestReadMaxRows(t *testing.T) {
	cases := []struct {
		query string
		args  []any
	}{
		{"", []any{"100", "0"}},
		{"limit=10", []any{"10", "0"}},
		{"limit=1000&offset=3", []any{"100", "3"}},
		{"offset=3", []any{"100", "3"}},
		{"limit=0", []any{"0", "0"}},
	}
	for _, c := range cases {
		st := plan(t, c.query, "films", ReadOptions{MaxRows: 100})
		if !strings.HasSuffix(source(t, st.SQL), " LIMIT $1 OFFSET $2") || !reflect.DeepEqual(anyArgs(st.Args), c.args) {
			t.Errorf("%s: %s %q", c.query, st.SQL, st.Args)
		}
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		query, target string
		want          Error
	}{
		{"", "film", Error{Status: 404, Code: "PGRST205", Message: "Could not find the table 'test.film' in the schema cache", Hint: "Perhaps you meant the table 'test.films'"}},
		{"", "projecxx", Error{Status: 404, Code: "PGRST205", Message: "Could not find the table 'test.projecxx' in the schema cache", Hint: "Perhaps you meant the table 'test.projects'"}},
		{"", "projxxxx", Error{Status: 404, Code: "PGRST205", Message: "Could not find the table 'test.projxxxx' in the schema cache"}},
		{"", "non_existent_table", Error{Status: 404, Code: "PGRST205", Message: "Could not find the table 'test.non_existent_table' in the schema cache"}},
		{"clients.id=eq.1", "films", Error{Status: 400, Code: "PGRST108", Message: "'clients' is not an embedded resource in this request", Hint: "Verify that 'clients' is included in the 'select' query parameter."}},
		{"a.id=eq.1&b.id=eq.1", "films", Error{Status: 400, Code: "PGRST108", Message: "'b' is not an embedded resource in this request", Hint: "Verify that 'b' is included in the 'select' query parameter."}},
		{"select=*,c:clients(*)&clients.order=id", "films", Error{Status: 400, Code: "PGRST108", Message: "'clients' is not an embedded resource in this request", Details: "Target names are not allowed in filters if they have an alias", Hint: "Change 'clients' to 'c' in filters, orders or limits."}},
		{"select=*,clients(projects(*))&clients.tasks.limit=1", "films", Error{Status: 400, Code: "PGRST108", Message: "'tasks' is not an embedded resource in this request", Hint: "Verify that 'tasks' is included in the 'select' query parameter."}},
		{"clients.or=(id.eq.1)", "films", Error{Status: 400, Code: "PGRST108", Message: "'clients' is not an embedded resource in this request", Hint: "Verify that 'clients' is included in the 'select' query parameter."}},
		{"order=clients(name)", "films", Error{Status: 400, Code: "PGRST108", Message: "'clients' is not an embedded resource in this request", Hint: "Verify that 'clients' is included in the 'select' query parameter."}},
		{"select=*,clients(*)&clients.id=eq.1", "films", Error{Status: 400, Code: "PGRST200", Message: "Could not find a relationship between 'films' and 'clients' in the schema cache", Details: "Searched for a foreign key relationship between 'films' and 'clients' in the schema 'test', but no matches were found."}},
		{"select=...clients!fk(name)", "films", Error{Status: 400, Code: "PGRST200", Message: "Could not find a relationship between 'films' and 'clients' in the schema cache", Details: "Searched for a foreign key relationship between 'films' and 'clients' using the hint 'fk' in the schema 'test', but no matches were found."}},
		{"select=count()", "films", Error{Status: 400, Code: "PGRST123", Message: "Use of aggregate functions is not allowed"}},
		{"select=year.sum()", "films", Error{Status: 400, Code: "PGRST123", Message: "Use of aggregate functions is not allowed"}},
	}
	for _, c := range cases {
		_, err := PlanRead(mustParse(t, c.query), testSchema(), c.target, ReadOptions{Schema: "test"})
		var e *Error
		if !errors.As(err, &e) || *e != c.want {
			t.Errorf("%s %s: got %#v\nwant %#v", c.query, c.target, err, c.want)
		}
	}
	if _, err := PlanRead(&Query{}, nil, "films", ReadOptions{Schema: "test"}); err == nil {
		t.Error("a nil schema cache must give PGRST205")
	}
}

// Hostile identifiers are double-quoted with doubled quotes; hostile values
// never reach the SQL text.
func TestReadHostile(t *testing.T) {
	values := []string{`'; DROP TABLE films; --`, `"x"`, `\`, `$$`, "a\x00b", `%27%22`, "robert'); --"}
	for _, v := range values {
		esc := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23", "\x00", "%00", ";", "%3B").Replace(v)
		for _, qs := range []string{
			"title=eq." + esc,
			"title=like." + esc,
			"title=fts(english)." + esc,
			"data->>" + strings.ReplaceAll(esc, ".", "") + "=eq.1",
			"or=(title.eq." + strings.NewReplacer(",", "", ")", "", "(", "").Replace(esc) + ")",
			"order=data->" + strings.NewReplacer(",", "", ".", "", "(", "", ")", "", "-", "", ":", "", ">", "").Replace(esc),
		} {
			q, err := ParseQuery(qs)
			if err != nil {
				continue
			}
			st, err := PlanRead(q, testSchema(), "films", ReadOptions{Schema: "test"})
			if err != nil {
				t.Errorf("%s: %v", qs, err)
				continue
			}
			if len(v) > 1 && strings.Contains(st.SQL, v) {
				t.Errorf("%s: value in SQL text: %s", qs, st.SQL)
			}
		}
	}

	st := plan(t, `select="a\"b":"co\"l","x\"\"y",%22q%5C%5C%22&"co\"l"=eq.1&order="co\"l"`, `we"ird tab;le`, ReadOptions{})
	want := `SELECT "test"."we""ird tab;le"."co""l" AS "a""b", "test"."we""ird tab;le"."x""""y", "test"."we""ird tab;le"."q\" ` +
		`FROM "test"."we""ird tab;le" WHERE "test"."we""ird tab;le"."co""l" = $1 ORDER BY "test"."we""ird tab;le"."co""l"`
	if got := source(t, st.SQL); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A NUL in an identifier is dropped from the statement text.
	st = plan(t, "select=%22a%00b%22", "films", ReadOptions{})
	if strings.ContainsRune(st.SQL, 0) || !strings.Contains(st.SQL, `."ab"`) {
		t.Errorf("NUL: %q", st.SQL)
	}
	// Casts that are not plain type names are quoted.
	for _, cast := range []string{"int4 from pg_authid", "text%20%24%24", "1x"} {
		st = plan(t, "select=id::"+cast, "films", ReadOptions{})
		if !strings.Contains(st.SQL, ` AS "`) {
			t.Errorf("cast %s not quoted: %s", cast, st.SQL)
		}
	}
}

// A plan binds any query of its shape: planned from one query and bound
// with another of the same key, it gives the other's own arguments, and
// one per placeholder.
func TestBindOtherQuery(t *testing.T) {
	pairs := [][2]string{
		{benchQuery, strings.NewReplacer("1990", "2001", "desc", "desc", "10", "77").Replace(benchQuery)},
		{"select=a:data->a->>b,data->0,meta->>k::int&id=in.(1,2)&data->>x=eq.3&or=(id.eq.1,and(year.gt.2,title.fts(english).x))&order=data->a.desc&limit=3&offset=1",
			"select=a:data->a->>b,data->0,meta->>k::int&id=in.(7)&data->>y=eq.9&or=(id.eq.5,and(year.gt.6,title.fts(french).z))&order=data->q.desc&limit=30&offset=10"},
		{"title=fts(english).cat&search=wfts(simple).dog&data->>x=fts(simple).y&tags=cs.{a}&title=not.ilike(any).{a*}&id=is.null",
			"title=fts(german).kat&search=wfts(english).hund&data->>z=fts(french).w&tags=cs.{b,c}&title=not.ilike(any).{*b}&id=is.null"},
		{"select=title,roles(character)&roles.character=in.(a,b)&roles.limit=1000&roles.offset=2&title=ilike.x*&limit=123456",
			"select=title,roles(character)&roles.character=in.(c)&roles.limit=5&roles.offset=0&title=ilike.*y&limit=1"},
	}
	opts := []ReadOptions{{Schema: "test"}, {Schema: "test", MaxRows: 7, Head: true, Count: CountExact}, {Schema: "test", Count: CountPlanned}}
	for _, pair := range pairs {
		a, b := mustParse(t, pair[0]), mustParse(t, pair[1])
		for _, o := range opts {
			ka, kb := AppendReadKey(nil, a, "films", o), AppendReadKey(nil, b, "films", o)
			if string(ka) != string(kb) {
				t.Fatalf("%s / %s: keys differ", pair[0], pair[1])
			}
			pa, err := NewReadPlan(a, embedSchema(), "films", o)
			if err != nil {
				t.Fatalf("%s: %v", pair[0], err)
			}
			pb, err := NewReadPlan(b, embedSchema(), "films", o)
			if err != nil {
				t.Fatalf("%s: %v", pair[1], err)
			}
			if pa.SQL != pb.SQL {
				t.Fatalf("%s / %s: same key, different SQL", pair[0], pair[1])
			}
			got, want := bindArgs(pa, b), bindArgs(pb, b)
			if !sameArgs(got, want) {
				t.Errorf("%s: bound with another query %q, want %q", pair[1], got, want)
			}
			if reflect.DeepEqual(got, bindArgs(pa, a)) {
				t.Errorf("%s: the values did not change", pair[1])
			}
			if n := maxPlaceholder(pa.SQL); len(got) != n {
				t.Errorf("%s: %d arguments for %d placeholders", pair[1], len(got), n)
			}
			if got, want := explainArgs(pa, b), explainArgs(pb, b); !sameArgs(got, want) {
				t.Errorf("%s: explain bound with another query %q, want %q", pair[1], got, want)
			}
		}
	}
}

// Bind into reused Args gives what it gives into fresh ones, for
// one query after another; computed values (limits, LIKE patterns,
// in-lists) survive the scratch buffer's growth; NULL and the empty string
// stay apart.
func TestBindReuse(t *testing.T) {
	s := embedSchema()
	queries := append([]string{
		benchQuery,
		"title=eq.&id=in.(1,2,3)&title=like.*a*b*&offset=5",
		"select=title,roles(character)&roles.character=in.(a,b,\"c,d\")&roles.limit=1000&title=ilike.x*&limit=123456",
		"id=in.()&title=eq.&limit=0",
	}, embedQueries...)
	var a Args
	for _, o := range []ReadOptions{{Schema: "test"}, {Schema: "test", MaxRows: 7, Count: CountExact}, {Schema: "test", Count: CountPlanned}} {
		for _, qs := range queries {
			q := mustParse(t, qs)
			p, err := NewReadPlan(q, s, "films", o)
			if err != nil {
				t.Fatalf("%s: %v", qs, err)
			}
			p.Bind(&a, &Request{Query: q})
			if got, want := anyArgs(a.Vals), bindArgs(p, q); !sameArgs(got, want) {
				t.Errorf("%s %+v: reused %q, fresh %q", qs, o, got, want)
			}
			p.BindExplain(&a, &Request{Query: q})
			if got, want := anyArgs(a.Vals), explainArgs(p, q); !sameArgs(got, want) {
				t.Errorf("%s %+v: reused explain %q, fresh %q", qs, o, got, want)
			}
		}
	}

	q := mustParse(t, "title=eq.&offset=5")
	p, err := NewReadPlan(q, s, "films", ReadOptions{Schema: "test"})
	if err != nil {
		t.Fatal(err)
	}
	a = Args{}
	p.Bind(&a, &Request{Query: q})
	args := a.Vals
	if len(args) != 3 || args[0] == nil || len(args[0]) != 0 || args[1] != nil || string(args[2]) != "5" {
		t.Errorf("args %q (nil: %v %v)", args, args[0] == nil, args[1] == nil)
	}
	if got := anyArgs(args); !reflect.DeepEqual(got, []any{"", nil, "5"}) {
		t.Errorf("args %q", got)
	}
}

// Binding a cached plan allocates nothing once the caller's slices have
// grown, embeds and count queries included.
func TestBindAllocations(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts are inflated under -race")
	}
	s := embedSchema()
	queries := append([]string{
		benchQuery,
		"id=in.(1,2,3)&title=like.*a*&or=(id.eq.1,and(year.gt.2,title.fts(english).x))&limit=1000&offset=20000",
	}, embedQueries...)
	for _, qs := range queries {
		q := mustParse(t, qs)
		o := ReadOptions{Schema: "test", MaxRows: 500, Count: CountEstimated}
		p, err := NewReadPlan(q, s, "films", o)
		if err != nil {
			t.Fatalf("%s: %v", qs, err)
		}
		var args, explain Args
		r := &Request{Query: q}
		bind := func() {
			p.Bind(&args, r)
			p.BindExplain(&explain, r)
		}
		bind()
		if n := testing.AllocsPerRun(100, bind); n != 0 {
			t.Errorf("%s: %v allocations", qs, n)
		}
	}
}
