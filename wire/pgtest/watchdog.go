package pgtest

import (
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"
)

// watchdogScript waits on its stdin, a pipe whose only writer is the test
// process. A normal Stop writes "done" and the watchdog just exits. When the
// test process ends any other way (panic, os.Exit, timeout, SIGKILL), the
// kernel closes the pipe, read sees end of file, and the watchdog shuts the
// server down at once (SIGQUIT is PostgreSQL's immediate shutdown, the
// same as pg_ctl stop -m immediate, and needs no user switch when we are
// root) and removes the directory. A pipe is used rather than polling the
// parent's pid with kill -0, which would still succeed while the dead
// parent is an unreaped zombie.
//
// $1 = cluster directory, $2 = data directory, $3 = 1 to keep the directory.
const watchdogScript = `
trap '' HUP INT
read -r line
[ "$line" = done ] && exit 0
pidfile="$2/postmaster.pid"
# A start may be under way: give the server a moment to write its pid file.
[ -f "$pidfile" ] || sleep 1
if [ -f "$pidfile" ]; then
	pid=$(head -n 1 "$pidfile")
	if [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i+1))
		done
	fi
fi
[ "$3" = 1 ] || rm -rf "$1"
`

type watchdog struct {
	cmd  *exec.Cmd
	pipe io.WriteCloser
}

// startWatchdog starts the watchdog for a cluster in dir, in its own
// process group so a Ctrl-C meant for the tests does not reach it.
func startWatchdog(dir, data string, keep bool) (*watchdog, error) {
	k := "0"
	if keep {
		k = "1"
	}
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "pgtest-watchdog", dir, data, k)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pipe, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("pgtest: watchdog: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pgtest: watchdog: %w", err)
	}
	return &watchdog{cmd: cmd, pipe: pipe}, nil
}

// release tells the watchdog that the cluster was cleaned up normally and
// waits for it to exit.
func (w *watchdog) release() {
	io.WriteString(w.pipe, "done\n")
	w.pipe.Close()
	done := make(chan struct{})
	go func() { w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		w.cmd.Process.Kill()
		<-done
	}
}
