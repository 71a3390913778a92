package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// planCost is the total cost of an EXPLAIN (FORMAT JSON) body.
func planCost(t *testing.T, r response) float64 {
	t.Helper()
	var plans []struct {
		Plan map[string]any
	}
	if err := json.Unmarshal([]byte(r.Body), &plans); err != nil || len(plans) != 1 {
		t.Fatalf("not a JSON plan (%v): %s", err, r.Body)
	}
	cost, _ := plans[0].Plan["Total Cost"].(float64)
	return cost
}

// Accept: application/vnd.pgrst.plan answers the statement's EXPLAIN
// when db-plan-enabled is on, for reads, writes and calls.
func TestPlan(t *testing.T) {
	off := startServer(t, nil)
	expectError(t, off.get(t, "/films?id=eq.1", "Accept", "application/vnd.pgrst.plan+json"), 406, "PGRST107")

	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.PlanEnabled = true })
	r := s.get(t, "/films?id=eq.1", "Accept", "application/vnd.pgrst.plan+json")
	expect(t, r, 200, "")
	expectHeader(t, r, "Content-Type", `application/vnd.pgrst.plan+json; for="application/json"; charset=utf-8`)
	if planCost(t, r) <= 0 {
		t.Fatalf("no cost: %s", r.Body)
	}

	// Text is the default format; the options are EXPLAIN's, named in
	// PostgREST's order.
	r = s.get(t, "/films?id=eq.1", "Accept", "application/vnd.pgrst.plan; options=verbose|analyze")
	expect(t, r, 200, "")
	expectHeader(t, r, "Content-Type", `application/vnd.pgrst.plan+text; for="application/json"; options=analyze|verbose; charset=utf-8`)
	if !strings.HasPrefix(r.Body, "Aggregate") || !strings.Contains(r.Body, "actual time") || !strings.Contains(r.Body, "Output:") {
		t.Fatalf("text plan: %s", r.Body)
	}

	// for= picks the body the explained statement builds.
	r = s.get(t, "/films?id=eq.1", "Accept", `application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object"; options=verbose`)
	expectHeader(t, r, "Content-Type", `application/vnd.pgrst.plan+json; for="application/vnd.pgrst.object+json"; options=verbose; charset=utf-8`)
	if !strings.Contains(r.Body, "-> 0") {
		t.Fatalf("not the singular body's plan: %s", r.Body)
	}

	// A write is explained, not run (no analyze).
	r = s.send(t, "POST", "/w_items", `{"id":951,"name":"planned"}`, with(jsonBody, "Accept", "application/vnd.pgrst.plan+json")...)
	expect(t, r, 200, "")
	if planCost(t, r) <= 0 {
		t.Fatalf("no cost: %s", r.Body)
	}
	expect(t, s.get(t, "/w_items?id=eq.951"), 200, `[]`)

	r = s.get(t, "/rpc/films_since?y=1950", "Accept", "application/vnd.pgrst.plan+json")
	expect(t, r, 200, "")
	if planCost(t, r) <= 0 {
		t.Fatalf("no cost: %s", r.Body)
	}
}
