package pgtest

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// Halt stops the server (pg_ctl stop -m fast: sessions are terminated)
// but keeps the cluster, so Resume can start it again on the same port.
// Tests use it to take the database away from a running pgrst.
func (c *Cluster) Halt() error {
	if out, err := c.run("pg_ctl", "stop", "-w", "-m", "fast", "-D", c.data); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Resume starts a cluster stopped by Halt again, on the same port, and
// waits until it accepts connections.
func (c *Cluster) Resume() error {
	logFile := filepath.Join(c.dir, "postgres.log")
	if out, err := c.run("pg_ctl", "start", "-w", "-t", strconv.Itoa(int(startTimeout/time.Second)),
		"-D", c.data, "-l", logFile); err != nil {
		return fmt.Errorf("pgtest: pg_ctl start: %w\n%s\n%s", err, out, tail(logFile, 20))
	}
	return nil
}

// Restart restarts the server (pg_ctl restart -m fast): every session is
// terminated, and the cluster is back on the same port when it returns.
func (c *Cluster) Restart() error {
	logFile := filepath.Join(c.dir, "postgres.log")
	if out, err := c.run("pg_ctl", "restart", "-w", "-m", "fast", "-t", strconv.Itoa(int(startTimeout/time.Second)),
		"-D", c.data, "-l", logFile); err != nil {
		return fmt.Errorf("pgtest: pg_ctl restart: %w\n%s\n%s", err, out, tail(logFile, 20))
	}
	return nil
}
