package wire_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, `create table counter (n int not null); insert into counter values (0);
		create table deferred_unique (n int unique deferrable initially deferred);
		create function insert_twice(int) returns int language sql as 'insert into deferred_unique values ($1), ($1) returning 2';`)
}

func run(t *testing.T, p *wire.Pool, tx wire.Tx, body string) (string, error) {
	return runChecked(t, p, tx, body, "")
}

func runChecked(t *testing.T, p *wire.Pool, tx wire.Tx, body, check string) (string, error) {
	t.Helper()
	r := &wire.Request{Tx: tx, Check: check, SQL: "with b as (" + body + ") select null::text, null::text, (select b.n::text from b), null::text, null::text"}
	r.Set("application_name", "wire-test")
	var got string
	err := p.Run(context.Background(), r, func(res *wire.Result) error {
		got = string(res.Body)
		return nil
	})
	return got, err
}

// The transaction's mode is the request's: read-only (implicit or with
// BEGIN), the isolation level, and a rollback at the end that still
// returns the statement's result. Each is one pipeline.
func TestTxMode(t *testing.T) {
	p, err := wire.Open(wire.Options{URI: pgtest.Shared().URI("postgres", "postgres"), PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	bump := "update counter set n = n + 1 returning n"
	count := func() string {
		got, err := run(t, p, wire.Tx{}, "select n from counter")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	if got, err := run(t, p, wire.Tx{}, bump); err != nil || got != "1" || count() != "1" {
		t.Fatalf("commit: %q %v, then %s", got, err, count())
	}
	if got, err := run(t, p, wire.Tx{Rollback: true}, bump); err != nil || got != "2" || count() != "1" {
		t.Fatalf("rollback: %q %v, then %s", got, err, count())
	}
	var de *wire.DBError
	for _, tx := range []wire.Tx{{ReadOnly: true}, {ReadOnly: true, Isolation: wire.Serializable}, {ReadOnly: true, Rollback: true}} {
		if _, err := run(t, p, tx, bump); !errors.As(err, &de) || de.Code != "25006" {
			t.Fatalf("%+v: a write in a read-only transaction: %v", tx, err)
		}
	}
	if count() != "1" {
		t.Fatalf("read-only wrote: %s", count())
	}
	for tx, want := range map[wire.Tx]string{
		{}:                               "read committed",
		{Isolation: wire.RepeatableRead}: "repeatable read",
		{Isolation: wire.Serializable}:   "serializable",
		{Isolation: wire.ReadCommitted, ReadOnly: true}: "read committed",
	} {
		got, err := run(t, p, tx, "select current_setting('transaction_isolation') as n")
		if err != nil || got != want {
			t.Fatalf("%+v: isolation %q %v, want %q", tx, got, err, want)
		}
	}
	// A check after the statement rolls it back; the callback saw the
	// result first.
	check := "DO $$BEGIN IF (select n from counter) > 1 THEN RAISE 'too far'; END IF; END$$"
	for _, tx := range []wire.Tx{{}, {Isolation: wire.Serializable}} {
		got, err := runChecked(t, p, tx, bump, check)
		if got != "2" || !errors.As(err, &de) || de.Message != "too far" || count() != "1" {
			t.Fatalf("%+v: check: %q %v, then %s", tx, got, err, count())
		}
	}
	if got, err := runChecked(t, p, wire.Tx{Rollback: true}, "select n from counter", check); err != nil || got != "1" {
		t.Fatalf("a check that holds: %q %v", got, err)
	}
	// The settings still apply inside an explicit transaction.
	if got, err := run(t, p, wire.Tx{Rollback: true}, "select current_setting('application_name') as n"); err != nil || got != "wire-test" {
		t.Fatalf("setting: %q %v", got, err)
	}
}

// A deferred constraint is checked at the end of the transaction even
// when it rolls back: the client learns that its write would have failed.
func TestRollbackRaisesDeferred(t *testing.T) {
	p, err := wire.Open(wire.Options{URI: pgtest.Shared().URI("postgres", "postgres"), PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dup := "select insert_twice(1) as n"
	var de *wire.DBError
	for _, tx := range []wire.Tx{{}, {Rollback: true}, {Rollback: true, Isolation: wire.Serializable}} {
		if _, err := run(t, p, tx, dup); !errors.As(err, &de) || de.Code != "23505" {
			t.Fatalf("%+v: a deferred unique violation: %v", tx, err)
		}
	}
	if got, err := run(t, p, wire.Tx{}, "select count(*) as n from deferred_unique"); err != nil || got != "0" {
		t.Fatalf("rows left: %q %v", got, err)
	}
	if got, err := run(t, p, wire.Tx{Rollback: true}, "insert into deferred_unique values (2) returning n"); err != nil || got != "2" {
		t.Fatalf("a rolled back insert that holds: %q %v", got, err)
	}
}

// Settings reach the main statement whatever their count (one set_config
// each, or the unnest form beyond a hundred), in order, quotes and
// backslashes intact, and a NUL in a value is refused, not cut.
func TestSettingsReachStatement(t *testing.T) {
	p, err := wire.Open(wire.Options{URI: pgtest.Shared().URI("postgres", "postgres"), PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, n := range []int{0, 1, 3, 100, 101, 150} {
		r := &wire.Request{Tx: wire.Tx{ReadOnly: true},
			SQL: "select null::text, null::text, coalesce(current_setting('pgrst.a', true), '') || '|' || current_setting('transaction_read_only'), null::text, null::text"}
		for i := 0; i < n; i++ {
			r.Set("pgrst.a", `v"\`+strconv.Itoa(i))
		}
		var got string
		if err := p.Run(context.Background(), r, func(res *wire.Result) error {
			got = string(res.Body)
			return nil
		}); err != nil {
			t.Fatalf("%d settings: %v", n, err)
		}
		want := "|on"
		if n > 0 {
			want = `v"\` + strconv.Itoa(n-1) + want
		}
		if got != want {
			t.Fatalf("%d settings: %q, want %q", n, got, want)
		}
	}
	for _, n := range []int{1, 101} {
		r := &wire.Request{SQL: "select null::text, null::text, current_setting('pgrst.a', true), null::text, null::text"}
		for i := 0; i < n; i++ {
			r.Set("pgrst.a", "a\x00b")
		}
		var de *wire.DBError
		if err := p.Run(context.Background(), r, func(*wire.Result) error { return nil }); !errors.As(err, &de) {
			t.Fatalf("%d settings with NUL: %v, want a database error", n, err)
		}
	}
}
