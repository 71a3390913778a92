package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/pgrst/pgrst/wire/pgtest"
)

// The binary with db-replicas: reads go to the replica, which takes the
// primary's user and database from db-uri; after a schema reload it gets
// no reads until it has replayed the DDL the new cache knows.
func TestReplicasBinary(t *testing.T) {
	c := newCluster(t)
	execSQL(t, c, `create function api.in_recovery() returns boolean language sql stable as 'select pg_is_in_recovery()';`)
	replica, err := c.StartReplica(pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { replica.Stop() })
	p := startPgrst(t, c, true,
		fmt.Sprintf("PGRST_DB_REPLICAS=postgres://127.0.0.1:%d?sslmode=disable", replica.Port()),
		"PGRST_DB_REPLICA_MAX_LAG=0")
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
