package server_test

import "testing"

// Domain representations (PostgREST's data representations): the casts
// of sql/test_fixture.sql's "domain representations" section format
// public.datarep_color as "#RRGGBB" in bodies and parse "RRGGBB" in filters.

func TestDomainRepresentations(t *testing.T) {
	s := startServer(t, nil)
	runEmbedCases(t, s, []embedCase{
		{"select a column", "/datarep_todos?select=id,label_color&id=lt.4&order=id", 200,
			`[{"id":1,"label_color":"#000000"},{"id":2,"label_color":"#000100"},{"id":3,"label_color":"#01E240"}]`},
		{"null through the function", "/datarep_todos?select=id,label_color,due_at&id=gt.2&order=id", 200,
			`[{"id":3,"label_color":"#01E240","due_at":"2018-01-01"},{"id":4,"label_color":"","due_at":null}]`},
		{"alias", "/datarep_todos?select=id,clr:label_color&id=lt.3&order=id", 200,
			`[{"id":1,"clr":"#000000"},{"id":2,"clr":"#000100"}]`},
		{"alias and cast on top", "/datarep_todos?select=id,clr:label_color::text&id=lt.3&order=id", 200,
			`[{"id":1,"clr":"\"#000000\""},{"id":2,"clr":"\"#000100\""}]`},
		{"cast without alias", "/datarep_todos?select=label_color::text&id=eq.2", 200,
			`[{"label_color":"\"#000100\""}]`},
		{"star", "/datarep_todos?select=*&id=eq.3", 200,
			`[{"id":3,"name":"Algebra","label_color":"#01E240","due_at":"2018-01-01"}]`},
		{"implicit star", "/datarep_todos?id=eq.3", 200,
			`[{"id":3,"name":"Algebra","label_color":"#01E240","due_at":"2018-01-01"}]`},
		{"star and a column", "/datarep_todos?select=name,*&id=eq.2", 200,
			`[{"name":"Essay","id":2,"label_color":"#000100","due_at":"2018-01-03"}]`},
		{"view", "/datarep_todos_view?select=id,label_color,dark_color&order=id", 200,
			`[{"id":1,"label_color":"#000000","dark_color":"#000000"},{"id":2,"label_color":"#000100","dark_color":"#000080"},
			  {"id":3,"label_color":"#01E240","dark_color":"#00F120"},{"id":4,"label_color":"","dark_color":""}]`},
		{"embed", "/datarep_lists?select=id,first:datarep_todos(label_color,due_at)&order=id", 200,
			`[{"id":1,"first":{"label_color":"#000100","due_at":"2018-01-03"}},{"id":2,"first":{"label_color":"#000000","due_at":"2018-01-02"}}]`},
		{"embed star", "/datarep_lists?select=id,datarep_todos(*)&id=eq.1", 200,
			`[{"id":1,"datarep_todos":{"id":2,"name":"Essay","label_color":"#000100","due_at":"2018-01-03"}}]`},
		{"to-one spread", "/datarep_lists?select=id,...datarep_todos(label_color)&order=id", 200,
			`[{"id":1,"label_color":"#000100"},{"id":2,"label_color":"#000000"}]`},
		{"to-one spread star", "/datarep_lists?select=...datarep_todos(*)&id=eq.2", 200,
			`[{"id":1,"name":"Report","label_color":"#000000","due_at":"2018-01-02"}]`},
		{"to-many embed", "/datarep_todos?select=id,datarep_lists(id)&label_color=eq.000100", 200,
			`[{"id":2,"datarep_lists":[{"id":1}]}]`},
		{"filter eq", "/datarep_todos?select=id&label_color=eq.000100", 200, `[{"id":2}]`},
		{"filter neq", "/datarep_todos?select=id&label_color=neq.000100&order=id", 200, `[{"id":1},{"id":3}]`},
		{"filter in", "/datarep_todos?select=id&label_color=in.(000100,01E240)&order=id", 200, `[{"id":2},{"id":3}]`},
		{"filter not in", "/datarep_todos?select=id&label_color=not.in.(000000,01E240)", 200, `[{"id":2}]`},
		{"filter in empty", "/datarep_todos?select=id&label_color=in.()", 200, `[]`},
		{"filter in a logic tree", "/datarep_todos?select=id&or=(label_color.eq.000000,label_color.eq.01E240)&order=id", 200,
			`[{"id":1},{"id":3}]`},
		{"filter on an embed", "/datarep_lists?select=id,datarep_todos(label_color)&datarep_todos.label_color=neq.000100&order=id", 200,
			`[{"id":1,"datarep_todos":null},{"id":2,"datarep_todos":{"label_color":"#000000"}}]`},
		{"filter on the view", "/datarep_todos_view?select=id&dark_color=eq.000080", 200, `[{"id":2}]`},
	})

	t.Run("no text parser: the value as is", func(t *testing.T) {
		expectError(t, s.get(t, "/datarep_todos?select=id&due_at=eq.Z"), 400, "22007")
	})
	t.Run("like is not parsed", func(t *testing.T) {
		expectError(t, s.get(t, "/datarep_todos?select=id&label_color=ilike.*100"), 404, "42883")
	})
	t.Run("count with a parsed filter", func(t *testing.T) {
		r := s.get(t, "/datarep_todos?select=id&label_color=in.(000000,000100)&limit=1&order=id", "Prefer", "count=exact")
		expect(t, r, 206, `[{"id":1}]`)
		if got := r.Header.Get("Content-Range"); got != "0-0/2" {
			t.Fatalf("Content-Range %q, want 0-0/2", got)
		}
	})
	t.Run("head", func(t *testing.T) {
		r := s.do(t, "HEAD", "/datarep_todos?label_color=eq.01E240")
		if r.Status != 200 || r.Body != "" {
			t.Fatalf("HEAD: status %d body %q", r.Status, r.Body)
		}
	})
}
