package server_test

import (
	"testing"
)

// expectRaw checks status, Content-Type and the exact body.
func expectRaw(t testing.TB, r response, status int, contentType, body string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %q", r.Status, status, r.Body)
	}
	expectHeader(t, r, "Content-Type", contentType)
	if r.Body != body {
		t.Errorf("body\n got %q\nwant %q", r.Body, body)
	}
}

func TestSingularObject(t *testing.T) {
	s := startServer(t, nil)
	for _, accept := range []string{"application/vnd.pgrst.object+json", "application/vnd.pgrst.object", "Application/Vnd.Pgrst.Object+JSON"} {
		r := s.get(t, "/todos?select=id,task&id=eq.2", "Accept", accept)
		expect(t, r, 200, `{"id":2,"task":"pat self on back"}`)
		expectHeader(t, r, "Content-Type", "application/vnd.pgrst.object+json; charset=utf-8")
		expectHeader(t, r, "Content-Range", "0-0/*")
	}
	obj := []string{"Accept", "application/vnd.pgrst.object+json"}
	body := expectError(t, s.get(t, "/todos?id=gt.100", obj...), 406, "PGRST116")
	if body["message"] != "Cannot coerce the result to a single JSON object" || body["details"] != "The result contains 0 rows" {
		t.Errorf("body %v", body)
	}
	r := s.get(t, "/todos", obj...)
	body = expectError(t, r, 406, "PGRST116")
	if body["details"] != "The result contains 4 rows" {
		t.Errorf("details %v", body["details"])
	}
	expectHeader(t, r, "Content-Type", "application/json; charset=utf-8")
	expectNoHeader(t, r, "Content-Range")
	// HEAD checks the row count too, without a body.
	if r := s.do(t, "HEAD", "/todos?id=eq.1", obj...); r.Status != 200 || r.Body != "" {
		t.Errorf("HEAD one row: %d %q", r.Status, r.Body)
	}
	if r := s.do(t, "HEAD", "/todos", obj...); r.Status != 406 {
		t.Errorf("HEAD four rows: %d", r.Status)
	}
	// A limit makes a single row out of many.
	expect(t, s.get(t, "/todos?select=id&order=id.desc&limit=1", obj...), 200, `{"id":4}`)
}

func TestNullsStripped(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/formats?select=id,note&order=id", "Accept", "application/vnd.pgrst.array+json;nulls=stripped")
	expectRaw(t, r, 200, "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8",
		`[{"id":1},{"id":2,"note":"say \"hi\""},{"id":3,"note":""}]`)
	r = s.get(t, "/formats?select=id,note,data&id=eq.1", "Accept", "application/vnd.pgrst.object+json;nulls=stripped")
	expectRaw(t, r, 200, "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8", `{"id":1,"data":"\\x00ff41"}`)
	// Without nulls=stripped the vendor array type is plain JSON.
	r = s.get(t, "/formats?select=id,note&id=eq.1", "Accept", "application/vnd.pgrst.array+json")
	expectRaw(t, r, 200, "application/json; charset=utf-8", `[{"id":1,"note":null}]`)
}

func TestCSV(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/formats?order=id", "Accept", "text/csv")
	expectRaw(t, r, 200, "text/csv; charset=utf-8", "id,name,note,data,doc,tags\n"+
		`1,plain,,"\\x00ff41",<a>1</a>,"{x,y}"`+"\n"+
		`2,"with, comma","say ""hi""","\\x42",<b/>,`+"\n"+
		"3,\"two\nlines\",\"\",,,{}")
	expectRaw(t, s.get(t, `/Odd%20Name?order=%22my%20col%22`, "Accept", "text/csv; version=1"), 200, "text/csv; charset=utf-8",
		"my col,quote\"d,ünï\n1,\"a\"\"b\",\"x,y\"\n2,it's,\n3,,z")
	// No rows: no header either.
	expectRaw(t, s.get(t, "/formats?id=eq.99", "Accept", "text/csv"), 200, "text/csv; charset=utf-8", "\n")
	r = s.do(t, "HEAD", "/formats", "Accept", "text/csv")
	expectRaw(t, r, 200, "text/csv; charset=utf-8", "")
}

