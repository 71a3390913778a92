package wire_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// A Notifier LISTENs and UNLISTENs while it waits, in the order asked,
// and delivers only the channels it listens to.
func TestNotifier(t *testing.T) {
	p, err := wire.Open(wire.Options{URI: pgtest.Shared().URI("postgres", "postgres"), PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	got := make(chan [2]string, 16)
	n, err := p.DialNotifier(ctx, func(channel, payload string) { got <- [2]string{channel, payload} })
	if err != nil {
		t.Fatal(err)
	}
	notify := func(channel, payload string) {
		t.Helper()
		if err := pgtest.Shared().Exec(ctx, "select pg_notify('"+channel+"', '"+payload+"')"); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want [2]string) {
		t.Helper()
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("notification %q, want %q", g, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no notification, want %q", want)
		}
	}

	// The notifier is waiting: each command interrupts the wait.
	time.Sleep(50 * time.Millisecond)
	if err := n.Listen("Mixed Case").Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Listen("b").Wait(ctx); err != nil {
		t.Fatal(err)
	}
	notify("a", "not listened")
	notify("Mixed Case", "one")
	notify("b", "two")
	expect([2]string{"Mixed Case", "one"})
	expect([2]string{"b", "two"})

	// UNLISTEN then LISTEN again, queued back to back: they run in order.
	n.Unlisten("b")
	if err := n.Listen("b").Wait(ctx); err != nil {
		t.Fatal(err)
	}
	notify("b", "three")
	expect([2]string{"b", "three"})
	if err := n.Unlisten("b").Wait(ctx); err != nil {
		t.Fatal(err)
	}
	notify("b", "four")
	notify("Mixed Case", "five")
	expect([2]string{"Mixed Case", "five"})

	n.Close()
	select {
	case <-n.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	if err := n.Listen("c").Wait(ctx); err == nil {
		t.Fatal("a command after Close succeeded")
	}
}

// A lost connection ends the Notifier with a connection error.
func TestNotifierLost(t *testing.T) {
	p, err := wire.Open(wire.Options{URI: pgtest.Shared().URI("postgres", "postgres"), PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	n, err := p.DialNotifier(context.Background(), func(string, string) {})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := pgtest.Shared().Exec(context.Background(),
		"select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pgrst notifier'"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the Notifier did not notice its connection was terminated")
	}
	var ce *wire.ConnError
	if err := n.Err(); !errors.As(err, &ce) {
		t.Fatalf("Err() = %v, want a *wire.ConnError", err)
	}
}
