package server_test

import (
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// jsonBody is the Content-Type header of a JSON request body.
var jsonBody = []string{"Content-Type", "application/json"}

func with(h []string, more ...string) []string { return append(append([]string{}, h...), more...) }

// POST inserts one object or an array of them; the response follows
// Prefer: return (minimal by default: 201 without a body).
func TestInsert(t *testing.T) {
	s := startServer(t, nil)
	r := s.send(t, "POST", "/w_items", `{"id":101,"name":"apple","qty":3}`, jsonBody...)
	expect(t, r, 201, "")
	if r.Body != "" {
		t.Fatalf("minimal insert has a body: %q", r.Body)
	}
	expectHeader(t, r, "Content-Range", "*/*")
	expectHeader(t, r, "Location", "")
	expect(t, s.get(t, "/w_items?id=eq.101&select=name,qty,note"), 200, `[{"name":"apple","qty":3,"note":null}]`)

	// A bulk insert with a representation shaped by select, in order.
	r = s.send(t, "POST", "/w_items?select=id,name&order=id.desc", `[{"id":102,"name":"pear"},{"id":103,"name":"plum"}]`,
		with(jsonBody, "Prefer", "return=representation", "Prefer", "count=exact")...)
	expect(t, r, 201, `[{"id":103,"name":"plum"},{"id":102,"name":"pear"}]`)
	expectHeader(t, r, "Content-Range", "*/2")
	expectHeader(t, r, "Preference-Applied", "return=representation, count=exact")
	expectHeader(t, r, "Content-Type", "application/json; charset=utf-8")

	// headers-only: the Location of the one inserted row.
	r = s.send(t, "POST", "/w_kv", `{"k":"a b&c","v":"1"}`, with(jsonBody, "Prefer", "return=headers-only")...)
	expect(t, r, 201, "")
	expectHeader(t, r, "Location", "/w_kv?k=eq.a%20b%26c")

	// ?columns= picks the keys; the others are ignored.
	r = s.send(t, "POST", "/w_items?columns=id,name&select=id,name,qty", `{"id":104,"name":"fig","qty":99,"bogus":1}`,
		with(jsonBody, "Prefer", "return=representation")...)
	expect(t, r, 201, `[{"id":104,"name":"fig","qty":1}]`)

	// An empty array inserts nothing; an object of no keys, the defaults.
	expect(t, s.send(t, "POST", "/w_nopk", `[]`, with(jsonBody, "Prefer", "return=representation")...), 201, `[]`)
	expect(t, s.send(t, "POST", "/w_nopk", `{}`, with(jsonBody, "Prefer", "return=representation")...), 201, `[{"a":null,"b":null}]`)

	// Through an auto-updatable view.
	expect(t, s.send(t, "POST", "/w_items_view", `{"id":105,"name":"kiwi"}`, with(jsonBody, "Prefer", "return=representation")...),
		201, `[{"id":105,"name":"kiwi","qty":1}]`)

	// A representation can embed.
	s.send(t, "POST", "/w_parents", `{"id":1,"name":"p1"}`, jsonBody...)
	expect(t, s.send(t, "POST", "/w_children?select=name,w_parents(name)", `{"id":11,"parent_id":1,"name":"c1"}`,
		with(jsonBody, "Prefer", "return=representation")...), 201, `[{"name":"c1","w_parents":{"name":"p1"}}]`)
}

// A failed write writes nothing, whatever row failed, with PostgREST's
// error for the cause.
func TestInsertErrors(t *testing.T) {
	s := startServer(t, nil)
	// Unknown column: PGRST204.
	body := expectError(t, s.send(t, "POST", "/w_items", `{"id":201,"nope":1}`, jsonBody...), 400, "PGRST204")
	if body["message"] != "Could not find the 'nope' column of 'w_items' in the schema cache" {
		t.Errorf("message %v", body["message"])
	}
	// The second row breaks a check: nothing of the bulk is written.
	expectError(t, s.send(t, "POST", "/w_items", `[{"id":202,"name":"a","qty":1},{"id":203,"name":"b","qty":-1}]`, jsonBody...), 400, "23514")
	// A duplicate key: 409; a NOT NULL: 400.
	s.send(t, "POST", "/w_items", `{"id":204,"name":"x"}`, jsonBody...)
	expectError(t, s.send(t, "POST", "/w_items", `{"id":204,"name":"y"}`, jsonBody...), 409, "23505")
	expectError(t, s.send(t, "POST", "/w_items", `{"id":205}`, jsonBody...), 400, "23502")
	expect(t, s.get(t, "/w_items?id=in.(202,203,205)"), 200, `[]`)
	// Invalid JSON and mismatched keys: PGRST102.
	expectError(t, s.send(t, "POST", "/w_items", `{"id":`, jsonBody...), 400, "PGRST102")
	expectError(t, s.send(t, "POST", "/w_items", `[{"id":206,"name":"a"},{"id":207}]`, jsonBody...), 400, "PGRST102")
	// Write-only: minimal works, a representation needs SELECT.
	expect(t, s.send(t, "POST", "/w_inbox", `{"id":1,"msg":"hi"}`, jsonBody...), 201, "")
	expectError(t, s.send(t, "POST", "/w_inbox", `{"id":2,"msg":"hi"}`, with(jsonBody, "Prefer", "return=representation")...), 401, "42501")
	// A read-only relation of another schema does not exist for writes.
	expectError(t, s.send(t, "POST", "/nope", `{}`, jsonBody...), 404, "PGRST205")
}

// Upserts: POST with resolution=merge-duplicates or ignore-duplicates on
// the primary key or on_conflict; PUT on one row.
func TestUpsert(t *testing.T) {
	s := startServer(t, nil)
	repr := with(jsonBody, "Prefer", "return=representation")
	expect(t, s.send(t, "POST", "/w_kv", `{"k":"u1","v":"one"}`, jsonBody...), 201, "")
	r := s.send(t, "POST", "/w_kv", `[{"k":"u1","v":"uno"},{"k":"u2","v":"dos"}]`,
		with(repr, "Prefer", "resolution=merge-duplicates")...)
	expect(t, r, 201, `[{"k":"u1","v":"uno"},{"k":"u2","v":"dos"}]`)
	expectHeader(t, r, "Preference-Applied", "resolution=merge-duplicates, return=representation")
	// Nothing new: 200.
	expect(t, s.send(t, "POST", "/w_kv", `{"k":"u1","v":"eins"}`, with(repr, "Prefer", "resolution=merge-duplicates")...),
		200, `[{"k":"u1","v":"eins"}]`)
	// ignore-duplicates keeps the old row and returns only new ones.
	expect(t, s.send(t, "POST", "/w_kv", `[{"k":"u1","v":"x"},{"k":"u3","v":"tres"}]`,
		with(repr, "Prefer", "resolution=ignore-duplicates")...), 201, `[{"k":"u3","v":"tres"}]`)
	expect(t, s.get(t, "/w_kv?k=in.(u1,u2,u3)&order=k"), 200, `[{"k":"u1","v":"eins"},{"k":"u2","v":"dos"},{"k":"u3","v":"tres"}]`)
	// An empty array inserts nothing: 200 as well.
	expect(t, s.send(t, "POST", "/w_kv", `[]`, with(repr, "Prefer", "resolution=merge-duplicates")...), 200, `[]`)
	// Without a primary key or on_conflict there is nothing to resolve:
	// a plain insert, and Preference-Applied does not name resolution.
	r = s.send(t, "POST", "/w_nopk", `{"a":1,"b":"x"}`, with(repr, "Prefer", "resolution=merge-duplicates")...)
	expect(t, r, 201, `[{"a":1,"b":"x"}]`)
	expectHeader(t, r, "Preference-Applied", "return=representation")

	// PUT: 201 when it inserts, 200 when it replaces, 204 by default.
	expect(t, s.send(t, "PUT", "/w_kv?k=eq.p1", `{"k":"p1","v":"a"}`, repr...), 201, `[{"k":"p1","v":"a"}]`)
	expect(t, s.send(t, "PUT", "/w_kv?k=eq.p1", `{"k":"p1","v":"b"}`, repr...), 200, `[{"k":"p1","v":"b"}]`)
	expect(t, s.send(t, "PUT", "/w_kv?k=eq.p1", `{"k":"p1","v":"c"}`, jsonBody...), 204, "")
	expect(t, s.get(t, "/w_kv?k=eq.p1&select=v"), 200, `[{"v":"c"}]`)
	// PUT's rules.
	expectError(t, s.send(t, "PUT", "/w_kv?k=eq.p1", `{"k":"p2","v":"c"}`, jsonBody...), 400, "PGRST115")
	expectError(t, s.send(t, "PUT", "/w_kv?v=eq.x", `{"k":"p1","v":"c"}`, jsonBody...), 405, "PGRST105")
	expectError(t, s.send(t, "PUT", "/w_kv?k=gt.x", `{"k":"p1","v":"c"}`, jsonBody...), 405, "PGRST105")
	expectError(t, s.send(t, "PUT", "/w_kv?k=eq.p1&limit=1", `{"k":"p1","v":"c"}`, jsonBody...), 400, "PGRST114")
	expectError(t, s.send(t, "PUT", "/w_nopk?a=eq.1", `{"a":1}`, jsonBody...), 405, "PGRST105")
}

// PATCH updates the filtered rows from one object; DELETE deletes them.
func TestUpdateDelete(t *testing.T) {
	s := startServer(t, nil)
	s.send(t, "POST", "/w_items", `[{"id":301,"name":"a","qty":1},{"id":302,"name":"b","qty":2},{"id":303,"name":"c","qty":3}]`, jsonBody...)
	r := s.send(t, "PATCH", "/w_items?id=in.(301,302)&or=(qty.eq.1,qty.eq.2)", `{"note":"x"}`, jsonBody...)
	expect(t, r, 204, "")
	expectHeader(t, r, "Content-Range", "0-1/*")
	r = s.send(t, "PATCH", "/w_items?id=gte.301&id=lte.303&select=id,note&order=id", `{"note":"y"}`,
		with(jsonBody, "Prefer", "return=representation", "Prefer", "count=exact")...)
	expect(t, r, 200, `[{"id":301,"note":"y"},{"id":302,"note":"y"},{"id":303,"note":"y"}]`)
	expectHeader(t, r, "Content-Range", "0-2/3")
	// An empty object changes nothing.
	expect(t, s.send(t, "PATCH", "/w_items?id=eq.301", `{}`, with(jsonBody, "Prefer", "return=representation")...), 200, `[]`)
	// Nothing matches: 204, */*.
	r = s.send(t, "PATCH", "/w_items?id=eq.999", `{"note":"z"}`, jsonBody...)
	expect(t, r, 204, "")
	expectHeader(t, r, "Content-Range", "*/*")

	r = s.send(t, "DELETE", "/w_items?id=eq.303&select=name", "", "Prefer", "return=representation")
	expect(t, r, 200, `[{"name":"c"}]`)
	expect(t, s.do(t, "DELETE", "/w_items?id=in.(301,302)", "Prefer", "count=exact"), 204, "")
	expect(t, s.get(t, "/w_items?id=in.(301,302,303)"), 200, `[]`)
}

// A singular response (vnd.pgrst.object) of other than one row, and
// max-affected exceeded under handling=strict, roll the write back.
func TestWriteChecks(t *testing.T) {
	s := startServer(t, nil)
	s.send(t, "POST", "/w_items", `[{"id":401,"name":"a"},{"id":402,"name":"b"}]`, jsonBody...)
	object := []string{"Accept", "application/vnd.pgrst.object+json", "Prefer", "return=representation"}
	body := expectError(t, s.send(t, "PATCH", "/w_items?id=in.(401,402)", `{"note":"n"}`, with(jsonBody, object...)...), 406, "PGRST116")
	if body["details"] != "The result contains 2 rows" {
		t.Errorf("details %v", body["details"])
	}
	expect(t, s.get(t, "/w_items?id=in.(401,402)&note=is.null&select=id"), 200, `[{"id":401},{"id":402}]`)
	expect(t, s.send(t, "PATCH", "/w_items?id=eq.401&select=id,note", `{"note":"one"}`, with(jsonBody, object...)...), 200, `{"id":401,"note":"one"}`)

	strict := with(jsonBody, "Prefer", "handling=strict, max-affected=1")
	body = expectError(t, s.send(t, "DELETE", "/w_items?id=in.(401,402)", "", strict...), 400, "PGRST124")
	if body["details"] != "The query affects 2 rows" {
		t.Errorf("details %v", body["details"])
	}
	expect(t, s.get(t, "/w_items?id=in.(401,402)&select=id"), 200, `[{"id":401},{"id":402}]`)
	r := s.send(t, "DELETE", "/w_items?id=eq.402", "", strict...)
	expect(t, r, 204, "")
	expectHeader(t, r, "Preference-Applied", "handling=strict, max-affected=1")
	// Lenient: max-affected is not enforced.
	expect(t, s.send(t, "DELETE", "/w_items?id=in.(401,402)", "", with(jsonBody, "Prefer", "max-affected=0")...), 204, "")
	expect(t, s.get(t, "/w_items?id=in.(401,402)"), 200, `[]`)
}

// db-tx-end: rollback (with -allow-override, Prefer: tx= decides).
func TestTxEnd(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.TxEnd = "rollback-allow-override" })
	repr := with(jsonBody, "Prefer", "return=representation")
	expect(t, s.send(t, "POST", "/w_kv", `{"k":"t1","v":"x"}`, repr...), 201, `[{"k":"t1","v":"x"}]`)
	expect(t, s.get(t, "/w_kv?k=eq.t1"), 200, `[]`)
	r := s.send(t, "POST", "/w_kv", `{"k":"t1","v":"x"}`, with(repr, "Prefer", "tx=commit")...)
	expect(t, r, 201, `[{"k":"t1","v":"x"}]`)
	expectHeader(t, r, "Preference-Applied", "return=representation, tx=commit")
	expect(t, s.get(t, "/w_kv?k=eq.t1&select=v"), 200, `[{"v":"x"}]`)

	s = startServer(t, func(o *server.Options, _ *wire.Options) { o.TxEnd = "commit" })
	r = s.send(t, "PATCH", "/w_kv?k=eq.t1", `{"v":"y"}`, with(jsonBody, "Prefer", "tx=rollback")...)
	expect(t, r, 204, "")
	expectHeader(t, r, "Preference-Applied", "")
	expect(t, s.get(t, "/w_kv?k=eq.t1&select=v"), 200, `[{"v":"y"}]`)
}

