package server_test

import (
	"strings"
	"testing"
)

// A POST whose columns parameter embeds relationships inserts the related
// rows too: a to-one parent first (the row takes its key), to-many
// children after (each takes its parent's), at any depth, in one
// statement; the representation embeds the rows just inserted.
func TestNestedInsert(t *testing.T) {
	s := startServer(t, nil)
	repr := with(jsonBody, "Prefer", "return=representation")
	// To-one and to-many, depth 2.
	r := s.send(t, "POST", "/n_projects?columns=name,n_clients(name),n_tasks(title,n_labels(name))"+
		"&select=name,n_clients(name),n_tasks(title,done,n_labels(name))",
		`{"name":"apollo","n_clients":{"name":"nasa"},"n_tasks":[{"title":"a1","n_labels":[{"name":"x"},{"name":"y"}]},{"title":"a2"}]}`,
		repr...)
	expect(t, r, 201, `[{"name":"apollo","n_clients":{"name":"nasa"},"n_tasks":[{"title":"a1","done":false,"n_labels":[{"name":"x"},{"name":"y"}]},{"title":"a2","done":false,"n_labels":[]}]}]`)
	// An embed back up to the row of the same request reads it too.
	expect(t, s.send(t, "POST", "/n_projects?columns=name,n_clients(name),n_tasks(title)"+
		"&select=name,n_clients(name,n_projects(name)),n_tasks(title,n_projects(name,n_tasks(title)))",
		`{"name":"gemini","n_clients":{"name":"esa"},"n_tasks":[{"title":"g1"},{"title":"g2"}]}`, repr...), 201,
		`[{"name":"gemini","n_clients":{"name":"esa","n_projects":[{"name":"gemini"}]},"n_tasks":[`+
			`{"title":"g1","n_projects":{"name":"gemini","n_tasks":[{"title":"g1"},{"title":"g2"}]}},`+
			`{"title":"g2","n_projects":{"name":"gemini","n_tasks":[{"title":"g1"},{"title":"g2"}]}}]}]`)
	expect(t, s.get(t, "/n_projects?name=eq.apollo&select=name,n_clients(name),n_tasks(title,n_labels(name))&n_tasks.order=title"), 200,
		`[{"name":"apollo","n_clients":{"name":"nasa"},"n_tasks":[{"title":"a1","n_labels":[{"name":"x"},{"name":"y"}]},{"title":"a2","n_labels":[]}]}]`)
}

// A bulk body: each element's related rows go with its own row.
func TestNestedInsertBulk(t *testing.T) {
	s := startServer(t, nil)
	repr := with(jsonBody, "Prefer", "return=representation")
	r := s.send(t, "POST", "/n_projects?columns=name,n_clients(name),n_tasks(title,n_labels(name))"+
		"&select=name,n_clients(name),n_tasks(title,n_labels(name))",
		`[{"name":"b1","n_tasks":[{"title":"t1"},{"title":"t2","n_labels":{"name":"l2"}}]},
		  {"name":"b2","n_clients":{"name":"acme"},"n_tasks":null},
		  {"name":"b3","n_clients":null,"n_tasks":{"title":"t3","n_labels":[{"name":"l3a"},{"name":"l3b"}]}}]`, repr...)
	expect(t, r, 201, `[{"name":"b1","n_clients":null,"n_tasks":[{"title":"t1","n_labels":[]},{"title":"t2","n_labels":[{"name":"l2"}]}]}, `+
		`{"name":"b2","n_clients":{"name":"acme"},"n_tasks":[]}, `+
		`{"name":"b3","n_clients":null,"n_tasks":[{"title":"t3","n_labels":[{"name":"l3a"},{"name":"l3b"}]}]}]`)
	// What the tables hold now, read back.
	expect(t, s.get(t, "/n_tasks?select=title,n_projects(name),n_labels(name)&n_projects.name=like.b*&n_projects=not.is.null&order=title"), 200,
		`[{"title":"t1","n_projects":{"name":"b1"},"n_labels":[]},{"title":"t2","n_projects":{"name":"b1"},"n_labels":[{"name":"l2"}]},`+
			`{"title":"t3","n_projects":{"name":"b3"},"n_labels":[{"name":"l3a"},{"name":"l3b"}]}]`)

	// Minimal: 201 without a body; headers-only: the root row's Location.
	expect(t, s.send(t, "POST", "/n_projects?columns=name,n_tasks(title)", `{"name":"m1","n_tasks":[{"title":"m"}]}`, jsonBody...), 201, "")
	r = s.send(t, "POST", "/n_projects?columns=name,n_tasks(title)", `{"name":"h1","n_tasks":[{"title":"h"}]}`,
		with(jsonBody, "Prefer", "return=headers-only")...)
	expect(t, r, 201, "")
	loc := r.Header.Get("Location")
	expect(t, s.get(t, loc+"&select=name,n_tasks(title)"), 200, `[{"name":"h1","n_tasks":[{"title":"h"}]}]`)

	// One to one (the child holds the key), and missing=default in a
	// nested level.
	expect(t, s.send(t, "POST", "/n_projects?columns=name,n_charters(body),n_tasks(title,done)&select=name,n_charters(body),n_tasks(title,done)",
		`{"name":"o1","n_charters":{"body":"why"},"n_tasks":[{"title":"d1"},{"title":"d2","done":true}]}`,
		with(repr, "Prefer", "missing=default")...), 201,
		`[{"name":"o1","n_charters":{"body":"why"},"n_tasks":[{"title":"d1","done":false},{"title":"d2","done":true}]}]`)
}

