package pgtest

import (
	"fmt"
	"strconv"
)

// StartReplica creates a streaming replica of c (pg_basebackup -R: a
// standby that connects back to c as postgres) and starts it as a hot
// standby, read-only and replaying c's WAL, on a port of its own; o is
// as for Start (Settings apply to the replica). c's default wal_level
// (replica) and pg_hba.conf (initdb trusts local replication
// connections) are all a primary needs.
func (c *Cluster) StartReplica(o Options) (*Cluster, error) {
	return start(o, func(r *Cluster) ([]byte, error) {
		// The copy holds the primary's postgresql.conf, with its include
		// of pgtest.conf, which start rewrites for the replica's port.
		return r.run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres",
			"-D", r.data, "-R", "-X", "stream", "--no-sync", "--checkpoint=fast")
	})
}

// Kill stops the server at once (pg_ctl stop -m immediate, as a crash):
// sessions end without a goodbye. The cluster stays; Resume starts it
// again.
func (c *Cluster) Kill() error {
	if out, err := c.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", c.data); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop -m immediate: %w\n%s", err, out)
	}
	return nil
}
