package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// Scenario 8 is not a load: one client posts 10,000 orders in one
// request, as a JSON array and as CSV, and the database's own bulk load,
// COPY of the same rows from this client, is the limit. Each is timed
// bulkRounds times, interleaved (JSON, CSV, COPY), the rows deleted
// after each; the figure is the median. pgrst's peak RSS during its
// requests is compared with its idle RSS plus three times the body.

const (
	bulkID     = "8"
	bulkRows   = 10000
	bulkRounds = 7
	bulkCols   = "customer_id,status,total,ordered_at,shipping_address"
)

// bulkBodies are the same rows as a JSON array and as CSV with a header.
func bulkBodies(seed uint64) (js, csv []byte) {
	rng := rand.New(rand.NewPCG(seed, 8))
	js = append(js, '[')
	csv = append(csv, bulkCols+"\n"...)
	for i := 0; i < bulkRows; i++ {
		cust := strconv.Itoa(1 + rng.IntN(10000))
		total := strconv.Itoa(1+rng.IntN(5000)) + ".50"
		day := dates[rng.IntN(len(dates))]
		if i > 0 {
			js = append(js, ',')
		}
		js = append(js, `{"customer_id":`+cust+`,"status":"pending","total":`+total+
			`,"ordered_at":"`+day+`T03:04:05Z","shipping_address":"`+strconv.Itoa(i)+` Bulk Road, \"B\""}`...)
		csv = append(csv, cust+",pending,"+total+","+day+`T03:04:05Z,"`+strconv.Itoa(i)+` Bulk Road, ""B"""`+"\n"...)
	}
	js = append(js, ']')
	return js, csv
}

// runBulk measures scenario 8 into a scenarioResult of three runs:
// pgrst-json, pgrst-csv and copy.
func (b *bench) runBulk() {
	res := &scenarioResult{ID: bulkID, Title: fmt.Sprintf("bulk insert of %d orders: JSON, CSV, and COPY", bulkRows),
		Status: "ran", Ratios: map[string]float64{}, Request: "POST /orders (" + bulkCols + ")"}
	b.record(res, func() error { return b.bulk(res) })
}

func (b *bench) bulk(res *scenarioResult) error {
	js, csv := bulkBodies(b.cfg.seed)
	defer b.reset()
	b.reset()
	post := func(ct string, body []byte) (time.Duration, error) {
		t0 := time.Now()
		st, resp, err := b.postBody(ct, body)
		d := time.Since(t0)
		if err == nil && st != 201 {
			err = fmt.Errorf("HTTP %d %s", st, apiError(resp))
		}
		return d, err
	}
	if _, err := post("application/json", js); err != nil {
		res.Status = "skipped"
		return fmt.Errorf("writes (POST) not available: %v", err)
	}
	b.reset()
	copySQL := "COPY api.orders (" + bulkCols + ") FROM STDIN WITH (FORMAT csv, HEADER true)"
	kinds := []struct {
		target string
		run    func() (time.Duration, error)
		body   []byte
	}{
		{"pgrst-json", func() (time.Duration, error) { return post("application/json", js) }, js},
		{"pgrst-csv", func() (time.Duration, error) { return post("text/csv", csv) }, csv},
		{"copy", func() (time.Duration, error) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			t0 := time.Now()
			_, err := b.capt.admin.CopyFrom(ctx, bytes.NewReader(csv), copySQL)
			return time.Since(t0), err
		}, csv},
	}
	times := make([][]time.Duration, len(kinds))
	peaks := make([]int64, len(kinds)) // kB
	for r := 0; r < bulkRounds; r++ {
		for i, k := range kinds {
			server := k.target != "copy"
			if server {
				resetPeak(b.pgrst.pid)
			}
			d, err := k.run()
			if err != nil {
				return fmt.Errorf("%s: %v", k.target, err)
			}
			times[i] = append(times[i], d)
			if server {
				peaks[i] = max(peaks[i], memKB(b.pgrst.pid, "VmHWM"))
			}
			b.reset()
		}
	}
	for i, k := range kinds {
		slices.Sort(times[i])
		med := times[i][len(times[i])/2]
		rr := &runResult{Target: k.target, Kind: "bulk", Requests: bulkRounds, RPS: 1 / med.Seconds(),
			P50ms: ms(med), P90ms: ms(times[i][len(times[i])*9/10]), P99ms: ms(times[i][len(times[i])-1]),
			MaxMs: ms(times[i][len(times[i])-1]), AvgBodySize: float64(len(k.body))}
		if peaks[i] > 0 {
			rr.PeakRSSMB = float64(peaks[i]) / 1024
			// The RSS bound: idle + 3 × the body, in MB.
			res.Ratios["rss limit MB "+k.target] = (float64(b.idleRSS) + 3*float64(len(k.body))/1024) / 1024
		}
		res.Runs = append(res.Runs, rr)
		b.say("  %-13s median %7.1f ms  body %.1f MB  peak RSS %.1f MB", k.target, ms(med), float64(len(k.body))/(1<<20), rr.PeakRSSMB)
	}
	if cp := res.run("copy"); cp != nil && cp.P50ms > 0 {
		for _, t := range []string{"pgrst-json", "pgrst-csv"} {
			if r := res.run(t); r != nil {
				res.Ratios[t+"/copy time"] = r.P50ms / cp.P50ms
			}
		}
	}
	return nil
}

// postBody posts a bulk body to /orders as the bench's JWT user, with
// return=minimal.
func (b *bench) postBody(contentType string, body []byte) (int, []byte, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + b.pgrst.addr + "/orders")
	req.Header.SetMethod("POST")
	req.Header.Set("Authorization", b.token)
	req.Header.Set("Prefer", "return=minimal")
	req.Header.SetContentType(contentType)
	req.SetBody(body)
	if err := fasthttp.DoTimeout(req, resp, time.Minute); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

// bulkTargets are scenario 8's targets: each body type within 2 × COPY's
// time, and the peak RSS within idle + 3 × the body.
func (b *bench) bulkTargets(add func(what, want string, got float64, ok, have bool, format string)) {
	s := b.scenario(bulkID)
	for _, t := range []string{"pgrst-json", "pgrst-csv"} {
		var v, rss, limit float64
		var ok, okRSS bool
		if s != nil {
			v, ok = s.Ratios[t+"/copy time"]
			if r := s.run(t); r != nil {
				rss = r.PeakRSSMB
				limit, okRSS = s.Ratios["rss limit MB "+t]
			}
		}
		add("scenario 8: "+t[6:]+" bulk insert time vs COPY", "≤ 2", v, v <= 2, ok, "%.2f")
		add("scenario 8: "+t[6:]+" peak RSS (MB) vs idle + 3 × body", fmt.Sprintf("≤ %.1f", limit), rss, rss <= limit, okRSS && rss > 0, "%.1f")
	}
}