// Row-level security decides, with the JWT's claims: the chat example.
func TestWriteRowLevelSecurity(t *testing.T) {
	s := startServer(t, nil)
	alice := bearer(token(t, map[string]any{"role": "todo_user", "sub": "alice"}))
	bob := bearer(token(t, map[string]any{"role": "todo_user", "sub": "bob"}))
	expect(t, s.send(t, "POST", "/w_messages?select=sender,body", `{"body":"hi"}`,
		with(with(jsonBody, alice...), "Prefer", "return=representation")...), 201, `[{"sender":"alice","body":"hi"}]`)
	expectError(t, s.send(t, "POST", "/w_messages", `{"body":"forged","sender":"alice"}`, with(jsonBody, bob...)...), 403, "42501")
	expect(t, s.get(t, "/w_messages?select=sender,body", bob...), 200, `[]`)
	expect(t, s.send(t, "DELETE", "/w_messages", "", with(bob, "Prefer", "count=exact")...), 204, "")
	expect(t, s.get(t, "/w_messages?select=body", alice...), 200, `[{"body":"hi"}]`)
	// Without a token there is no grant at all.
	expectError(t, s.send(t, "POST", "/w_messages", `{"body":"anon"}`, jsonBody...), 401, "42501")
}

// Prefer: missing=default gives the keys ?columns= names but an element
// lacks their column's default (an identity's next value, a column's,
// a domain's, a view's own); without it they are null.
func TestInsertMissingDefault(t *testing.T) {
	s := startServer(t, nil)
	repr := with(jsonBody, "Prefer", "return=representation", "Prefer", "missing=default")
	r := s.send(t, "POST", "/w_defaults?columns=id,name,qty,note", `[{"name":"a"},{"id":50,"qty":null,"note":"n"}]`, repr...)
	expect(t, r, 201, `[{"id":1,"name":"a","qty":7,"note":null},{"id":50,"name":"anon","qty":null,"note":"n"}]`)
	expectHeader(t, r, "Preference-Applied", "missing=default, return=representation")
	// The identity advanced only for the row that took it.
	expect(t, s.send(t, "POST", "/w_defaults?columns=id,name", `{"name":"b"}`, repr...), 201,
		`[{"id":2,"name":"b","qty":7,"note":null}]`)
	// A view's own default, and the table's for the columns it does not name.
	expect(t, s.send(t, "POST", "/w_defaults_view?columns=id,note", `{"id":60}`, repr...), 201,
		`[{"id":60,"name":"anon","qty":7,"note":"by view"}]`)
	// PATCH sets the absent keys to their defaults.
	expect(t, s.send(t, "PATCH", "/w_defaults?id=eq.50&columns=name,qty", `{}`, repr...), 200,
		`[{"id":50,"name":"anon","qty":7,"note":"n"}]`)
	// Without missing=default an absent key is null.
	expectError(t, s.send(t, "POST", "/w_defaults?columns=id,name", `{"id":70}`, jsonBody...), 400, "23502")
	expect(t, s.get(t, "/w_defaults?id=eq.70"), 200, `[]`)
}

