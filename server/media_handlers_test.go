package server_test

import (
	"testing"
)

// Media type handlers (aggregates and functions returning a domain named
// after a media type) and the corner cases of Accept, against
// sql/test_fixture.sql's "media type handlers" section.

func TestEmptyAccept(t *testing.T) {
	s := startServer(t, nil)
	// A present but empty Accept accepts nothing, as in PostgREST.
	r := s.get(t, "/todos", "Accept", "")
	expect(t, r, 406, `{"code":"PGRST107","details":null,"hint":null,"message":"None of these media types are available: "}`)
	expectHeader(t, r, "Content-Type", "application/json; charset=utf-8")
	// A missing one is */*.
	expectHeader(t, s.get(t, "/todos?id=eq.1"), "Content-Type", "application/json; charset=utf-8")
}

func TestMediaHandlers(t *testing.T) {
	s := startServer(t, nil)
	acc := func(mt string) []string { return []string{"Accept", mt} }
	html := "<ul><li>Home</li><li>About & Co</li></ul>"

	// A table's aggregate renders the body, with the media type as sent
	// (no charset for a type PostgREST does not know).
	expectRaw(t, s.get(t, "/media_pages?order=id", acc("text/html")...), 200, "text/html", html)
	expectRaw(t, s.get(t, "/media_pages?select=*&id=eq.2", acc("text/html")...), 200, "text/html", "<ul><li>About & Co</li></ul>")
	// No rows: the aggregate's initial state through the final function.
	expectRaw(t, s.get(t, "/media_pages?id=eq.99", acc("text/html")...), 200, "text/html", "<ul></ul>")
	// A view has handlers of its own row type.
	expectRaw(t, s.get(t, "/media_pages_view", acc("text/html")...), 200, "text/html", "<p>About & Co</p>")
	// Bytes of a bytea domain arrive as they are.
	expectRaw(t, s.get(t, "/media_pages?order=id", acc("application/vnd.twkb")...), 200, "application/vnd.twkb", "Home\x00About & Co\x00")
	// No rows and no initial state: an empty body.
	expectRaw(t, s.get(t, "/media_pages?id=eq.99", acc("application/vnd.twkb")...), 200, "application/vnd.twkb", "")
	// A jsonb domain answers jsonb's text, without the version byte that
	// starts jsonb's binary form.
	expectRaw(t, s.get(t, "/media_pages?order=id", acc("application/vnd.pages+json")...), 200, "application/vnd.pages+json", `["Home", "About & Co"]`)

	// q-values and order of preference decide between handlers and JSON.
	expect(t, s.get(t, "/media_pages?id=eq.1", acc("text/html;q=0.5, application/json")...), 200, `[{"id":1,"title":"Home"}]`)
	expectRaw(t, s.get(t, "/media_pages?order=id", acc("application/xhtml+xml, text/html;q=0.9, */*;q=0.8")...), 200, "text/html", html)
	// Without Accept (or with */*) it is JSON.
	expect(t, s.get(t, "/media_pages?id=eq.1"), 200, `[{"id":1,"title":"Home"}]`)

	// A table's own handlers need the default select: its row type.
	for _, path := range []string{"/media_pages?select=id", "/media_pages?select=title,id", "/media_pages?select=id,title"} {
		expect(t, s.get(t, path, acc("application/vnd.twkb")...), 406,
			`{"code":"PGRST107","details":null,"hint":null,"message":"None of these media types are available: application/vnd.twkb"}`)
	}
	// No handler for the media type (a private schema's aggregate does not
	// count), or another case than the domain's name.
	for _, mt := range []string{"text/markdown", "Text/HTML"} {
		expect(t, s.get(t, "/media_pages", acc(mt)...), 406,
			`{"code":"PGRST107","details":null,"hint":null,"message":"None of these media types are available: `+mt+`"}`)
	}
	expect(t, s.get(t, "/todos", acc("text/html")...), 406,
		`{"code":"PGRST107","details":null,"hint":null,"message":"None of these media types are available: text/html"}`)

	// Built-in types a table overrides: text/csv and text/xml keep their
	// charset; the vendor JSON types cannot be overridden.
	expectRaw(t, s.get(t, "/media_pages?order=id", acc("text/csv")...), 200, "text/csv; charset=utf-8", "id;title\n1;Home\n2;About & Co\n")
	expectRaw(t, s.get(t, "/media_pages?order=id", acc("text/xml")...), 200, "text/xml; charset=utf-8", "<page>Home</page><page>About &amp; Co</page>")
	r := s.get(t, "/media_pages?id=eq.1", acc("application/vnd.pgrst.object")...)
	expect(t, r, 200, `{"id":1,"title":"Home"}`)
	expectHeader(t, r, "Content-Type", "application/vnd.pgrst.object+json; charset=utf-8")
	// With another select the built-in CSV answers.
	expectRaw(t, s.get(t, "/media_pages?select=title&order=id", acc("text/csv")...), 200, "text/csv; charset=utf-8", "title\nHome\n\"About & Co\"")

	// application/json overridden for one table: only when asked for.
	expectRaw(t, s.get(t, "/media_ov_json", acc("application/json")...), 200, "application/json; charset=utf-8", `{"overridden": true}`)
	expect(t, s.get(t, "/media_ov_json"), 200, `[{"id":1}]`)
	expect(t, s.get(t, "/media_ov_json", acc("*/*")...), 200, `[{"id":1}]`)

	// An anyelement handler serves every relation, whatever the select,
	// embeds included.
	expectRaw(t, s.get(t, "/media_pages?order=id", acc("pg/outfunc")...), 200, "pg/outfunc", "(1,Home)\n(2,\"About & Co\")\n")
	expectRaw(t, s.get(t, "/media_pages?select=title,id&order=id", acc("pg/outfunc")...), 200, "pg/outfunc", "(Home,1)\n(\"About & Co\",2)\n")
	expectRaw(t, s.get(t, "/films?select=id,directors(last_name)&id=eq.1", acc("pg/outfunc")...), 200, "pg/outfunc",
		"(1,\"{\"\"last_name\"\":\"\"McCarey\"\"}\")\n")

	// HEAD: no body, the handler's Content-Type.
	r = s.do(t, "HEAD", "/media_pages", acc("text/html")...)
	expectRaw(t, r, 200, "text/html", "")
	// Counting works as with JSON.
	r = s.get(t, "/media_pages?order=id&limit=1", "Accept", "text/html", "Prefer", "count=exact")
	expectRaw(t, r, 206, "text/html", "<ul><li>Home</li></ul>")
	expectHeader(t, r, "Content-Range", "0-0/2")
}

