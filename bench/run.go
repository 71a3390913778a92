package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runResult is one target's measurement of one scenario.
type runResult struct {
	Target   string  `json:"target"` // pgrst, floor, pgbench-tx, pgbench-bare, or a compared server
	Kind     string  `json:"kind"`   // http or pgbench
	RPS      float64 `json:"rps"`
	Requests uint64  `json:"requests"`
	Errors   uint64  `json:"errors"`
	// HTTP status ≥ 400 (for pgbench: failed transactions), timeouts,
	// other socket errors.
	ErrStatus   uint64  `json:"errors_status"`
	ErrTimeout  uint64  `json:"errors_timeout"`
	ErrSocket   uint64  `json:"errors_socket"`
	FirstError  string  `json:"first_error,omitempty"`
	P50ms       float64 `json:"p50_ms"`
	P90ms       float64 `json:"p90_ms"`
	P99ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	AvgBodySize float64 `json:"avg_body_bytes,omitempty"`
	// CPUPerReqUs is the server process's CPU time (user + system) per
	// request, when we started it; DBCPUPerReqUs is PostgreSQL's.
	CPUPerReqUs   float64 `json:"cpu_us_per_req,omitempty"`
	DBCPUPerReqUs float64 `json:"db_cpu_us_per_req"`
	// PeakRSSMB is the server's VmHWM during the runs (when the kernel lets
	// us reset it, otherwise since its start).
	PeakRSSMB  float64 `json:"peak_rss_mb,omitempty"`
	EndRSSMB   float64 `json:"end_rss_mb,omitempty"`
	ServerCPU  float64 `json:"server_cpu_busy_pct"`
	LoadGenCPU float64 `json:"loadgen_cpu_busy_pct"`
	// OtherCPU is the share of the server CPU used by processes that are
	// neither the server nor PostgreSQL: noise from the rest of the machine.
	OtherCPU    float64 `json:"other_cpu_pct"`
	Elapsed     float64 `json:"elapsed_s"`
	PeakIsLocal bool    `json:"peak_rss_is_per_run,omitempty"`
}

type scenarioResult struct {
	ID      string             `json:"id"`
	Title   string             `json:"title"`
	Status  string             `json:"status"` // ran, skipped, failed
	Note    string             `json:"note,omitempty"`
	Request string             `json:"request"`
	SQL     []stmt             `json:"sql,omitempty"` // one request's statements, as captured
	Runs    []*runResult       `json:"runs"`
	Ratios  map[string]float64 `json:"ratios,omitempty"`
}

func (s *scenarioResult) run(target string) *runResult {
	for _, r := range s.Runs {
		if r.Target == target {
			return r
		}
	}
	return nil
}

// meter measures a process (pid 0: none) and the database over one or
// more measured windows.
type meter struct {
	b         *bench
	pid       int
	cpu, db   time.Duration
	sb, st    int64
	lb, lt    int64
	cpu0, db0 time.Duration
	sb0, st0  int64
	lb0, lt0  int64
	peakLocal bool
	windows   int
	onStart   func()
	onStop    func()
}

func (b *bench) newMeter(pid int) *meter {
	m := &meter{b: b, pid: pid}
	if pid > 0 {
		m.peakLocal = resetPeak(pid)
	}
	return m
}

func (m *meter) on(start bool) {
	sc, lc := m.b.place.serverCPU, m.b.place.loadCPU
	if !m.b.place.pinned {
		sc, lc = -1, -1
	}
	now := func() (cpu, db time.Duration, sb, st, lb, lt int64) {
		if m.pid > 0 {
			cpu = cpuTime(m.pid, false)
		}
		db = treeCPU(m.b.pmPID)
		if sc >= 0 {
			sb, st = cpuBusy(sc)
			lb, lt = cpuBusy(lc)
		}
		return
	}
	if start {
		m.cpu0, m.db0, m.sb0, m.st0, m.lb0, m.lt0 = now()
		if m.onStart != nil {
			m.onStart()
		}
		return
	}
	cpu, db, sb, st, lb, lt := now()
	m.cpu += cpu - m.cpu0
	m.db += db - m.db0
	m.sb += sb - m.sb0
	m.st += st - m.st0
	m.lb += lb - m.lb0
	m.lt += lt - m.lt0
	m.windows++
	if m.onStop != nil {
		m.onStop()
	}
}

