package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/planner"
)

// The request path before the database allocates nothing of its own once
// the exchange has warmed up: routing, authentication (token cache hit),
// parsing into the reused Query, Prefer and Accept, the plan-cache key,
// binding the arguments and the settings with the legacy per-name GUCs
// (prepare). (pgx and fasthttp are measured by the handler benchmarks.)
func TestRequestPathAllocations(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts are inflated under -race")
	}
	s := newTestServer(t)
	rt := *s.opts.Load()
	rt.LegacyGUCs = true
	var req fasthttp.Request
	req.SetRequestURI("/todos?select=id,task&id=eq.1&order=id.desc&limit=5")
	req.Header.SetMethod("GET")
	req.Header.Set("Authorization", "Bearer "+hs256Token(`{"role":"web_anon","sub":"alice"}`))
	req.Header.Set("X-Custom", `a "quoted" value`)
	req.Header.Set("Cookie", "session=abc; other=1")
	req.Header.Set("Prefer", "count=exact, timezone=UTC")
	req.Header.Set("Accept", "application/json")
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, nil)
	x := new(exchange)
	step := func() {
		x.reset()
		if _, _, err := s.prepare(&ctx, x, &rt); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if n, _ := x.req.Settings(); len(n) < 12 {
		t.Fatalf("settings %q", n)
	}
	if n := testing.AllocsPerRun(100, step); n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
}

// The planner side of a plan-cache hit allocates nothing once the
// exchange has warmed up: parsing into the reused Query, the plan-cache key
// and lookup, and binding the arguments of the statement and of the count
// estimate into the exchange's Args, computed arguments (limits, LIKE
// patterns) included. (Embeds, in-lists and logic trees are left out: the
// parser allocates their children, lists and trees; their binding alone
// is checked in planner's TestBindAllocations.)
func TestPlanCacheHitAllocations(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts are inflated under -race")
	}
	s := newTestServer(t)
	for _, c := range []struct {
		query   string
		maxRows int64
		prefer  string
	}{
		{"id=eq.4", 0, ""},
		{"select=id,task,done&done=is.false&due=lt.2030-01-01&order=due.desc&limit=50", 0, ""},
		{"select=id,task&id=gt.123&order=id.asc&limit=1000&offset=20000", 500, ""},
		{"task=like.*a*&task=not.ilike.*b&limit=10", 0, "count=exact"},
		{"task=neq.x&offset=3", 100, "count=estimated"},
		{"id=gte.2", 0, "count=planned"},
	} {
		rt := *s.opts.Load()
		rt.MaxRows = c.maxRows
		var req fasthttp.Request
		req.SetRequestURI("/todos?" + c.query)
		if c.prefer != "" {
			req.Header.Set("Prefer", c.prefer)
		}
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, nil)
		x := new(exchange)
		var params []string
		var plan *planner.Plan
		step := func() {
			x.reset()
			var err error
			if plan, _, err = s.prepare(&ctx, x, &rt); err != nil {
				t.Fatal(err)
			}
		}
		step()
		for _, p := range x.req.Params {
			params = append(params, string(p))
		}
		if len(params) == 0 || (plan.Count.NeedsExplain() != (len(x.req.ExplainParams) > 0)) {
			t.Fatalf("%s: params %q, explain %q", c.query, params, x.req.ExplainParams)
		}
		if n := testing.AllocsPerRun(100, step); n != 0 {
			t.Errorf("%s: %v allocations per request", c.query, n)
		}
		for i, p := range x.req.Params {
			if string(p) != params[i] {
				t.Errorf("%s: param %d %q, first time %q", c.query, i, p, params[i])
			}
		}
	}
}

// hs256Token signs payload with newTestServer's secret.
func hs256Token(payload string) string {
	enc := base64.RawURLEncoding
	msg := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, []byte("reallyreallyreallyreallyverysafe"))
	m.Write([]byte(msg))
	return msg + "." + enc.EncodeToString(m.Sum(nil))
}

// An ETag and its If-None-Match comparison allocate nothing once the
// result's buffer has grown.
func TestETagAllocations(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts are inflated under -race")
	}
	body := []byte(`[{"id":1,"title":"Duck Soup"}]`)
	inm := []byte(`"a", W/"b" , "c"`)
	var tag []byte
	n := testing.AllocsPerRun(100, func() {
		tag = appendETag(tag[:0], body)
		if noneMatch(inm, tag) {
			t.Fatal("matched")
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
