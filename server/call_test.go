package server_test

import (
	"strings"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

func TestCallGetResults(t *testing.T) {
	s := startServer(t, nil)
	cases := []struct{ path, want string }{
		{"/rpc/add_them?a=1&b=2", `3`},
		{"/rpc/hello", `"Hello, world"`},
		{"/rpc/hello?name=you", `"Hello, you"`},
		{"/rpc/no_args", `"no arguments"`},
		{"/rpc/numbers?n=3", `[1,2,3]`},
		{"/rpc/film?id=4", `{"id":4,"director_id":3,"title":"Rear Window","year":1954,"rating":8.5,"language":"English"}`},
		{"/rpc/film_pair", `[{"a":"x","b":1},{"a":"y","b":2}]`},
		{"/rpc/sum_all?v=1&v=2&v=4", `7`},
		{"/rpc/sum_all?v=5", `5`},
		{"/rpc/array_len?arr={a,b,c}", `3`},
		{"/rpc/add_them?a=1&a=5&b=2", `7`}, // the last repeated argument wins
		{"/rpc/pad?c=abc", `"abc"`},        // character takes any length
		{"/rpc/films_since?y=1960&select=title&order=year.desc&limit=2", `[{"title":"2001: A Space Odyssey"},{"title":"Dr. Strangelove"}]`},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			r := s.get(t, c.path)
			expect(t, r, 200, c.want)
			if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestCallFiltersOnTableResults(t *testing.T) {
	s := startServer(t, nil)
	// y is an argument; year=lt.1960 (an operator) a filter on the rows.
	r := s.get(t, "/rpc/films_since?y=1954&year=lt.1958&select=id,director:directors(last_name)&order=id")
	expect(t, r, 200, `[{"id":4,"director":{"last_name":"Hitchcock"}},{"id":10,"director":{"last_name":"Kurosawa"}}]`)
	r = s.get(t, "/rpc/films_since?y=1950&select=id&order=id&limit=1&offset=1", "Prefer", "count=exact")
	expect(t, r, 206, "")
	if cr := r.Header.Get("Content-Range"); !strings.HasPrefix(cr, "1-1/") {
		t.Errorf("Content-Range %q", cr)
	}
	r = s.get(t, "/rpc/films_since?y=1950&select=id&id=eq.4", "Accept", "application/vnd.pgrst.object+json")
	expect(t, r, 200, `{"id":4}`)
	r = s.get(t, "/rpc/films_since?y=1950&select=id,title&id=eq.4", "Accept", "text/csv")
	if r.Status != 200 || r.Body != "id,title\n4,\"Rear Window\"" {
		t.Errorf("csv: %d %q", r.Status, r.Body)
	}
	r = s.get(t, "/rpc/add_them?a=3&b=4", "Prefer", "count=exact")
	expect(t, r, 200, `7`)
	if cr := r.Header.Get("Content-Range"); cr != "0-0/1" {
		t.Errorf("Content-Range %q, want 0-0/1", cr)
	}
	r = s.do(t, "HEAD", "/rpc/numbers?n=3")
	if r.Status != 200 || r.Body != "" {
		t.Errorf("HEAD: %d %q", r.Status, r.Body)
	}
}

func TestCallVoid(t *testing.T) {
	s := startServer(t, nil)
	r := s.send(t, "POST", "/rpc/nothing", "{}")
	if r.Status != 204 || r.Body != "" || r.Header.Get("Content-Type") != "" {
		t.Errorf("void: %d %q %q", r.Status, r.Body, r.Header.Get("Content-Type"))
	}
}

func TestCallNotFoundAndAmbiguous(t *testing.T) {
	s := startServer(t, nil)
	b := expectError(t, s.get(t, "/rpc/helo"), 404, "PGRST202")
	if b["message"] != "Could not find the function api.helo without parameters in the schema cache" ||
		b["hint"] != "Perhaps you meant to call the function api.hello" ||
		b["details"] != "Searched for the function api.helo without parameters, but no matches were found in the schema cache." {
		t.Errorf("body %v", b)
	}
	b = expectError(t, s.get(t, "/rpc/add_them?a=1&b=2&smthelse=x"), 404, "PGRST202")
	if b["message"] != "Could not find the function api.add_them(a, b, smthelse) in the schema cache" ||
		b["hint"] != "Perhaps you meant to call the function api.add_them(a, b)" ||
		b["details"] != "Searched for the function api.add_them with parameters a, b, smthelse, but no matches were found in the schema cache." {
		t.Errorf("body %v", b)
	}
	b = expectError(t, s.get(t, "/rpc/same?arg=1"), 300, "PGRST203")
	if b["message"] != "Could not choose the best candidate function between: api.same(arg => integer), api.same(arg => xml)" {
		t.Errorf("body %v", b)
	}
	expect(t, s.get(t, "/rpc/over"), 200, `"none"`)
	expect(t, s.get(t, "/rpc/over?a=1&b=2&c=3"), 200, `"a, b, c"`)
	expectError(t, s.get(t, "/rpc/over?a=1&b=2"), 300, "PGRST203") // (a, b) and (a, b, c default)
	expectError(t, s.do(t, "DELETE", "/rpc/hello"), 405, "PGRST101")
}

func TestCallPost(t *testing.T) {
	s := startServer(t, nil)
	expect(t, s.send(t, "POST", "/rpc/add_them", `{"a":1,"b":2}`, "Content-Type", "application/json"), 200, `3`)
	expect(t, s.send(t, "POST", "/rpc/add_them", `[{"a":3,"b":2},{"a":9,"b":9}]`), 200, `5`)
	expect(t, s.send(t, "POST", "/rpc/no_args", ``), 200, `"no arguments"`)
	expect(t, s.send(t, "POST", "/rpc/hello", `{}`), 200, `"Hello, world"`)
	expect(t, s.send(t, "POST", "/rpc/array_len", `{"arr":["a","b"]}`), 200, `2`)
	expect(t, s.send(t, "POST", "/rpc/sum_all", `{"v":[1,2,3]}`), 200, `6`)
	expect(t, s.send(t, "POST", "/rpc/add_them?columns=a,b", `{"a":1,"b":2,"c":3}`), 200, `3`)
	expect(t, s.send(t, "POST", "/rpc/films_since?select=id&id=lt.6", `{"y":1950}`), 200, `[{"id":4},{"id":5}]`)
	expect(t, s.send(t, "POST", "/rpc/add_them", "a=4&b=5", "Content-Type", "application/x-www-form-urlencoded"), 200, `9`)
	expect(t, s.send(t, "POST", "/rpc/echo_json", `{"x":[1]}`), 200, `{"x":[1]}`)
	expect(t, s.send(t, "POST", "/rpc/echo_text", `plain text`, "Content-Type", "text/plain"), 200, `"plain text"`)
	expect(t, s.send(t, "POST", "/rpc/echo_bytes", "\x00\x01\\x", "Content-Type", "application/octet-stream"), 200, `4`)
	expect(t, s.send(t, "POST", "/rpc/single_obj", `{"k":1}`, "Prefer", "params=single-object"), 200, `{"k":1}`)
	expectError(t, s.send(t, "POST", "/rpc/add_them", `sdfsdf`), 400, "PGRST102")
	b := expectError(t, s.send(t, "POST", "/rpc/add_them", `{"a":1}`), 404, "PGRST202")
	if b["details"] != "Searched for the function api.add_them with parameter a or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache." {
		t.Errorf("details %v", b["details"])
	}
}

func TestCallTransactionMode(t *testing.T) {
	s := startServer(t, nil)
	// GET runs read only: a volatile function that writes fails (25006 → 405).
	expectError(t, s.get(t, "/rpc/log_note?note=x"), 405, "25006")
	// POST of a volatile function writes.
	r := s.send(t, "POST", "/rpc/log_note", `{"note":"from post"}`)
	if r.Status != 200 {
		t.Fatalf("POST volatile: %d %s", r.Status, r.Body)
	}
	expect(t, s.send(t, "POST", "/rpc/whoami_call", `{}`), 200, `{"role":"web_anon","method":"POST","read_only":"on"}`)
}

func TestCallErrorsAndSettings(t *testing.T) {
	s := startServer(t, nil)
	expectError(t, s.get(t, "/rpc/raise_pt?code=x"), 402, "PT402")
	r := s.get(t, "/rpc/raise_pgrst")
	if r.Status != 332 || r.Header.Get("X-Header") != "str" {
		t.Errorf("PGRST raise: %d %v %s", r.Status, r.Header, r.Body)
	}
	expect(t, r, 332, `{"code":"123","message":"ABC","details":"DEF","hint":"XYZ"}`)
	expectError(t, s.get(t, "/rpc/raise_bad_pgrst"), 500, "PGRST121")
	r = s.get(t, "/rpc/teapot")
	expect(t, r, 418, `"short and stout"`)
	if r.Header.Get("X-Tea") != "earl grey" {
		t.Errorf("X-Tea %q", r.Header.Get("X-Tea"))
	}
	expectError(t, s.get(t, "/rpc/secret_count"), 401, "42501")
}

func TestCallOptions(t *testing.T) {
	s := startServer(t, nil)
	for path, want := range map[string]string{
		"/rpc/add_them": "OPTIONS,GET,HEAD,POST",
		"/rpc/log_note": "OPTIONS,POST",
	} {
		r := s.do(t, "OPTIONS", path)
		if r.Status != 200 || r.Header.Get("Allow") != want {
			t.Errorf("%s: %d Allow %q, want %q", path, r.Status, r.Header.Get("Allow"), want)
		}
	}
	expectError(t, s.do(t, "OPTIONS", "/rpc/nope"), 404, "PGRST202")
}

// A function returning a media type domain answers in that media type,
// with its value as the body; the raw bodies (text, xml, bytes) go to the
// single unnamed argument of their type; a CSV body's columns are the
// arguments.
func TestCallMediaTypes(t *testing.T) {
	s := startServer(t, nil)
	acc := func(mt string) []string { return []string{"Accept", mt} }
	expectRaw(t, s.get(t, "/rpc/page_html?title=Hi", acc("text/html")...), 200, "text/html", "<h1>Hi</h1>")
	expectRaw(t, s.get(t, "/rpc/page_html", acc("text/markdown, text/html;q=0.5")...), 200, "text/html", "<h1>Home</h1>")
	// Other media types than the function's own: the built-in ones.
	expect(t, s.get(t, "/rpc/page_html", acc("*/*")...), 200, `"<h1>Home</h1>"`)
	expect(t, s.get(t, "/rpc/page_html", acc("text/xml")...), 406,
		`{"code":"PGRST107","details":null,"hint":null,"message":"None of these media types are available: text/xml"}`)
	// xml in its own text form (no leading newline); no value, no body;
	// a bytea domain's bytes as they are.
	expectRaw(t, s.get(t, "/rpc/page_xml", acc("text/xml")...), 200, "text/xml; charset=utf-8", "<page/>")
	expectRaw(t, s.get(t, "/rpc/page_none", acc("text/html")...), 200, "text/html", "")
	expectRaw(t, s.get(t, "/rpc/page_twkb", acc("application/vnd.twkb")...), 200, "application/vnd.twkb", "\x00\xff\n")
	// "*/*" takes whatever is accepted, as application/octet-stream unless
	// the function sets its Content-Type.
	expectRaw(t, s.get(t, "/rpc/page_any", acc("image/whatever")...), 200, "application/octet-stream", "any")
	expectRaw(t, s.get(t, "/rpc/page_any"), 200, "application/octet-stream", "any")
	expectRaw(t, s.get(t, "/rpc/page_any", acc("app/chosen")...), 200, "app/chosen", "any")
	// Only a function returning one value has a media type of its own.
	expect(t, s.get(t, "/rpc/pages_html", acc("text/html")...), 406,
		`{"code":"PGRST107","details":null,"hint":null,"message":"None of these media types are available: text/html"}`)

	expectRaw(t, s.send(t, "POST", "/rpc/raw_echo", "some text", "Content-Type", "text/plain", "Accept", "text/plain"),
		200, "text/plain; charset=utf-8", "some text")
	expectRaw(t, s.send(t, "POST", "/rpc/raw_echo", "\x00\x01\\x", "Content-Type", "application/octet-stream", "Accept", "application/octet-stream"),
		200, "application/octet-stream", "\x00\x01\\x")
	expectRaw(t, s.send(t, "POST", "/rpc/raw_echo", "<a>b</a>", "Content-Type", "text/xml", "Accept", "text/xml"),
		200, "text/xml; charset=utf-8", "<a>b</a>")
	expectError(t, s.send(t, "POST", "/rpc/raw_echo", "<", "Content-Type", "text/xml", "Accept", "text/xml"), 400, "2200N")
	expect(t, s.get(t, "/rpc/raw_echo?x=1&y=2"), 200, `3`)
	// The name's media types serve every overload returning one value.
	expectRaw(t, s.get(t, "/rpc/raw_echo?x=1&y=2", acc("text/plain")...), 200, "text/plain; charset=utf-8", "3")

	expect(t, s.send(t, "POST", "/rpc/raw_echo", "x,y\n1,2", "Content-Type", "text/csv"), 200, `3`)
	b := expectError(t, s.send(t, "POST", "/rpc/raw_echo", "a,b\n1,2", "Content-Type", "text/csv"), 404, "PGRST202")
	if b["details"] != "Searched for the function api.raw_echo with parameters a, b, but no matches were found in the schema cache." ||
		b["hint"] != "Perhaps you meant to call the function api.raw_echo(x, y)" {
		t.Errorf("body %v", b)
	}
}

// Prefer: max-affected and a singular media type check the rows a call
// returns; a call that wrote more is rolled back.
func TestCallMaxAffected(t *testing.T) {
	s := startServer(t, nil)
	strict := func(n string) []string { return []string{"Prefer", "handling=strict, max-affected=" + n} }

	b := expectError(t, s.send(t, "POST", "/rpc/log_many", `{"n":3,"note":"over"}`, strict("2")...), 400, "PGRST124")
	if b["details"] != "The query affects 3 rows" {
		t.Errorf("details %v", b["details"])
	}
	expect(t, s.get(t, "/call_log?select=note&note=eq.over"), 200, `[]`)
	r := s.send(t, "POST", "/rpc/log_many?select=note", `{"n":3,"note":"under"}`, strict("3")...)
	expect(t, r, 200, `[{"note":"under"},{"note":"under"},{"note":"under"}]`)
	expectHeader(t, r, "Preference-Applied", "handling=strict, max-affected=3")
	// Lenient handling ignores it.
	expect(t, s.send(t, "POST", "/rpc/log_many?select=note", `{"n":2,"note":"lenient"}`, "Prefer", "handling=lenient, max-affected=1"),
		200, `[{"note":"lenient"},{"note":"lenient"}]`)
	// A read-only call is checked too.
	expectError(t, s.get(t, "/rpc/numbers?n=3", strict("2")...), 400, "PGRST124")
	expect(t, s.get(t, "/rpc/numbers?n=3", strict("3")...), 200, `[1,2,3]`)
	// Strict max-affected needs a function returning a set.
	for path, body := range map[string]string{"/rpc/log_note": `{"note":"single"}`, "/rpc/nothing": `{}`, "/rpc/film": `{"id":1}`} {
		expect(t, s.send(t, "POST", path, body, strict("1")...), 400,
			`{"code":"PGRST128","details":null,"hint":null,"message":"Function must return SETOF or TABLE when max-affected preference is used with handling=strict"}`)
	}

	// A singular response of a writing call: exactly one row, else
	// PGRST116 and nothing written.
	obj := []string{"Accept", "application/vnd.pgrst.object+json"}
	expect(t, s.send(t, "POST", "/rpc/log_many?select=note", `{"n":1,"note":"one"}`, obj...), 200, `{"note":"one"}`)
	expectError(t, s.send(t, "POST", "/rpc/log_many", `{"n":2,"note":"two"}`, obj...), 406, "PGRST116")
	expect(t, s.get(t, "/call_log?select=note&note=eq.two"), 200, `[]`)
}

// PostgREST 5's Prefer: params=single-object passes the whole body as the
// function's one json argument; it is a valid preference.
func TestCallSingleObject(t *testing.T) {
	s := startServer(t, nil)
	expect(t, s.send(t, "POST", "/rpc/single_obj", `{"a":1,"b":[2]}`, "Prefer", "params=single-object, handling=strict"),
		200, `{"a":1,"b":[2]}`)
	expect(t, s.send(t, "POST", "/rpc/echo_json", `[1,2]`, "Prefer", "params=single-object"), 200, `[1,2]`)
	// Without it the keys name the arguments.
	expectError(t, s.send(t, "POST", "/rpc/single_obj", `{"a":1}`), 404, "PGRST202")
}

// A called function's own settings listed in db-hoisted-tx-settings apply
// to the whole transaction; its default_transaction_isolation is the
// transaction's isolation level.
func TestCallHoistedSettings(t *testing.T) {
	hoisting := func(names ...string) func(*server.Options, *wire.Options) {
		return func(o *server.Options, _ *wire.Options) { o.HoistedTxSettings = names }
	}
	s := startServer(t, hoisting("statement_timeout", "plan_filter.statement_cost_limit"))
	expect(t, s.get(t, "/rpc/hoisted?select=id,hoist_timeout"), 200, `[{"id":1,"hoist_timeout":"4321ms"}]`)
	// Not listed: the function's alone.
	if r := s.get(t, "/rpc/hoisted?select=hoist_work_mem"); r.Status != 200 || strings.Contains(r.Body, "1234kB") {
		t.Errorf("work_mem hoisted: %d %s", r.Status, r.Body)
	}
	expect(t, s.get(t, "/rpc/serial_rows?select=hoist_isolation"), 200, `[{"hoist_isolation":"serializable"}]`)
	expect(t, s.send(t, "POST", "/rpc/serial_rows?select=hoist_isolation", `{}`), 200, `[{"hoist_isolation":"serializable"}]`)
	// Reads of tables are not concerned.
	expect(t, s.get(t, "/hoist_rows?select=hoist_timeout,hoist_isolation"), 200,
		`[{"hoist_timeout":"0","hoist_isolation":"read committed"}]`)

	s = startServer(t, hoisting())
	expect(t, s.get(t, "/rpc/hoisted?select=id,hoist_timeout"), 200, `[{"id":1,"hoist_timeout":"0"}]`)
	expect(t, s.get(t, "/rpc/serial_rows?select=hoist_isolation"), 200, `[{"hoist_isolation":"serializable"}]`)
}

// The settings of the request's role (ALTER ROLE r SET) apply to its
// requests, default_transaction_isolation as the isolation level, which
// a called function's own overrides; settings a user may not change are
// left out.
func TestRoleSettings(t *testing.T) {
	s := startServer(t, nil)
	auth := []string{"Authorization", "Bearer " + token(t, map[string]any{"role": "timeout_user"})}
	expect(t, s.get(t, "/hoist_rows?select=hoist_timeout,hoist_isolation", auth...), 200,
		`[{"hoist_timeout":"2345ms","hoist_isolation":"repeatable read"}]`)
	expect(t, s.get(t, "/rpc/serial_rows?select=hoist_isolation", auth...), 200, `[{"hoist_isolation":"serializable"}]`)
	// Another role, its own.
	expect(t, s.get(t, "/hoist_rows?select=hoist_timeout,hoist_isolation"), 200,
		`[{"hoist_timeout":"0","hoist_isolation":"read committed"}]`)
}

// A computed column on a call's rows, though overloaded for another row
// type, in select, filters and order.
func TestCallComputedColumn(t *testing.T) {
	s := startServer(t, nil)
	expect(t, s.get(t, "/rpc/films_since?y=1950&select=id,call_label&call_label=like.*Window*"), 200,
		`[{"id":4,"call_label":"film: Rear Window"}]`)
	expect(t, s.get(t, "/rpc/film?id=4&select=call_label"), 200, `{"call_label":"film: Rear Window"}`)
	expect(t, s.get(t, "/directors?select=call_label&id=eq.3"), 200, `[{"call_label":"director: Hitchcock"}]`)
}
