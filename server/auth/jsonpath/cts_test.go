package jsonpath

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// The JSONPath Compliance Test Suite, the RFC 9535 working group's cases
// (github.com/jsonpath-standard/jsonpath-compliance-test-suite, BSD-2
// licence), is not part of this repository. To run it, put its cts.json
// in testdata/ (git-ignored), or name the file in JSONPATH_CTS:
//
//	git clone --depth 1 https://github.com/jsonpath-standard/jsonpath-compliance-test-suite /tmp/cts
//	JSONPATH_CTS=/tmp/cts/cts.json go test ./server/auth/jsonpath/
//
// Without it, TestComplianceSuite is skipped.

// ctsExclusions are the cases this package deliberately does not pass,
// by name, with the reason.
var ctsExclusions = map[string]string{}

type ctsCase struct {
	Name     string
	Selector string
	Document any
	Result   []any
	Results  [][]any
	Invalid  bool `json:"invalid_selector"`
}

func loadCTS(t *testing.T) []ctsCase {
	path := os.Getenv("JSONPATH_CTS")
	if path == "" {
		path = "testdata/cts.json"
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("no %s: see cts_test.go for how to get the compliance test suite", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var suite struct{ Tests []ctsCase }
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&suite); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return suite.Tests
}

func TestComplianceSuite(t *testing.T) {
	cases := loadCTS(t)
	passed, excluded := 0, 0
	for _, c := range cases {
		if reason, ok := ctsExclusions[c.Name]; ok {
			excluded++
			t.Logf("excluded %q (%s): %s", c.Name, c.Selector, reason)
			continue
		}
		if ctsCheck(t, c) {
			passed++
		}
	}
	t.Logf("%d of %d compliance cases passed, %d excluded", passed, len(cases), excluded)
	if excluded != len(ctsExclusions) {
		t.Errorf("%d exclusions name no case of the suite", len(ctsExclusions)-excluded)
	}
}

func ctsCheck(t *testing.T, c ctsCase) bool {
	t.Helper()
	q, err := Parse(c.Selector)
	if c.Invalid {
		if err == nil {
			t.Errorf("%s: %q parsed, want an error", c.Name, c.Selector)
			return false
		}
		return true
	}
	if err != nil {
		t.Errorf("%s: %q: %v", c.Name, c.Selector, err)
		return false
	}
	got := q.Select(c.Document)
	if got == nil {
		got = []any{}
	}
	want := c.Results
	if c.Results == nil {
		want = [][]any{c.Result}
	}
	for _, w := range want {
		if Equal(got, w) {
			return true
		}
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	t.Errorf("%s: %q on %v gave %s, want %s", c.Name, c.Selector, c.Document, g, w)
	return false
}