func (m *meter) result(target, kind string, lr *loadResult) *runResult {
	r := &runResult{Target: target, Kind: kind, Requests: lr.Requests, Errors: lr.Errors,
		ErrStatus: lr.Status4xx5xx, ErrTimeout: lr.Timeouts, ErrSocket: lr.Socket,
		FirstError: lr.FirstError, RPS: lr.rps(), Elapsed: lr.Elapsed.Seconds(),
		P50ms: ms(lr.Hist.quantile(0.50)), P90ms: ms(lr.Hist.quantile(0.90)),
		P99ms: ms(lr.Hist.quantile(0.99)), MaxMs: ms(lr.Hist.max)}
	ok := lr.Requests - min(lr.Requests, lr.Errors)
	if ok > 0 && lr.Bytes > 0 {
		r.AvgBodySize = float64(lr.Bytes) / float64(ok)
	}
	if lr.Requests > 0 {
		if m.pid > 0 {
			r.CPUPerReqUs = float64(m.cpu/time.Nanosecond) / 1e3 / float64(lr.Requests)
		}
		r.DBCPUPerReqUs = float64(m.db/time.Nanosecond) / 1e3 / float64(lr.Requests)
	}
	if m.pid > 0 {
		r.PeakRSSMB = float64(memKB(m.pid, "VmHWM")) / 1024
		r.EndRSSMB = float64(memKB(m.pid, "VmRSS")) / 1024
		r.PeakIsLocal = m.peakLocal
	}
	if m.st > 0 {
		r.ServerCPU = 100 * float64(m.sb) / float64(m.st)
		own := float64(m.cpu+m.db) / float64(clockTick)
		r.OtherCPU = max(0, 100*(float64(m.sb)-own)/float64(m.st))
	}
	if m.lt > 0 {
		r.LoadGenCPU = 100 * float64(m.lb) / float64(m.lt)
	}
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mergeLoad(dst, src *loadResult) {
	dst.Requests += src.Requests
	dst.Errors += src.Errors
	dst.Status4xx5xx += src.Status4xx5xx
	dst.Timeouts += src.Timeouts
	dst.Socket += src.Socket
	dst.Bytes += src.Bytes
	dst.Elapsed += src.Elapsed
	dst.Hist.merge(&src.Hist)
	if dst.FirstError == "" {
		dst.FirstError = src.FirstError
	}
}

func (b *bench) loadOf(t *target, sc *scenario, d time.Duration, m *meter) *loadResult {
	l := &load{addr: t.addr, conc: b.cfg.conc, warmup: b.cfg.warmup, duration: d,
		seed: b.cfg.seed, timeout: 10 * time.Second, sc: sc, auth: b.authFor(sc), onMeasure: m.on}
	return l.run()
}

func (b *bench) reset() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.capt.exec(ctx, resetSQL); err != nil {
		b.note("resetting the dataset after a write scenario: %v", err)
	}
}

func (b *bench) runAll() {
	cfg := b.cfg
	for _, sc := range scenarios() {
		if !cfg.scenarios[sc.id] {
			continue
		}
		res := &scenarioResult{ID: sc.id, Title: sc.title, Status: "ran", Ratios: map[string]float64{}}
		b.results = append(b.results, res)
		b.say("scenario %s: %s", sc.id, sc.title)
		if err := b.runScenario(sc, res); err != nil {
			if res.Status == "ran" {
				res.Status = "failed"
			}
			res.Note = err.Error()
			b.say("scenario %s %s: %s", sc.id, res.Status, res.Note)
		}
	}
	if cfg.scenarios[bulkID] {
		b.runBulk() // bulk.go
	}
	if cfg.scenarios[exportID] {
		b.runExport() // export.go
	}
}

