package server_test

import (
	"encoding/json"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// Read-path behaviours that PostgREST's own spec suite showed missing.
// The fixture objects are the conf_* ones of sql/test_fixture.sql.

// An empty filter value compares with the empty string.
func TestConfEmptyFilterValue(t *testing.T) {
	// An empty value is the empty string, not NULL.
	s := startServer(t, nil)
	expect(t, s.get(t, "/conf_strings?s=eq.&select=id"), 200, `[{"id":1}]`)
	expect(t, s.get(t, "/conf_strings?s=neq.&select=id"), 200, `[{"id":2}]`)
	expect(t, s.get(t, "/conf_strings?s=in.(,x)&select=id&order=id"), 200, `[{"id":1},{"id":2}]`)
}

// A filter on a name that is both a column and an embed filters the
// column, except is.null (negated or not), which tests the embed.
func TestConfColumnNamedLikeEmbed(t *testing.T) {
	s := startServer(t, nil)
	cases := []struct{ path, want string }{
		{"/conf_matches?select=id,state(label)&state=eq.2",
			`[{"id":2,"state":{"label":"closed"}}]`},
		{"/conf_matches?select=id,state(label)&state=is.null",
			`[{"id":3,"state":null}]`},
		{"/conf_matches?select=id,state(label)&state=not.is.null&order=id",
			`[{"id":1,"state":{"label":"open"}},{"id":2,"state":{"label":"closed"}}]`},
		{"/conf_matches?select=id,state(label)&or=(state.eq.1,id.eq.3)&order=id",
			`[{"id":1,"state":{"label":"open"}},{"id":3,"state":null}]`},
		{"/conf_matches?select=id,state(label)&state=gte.1&order=id.desc",
			`[{"id":2,"state":{"label":"closed"}},{"id":1,"state":{"label":"open"}}]`},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			expect(t, s.get(t, c.path), 200, c.want)
		})
	}
	// Counting (a limit makes the count a separate query) sees the same rows.
	r := s.get(t, "/conf_matches?select=id,state(label)&state=eq.2&limit=1", "Prefer", "count=exact")
	expectHeader(t, r, "Content-Range", "0-0/1")
	r = s.get(t, "/conf_matches?select=id,state(label)&state=is.null&limit=1", "Prefer", "count=exact")
	expectHeader(t, r, "Content-Range", "0-0/1")
}

// url-use-legacy-target-names: an aliased embed may be named by its
// relation in filters, orders and limits, with PostgREST's Warning.
func TestConfLegacyTargetNames(t *testing.T) {
	path := "/conf_plants?select=name,s:conf_steps(name)&order=id" +
		"&conf_steps.name=neq.cut&conf_steps.order=name.desc&conf_steps.limit=1"
	want := `[{"name":"North","s":[{"name":"weld"}]},{"name":"South","s":[{"name":"paint"}]},{"name":"East","s":[]}]`

	legacy := startServer(t, func(o *server.Options, _ *wire.Options) { o.LegacyTargetNames = true })
	r := legacy.get(t, path)
	expect(t, r, 200, want)
	expectHeader(t, r, "Warning", "299 PostgRESTv16.2 \"Embedded resource was referenced by relation name even though "+
		"it has an alias. This is deprecated and will stop working in a future release. "+
		"Update `conf_steps` to `s` in query string filters, orders or limits.\"")

	// The alias works too, without a warning.
	r = legacy.get(t, "/conf_plants?select=name,s:conf_steps(name)&order=id&s.name=neq.cut&s.order=name.desc&s.limit=1")
	expect(t, r, 200, want)
	if w := r.Header.Get("Warning"); w != "" {
		t.Errorf("Warning %q on a request that names the alias", w)
	}

	// Off: the relation name is not an embed of the request.
	strict := startServer(t, nil)
	body := expectError(t, strict.get(t, path), 400, "PGRST108")
	if body["hint"] != "Change 'conf_steps' to 's' in filters, orders or limits." {
		t.Errorf("hint %v", body["hint"])
	}
}

// A to-one spread with * inside a to-many spread: each of its columns
// becomes an array beside the outer spread's.
func TestConfNestedSpreadStar(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/conf_plants?select=plant:name,...conf_steps(*,...conf_step_costs(*))&order=id&conf_steps.order=id")
	expect(t, r, 200, `[
		{"plant":"North","id":[1,2],"name":["cut","weld"],"plant_id":[1,1],"step_id":[1,null],"cost":[10,null]},
		{"plant":"South","id":[3],"name":["paint"],"plant_id":[2],"step_id":[3],"cost":[30]},
		{"plant":"East","id":[],"name":[],"plant_id":[],"step_id":[],"cost":[]}]`)
	// The same with the to-one spread's columns named.
	r = s.get(t, "/conf_plants?select=plant:name,...conf_steps(name,...conf_step_costs(cost))&id=eq.1&conf_steps.order=id")
	expect(t, r, 200, `[{"plant":"North","name":["cut","weld"],"cost":[10,null]}]`)
}

