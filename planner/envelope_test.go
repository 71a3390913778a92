package planner

import (
	"reflect"
	"strings"
	"testing"
)

func TestEnvelopeCount(t *testing.T) {
	q := mustParse(t, "select=id&year=gt.1990&or=(id.eq.1,title.eq.x)&order=id&limit=2")
	p, err := NewReadPlan(q, testSchema(), "films", ReadOptions{Schema: "test", Count: CountExact})
	if err != nil {
		t.Fatal(err)
	}
	// The count query repeats the filters with fresh placeholders after the
	// source's (the filters' args, then limit and offset).
	want := `, pgrst_source_count AS (SELECT 1 FROM "test"."films" WHERE "test"."films"."year" > $6 AND ` +
		`("test"."films"."id" = $7 OR "test"."films"."title" = $8)) ` +
		`SELECT (SELECT pg_catalog.count(*) FROM pgrst_source_count)::text AS total_result_set, `
	if !strings.Contains(p.SQL, want) {
		t.Errorf("SQL\n%s\nlacks\n%s", p.SQL, want)
	}
	if args := bindArgs(p, q); !reflect.DeepEqual(args, []any{"1990", "1", "x", "2", "0", "1990", "1", "x"}) {
		t.Errorf("args %q", args)
	}
	if p.ExplainSQL != "" {
		t.Errorf("exact count has an EXPLAIN: %s", p.ExplainSQL)
	}

	// Without a limit or db-max-rows, the page is the whole result.
	q = mustParse(t, "select=id&year=gt.1990")
	p, _ = NewReadPlan(q, testSchema(), "films", ReadOptions{Schema: "test", Count: CountExact})
	if strings.Contains(p.SQL, "pgrst_source_count") ||
		!strings.Contains(p.SQL, "SELECT pg_catalog.count(_pgrst_t)::text AS total_result_set") {
		t.Errorf("SQL %s", p.SQL)
	}
	if args := bindArgs(p, q); len(args) != 1 {
		t.Errorf("args %q", args)
	}

	// Estimated stops counting one row past db-max-rows, and can explain.
	p, _ = NewReadPlan(q, testSchema(), "films", ReadOptions{Schema: "test", Count: CountEstimated, MaxRows: 50})
	if !strings.Contains(p.SQL, `WHERE "test"."films"."year" > $4 LIMIT 51)`) {
		t.Errorf("SQL %s", p.SQL)
	}
	if p.ExplainSQL != `EXPLAIN (FORMAT JSON) SELECT 1 FROM "test"."films" WHERE "test"."films"."year" > $1` {
		t.Errorf("explain %s", p.ExplainSQL)
	}
	if args := explainArgs(p, q); !reflect.DeepEqual(args, []any{"1990"}) {
		t.Errorf("explain args %q", args)
	}
	if !p.CappedByMaxRows(51) || p.CappedByMaxRows(50) {
		t.Error("CappedByMaxRows")
	}

	// Planned counts nothing in the statement.
	p, _ = NewReadPlan(q, testSchema(), "films", ReadOptions{Schema: "test", Count: CountPlanned, MaxRows: 50})
	if strings.Contains(p.SQL, "pgrst_source_count") || !strings.Contains(p.SQL, "SELECT null::text AS total_result_set") ||
		p.ExplainSQL == "" {
		t.Errorf("SQL %s\nexplain %s", p.SQL, p.ExplainSQL)
	}
}

