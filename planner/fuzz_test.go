package planner

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParseQuery checks that no input makes the parser or the planner
// panic or loop, that failures are *Error values, and that for every query
// that plans, AppendArgs numbers the arguments as the SQL builder does and the
// shape key is deterministic. Seeds live in testdata/fuzz/FuzzParseQuery.
func FuzzParseQuery(f *testing.F) {
	for _, c := range parseErrorCases {
		f.Add(c.query)
	}
	f.Add(benchQuery)
	schema := testSchema()
	films := schema.Relation("test", "films")
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
			b := builder{rel: films}
			b.read(q, o)
			args := bindArgs(p, q)
			if !sameArgs(args, anyArgs(b.args.vals)) {
				t.Fatalf("Bind %q, builder %q", args, anyArgs(b.args.vals))
			}
			if strings.IndexByte(p.SQL, 0) >= 0 {
				t.Fatalf("NUL in SQL: %q", p.SQL)
			}
		}
	})
}

// bindArgs is p.AppendArgs into fresh slices, as strings and nils.
func bindArgs(p *Plan, q *Query) []any {
	args, _ := p.AppendArgs(nil, nil, q)
	return anyArgs(args)
}

// explainArgs is p.AppendExplainArgs into fresh slices, as strings and nils.
func explainArgs(p *Plan, q *Query) []any {
	args, _ := p.AppendExplainArgs(nil, nil, q)
	return anyArgs(args)
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
