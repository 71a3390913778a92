package planner

import (
	"net/url"
	"reflect"
	"testing"
)

// fastSeeds are inputs of the forms the fast path takes, and near misses
// that it must leave to the full parser.
var fastSeeds = []string{
	"id", "a.b.c", "a..b", ".a", "a.", "first-name", "data->a", " id", "id ", "$x_1",
	"eq.1", "not.eq.1", "not.not.eq.1", "neq.", "gte.2020-01-01", "gt.x.y", "like.*a*", "ilike.A%",
	"in.(1,2,3)", "in.()", "in.(,)", "in.( 1)", "in. (1)", "in.(1)x", "in.(\"a,b\",c)", "in.(a(b),c)",
	"is.null", "is.NULL", "is.not_null", "is.nullx", "is.True", "is.unknown", "is.falſe",
	"isdistinct.x", "fts.a b", "fts(english).a", "plfts.x", "phfts.x", "wfts.x", "eq(any).{1,2}",
	"cs.{1}", "cd.{1}", "ov.[1,2]", "sl.(1,2)", "sr.x", "nxr.x", "nxl.x", "adj.x", "match.^a", "imatch.a",
	"lt.1", "lte.1", "eq", "not.eq", "nope.1", "",
	"col.desc", "col.asc.nullslast", "col.nullsfirst", "col.nullsfirst.asc", "col.asc.desc", "a,b.desc",
	"a,", ",a", "a.ascx", "rel(col).desc", "asc",
	"*", "id,name", "a:id", "a:id::text", "id::text", "a::b:c", "a:b:c", "*,id", "alias:*", "*::text",
	"count", "count()", "c:count()", "count(id)", "count:id", "id.sum()", "a,", "a,,b", "a )",
	"customer:customers(id,name,email)", "orders(id,status,total,ordered_at)", "a(b(c(d)))", "a()",
	"...a(b)", "...a!inner(b)", "x:...a(b)", "a!inner(b)", "a!left(b)", "a!hint(b)", "a!hint!inner(b)",
	"a!inner!left(b)", "a!h1!h2(b)", "a!h1!h2!h3(b)", "a!leftish(b)", "a!innerx(b)", "a!leaf(b)", "a!(b)",
	"a(b))", "a(b", "a(*)", "a(b:c::int)", "a(b),c", "a!b", "count(b)", "a(count)",
	"a(b(c(d(e(f(g(h(i(j)))))))))",
	"select=id,name&id=eq.5&order=id.desc&limit=10&offset=5",
	"select=id,title,year&year=gte.1990&title=like.*the*&order=year.desc,title&limit=10",
	"select=*,orders(id)&orders.status=eq.x&orders.order=id&orders.limit=3&orders.offset=1",
	"id=in.(1,2)&name=is.null&not=eq.1&order=a,b",
}

// The fast path accepts only what the full parser accepts, and builds the
// same tree; whole queries parse the same either way, errors included.
func FuzzFastPath(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkFastPath(t, in)
	})
}

func TestFastPathSeeds(t *testing.T) {
	for _, s := range fastSeeds {
		checkFastPath(t, s)
	}
}

func checkFastPath(t *testing.T, in string) {
	t.Helper()
	full := func(p func(s *pstate) res) bool {
		s := &pstate{}
		return run(s, in, "x", in, func() res { return p(s) }) == nil
	}
	if items, ok := fastSelect(in, nil); ok {
		var want []SelectItem
		if !full(func(s *pstate) (r res) { want, r = s.fieldForest(); return }) || !reflect.DeepEqual(items, want) {
			t.Fatalf("select %q: fast %#v, full %#v", in, items, want)
		}
	}
	if e, ok := fastOpExpr(in); ok {
		var want OpExpr
		if !full(func(s *pstate) (r res) { want, r = s.opExpr(false); return }) || !reflect.DeepEqual(e, want) {
			t.Fatalf("filter %q: fast %#v, full %#v", in, e, want)
		}
	}
	if terms, ok := fastOrder(in, nil); ok {
		var want []OrderTerm
		if !full(func(s *pstate) (r res) { want, r = s.order(); return }) || !reflect.DeepEqual(terms, want) {
			t.Fatalf("order %q: fast %#v, full %#v", in, terms, want)
		}
	}
	if path, f, ok := fastTreePath(in); ok {
		var wantPath []string
		var wantF Field
		if !full(func(s *pstate) (r res) { wantPath, wantF, r = s.treePath(); return }) ||
			!reflect.DeepEqual(path, wantPath) || !reflect.DeepEqual(f, wantF) {
			t.Fatalf("tree path %q: fast %#v %#v, full %#v %#v", in, path, f, wantPath, wantF)
		}
	}

	fast, full2 := &Query{Limit: -1}, &Query{Limit: -1}
	errFast, errFull := fast.parse(in, true), full2.parse(in, false)
	if (errFast == nil) != (errFull == nil) || errFast != nil && errFast.Error() != errFull.Error() {
		t.Fatalf("query %q: fast error %v, full error %v", in, errFast, errFull)
	}
	if errFast == nil && !reflect.DeepEqual(fast, full2) {
		t.Fatalf("query %q:\nfast %#v\nfull %#v", in, fast, full2)
	}
	// A reused Query parses to the same tree as a fresh one.
	reused := &Query{Limit: -1}
	if err := ParseQueryInto(reused, benchQuery+"&"+in); err == nil {
		if err := ParseQueryInto(reused, in); err == nil && errFast == nil && !reflect.DeepEqual(reused.ShapeKey(nil), fast.ShapeKey(nil)) {
			t.Fatalf("query %q: reused Query differs", in)
		}
	}
}

// The common query forms parse into a reused Query without allocating.
func TestParseQueryIntoAllocations(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts are inflated under -race")
	}
	for _, qs := range []string{
		"id=eq.42",
		benchQuery,
		"select=id,customer_id,status,total,ordered_at&status=eq.paid&ordered_at=lt.2024-01-01&order=ordered_at.desc&limit=50",
		"select=id,name,tier,orders(id,status,total,ordered_at)&id=gt.5&order=id.asc&limit=20",
	} {
		var q Query
		if err := ParseQueryInto(&q, qs); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = ParseQueryInto(&q, qs) }); n != 0 {
			// Embeds allocate their children; nothing else may.
			if n > 1 || !q.hasEmbeds() {
				t.Errorf("%s: %v allocations", qs, n)
			}
		}
	}
}

func BenchmarkParseInto(b *testing.B) {
	var q Query
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseQueryInto(&q, benchQuery); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFull is BenchmarkParse without the fast path.
func BenchmarkParseFull(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		q := &Query{Limit: -1}
		if err := q.parse(benchQuery, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkURLParseQuery is the standard library's query parser on the same
// string: the yardstick for BenchmarkParse on a shared, noisy machine.
func BenchmarkURLParseQuery(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := url.ParseQuery(benchQuery); err != nil {
			b.Fatal(err)
		}
	}
}