func TestEnvelopeBodies(t *testing.T) {
	cases := []struct {
		qs   string
		body Body
		want string
	}{
		{"", BodyJSONStripped, "coalesce(json_strip_nulls(json_agg(_pgrst_t)), '[]')::text AS body"},
		{"", BodyObject, "coalesce(json_agg(_pgrst_t)->0, 'null') AS body"},
		{"", BodyObjectStripped, "coalesce(json_strip_nulls(json_agg(_pgrst_t)->0)::text, 'null') AS body"},
		{"", BodyCSV, "FROM pgrst_source pgrst_h LIMIT 1)) AS pgrst_k), '') || E'\\n' || coalesce(string_agg(substr(_pgrst_t::text, 2, length(_pgrst_t::text) - 2), E'\\n'), '') AS body"},
		{"select=title", BodyText, "coalesce(string_agg(_pgrst_t.pgrst_scalar::text, ''), '') AS body"},
		{"select=title", BodyXML, "coalesce(xmlagg(_pgrst_t.pgrst_scalar)::text, '') AS body"},
		{"select=title::bytea", BodyBinary, "coalesce(encode(string_agg(_pgrst_t.pgrst_scalar, ''::bytea), 'hex'), '') AS body"},
		{"select=title", BodyBinary, "coalesce(string_agg(_pgrst_t.pgrst_scalar::text, ''), '') AS body"},
	}
	for _, c := range cases {
		q := mustParse(t, c.qs)
		p, err := NewReadPlan(q, testSchema(), "films", ReadOptions{Schema: "test", Body: c.body})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.SQL, c.want) {
			t.Errorf("%q %d: SQL\n%s\nlacks\n%s", c.qs, c.body, p.SQL, c.want)
		}
		raw := c.body >= BodyText
		if raw != strings.HasSuffix(p.SQL, "_pgrst_t(pgrst_scalar)") {
			t.Errorf("%q %d: column alias: %s", c.qs, c.body, p.SQL)
		}
		if p.HexBody != (c.qs == "select=title::bytea") {
			t.Errorf("%q %d: HexBody %v", c.qs, c.body, p.HexBody)
		}
	}
	// HEAD builds no body whatever the media type.
	p, _ := NewReadPlan(mustParse(t, "select=title"), testSchema(), "films", ReadOptions{Schema: "test", Body: BodyText, Head: true})
	if !strings.Contains(p.SQL, "''::text AS body") || strings.Contains(p.SQL, "pgrst_scalar") {
		t.Errorf("HEAD: %s", p.SQL)
	}
}

func TestEnvelopeKey(t *testing.T) {
	q := mustParse(t, "select=id")
	keys := map[string]bool{}
	for _, o := range []ReadOptions{
		{Schema: "test"}, {Schema: "test", Count: CountExact}, {Schema: "test", Count: CountPlanned},
		{Schema: "test", Body: BodyCSV}, {Schema: "test", Body: BodyObject}, {Schema: "test", Head: true},
	} {
		k := string(AppendReadKey(nil, q, "films", o))
		if keys[k] {
			t.Errorf("%+v: key collides", o)
		}
		keys[k] = true
	}
}

func TestSingleColumn(t *testing.T) {
	for qs, want := range map[string]bool{
		"": false, "select=*": false, "select=id,title": false, "select=id": true,
		"select=a:data->>x::int": true, "select=count()": false,
	} {
		if got := SingleColumn(mustParse(t, qs)); got != want {
			t.Errorf("%q: %v", qs, got)
		}
	}
}

// Bind gives one argument per placeholder for every count mode and body.
func TestEnvelopeBindPlaceholders(t *testing.T) {
	queries := []string{
		benchQuery,
		"select=a:data->a->>b,data->0,meta->>k::int&id=in.(1,2)&data->>x=eq.3&or=(id.eq.1,and(year.gt.2,title.fts(english).x))&order=data->a.desc&limit=3&offset=1",
		"title=fts(english).cat&search=wfts(simple).dog&data->>x=fts(simple).y&tags=cs.{a}&title=not.ilike(any).{a*}&id=is.null",
	}
	for _, qs := range queries {
		q := mustParse(t, qs)
		for _, c := range []Count{CountNone, CountExact, CountPlanned, CountEstimated} {
			for _, o := range []ReadOptions{{Schema: "test", Count: c}, {Schema: "test", MaxRows: 7, Count: c, Body: BodyCSV}} {
				p, err := NewReadPlan(q, testSchema(), "films", o)
				if err != nil {
					t.Fatal(err)
				}
				if n, args := maxPlaceholder(p.SQL), bindArgs(p, q); n != len(args) {
					t.Errorf("%s %+v: %d placeholders for %d args", qs, o, n, len(args))
				}
				if n, args := maxPlaceholder(p.ExplainSQL), explainArgs(p, q); n != len(args) || (n > 0) != c.NeedsExplain() {
					t.Errorf("%s %+v: explain has %d placeholders for %d args", qs, o, n, len(args))
				}
			}
		}
	}
}
