package planner

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pgrst/pgrst/cache"
)

// A media type handler's aggregate builds the body: over the row cast to
// the relation's type, or over the row as it is for anyelement; a bytea
// domain arrives hex-encoded.
func TestHandlerBody(t *testing.T) {
	s := testSchema()
	films := cache.QName{Schema: "test", Name: "films"}
	html := &cache.MediaHandler{Aggregate: cache.QName{Schema: "test", Name: "films_html"}, Target: films, Media: "text/html"}
	png := &cache.MediaHandler{Aggregate: cache.QName{Schema: "test", Name: "any_png"}, AnyElement: true, Media: "image/png", Binary: true}
	q := mustParse(t, "id=eq.1")
	cases := []struct {
		h    *cache.MediaHandler
		want string
		hex  bool
	}{
		{html, `coalesce("test"."films_html"(_pgrst_t::"test"."films")::text, '') AS body`, false},
		{png, `coalesce(encode("test"."any_png"(_pgrst_t)::bytea, 'hex'), '') AS body`, true},
	}
	var keys [][]byte
	for _, c := range cases {
		o := ReadOptions{Schema: "test", Body: BodyHandler, Handler: c.h}
		p, err := NewReadPlan(q, s, "films", o)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.SQL, c.want) || p.HexBody != c.hex {
			t.Errorf("%s: hex %v\n%s", c.h.Aggregate.Name, p.HexBody, p.SQL)
		}
		keys = append(keys, AppendReadKey(nil, q, "films", o))
	}
	// Plans of two handlers are cached apart, and apart from JSON's.
	keys = append(keys, AppendReadKey(nil, q, "films", ReadOptions{Schema: "test"}))
	if bytes.Equal(keys[0], keys[1]) || bytes.Equal(keys[0], keys[2]) || bytes.Equal(keys[1], keys[2]) {
		t.Errorf("keys collide: %q", keys)
	}
	// HEAD builds no body.
	p, err := NewReadPlan(q, s, "films", ReadOptions{Schema: "test", Body: BodyHandler, Handler: html, Head: true})
	if err != nil || strings.Contains(p.SQL, "films_html") {
		t.Errorf("HEAD: %v %s", err, p.SQL)
	}
}

func TestDefaultSelect(t *testing.T) {
	for qs, want := range map[string]bool{
		"": true, "select=": true, "select=*": true, "id=eq.1": true,
		"select=id": false, "select=*,id": false, "select=*,directors(*)": false, "select=data->a": false,
	} {
		if got := DefaultSelect(mustParse(t, qs)); got != want {
			t.Errorf("%q: %v", qs, got)
		}
	}
}
