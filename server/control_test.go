package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgrst/pgrst/control"
	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// A request that waits longer than the acquisition timeout for a pooled
// connection gets 504 PGRST003, and the timeout is counted.
func TestPoolExhaustion(t *testing.T) {
	ctx := context.Background()
	if err := pgtest.Shared().Exec(ctx, `
	  create or replace function public.ctl_maybe_slow() returns void language plpgsql as $$
	  begin
	    if current_setting('request.headers', true)::json->>'x-slow' is not null then
	      perform pg_sleep(2);
	    end if;
	  end $$;
	  grant execute on function public.ctl_maybe_slow() to web_anon;`); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, func(o *server.Options, w *wire.Options) {
		w.PoolSize = 1
		w.AcquireTimeout = 500 * time.Millisecond
		o.PreRequest = "public.ctl_maybe_slow"
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.get(t, "/todos", "X-Slow", "1")
	}()
	time.Sleep(300 * time.Millisecond) // the slow request holds the only connection
	start := time.Now()
	r := s.get(t, "/todos")
	took := time.Since(start)
	wg.Wait()
	expectError(t, r, 504, "PGRST003")
	if took > 1500*time.Millisecond {
		t.Fatalf("the request waited %v", took)
	}
	if st := s.srv.RequestCounts(); st[5] == 0 {
		t.Fatal("5xx not counted")
	}

	admin := startAdmin(t, s, nil)
	m := admin.get(t, "/metrics")
	if !strings.Contains(m, "pgrst_db_pool_timeouts_total 1\n") {
		t.Fatalf("timeout not counted:\n%s", m)
	}
}

type adminServer struct{ url string }

func startAdmin(t *testing.T, s *testServer, stats func() control.Stats) *adminServer {
	t.Helper()
	a := server.NewAdmin(s.srv, server.AdminOptions{Control: stats})
	return &adminServer{url: serveOnFreePort(t, a.Serve, a.Shutdown)}
}

func (a *adminServer) status(t *testing.T, path string) int {
	t.Helper()
	res, err := http.Get(a.url + path)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func (a *adminServer) get(t *testing.T, path string) string {
	t.Helper()
	res, err := http.Get(a.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, res.StatusCode, b)
	}
	return string(b)
}

// The admin server: /live, /ready, /metrics with PostgREST's names and
// pgrst's own, /schema_cache as JSON.
func TestAdminServer(t *testing.T) {
	s := startServer(t, nil)
	tok := token(t, map[string]any{"role": "todo_user"})
	s.get(t, "/todos")
	s.get(t, "/todos")
	s.get(t, "/todos", bearer(tok)...)
	s.get(t, "/nope")
	a := startAdmin(t, s, func() control.Stats {
		return control.Stats{SchemaLoads: 3, SchemaLoadFailures: 1, SchemaLoadTime: 1500 * time.Millisecond,
			ConfigReloads: 2, ListenerUp: true, Notifications: 5}
	})
	if a.status(t, "/live") != 200 || a.status(t, "/ready") != 200 || a.status(t, "/nope") != 404 {
		t.Fatal("live/ready/404")
	}
	m := a.get(t, "/metrics")
	for _, want := range []string{
		`pgrst_schema_cache_loads_total{status="SUCCESS"} 3`,
		`pgrst_schema_cache_loads_total{status="FAIL"} 1`,
		`pgrst_schema_cache_query_time_seconds 1.5`,
		`pgrst_db_pool_available `, `pgrst_db_pool_waiting 0`, `pgrst_db_pool_max 4`,
		`pgrst_db_pool_timeouts_total 0`,
		`pgrst_jwt_cache_requests_total 1`,
		`pgrst_jwt_cache_hits_total 0`,
		`pgrst_jwt_cache_evictions_total 0`,
		`pgrst_requests_total{class="2xx"} 3`,
		`pgrst_requests_total{class="4xx"} 1`,
		`pgrst_plan_cache_hits_total `, `pgrst_plan_cache_misses_total `,
		`pgrst_config_reloads_total{status="SUCCESS"} 2`,
		`pgrst_notifications_total 5`, `pgrst_listener_up 1`,
		"# TYPE pgrst_db_pool_timeouts_total counter",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	var dump struct {
		Exposed   []string
		Relations []struct {
			Schema, Name string
			Columns      []struct{ Name string }
			ColumnIndex  any
		}
	}
	if err := json.Unmarshal([]byte(a.get(t, "/schema_cache")), &dump); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range dump.Relations {
		if r.Schema == "api" && r.Name == "todos" && len(r.Columns) == 4 && r.ColumnIndex == nil {
			found = true
		}
	}
	if !found || len(dump.Exposed) != 1 {
		t.Fatalf("/schema_cache: %+v", dump)
	}
}

// /ready is 503 while the database cannot be reached.
func TestAdminReadyDatabaseDown(t *testing.T) {
	s := startServerWithoutDatabase(t, time.Second)
	a := startAdmin(t, s, nil)
	if st := a.status(t, "/ready"); st != 503 {
		t.Fatalf("/ready: %d", st)
	}
	if st := a.status(t, "/live"); st != 200 {
		t.Fatalf("/live: %d", st)
	}
}