func TestRawSingleColumn(t *testing.T) {
	s := startServer(t, nil)
	expectRaw(t, s.get(t, "/formats?select=name&order=id", "Accept", "text/plain"), 200,
		"text/plain; charset=utf-8", "plainwith, commatwo\nlines")
	expectRaw(t, s.get(t, "/formats?select=id::text&order=id.desc", "Accept", "text/plain"), 200,
		"text/plain; charset=utf-8", "321")
	expectRaw(t, s.get(t, "/formats?select=data&order=id", "Accept", "application/octet-stream"), 200,
		"application/octet-stream", "\x00\xffAB")
	expectRaw(t, s.get(t, "/formats?select=name&id=eq.1", "Accept", "application/octet-stream"), 200,
		"application/octet-stream", "plain")
	expectRaw(t, s.get(t, "/formats?select=doc&order=id", "Accept", "text/xml"), 200,
		"text/xml; charset=utf-8", "<a>1</a><b/>")
	expectRaw(t, s.get(t, "/formats?select=data&id=eq.99", "Accept", "application/octet-stream"), 200,
		"application/octet-stream", "")

	// More than one column, or a column of another type for text/xml:
	// not producible.
	for _, c := range [][2]string{
		{"/formats", "text/plain"},
		{"/formats?select=id,name", "application/octet-stream"},
		{"/formats?select=*", "text/plain"},
		{"/formats?select=name", "text/xml"},
	} {
		body := expectError(t, s.get(t, c[0], "Accept", c[1]), 406, "PGRST107")
		if body["message"] != "None of these media types are available: "+c[1] {
			t.Errorf("%s: message %v", c[0], body["message"])
		}
	}
	// ... unless a later type fits.
	expectRaw(t, s.get(t, "/formats?select=id&id=eq.1", "Accept", "text/xml, text/plain;q=0.9"), 200,
		"text/plain; charset=utf-8", "1")
}

func TestAcceptNegotiation(t *testing.T) {
	s := startServer(t, nil)
	cases := []struct{ accept, contentType string }{
		{"*/*", "application/json; charset=utf-8"},
		{"application/json", "application/json; charset=utf-8"},
		{"application/json; charset=utf-8", "application/json; charset=utf-8"},
		{"text/csv, application/json", "text/csv; charset=utf-8"},
		{"text/csv, */*", "text/csv; charset=utf-8"},
		{"text/unknowntype, text/csv", "text/csv; charset=utf-8"},
		{"text/csv;q=0.5, application/json", "application/json; charset=utf-8"},
		{"application/json;q=0.1, text/csv", "text/csv; charset=utf-8"},
		{"*/*;q=0.8, text/csv;q=0.8", "text/csv; charset=utf-8"},
		{"text/csv;q=0, application/vnd.pgrst.object+json;q=0.5", "application/vnd.pgrst.object+json; charset=utf-8"},
		{"image/png, */*;q=0.1", "application/json; charset=utf-8"},
	}
	for _, c := range cases {
		r := s.get(t, "/todos?id=eq.1", "Accept", c.accept)
		if r.Status != 200 {
			t.Errorf("%q: status %d %s", c.accept, r.Status, r.Body)
			continue
		}
		expectHeader(t, r, "Content-Type", c.contentType)
	}

	body := expectError(t, s.get(t, "/todos", "Accept", "text/unknowntype"), 406, "PGRST107")
	if body["message"] != "None of these media types are available: text/unknowntype" {
		t.Errorf("message %v", body["message"])
	}
	body = expectError(t, s.get(t, "/todos", "Accept", "text/a;q=0.2, Text/XML, image/*"), 406, "PGRST107")
	if body["message"] != "None of these media types are available: text/xml, image/*, text/a" {
		t.Errorf("message %v", body["message"])
	}
	// A missing table is reported before the media type.
	expectError(t, s.get(t, "/nope", "Accept", "text/unknowntype"), 404, "PGRST205")
	// PGRST107 comes before PGRST122.
	expectError(t, s.get(t, "/todos", "Accept", "text/a", "Prefer", "handling=strict, x"), 406, "PGRST107")
}

// The execution plan media type is not enabled (db-plan-enabled): 406,
// named as PostgREST names it.
func TestPlanMediaTypeDisabled(t *testing.T) {
	s := startServer(t, nil)
	body := expectError(t, s.get(t, "/todos", "Accept", `application/vnd.pgrst.plan+json; for="text/csv"; options=buffers|analyze`), 406, "PGRST107")
	if body["message"] != `None of these media types are available: application/vnd.pgrst.plan+json; for="text/csv"; options=analyze|buffers` {
		t.Errorf("message %v", body["message"])
	}
	body = expectError(t, s.get(t, "/todos", "Accept", "application/vnd.pgrst.plan"), 406, "PGRST107")
	if body["message"] != `None of these media types are available: application/vnd.pgrst.plan+text; for="application/json"` {
		t.Errorf("message %v", body["message"])
	}
}