// A domain with a json representation is written through its cast from
// json, and read back through the one to json.
func TestWriteDomainRepresentation(t *testing.T) {
	s := startServer(t, nil)
	repr := with(jsonBody, "Prefer", "return=representation")
	expect(t, s.send(t, "POST", "/w_colors", `[{"id":1,"color":"#000100"},{"id":2,"color":"01E240"}]`, repr...), 201,
		`[{"id":1,"color":"#000100"},{"id":2,"color":"#01E240"}]`)
	expect(t, s.send(t, "PATCH", "/w_colors?id=eq.1&select=color", `[{"color":"#0000FF"}]`, repr...), 200, `[{"color":"#0000FF"}]`)
	expect(t, s.get(t, "/w_colors?select=id&color=in.(0000FF,01E240)&order=id"), 200, `[{"id":1},{"id":2}]`)
	// Its default is the domain's value, not parsed from json.
	expect(t, s.send(t, "POST", "/w_colors?columns=id,color", `{"id":3}`, with(repr, "Prefer", "missing=default")...), 201,
		`[{"id":3,"color":"#0000FF"}]`)
}

// A representation reads only the columns it selects (with those its
// embeds join on and the primary key): a role may write a table of which
// it can read only some columns. Computed columns are computed on the
// written rows.
func TestWriteReturnsSelectedColumns(t *testing.T) {
	s := startServer(t, nil)
	repr := with(jsonBody, "Prefer", "return=representation")
	expect(t, s.send(t, "POST", "/w_secrets?select=id,email", `{"id":1,"email":"a@b","password":"x"}`, repr...), 201,
		`[{"id":1,"email":"a@b"}]`)
	expectError(t, s.send(t, "POST", "/w_secrets", `{"id":2,"email":"c@d","password":"y"}`, repr...), 401, "42501")
	expectError(t, s.send(t, "PATCH", "/w_secrets?id=eq.1&select=email,password", `{"email":"e@f"}`, repr...), 401, "42501")
	expect(t, s.send(t, "PATCH", "/w_secrets?id=eq.1&select=email", `{"email":"e@f"}`, repr...), 200, `[{"email":"e@f"}]`)
	expect(t, s.send(t, "DELETE", "/w_secrets?id=eq.1&select=id,email", "", repr...), 200, `[{"id":1,"email":"e@f"}]`)
	expect(t, s.send(t, "DELETE", "/w_secrets?id=eq.2", ""), 204, "")

	s.send(t, "POST", "/w_items", `{"id":501,"name":"w"}`, jsonBody...)
	expect(t, s.send(t, "PATCH", "/w_items?id=eq.501&select=id,w_label", `{"qty":2}`, repr...), 200, `[{"id":501,"w_label":"w!"}]`)
	expect(t, s.send(t, "PATCH", "/w_items?id=eq.501&select=id,w_label", `{}`, repr...), 200, `[]`)
	expect(t, s.send(t, "POST", "/w_kv?select=w_label", `{"k":"lbl"}`, repr...), 201, `[{"w_label":"lbl?"}]`)
	expect(t, s.send(t, "PATCH", "/w_kv?k=eq.lbl&select=*,w_label", `{"v":"z"}`, repr...), 200, `[{"k":"lbl","v":"z","w_label":"lbl?"}]`)
	// Ordered by a column it does not select.
	s.send(t, "POST", "/w_items", `{"id":502,"name":"v"}`, jsonBody...)
	expect(t, s.send(t, "DELETE", "/w_items?id=in.(501,502)&select=id&order=name", "", repr...), 200, `[{"id":502},{"id":501}]`)
}

