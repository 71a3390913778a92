package media

import "testing"

// Decoding and naming agree with PostgREST's messages: known types get
// their canonical name whatever their case and parameters, unknown ones
// keep the text as sent.
func TestDecodeMime(t *testing.T) {
	for _, c := range []struct {
		in   string
		kind Kind
		mime string
	}{
		{"application/json", JSON, "application/json"},
		{"Application/JSON;charset=utf-8", JSON, "application/json"},
		{"*/*", Any, "*/*"},
		{"application/vnd.pgrst.array+json", JSON, "application/json"},
		{"application/vnd.pgrst.array+json;nulls=stripped", ArrayStripped, "application/vnd.pgrst.array+json;nulls=stripped"},
		{"application/vnd.pgrst.object+json", Object, "application/vnd.pgrst.object+json"},
		{"ApplicatIon/vnd.PgRsT.object+json", Object, "application/vnd.pgrst.object+json"},
		{"application/vnd.pgrst.object; NULLS = stripped", ObjectStripped, "application/vnd.pgrst.object+json;nulls=stripped"},
		{"text/csv", CSV, "text/csv"},
		{"text/plain", Text, "text/plain"},
		{"text/xml", XML, "text/xml"},
		{"application/octet-stream", Octet, "application/octet-stream"},
		{"application/geo+json", GeoJSON, "application/geo+json"},
		{"application/openapi+json", OpenAPI, "application/openapi+json"},
		{"application/x-www-form-urlencoded", URLEncoded, "application/x-www-form-urlencoded"},
		{"application/vnd.twkb", Other, "application/vnd.twkb"},
		{"garbage", Other, "garbage"},
		{"caf\xe9/x", Other, "café/x"},
		{"application/vnd.pgrst.plan", Plan, `application/vnd.pgrst.plan+text; for="application/json"`},
		{"application/vnd.pgrst.plan;", Plan, `application/vnd.pgrst.plan+text; for="application/json"`},
		{`application/vnd.pgrst.plan ; for="text/xml" ; options=analyze`, Plan, `application/vnd.pgrst.plan+text; for="text/xml"; options=analyze`},
		{`application/vnd.pgrst.plan+json;for="text/csv"`, Plan, `application/vnd.pgrst.plan+json; for="text/csv"`},
		{`application/vnd.pgrst.plan+json;options=wal|bogus|analyze`, Plan, `application/vnd.pgrst.plan+json; for="application/json"; options=analyze|wal`},
		{`application/vnd.pgrst.plan;for=""`, Plan, `application/vnd.pgrst.plan+text; for=""`},
	} {
		got := Decode([]byte(c.in))
		if got.Kind != c.kind || got.Mime() != c.mime {
			t.Errorf("Decode(%q) = kind %d %q, want kind %d %q", c.in, got.Kind, got.Mime(), c.kind, c.mime)
		}
	}
}

// Param takes the last value of a key, quoted or not, and stops at the
// first text that is not a parameter.
func TestParam(t *testing.T) {
	for _, c := range []struct {
		params, key, want string
		found             bool
	}{
		{`;a=1;b=2`, "b", "2", true},
		{`;a=1;A=3`, "a", "3", true},
		{` ; for = "text/csv;x" `, "for", "text/csv;x", true},
		{`;a=1 junk;b=2`, "b", "", false},
		{`;version=3.1`, "version", "3.1", true},
		{`; version=3.1 ;a=b`, "a", "b", true},
		{`;version=3.1/x;a=b`, "a", "", false},
		{`;a="unterminated`, "a", "", false},
		{``, "a", "", false},
	} {
		v, ok := Param([]byte(c.params), c.key)
		if string(v) != c.want || ok != c.found {
			t.Errorf("Param(%q, %q) = %q %v, want %q %v", c.params, c.key, v, ok, c.want, c.found)
		}
	}
}
