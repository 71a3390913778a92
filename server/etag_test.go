package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// server-etag-enabled: reads and GET calls carry a strong ETag of their
// body; If-None-Match naming it (weakly compared, in a list, or "*")
// answers 304 without a body.
func TestETag(t *testing.T) {
	off := startServer(t, nil)
	if h := off.get(t, "/films?id=eq.1").Header.Get("ETag"); h != "" {
		t.Fatalf("ETag while disabled: %q", h)
	}
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.ETag = true })

	r := s.get(t, "/films?id=eq.1&select=title")
	expect(t, r, 200, `[{"title":"Duck Soup"}]`)
	sum := sha256.Sum256([]byte(r.Body))
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	expectHeader(t, r, "ETag", tag)
	if other := s.get(t, "/films?id=eq.2&select=title").Header.Get("ETag"); other == tag || other == "" {
		t.Fatalf("another body's ETag %q", other)
	}

	for _, inm := range []string{tag, "W/" + tag, `"x", ` + tag, `"x",W/` + tag + ` ,"y"`, "*"} {
		r := s.get(t, "/films?id=eq.1&select=title", "If-None-Match", inm)
		if r.Status != 304 || r.Body != "" {
			t.Fatalf("If-None-Match %s: %d %q", inm, r.Status, r.Body)
		}
		expectHeader(t, r, "ETag", tag)
		if ct := r.Header.Get("Content-Type"); ct != "" {
			t.Fatalf("304 with Content-Type %q", ct)
		}
	}
	for _, inm := range []string{`"x"`, tag[:10] + `"`, tag[1 : len(tag)-1], `"x" ` + tag, `W/"x", "y"`} {
		r := s.get(t, "/films?id=eq.1&select=title", "If-None-Match", inm)
		expect(t, r, 200, `[{"title":"Duck Soup"}]`)
	}

	// HEAD: the same ETag, no body; 304 too.
	r = s.do(t, "HEAD", "/films?id=eq.1&select=title")
	if r.Status != 200 || r.Body != "" {
		t.Fatalf("HEAD: %d %q", r.Status, r.Body)
	}
	expectHeader(t, r, "ETag", tag)
	if r := s.do(t, "HEAD", "/films?id=eq.1&select=title", "If-None-Match", tag); r.Status != 304 {
		t.Fatalf("HEAD If-None-Match: %d", r.Status)
	}

	// Functions read with GET; not POST calls, nor writes, nor errors.
	r = s.get(t, "/rpc/hello?name=etag")
	expect(t, r, 200, `"Hello, etag"`)
	sum = sha256.Sum256([]byte(r.Body))
	call := `"` + hex.EncodeToString(sum[:16]) + `"`
	expectHeader(t, r, "ETag", call)
	if r := s.get(t, "/rpc/hello?name=etag", "If-None-Match", call); r.Status != 304 {
		t.Fatalf("call If-None-Match: %d", r.Status)
	}
	if r := s.send(t, "POST", "/rpc/hello", `{"name":"etag"}`, jsonBody...); r.Header.Get("ETag") != "" {
		t.Fatalf("POST call with ETag %q", r.Header.Get("ETag"))
	}
	r = s.send(t, "POST", "/w_items", `{"id":962,"name":"tagged"}`, append(jsonBody, "Prefer", "return=representation", "If-None-Match", "*")...)
	expect(t, r, 201, "")
	if h := r.Header.Get("ETag"); h != "" {
		t.Fatalf("write with ETag %q", h)
	}
	if r := s.get(t, "/rpc/nothing", "If-None-Match", "*"); r.Status != 204 || r.Header.Get("ETag") != "" {
		t.Fatalf("void call: %d, ETag %q", r.Status, r.Header.Get("ETag"))
	}
	r = s.get(t, "/rpc/teapot", "If-None-Match", "*")
	if r.Status != 418 || r.Header.Get("ETag") != "" {
		t.Fatalf("response.status 418: %d, ETag %q", r.Status, r.Header.Get("ETag"))
	}
	r = s.get(t, "/films?select=nope(", "If-None-Match", "*")
	expectError(t, r, 400, "PGRST100")

	// An ETag the function set itself is kept and compared.
	expectHeader(t, s.get(t, "/rpc/tagged"), "ETag", `W/"v7"`)
	if r := s.get(t, "/rpc/tagged", "If-None-Match", `"v7"`); r.Status != 304 {
		t.Fatalf("own ETag: %d", r.Status)
	}
}