// Computed columns: functions taking the row type, found through the
// search path (exposed schema, then db-extra-search-path).
func TestConfComputedColumns(t *testing.T) {
	s := startServer(t, nil)
	cases := []struct{ path, want string }{
		// * leaves them out; naming them brings them in.
		{"/conf_docs?id=eq.2", `[{"id":2,"body":"Lazy dogs sleep","kind":"a"}]`},
		{"/conf_docs?id=eq.2&select=id,conf_shout,len:conf_body_length",
			`[{"id":2,"conf_shout":"LAZY DOGS SLEEP","len":15}]`},
		{"/conf_docs?id=eq.2&select=*,conf_shout", `[{"id":2,"body":"Lazy dogs sleep","kind":"a","conf_shout":"LAZY DOGS SLEEP"}]`},
		// Filters and order.
		{"/conf_docs?select=id&conf_shout=like.*FOX*&order=id", `[{"id":1},{"id":3}]`},
		{"/conf_docs?select=id&conf_body_length=lt.10&order=conf_body_length.desc,id", `[{"id":7},{"id":8},{"id":6}]`},
		{"/conf_docs?select=id&kind=eq.b&order=conf_shout.desc", `[{"id":3},{"id":6}]`},
		// A computed tsvector column is used as is by full-text search.
		{"/conf_docs?select=conf_words&conf_words=fts(simple).foxes", `[{"conf_words":"'foxes':3 'fun':1 'with':2"}]`},
		{"/conf_docs?select=id&conf_words=plfts.brown&order=id", `[{"id":1},{"id":4}]`},
		{"/conf_docs?select=id&conf_words=not.wfts(simple).fun%20or%20brown&order=id",
			`[{"id":2},{"id":5},{"id":7},{"id":8}]`},
		// Inside an embed.
		{"/conf_plants?select=name,conf_steps(name)&id=eq.1&conf_steps.name=eq.weld", `[{"name":"North","conf_steps":[{"name":"weld"}]}]`},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			expect(t, s.get(t, c.path), 200, c.want)
		})
	}
	// A function of a schema outside the search path is no column.
	body := expectError(t, s.get(t, "/conf_docs?select=id,conf_secret"), 400, "42703")
	if body["message"] != "column conf_docs.conf_secret does not exist" {
		t.Errorf("message %v", body["message"])
	}
	expectError(t, s.get(t, "/conf_docs?conf_secret=eq.42"), 400, "42703")
}

// Vary on every response but errors (unless the database set one);
// Proxy-Status on every error, PostgreSQL's included.
func TestConfResponseHeaders(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/conf_docs?id=eq.1")
	expect(t, r, 200, "")
	expectHeader(t, r, "Vary", "Accept, Prefer, Range")
	if p := r.Header.Get("Proxy-Status"); p != "" {
		t.Errorf("Proxy-Status %q on a success", p)
	}
	r = s.do(t, "HEAD", "/conf_docs")
	expectHeader(t, r, "Vary", "Accept, Prefer, Range")
	r = s.do(t, "OPTIONS", "/conf_docs")
	expectHeader(t, r, "Vary", "Accept, Prefer, Range")

	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/conf_nope", 404, "PGRST205"},
		{"/a/b", 404, "PGRST125"},
		{"/conf_docs?select=nope", 400, "42703"},
		{"/conf_docs?id=eq.x", 400, "22P02"},
	} {
		r := s.get(t, c.path)
		expectError(t, r, c.status, c.code)
		expectHeader(t, r, "Proxy-Status", "PostgREST; error="+c.code)
		if v := r.Header.Get("Vary"); v != "" {
			t.Errorf("%s: Vary %q on an error", c.path, v)
		}
	}
	r = s.get(t, "/conf_docs", "Authorization", "Bearer not.a.jwt")
	expectHeader(t, r, "Proxy-Status", "PostgREST; error="+jsonField(t, r, "code"))

	hooked := startServer(t, func(o *server.Options, _ *wire.Options) { o.PreRequest = "api.conf_vary_hook" })
	r = hooked.get(t, "/conf_docs?id=eq.1")
	expect(t, r, 200, "")
	if v := r.Header.Values("Vary"); len(v) != 1 || v[0] != "X-Conf" {
		t.Errorf("Vary %q, want the database's only", v)
	}
}

// count=planned is PostgreSQL's estimate of the filtered rows (EXPLAIN of
// the count query), not of the whole table or of the page.
func TestConfPlannedCount(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/conf_docs?select=id&kind=eq.a&order=id&limit=2", "Prefer", "count=planned")
	expect(t, r, 206, `[{"id":1},{"id":2}]`)
	expectHeader(t, r, "Content-Range", "0-1/6")
	r = s.get(t, "/conf_docs?select=id&kind=eq.b", "Prefer", "count=planned")
	expect(t, r, 200, "")
	expectHeader(t, r, "Content-Range", "0-1/2")
	r = s.do(t, "HEAD", "/conf_docs", "Prefer", "count=planned")
	if r.Status != 200 {
		t.Errorf("HEAD status %d", r.Status)
	}
	expectHeader(t, r, "Content-Range", "0-7/8")
}

// jsonField is a string field of a JSON object body.
func jsonField(t testing.TB, r response, key string) string {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
		t.Fatalf("body is not JSON: %q", r.Body)
	}
	v, _ := body[key].(string)
	return v
}