func (b *bench) runScenario(sc *scenario, res *scenarioResult) error {
	cfg := b.cfg
	// Probe: one request, to skip what the server cannot do yet.
	st, body, uri, err := b.sample(b.pgrst.addr, sc, 0)
	res.Request = sc.method + " " + uri
	if sc.write {
		defer b.reset()
		b.reset()
	}
	if err != nil {
		return fmt.Errorf("probe: %v", err)
	}
	if st >= 400 {
		if sc.needs != "" {
			res.Status = "skipped"
			return fmt.Errorf("%s not available: HTTP %d %s", sc.needs, st, apiError(body))
		}
		return fmt.Errorf("probe: HTTP %d %s", st, apiError(body))
	}

	// The exact statements, for pgbench and the floor.
	var caps [][]stmt
	if cfg.limit && sc.limit {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		caps, err = b.capt.capture(ctx, variants, func(i int) error {
			st, body, _, err := b.sample(b.pgrst.addr, sc, uint64(1000+i))
			if err == nil && st >= 400 {
				err = fmt.Errorf("HTTP %d %s", st, apiError(body))
			}
			return err
		})
		cancel()
		if err != nil {
			b.note("scenario %s: capturing the SQL failed: %v", sc.id, err)
			caps = nil
		} else {
			res.SQL = caps[0]
		}
		if sc.write {
			b.reset()
		}
	}

	// pgrst, and the compared servers interleaved: A B A B.
	targets := append([]*target{b.pgrst}, b.others...)
	rounds, d := 1, cfg.duration
	if len(b.others) > 0 {
		rounds, d = 2, max(cfg.duration/2, time.Second)
	}
	meters := make([]*meter, len(targets))
	loads := make([]*loadResult, len(targets))
	for i, t := range targets {
		meters[i] = b.newMeter(t.pid)
		loads[i] = &loadResult{}
	}
	if b.pprofAddr != "" && !b.profiled {
		b.profiled = true
		b.attachProfiler(meters[0], d, sc.id)
	}
	for r := 0; r < rounds; r++ {
		for i, t := range targets {
			if i > 0 {
				if st, body, _, err := b.sample(t.addr, sc, 0); err != nil || st >= 400 {
					loads[i].FirstError = fmt.Sprintf("probe: HTTP %d %v %s", st, err, apiError(body))
					continue
				}
			}
			mergeLoad(loads[i], b.loadOf(t, sc, d, meters[i]))
			if sc.write {
				b.reset()
			}
		}
	}
	for i, t := range targets {
		rr := meters[i].result(t.name, "http", loads[i])
		res.Runs = append(res.Runs, rr)
		b.say("  %-13s %9.0f req/s  p99 %6.2f ms  errors %d", t.name, rr.RPS, rr.P99ms, rr.Errors)
		if i > 0 && res.Runs[0].RPS > 0 {
			res.Ratios[t.name+"/pgrst"] = rr.RPS / res.Runs[0].RPS
		}
	}

	if caps == nil {
		return nil
	}
	// The limit: the same statements through pgbench, and the floor.
	dir := filepath.Join(b.tmp, "pgbench-"+sc.id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	pb := &pgbenchRun{bin: filepath.Join(b.pgBin, "pgbench"), place: b.place, host: "127.0.0.1",
		port: b.cluster.Port(), clients: cfg.pool, dir: dir}
	for _, form := range []struct{ name, target, user string }{
		{"pipelined", "pgbench-tx", "bench_pgbench"},
		{"bare", "pgbench-bare", "postgres"},
	} {
		job, err := buildScripts(dir, form.name, caps)
		if err != nil {
			b.note("scenario %s: pgbench %s: %v", sc.id, form.name, err)
			continue
		}
		pb.user = form.user
		m := b.newMeter(0)
		lr, err := pb.run(job, cfg.warmup, cfg.duration, m.on)
		if sc.write {
			b.reset()
		}
		if err != nil {
			b.note("scenario %s: %v", sc.id, err)
			continue
		}
		rr := m.result(form.target, "pgbench", lr)
		res.Runs = append(res.Runs, rr)
		b.say("  %-13s %9.0f tx/s   p99 %6.2f ms  errors %d", form.target, rr.RPS, rr.P99ms, rr.Errors)
		if rr.RPS > 0 {
			res.Ratios["pgrst/"+form.target] = res.Runs[0].RPS / rr.RPS
		}
	}
	if sc.id == "1" {
		if err := b.runFloor(sc, caps, res); err != nil {
			b.note("floor: %v", err)
		}
	}
	return nil
}

// attachProfiler fetches a CPU profile of pgrst during the measured
// window of the run's first scenario, and its allocation profile at the
// start and end of the window (compare them with go tool pprof -base).
func (b *bench) attachProfiler(m *meter, d time.Duration, scenario string) {
	stamp := b.started.Format("20060102-150405")
	base := filepath.Join(b.cfg.resultsDir, stamp+"-s"+scenario)
	os.MkdirAll(b.cfg.resultsDir, 0o755)
	done := make(chan error, 1)
	m.onStart = func() {
		if err := b.fetchProfile("/debug/pprof/allocs", base+"-allocs-start.pprof"); err != nil {
			b.note("pprof: %v (is PGRST_PPROF_ADDR wired in main.go?)", err)
		}
		secs := max(1, int(d.Seconds())-1)
		go func() { done <- b.fetchProfile("/debug/pprof/profile?seconds="+strconv.Itoa(secs), base+"-cpu.pprof") }()
	}
	m.onStop = func() {
		if err := <-done; err != nil {
			b.note("pprof: cpu: %v", err)
		}
		if err := b.fetchProfile("/debug/pprof/allocs", base+"-allocs-end.pprof"); err == nil {
			b.note("profiles of pgrst under scenario %s: %s-{cpu,allocs-start,allocs-end}.pprof (go tool pprof -sample_index=alloc_space -base ...-allocs-start.pprof bin/pgrst ...-allocs-end.pprof)", scenario, base)
		}
		m.onStart, m.onStop = nil, nil
	}
}

// runFloor starts bench/floor with scenario 1's captured transaction and
// measures it like pgrst.
func (b *bench) runFloor(sc *scenario, caps [][]stmt, res *scenarioResult) error {
	if _, err := os.Stat(b.cfg.floorBin); err != nil {
		return fmt.Errorf("%v (make bench builds it: go build -o bin/pgrst-floor ./bench/floor)", err)
	}
	first := caps[0]
	si := -1
	for i, s := range first {
		if strings.Contains(s.SQL, "set_config") && len(s.Params) == 2 {
			si = i
		}
	}
	mi := len(first) - 1
	if si < 0 || si == mi {
		return fmt.Errorf("the captured transaction has no settings statement with names and values")
	}
	if first[si].Params[0] == nil || first[si].Params[1] == nil {
		return fmt.Errorf("NULL settings")
	}
	names, err1 := parseTextArray(*first[si].Params[0])
	values, err2 := parseTextArray(*first[si].Params[1])
	if err1 != nil || err2 != nil || len(names) != len(values) {
		return fmt.Errorf("cannot read the settings arrays: %v %v", err1, err2)
	}
	params := make([]string, len(first[mi].Params))
	varying := 0
	for pi, p := range first[mi].Params {
		if p == nil {
			return fmt.Errorf("NULL parameter in the main statement")
		}
		params[pi] = *p
		for _, v := range caps[1:] {
			if !eqParam(v[mi].Params[pi], p) {
				params[pi] = "{id}"
			}
		}
		if params[pi] == "{id}" {
			varying++
		}
	}
	if varying != 1 {
		return fmt.Errorf("expected one varying parameter (the id), found %d", varying)
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	port, err := freePort()
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(b.cfg.floorBin)
	cmd := b.place.command(b.place.serverCPU, abs,
		"-listen", "127.0.0.1:"+strconv.Itoa(port),
		"-db", b.cluster.URI("authenticator", "postgres"),
		"-pool", strconv.Itoa(b.cfg.pool),
		"-sql", first[mi].SQL, "-params", js(params), "-names", js(names), "-values", js(values))
	logPath := filepath.Join(b.tmp, "floor.log")
	lf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return err
	}
	lf.Close()
	b.floor = &target{name: "floor", addr: "127.0.0.1:" + strconv.Itoa(port), cmd: cmd, pid: cmd.Process.Pid}
	defer func() { stopCmd(cmd); b.floor = nil }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, body, err := get(b.floor.addr, "/customers?id=eq.1", "")
		if err == nil && st == 200 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the floor does not answer (HTTP %d %v %s):\n%s", st, err, body, tailString(readFile(logPath), 10))
		}
		time.Sleep(100 * time.Millisecond)
	}
	m := b.newMeter(b.floor.pid)
	lr := b.loadOf(b.floor, sc, b.cfg.duration, m)
	rr := m.result("floor", "http", lr)
	res.Runs = append(res.Runs, rr)
	b.say("  %-13s %9.0f req/s  p99 %6.2f ms  errors %d", "floor", rr.RPS, rr.P99ms, rr.Errors)
	if rr.RPS > 0 {
		res.Ratios["pgrst/floor"] = res.Runs[0].RPS / rr.RPS
	}
	if rr.P99ms > 0 {
		res.Ratios["p99 pgrst/floor"] = res.Runs[0].P99ms / rr.P99ms
	}
	return nil
}

// parseTextArray reads a one-dimensional text[] literal as PostgreSQL
// prints it: {a,"b c",NULL}.
func parseTextArray(s string) ([]string, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("not an array: %.40q", s)
	}
	s = s[1 : len(s)-1]
	var out []string
	for len(s) > 0 {
		var b strings.Builder
		if s[0] == '"' {
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			s = s[min(i+1, len(s)):]
		} else {
			i := strings.IndexByte(s, ',')
			if i < 0 {
				i = len(s)
			}
			b.WriteString(s[:i])
			s = s[i:]
		}
		out = append(out, b.String())
		s = strings.TrimPrefix(s, ",")
	}
	return out, nil
}
