package server_test

import (
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// Aggregates in select (db-aggregates-enabled): each level groups by its
// other columns; a to-one spread's aggregates are applied by its parent.
func TestAggregates(t *testing.T) {
	off := startServer(t, nil)
	expectError(t, off.get(t, "/films?select=year.sum()"), 400, "PGRST123")
	expectError(t, off.get(t, "/directors?select=films(count())"), 400, "PGRST123")

	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.Aggregates = true })
	for _, c := range []struct{ path, want string }{
		{"/films?select=count()", `[{"count":10}]`},
		{"/films?select=n:count()::text", `[{"n":"10"}]`},
		{"/films?select=director_id,n:count(),rating.max()::text&director_id=lt.3&order=director_id",
			`[{"director_id":1,"n":1,"max":"7.8"},{"director_id":2,"n":2,"max":"7.9"}]`},
		// The input cast comes before the aggregate, the output cast after.
		{"/films?select=y:year::text.max()&director_id=eq.5", `[{"y":"1954"}]`},
		// Inside an embed: one row of aggregates per parent.
		{"/directors?select=last_name,films(year.min(),count())&id=lt.3&order=id",
			`[{"last_name":"McCarey","films":[{"min":1933,"count":1}]},{"last_name":"Wood","films":[{"min":1935,"count":2}]}]`},
		// An embed among the grouped columns.
		{"/films?select=director_id,directors(last_name),n:count()&director_id=in.(3,4)&order=director_id",
			`[{"director_id":3,"directors":{"last_name":"Hitchcock"},"n":3},{"director_id":4,"directors":{"last_name":"Kubrick"},"n":2}]`},
		// A to-one spread: its columns group, its aggregates are the parent's.
		{"/films?select=...directors(last_name),n:count()&director_id=in.(3,4)&order=directors(last_name)",
			`[{"last_name":"Hitchcock","n":3},{"last_name":"Kubrick","n":2}]`},
		{"/films?select=...film_budgets(budget.sum(),n:count())", `[{"sum":3000,"n":2}]`},
		// On a function's rows.
		{"/rpc/films_since?y=1959&select=year.max(),count()", `[{"max":1968,"count":3}]`},
	} {
		expect(t, s.get(t, c.path), 200, c.want)
	}
	r := s.get(t, "/directors?select=...films(year.sum())")
	if body := expectError(t, r, 400, "PGRST127"); body["details"] != "Aggregates are not implemented for one-to-many or many-to-many spreads." {
		t.Fatalf("details: %v", body["details"])
	}

	// A write's representation aggregates too.
	r = s.send(t, "POST", "/w_items?select=qty.sum(),n:count()", `[{"id":901,"name":"a","qty":2},{"id":902,"name":"b","qty":5}]`,
		with(jsonBody, "Prefer", "return=representation")...)
	expect(t, r, 201, `[{"sum":7,"n":2}]`)
}
