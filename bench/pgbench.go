package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// pgbench scripts are built from the captured statements of several
// requests of one scenario ("variants", each with other random values).
// Every parameter stays a parameter (-M prepared sends it with Bind, as the
// server does): one that is the same in every variant becomes one pgbench
// variable (-D), one that varies becomes a variable per variant, and each
// variant is a script file of its own (pgbench picks one at random per
// transaction).

type pgbenchJob struct {
	files []string
	defs  []string // -D name=value
}

// buildScripts writes the scripts of one form: pipelined is the whole
// per-request transaction between \startpipeline and \endpipeline; bare is
// the main (last) statement alone.
func buildScripts(dir, form string, variants [][]stmt) (*pgbenchJob, error) {
	if len(variants) == 0 || len(variants[0]) == 0 {
		return nil, fmt.Errorf("no statements captured")
	}
	first := variants[0]
	for _, v := range variants[1:] {
		if len(v) != len(first) {
			return nil, fmt.Errorf("requests of one scenario sent %d and %d statements", len(first), len(v))
		}
		for i := range v {
			if v[i].SQL != first[i].SQL || len(v[i].Params) != len(first[i].Params) {
				return nil, fmt.Errorf("requests of one scenario sent different statements:\n%s\n%s", first[i].SQL, v[i].SQL)
			}
		}
	}
	stmts := make([]int, 0, len(first))
	if form == "bare" {
		stmts = append(stmts, len(first)-1)
	} else {
		for i := range first {
			stmts = append(stmts, i)
		}
	}

	job := &pgbenchJob{}
	defined := map[string]bool{}
	for k, v := range variants {
		var b strings.Builder
		if form != "bare" {
			b.WriteString("\\startpipeline\n")
		}
		for _, si := range stmts {
			names := make([]string, len(first[si].Params))
			for pi := range first[si].Params {
				same := true
				for _, o := range variants {
					if !eqParam(o[si].Params[pi], first[si].Params[pi]) {
						same = false
					}
				}
				val := v[si].Params[pi]
				if val == nil {
					names[pi] = "NULL"
					continue
				}
				name := fmt.Sprintf("c%d_%d", si, pi+1)
				if !same {
					name = fmt.Sprintf("v%d_%d_%d", k, si, pi+1)
				}
				if !defined[name] {
					defined[name] = true
					job.defs = append(job.defs, "-D", name+"="+*val)
				}
				names[pi] = ":" + name
			}
			b.WriteString(substituteParams(v[si].SQL, names))
			b.WriteString(";\n")
		}
		if form != "bare" {
			b.WriteString("\\endpipeline\n")
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-%02d.sql", form, k))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return nil, err
		}
		job.files = append(job.files, path)
	}
	return job, nil
}

func eqParam(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// substituteParams replaces $n (outside quoted literals and identifiers)
// by names[n-1] (pgbench turns :name into a parameter again under
// -M prepared).
func substituteParams(sql string, names []string) string {
	var b strings.Builder
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(sql) && sql[j] != c {
				j++
			}
			b.WriteString(sql[i:min(j+1, len(sql))])
			i = j
		case c == '$' && i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9':
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(sql[i+1 : j])
			if n >= 1 && n <= len(names) {
				b.WriteString(names[n-1])
			} else {
				b.WriteString(sql[i:j])
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

type pgbenchRun struct {
	bin     string
	place   placement
	host    string
	port    int
	user    string
	clients int
	dir     string
}

var tpsRe = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
var failedRe = regexp.MustCompile(`number of failed transactions: ([0-9]+)`)

// run runs pgbench for d after a warm-up; latencies come from a sample of
// its per-transaction log.
func (r *pgbenchRun) run(job *pgbenchJob, warmup, d time.Duration, onMeasure func(bool)) (*loadResult, error) {
	logDir, err := os.MkdirTemp(r.dir, "log-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(logDir)
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(r.clients), "-j", "1",
		"-h", r.host, "-p", strconv.Itoa(r.port), "-U", r.user}
	for _, f := range job.files {
		args = append(args, "-f", f)
	}
	args = append(args, job.defs...)
	if warmup > 0 {
		wargs := append(append([]string{}, args...), "-T", strconv.Itoa(max(1, int(warmup.Seconds()))), "postgres")
		cmd := r.place.command(r.place.loadCPU, r.bin, wargs...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("pgbench (warm-up): %v\n%s", err, tailString(string(out), 15))
		}
	}
	margs := append(append([]string{}, args...), "-T", strconv.Itoa(max(1, int(d.Seconds()))),
		"-l", "--sampling-rate=0.2", "postgres")
	cmd := r.place.command(r.place.loadCPU, r.bin, margs...)
	cmd.Dir = logDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if onMeasure != nil {
		onMeasure(true)
	}
	err = cmd.Wait()
	if onMeasure != nil {
		// pgbench's backends exit after it: let the postmaster reap
		// them, so that their CPU time is counted (in its children's).
		time.Sleep(300 * time.Millisecond)
		onMeasure(false)
	}
	if err != nil {
		return nil, fmt.Errorf("pgbench: %v\n%s", err, tailString(out.String(), 15))
	}
	m := tpsRe.FindStringSubmatch(out.String())
	if m == nil {
		return nil, fmt.Errorf("pgbench: no tps in its output:\n%s", tailString(out.String(), 15))
	}
	tps, _ := strconv.ParseFloat(m[1], 64)
	res := &loadResult{Elapsed: d}
	res.Requests = uint64(tps*d.Seconds() + 0.5)
	if f := failedRe.FindStringSubmatch(out.String()); f != nil {
		res.Errors, _ = strconv.ParseUint(f[1], 10, 64)
		res.Status4xx5xx = res.Errors
	}
	logs, _ := filepath.Glob(filepath.Join(logDir, "pgbench_log.*"))
	for _, l := range logs {
		readPgbenchLog(l, &res.Hist)
	}
	return res, nil
}

// readPgbenchLog adds the latencies of a pgbench -l file (third field,
// microseconds) to h.
func readPgbenchLog(path string, h *hist) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		us, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			continue
		}
		h.record(time.Duration(us) * time.Microsecond)
	}
}

func tailString(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
