package pgtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/pgrst/pgrst/wire/pgtest"
)

// A replica is a hot standby that replays what the primary writes.
func TestStartReplica(t *testing.T) {
	primary := pgtest.Shared()
	replica, err := primary.StartReplica(pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Stop()
	if replica.Port() == primary.Port() {
		t.Fatal("the replica shares the primary's port")
	}
	ctx := context.Background()
	conn := connect(t, replica.URI("postgres", "postgres"))
	var recovering bool
	if err := conn.QueryRow(ctx, "select pg_is_in_recovery()").Scan(&recovering); err != nil || !recovering {
		t.Fatalf("pg_is_in_recovery() = %v, %v; want true", recovering, err)
	}
	if err := primary.Exec(ctx, "create table replicated (v int); insert into replicated values (42)"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var v int
		err := conn.QueryRow(ctx, "select v from replicated").Scan(&v)
		if err == nil && v == 42 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the write did not reach the replica: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := conn.Exec(ctx, "insert into replicated values (1)"); err == nil {
		t.Fatal("the replica accepted a write")
	}
	if err := replica.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := replica.Resume(); err != nil {
		t.Fatal(err)
	}
	primary.Exec(ctx, "drop table replicated")
}
