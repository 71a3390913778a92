package planner

import (
	"errors"
	"reflect"
	"testing"
)

// Malformed parameters and the exact bodies PostgREST v16.2 gives (from its
// ErrorSpec, QuerySpec, AndOrParamsSpec, JsonOperatorSpec, InsertSpec and
// the doctests of ApiRequest/QueryParams.hs).
var parseErrorCases = []struct {
	query, message, details string
}{
	{"id=0", `"failed to parse filter (0)" (line 1, column 1)`, `unexpected "0" expecting "not" or operator (eq, gt, ...)`},
	{"a.b=noop.0", `"failed to parse filter (noop.0)" (line 1, column 1)`, `unexpected "o" expecting "not" or operator (eq, gt, ...)`},
	{"id=fts().value", `"failed to parse filter (fts().value)" (line 1, column 5)`, `unexpected ")" expecting operator (eq, gt, ...)`},
	{"id=eq().value", `"failed to parse filter (eq().value)" (line 1, column 4)`, `unexpected ")" expecting operator (eq, gt, ...)`},
	{"id=is().value", `"failed to parse filter (is().value)" (line 1, column 3)`, `unexpected "(" expecting operator (eq, gt, ...)`},
	{"id=in().value", `"failed to parse filter (in().value)" (line 1, column 3)`, `unexpected "(" expecting operator (eq, gt, ...)`},
	{"order=id.asc.nullslasttt", `"failed to parse order (id.asc.nullslasttt)" (line 1, column 17)`, `unexpected 't' expecting "," or end of input`},
	{"order=id.ac", `"failed to parse order (id.ac)" (line 1, column 4)`, `unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast"`},
	{"order=id.descc", `"failed to parse order (id.descc)" (line 1, column 8)`, `unexpected 'c' expecting delimiter (.), "," or end of input`},
	{"order=id.nulsfist", `"failed to parse order (id.nulsfist)" (line 1, column 4)`, `unexpected "n" expecting "asc", "desc", "nullsfirst" or "nullslast"`},
	{"order=id.nullslasttt", `"failed to parse order (id.nullslasttt)" (line 1, column 13)`, `unexpected 't' expecting "," or end of input`},
	{"order=id.smth34", `"failed to parse order (id.smth34)" (line 1, column 4)`, `unexpected "s" expecting "asc", "desc", "nullsfirst" or "nullslast"`},
	{"order=id.asc.nlsfst", `"failed to parse order (id.asc.nlsfst)" (line 1, column 8)`, `unexpected "l" expecting "nullsfirst" or "nullslast"`},
	{"order=id.asc.smth34", `"failed to parse order (id.asc.smth34)" (line 1, column 8)`, `unexpected "s" expecting "nullsfirst" or "nullslast"`},
	{"order=clients(name,id)", `"failed to parse order (clients(name,id))" (line 1, column 8)`, `unexpected '(' expecting letter, digit, "-", "->>", "->", delimiter (.), "," or end of input`},
	{"or=()", `"failed to parse logic tree (())" (line 1, column 4)`, `unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)`},
	{"or=(id.in.1,2,id.eq.3)", `"failed to parse logic tree ((id.in.1,2,id.eq.3))" (line 1, column 10)`, `unexpected "1" expecting "("`},
	{"or=)(", `"failed to parse logic tree ()()" (line 1, column 3)`, `unexpected ")" expecting "("`},
	{"and=(ord(id.eq.1,id.eq.1),id.eq.2)", `"failed to parse logic tree ((ord(id.eq.1,id.eq.1),id.eq.2))" (line 1, column 7)`, `unexpected "d" expecting "("`},
	{"or=(id.eq.1,not.xor(id.eq.2,id.eq.3))", `"failed to parse logic tree ((id.eq.1,not.xor(id.eq.2,id.eq.3)))" (line 1, column 16)`, `unexpected "x" expecting logic operator (and, or)`},
	{"columns=", `"failed to parse columns parameter ()" (line 1, column 1)`, `unexpected end of input expecting field name (* or [a..z0..9_$])`},
	{"select=id,clients(name[])", `"failed to parse select parameter (id,clients(name[]))" (line 1, column 16)`, `unexpected '[' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`},
	{"select=data->>-78xy", `"failed to parse select parameter (data->>-78xy)" (line 1, column 11)`, `unexpected 'x' expecting digit, "->", "::", ".", "," or end of input`},
	{"select=data->>--34", `"failed to parse select parameter (data->>--34)" (line 1, column 9)`, `unexpected "-" expecting digit`},
	{"id=eq.10&select=data->(!@%23$%25^%26*_d->>!@%23$%25^%26*_e::integer", `"failed to parse select parameter (data->(!@#$%^&*_d->>!@#$%^&*_e::integer)" (line 1, column 7)`, `unexpected "(" expecting "-", digit or any non reserved character different from: .,>()`},
	{"select=name!hint", `"failed to parse select parameter (name!hint)" (line 1, column 5)`, `unexpected '!' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`},
	{"select=name::", `"failed to parse select parameter (name::)" (line 1, column 7)`, `unexpected end of input expecting letter or digit`},
	{"id=", `"failed to parse filter ()" (line 1, column 1)`, `unexpected end of input expecting "not" or operator (eq, gt, ...)`},
	{"id=is.nul", `"failed to parse filter (is.nul)" (line 1, column 7)`, `unexpected end of input expecting isVal: (null, not_null, true, false, unknown)`},
	{"!id=eq.1", `"failed to parse tree path (!id)" (line 1, column 1)`, `unexpected "!" expecting field name (* or [a..z0..9_$])`},
	{"on_conflict=,", `"failed to parse on_conflict parameter (,)" (line 1, column 1)`, `unexpected "," expecting field name (* or [a..z0..9_$])`},
	// Errors are reported in PostgREST's order: order before select before filters.
	{"id=0&select=a::&order=x.y", `"failed to parse order (x.y)" (line 1, column 3)`, `unexpected "y" expecting "asc", "desc", "nullsfirst" or "nullslast"`},
	{"id=0&select=a::", `"failed to parse select parameter (a::)" (line 1, column 4)`, `unexpected end of input expecting letter or digit`},
}