// db-safe-writes refuses PATCH and DELETE without a filter on their table
// and writes nothing; a filter, even one that holds for every row, or a
// logic tree lets them through. Off, they change every row.
func TestSafeWrites(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.SafeWrites = true })
	s.send(t, "POST", "/w_kv", `[{"k":"s1","v":"a"},{"k":"s2","v":"b"}]`, jsonBody...)
	body := expectError(t, s.send(t, "PATCH", "/w_kv", `{"v":"x"}`, jsonBody...), 400, "PGRST119")
	if body["message"] != "PATCH requires a filter" {
		t.Errorf("message %v", body["message"])
	}
	expectError(t, s.send(t, "DELETE", "/w_kv?select=k&order=k", ""), 400, "PGRST119")
	// A filter on an embed does not restrict the table's rows.
	expectError(t, s.send(t, "DELETE", "/w_parents?select=id,w_children(id)&w_children.id=eq.1", ""), 400, "PGRST119")
	expect(t, s.get(t, "/w_kv?k=in.(s1,s2)&select=v&order=k"), 200, `[{"v":"a"},{"v":"b"}]`)
	expect(t, s.send(t, "PATCH", "/w_kv?or=(k.eq.s1,k.eq.s2)", `{"v":"y"}`, jsonBody...), 204, "")
	expect(t, s.send(t, "DELETE", "/w_kv?k=eq.s1", ""), 204, "")
	// Inserts and reads are not concerned.
	expect(t, s.send(t, "POST", "/w_kv", `{"k":"s3"}`, jsonBody...), 201, "")

	s = startServer(t, nil)
	r := s.send(t, "PATCH", "/w_nopk", `{"b":"all"}`, with(jsonBody, "Prefer", "count=exact")...)
	expect(t, r, 204, "")
}

