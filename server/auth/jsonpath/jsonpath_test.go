package jsonpath

import (
	"bytes"
	"encoding/json"
	"testing"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

// What the compliance suite leaves open or does not reach, and the
// function extensions, so that they are tested without it too.
func TestSelect(t *testing.T) {
	for _, c := range []struct{ query, doc, want string }{
		// object members in name order, whatever the document's order
		{`$.*`, `{"z":1,"a":2,"m":3}`, `[2,3,1]`},
		{`$..x`, `{"b":{"x":1},"a":{"x":2}}`, `[2,1]`},
		{`$[?@ > 1]`, `{"b":3,"a":2,"c":1}`, `[2,3]`},
		// functions
		{`$[?length(@) == 2]`, `["ab","é€",[1,2],{"a":1,"b":2},"abc",2]`, `["ab","é€",[1,2],{"a":1,"b":2}]`},
		{`$[?count(@.*) == 1]`, `[[1],[1,2],{"a":1},3]`, `[[1],{"a":1}]`},
		{`$[?value(@..x) == 1]`, `[{"x":1},{"a":{"x":1},"x":1},{"x":2}]`, `[{"x":1}]`},
		{`$[?match(@, '[a-c]+')]`, `["abc","abd","",1]`, `["abc"]`},
		{`$[?search(@, 'b.')]`, `["abc","ab","a\rb\r","b\n"]`, `["abc"]`},
		{`$[?search(@, $.p)]`, `{"p":"^x","v":"xy","w":"yx"}`, `["xy"]`},
		{`$[?match(@, '\\p{Lu}\\d')]`, `["A1"]`, `[]`}, // \d is not I-Regexp
		{`$[?match(@, 'a+?')]`, `["a"]`, `[]`},         // nor are lazy quantifiers
		{`$[?match(@, '(?i)a')]`, `["a"]`, `[]`},       // nor flags
		// aeson-jsonpath's singular queries do not count from the end
		{`$[?@[-1] == 2]`, `[[1,2]]`, `[]`},
		{`$[?@[1] == 2]`, `[[1,2]]`, `[[1,2]]`},
	} {
		q, err := Parse(c.query)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		got := q.Select(decode(t, c.doc))
		if got == nil {
			got = []any{}
		}
		if want := decode(t, c.want); !Equal(got, want) {
			g, _ := json.Marshal(got)
			t.Errorf("%s on %s = %s, want %s", c.query, c.doc, g, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, q := range []string{
		`role`, `$.a.`, `$[?length(@.*) == 1]`, `$[?count(@.a)]`, `$[?value(@.a)]`,
		`$[?match(@, 'a') == true]`, `$[?search(@)]`, `$[?length(@, 1) == 1]`,
		`$[?foo(@)]`, `$[?length (@) == 1]`, `$[?@.* == 1]`, `$[?1]`, `$[?!@.a == 1]`,
	} {
		if _, err := Parse(q); err == nil {
			t.Errorf("%s parsed, want an error", q)
		}
	}
}

func TestTranslateIRegexp(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{`a.c`, `a[^\n\r]c`},
		{`[.]\.`, `[.]\.`},
		{`\p{Lu}+\P{N}`, `\p{Lu}+\P{N}`},
		{`a{2,3}[^\]x]`, `a{2,3}[^\]x]`},
		{`\d`, ""}, {`a*?`, ""}, {`a{2}?`, ""}, {`(?:a)`, ""}, {`[[:alpha:]]`, ""}, {`[]a]`, ""}, {`[a`, ""}, {`a\`, ""},
	} {
		out, ok := translateIRegexp(c.in)
		if ok != (c.out != "") || out != c.out {
			t.Errorf("translateIRegexp(%q) = %q, %v; want %q", c.in, out, ok, c.out)
		}
	}
}

func BenchmarkFirst(b *testing.B) {
	claims := decode(b, `{"aud":"pgrst","exp":9999999999,"sub":"u1","email":"u1@example.com",
		"app":{"tenant":"t1","roles":["reader","author"]},"realm_access":{"roles":["offline","author"]},"role":"author"}`)
	for _, query := range []string{`$.role`, `$.app.roles[1]`, `$..role`, `$.realm_access.roles[?search(@, '^au')]`} {
		q, err := Parse(query)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(query, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := q.First(claims); !ok {
					b.Fatal("no role")
				}
			}
		})
	}
}
