package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"unicode/utf8"
)

// fuzzMedia are the Content-Types FuzzPayload picks from with its first
// argument (bit 2 of which asks for a function's body).
var fuzzMedia = [...]string{"application/json", "text/csv", "application/x-www-form-urlencoded"}

// FuzzPayload checks that no body makes Parse panic or loop; that a JSON
// body is valid exactly when encoding/json says so (and it is UTF-8, which
// aeson and PostgreSQL require); that its keys, rows and mismatches are
// those encoding/json finds; that converted CSV and form bodies are valid
// JSON with the keys Parse reports; and that a reused Payload gives the
// same result as a fresh one. Seeds live in testdata/fuzz/FuzzPayload.
func FuzzPayload(f *testing.F) {
	f.Add(uint8(0), []byte(`[{"a":1,"b":[{"c":"\u00e9"}]},{"b":null,"a":2}]`))
	f.Add(uint8(1), []byte("a,b\n\"x,\"\"y\"\"\",NULL\r\n\n2,3"))
	f.Add(uint8(2), []byte("a=1&b=%41+c;a"))
	f.Fuzz(func(t *testing.T, media uint8, body []byte) {
		ct := []byte(fuzzMedia[int(media&3)%len(fuzzMedia)])
		opt := Options{RPC: media&4 != 0}
		var p Payload
		err := p.Parse(ct, body, opt)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != "PGRST102" || e.Status != 400 {
				t.Fatalf("error %#v", err)
			}
		}

		// A reused Payload, last filled with other bodies, agrees.
		var q Payload
		_ = q.Parse([]byte("text/csv"), []byte("z,y,x\n1,2,3\n"), Options{})
		_ = q.Parse(nil, []byte(`[{"b":1,"\u0061":[[]]}]`), Options{})
		err2 := q.Parse(ct, body, opt)
		if err2 != err && (err2 == nil || err == nil || err.Error() != err2.Error()) ||
			!bytes.Equal(q.JSON, p.JSON) || !slices.Equal(q.Keys, p.Keys) ||
			q.Rows != p.Rows || q.Array != p.Array || q.Empty != p.Empty {
			t.Fatalf("reused Payload differs: %v %+v\nfresh: %v %+v", err2, q, err, p)
		}

		switch string(ct) {
		case "application/json":
			checkJSON(t, &p, body, opt, err)
		case "text/csv":
			if err == nil {
				checkConverted(t, &p, true)
			}
		default:
			if err != nil {
				t.Fatalf("form refused: %v", err)
			}
			checkConverted(t, &p, false)
			if len(p.Form) > len(body)+1 {
				t.Fatalf("%d pairs from %d bytes", len(p.Form), len(body))
			}
		}
	})
}

// checkJSON compares Parse on a JSON body with encoding/json.
func checkJSON(t *testing.T, p *Payload, body []byte, opt Options, err error) {
	if opt.RPC && len(body) == 0 {
		if err != nil || string(p.JSON) != "{}" {
			t.Fatalf("empty function body: %v %q", err, p.JSON)
		}
		return
	}
	valid := json.Valid(body) && utf8.Valid(body)
	if ours := err == nil || err == errKeysMismatch; ours != valid {
		t.Fatalf("Parse says %v, encoding/json says valid %v", err, valid)
	}
	if !valid {
		return
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if e := d.Decode(&v); e != nil {
		t.Fatalf("encoding/json: %v", e)
	}
	wantErr, wantRows, wantArray := error(nil), 0, true
	var wantKeys []string
	switch v := v.(type) {
	case map[string]any:
		wantKeys, wantRows, wantArray = setOf(v), 1, false
	case []any:
		wantRows = len(v)
		for i, e := range v {
			m, ok := e.(map[string]any)
			switch {
			case !ok:
				wantErr = errKeysMismatch
			case i == 0:
				wantKeys = setOf(m)
			case !slices.Equal(setOf(m), wantKeys):
				wantErr = errKeysMismatch
			}
		}
	}
	if err != wantErr {
		t.Fatalf("error %v, want %v", err, wantErr)
	}
	if err != nil {
		return
	}
	if !slices.Equal(p.Keys, wantKeys) && len(p.Keys)+len(wantKeys) > 0 {
		t.Fatalf("keys %q, encoding/json finds %q", p.Keys, wantKeys)
	}
	if p.Rows != wantRows || p.Array != wantArray {
		t.Fatalf("rows %d array %v, want %d %v", p.Rows, p.Array, wantRows, wantArray)
	}
	switch v.(type) {
	case map[string]any, []any:
	default:
		if string(p.JSON) != "[]" {
			t.Fatalf("a scalar gives %q", p.JSON)
		}
	}
}

// checkConverted checks the JSON made of a CSV (array) or form (object)
// body: it is valid, it has Rows objects, and each has the keys Keys.
func checkConverted(t *testing.T, p *Payload, array bool) {
	if !json.Valid(p.JSON) {
		t.Fatalf("invalid JSON made: %q", p.JSON)
	}
	var rows []map[string]*string
	if array {
		if e := json.Unmarshal(p.JSON, &rows); e != nil {
			t.Fatalf("%v: %q", e, p.JSON)
		}
	} else {
		var row map[string]*string
		if e := json.Unmarshal(p.JSON, &row); e != nil {
			t.Fatalf("%v: %q", e, p.JSON)
		}
		rows = append(rows, row)
	}
	if len(rows) != p.Rows || p.Array != array {
		t.Fatalf("%d objects in %q, Rows %d, Array %v", len(rows), p.JSON, p.Rows, p.Array)
	}
	for _, r := range rows {
		if k := setOf(r); !slices.Equal(k, p.Keys) && len(k)+len(p.Keys) > 0 {
			t.Fatalf("object keys %q, Keys %q", k, p.Keys)
		}
	}
}

// setOf is the keys of m in byte order.
func setOf[V any](m map[string]V) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	slices.Sort(k)
	return k
}
