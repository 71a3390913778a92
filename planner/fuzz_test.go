package planner

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParseQuery checks that no input makes the parser or the planner
// panic or loop, that failures are *Error values, and that for every query
// that plans, Bind gives one argument per placeholder and the shape key is
// deterministic. Seeds live in testdata/fuzz/FuzzParseQuery.
func FuzzParseQuery(f *testing.F) {
	for _, c := range parseErrorCases {
		f.Add(c.query)
	}
	f.Add(benchQuery)
	schema := testSchema()
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := ParseQuery(raw)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not an *Error: %v", err)
			}
			if e.Code == "PGRST100" && (e.Details == "unknown parse error" || !strings.Contains(e.Message, "(line ")) {
				t.Fatalf("parse error without messages: %#v", e)
			}
			return
		}
		q2, err := ParseQuery(raw)
		if err != nil || !bytes.Equal(q.ShapeKey(nil), q2.ShapeKey(nil)) {
			t.Fatalf("parse is not deterministic: %v", err)
		}
		for _, o := range []ReadOptions{{Schema: "test"}, {Schema: "test", MaxRows: 10, Head: true}} {
			p, err := NewReadPlan(q, schema, "films", o)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("not an *Error: %v", err)
				}
				return
			}
			if args, n := bindArgs(p, q), maxPlaceholder(p.SQL); len(args) != n {
				t.Fatalf("%d arguments for %d placeholders", len(args), n)
			}
			if strings.IndexByte(p.SQL, 0) >= 0 {
				t.Fatalf("NUL in SQL: %q", p.SQL)
			}
		}
	})
}

// bindArgs is p.Bind into fresh Args, as strings and nils.
func bindArgs(p *Plan, q *Query) []any {
	var a Args
	p.Bind(&a, &Request{Query: q})
	return anyArgs(a.Vals)
}

// explainArgs is p.BindExplain into fresh Args, as strings and nils.
func explainArgs(p *Plan, q *Query) []any {
	var a Args
	p.BindExplain(&a, &Request{Query: q})
	return anyArgs(a.Vals)
}

// maxPlaceholder is the highest $n in sql outside string literals and
// quoted identifiers (the number of parameters PostgreSQL infers).
func maxPlaceholder(sql string) int {
	n := 0
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; c {
		case '\'', '"':
			j := strings.IndexByte(sql[i+1:], c)
			if j < 0 {
				return n
			}
			i += j + 1
		case '$':
			k, j := 0, i+1
			for ; j < len(sql) && sql[j] >= '0' && sql[j] <= '9'; j++ {
				k = k*10 + int(sql[j]-'0')
			}
			n = max(n, k)
			i = j - 1
		}
	}
	return n
}

// anyArgs turns arguments into strings, nil for NULL, so that tests compare
// and print them simply.
func anyArgs(args [][]byte) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if a != nil {
			out[i] = string(a)
		}
	}
	return out
}

func sameArgs(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
