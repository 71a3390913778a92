package server_test

import (
	"context"
	"sync"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// distinctColumnFixture creates, once, schema distinct_t: a table with a
// column named distinct, and one embedding it.
var distinctColumnFixture = sync.OnceValue(func() error {
	return pgtest.Shared().Exec(context.Background(), `
	  create schema distinct_t;
	  create table distinct_t.tags (id int primary key, "distinct" text);
	  insert into distinct_t.tags values (1, 'x'), (2, 'y'), (3, 'x');
	  create table distinct_t.notes (id int primary key, tag_id int references distinct_t.tags);
	  insert into distinct_t.notes values (10, 1), (20, 2);
	  grant usage on schema distinct_t to web_anon;
	  grant select on all tables in schema distinct_t to web_anon;`)
})

// A column named distinct is filterable, as in PostgREST, whether the
// distinct parameter is enabled or not: only its own forms (none, empty,
// on(...)) are the parameter.
func TestDistinctColumnFilter(t *testing.T) {
	if err := distinctColumnFixture(); err != nil {
		t.Fatal(err)
	}
	for _, enabled := range []bool{false, true} {
		s := startServer(t, func(o *server.Options, _ *wire.Options) {
			o.Schemas, o.Distinct = []string{"distinct_t"}, enabled
		})
		for _, c := range []struct{ path, want string }{
			{"/tags?distinct=eq.x&order=id", `[{"id":1,"distinct":"x"},{"id":3,"distinct":"x"}]`},
			{"/tags?select=id&distinct=in.(y)", `[{"id":2}]`},
			{"/notes?select=id,tags!inner(distinct)&tags.distinct=eq.y", `[{"id":20,"tags":{"distinct":"y"}}]`},
		} {
			expect(t, s.get(t, c.path), 200, c.want)
		}
		if !enabled {
			expectError(t, s.get(t, "/tags?distinct=on(id)"), 400, "PGRST129")
		}
	}
}

// The distinct parameter (db-distinct-enabled): refused while off,
// SELECT DISTINCT and DISTINCT ON when on.
func TestDistinct(t *testing.T) {
	off := startServer(t, nil)
	expectError(t, off.get(t, "/films?distinct"), 400, "PGRST129")
	expectError(t, off.get(t, "/films?select=year&distinct=on(year)"), 400, "PGRST129")
	expectError(t, off.get(t, "/directors?select=films(title)&films.distinct"), 400, "PGRST129")

	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.Distinct = true })
	for _, c := range []struct{ path, want string }{
		{"/films?select=language&order=language&limit=3",
			`[{"language":"English"},{"language":"English"},{"language":"English"}]`},
		// The same shape with distinct is another plan.
		{"/films?select=language&order=language&limit=3&distinct",
			`[{"language":"English"},{"language":"Japanese"}]`},
		{"/films?select=language&distinct=&order=language.desc", `[{"language":"Japanese"},{"language":"English"}]`},
		// The order terms after the distinct columns choose the row kept:
		// each director's latest film, by director.
		{"/films?select=director_id,year&distinct=on(director_id)&order=year.desc",
			`[{"director_id":1,"year":1933},{"director_id":2,"year":1937},{"director_id":3,"year":1959},` +
				`{"director_id":4,"year":1968},{"director_id":5,"year":1954}]`},
		// Leading order terms on the distinct columns keep their direction.
		{"/films?select=director_id,year&distinct=on(director_id)&order=director_id.desc,year&limit=3",
			`[{"director_id":5,"year":1950},{"director_id":4,"year":1964},{"director_id":3,"year":1954}]`},
		{"/films?select=language,year&distinct=on(language,director_id)&order=language.desc,year&director_id=gt.2",
			`[{"language":"Japanese","year":1950},{"language":"English","year":1954},{"language":"English","year":1964}]`},
		// DISTINCT ON with an embedded resource.
		{"/films?select=year,directors(last_name)&distinct=on(director_id)&order=year&director_id=gt.3",
			`[{"year":1964,"directors":{"last_name":"Kubrick"}},{"year":1950,"directors":{"last_name":"Kurosawa"}}]`},
		// An embedded resource's own distinct applies inside it.
		{"/directors?select=last_name,films(language)&films.distinct&id=in.(3,5)&order=id",
			`[{"last_name":"Hitchcock","films":[{"language":"English"}]},{"last_name":"Kurosawa","films":[{"language":"Japanese"}]}]`},
		{"/directors?select=id,films(title)&films.distinct=on(language)&films.order=year.desc&id=eq.3",
			`[{"id":3,"films":[{"title":"North by Northwest"}]}]`},
	} {
		expect(t, s.get(t, c.path), 200, c.want)
	}

	// Counts count the distinct rows; limit and offset page them.
	r := s.get(t, "/films?select=language&distinct&order=language&limit=1", "Prefer", "count=exact")
	expect(t, r, 206, `[{"language":"English"}]`)
	if got := r.Header.Get("Content-Range"); got != "0-0/2" {
		t.Errorf("Content-Range %q, want 0-0/2", got)
	}
	r = s.get(t, "/films?select=title&distinct=on(director_id)&order=title&limit=2&offset=1", "Prefer", "count=exact")
	expect(t, r, 206, `[{"title":"A Day at the Races"},{"title":"North by Northwest"}]`)
	if got := r.Header.Get("Content-Range"); got != "1-2/5" {
		t.Errorf("Content-Range %q, want 1-2/5", got)
	}

	for _, bad := range []string{"distinct=on(", "distinct=yes", "distinct=on()", "distinct=on(a,)", "distinct=on(a)x"} {
		expectError(t, s.get(t, "/films?"+bad), 400, "PGRST100")
	}
	// Plain distinct with embeds, and distinct outside reads, are refused.
	expectError(t, s.get(t, "/films?select=title,directors(last_name)&distinct"), 400, "PGRST127")
	expectError(t, s.get(t, "/rpc/films_since?y=1959&distinct"), 400, "PGRST127")
	expectError(t, s.get(t, "/directors?select=films(title,roles(character))&films.distinct"), 400, "PGRST127")
	expectError(t, s.get(t, "/films?select=...directors(last_name)&directors.distinct"), 400, "PGRST127")
	expectError(t, s.get(t, "/films?select=title&directors.distinct"), 400, "PGRST108")
	expectError(t, s.get(t, "/directors?select=films(title)&films.distinct=on"), 400, "PGRST100")
	expectError(t, s.do(t, "DELETE", "/films?id=eq.99&distinct"), 400, "PGRST127")
	// What PostgreSQL refuses: an order by a column that is not selected.
	expectError(t, s.get(t, "/films?select=title&distinct&order=year"), 400, "42P10")
	if r := s.get(t, "/films?distinct=on(nope)"); r.Status != 400 {
		t.Errorf("unknown distinct column: status %d, want 400; body %s", r.Status, r.Body)
	}
}
