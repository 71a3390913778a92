package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pgrst/pgrst/wire/pgtest"
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
	// ReplicaDBCPUPerReqUs is a streaming replica's (scenario 10).
	ReplicaDBCPUPerReqUs float64 `json:"replica_db_cpu_us_per_req,omitempty"`
	// PeakRSSMB is the server's VmHWM during the runs (when the kernel lets
	// us reset it, otherwise since its start).
	PeakRSSMB  float64 `json:"peak_rss_mb,omitempty"`
	EndRSSMB   float64 `json:"end_rss_mb,omitempty"`
	ServerCPU  float64 `json:"server_cpu_busy_pct"`
	LoadGenCPU float64 `json:"loadgen_cpu_busy_pct"`
	// OtherCPU is the share of the whole machine's CPU (all CPUs, from
	// /proc/stat) used by processes that are neither the server,
	// PostgreSQL nor the load generator (this process and its pgbench):
	// noise from the rest of the machine; the worst repetition's.
	OtherCPU    float64 `json:"other_cpu_pct"`
	Elapsed     float64 `json:"elapsed_s"`
	PeakIsLocal bool    `json:"peak_rss_is_per_run,omitempty"`
	// RepsRPS are the repetitions' figures, of which RPS is the median;
	// PgrstRatio is the median of pgrst's req/s ÷ this target's, one
	// ratio per repetition.
	RepsRPS    []float64 `json:"reps_rps,omitempty"`
	PgrstRatio float64   `json:"pgrst_ratio,omitempty"`
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
	self      time.Duration // the load generator: this process and its reaped pgbench
	sb, st    int64
	lb, lt    int64
	mb, mt    int64 // the whole machine
	cpu0, db0 time.Duration
	self0     time.Duration
	sb0, st0  int64
	lb0, lt0  int64
	mb0, mt0  int64
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
	now := func() (cpu, db, self time.Duration, sb, st, lb, lt, mb, mt int64) {
		if m.pid > 0 {
			cpu = cpuTime(m.pid, false)
		}
		db = treeCPU(m.b.pmPID)
		self = cpuTime(os.Getpid(), true)
		if sc >= 0 {
			sb, st = cpuBusy(sc)
			lb, lt = cpuBusy(lc)
		}
		mb, mt = cpuBusy(-1)
		return
	}
	if start {
		m.cpu0, m.db0, m.self0, m.sb0, m.st0, m.lb0, m.lt0, m.mb0, m.mt0 = now()
		if m.onStart != nil {
			m.onStart()
		}
		return
	}
	cpu, db, self, sb, st, lb, lt, mb, mt := now()
	m.cpu += cpu - m.cpu0
	m.db += db - m.db0
	m.self += self - m.self0
	m.mb += mb - m.mb0
	m.mt += mt - m.mt0
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
	}
	if m.mt > 0 {
		own := float64(m.cpu+m.db+m.self) / float64(clockTick)
		r.OtherCPU = max(0, 100*(float64(m.mb)-own)/float64(m.mt))
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
		b.record(res, func() error { return b.runScenario(sc, res) })
	}
	if cfg.scenarios[bulkID] {
		b.runBulk() // bulk.go
	}
	if cfg.scenarios[exportID] {
		b.runExport() // export.go
	}
	if cfg.scenarios[replicaID] {
		b.runReplica() // replica.go
	}
}

