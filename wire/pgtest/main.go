package pgtest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

var shared atomic.Pointer[Cluster]

// Main is a test binary's TestMain: it starts one cluster, runs each
// fixture (SQL text) in it with Exec, makes it available through Shared,
// runs the tests, stops the cluster and exits with the tests' code. A
// cluster that cannot start, or a fixture that fails, ends the binary with
// code 1 before any test runs.
func Main(m *testing.M, fixtures ...string) {
	os.Exit(run(m, fixtures))
}

func run(m *testing.M, fixtures []string) int {
	c, err := Start(Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// A panic in a test goroutine ends the process without running this;
	// the watchdog cleans up then.
	defer func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	for i, f := range fixtures {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		err := c.Exec(ctx, f)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: fixture %d: %v\n", i+1, err)
			return 1
		}
	}
	shared.Store(c)
	defer shared.Store(nil)
	return m.Run()
}

// Shared is the cluster started by Main for this test binary. It panics
// when TestMain did not call Main, which is a mistake in the test setup.
func Shared() *Cluster {
	c := shared.Load()
	if c == nil {
		panic("pgtest: Shared called without pgtest.Main in TestMain")
	}
	return c
}