// A table's "*/*" handler answers every accepted media type (with the
// default select) as application/octet-stream, unless it sets its own
// Content-Type; other selects fall back to the built-in types.
func TestMediaHandlerAnyType(t *testing.T) {
	s := startServer(t, nil)
	expectRaw(t, s.get(t, "/media_numbers?val=eq.1", "Accept", "*/*"), 200, "application/octet-stream", "anything\n1")
	expectRaw(t, s.get(t, "/media_numbers?order=val", "Accept", "magic/number"), 200, "magic/number", "magic\n1\n2\n3")
	expectRaw(t, s.get(t, "/media_numbers?val=eq.3", "Accept", "crazy/bingo"), 200, "crazy/bingo", "crazy\n3")
	expectRaw(t, s.get(t, "/media_numbers?val=eq.2", "Accept", "unknown/unknown"), 200, "application/octet-stream", "anything\n2")
	// Even application/json, and no Accept at all.
	expectRaw(t, s.get(t, "/media_numbers?val=eq.2", "Accept", "application/json"), 200, "application/octet-stream", "anything\n2")
	expectRaw(t, s.get(t, "/media_numbers?val=eq.2"), 200, "application/octet-stream", "anything\n2")
	// But not the vendor types, nor a select of its own.
	expect(t, s.get(t, "/media_numbers?val=eq.2", "Accept", "application/vnd.pgrst.object+json"), 200, `{"val":2}`)
	expect(t, s.get(t, "/media_numbers?select=val&val=eq.2", "Accept", "*/*"), 200, `[{"val":2}]`)
	expect(t, s.get(t, "/media_numbers?select=val&val=eq.2", "Accept", "magic/number"), 406,
		`{"code":"PGRST107","details":null,"hint":null,"message":"None of these media types are available: magic/number"}`)
}