func TestParseErrors(t *testing.T) {
	for _, c := range parseErrorCases {
		_, err := ParseQuery(c.query)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: got %v, want an *Error", c.query, err)
			continue
		}
		if e.Status != 400 || e.Code != "PGRST100" || e.Message != c.message || e.Details != c.details || e.Hint != "" {
			t.Errorf("%s:\n got  %d %s %q %q\n want 400 PGRST100 %q %q", c.query, e.Status, e.Code, e.Message, e.Details, c.message, c.details)
		}
	}
}

func TestParseRangeErrors(t *testing.T) {
	for _, qs := range []string{"limit=-1", "limit=0&offset=5", "offset=-4&limit=2", "a.limit=1&limit=-2"} {
		_, err := ParseQuery(qs)
		var e *Error
		if !errors.As(err, &e) || e.Status != 416 || e.Code != "PGRST103" || e.Message != "Requested range not satisfiable" ||
			e.Details != "Limit should be greater than or equal to zero." {
			t.Errorf("%s: got %#v", qs, err)
		}
	}
}

func TestParseRanges(t *testing.T) {
	cases := []struct {
		query         string
		has           bool
		limit, offset int64
	}{
		{"", false, -1, 0},
		{"limit=10", true, 10, 0},
		{"limit=10&offset=20", true, 10, 20},
		{"offset=20", true, -1, 20},
		{"offset=-4", false, -1, 0},       // negative offset is a no-op
		{"limit=5&offset=-3", true, 2, 0}, // [-3,1] ∩ [0,∞)
		{"limit=0", true, 0, 0},
		{"limit=3&offset=-3", true, 0, 0}, // upper bound -1: the limit-zero range
		{"limit=abc", false, -1, 0},       // unreadable numbers are ignored
		{"limit=2&limit=7", true, 7, 0},   // the last one wins
		{"limit=%2012%20", true, 12, 0},
		{"offset=0", false, -1, 0},
		{"a.limit=5", false, -1, 0},
		{"limit", false, -1, 0},
	}
	for _, c := range cases {
		q, err := ParseQuery(c.query)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if q.HasRange != c.has || q.Limit != c.limit || q.Offset != c.offset {
			t.Errorf("%s: got has=%v limit=%d offset=%d, want %v %d %d", c.query, q.HasRange, q.Limit, q.Offset, c.has, c.limit, c.offset)
		}
	}
	q, err := ParseQuery("clients.limit=5&clients.offset=2&clients.projects.offset=1")
	if err != nil {
		t.Fatal(err)
	}
	want := []RangeParam{
		{Path: []string{"clients"}, Limit: 5, Offset: 2, HasLimit: true, HasOffset: true},
		{Path: []string{"clients", "projects"}, Offset: 1, HasOffset: true},
	}
	if !reflect.DeepEqual(q.Ranges, want) {
		t.Errorf("embedded ranges: got %+v", q.Ranges)
	}
}

