package planner

import (
	"slices"
	"testing"
)

func TestParseDistinct(t *testing.T) {
	for _, c := range []struct {
		query string
		kind  Distinct
		on    []string
	}{
		{"id=eq.1", DistinctNone, nil},
		{"distinct", DistinctAll, nil},
		{"distinct=", DistinctAll, nil},
		{"distinct=on(a)", DistinctOn, []string{"a"}},
		{`distinct=on(a,"b c")&distinct=on(x)`, DistinctOn, []string{"a", "b c"}}, // the first wins
		{"x.distinct=on(a)", DistinctNone, nil},
	} {
		q := mustParse(t, c.query)
		if q.Distinct != c.kind || !slices.Equal(q.DistinctOn, c.on) || len(q.Filters) != 0 && c.kind != DistinctNone {
			t.Errorf("%s: got %v %q, want %v %q", c.query, q.Distinct, q.DistinctOn, c.kind, c.on)
		}
	}
	q := mustParse(t, "a.b.distinct&a.distinct=on(x,y)")
	if len(q.Filters) != 0 || len(q.EmbedDistinct) != 2 ||
		!slices.Equal(q.EmbedDistinct[0].Path, []string{"a", "b"}) || q.EmbedDistinct[0].Kind != DistinctAll ||
		!slices.Equal(q.EmbedDistinct[1].On, []string{"x", "y"}) || q.EmbedDistinct[1].Kind != DistinctOn {
		t.Errorf("embed distinct: %+v, filters %+v", q.EmbedDistinct, q.Filters)
	}
	// A value that is not a distinct form is a filter on a column named
	// distinct, at the root or in an embed.
	q = mustParse(t, "distinct=eq.x&a.distinct=in.(1,2)")
	if q.Distinct != DistinctNone || len(q.EmbedDistinct) != 0 || len(q.Filters) != 2 ||
		q.Filters[0].Field.Name != "distinct" || len(q.Filters[0].Path) != 0 ||
		q.Filters[1].Field.Name != "distinct" || !slices.Equal(q.Filters[1].Path, []string{"a"}) {
		t.Errorf("distinct filters: distinct %v, embed %+v, filters %+v", q.Distinct, q.EmbedDistinct, q.Filters)
	}
	for _, bad := range []string{"distinct=on", "distinct=on(", "distinct=on()", "distinct=on(a,)", "distinct=true", "distinct=on(a))", "a.distinct=on("} {
		_, err := ParseQuery(bad)
		if e, ok := err.(*Error); !ok || e.Code != "PGRST100" || e.Status != 400 {
			t.Errorf("%s: %v, want PGRST100", bad, err)
		}
	}
}
