package server_test

import (
	"context"
	"testing"

	"github.com/pgrst/pgrst/wire/pgtest"
)

// Resource embedding against sql/demo.sql and sql/test_embed.sql.

type embedCase struct {
	name, path string
	status     int
	body       string
}

func runEmbedCases(t *testing.T, s *testServer, cases []embedCase, headers ...string) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			expect(t, s.get(t, c.path, headers...), c.status, c.body)
		})
	}
}

func TestEmbedRelationships(t *testing.T) {
	s := startServer(t, nil)
	runEmbedCases(t, s, []embedCase{
		{"many-to-one", "/films?select=title,directors(id,last_name)&id=lt.3&order=id", 200,
			`[{"title":"Duck Soup","directors":{"id":1,"last_name":"McCarey"}},
			  {"title":"A Night at the Opera","directors":{"id":2,"last_name":"Wood"}}]`},
		{"one-to-many", "/directors?select=last_name,films(title)&id=lt.3&order=id&films.order=id", 200,
			`[{"last_name":"McCarey","films":[{"title":"Duck Soup"}]},
			  {"last_name":"Wood","films":[{"title":"A Night at the Opera"},{"title":"A Day at the Races"}]}]`},
		{"many-to-many", "/films?select=title,competitions(name,year)&id=in.(9,10)&order=id&competitions.order=id", 200,
			`[{"title":"Rashomon","competitions":[{"name":"Venice Film Festival","year":1951}]},
			  {"title":"Seven Samurai","competitions":[{"name":"Venice Film Festival","year":1954},{"name":"Cannes Film Festival","year":1954}]}]`},
		{"many-to-many through roles", "/actors?select=last_name,films(title)&id=eq.11&films.order=id", 200,
			`[{"last_name":"Mifune","films":[{"title":"Rashomon"},{"title":"Seven Samurai"}]}]`},
		{"star beside embed and alias", "/films?select=*,director:directors(*)&id=eq.1", 200,
			`[{"id":1,"director_id":1,"title":"Duck Soup","year":1933,"rating":7.8,"language":"English",
			   "director":{"id":1,"first_name":"Leo","last_name":"McCarey"}}]`},
		{"empty embed", "/films?select=title,directors()&id=eq.1", 200, `[{"title":"Duck Soup"}]`},
		{"only an embed", "/films?select=directors(last_name)&id=eq.1", 200, `[{"directors":{"last_name":"McCarey"}}]`},
		{"nested four levels", "/films?select=title,directors(films(title,roles(character,actors(last_name))))&id=eq.1&directors.films.roles.order=actor_id", 200,
			`[{"title":"Duck Soup","directors":{"films":[{"title":"Duck Soup","roles":[
			   {"character":"Rufus T. Firefly","actors":{"last_name":"Marx"}},
			   {"character":"Pinky","actors":{"last_name":"Marx"}},
			   {"character":"Chicolini","actors":{"last_name":"Marx"}},
			   {"character":"Mrs. Gloria Teasdale","actors":{"last_name":"Dumont"}}]}]}}]`},
		{"to-many empty is []", "/films?select=title,competitions(name)&id=eq.1", 200, `[{"title":"Duck Soup","competitions":[]}]`},
		{"to-one missing is null", "/films?select=title,film_budgets(budget)&id=in.(1,2)&order=id", 200,
			`[{"title":"Duck Soup","film_budgets":{"budget":1000}},{"title":"A Night at the Opera","film_budgets":null}]`},
		{"one-to-one reverse", "/film_budgets?select=budget,films(title)&order=film_id", 200,
			`[{"budget":1000,"films":{"title":"Duck Soup"}},{"budget":2000,"films":{"title":"Rear Window"}}]`},
		{"composite many-to-one", "/screenings?select=id,festivals(city,year)&order=id", 200,
			`[{"id":1,"festivals":{"city":"Berlin","year":1990}},{"id":2,"festivals":{"city":"Berlin","year":1991}},{"id":3,"festivals":{"city":"Toronto","year":1990}}]`},
		{"composite one-to-many", "/festivals?select=name,year,screenings(id)&order=name,year", 200,
			`[{"name":"Berlinale","year":1990,"screenings":[{"id":1}]},{"name":"Berlinale","year":1991,"screenings":[{"id":2}]},{"name":"TIFF","year":1990,"screenings":[{"id":3}]}]`},
		{"self parent by column", "/family?select=name,parent:parent_id(name)&order=id", 200,
			`[{"name":"Grandma","parent":null},{"name":"Mom","parent":{"name":"Grandma"}},{"name":"Uncle","parent":{"name":"Grandma"}},{"name":"Kid","parent":{"name":"Mom"}}]`},
		{"self children by table", "/family?select=name,family(name)&id=eq.1&family.order=id", 200,
			`[{"name":"Grandma","family":[{"name":"Mom"},{"name":"Uncle"}]}]`},
		{"self children by hint", "/family?select=name,children:family!parent_id(name,children:family!parent_id(name))&id=eq.1&children.order=id", 200,
			`[{"name":"Grandma","children":[{"name":"Mom","children":[{"name":"Kid"}]},{"name":"Uncle","children":[]}]}]`},
		{"view over a private table", "/films?select=title,awards(award)&id=in.(7,8)&order=id&awards.order=award_id", 200,
			`[{"title":"Dr. Strangelove","awards":[{"award":"BAFTA"}]},{"title":"2001: A Space Odyssey","awards":[{"award":"Oscar"},{"award":"BAFTA"}]}]`},
		{"view to table", "/awards?select=award,films(title)&order=award_id", 200,
			`[{"award":"BAFTA","films":{"title":"Dr. Strangelove"}},{"award":"Oscar","films":{"title":"2001: A Space Odyssey"}},{"award":"BAFTA","films":{"title":"2001: A Space Odyssey"}}]`},
		{"view on a view, renamed column", "/oscar_awards?select=award,movie,films(title)", 200,
			`[{"award":"Oscar","movie":8,"films":{"title":"2001: A Space Odyssey"}}]`},
		{"table to view on a view", "/films?select=title,oscar_awards(award)&id=in.(7,8)&order=id", 200,
			`[{"title":"Dr. Strangelove","oscar_awards":[]},{"title":"2001: A Space Odyssey","oscar_awards":[{"award":"Oscar"}]}]`},
		{"computed to-one", "/films?select=title,first_role(character)&id=lt.3&order=id", 200,
			`[{"title":"Duck Soup","first_role":{"character":"Rufus T. Firefly"}},{"title":"A Night at the Opera","first_role":{"character":"Otis B. Driftwood"}}]`},
		{"computed to-many", "/films?select=title,same_director(title)&id=lt.4&order=id", 200,
			`[{"title":"Duck Soup","same_director":[]},{"title":"A Night at the Opera","same_director":[{"title":"A Day at the Races"}]},{"title":"A Day at the Races","same_director":[{"title":"A Night at the Opera"}]}]`},
		{"computed overrides the foreign key", "/sponsored?select=id,sponsors(name)&order=id", 200,
			`[{"id":1,"sponsors":{"name":"Globex"}},{"id":2,"sponsors":{"name":"Acme"}}]`},
		{"computed nested under an embed", "/directors?select=last_name,films(title,first_role(character))&id=eq.1", 200,
			`[{"last_name":"McCarey","films":[{"title":"Duck Soup","first_role":{"character":"Rufus T. Firefly"}}]}]`},
	})
}