// record adds res to the results and fills it by running run: a failure
// (or a skip, which run sets as res.Status) is noted in it.
func (b *bench) record(res *scenarioResult, run func() error) {
	b.results = append(b.results, res)
	b.say("scenario %s: %s", res.ID, res.Title)
	if err := run(); err != nil {
		if res.Status == "ran" {
			res.Status = "failed"
		}
		res.Note = err.Error()
		b.say("scenario %s %s: %s", res.ID, res.Status, res.Note)
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

	// Every target of the scenario, run once per repetition, interleaved
	// (pgrst, compared servers, pgbench-tx, pgbench-bare, floor; again):
	// a slow spell of the machine hits all of them alike, and the
	// figures are the medians of the repetitions.
	var runners []*runner
	for i, t := range append([]*target{b.pgrst}, b.others...) {
		if i > 0 {
			if st, body, _, err := b.sample(t.addr, sc, 0); err != nil || st >= 400 {
				b.note("scenario %s: %s: probe: HTTP %d %v %s", sc.id, t.name, st, err, apiError(body))
				continue
			}
		}
		runners = append(runners, b.httpRunner(t, sc))
	}
	if caps != nil {
		runners = append(runners, b.pgbenchRunners(sc, caps)...)
		if sc.id == "1" {
			f, err := b.startFloor(caps)
			if err != nil {
				b.note("floor: %v", err)
			} else {
				defer func() { stopCmd(f.cmd); b.floor = nil }()
				runners = append(runners, b.httpRunner(f, sc))
			}
		}
	}
	if b.pprofAddr != "" {
		runners[0].profile = true // the first repetition's window
	}
	for rep := 0; rep < cfg.reps; rep++ {
		for _, r := range runners {
			rr, err := r.once(rep)
			if err != nil {
				b.note("scenario %s: %s: %v", sc.id, r.name, err)
			}
			if rr != nil {
				unit := "req/s"
				if rr.Kind == "pgbench" {
					unit = "tx/s "
				}
				b.say("  %-13s %9.0f %s p99 %6.2f ms  cpu %5.1f µs  db %5.1f µs  other %3.0f%%  (%d/%d)",
					r.name, rr.RPS, unit, rr.P99ms, rr.CPUPerReqUs, rr.DBCPUPerReqUs, rr.OtherCPU, rep+1, cfg.reps)
			}
			r.reps = append(r.reps, rr)
			if sc.write {
				b.reset()
			}
		}
	}
	summarize(res, runners)
	return nil
}

// runner is one target of a scenario: once measures one repetition.
type runner struct {
	name    string
	profile bool // profile the first repetition (pgrst, BENCH_PPROF=1)
	once    func(rep int) (*runResult, error)
	reps    []*runResult // nil where a repetition failed
}

func (b *bench) httpRunner(t *target, sc *scenario) *runner {
	r := &runner{name: t.name}
	r.once = func(rep int) (*runResult, error) {
		m := b.newMeter(t.pid)
		if r.profile && rep == 0 {
			b.attachProfiler(m, b.cfg.duration, sc.id)
		}
		return m.result(t.name, "http", b.loadOf(t, sc, b.cfg.duration, m)), nil
	}
	return r
}

// pgbenchRunners are the database's limits for the captured statements:
// pgrst's whole transaction pipelined, and its main statement alone.
func (b *bench) pgbenchRunners(sc *scenario, caps [][]stmt) []*runner {
	dir := filepath.Join(b.tmp, "pgbench-"+sc.id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.note("scenario %s: %v", sc.id, err)
		return nil
	}
	var out []*runner
	for _, form := range []struct{ name, target, user string }{
		{"pipelined", "pgbench-tx", "bench_pgbench"},
		{"bare", "pgbench-bare", "postgres"},
	} {
		job, err := buildScripts(dir, form.name, caps)
		if err != nil {
			b.note("scenario %s: pgbench %s: %v", sc.id, form.name, err)
			continue
		}
		pb := &pgbenchRun{bin: filepath.Join(b.pgBin, "pgbench"), place: b.place, host: "127.0.0.1",
			port: b.cluster.Port(), clients: b.cfg.pool, dir: dir, user: form.user}
		target := form.target
		out = append(out, &runner{name: target, once: func(int) (*runResult, error) {
			m := b.newMeter(0)
			lr, err := pb.run(job, b.cfg.warmup, b.cfg.duration, m.on)
			if err != nil {
				return nil, err
			}
			return m.result(target, "pgbench", lr), nil
		}})
	}
	return out
}

// summarize turns the repetitions into the scenario's runs (the median of
// each figure) and ratios (the median of the per-repetition ratios, each
// repetition's targets having run side by side).
func summarize(res *scenarioResult, runners []*runner) {
	if len(runners) == 0 {
		return
	}
	base := runners[0] // pgrst
	ratio := func(key string, r *runner, f func(p, o *runResult) float64) {
		var vs []float64
		for i, o := range r.reps {
			if p := base.reps[i]; p != nil && o != nil {
				if v := f(p, o); v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
					vs = append(vs, v)
				}
			}
		}
		if len(vs) > 0 {
			res.Ratios[key] = median(vs)
		}
	}
	rps := func(p, o *runResult) float64 { return p.RPS / o.RPS }
	for i, r := range runners {
		m := medianRun(r.reps)
		if m == nil {
			continue
		}
		res.Runs = append(res.Runs, m)
		switch {
		case i == 0:
		case r.name == "pgbench-tx" || r.name == "pgbench-bare" || r.name == "floor":
			ratio("pgrst/"+r.name, r, rps)
			ratio("db pgrst/"+r.name, r, func(p, o *runResult) float64 { return p.DBCPUPerReqUs / o.DBCPUPerReqUs })
			if r.name == "floor" {
				ratio("p99 pgrst/floor", r, func(p, o *runResult) float64 { return p.P99ms / o.P99ms })
			}
			m.PgrstRatio = res.Ratios["pgrst/"+r.name]
		default: // a compared server
			ratio(r.name+"/pgrst", r, func(p, o *runResult) float64 { return o.RPS / p.RPS })
			if v := res.Ratios[r.name+"/pgrst"]; v > 0 {
				m.PgrstRatio = 1 / v
			}
		}
	}
}

