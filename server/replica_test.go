package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// replicaSchema is what the replica tests read and write, in a schema of
// their own so the other tests' API is unchanged. in_recovery tells where
// a request ran: true on the replica, false on the primary.
const replicaSchema = `
create schema if not exists replica_test;
grant usage on schema replica_test to web_anon;
create table if not exists replica_test.notes (id int primary key, body text not null);
grant select, insert, update, delete on replica_test.notes to web_anon;
create or replace function replica_test.in_recovery() returns boolean
  language sql stable as 'select pg_is_in_recovery()';
create or replace function replica_test.in_recovery_volatile() returns boolean
  language sql volatile as 'select pg_is_in_recovery()';
`

var replicaSchemaOnce sync.Once

// replicaServer is a server whose reads may go to a fresh streaming
// replica of the shared cluster.
type replicaServer struct {
	*testServer
	replica *pgtest.Cluster
	rs      *wire.Replicas
}

// startReplicaServer starts a replica and a server using it, with its
// health checks every 50 ms until the test ends; it returns once the
// replica is up.
func startReplicaServer(t *testing.T, maxLag time.Duration) *replicaServer {
	t.Helper()
	primary := pgtest.Shared()
	replicaSchemaOnce.Do(func() {
		if err := primary.Exec(context.Background(), replicaSchema); err != nil {
			t.Fatal(err)
		}
	})
	replica, err := primary.StartReplica(pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { replica.Stop() })
	var wo wire.Options
	s := newTestServer(t, func(so *server.Options, o *wire.Options) {
		so.Schemas = []string{"replica_test"}
		o.Dial = nil
		wo = *o
	}, true, zerolog.Nop())
	rs, err := wire.OpenReplicas(mustPool(t, wo), wo.URI, wire.ReplicaOptions{
		URIs:     []string{fmt.Sprintf("postgres://127.0.0.1:%d?sslmode=disable", replica.Port())},
		Pool:     wo,
		MaxLag:   maxLag,
		Interval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rs.Check(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; rs.Close() })
	s.srv.UseReplicas(rs)
	r := &replicaServer{testServer: s, replica: replica, rs: rs}
	r.waitState(t, wire.ReplicaUp)
	return r
}

// mustPool opens a pool of its own for the replicas' checker to read the
// primary's position with.
func mustPool(t *testing.T, o wire.Options) *wire.Pool {
	t.Helper()
	p, err := wire.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func (r *replicaServer) waitState(t *testing.T, want wire.ReplicaState) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := r.rs.List()[0].Stats()
		if st.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica is %v (lag %v), want %v", st.State, st.Lag, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// onReplica asks where a read runs.
func (r *replicaServer) onReplica(t *testing.T, method string, headers ...string) bool {
	t.Helper()
	res := r.do(t, method, "/rpc/in_recovery", headers...)
	expectStatus(t, res, 200)
	return res.Body == "true"
}

func expectStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
}

// Reads go to the replica; writes, volatile calls and what a write
// returns go to the primary.
func TestReplicaRouting(t *testing.T) {
	r := startReplicaServer(t, 0)
	if !r.onReplica(t, "GET") {
		t.Fatal("GET /rpc/in_recovery ran on the primary")
	}
	if !r.onReplica(t, "POST") {
		t.Fatal("POST on a stable function ran on the primary")
	}
	res := r.do(t, "POST", "/rpc/in_recovery_volatile")
	expect(t, res, 200, "false")
	if res.Header.Get("Pgrst-Lsn") == "" {
		t.Fatal("a volatile call has no Pgrst-Lsn")
	}
	res = r.send(t, "POST", "/notes", `{"id": 1, "body": "one"}`, "Prefer", "return=representation")
	expect(t, res, 201, `[{"id": 1, "body": "one"}]`)
	lsn := res.Header.Get("Pgrst-Lsn")
	if _, ok := wire.ParseLSN([]byte(lsn)); !ok {
		t.Fatalf("Pgrst-Lsn %q is not an LSN", lsn)
	}
	expect(t, r.get(t, "/notes?id=eq.1", "Pgrst-Lsn", lsn), 200, `[{"id": 1, "body": "one"}]`)
	expectStatus(t, r.do(t, "DELETE", "/notes?id=eq.1"), 204)
	if n := r.rs.List()[0].Stats().Requests; n < 3 {
		t.Fatalf("%d requests counted on the replica, want at least 3", n)
	}
	// A read whose token is not an LSN goes to the primary.
	if r.onReplica(t, "GET", "Pgrst-Lsn", "not-an-lsn") {
		t.Fatal("a read with a malformed token ran on the replica")
	}
	// Without replicas, a write carries no token.
	r.srv.UseReplicas(nil)
	res = r.send(t, "POST", "/notes", `{"id": 2, "body": "two"}`)
	expectStatus(t, res, 201)
	if v := res.Header.Get("Pgrst-Lsn"); v != "" {
		t.Fatalf("Pgrst-Lsn %q without replicas", v)
	}
	r.do(t, "DELETE", "/notes?id=eq.2")
}

// A read that sends a write's token back sees the write, even when the
// replica has not replayed it (replay paused): it runs on the primary.
// Without the token the same read runs on the replica and misses it.
func TestReplicaReadYourWrites(t *testing.T) {
	r := startReplicaServer(t, 0)
	ctx := context.Background()
	for i := 1; i <= 30; i++ {
		res := r.send(t, "POST", "/notes", fmt.Sprintf(`{"id": %d, "body": "n%d"}`, 100+i, i))
		expectStatus(t, res, 201)
		path := fmt.Sprintf("/notes?id=eq.%d", 100+i)
		expect(t, r.get(t, path, "Pgrst-Lsn", res.Header.Get("Pgrst-Lsn")), 200, fmt.Sprintf(`[{"id": %d, "body": "n%d"}]`, 100+i, i))
	}
	if err := r.replica.Exec(ctx, "select pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	before := r.rs.Fallbacks()
	res := r.send(t, "POST", "/notes", `{"id": 200, "body": "paused"}`)
	expectStatus(t, res, 201)
	expect(t, r.get(t, "/notes?id=eq.200", "Pgrst-Lsn", res.Header.Get("Pgrst-Lsn")), 200, `[{"id": 200, "body": "paused"}]`)
	expect(t, r.get(t, "/notes?id=eq.200"), 200, `[]`)
	if r.rs.Fallbacks() == before {
		t.Fatal("the token read was not counted as a fallback to the primary")
	}
	if err := r.replica.Exec(ctx, "select pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	r.do(t, "DELETE", "/notes?id=gt.100")
}

// A replica lagging beyond the limit gets no reads until it catches up.
func TestReplicaLag(t *testing.T) {
	r := startReplicaServer(t, 300*time.Millisecond)
	ctx := context.Background()
	if err := r.replica.Exec(ctx, "select pg_wal_replay_pause()"); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, r.send(t, "POST", "/notes", `{"id": 300, "body": "lag"}`), 201)
	r.waitState(t, wire.ReplicaLagging)
	if r.onReplica(t, "GET") {
		t.Fatal("a read ran on a lagging replica")
	}
	a := server.NewAdmin(r.srv, server.AdminOptions{})
	admin := &adminServer{url: serveOnFreePort(t, a.Serve, a.Shutdown)}
	name := r.rs.List()[0].Name
	if m := admin.get(t, "/metrics"); !strings.Contains(m, `pgrst_db_replica_up{replica="`+name+`"} 0`) {
		t.Fatalf("metrics do not show the replica down:\n%s", m)
	}
	if body := admin.get(t, "/ready"); !strings.Contains(body, `"state":"lagging"`) {
		t.Fatalf("/ready: %s", body)
	}
	if err := r.replica.Exec(ctx, "select pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, wire.ReplicaUp)
	if !r.onReplica(t, "GET") {
		t.Fatal("a read did not go back to the replica once it caught up")
	}
	m := admin.get(t, "/metrics")
	for _, want := range []string{`pgrst_db_replica_up{replica="` + name + `"} 1`, `pgrst_db_replica_lag_seconds{replica="` + name + `"} `,
		`pgrst_db_replica_lag_bytes{replica="` + name + `"} `, `pgrst_db_replica_requests_total{replica="` + name + `"} `,
		"pgrst_db_replica_fallbacks_total "} {
		if !strings.Contains(m, want) {
			t.Fatalf("metrics lack %q:\n%s", want, m)
		}
	}
	r.do(t, "DELETE", "/notes?id=eq.300")
}

// Killing the replica under load fails no request: a read it broke runs
// again on the primary, and the next ones go there until it is back.
func TestReplicaKilled(t *testing.T) {
	r := startReplicaServer(t, 0)
	var ok, failed, onReplica atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res := r.get(t, "/rpc/in_recovery")
				if res.Status != 200 {
					failed.Add(1)
					t.Errorf("status %d: %s", res.Status, res.Body)
					continue
				}
				ok.Add(1)
				if res.Body == "true" {
					onReplica.Add(1)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if err := r.replica.Kill(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 || ok.Load() == 0 || onReplica.Load() == 0 {
		t.Fatalf("%d ok (%d on the replica), %d failed", ok.Load(), onReplica.Load(), failed.Load())
	}
	r.waitState(t, wire.ReplicaDown)
	if r.onReplica(t, "GET") {
		t.Fatal("a read ran on a dead replica")
	}
	if err := r.replica.Resume(); err != nil {
		t.Fatal(err)
	}
	r.waitState(t, wire.ReplicaUp)
	fallbacks, overflows := r.rs.Fallbacks(), r.rs.Overflows()
	if !r.onReplica(t, "GET") {
		// Say which way the read went to the primary.
		t.Fatalf("reads did not return to the replica: %d fallbacks, %d overflows since it was up; now %+v",
			r.rs.Fallbacks()-fallbacks, r.rs.Overflows()-overflows, r.rs.List()[0].Stats())
	}
}