// Embedded objects keep the keys in the select's order and stay compact
// (json, not jsonb, which would sort the keys by length and print ": "),
// byte for byte, at every level.
func TestEmbedKeyOrder(t *testing.T) {
	s := startServer(t, nil)
	for _, c := range []struct{ path, want string }{
		{"/films?select=title,directors(last_name,id)&id=eq.1",
			`[{"title":"Duck Soup","directors":{"last_name":"McCarey","id":1}}]`},
		{"/directors?select=last_name,films(year,title)&id=eq.1",
			`[{"last_name":"McCarey","films":[{"year":1933,"title":"Duck Soup"}]}]`},
		{"/films?select=title,directors(last_name,films(year,id))&id=eq.1",
			`[{"title":"Duck Soup","directors":{"last_name":"McCarey","films":[{"year":1933,"id":1}]}}]`},
	} {
		r := s.get(t, c.path)
		if r.Status != 200 || r.Body != c.want {
			t.Errorf("%s: status %d\n got %s\nwant %s", c.path, r.Status, r.Body, c.want)
		}
	}
}

func TestEmbedDisambiguation(t *testing.T) {
	s := startServer(t, nil)
	runEmbedCases(t, s, []embedCase{
		{"by constraint and by column", "/shipments?select=name,billing:addresses!billing(street),shipping:addresses!shipping_address_id(street)&order=id", 200,
			`[{"name":"books","billing":{"street":"Main St 1"},"shipping":{"street":"Side St 2"}},{"name":"tea","billing":{"street":"Side St 2"},"shipping":null}]`},
		{"by referenced column is still ambiguous", "/shipments?select=name,addresses!id(street)", 300, ""},
		{"fk column as target", "/shipments?select=name,billing_address_id(street)&order=id", 200,
			`[{"name":"books","billing_address_id":{"street":"Main St 1"}},{"name":"tea","billing_address_id":{"street":"Side St 2"}}]`},
		{"constraint as target", "/shipments?select=name,shipping(street)&id=eq.1", 200,
			`[{"name":"books","shipping":{"street":"Side St 2"}}]`},
		{"junction hint", "/films?select=title,competitions!nominations(name)&id=eq.9", 200,
			`[{"title":"Rashomon","competitions":[{"name":"Venice Film Festival"}]}]`},
		{"ambiguous", "/shipments?select=name,addresses(street)", 300,
			`{"code":"PGRST201",
			  "details":[
			    {"cardinality":"many-to-one","embedding":"shipments with addresses","relationship":"billing using shipments(billing_address_id) and addresses(id)"},
			    {"cardinality":"many-to-one","embedding":"shipments with addresses","relationship":"shipping using shipments(shipping_address_id) and addresses(id)"}],
			  "hint":"Try changing 'addresses' to one of the following: 'addresses!billing', 'addresses!shipping'. Find the desired relationship in the 'details' key.",
			  "message":"Could not embed because more than one relationship was found for 'shipments' and 'addresses'"}`},
		{"ambiguous one-to-many", "/addresses?select=shipments(name)", 300,
			`{"code":"PGRST201",
			  "details":[
			    {"cardinality":"one-to-many","embedding":"addresses with shipments","relationship":"billing using addresses(id) and shipments(billing_address_id)"},
			    {"cardinality":"one-to-many","embedding":"addresses with shipments","relationship":"shipping using addresses(id) and shipments(shipping_address_id)"}],
			  "hint":"Try changing 'shipments' to one of the following: 'shipments!billing', 'shipments!shipping'. Find the desired relationship in the 'details' key.",
			  "message":"Could not embed because more than one relationship was found for 'addresses' and 'shipments'"}`},
		{"no relationship", "/films?select=title,directorz(*)", 400,
			`{"code":"PGRST200","details":"Searched for a foreign key relationship between 'films' and 'directorz' in the schema 'api', but no matches were found.",
			  "hint":"Perhaps you meant 'directors' instead of 'directorz'.",
			  "message":"Could not find a relationship between 'films' and 'directorz' in the schema cache"}`},
		{"no relationship with hint", "/films?select=title,directors!nope(*)", 400,
			`{"code":"PGRST200","details":"Searched for a foreign key relationship between 'films' and 'directors' using the hint 'nope' in the schema 'api', but no matches were found.",
			  "hint":null,"message":"Could not find a relationship between 'films' and 'directors' in the schema cache"}`},
		{"no relationship nested", "/films?select=title,directors(todos(*))", 400,
			`{"code":"PGRST200","details":"Searched for a foreign key relationship between 'directors' and 'todos' in the schema 'api', but no matches were found.",
			  "hint":null,"message":"Could not find a relationship between 'directors' and 'todos' in the schema cache"}`},
		{"a private junction is not exposed", "/films?select=tags(*)", 400,
			`{"code":"PGRST200","details":"Searched for a foreign key relationship between 'films' and 'tags' in the schema 'api', but no matches were found.",
			  "hint":"Perhaps you meant 'actors' instead of 'tags'.","message":"Could not find a relationship between 'films' and 'tags' in the schema cache"}`},
		// actresses reaches plays only through a private junction: that
		// counts as having relationships, so there is no hint at all.
		{"a private junction only: no hint", "/actresses?select=plays(*)", 400,
			`{"code":"PGRST200","details":"Searched for a foreign key relationship between 'actresses' and 'plays' in the schema 'api', but no matches were found.",
			  "hint":null,"message":"Could not find a relationship between 'actresses' and 'plays' in the schema cache"}`},
		{"a private junction only: no child hint", "/actresses?select=playz(*)", 400,
			`{"code":"PGRST200","details":"Searched for a foreign key relationship between 'actresses' and 'playz' in the schema 'api', but no matches were found.",
			  "hint":null,"message":"Could not find a relationship between 'actresses' and 'playz' in the schema cache"}`},
		{"a private junction with an exposed homonym", "/plays?select=actresses(*)", 400,
			`{"code":"PGRST200","details":"Searched for a foreign key relationship between 'plays' and 'actresses' in the schema 'api', but no matches were found.",
			  "hint":null,"message":"Could not find a relationship between 'plays' and 'actresses' in the schema cache"}`},
	})
}

