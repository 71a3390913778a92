package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type report struct {
	Started     time.Time         `json:"started"`
	Machine     map[string]string `json:"machine"`
	Settings    map[string]any    `json:"settings"`
	Notes       []string          `json:"notes"`
	IdleRSSMB   float64           `json:"pgrst_idle_rss_mb"`
	Scenarios   []*scenarioResult `json:"scenarios"`
	Targets     []targetCheck     `json:"targets"`
	DurationSec float64           `json:"total_s"`
}

// noiseLimit is the share of the machine's CPU other processes may take
// before a run is flagged as noisy (percent).
const noiseLimit = 5.0

type targetCheck struct {
	What   string `json:"what"`
	Want   string `json:"want"`
	Got    string `json:"got"`
	Status string `json:"status"` // met, missed, n/a
}

func (b *bench) scenario(id string) *scenarioResult {
	for _, s := range b.results {
		if s.ID == id {
			return s
		}
	}
	return nil
}

func (b *bench) report() {
	cfg := b.cfg
	// JWT variants against their anonymous scenario.
	for _, p := range [][2]string{{"1j", "1"}, {"2j", "2"}} {
		j, a := b.scenario(p[0]), b.scenario(p[1])
		if j == nil || a == nil || j.run("pgrst") == nil || a.run("pgrst") == nil || a.run("pgrst").RPS == 0 {
			continue
		}
		j.Ratios["pgrst jwt/anon"] = j.run("pgrst").RPS / a.run("pgrst").RPS
	}

	w := os.Stdout
	fmt.Fprintf(w, "\npgrst bench  %s  (medians of %d interleaved repetitions of %d s measured + %d s warm-up per target, %d connections, pool %d, seed %d)\n",
		b.started.Format("2006-01-02 15:04"), cfg.reps, int(cfg.duration.Seconds()), int(cfg.warmup.Seconds()), cfg.conc, cfg.pool, cfg.seed)
	fmt.Fprintf(w, "PostgreSQL tuned for benchmarking: shared_buffers=256MB, synchronous_commit=off, fsync=off, full_page_writes=off, jit=off\n")
	fmt.Fprintf(w, "%s\n", b.place.note)
	fmt.Fprintf(w, "pgrst idle RSS after start-up: %.1f MB\n\n", float64(b.idleRSS)/1024)
	fmt.Fprintf(w, "%-4s %-13s %9s %7s %7s %7s %7s %7s %8s %8s %7s %6s %6s %7s  %s\n",
		"scn", "target", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "cpu µs", "db µs", "rss MB", "cpu0%", "cpu1%", "other%", "pgrst ÷ this")
	noisy := 0.0
	for _, s := range b.results {
		if s.Status != "ran" {
			fmt.Fprintf(w, "%-4s %-13s %s\n", s.ID, s.Status, s.Note)
			continue
		}
		for i, r := range s.Runs {
			id := ""
			if i == 0 {
				id = s.ID
			}
			cpu, rss, other := "-", "-", "-"
			if r.CPUPerReqUs > 0 {
				cpu = fmt.Sprintf("%.1f", r.CPUPerReqUs)
			}
			if r.PeakRSSMB > 0 {
				rss = fmt.Sprintf("%.1f", r.PeakRSSMB)
			}
			if r.Kind != "bulk" {
				other = fmt.Sprintf("%.0f", r.OtherCPU)
				if r.OtherCPU > noiseLimit {
					other += "!"
				}
				noisy = max(noisy, r.OtherCPU)
			}
			ratio := ""
			if r.PgrstRatio > 0 {
				ratio = fmt.Sprintf("%.2f", r.PgrstRatio)
			}
			fmt.Fprintf(w, "%-4s %-13s %9.0f %7.2f %7.2f %7.2f %7.1f %7d %8s %8.1f %7s %6.0f %6.0f %7s  %s\n",
				id, r.Target, r.RPS, r.P50ms, r.P90ms, r.P99ms, r.MaxMs, r.Errors, cpu, r.DBCPUPerReqUs, rss,
				r.ServerCPU, r.LoadGenCPU, other, ratio)
			if r.FirstError != "" {
				fmt.Fprintf(w, "     %-13s first error: %s\n", "", truncate(strings.ReplaceAll(r.FirstError, "\n", " "), 160))
			}
		}
		if v, ok := s.Ratios["pgrst jwt/anon"]; ok {
			fmt.Fprintf(w, "     %-13s with a JWT: %.2f × the anonymous figure\n", "", v)
		}
	}
	fmt.Fprintf(w, "\ncpu µs: the server process's CPU time per request (from /proc/<pid>/stat); db µs: PostgreSQL's (every backend and\n"+
		"the postmaster); rss MB: the server's peak RSS (VmHWM) during the run; cpu0%%/cpu1%%: busy share of the server CPU and\n"+
		"the load CPU; other%%: share of the whole machine's CPU used by other processes than the server, PostgreSQL and the load\n"+
		"(the worst repetition; ! above %.0f%%: that run is noisy); pgrst ÷ this: the median of the repetitions' ratios;\n"+
		"pgbench-tx: pgrst's whole transaction (settings + main statement, one pipeline, -M prepared); pgbench-bare: the main statement alone;\n"+
		"floor: bench/floor, a minimal fasthttp + pgx server running the same transaction; pgbench runs %d clients (= pool).\n", noiseLimit, cfg.pool)
	if noisy > noiseLimit {
		fmt.Fprintf(w, "warning: other processes used up to %.0f%% of the machine's CPU during a run: the figures are noisy; compare CPU µs per request rather than req/s\n", noisy)
	}

	checks := b.checkTargets()
	fmt.Fprintf(w, "\ntargets\n")
	for _, c := range checks {
		fmt.Fprintf(w, "  %-7s %-64s want %-10s got %s\n", c.Status, c.What, c.Want, c.Got)
	}
	for _, n := range b.notes {
		if !strings.HasPrefix(n, "CPU placement") {
			fmt.Fprintf(w, "note: %s\n", n)
		}
	}

	rep := &report{Started: b.started, Notes: b.notes, IdleRSSMB: float64(b.idleRSS) / 1024,
		Scenarios: b.results, Targets: checks, DurationSec: time.Since(b.started).Seconds(),
		Machine: map[string]string{"goos": runtime.GOOS, "goarch": runtime.GOARCH, "cpus": fmt.Sprint(runtime.NumCPU()),
			"cpu_model": cpuModel(), "placement": b.place.note},
		Settings: map[string]any{"duration_s": cfg.duration.Seconds(), "warmup_s": cfg.warmup.Seconds(),
			"concurrency": cfg.conc, "pool": cfg.pool, "repetitions": cfg.reps, "seed": cfg.seed, "pgbench_clients": cfg.pool}}
	if err := os.MkdirAll(cfg.resultsDir, 0o755); err == nil {
		path := filepath.Join(cfg.resultsDir, b.started.Format("20060102-150405")+".json")
		data, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(path, data, 0o644); err == nil {
			fmt.Fprintf(w, "\nresults: %s (total %s)\n", path, time.Since(b.started).Round(time.Second))
		} else {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}
}

func (b *bench) checkTargets() []targetCheck {
	var out []targetCheck
	add := func(what, want string, got float64, ok bool, have bool, format string) {
		c := targetCheck{What: what, Want: want, Status: "n/a", Got: "-"}
		if have {
			c.Got = fmt.Sprintf(format, got)
			c.Status = map[bool]string{true: "met", false: "MISSED"}[ok]
		}
		out = append(out, c)
	}
	ratio := func(id, key string) (float64, bool) {
		s := b.scenario(id)
		if s == nil {
			return 0, false
		}
		v, ok := s.Ratios[key]
		return v, ok
	}
	v, ok := ratio("1", "pgrst/floor")
	add("scenario 1: req/s vs the floor", "≥ 0.90", v, v >= 0.90, ok, "%.3f")
	v, ok = ratio("1", "p99 pgrst/floor")
	add("scenario 1: p99 latency vs the floor's", "≤ 1.20", v, v <= 1.20, ok, "%.3f")
	v, ok = ratio("1", "pgrst/pgbench-bare")
	add("scenario 1: req/s vs pgbench's bare query", "≥ 0.60", v, v >= 0.60, ok, "%.3f")
	for _, id := range []string{"2", "3", "4", "5", "6", "7"} {
		v, ok = ratio(id, "pgrst/pgbench-tx")
		add("scenario "+id+": req/s vs pgbench's pipelined transaction", "≥ 0.85", v, v >= 0.85, ok, "%.3f")
	}
	for _, id := range []string{"1", "2", "3", "4", "5", "6", "7"} {
		v, ok = ratio(id, "db pgrst/pgbench-bare")
		add("scenario "+id+": database CPU per request vs the bare query's", "≤ 1.25", v, v <= 1.25, ok, "%.3f")
	}
	for _, id := range []string{"1j", "2j"} {
		v, ok = ratio(id, "pgrst jwt/anon")
		add("scenario "+id+": with a JWT vs anonymous", "≥ 0.95", v, v >= 0.95, ok, "%.3f")
	}
	for _, g := range []struct {
		id    string
		limit float64
	}{{"1", 20}, {"2", 50}} {
		what, want := "scenario "+g.id+": pgrst CPU per request (µs)", fmt.Sprintf("≤ %.0f", g.limit)
		if s := b.scenario(g.id); s != nil && s.run("pgrst") != nil {
			r := s.run("pgrst")
			add(what, want, r.CPUPerReqUs, r.CPUPerReqUs <= g.limit, r.CPUPerReqUs > 0, "%.1f")
		} else {
			add(what, want, 0, false, false, "")
		}
	}
	b.bulkTargets(add) // bulk.go
	if b.scenario(exportID) != nil {
		b.exportTargets(add) // export.go
	}
	idle := float64(b.idleRSS) / 1024
	add("RSS idle after start-up (MB)", "≤ 20", idle, idle <= 20, b.idleRSS > 0, "%.1f")
	peak := 0.0
	for _, s := range b.results {
		if r := s.run("pgrst"); r != nil {
			peak = max(peak, r.PeakRSSMB)
		}
	}
	add(fmt.Sprintf("RSS peak during the %d-connection runs (MB)", b.cfg.conc), "≤ 60", peak, peak <= 60, peak > 0, "%.1f")
	out = append(out, targetCheck{What: "zero allocations on the plan-cache-hit path", Want: "0 allocs", Got: "see make bench-micro", Status: "n/a"})
	return out
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			_, v, _ := strings.Cut(line, ":")
			return strings.TrimSpace(v)
		}
	}
	return ""
}
