package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/pgrst/pgrst/wire/pgtest"
)

// startWithReplica starts a streaming replica of c, stopped at the end of
// the test, and pgrst on c with it as db-replicas (no lag limit), plus env.
func startWithReplica(t *testing.T, c *pgtest.Cluster, env ...string) (*pgtest.Cluster, *proc) {
	t.Helper()
	replica, err := c.StartReplica(pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { replica.Stop() })
	p := startPgrst(t, c, true, append([]string{
		fmt.Sprintf("PGRST_DB_REPLICAS=postgres://127.0.0.1:%d?sslmode=disable", replica.Port()),
		"PGRST_DB_REPLICA_MAX_LAG=0"}, env...)...)
	return replica, p
}

// The binary with db-replicas: reads go to the replica, which takes the
// primary's user and database from db-uri; after a schema reload it gets
// no reads until it has replayed the DDL the new cache knows.
func TestReplicasBinary(t *testing.T) {
	c := newCluster(t)
	execSQL(t, c, `create function api.in_recovery() returns boolean language sql stable as 'select pg_is_in_recovery()';`)
	replica, p := startWithReplica(t, c)
	up := fmt.Sprintf(`pgrst_db_replica_up{replica="127.0.0.1:%d"}`, replica.Port())
	p.waitFor(t, 30*time.Second, "replica up", func() bool { return p.metric(t, up) == 1 })
	// Once it has replayed the position of the first schema cache load.
	p.waitFor(t, 30*time.Second, "reads on the replica", func() bool { return p.get(t, "/rpc/in_recovery").body == "true" })

	execSQL(t, replica, "select pg_wal_replay_pause()")
	execSQL(t, c, `create function api.added() returns int language sql stable as 'select 7';
		notify pgrst, 'reload schema';`)
	p.waitFor(t, 30*time.Second, "the new function", func() bool {
		r := p.get(t, "/rpc/added")
		return r.status == 200 && r.body == "7"
	})
	if r := p.get(t, "/rpc/in_recovery"); r.body != "false" {
		t.Fatalf("a replica without the new DDL served a read: %d %s", r.status, r.body)
	}
	execSQL(t, replica, "select pg_wal_replay_resume()")
	p.waitFor(t, 30*time.Second, "reads back on the replica", func() bool { return p.get(t, "/rpc/in_recovery").body == "true" })
	if r := p.get(t, "/rpc/added"); r.status != 200 || r.body != "7" {
		t.Fatalf("GET /rpc/added on the replica: %d %s", r.status, r.body)
	}
}

// A read that finds every replica's pool busy runs on the primary at once,
// rather than waiting for a replica's connection (db-pool-acquisition-timeout)
// or failing.
func TestReplicaPoolFullGoesToPrimary(t *testing.T) {
	c := newCluster(t)
	execSQL(t, c, `create function api.in_recovery() returns boolean language sql stable as 'select pg_is_in_recovery()';
		create function api.slow_in_recovery() returns boolean language sql stable as 'select pg_sleep(3); select pg_is_in_recovery()';`)
	replica, p := startWithReplica(t, c, "PGRST_DB_POOL=1", "PGRST_DB_POOL_ACQUISITION_TIMEOUT=10")
	requests := fmt.Sprintf(`pgrst_db_replica_requests_total{replica="127.0.0.1:%d"}`, replica.Port())
	p.waitFor(t, 30*time.Second, "reads on the replica", func() bool { return p.get(t, "/rpc/in_recovery").body == "true" })

	// The replica's only connection, held by a slow read.
	before := p.metric(t, requests)
	slow := make(chan reply, 1)
	go func() { slow <- p.get(t, "/rpc/slow_in_recovery") }()
	p.waitFor(t, 10*time.Second, "the slow read routed", func() bool { return p.metric(t, requests) > before })
	time.Sleep(300 * time.Millisecond) // it has its connection

	start := time.Now()
	r := p.get(t, "/rpc/in_recovery")
	took := time.Since(start)
	if r.status != 200 || r.body != "false" {
		t.Fatalf("a read while the replica's pool was full: %d %s, want the primary's answer", r.status, r.body)
	}
	if took > 1500*time.Millisecond {
		t.Fatalf("a read while the replica's pool was full took %v: it waited for the replica", took)
	}
	if n := p.metric(t, "pgrst_db_replica_overflows_total"); n != 1 {
		t.Fatalf("pgrst_db_replica_overflows_total %v, want 1", n)
	}
	if s := <-slow; s.status != 200 || s.body != "true" {
		t.Fatalf("the slow read: %d %s, want the replica's answer", s.status, s.body)
	}
	// The pool free again, reads go back to the replica.
	if r := p.get(t, "/rpc/in_recovery"); r.body != "true" {
		t.Fatalf("a read after the replica's pool freed: %d %s", r.status, r.body)
	}
}