// Which relationship: PostgREST's errors for an unknown or ambiguous one,
// a !hint picks one; keys the nested insert fills must not be written.
func TestNestedInsertRelationships(t *testing.T) {
	s := startServer(t, nil)
	repr := with(jsonBody, "Prefer", "return=representation")
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_nope(name)", `{"name":"x"}`, jsonBody...), 400, "PGRST200")
	body := expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_people(name)", `{"name":"x"}`, jsonBody...), 300, "PGRST201")
	if body["hint"] == nil {
		t.Errorf("no hint: %v", body)
	}
	expect(t, s.send(t, "POST", "/n_projects?columns=name,n_people!lead_id(name)&select=name,lead:n_people!lead_id(name),reviewer:n_people!reviewer_id(name)",
		`{"name":"h","n_people":{"name":"ann"}}`, repr...), 201, `[{"name":"h","lead":{"name":"ann"},"reviewer":null}]`)
	// By the foreign key's column: the body key is that name.
	expect(t, s.send(t, "POST", "/n_projects?columns=name,reviewer_id(name)&select=name,reviewer:n_people!reviewer_id(name)",
		`{"name":"h2","reviewer_id":{"name":"bo"}}`, repr...), 201, `[{"name":"h2","reviewer":{"name":"bo"}}]`)
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,client_id,n_clients(name)", `{"name":"x"}`, jsonBody...), 400, "PGRST100")
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,lead_id(name),n_people!lead_id(name)", `{"name":"x"}`, jsonBody...), 400, "PGRST100")
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_tasks(title,project_id)", `{"name":"x"}`, jsonBody...), 400, "PGRST100")
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_tasks(nope)", `{"name":"x"}`, jsonBody...), 400, "PGRST204")
	// Only POST, without duplicate resolution.
	expectError(t, s.send(t, "PATCH", "/n_projects?id=eq.1&columns=name,n_tasks(title)", `{"name":"x"}`, jsonBody...), 400, "PGRST127")
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_tasks(title)", `{"name":"x"}`,
		with(jsonBody, "Prefer", "resolution=merge-duplicates")...), 400, "PGRST127")
	expect(t, s.get(t, "/n_projects?name=eq.x"), 200, `[]`)
}

// The statement is one transaction: a failing related row leaves nothing,
// and each table's privileges and row-level security decide for its rows.
func TestNestedInsertAtomic(t *testing.T) {
	s := startServer(t, nil)
	// The second task breaks a check: no client, project or task remains.
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_clients(name),n_tasks(title)",
		`{"name":"fail1","n_clients":{"name":"gone"},"n_tasks":[{"title":"ok"},{"title":""}]}`, jsonBody...), 400, "23514")
	expect(t, s.get(t, "/n_projects?name=eq.fail1"), 200, `[]`)
	expect(t, s.get(t, "/n_clients?name=eq.gone"), 200, `[]`)
	expect(t, s.get(t, "/n_tasks?title=eq.ok"), 200, `[]`)
	// A duplicate parent (unique name) fails the whole bulk.
	s.send(t, "POST", "/n_clients", `{"name":"dup"}`, jsonBody...)
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_clients(name)",
		`[{"name":"fail2","n_clients":{"name":"new"}},{"name":"fail3","n_clients":{"name":"dup"}}]`, jsonBody...), 409, "23505")
	expect(t, s.get(t, "/n_projects?name=in.(fail2,fail3)"), 200, `[]`)
	expect(t, s.get(t, "/n_clients?name=eq.new"), 200, `[]`)
	// A related value of the wrong JSON type: 400.
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_tasks(title)", `{"name":"fail4","n_tasks":"x"}`, jsonBody...), 400, "22023")

	// No INSERT on the child table: 401 anonymous, 403 with a role.
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_notes(body)", `{"name":"fail5","n_notes":[{"body":"b"}]}`, jsonBody...), 401, "42501")
	alice := bearer(token(t, map[string]any{"role": "todo_user", "sub": "alice"}))
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_notes(body)", `{"name":"fail6","n_notes":[{"body":"b"}]}`,
		with(jsonBody, alice...)...), 403, "42501")
	// The child's policy: alice may add only tasks titled "alice:...".
	expect(t, s.send(t, "POST", "/n_projects?columns=name,n_tasks(title)&select=name,n_tasks(title)",
		`{"name":"rls1","n_tasks":[{"title":"alice: mine"}]}`, with(with(jsonBody, alice...), "Prefer", "return=representation")...),
		201, `[{"name":"rls1","n_tasks":[{"title":"alice: mine"}]}]`)
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_tasks(title)",
		`{"name":"rls2","n_tasks":[{"title":"alice: mine"},{"title":"bob: theirs"}]}`, with(jsonBody, alice...)...), 403, "42501")
	expect(t, s.get(t, "/n_projects?name=in.(fail4,fail5,fail6,rls2)"), 200, `[]`)
}

