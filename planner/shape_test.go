package planner

import (
	"bytes"
	"testing"
)

// Requests that differ only in values: equal shape keys and equal SQL.
var sameShape = [][2]string{
	{"id=eq.1", "id=eq.2"},
	{"id=eq.1", "id=eq.%27%3B%20drop"},
	{"title=like.*a*", "title=like.b"},
	{"id=in.(1,2,3)", "id=in.()"},
	{`id=in.("a,b")`, "id=in.(x,y,z,w)"},
	{"title=fts(english).a", "title=fts(french).b"},
	{"data->a->>b=eq.1", "data->x->>y=eq.2"},
	{"data->0=eq.1", "data->7=eq.1"},
	{"or=(id.eq.1,and(year.gt.2,title.not.is.null))", "or=(id.eq.9,and(year.gt.0,title.not.is.null))"},
	{"or=(id.eq.1,id.cs.{1,2})", `or=(id.eq."x,y",id.cs.{})`},
	{"order=data->a.desc", "order=data->b.desc"},
	{"limit=10", "limit=20"},
	{"limit=10&offset=5", "limit=1&offset=500"},
	{"limit=0", "limit=5"},
	{"offset=1", "offset=2"},
	{"limit=1", "offset=1&limit=1"},
	{"select=id,title&year=gte.1990&order=year.desc&limit=10", "select=id,title&year=gte.2000&order=year.desc&limit=25"},
	{"id=isdistinct.1", "id=isdistinct.2"},
	{"tags=ov.{a}", "tags=ov.{b,c}"},
	{"id=eq(any).{1}", "id=eq(any).{1,2,3}"},
}

// Requests with a different structure: different keys.
var otherShape = [][2]string{
	{"id=eq.1", "id=neq.1"},
	{"id=eq.1", "id=not.eq.1"},
	{"id=eq.1", "year=eq.1"},
	{"id=eq.1", "id=eq(any).1"},
	{"id=eq(any).1", "id=eq(all).1"},
	{"id=is.null", "id=is.true"},
	{"title=fts.a", "title=fts(english).a"},
	{"title=fts.a", "title=plfts.a"},
	{"data->a=eq.1", "data->>a=eq.1"},
	{"data->0=eq.1", "data->a=eq.1"},
	{"data->a=eq.1", "data->a->b=eq.1"},
	{"select=data->a", "select=data->b"}, // the key names the output column
	{"select=id", "select=title"},
	{"select=id", "select=i:id"},
	{"select=id", "select=id::text"},
	{"select=id,title", "select=title,id"},
	{"", "select=*"},
	{"order=id", "order=id.desc"},
	{"order=id", "order=id.nullsfirst"},
	{"order=id,title", "order=title,id"},
	{"", "limit=1"},
	{"or=(id.eq.1,id.eq.2)", "and=(id.eq.1,id.eq.2)"},
	{"or=(id.eq.1,id.eq.2)", "not.or=(id.eq.1,id.eq.2)"},
	{"or=(id.eq.1,id.eq.2)", "or=(id.eq.1,id.eq.2,id.eq.3)"},
	{"or=(id.eq.1,or(id.eq.2))", "or=(id.eq.1,and(id.eq.2))"},
	{"id=eq.1&year=eq.2", "year=eq.2&id=eq.1"},
	{"a.id=eq.1", "b.id=eq.1"},
	{"columns=a", "columns=b"},
	{"id=eq.1", "id=eq.1&id=eq.2"},
	{"", "distinct"},
	{"distinct", "distinct=on(id)"},
	{"distinct=on(id)", "distinct=on(title)"},
	{"distinct=on(id,title)", "distinct=on(title,id)"},
	{"", "a.distinct"},
	{"a.distinct", "b.distinct"},
	{"a.distinct", "a.distinct=on(id)"},
}

func TestShapeKeys(t *testing.T) {
	for _, p := range sameShape {
		a, b := mustParse(t, p[0]), mustParse(t, p[1])
		ka, kb := a.ShapeKey(nil), b.ShapeKey(nil)
		if !bytes.Equal(ka, kb) {
			t.Errorf("%s vs %s: keys differ", p[0], p[1])
		}
		o := ReadOptions{Schema: "test"}
		sa, err1 := PlanRead(a, testSchema(), "films", o)
		sb, err2 := PlanRead(b, testSchema(), "films", o)
		if err1 != nil || err2 != nil {
			t.Fatalf("%v %v", err1, err2)
		}
		if sa.SQL != sb.SQL {
			t.Errorf("%s vs %s: SQL differs:\n%s\n%s", p[0], p[1], sa.SQL, sb.SQL)
		}
		if len(sa.Args) != len(sb.Args) {
			t.Errorf("%s vs %s: arg counts differ", p[0], p[1])
		}
		// A plan built for one binds the other.
		pa, _ := NewReadPlan(a, testSchema(), "films", o)
		if got, want := bindArgs(pa, b), sb.Args; len(got) != len(want) {
			t.Errorf("%s: cross bind %q vs %q", p[1], got, want)
		}
	}
	for _, p := range otherShape {
		a, b := mustParse(t, p[0]), mustParse(t, p[1])
		if bytes.Equal(a.ShapeKey(nil), b.ShapeKey(nil)) {
			t.Errorf("%s vs %s: keys equal", p[0], p[1])
		}
	}
	// Options are part of the read key.
	q := mustParse(t, "id=eq.1")
	keys := map[string]bool{}
	for _, o := range []ReadOptions{{Schema: "test"}, {Schema: "other"}, {Schema: "test", Head: true}, {Schema: "test", MaxRows: 5},
		{Schema: "test", Distinct: true}} {
		keys[string(AppendReadKey(nil, q, "films", o))] = true
	}
	keys[string(AppendReadKey(nil, q, "projects", ReadOptions{Schema: "test"}))] = true
	if len(keys) != 6 {
		t.Errorf("read keys collide: %d", len(keys))
	}
}

// Equal keys must mean equal SQL for every parsable input of the corpus
// (the converse of TestShapeKeys' first half).
func TestShapeKeyDecidesSQL(t *testing.T) {
	seen := map[string]string{}
	for _, p := range append(sameShape, otherShape...) {
		for _, qs := range p {
			q, err := ParseQuery(qs)
			if err != nil {
				continue
			}
			st, err := PlanRead(q, testSchema(), "films", ReadOptions{Schema: "test"})
			if err != nil {
				continue
			}
			k := string(q.ShapeKey(nil))
			if sql, ok := seen[k]; ok && sql != st.SQL {
				t.Errorf("%s: same key, different SQL", qs)
			}
			seen[k] = st.SQL
		}
	}
}
