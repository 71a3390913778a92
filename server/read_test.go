package server_test

import (
	"strings"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

func TestReadTable(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/todos?select=id,task&order=id")
	expect(t, r, 200, `[{"id":1,"task":"finish tutorial 0"},{"id":2,"task":"pat self on back"},
		{"id":3,"task":"learn how to auth"},{"id":4,"task":"read the PostgREST docs"}]`)
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cr := r.Header.Get("Content-Range"); cr != "0-3/*" {
		t.Errorf("Content-Range %q", cr)
	}
	if sv := r.Header.Get("Server"); sv != "pgrst/test" {
		t.Errorf("Server %q", sv)
	}
}

func TestReadSelectForms(t *testing.T) {
	s := startServer(t, nil)
	expect(t, s.get(t, "/films?select=name:title,year::text&id=eq.1"), 200,
		`[{"name":"Duck Soup","year":"1933"}]`)
	expect(t, s.get(t, "/directors?id=eq.2"), 200,
		`[{"id":2,"first_name":"Sam","last_name":"Wood"}]`)
	expect(t, s.get(t, `/Odd%20Name?select=%22my%20col%22,%C3%BCn%C3%AF&order=%22my%20col%22`), 200,
		`[{"my col":1,"ünï":"x,y"},{"my col":2,"ünï":null},{"my col":3,"ünï":"z"}]`)
}

func TestReadFilters(t *testing.T) {
	s := startServer(t, nil)
	cases := []struct{ query, want string }{
		{"id=eq.2", `[{"id":2}]`},
		{"id=neq.2", `[{"id":1},{"id":3},{"id":4}]`},
		{"id=gt.2", `[{"id":3},{"id":4}]`},
		{"id=gte.3", `[{"id":3},{"id":4}]`},
		{"id=lt.2", `[{"id":1}]`},
		{"id=lte.2", `[{"id":1},{"id":2}]`},
		{"task=like.*auth", `[{"id":3}]`},
		{"task=ilike.*POSTGREST*", `[{"id":4}]`},
		{"id=in.(1,3)", `[{"id":1},{"id":3}]`},
		{"id=not.in.(1,3)", `[{"id":2},{"id":4}]`},
		{"due=is.null", `[{"id":1},{"id":2}]`},
		{"due=not.is.null", `[{"id":3},{"id":4}]`},
		{"done=is.true", `[{"id":1}]`},
		{"done=not.eq.true&id=lt.4", `[{"id":2},{"id":3}]`},
		{"task=in.(%22pat%20self%20on%20back%22,%22x,y%22)", `[{"id":2}]`},
		{"or=(id.eq.1,id.eq.4)", `[{"id":1},{"id":4}]`},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			expect(t, s.get(t, "/todos?select=id&order=id&"+c.query), 200, c.want)
		})
	}
}

func TestReadOrderLimitOffset(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/todos?select=id&order=id.desc&limit=2&offset=1")
	expect(t, r, 200, `[{"id":3},{"id":2}]`)
	if cr := r.Header.Get("Content-Range"); cr != "1-2/*" {
		t.Errorf("Content-Range %q", cr)
	}
	expect(t, s.get(t, "/todos?select=id&order=due.desc.nullslast,id&limit=3"), 200,
		`[{"id":4},{"id":3},{"id":1}]`)
	expect(t, s.get(t, "/todos?select=id&order=due.asc.nullsfirst,id.desc&limit=2"), 200,
		`[{"id":2},{"id":1}]`)
	r = s.get(t, "/todos?id=gt.100")
	expect(t, r, 200, `[]`)
	if cr := r.Header.Get("Content-Range"); cr != "*/*" {
		t.Errorf("empty Content-Range %q", cr)
	}
}

func TestMaxRows(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.MaxRows = 2 })
	r := s.get(t, "/todos?select=id&order=id")
	expect(t, r, 200, `[{"id":1},{"id":2}]`)
	expect(t, s.get(t, "/todos?select=id&order=id&limit=1"), 200, `[{"id":1}]`)
	expect(t, s.get(t, "/todos?select=id&order=id&limit=10&offset=2"), 200, `[{"id":3},{"id":4}]`)
}

func TestHead(t *testing.T) {
	s := startServer(t, nil)
	r := s.do(t, "HEAD", "/todos?order=id&limit=2")
	if r.Status != 200 || r.Body != "" {
		t.Fatalf("HEAD: %d %q", r.Status, r.Body)
	}
	if cr := r.Header.Get("Content-Range"); cr != "0-1/*" {
		t.Errorf("Content-Range %q", cr)
	}
}

func TestReadErrors(t *testing.T) {
	s := startServer(t, nil)
	expectError(t, s.get(t, "/todos?id=xx.1"), 400, "PGRST100")
	expectError(t, s.get(t, "/todos?select=id,"), 400, "PGRST100")
	expectError(t, s.get(t, "/todos?or=(id.eq.1"), 400, "PGRST100")
	expectError(t, s.get(t, "/todos?order=id.sideways"), 400, "PGRST100")
	// As in PostgREST, a negative limit is 416.
	expectError(t, s.get(t, "/todos?limit=-1"), 416, "PGRST103")
	r := s.get(t, "/todos?select=nope")
	if r.Status != 400 || !strings.Contains(r.Body, "nope") {
		t.Fatalf("unknown column: %d %s", r.Status, r.Body)
	}
	body := expectError(t, s.get(t, "/todo"), 404, "PGRST205")
	if body["message"] != "Could not find the table 'api.todo' in the schema cache" {
		t.Errorf("message %v", body["message"])
	}
	if body["hint"] != "Perhaps you meant the table 'api.todos'" {
		t.Errorf("hint %v", body["hint"])
	}
	expectError(t, s.get(t, "/todos/1"), 404, "PGRST125")
	expectError(t, s.do(t, "TRACE", "/todos"), 405, "PGRST117")
	// Routing answers what does not exist before any planning.
	body = expectError(t, s.do(t, "PATCH", "/rpc/f"), 405, "PGRST101")
	if body["message"] != "Cannot use the PATCH method on RPC" {
		t.Errorf("message %v", body["message"])
	}
	expectError(t, s.do(t, "DELETE", "/"), 405, "PGRST117")
	expectError(t, s.get(t, "/rpc/a/b"), 404, "PGRST125")
	// A value of the wrong type is PostgreSQL's error, relayed with its SQLSTATE.
	expectError(t, s.get(t, "/todos?id=eq.notanumber"), 400, "22P02")
}