// Many to many: the related rows, then the junction's rows that link them.
func TestNestedInsertManyToMany(t *testing.T) {
	s := startServer(t, nil)
	repr := with(jsonBody, "Prefer", "return=representation")
	expect(t, s.send(t, "POST", "/n_projects?columns=name,n_tags(name)&select=name,n_tags(name)",
		`[{"name":"mm1","n_tags":[{"name":"red"},{"name":"blue"}]},{"name":"mm2","n_tags":{"name":"green"}},{"name":"mm3"}]`, repr...), 201,
		`[{"name":"mm1","n_tags":[{"name":"red"},{"name":"blue"}]},{"name":"mm2","n_tags":[{"name":"green"}]},{"name":"mm3","n_tags":[]}]`)
	expect(t, s.get(t, "/n_tags?select=name,n_projects(name)&name=in.(red,blue,green)&order=name"), 200,
		`[{"name":"blue","n_projects":[{"name":"mm1"}]},{"name":"green","n_projects":[{"name":"mm2"}]},{"name":"red","n_projects":[{"name":"mm1"}]}]`)
	// Computed relationships are not followed.
	expectError(t, s.send(t, "POST", "/n_projects?columns=name,n_first_task(title)", `{"name":"x"}`, jsonBody...), 400, "PGRST127")
}

// A self-reference: the parent by the foreign key's column, the children
// by the table's name, as in select.
func TestNestedInsertSelf(t *testing.T) {
	s := startServer(t, nil)
	expect(t, s.send(t, "POST", "/n_categories?columns=name,parent_id(name),n_categories(name,n_categories(name))"+
		"&select=name,parent:parent_id(name),children:n_categories(name,n_categories(name))",
		`{"name":"fruit","parent_id":{"name":"food"},"n_categories":[{"name":"apple","n_categories":[{"name":"gala"}]},{"name":"pear"}]}`,
		with(jsonBody, "Prefer", "return=representation")...), 201,
		`[{"name":"fruit","parent":{"name":"food"},"children":[{"name":"apple","n_categories":[{"name":"gala"}]},{"name":"pear","n_categories":[]}]}]`)
	// Back up to the row of the same request, and further up to one
	// already there.
	s.send(t, "POST", "/n_categories", `{"id":100,"name":"things"}`, jsonBody...)
	expect(t, s.send(t, "POST", "/n_categories?columns=name,parent_id,n_categories(name)&select=name,n_categories(name,parent_id(name,parent_id(name)))",
		`{"name":"tools","parent_id":100,"n_categories":[{"name":"saw"}]}`, with(jsonBody, "Prefer", "return=representation")...), 201,
		`[{"name":"tools","n_categories":[{"name":"saw","parent_id":{"name":"tools","parent_id":{"name":"things"}}}]}]`)
	expect(t, s.get(t, "/n_categories?name=eq.gala&select=name,parent_id(name,parent_id(name,parent_id(name)))"), 200,
		`[{"name":"gala","parent_id":{"name":"apple","parent_id":{"name":"fruit","parent_id":{"name":"food"}}}}]`)
}

// Rows are matched with their objects by order: when a trigger skips one,
// the statement fails rather than give related rows to the wrong parent.
func TestNestedInsertSkippedRows(t *testing.T) {
	s := startServer(t, nil)
	expect(t, s.send(t, "POST", "/n_boards?columns=name,n_cards(title)&select=name,n_cards(title)",
		`[{"name":"b1","n_cards":[{"title":"c1"}]},{"name":"b2","n_cards":[{"title":"c2"}]}]`,
		with(jsonBody, "Prefer", "return=representation")...), 201,
		`[{"name":"b1","n_cards":[{"title":"c1"}]},{"name":"b2","n_cards":[{"title":"c2"}]}]`)
	body := expectError(t, s.send(t, "POST", "/n_boards?columns=name,n_cards(title)",
		`[{"name":"skip1","n_cards":[{"title":"s1"}]},{"name":"b3","n_cards":[{"title":"s2"}]}]`, jsonBody...), 400, "22P02")
	if msg, _ := body["message"].(string); !strings.Contains(msg, "nested insert into n_boards: 1 rows came back for 2 objects") {
		t.Errorf("message %q", msg)
	}
	expect(t, s.get(t, "/n_cards?title=in.(s1,s2)"), 200, `[]`)
	expect(t, s.get(t, "/n_boards?name=eq.b3"), 200, `[]`)
}