func TestEmbedShaping(t *testing.T) {
	s := startServer(t, nil)
	runEmbedCases(t, s, []embedCase{
		{"embedded order, limit, offset", "/films?select=title,actors(first_name,last_name)&actors.order=last_name,first_name&actors.limit=2&actors.offset=1&id=eq.1", 200,
			`[{"title":"Duck Soup","actors":[{"first_name":"Chico","last_name":"Marx"},{"first_name":"Groucho","last_name":"Marx"}]}]`},
		{"embedded in filter", "/films?select=title,roles(character)&roles.character=in.(Pinky,Tomasso)&id=lt.3&order=id", 200,
			`[{"title":"Duck Soup","roles":[{"character":"Pinky"}]},{"title":"A Night at the Opera","roles":[{"character":"Tomasso"}]}]`},
		{"embedded or", "/films?select=title,roles(character)&roles.or=(character.eq.Pinky,character.eq.Stuffy)&id=lt.4&order=id", 200,
			`[{"title":"Duck Soup","roles":[{"character":"Pinky"}]},{"title":"A Night at the Opera","roles":[]},{"title":"A Day at the Races","roles":[{"character":"Stuffy"}]}]`},
		{"nested path filter", "/films?select=title,roles(character,actors(first_name))&roles.actors.first_name=like.*arp*&roles.order=actor_id&id=eq.1", 200,
			`[{"title":"Duck Soup","roles":[
			   {"character":"Rufus T. Firefly","actors":null},{"character":"Pinky","actors":{"first_name":"Harpo"}},
			   {"character":"Chicolini","actors":null},{"character":"Mrs. Gloria Teasdale","actors":null}]}]`},
		{"same table twice under two aliases", "/films?select=title,90_comps:competitions(name),91_comps:competitions(name)&90_comps.year=eq.1954&91_comps.year=eq.1951&id=in.(9,10)&order=id&90_comps.order=id", 200,
			`[{"title":"Rashomon","90_comps":[],"91_comps":[{"name":"Venice Film Festival"}]},
			  {"title":"Seven Samurai","90_comps":[{"name":"Venice Film Festival"},{"name":"Cannes Film Festival"}],"91_comps":[]}]`},
		{"inner join", "/films?select=title,directors!inner(last_name)&directors.last_name=eq.Wood&order=id", 200,
			`[{"title":"A Night at the Opera","directors":{"last_name":"Wood"}},{"title":"A Day at the Races","directors":{"last_name":"Wood"}}]`},
		{"inner join to-many", "/films?select=title,competitions!inner(name)&competitions.year=eq.1951", 200,
			`[{"title":"Rashomon","competitions":[{"name":"Venice Film Festival"}]}]`},
		{"left join keeps parents", "/films?select=title,directors!left(last_name)&directors.last_name=eq.Wood&id=lt.4&order=id", 200,
			`[{"title":"Duck Soup","directors":null},{"title":"A Night at the Opera","directors":{"last_name":"Wood"}},{"title":"A Day at the Races","directors":{"last_name":"Wood"}}]`},
		{"not.is.null is like inner", "/films?select=title,directors(last_name)&directors=not.is.null&directors.last_name=eq.Wood&order=id", 200,
			`[{"title":"A Night at the Opera","directors":{"last_name":"Wood"}},{"title":"A Day at the Races","directors":{"last_name":"Wood"}}]`},
		{"is.null anti-join", "/films?select=title,nominations()&nominations=is.null&id=lt.6&order=id", 200,
			`[{"title":"Duck Soup"},{"title":"A Night at the Opera"},{"title":"A Day at the Races"},{"title":"Vertigo"}]`},
		{"is.null inside or", "/films?select=title,nominations(),film_budgets()&or=(nominations.not.is.null,film_budgets.not.is.null)&order=id", 200,
			`[{"title":"Duck Soup"},{"title":"Rear Window"},{"title":"Rashomon"},{"title":"Seven Samurai"}]`},
		{"order by a to-one embed", "/films?select=title,directors(last_name)&order=directors(last_name).desc,title&limit=4", 200,
			`[{"title":"A Day at the Races","directors":{"last_name":"Wood"}},{"title":"A Night at the Opera","directors":{"last_name":"Wood"}},
			  {"title":"Duck Soup","directors":{"last_name":"McCarey"}},{"title":"Rashomon","directors":{"last_name":"Kurosawa"}}]`},
		{"order by a to-one embed nullslast", "/films?select=title,film_budgets(budget)&order=film_budgets(budget).desc.nullslast,id&limit=3", 200,
			`[{"title":"Rear Window","film_budgets":{"budget":2000}},{"title":"Duck Soup","film_budgets":{"budget":1000}},{"title":"A Night at the Opera","film_budgets":null}]`},
		{"spread to-one", "/films?select=title,...directors(last_name)&id=lt.3&order=id", 200,
			`[{"title":"Duck Soup","last_name":"McCarey"},{"title":"A Night at the Opera","last_name":"Wood"}]`},
		{"spread to-one nested", "/roles?select=character,...films(title,...directors(director:last_name))&film_id=eq.4&order=actor_id", 200,
			`[{"character":"L.B. \"Jeff\" Jefferies","title":"Rear Window","director":"Hitchcock"},{"character":"Lisa Carol Fremont","title":"Rear Window","director":"Hitchcock"}]`},
		{"spread to-many", "/directors?select=last_name,...films(title,year)&id=lt.3&order=id&films.order=id", 200,
			`[{"last_name":"McCarey","title":["Duck Soup"],"year":[1933]},{"last_name":"Wood","title":["A Night at the Opera","A Day at the Races"],"year":[1935,1937]}]`},
		{"spread to-many empty", "/competitions?select=name,...films(title)&id=eq.4", 200,
			`[{"name":"Berlin Film Festival","title":[]}]`},
	})
	// The count sees !inner and embed=not.is.null.
	r := s.get(t, "/films?select=title,directors!inner(last_name)&directors.last_name=eq.Wood&limit=1", "Prefer", "count=exact")
	expect(t, r, 206, `[{"title":"A Night at the Opera","directors":{"last_name":"Wood"}}]`)
	if cr := r.Header.Get("Content-Range"); cr != "0-0/2" {
		t.Errorf("Content-Range %q", cr)
	}
	r = s.get(t, "/films?select=title,nominations()&or=(nominations.is.null,id.eq.9)&limit=1", "Prefer", "count=exact")
	if cr := r.Header.Get("Content-Range"); r.Status != 206 || cr != "0-0/8" {
		t.Errorf("status %d, Content-Range %q: %s", r.Status, cr, r.Body)
	}
}

