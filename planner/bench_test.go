package planner

import "testing"

const benchQuery = "select=id,title,year&year=gte.1990&title=like.*the*&order=year.desc,title&limit=10"

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseQuery(benchQuery); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlanRead(b *testing.B) {
	s := testSchema()
	q := mustParse(b, benchQuery)
	o := ReadOptions{Schema: "test", MaxRows: 1000}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PlanRead(q, s, "films", o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCachedRead is the steady state: parse, compute the key, find the
// plan (here: already at hand) and bind.
func BenchmarkCachedRead(b *testing.B) {
	s := testSchema()
	o := ReadOptions{Schema: "test", MaxRows: 1000}
	p, err := NewReadPlan(mustParse(b, benchQuery), s, "films", o)
	if err != nil {
		b.Fatal(err)
	}
	key := make([]byte, 0, 256)
	var args Args
	var r Request
	b.ReportAllocs()
	for b.Loop() {
		q, err := ParseQuery(benchQuery)
		if err != nil {
			b.Fatal(err)
		}
		key = AppendReadKey(key[:0], q, "films", o)
		r.Query = q
		p.Bind(&args, &r)
	}
}

func BenchmarkParseError(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseQuery("select=id,clients(name[])"); err == nil {
			b.Fatal("no error")
		}
	}
}
