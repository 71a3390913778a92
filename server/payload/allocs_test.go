package payload

import "testing"

// TestAllocs: parsing a body again into a reused Payload allocates nothing.
func TestAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, c := range []struct {
		name, ct string
		body     []byte
		opt      Options
	}{
		{"json bulk", "application/json; charset=utf-8", bulkJSON(1000), Options{}},
		{"json escaped keys", "", []byte(`[{"\u00e9":1,"b\"":[{"x":{}}]},{"b\"":2,"é":3}]`), Options{}},
		{"json scalar", "", []byte(`"x"`), Options{}},
		{"json columns", "", []byte(`[{"a":1}]`), Options{Columns: true}},
		{"json rpc empty", "", nil, Options{RPC: true}},
		{"csv", "text/csv", bulkCSV(1000), Options{}},
		{"form", "application/x-www-form-urlencoded", bulkForm(20), Options{RPC: true}},
		{"raw", "text/plain", []byte("hello"), Options{RPC: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Payload
			ct := []byte(c.ct)
			parse := func() {
				if err := p.Parse(ct, c.body, c.opt); err != nil {
					t.Fatal(err)
				}
			}
			parse()
			if n := testing.AllocsPerRun(20, parse); n != 0 {
				t.Fatalf("%v allocations per Parse", n)
			}
		})
	}
	// Refusals with fixed messages allocate nothing either.
	var p Payload
	bad := []byte(`[{"a":1},{"b":2}]`)
	if n := testing.AllocsPerRun(20, func() { _ = p.Parse(nil, bad, Options{}) }); n != 0 {
		t.Fatalf("%v allocations per refused Parse", n)
	}
}
