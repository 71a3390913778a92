package wire_test

import (
	"context"
	"testing"

	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// With NoPreparedStatements (db-prepared-statements = false) no statement
// is left prepared on a connection, and requests with parameters, an
// explicit transaction and a check still run as one pipeline.
func TestNoPreparedStatements(t *testing.T) {
	prepared := func(p *wire.Pool) string {
		t.Helper()
		r := &wire.Request{SQL: "select null::text, null::text, (select count(*)::text from pg_prepared_statements where name like $1), null::text, null::text",
			Params: [][]byte{[]byte("pgrst%")}}
		r.Set("application_name", "wire-test")
		var got string
		for range 2 { // the second run would find the first's statements
			if err := p.Run(context.Background(), r, func(res *wire.Result) error {
				got = string(res.Body)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		return got
	}
	for _, unprepared := range []bool{false, true} {
		p, err := wire.Open(wire.Options{URI: pgtest.Shared().URI("postgres", "postgres"), PoolSize: 1, NoPreparedStatements: unprepared})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		got := prepared(p)
		if unprepared && got != "0" || !unprepared && got == "0" {
			t.Fatalf("NoPreparedStatements=%v: %s statements prepared", unprepared, got)
		}
	}
	p, err := wire.Open(wire.Options{URI: pgtest.Shared().URI("postgres", "postgres"), PoolSize: 1, NoPreparedStatements: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if got, err := runChecked(t, p, wire.Tx{Rollback: true}, "update counter set n = n + 1 returning n", "select 1"); err != nil || got == "" {
		t.Fatalf("rolled back write: %q %v", got, err)
	}
}
