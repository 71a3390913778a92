package main

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// load is one closed-loop run: conc workers, each with its own keep-alive
// connection, send a request, wait for the answer, send the next. Requests
// that start during the warm-up are not counted.
type load struct {
	addr     string // host:port, always 127.0.0.1
	conc     int
	warmup   time.Duration
	duration time.Duration
	seed     uint64
	timeout  time.Duration
	sc       *scenario
	auth     string // Authorization header value, "" for anonymous
	// onMeasure, when set, is called when the measured window opens and
	// closes (true, then false), from the coordinating goroutine.
	onMeasure func(start bool)
}

// loadResult is what one run measured.
type loadResult struct {
	Requests uint64
	Errors   uint64
	// Errors by kind: HTTP status ≥ 400, timeouts, other socket errors.
	Status4xx5xx uint64
	Timeouts     uint64
	Socket       uint64
	Elapsed      time.Duration
	Hist         hist
	// FirstError describes one error, for the report.
	FirstError string
	Bytes      uint64 // response body bytes, measured window only
}

func (r *loadResult) rps() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

type worker struct {
	h        hist
	requests uint64
	status   uint64
	timeouts uint64
	socket   uint64
	bytes    uint64
	firstErr string
}

func (l *load) run() *loadResult {
	hc := &fasthttp.HostClient{
		Addr:                l.addr,
		MaxConns:            l.conc,
		ReadTimeout:         l.timeout,
		WriteTimeout:        l.timeout,
		MaxIdleConnDuration: time.Minute,
		MaxConnWaitTimeout:  l.timeout,
	}
	defer hc.CloseIdleConnections()

	var measuring atomic.Bool
	var stop atomic.Bool
	workers := make([]worker, l.conc)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func(w *worker, id uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(l.seed, id))
			req := fasthttp.AcquireRequest()
			res := fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(res)
			var uri, body []byte
			for !stop.Load() {
				req.Reset()
				res.Reset()
				uri = append(uri[:0], "http://"...)
				uri = append(uri, l.addr...)
				uri, body = l.sc.build(rng, uri, body[:0])
				req.SetRequestURIBytes(uri)
				req.Header.SetMethod(l.sc.method)
				if l.auth != "" {
					req.Header.Set("Authorization", l.auth)
				}
				for _, h := range l.sc.headers {
					req.Header.Set(h[0], h[1])
				}
				if body != nil {
					req.Header.SetContentType("application/json")
					req.SetBodyRaw(body)
				}
				counted := measuring.Load()
				start := time.Now()
				err := hc.DoTimeout(req, res, l.timeout)
				d := time.Since(start)
				if !counted || !measuring.Load() {
					continue
				}
				w.requests++
				w.h.record(d)
				switch {
				case err == nil && res.StatusCode() < 400:
					w.bytes += uint64(len(res.Body()))
				case err == nil:
					w.status++
					if w.firstErr == "" {
						w.firstErr = "HTTP " + itoa(res.StatusCode()) + ": " + truncate(string(res.Body()), 300)
					}
				case errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout):
					w.timeouts++
					if w.firstErr == "" {
						w.firstErr = err.Error()
					}
				default:
					w.socket++
					if w.firstErr == "" {
						w.firstErr = err.Error()
					}
					// Back off a little: a refused connection must not
					// turn into a busy loop.
					time.Sleep(time.Millisecond)
				}
			}
		}(&workers[i], uint64(i))
	}

	time.Sleep(l.warmup)
	measuring.Store(true)
	start := time.Now()
	if l.onMeasure != nil {
		l.onMeasure(true)
	}
	time.Sleep(l.duration)
	measuring.Store(false)
	elapsed := time.Since(start)
	if l.onMeasure != nil {
		l.onMeasure(false)
	}
	stop.Store(true)
	wg.Wait()

	r := &loadResult{Elapsed: elapsed}
	for i := range workers {
		w := &workers[i]
		r.Hist.merge(&w.h)
		r.Requests += w.requests
		r.Status4xx5xx += w.status
		r.Timeouts += w.timeouts
		r.Socket += w.socket
		r.Bytes += w.bytes
		if r.FirstError == "" {
			r.FirstError = w.firstErr
		}
	}
	r.Errors = r.Status4xx5xx + r.Timeouts + r.Socket
	return r
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
