package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// placement is where the processes run: the server and the database on one
// CPU, the load generator on another, when taskset and two CPUs are there.
type placement struct {
	pinned    bool
	serverCPU int
	loadCPU   int
	taskset   string
	note      string
}

func choosePlacement() placement {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return placement{note: "CPU placement: unknown (" + err.Error() + "); nothing pinned"}
	}
	var cpus []int
	for i := 0; i < 1024 && len(cpus) < 2; i++ {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	ts, err := exec.LookPath("taskset")
	switch {
	case err != nil:
		return placement{note: "CPU placement: taskset not found (install util-linux); nothing pinned, so the load generator competes with the server"}
	case len(cpus) < 2:
		return placement{note: "CPU placement: only one CPU available; nothing pinned, so the load generator competes with the server"}
	}
	return placement{pinned: true, serverCPU: cpus[0], loadCPU: cpus[1], taskset: ts,
		note: fmt.Sprintf("CPU placement: PostgreSQL and the server on CPU %d, load generator and pgbench on CPU %d (taskset)", cpus[0], cpus[1])}
}

// pin moves every thread of pid to cpu.
func (p placement) pin(pid, cpu int) error {
	if !p.pinned {
		return nil
	}
	out, err := exec.Command(p.taskset, "-a", "-p", "-c", strconv.Itoa(cpu), strconv.Itoa(pid)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset -p %d: %v: %s", pid, err, out)
	}
	return nil
}

// command is name args run on cpu (through taskset when pinned).
func (p placement) command(cpu int, name string, args ...string) *exec.Cmd {
	if !p.pinned {
		return exec.Command(name, args...)
	}
	return exec.Command(p.taskset, append([]string{"-c", strconv.Itoa(cpu), name}, args...)...)
}

// procStat is one line of /proc/<pid>/stat, split after the command name.
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	// fields[0] is field 3 (state) of proc(5).
	return strings.Fields(string(b[i+1:])), nil
}

// cpuTime is the CPU time pid has used (user + system), and with children
// also that of its children it has waited for.
func cpuTime(pid int, children bool) time.Duration {
	f, err := procStat(pid)
	if err != nil || len(f) < 15 {
		return 0
	}
	var ticks int64
	last := 12 // stime is field 15
	if children {
		last = 14 // cstime is field 17
	}
	for i := 11; i <= last; i++ { // utime is field 14
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * clockTick
}

// treeCPU is the CPU time of the PostgreSQL server: the postmaster with
// its reaped children, plus every live child.
func treeCPU(root int) time.Duration {
	total := cpuTime(root, true)
	for _, pid := range childrenOf(root) {
		total += cpuTime(pid, false)
	}
	return total
}

func childrenOf(parent int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := procStat(pid)
		if err != nil || len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == parent {
			out = append(out, pid)
		}
	}
	return out
}

// memKB reads a Vm* line (kB) of /proc/<pid>/status.
func memKB(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// resetPeak resets VmHWM to the current RSS, so the peak of a scenario is
// its own; false when the kernel does not allow it (the peak then covers
// the process's whole life).
func resetPeak(pid int) bool {
	return os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0) == nil
}

// cpuBusy reads /proc/stat: busy and total jiffies of one CPU, or of all
// of them with cpu -1.
func cpuBusy(cpu int) (busy, total int64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	prefix := "cpu "
	if cpu >= 0 {
		prefix = "cpu" + strconv.Itoa(cpu) + " "
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(line)[1:]
		for i, s := range f {
			n, _ := strconv.ParseInt(s, 10, 64)
			if i < 8 { // user nice system idle iowait irq softirq steal
				total += n
				if i != 3 && i != 4 {
					busy += n
				}
			}
		}
	}
	return busy, total
}

// postmasterPID reads the postmaster's pid from PGDATA.
func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}
