package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenario 9 is not a load either: one client exports N rows of the view
// api.export_rows (the orders a thousand times over, ~250 bytes of NDJSON
// a row) as a streamed read, in NDJSON and in CSV (Prefer: stream), and
// the database's own export, COPY (the same query) TO STDOUT read by this
// client, is the limit; COPY of the same rows through row_to_json shows
// what of NDJSON's gap is PostgreSQL's JSON rendering. Each is timed exportRounds times, interleaved;
// the figure is the median. pgrst's peak RSS during its requests must
// stay flat whatever N: the goal is ≤ 64 MB at 5 million rows (over 1 GB
// of NDJSON) and a throughput of at least 0.7 × COPY's.
//
// N is BENCH_EXPORT_ROWS (default 5,000,000). At that size a round takes
// tens of seconds, so the scenario is not in the default list: ask for it
// with BENCH_SCENARIOS=9.

const (
	exportID     = "9"
	exportRounds = 3
)

// exportRows is the scenario's row count.
func exportRows() (int, error) {
	v := os.Getenv("BENCH_EXPORT_ROWS")
	if v == "" {
		return 5000000, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100000000 {
		return 0, fmt.Errorf("BENCH_EXPORT_ROWS=%q: 1 .. 100000000 rows", v)
	}
	return n, nil
}

// runExport measures scenario 9 into a scenarioResult of four runs:
// pgrst-ndjson, pgrst-csv, copy and copy-json.
func (b *bench) runExport() {
	n := b.cfg.exportRows
	res := &scenarioResult{ID: exportID, Title: fmt.Sprintf("export of %d rows: NDJSON, CSV (streamed), and COPY", n),
		Status: "ran", Ratios: map[string]float64{}, Request: "GET /export_rows?limit=" + strconv.Itoa(n)}
	b.record(res, func() error { return b.export(res, n) })
}

func (b *bench) export(res *scenarioResult, n int) error {
	url := "http://" + b.pgrst.addr + "/export_rows?limit=" + strconv.Itoa(n)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(accept, prefer string) (time.Duration, int64, error) {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			return 0, 0, err
		}
		req.Header.Set("Accept", accept)
		if prefer != "" {
			req.Header.Set("Prefer", prefer)
		}
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			return 0, 0, fmt.Errorf("HTTP %d %s", resp.StatusCode, apiError(body))
		}
		size, err := io.Copy(io.Discard, resp.Body)
		return time.Since(t0), size, err
	}
	query := "SELECT * FROM api.export_rows LIMIT " + strconv.Itoa(n)
	copySQL := "COPY (" + query + ") TO STDOUT WITH (FORMAT csv, HEADER true)"
	// The same rows as PostgreSQL's JSON, which NDJSON is: what is left
	// of the gap to COPY's CSV is PostgreSQL's JSON rendering.
	copyJSONSQL := "COPY (SELECT row_to_json(t) FROM (" + query + ") t) TO STDOUT"
	kinds := []struct {
		target string
		run    func() (time.Duration, int64, error)
	}{
		{"pgrst-ndjson", func() (time.Duration, int64, error) { return get("application/x-ndjson", "") }},
		{"pgrst-csv", func() (time.Duration, int64, error) { return get("text/csv", "stream") }},
		{"copy", func() (time.Duration, int64, error) { return b.copyOut(copySQL) }},
		{"copy-json", func() (time.Duration, int64, error) { return b.copyOut(copyJSONSQL) }},
	}
	times := make([][]time.Duration, len(kinds))
	sizes := make([]int64, len(kinds))
	peaks := make([]int64, len(kinds)) // kB
	for r := 0; r < exportRounds; r++ {
		for i, k := range kinds {
			server := !strings.HasPrefix(k.target, "copy")
			if server {
				resetPeak(b.pgrst.pid)
			}
			d, size, err := k.run()
			if err != nil {
				return fmt.Errorf("%s: %v", k.target, err)
			}
			times[i], sizes[i] = append(times[i], d), size
			if server {
				peaks[i] = max(peaks[i], memKB(b.pgrst.pid, "VmHWM"))
			}
		}
	}
	for i, k := range kinds {
		slices.Sort(times[i])
		med := times[i][len(times[i])/2]
		rr := &runResult{Target: k.target, Kind: "export", Requests: exportRounds, RPS: 1 / med.Seconds(),
			P50ms: ms(med), P90ms: ms(times[i][len(times[i])-1]), P99ms: ms(times[i][len(times[i])-1]),
			MaxMs: ms(times[i][len(times[i])-1]), AvgBodySize: float64(sizes[i])}
		if peaks[i] > 0 {
			rr.PeakRSSMB = float64(peaks[i]) / 1024
		}
		res.Runs = append(res.Runs, rr)
		b.say("  %-13s median %8.0f ms  %7.1f MB  %6.1f MB/s  %8.0f rows/s  peak RSS %.1f MB", k.target, ms(med),
			float64(sizes[i])/(1<<20), float64(sizes[i])/(1<<20)/med.Seconds(), float64(b.cfg.exportRows)/med.Seconds(), rr.PeakRSSMB)
	}
	// Throughput in rows: COPY's time over pgrst's (≥ 0.7 is the goal).
	for _, c := range []string{"copy", "copy-json"} {
		if cp := res.run(c); cp != nil && cp.P50ms > 0 {
			for _, t := range []string{"pgrst-ndjson", "pgrst-csv"} {
				if r := res.run(t); r != nil && r.P50ms > 0 {
					res.Ratios[t+"/"+c+" throughput"] = cp.P50ms / r.P50ms
				}
			}
		}
	}
	return nil
}

// copyOut runs a COPY ... TO STDOUT on the bench's superuser connection,
// counting and dropping what it sends.
func (b *bench) copyOut(sql string) (time.Duration, int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var w countingWriter
	t0 := time.Now()
	_, err := b.capt.admin.CopyTo(ctx, &w, sql)
	return time.Since(t0), w.n, err
}

// countingWriter counts and drops what COPY sends.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// exportTargets are scenario 9's targets: throughput ≥ 0.7 × COPY's and
// peak RSS ≤ 64 MB for each format; for NDJSON also against COPY of the
// same JSON (row_to_json), which isolates pgrst's own cost.
func (b *bench) exportTargets(add func(what, want string, got float64, ok, have bool, format string)) {
	s := b.scenario(exportID)
	for _, t := range []string{"pgrst-ndjson", "pgrst-csv"} {
		var rss float64
		if r := s.run(t); r != nil {
			rss = r.PeakRSSMB
		}
		v, ok := s.Ratios[t+"/copy throughput"]
		add("scenario 9: "+t[6:]+" export throughput vs COPY (csv)", "≥ 0.7", v, v >= 0.7, ok, "%.2f")
		if t == "pgrst-ndjson" {
			v, ok := s.Ratios[t+"/copy-json throughput"]
			add("scenario 9: ndjson export throughput vs COPY of row_to_json", "≥ 0.7", v, v >= 0.7, ok, "%.2f")
		}
		add("scenario 9: "+t[6:]+" export peak RSS (MB)", "≤ 64", rss, rss <= 64, rss > 0, "%.1f")
	}
}
