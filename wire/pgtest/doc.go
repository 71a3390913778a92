// Package pgtest runs throwaway PostgreSQL clusters for tests and for the
// demo: initdb into a directory, pg_ctl start on a free port of 127.0.0.1
// (and a unix socket in the same directory), pg_ctl stop and remove it all.
//
// A test binary usually needs one cluster; TestMain hands over to Main:
//
//	func TestMain(m *testing.M) { pgtest.Main(m, sql.MustRead("demo.sql")) }
//
// and the tests reach it through Shared().URI("postgres", "postgres").
//
// PostgreSQL refuses to run as root, so when the tests run as root the
// cluster runs as the OS user postgres. A small watchdog process (sh, in its
// own process group) outlives the test binary: when the binary ends without
// calling Stop, because a test panicked, the binary timed out or was killed
// with SIGKILL, the watchdog shuts the cluster down immediately and removes
// its directory.
//
// Clusters are tuned for speed, not durability (fsync, synchronous_commit
// and full_page_writes are off): a crash of the machine loses the data.
package pgtest
