package planner

import (
	"bytes"
	"reflect"
	"testing"
)

// An embed in the columns parameter is a nested insert; without one, the
// parse stays PostgREST's (which stops at the first "(").
func TestParseColumnEmbeds(t *testing.T) {
	cases := []struct {
		in     string
		cols   []string
		embeds []ColumnEmbed
	}{
		{"columns=a,b", []string{"a", "b"}, nil},
		{"columns=a,rel(b,sub!fk(c)),d", []string{"a", "d"}, []ColumnEmbed{{Relation: "rel", Columns: []string{"b"},
			Embeds: []ColumnEmbed{{Relation: "sub", Hint: "fk", Columns: []string{"c"}}}}}},
		{"columns=rel!h(a)", nil, []ColumnEmbed{{Relation: "rel", Hint: "h", Columns: []string{"a"}}}},
		// Not the nested grammar to the end: PostgREST's parse.
		{"columns=a,b(", []string{"a", "b"}, nil},
		{"columns=a,b(c)x", []string{"a", "b"}, nil},
		{"columns=a,b()", []string{"a", "b"}, nil},
	}
	for _, c := range cases {
		q, err := ParseQuery(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if !reflect.DeepEqual(q.Columns, c.cols) || !reflect.DeepEqual(q.ColumnEmbeds, c.embeds) {
			t.Errorf("%s: columns %q embeds %+v", c.in, q.Columns, q.ColumnEmbeds)
		}
	}
	// The embeds are part of the shape.
	key := func(s string) []byte {
		q, err := ParseQuery(s)
		if err != nil {
			t.Fatal(err)
		}
		return q.ShapeKey(nil)
	}
	if bytes.Equal(key("columns=a,b(c)"), key("columns=a,b(d)")) || bytes.Equal(key("columns=a,b(c)"), key("columns=a,b!h(c)")) ||
		bytes.Equal(key("columns=a,b(c)"), key("columns=a,b")) {
		t.Error("column embeds missing from the shape key")
	}
}
