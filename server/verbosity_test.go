package server_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// client-error-verbosity: verbose (the default) gives code, details, hint
// and message; minimal only code and message, for the planner's errors
// and the database's alike.
func TestClientErrorVerbosity(t *testing.T) {
	keys := func(t *testing.T, body string) []string {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("not a JSON object: %s", body)
		}
		var k []string
		for name := range m {
			k = append(k, name)
		}
		slices.Sort(k)
		return k
	}
	verbose := startServer(t, nil)
	minimal := startServer(t, func(o *server.Options, _ *wire.Options) { o.MinimalErrors = true })
	for _, c := range []struct {
		path, code string
		status     int
	}{
		{"/inj_nope", "PGRST205", 404},
		{"/inj?id=eq.not-a-number", "22P02", 400},
		{"/inj?select=id&order=id.sideways", "PGRST100", 400},
	} {
		r := verbose.get(t, c.path)
		expectError(t, r, c.status, c.code)
		if got := keys(t, r.Body); !slices.Equal(got, []string{"code", "details", "hint", "message"}) {
			t.Errorf("verbose %s: keys %v: %s", c.path, got, r.Body)
		}
		r = minimal.get(t, c.path)
		var m map[string]any
		json.Unmarshal([]byte(r.Body), &m)
		if r.Status != c.status || m["code"] != c.code || m["message"] == "" {
			t.Errorf("minimal %s: %d %s, want %d with code %s", c.path, r.Status, r.Body, c.status, c.code)
		}
		if got := keys(t, r.Body); !slices.Equal(got, []string{"code", "message"}) {
			t.Errorf("minimal %s: keys %v: %s", c.path, got, r.Body)
		}
	}
}