func TestEmbedErrors(t *testing.T) {
	s := startServer(t, nil)
	runEmbedCases(t, s, []embedCase{
		{"filter on an embed that is not selected", "/films?select=title&directors.last_name=eq.Wood", 400,
			`{"code":"PGRST108","details":null,"hint":"Verify that 'directors' is included in the 'select' query parameter.",
			  "message":"'directors' is not an embedded resource in this request"}`},
		{"order on an embed that is not selected", "/films?select=title&order=directors(last_name)", 400,
			`{"code":"PGRST108","details":null,"hint":"Verify that 'directors' is included in the 'select' query parameter.",
			  "message":"'directors' is not an embedded resource in this request"}`},
		{"aliased embed named by its relation", "/films?select=title,d:directors(*)&directors.limit=1", 400,
			`{"code":"PGRST108","details":"Target names are not allowed in filters if they have an alias",
			  "hint":"Change 'directors' to 'd' in filters, orders or limits.",
			  "message":"'directors' is not an embedded resource in this request"}`},
		{"related order on to-many", "/directors?select=last_name,films(title)&order=films(title)", 400,
			`{"code":"PGRST118","details":"'directors' and 'films' do not form a many-to-one or one-to-one relationship",
			  "hint":null,"message":"A related order on 'films' is not possible"}`},
		// Only is.null tests an embed; any other operator on a name that
		// is not also a column is PGRST120 (a column of that name is
		// filtered instead, see TestConfColumnNamedLikeEmbed).
		{"other operator on an embed", "/films?select=title,directors(last_name)&directors=eq.1", 400,
			`{"code":"PGRST120","details":"Only is null or not is null filters are allowed on embedded resources",
			  "hint":null,"message":"Bad operator on the 'directors' embedded resource"}`},
		{"other operator on an embed in or", "/films?select=title,directors(last_name)&or=(directors.gt.1,id.eq.1)", 400,
			`{"code":"PGRST120","details":"Only is null or not is null filters are allowed on embedded resources",
			  "hint":null,"message":"Bad operator on the 'directors' embedded resource"}`},
	})
}

