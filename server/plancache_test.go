package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// newTestServer is a server on the shared test cluster, without a listener:
// tests call its handler directly.
func newTestServer(t testing.TB) *Server {
	t.Helper()
	pool, err := wire.Open(wire.Options{URI: pgtest.Shared().URI("authenticator", "postgres"), PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	v, err := auth.New(auth.Options{Secret: []byte("reallyreallyreallyreallyverysafe"), AnonRole: "web_anon", CacheEntries: 10})
	if err != nil {
		t.Fatal(err)
	}
	s := New(pool, Options{Schemas: []string{"api"}, ExtraSearchPath: []string{"public"}, Auth: v, Version: "test"}, zerolog.Nop())
	if _, err := s.LoadSchema(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// readPlan plans a read of q on target through the plan cache, as
// prepare does.
func (s *Server) readPlan(x *exchange, q *planner.Query, sc *cache.Schema, target string, count planner.Count) (*planner.Plan, error) {
	x.pr = planner.Request{Action: planner.ActionRead, Schema: "api", Target: target, Query: q,
		Prefer: planner.Preferences{Count: count}}
	return s.plan(x, sc)
}

// The plan cache holds at most its bound, however many shapes come by.
func TestPlanCacheBounded(t *testing.T) {
	s := newTestServer(t)
	sc := s.Schema()
	x := new(exchange)
	for i := 0; i < 6000; i++ {
		q, err := planner.ParseQuery(fmt.Sprintf("select=a%d:id", i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.readPlan(x, q, sc, "todos", planner.CountNone); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.plans.Len(); n > 4096 || n < 1000 {
		t.Fatalf("plan cache holds %d entries, want at most 4096", n)
	}
	s.SetSchema(sc)
	if n := s.plans.Len(); n != 0 {
		t.Fatalf("after SetSchema the plan cache holds %d entries", n)
	}
}

// request runs one GET through the handler, as fasthttp would.
func request(s *Server, ctx *fasthttp.RequestCtx, req *fasthttp.Request) {
	ctx.Init(req, nil, nil)
	s.Handle(ctx)
}

// BenchmarkPlanCache shows what the plan cache saves. "plan" is the planning
// step alone (key, lookup, and on a miss the planner), "request" the whole
// handler including the database round trip. hot repeats one shape with
// changing values (every lookup hits); cold clears the cache each time.
func BenchmarkPlanCache(b *testing.B) {
	s := newTestServer(b)
	sc := s.Schema()
	queries := make([]*planner.Query, 16)
	for i := range queries {
		q, err := planner.ParseQuery(fmt.Sprintf("select=id,task,done&id=gt.%d&task=like.*a*&order=id.desc&limit=%d", i, i+1))
		if err != nil {
			b.Fatal(err)
		}
		queries[i] = q
	}
	o := planner.CountExact
	for _, mode := range []string{"hot", "cold"} {
		b.Run("plan/"+mode, func(b *testing.B) {
			x := new(exchange)
			h0, m0 := s.PlanCacheStats()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if mode == "cold" {
					s.plans.Clear()
				}
				if _, err := s.readPlan(x, queries[i%len(queries)], sc, "todos", o); err != nil {
					b.Fatal(err)
				}
			}
			h, m := s.PlanCacheStats()
			b.ReportMetric(100*float64(h-h0)/float64(h-h0+m-m0), "hit%")
		})
	}
	for _, mode := range []string{"hot", "cold"} {
		b.Run("request/"+mode, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			reqs := make([]fasthttp.Request, 16)
			for i := range reqs {
				reqs[i].SetRequestURI(fmt.Sprintf("/todos?select=id,task&id=gt.%d&order=id&limit=%d", i%4, i+1))
			}
			request(s, &ctx, &reqs[0])
			h0, m0 := s.PlanCacheStats()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if mode == "cold" {
					s.plans.Clear()
				}
				request(s, &ctx, &reqs[i%len(reqs)])
				if ctx.Response.StatusCode() != 200 {
					b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
				}
			}
			h, m := s.PlanCacheStats()
			b.ReportMetric(100*float64(h-h0)/float64(h-h0+m-m0), "hit%")
		})
	}
}

// A repeated shape allocates far less than planning it afresh: the hot
// path builds the key in a reused buffer and looks it up.
func TestPlanCacheHotAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	s := newTestServer(t)
	sc := s.Schema()
	q, err := planner.ParseQuery("select=id,task&id=eq.1&order=id&limit=5")
	if err != nil {
		t.Fatal(err)
	}
	o := planner.CountNone
	x := new(exchange)
	hot := testing.AllocsPerRun(100, func() { s.readPlan(x, q, sc, "todos", o) })
	cold := testing.AllocsPerRun(100, func() { s.plans.Clear(); s.readPlan(x, q, sc, "todos", o) })
	if hot != 0 || cold < 5 {
		t.Fatalf("allocations per plan: hot %v, cold %v", hot, cold)
	}
}
