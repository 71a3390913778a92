package openapi

import (
	"testing"

	"github.com/pgrst/pgrst/cache"
)

func TestDefaultValue(t *testing.T) {
	for _, c := range []struct{ typ, def, want string }{
		{"text", "'default'::text", `"default"`},
		{"character varying", "'x'::character varying", `"x"`},
		{"date", "'1900-01-01'::date", `"1900-01-01"`},
		{"test.enum", "'foo'::test.enum", `"foo"`},
		{"text", "now()::text", `"now()"`}, // not a literal, but a valid JSON string: PostgREST keeps it too
		{"integer", "42", "42"},
		{"numeric", "42.2", "42.2"},
		{"boolean", "false", "false"},
		{"integer", "nextval('s'::regclass)", ""},
		{"text", `'a"b'::text`, ""},
	} {
		if got := string(defaultValue(c.typ, c.def)); got != c.want {
			t.Errorf("defaultValue(%q, %q) = %q, want %q", c.typ, c.def, got, c.want)
		}
	}
}

func TestProxy(t *testing.T) {
	for _, c := range []struct {
		uri, scheme, host string
		port              int
		base              string
		ok                bool
	}{
		{"https://postgrest.com/openapi.json", "https", "postgrest.com", 443, "/openapi.json", true},
		{"http://example.com", "http", "example.com", 80, "/", true},
		{"HTTP://example.com:8080/api", "http", "example.com", 8080, "/api", true},
		{"ftp://example.com", "", "", 0, "", false},
		{"example.com", "", "", 0, "", false},
	} {
		scheme, host, port, base, ok := Proxy(c.uri)
		if scheme != c.scheme || host != c.host || port != c.port || base != c.base || ok != c.ok {
			t.Errorf("Proxy(%q) = %q %q %d %q %v", c.uri, scheme, host, port, base, ok)
		}
	}
}

func TestArgType(t *testing.T) {
	a := &api{schema: "api", o: &Options{SearchPath: []string{"ext"}}}
	for _, c := range []struct{ typ, schema, want string }{
		{"api.mood", "api", "mood"},
		{"api.mood[]", "api", "mood[]"},
		{`api."Odd Type"`, "api", `"Odd Type"`},
		{`"My Schema".t`, "My Schema", `"My Schema".t`}, // not on the search_path
		{"ext.citext", "ext", "citext"},
		{"other.t", "other", "other.t"},
		{"integer[]", "pg_catalog", "integer[]"},
	} {
		if got := a.argType(&cache.FuncArg{Type: c.typ, TypeSchema: c.schema}); got != c.want {
			t.Errorf("argType(%q) = %q, want %q", c.typ, got, c.want)
		}
	}
}

func TestSplitComment(t *testing.T) {
	s, d := splitComment("Title\n\nMore\nlines")
	if s != "Title" || d != "More\nlines" {
		t.Errorf("%q %q", s, d)
	}
	if s, d := splitComment("One line"); s != "One line" || d != "" {
		t.Errorf("%q %q", s, d)
	}
}

func TestComponentKey(t *testing.T) {
	for in, want := range map[string]string{
		"todos": "todos", "rowFilter.t.c_1": "rowFilter.t.c_1", "Odd Name": "Odd-20Name",
		"a-b": "a-2db", "ünï": "-c3-bcn-c3-af",
	} {
		if got := componentKey(in); got != want {
			t.Errorf("componentKey(%q) = %q, want %q", in, got, want)
		}
	}
}
