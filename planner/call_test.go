package planner

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/pgrst/pgrst/cache"
)

// callSchema is testSchema with functions of schema test.
func callSchema() *cache.Schema {
	s := testSchema()
	s.Functions = map[cache.QName][]*cache.Function{}
	add := func(f *cache.Function) {
		f.Schema = "test"
		if f.Volatility == 0 {
			f.Volatility = cache.Stable
		}
		k := cache.QName{Schema: "test", Name: f.Name}
		s.Functions[k] = append(s.Functions[k], f)
	}
	arg := func(name, typ string) cache.FuncArg { return cache.FuncArg{Name: name, Type: typ} }
	add(&cache.Function{Name: "add_them", Args: []cache.FuncArg{arg("a", "integer"), arg("b", "integer")}, ReturnType: "integer"})
	add(&cache.Function{Name: "films_since", Args: []cache.FuncArg{arg("y", "integer")}, ReturnType: "SETOF films",
		ReturnTypeSchema: "test", ReturnTypeName: "films", ReturnsComposite: true, ReturnsSet: true})
	add(&cache.Function{Name: "film", Args: []cache.FuncArg{arg("id", "integer")}, ReturnType: "films",
		ReturnTypeSchema: "test", ReturnTypeName: "films", ReturnsComposite: true})
	add(&cache.Function{Name: "numbers", Args: []cache.FuncArg{arg("n", "integer")}, ReturnType: "integer", ReturnsSet: true})
	add(&cache.Function{Name: "sum_all", Args: []cache.FuncArg{{Name: "v", Type: "integer[]", Variadic: true}},
		ReturnType: "integer", HasVariadic: true})
	add(&cache.Function{Name: "nothing", ReturnType: "void", ReturnTypeSchema: "pg_catalog", ReturnTypeName: "void",
		Volatility: cache.Volatile})
	add(&cache.Function{Name: "echo_bytes", Args: []cache.FuncArg{arg("", "bytea")}, ReturnType: "integer"})
	add(&cache.Function{Name: "pad", Args: []cache.FuncArg{arg("c", "character")}, ReturnType: "text"})
	return s
}

// payloadKeys are the sorted keys of a JSON object.
func payloadKeys(t *testing.T, body string) []string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestParseCallArguments(t *testing.T) {
	cases := []struct {
		query   string
		args    []string // key=value
		filters int
		err     bool
	}{
		{"a=1&b=2", []string{"a=1", "b=2"}, 0, false},
		{"a=eq.1&b=2", []string{"b=2"}, 1, false},
		{"v=1&v=2", []string{"v=1", "v=2"}, 0, false},
		{"arr={1,2}&name=eq", []string{"arr={1,2}", "name=eq"}, 0, false},
		{"name=island&id=not.eq.3", []string{"name=island"}, 1, false},
		{"a=not.x", nil, 0, true}, // "not." consumed: a filter error, as in PostgREST
		{"a=in.x", nil, 0, true},
	}
	for _, c := range cases {
		var q Query
		err := ParseCallQueryInto(&q, c.query)
		if (err != nil) != c.err {
			t.Errorf("%s: error %v", c.query, err)
			continue
		}
		if c.err {
			continue
		}
		var got []string
		for _, p := range q.CallArgs {
			got = append(got, p.Key+"="+p.Value)
		}
		if !slices.Equal(got, c.args) || len(q.Filters) != c.filters {
			t.Errorf("%s: args %q filters %d", c.query, got, len(q.Filters))
		}
	}
}

func TestCallBindAllocs(t *testing.T) {
	s := callSchema()
	q := &Query{}
	if err := ParseCallQueryInto(q, "v=1&v=2&v=3"); err != nil {
		t.Fatal(err)
	}
	p, err := NewReadPlan(q, s, "sum_all", ReadOptions{Schema: "test", Call: &Call{}})
	if err != nil {
		t.Fatal(err)
	}
	var a Args
	r := &Request{Query: q}
	p.Bind(&a, r)
	if string(a.Vals[0]) != `{"1","2","3"}` {
		t.Fatalf("variadic %q", a.Vals[0])
	}
	if n := testing.AllocsPerRun(100, func() { p.Bind(&a, r) }); n != 0 {
		t.Errorf("Bind allocates %v times", n)
	}
}
