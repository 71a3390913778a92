package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// keysetFixture creates, once, schema keyset_t: items with duplicate and
// null sort values (and a column named "after"), and a table without a
// primary key.
var keysetFixture = sync.OnceValue(func() error {
	return pgtest.Shared().Exec(context.Background(), `
	  create schema keyset_t;
	  create table keyset_t.items (id int primary key, grp int not null, score int, name text, "after" int);
	  insert into keyset_t.items
	    select i, i % 4, case when i % 5 = 0 then null else (i * 7) % 11 end, 'item ' || i, i % 3
	    from generate_series(1, 53) i;
	  create table keyset_t.nokey (x int);
	  insert into keyset_t.nokey values (1), (2);
	  grant usage on schema keyset_t to web_anon;
	  grant select, update on all tables in schema keyset_t to web_anon;`)
})

func startKeysetServer(t *testing.T) *testServer {
	t.Helper()
	if err := keysetFixture(); err != nil {
		t.Fatal(err)
	}
	return startServer(t, func(o *server.Options, _ *wire.Options) { o.Schemas = []string{"keyset_t"} })
}

var nextLink = regexp.MustCompile(`^<(/[^>]+)>; rel="next"$`)

// ids reads the id of each row of a JSON body.
func ids(t *testing.T, body string) []int {
	t.Helper()
	var rows []struct{ ID int }
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

// walk reads every page of path (which has limit=pageSize) by following
// the Link headers, and returns the ids in page order.
func walk(t *testing.T, s *testServer, path string, pageSize int) []int {
	t.Helper()
	var all []int
	r := s.get(t, path, "Prefer", "pagination=keyset")
	for pages := 0; ; pages++ {
		if r.Status != 200 {
			t.Fatalf("%s: status %d: %s", path, r.Status, r.Body)
		}
		page := ids(t, r.Body)
		if len(page) > pageSize {
			t.Fatalf("%s: a page of %d rows", path, len(page))
		}
		all = append(all, page...)
		link := r.Header.Get("Link")
		if link == "" {
			return all
		}
		if len(page) != pageSize {
			t.Fatalf("%s: a page of %d rows links to a next one", path, len(page))
		}
		m := nextLink.FindStringSubmatch(link)
		if m == nil || pages > 100 {
			t.Fatalf("%s: Link %q", path, link)
		}
		r = s.get(t, m[1]) // the cursor alone asks for keyset pagination
	}
}

func TestKeysetWalk(t *testing.T) {
	s := startKeysetServer(t)
	for _, order := range []string{
		"id", "id.desc", "grp", "grp.desc,id.desc", "grp.desc,id", "grp,name.desc",
		"score", "score.nullsfirst", "score.desc", "score.desc.nullslast", "score.desc,grp", "score,grp.desc.nullsfirst",
		"name", "after.desc,score.nullsfirst,grp",
	} {
		for _, filter := range []string{"", "&grp=neq.2", "&or=(score.is.null,score.gt.5)", "&after=lt.2"} {
			// The keyset order: the given one, then the primary key.
			full := s.get(t, "/items?select=id&order="+order+",id"+filter)
			if full.Status != 200 {
				t.Fatalf("%s: %d %s", order, full.Status, full.Body)
			}
			want := ids(t, full.Body)
			for _, size := range []int{1, 7, 20} {
				path := fmt.Sprintf("/items?select=id,name&order=%s&limit=%d%s", order, size, filter)
				if got := walk(t, s, path, size); !slices.Equal(got, want) {
					t.Fatalf("%s:\n got %v\nwant %v", path, got, want)
				}
			}
		}
	}
	// Without an order: the primary key's. The select need not name it.
	want := make([]int, 53)
	for i := range want {
		want[i] = i + 1
	}
	if got := walk(t, s, "/items?select=id&limit=10", 10); !slices.Equal(got, want) {
		t.Fatalf("by primary key: %v", got)
	}
}

func TestKeysetHeaders(t *testing.T) {
	s := startKeysetServer(t)
	// Without the preference, PostgREST's response: no Link.
	r := s.get(t, "/items?select=id&order=id&limit=2")
	expect(t, r, 200, `[{"id":1},{"id":2}]`)
	if r.Header.Get("Link") != "" || r.Header.Get("Preference-Applied") != "" {
		t.Fatalf("Link %q, Preference-Applied %q", r.Header.Get("Link"), r.Header.Get("Preference-Applied"))
	}
	r = s.get(t, "/items?select=id&order=grp.desc,id&limit=2&offset=3", "Prefer", "pagination=keyset")
	expect(t, r, 200, `[{"id":15},{"id":19}]`)
	expectHeader(t, r, "Preference-Applied", "pagination=keyset")
	// The parameters in their order, without offset, then the cursor.
	expectHeader(t, r, "Link", `</items?select=id&order=grp.desc%2Cid&limit=2&after=%7B%22grp%22%20%3A%203%2C%20%22id%22%20%3A%2019%7D>; rel="next"`)
	r = s.get(t, "/items?select=id&order=grp.desc,id&limit=2&after="+`{"grp":3,"id":19}`)
	expect(t, r, 200, `[{"id":23},{"id":27}]`)
	expectHeader(t, r, "Content-Range", "0-1/*")
	if r.Header.Get("Preference-Applied") != "" {
		t.Errorf("Preference-Applied %q without the preference", r.Header.Get("Preference-Applied"))
	}
	// A keyset page is not streamed: its Link comes after the rows.
	r = s.get(t, "/items?select=id&order=id&limit=2", "Prefer", "pagination=keyset, stream")
	expect(t, r, 200, `[{"id":1},{"id":2}]`)
	expectHeader(t, r, "Preference-Applied", "pagination=keyset")
	expectHeader(t, r, "Link", `</items?select=id&order=id&limit=2&after=%7B%22id%22%20%3A%202%7D>; rel="next"`)
	// Scripts of another origin may read the Link.
	r = s.get(t, "/items?select=id&order=id&limit=1", "Prefer", "pagination=keyset", "Origin", "https://app.example")
	expectHeader(t, r, "Access-Control-Expose-Headers", "Content-Encoding, Content-Location, Content-Range, Content-Type, "+
		"Date, Location, Server, Transfer-Encoding, Range-Unit, Link")
	// HEAD links too; a full last page links to an empty one, which does not.
	r = s.do(t, "HEAD", "/items?select=id&order=id&limit=3&after={\"id\":50}")
	expectHeader(t, r, "Link", `</items?select=id&order=id&limit=3&after=%7B%22id%22%20%3A%2053%7D>; rel="next"`)
	r = s.get(t, "/items?select=id&order=id&limit=3&after={\"id\":53}")
	expect(t, r, 200, `[]`)
	expectHeader(t, r, "Link", "")
	// A cursor is a JSON object; any other value filters the column "after".
	expect(t, s.get(t, "/items?select=id&after=eq.1&id=lt.5&order=id"), 200, `[{"id":1},{"id":4}]`)
	// Counts count every row the filters select.
	r = s.get(t, "/items?select=id&order=id&limit=2&after={\"id\":50}", "Prefer", "count=exact")
	expect(t, r, 206, `[{"id":51},{"id":52}]`)
	expectHeader(t, r, "Content-Range", "0-1/53")
	// db-max-rows is the page size without limit.
	m := startServer(t, func(o *server.Options, _ *wire.Options) { o.Schemas = []string{"keyset_t"}; o.MaxRows = 2 })
	r = m.get(t, "/items?select=id&order=id", "Prefer", "pagination=keyset")
	expectHeader(t, r, "Link", `</items?select=id&order=id&after=%7B%22id%22%20%3A%202%7D>; rel="next"`)
}

// The README's example, on the demo's films.
func TestKeysetReadmeExample(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/films?select=title,year&order=year.desc&limit=2", "Prefer", "pagination=keyset")
	expect(t, r, 200, `[{"title":"2001: A Space Odyssey","year":1968},{"title":"Dr. Strangelove","year":1964}]`)
	expectHeader(t, r, "Link", `</films?select=title%2Cyear&order=year.desc&limit=2&after=%7B%22year%22%20%3A%201964%2C%20%22id%22%20%3A%207%7D>; rel="next"`)
	r = s.get(t, `/films?select=title,year&order=year.desc&limit=2&after={"year":1964,"id":7}`)
	expect(t, r, 200, `[{"title":"North by Northwest","year":1959},{"title":"Vertigo","year":1958}]`)
}

func TestKeysetErrors(t *testing.T) {
	s := startKeysetServer(t)
	keyset := []string{"Prefer", "pagination=keyset"}
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/items?order=id", 400, "PGRST100"},                             // no page size
		{"/items?order=name->>x&limit=2", 400, "PGRST100"},               // a JSON path
		{"/nokey?limit=2", 400, "PGRST100"},                              // no order, no primary key
		{"/items?order=nope&limit=2", 400, "PGRST204"},                   // no such column
		{"/items?select=grp,count()&limit=2&order=grp", 400, "PGRST123"}, // aggregates are off anyway
		{"/items?limit=2&after={oops", 400, "22P02"},                     // not JSON
	} {
		expectError(t, s.get(t, c.path, keyset...), c.status, c.code)
	}
	expectError(t, s.send(t, "PATCH", "/items?id=eq.1&after={\"id\":1}", `{"name":"x"}`, "Content-Type", "application/json"), 400, "PGRST127")
	// A table without a primary key pages by an order that identifies rows.
	expect(t, s.get(t, "/nokey?order=x&limit=1&after={\"x\":1}"), 200, `[{"x":2}]`)
}