// Embedded filters shape a write's representation as they shape a read
// (an !inner embed drops the rows it does not match); the rows written
// are the ones the table's own filters select, as in PostgREST.
func TestWriteEmbeddedFilters(t *testing.T) {
	s := startServer(t, nil)
	s.send(t, "POST", "/w_parents", `[{"id":21,"name":"a"},{"id":22,"name":"b"}]`, jsonBody...)
	s.send(t, "POST", "/w_children", `[{"id":31,"parent_id":21,"name":"x"},{"id":32,"parent_id":22,"name":"y"}]`, jsonBody...)
	repr := with(jsonBody, "Prefer", "return=representation")
	expect(t, s.send(t, "PATCH", "/w_parents?id=in.(21,22)&select=id,w_children!inner(name)&w_children.name=eq.x&order=id",
		`{"name":"c"}`, repr...), 200, `[{"id":21,"w_children":[{"name":"x"}]}]`)
	expect(t, s.get(t, "/w_parents?id=in.(21,22)&select=name&order=id"), 200, `[{"name":"c"},{"name":"c"}]`)
	expect(t, s.send(t, "PATCH", "/w_parents?id=in.(21,22)&select=id,w_children(name)&w_children.name=eq.y&order=id",
		`{"name":"d"}`, repr...), 200, `[{"id":21,"w_children":[]},{"id":22,"w_children":[{"name":"y"}]}]`)
}
