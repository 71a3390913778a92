package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"testing"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/planner"
)

// The request path before the database allocates nothing of its own once
// the exchange has warmed up: routing, authentication (token cache hit),
// parsing into the reused Query, the plan-cache key and the settings with
// the legacy per-name GUCs. (Binding and pgx are measured by the handler
// benchmarks.)
func TestRequestPathAllocations(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("allocation counts are inflated under -race")
	}
	s := newTestServer(t)
	rt := s.opts.Load()
	rt.LegacyGUCs = true
	var req fasthttp.Request
	req.SetRequestURI("/todos?select=id,task&id=eq.1&order=id.desc&limit=5")
	req.Header.SetMethod("GET")
	req.Header.Set("Authorization", "Bearer "+hs256Token(`{"role":"web_anon","sub":"alice"}`))
	req.Header.Set("X-Custom", `a "quoted" value`)
	req.Header.Set("Cookie", "session=abc; other=1")
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, nil)
	x := new(exchange)
	o := planner.ReadOptions{Schema: "api"}
	step := func() {
		x.reset()
		tb, _, err := route(ctx.Path())
		if err != nil {
			t.Fatal(err)
		}
		if string(tb) != x.target {
			x.target = string(tb)
		}
		res, aerr := rt.Auth.Authenticate(ctx.Request.Header.Peek("Authorization"), time.Now())
		if aerr != nil {
			t.Fatal(aerr)
		}
		x.auth = res
		x.rawQuery = ctx.URI().QueryString()
		if err := planner.ParseQueryInto(&x.q, unsafe.String(unsafe.SliceData(x.rawQuery), len(x.rawQuery))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.readPlan(x, &x.q, s.Schema(), x.target, o); err != nil {
			t.Fatal(err)
		}
		x.set("transaction_read_only", "on")
		s.fillSettings(&ctx, x, rt, ctx.Method())
	}
	step()
	if n, _ := x.req.Settings(); len(n) < 12 {
		t.Fatalf("settings %q", n)
	}
	if n := testing.AllocsPerRun(100, step); n != 0 {
		t.Fatalf("%v allocations per request", n)
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