// A foreign key created while the server runs is embeddable after a
// schema cache reload (what SIGUSR1 and NOTIFY pgrst trigger).
func TestEmbedAfterReload(t *testing.T) {
	s := startServer(t, nil)
	ctx := context.Background()
	db := pgtest.Shared()
	if err := db.Exec(ctx, `create table api.posters (id int primary key, film_id int);
		insert into api.posters values (1, 4);
		grant select on api.posters to web_anon;`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec(context.Background(), "drop table api.posters") })
	if _, err := s.srv.LoadSchema(ctx); err != nil {
		t.Fatal(err)
	}
	expectError(t, s.get(t, "/posters?select=id,films(title)"), 400, "PGRST200")
	if err := db.Exec(ctx, `alter table api.posters add foreign key (film_id) references api.films`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.srv.LoadSchema(ctx); err != nil {
		t.Fatal(err)
	}
	expect(t, s.get(t, "/posters?select=id,films(title)"), 200, `[{"id":1,"films":{"title":"Rear Window"}}]`)
}

// A to-many spread orders each of its arrays by the spread's order, also
// by columns it does not select and by a to-one embed's column, as
// PostgREST does (SpreadQueriesSpec).
func TestEmbedSpreadOrder(t *testing.T) {
	s := startServer(t, nil)
	runEmbedCases(t, s, []embedCase{
		{"by a column not selected", "/directors?select=last_name,...films(title)&films.order=year.desc&id=in.(2,3)&order=id", 200,
			`[{"last_name":"Wood","title":["A Day at the Races","A Night at the Opera"]},
			  {"last_name":"Hitchcock","title":["North by Northwest","Vertigo","Rear Window"]}]`},
		{"all columns, two terms", "/directors?select=last_name,...films(*)&films.order=rating.desc,id&id=in.(3,1)&order=id", 200,
			`[{"last_name":"McCarey","id":[1],"director_id":[1],"title":["Duck Soup"],"year":[1933],"rating":[7.8],"language":["English"]},
			  {"last_name":"Hitchcock","id":[4,6,5],"director_id":[3,3,3],"title":["Rear Window","North by Northwest","Vertigo"],
			   "year":[1954,1959,1958],"rating":[8.5,8.3,8.2],"language":["English","English","English"]}]`},
		{"by a to-one embed's column", "/actors?select=last_name,...roles(character,...films(title,year))&roles.order=films(year).desc&id=eq.5", 200,
			`[{"last_name":"Stewart","character":["John \"Scottie\" Ferguson","L.B. \"Jeff\" Jefferies"],"title":["Vertigo","Rear Window"],"year":[1958,1954]}]`},
		{"nested to-many spreads", "/directors?select=last_name,...films(title,...roles(character))&films.order=year.desc&films.roles.order=character.desc&id=eq.2", 200,
			`[{"last_name":"Wood","title":["A Day at the Races","A Night at the Opera"],
			   "character":[["Tony","Stuffy","Dr. Hugo Z. Hackenbush"],["Tomasso","Otis B. Driftwood","Mrs. Claypool","Fiorello"]]}]`},
		{"with a limit", "/directors?select=last_name,...films(title)&films.order=year.desc&films.limit=1&id=eq.3", 200,
			`[{"last_name":"Hitchcock","title":["North by Northwest"]}]`},
		{"nulls first", "/directors?select=last_name,...films(film_budgets(budget),title)&films.order=film_budgets(budget).asc.nullsfirst,id&id=eq.3", 200,
			`[{"last_name":"Hitchcock","film_budgets":[null,null,{"budget":2000}],"title":["Vertigo","North by Northwest","Rear Window"]}]`},
		{"empty", "/directors?select=last_name,...films(title)&films.order=year&films.year=gt.2000&id=eq.1", 200,
			`[{"last_name":"McCarey","title":[]}]`},
	})
}
