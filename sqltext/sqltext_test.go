package sqltext

import (
	"encoding/json"
	"testing"
)

func TestIdent(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"films", `"films"`},
		{`we"ird`, `"we""ird"`},
		{`""`, `""""""`},
		{"a\x00b\x00", `"ab"`},
		{"\x00", `""`},
		{`a\b'c`, `"a\b'c"`},
		{"ünï\"cödé 名前", `"ünï""cödé 名前"`},
	} {
		if got := string(AppendIdent([]byte("x "), c.in)); got != "x "+c.want {
			t.Errorf("AppendIdent(%q) = %s, want x %s", c.in, got, c.want)
		}
		if got := QuoteIdent(c.in); got != c.want {
			t.Errorf("QuoteIdent(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestQualified(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"f", `"f"`},
		{"api.f", `"api"."f"`},
		{"a.b.c", `"a"."b.c"`},
		{`s"x.f"y`, `"s""x"."f""y"`},
		{".f", `""."f"`},
		{"s\x00.f\x00", `"s"."f"`},
	} {
		if got := QuoteQualified(c.in); got != c.want {
			t.Errorf("QuoteQualified(%q) = %s, want %s", c.in, got, c.want)
		}
		if got := string(AppendQualified([]byte("x "), c.in)); got != "x "+c.want {
			t.Errorf("AppendQualified(%q) = %s", c.in, got)
		}
	}
}

func TestLiteral(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `''`},
		{"pgrst", `'pgrst'`},
		{"it's", `'it''s'`},
		{`a"b\c`, `'a"b\c'`},
		{"a\x00'", `'a'''`},
		{"ça 'va' ☺", `'ça ''va'' ☺'`},
	} {
		if got := QuoteLiteral(c.in); got != c.want {
			t.Errorf("QuoteLiteral(%q) = %s, want %s", c.in, got, c.want)
		}
		if got := string(AppendLiteral([]byte("x "), c.in)); got != "x "+c.want {
			t.Errorf("AppendLiteral(%q) = %s", c.in, got)
		}
	}
}

func TestArray(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, `{}`},
		{[]string{""}, `{""}`},
		{[]string{"a", "b"}, `{"a","b"}`},
		{[]string{`x"y`, `\`, "a,b}"}, `{"x\"y","\\","a,b}"}`},
		{[]string{"a\x00b", "\x00"}, `{"ab",""}`},
		{[]string{"NULL", "é ☺"}, `{"NULL","é ☺"}`},
	} {
		if got := string(AppendArrayLiteral([]byte("x "), c.in)); got != "x "+c.want {
			t.Errorf("AppendArrayLiteral(%q) = %s, want x %s", c.in, got, c.want)
		}
	}
	if got := string(AppendArrayElem(nil, `'"\`)); got != `"'\"\\"` {
		t.Errorf("AppendArrayElem = %s", got)
	}
	if got := string(AppendArrayElemKeepNUL(nil, "a\"\\b\x00c")); got != "\"a\\\"\\\\b\x00c\"" {
		t.Errorf("AppendArrayElemKeepNUL = %q", got)
	}
}

// JSON strings decode back to what was written, whatever it holds.
func TestJSONString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`q"b\`, `"q\"b\\"`},
		{"\n\r\t", `"\n\r\t"`},
		{"\x00\x01\x1f ", `"\u0000\u0001\u001f "`},
		{"</script> ü 名 ☺ \u2028", "\"</script> ü 名 ☺ \u2028\""},
	} {
		got := AppendJSONString([]byte("x "), c.in)
		if string(got) != "x "+c.want {
			t.Errorf("AppendJSONString(%q) = %s, want x %s", c.in, got, c.want)
		}
		var back string
		if err := json.Unmarshal(got[2:], &back); err != nil || back != c.in {
			t.Errorf("%s decodes to %q (%v), want %q", got[2:], back, err, c.in)
		}
	}
}

// Invalid UTF-8 becomes U+FFFD, so the result is always valid JSON; long
// plain runs (the 8-byte fast path) are copied whole; in a CSV field's
// content each doubled quote stands for one.
func TestJSONBytes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a\xffb", `"a\ufffdb"`},
		{"0123456789abcdef\xc3", `"0123456789abcdef\ufffd"`},
		{"0123456789abcdef\"x", `"0123456789abcdef\"x"`},
	} {
		in := []byte(c.in)
		if got := AppendJSON(nil, in); string(got) != c.want {
			t.Errorf("AppendJSON(%q) = %s, want %s", in, got, c.want)
		}
	}
	if got := AppendJSONUndoubled(nil, []byte(`say ""hi"" now`)); string(got) != `"say \"hi\" now"` {
		t.Errorf("AppendJSONUndoubled = %s", got)
	}
}

// With room in dst, nothing allocates: the request path builds
// statements and settings in reused buffers.
func TestAppendAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector inflates allocation counts")
	}
	buf := make([]byte, 0, 256)
	vals := []string{`a"b`, "c\x00d"}
	n := testing.AllocsPerRun(100, func() {
		b := AppendIdent(buf[:0], `we"ird`)
		b = AppendQualified(b, "s.f")
		b = AppendLiteral(b, "it's")
		b = AppendArrayLiteral(b, vals)
		b = AppendJSONString(b, "x\n\"y\"")
		buf = b
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