func TestSplitQuery(t *testing.T) {
	got := splitQuery("?a=1&b&&c=x=y;d=%41%zz+%2B&=v&e=%e9", nil)
	want := []Param{
		{Key: "a", Value: "1", HasValue: true},
		{Key: "b"},
		{Key: ""},
		{Key: "c", Value: "x=y", HasValue: true},
		{Key: "d", Value: "A%zz +", HasValue: true},
		{Key: "", Value: "v", HasValue: true},
		{Key: "e", Value: "\uFFFD", HasValue: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func mustParse(t testing.TB, qs string) *Query {
	t.Helper()
	q, err := ParseQuery(qs)
	if err != nil {
		t.Fatalf("%s: %v", qs, err)
	}
	return q
}

func TestParseSelect(t *testing.T) {
	cases := []struct {
		sel  string
		want []SelectItem
	}{
		{"", nil},
		{"*", []SelectItem{{Field: Field{Name: "*"}}}},
		{"id,title", []SelectItem{{Field: Field{Name: "id"}}, {Field: Field{Name: "title"}}}},
		{"t:title::text", []SelectItem{{Alias: "t", Field: Field{Name: "title"}, Cast: "text"}}},
		{"data->a->>b", []SelectItem{{Field: Field{Name: "data", JSON: []JSONStep{{Key: "a"}, {Text: true, Key: "b"}}}}}},
		{"arr->0,arr->>-1", []SelectItem{
			{Field: Field{Name: "arr", JSON: []JSONStep{{Index: true, Key: "0"}}}},
			{Field: Field{Name: "arr", JSON: []JSONStep{{Text: true, Index: true, Key: "-1"}}}}}},
		{`"a,b":"c\"d",x%20y,with-dash,ünï,$1`, []SelectItem{
			{Alias: "a,b", Field: Field{Name: `c"d`}},
			{Field: Field{Name: "x y"}}, {Field: Field{Name: "with-dash"}}, {Field: Field{Name: "ünï"}}, {Field: Field{Name: "$1"}}}},
		{"data->\"a.b\"->'c'", []SelectItem{{Field: Field{Name: "data", JSON: []JSONStep{{Key: "a.b"}, {Key: "'c'"}}}}}},
		{"count(),c:count()::int,year.sum(),avg:year.avg()::text", []SelectItem{
			{Field: Field{Name: "*"}, Agg: AggCount},
			{Alias: "c", Field: Field{Name: "*"}, Agg: AggCount, AggCast: "int"},
			{Field: Field{Name: "year"}, Agg: AggSum},
			{Alias: "avg", Field: Field{Name: "year"}, Agg: AggAvg, AggCast: "text"}}},
		{"id,dir:directors!fk!inner(id,name),...roles(character),actors()", []SelectItem{
			{Field: Field{Name: "id"}},
			{Kind: SelectEmbed, Alias: "dir", Relation: "directors", Hint: "fk", Join: JoinInner,
				Children: []SelectItem{{Field: Field{Name: "id"}}, {Field: Field{Name: "name"}}}},
			{Kind: SelectSpread, Relation: "roles", Children: []SelectItem{{Field: Field{Name: "character"}}}},
			{Kind: SelectEmbed, Relation: "actors"}}},
		{" id , title ", []SelectItem{{Field: Field{Name: "id"}}, {Field: Field{Name: "title"}}}},
	}
	for _, c := range cases {
		q := mustParse(t, "select="+c.sel)
		if !reflect.DeepEqual(q.Select, c.want) {
			t.Errorf("select=%s:\n got  %+v\n want %+v", c.sel, q.Select, c.want)
		}
	}
	if q := mustParse(t, "select=id&select=title"); q.Select[0].Field.Name != "id" || len(q.Select) != 1 {
		t.Errorf("the first select should win: %+v", q.Select)
	}
}

func TestParseFilters(t *testing.T) {
	cases := []struct {
		param string
		want  Filter
	}{
		{"id=eq.1", Filter{Field: Field{Name: "id"}, Expr: OpExpr{Op: OpEq, Value: "1"}}},
		{"id=not.eq.1", Filter{Field: Field{Name: "id"}, Expr: OpExpr{Not: true, Op: OpEq, Value: "1"}}},
		{"id=gte.a.b.c", Filter{Field: Field{Name: "id"}, Expr: OpExpr{Op: OpGte, Value: "a.b.c"}}},
		{"id=eq(any).{1,2}", Filter{Field: Field{Name: "id"}, Expr: OpExpr{Op: OpEq, Quant: QuantAny, Value: "{1,2}"}}},
		{"t=like(all).{a*,*b}", Filter{Field: Field{Name: "t"}, Expr: OpExpr{Op: OpLike, Quant: QuantAll, Value: "{a*,*b}"}}},
		{"t=imatch.^a", Filter{Field: Field{Name: "t"}, Expr: OpExpr{Op: OpIMatch, Value: "^a"}}},
		{"t=ilike.*a", Filter{Field: Field{Name: "t"}, Expr: OpExpr{Op: OpILike, Value: "*a"}}},
		{`id=in.(1,"a,b", c ,"q\"\\")`, Filter{Field: Field{Name: "id"}, Expr: OpExpr{Op: OpIn, List: []string{"1", "a,b", " c ", `q"\`}}}},
		{"id=in.()", Filter{Field: Field{Name: "id"}, Expr: OpExpr{Op: OpIn, List: []string{""}}}},
		{"id=is.NuLL", Filter{Field: Field{Name: "id"}, Expr: OpExpr{Op: OpIs, Is: IsNull}}},
		{"id=not.is.not_null", Filter{Field: Field{Name: "id"}, Expr: OpExpr{Not: true, Op: OpIs, Is: IsNotNull}}},
		{"id=is.TRUE", Filter{Field: Field{Name: "id"}, Expr: OpExpr{Op: OpIs, Is: IsTrue}}},
		{"id=is.unknown", Filter{Field: Field{Name: "id"}, Expr: OpExpr{Op: OpIs, Is: IsUnknown}}},
		{"id=isdistinct.3", Filter{Field: Field{Name: "id"}, Expr: OpExpr{Op: OpIsDistinct, Value: "3"}}},
		{"t=fts(english).a%20%26%20b", Filter{Field: Field{Name: "t"}, Expr: OpExpr{Op: OpFts, Lang: "english", HasLang: true, Value: "a & b"}}},
		{"t=plfts.a", Filter{Field: Field{Name: "t"}, Expr: OpExpr{Op: OpPlFts, Value: "a"}}},
		{"t=phfts.a", Filter{Field: Field{Name: "t"}, Expr: OpExpr{Op: OpPhFts, Value: "a"}}},
		{"t=not.wfts(simple).a", Filter{Field: Field{Name: "t"}, Expr: OpExpr{Not: true, Op: OpWFts, Lang: "simple", HasLang: true, Value: "a"}}},
		{"a=neq.1", Filter{Field: Field{Name: "a"}, Expr: OpExpr{Op: OpNeq, Value: "1"}}},
		{"a=cs.{1}", Filter{Field: Field{Name: "a"}, Expr: OpExpr{Op: OpCs, Value: "{1}"}}},
		{"a=cd.{1}", Filter{Field: Field{Name: "a"}, Expr: OpExpr{Op: OpCd, Value: "{1}"}}},
		{"a=ov.[1,2]", Filter{Field: Field{Name: "a"}, Expr: OpExpr{Op: OpOv, Value: "[1,2]"}}},
		{"a=sl.x", Filter{Field: Field{Name: "a"}, Expr: OpExpr{Op: OpSl, Value: "x"}}},
		{"a=sr.x", Filter{Field: Field{Name: "a"}, Expr: OpExpr{Op: OpSr, Value: "x"}}},
		{"a=nxr.x", Filter{Field: Field{Name: "a"}, Expr: OpExpr{Op: OpNxr, Value: "x"}}},
		{"a=nxl.x", Filter{Field: Field{Name: "a"}, Expr: OpExpr{Op: OpNxl, Value: "x"}}},
		{"a=adj.x", Filter{Field: Field{Name: "a"}, Expr: OpExpr{Op: OpAdj, Value: "x"}}},
		{"a=lt.", Filter{Field: Field{Name: "a"}, Expr: OpExpr{Op: OpLt, Value: ""}}},
		{"data->a->>b=eq.1", Filter{Field: Field{Name: "data", JSON: []JSONStep{{Key: "a"}, {Text: true, Key: "b"}}}, Expr: OpExpr{Op: OpEq, Value: "1"}}},
		{"clients.projects.id=lte.5", Filter{Path: []string{"clients", "projects"}, Field: Field{Name: "id"}, Expr: OpExpr{Op: OpLte, Value: "5"}}},
	}
	for _, c := range cases {
		q := mustParse(t, c.param)
		if len(q.Filters) != 1 || !reflect.DeepEqual(q.Filters[0], c.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", c.param, q.Filters, c.want)
		}
	}
	q := mustParse(t, "id=gt.1&id=lt.9&select=id&order=id&limit=1&x.order=y&a.or=(b.eq.1)&nofilter&columns=id&on_conflict=id")
	if len(q.Filters) != 2 || q.Filters[1].Expr.Op != OpLt {
		t.Errorf("duplicate filters: %+v", q.Filters)
	}
	if !q.HasColumns || !reflect.DeepEqual(q.Columns, []string{"id"}) || !q.HasOnConflict {
		t.Errorf("columns/on_conflict: %+v", q)
	}
}

func TestParseLogic(t *testing.T) {
	leaf := func(name string, e OpExpr) Logic { return Logic{Leaf: &Filter{Field: Field{Name: name}, Expr: e}} }
	cases := []struct {
		param string
		want  LogicParam
	}{
		{"or=(a.eq.1,and(b.gt.2,c.not.is.null))", LogicParam{Tree: Logic{Or: true, Children: []Logic{
			leaf("a", OpExpr{Op: OpEq, Value: "1"}),
			{Children: []Logic{leaf("b", OpExpr{Op: OpGt, Value: "2"}), leaf("c", OpExpr{Not: true, Op: OpIs, Is: IsNull})}},
		}}}},
		{"not.and=(a.eq.1)", LogicParam{Tree: Logic{Not: true, Children: []Logic{leaf("a", OpExpr{Op: OpEq, Value: "1"})}}}},
		{"clients.not.or=(a.eq.1)", LogicParam{Path: []string{"clients"}, Tree: Logic{Not: true, Or: true, Children: []Logic{leaf("a", OpExpr{Op: OpEq, Value: "1"})}}}},
		{`or=(a.eq."x,y)",b.in.(1,"2,3"),c.cs.{1,2},d.not.eq.x)`, LogicParam{Tree: Logic{Or: true, Children: []Logic{
			leaf("a", OpExpr{Op: OpEq, Value: "x,y)"}),
			leaf("b", OpExpr{Op: OpIn, List: []string{"1", "2,3"}}),
			leaf("c", OpExpr{Op: OpCs, Value: "{1,2}"}),
			leaf("d", OpExpr{Not: true, Op: OpEq, Value: "x"}),
		}}}},
		{"or=(a.eq.1,not.or(b.eq.2,c.fts(english).x))", LogicParam{Tree: Logic{Or: true, Children: []Logic{
			leaf("a", OpExpr{Op: OpEq, Value: "1"}),
			{Not: true, Or: true, Children: []Logic{leaf("b", OpExpr{Op: OpEq, Value: "2"}), leaf("c", OpExpr{Op: OpFts, Lang: "english", HasLang: true, Value: "x"})}},
		}}}},
	}
	for _, c := range cases {
		q := mustParse(t, c.param)
		if len(q.Logic) != 1 || !reflect.DeepEqual(q.Logic[0], c.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", c.param, q.Logic, c.want)
		}
	}
}

func TestParseOrder(t *testing.T) {
	q := mustParse(t, "order=a.desc.nullslast,b,data->x->>y.asc,c.nullsfirst,clients(name).desc&clients.order=id.asc")
	want := []OrderParam{
		{Terms: []OrderTerm{
			{Field: Field{Name: "a"}, Dir: DirDesc, Nulls: NullsLast},
			{Field: Field{Name: "b"}},
			{Field: Field{Name: "data", JSON: []JSONStep{{Key: "x"}, {Text: true, Key: "y"}}}, Dir: DirAsc},
			{Field: Field{Name: "c"}, Nulls: NullsFirst},
			{Relation: "clients", Field: Field{Name: "name"}, Dir: DirDesc},
		}},
		{Path: []string{"clients"}, Terms: []OrderTerm{{Field: Field{Name: "id"}, Dir: DirAsc}}},
	}
	if !reflect.DeepEqual(q.Order, want) {
		t.Errorf("got  %+v\nwant %+v", q.Order, want)
	}
}

// PostgREST's parsers do not require the end of input everywhere; these
// inputs are accepted there and must be here.
func TestParseLenient(t *testing.T) {
	for _, qs := range []string{"select=id)x", "or=(a.eq.1)x", "id=is.nullx", "select=*!hint"} {
		if _, err := ParseQuery(qs); err != nil {
			t.Errorf("%s: %v", qs, err)
		}
	}
}

func TestParseDeepNesting(t *testing.T) {
	deep := ""
	for range 10000 {
		deep += "a("
	}
	_, err := ParseQuery("select=" + deep)
	var e *Error
	if !errors.As(err, &e) || e.Code != "PGRST100" {
		t.Errorf("deep select: %v", err)
	}
	deep = ""
	for range 10000 {
		deep += "or("
	}
	if _, err := ParseQuery("or=(" + deep); !errors.As(err, &e) || e.Code != "PGRST100" {
		t.Errorf("deep logic: %v", err)
	}
}