// medianRun is one run whose figures are the medians of the repetitions'
// (counts are summed, the noise is the worst).
func medianRun(reps []*runResult) *runResult {
	var ok []*runResult
	for _, r := range reps {
		if r != nil {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	out := *ok[0]
	out.Requests, out.Errors, out.ErrStatus, out.ErrTimeout, out.ErrSocket, out.Elapsed = 0, 0, 0, 0, 0, 0
	out.PeakRSSMB, out.OtherCPU = 0, 0
	for _, r := range ok {
		out.Requests += r.Requests
		out.Errors += r.Errors
		out.ErrStatus += r.ErrStatus
		out.ErrTimeout += r.ErrTimeout
		out.ErrSocket += r.ErrSocket
		out.Elapsed += r.Elapsed
		out.PeakRSSMB = max(out.PeakRSSMB, r.PeakRSSMB)
		out.OtherCPU = max(out.OtherCPU, r.OtherCPU)
		out.RepsRPS = append(out.RepsRPS, r.RPS)
		if out.FirstError == "" {
			out.FirstError = r.FirstError
		}
	}
	med := func(f func(r *runResult) float64) float64 {
		vs := make([]float64, len(ok))
		for i, r := range ok {
			vs[i] = f(r)
		}
		return median(vs)
	}
	out.RPS = med(func(r *runResult) float64 { return r.RPS })
	out.P50ms = med(func(r *runResult) float64 { return r.P50ms })
	out.P90ms = med(func(r *runResult) float64 { return r.P90ms })
	out.P99ms = med(func(r *runResult) float64 { return r.P99ms })
	out.MaxMs = med(func(r *runResult) float64 { return r.MaxMs })
	out.AvgBodySize = med(func(r *runResult) float64 { return r.AvgBodySize })
	out.CPUPerReqUs = med(func(r *runResult) float64 { return r.CPUPerReqUs })
	out.DBCPUPerReqUs = med(func(r *runResult) float64 { return r.DBCPUPerReqUs })
	out.ServerCPU = med(func(r *runResult) float64 { return r.ServerCPU })
	out.LoadGenCPU = med(func(r *runResult) float64 { return r.LoadGenCPU })
	return &out
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// attachProfiler fetches a CPU profile of pgrst during the measured
// window of a scenario's first repetition, and its allocation profile at the
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

// startFloor starts bench/floor with scenario 1's captured transaction,
// to be measured like pgrst.
func (b *bench) startFloor(caps [][]stmt) (*target, error) {
	if _, err := os.Stat(b.cfg.floorBin); err != nil {
		return nil, fmt.Errorf("%v (make bench builds it: go build -o bin/pgrst-floor ./bench/floor)", err)
	}
	first := caps[0]
	si := -1
	for i, s := range first {
		if strings.HasPrefix(s.SQL, "select set_config($1, $2, true)") && len(s.Params)%2 == 0 {
			si = i
		}
	}
	mi := len(first) - 1
	if si < 0 || si == mi {
		return nil, fmt.Errorf("the captured transaction has no settings statement with names and values")
	}
	var names, values []string
	for i, p := range first[si].Params {
		if p == nil {
			return nil, fmt.Errorf("NULL settings")
		}
		if i%2 == 0 {
			names = append(names, *p)
		} else {
			values = append(values, *p)
		}
	}
	params := make([]string, len(first[mi].Params))
	varying := 0
	for pi, p := range first[mi].Params {
		if p == nil {
			return nil, fmt.Errorf("NULL parameter in the main statement")
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
		return nil, fmt.Errorf("expected one varying parameter (the id), found %d", varying)
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	port, err := pgtest.FreePort()
	if err != nil {
		return nil, err
	}
	abs, _ := filepath.Abs(b.cfg.floorBin)
	cmd := b.place.command(b.place.serverCPU, abs,
		"-listen", "127.0.0.1:"+strconv.Itoa(port),
		"-db", b.cluster.URI("authenticator", "postgres"),
		"-pool", strconv.Itoa(b.cfg.pool),
		"-sql", first[mi].SQL, "-params", js(params), "-settings", first[si].SQL, "-names", js(names), "-values", js(values))
	floor, logPath, err := b.spawn("floor", cmd, port)
	if err != nil {
		return nil, err
	}
	b.floor = floor
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, body, err := get(b.floor.addr, "/customers?id=eq.1", "")
		if err == nil && st == 200 {
			return b.floor, nil
		}
		if time.Now().After(deadline) {
			stopCmd(cmd)
			return nil, fmt.Errorf("the floor does not answer (HTTP %d %v %s):\n%s", st, err, body, tailString(readFile(logPath), 10))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
