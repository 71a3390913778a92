package main

import (
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// pprofEnv turns on Go's profiling endpoints, for benchmarking and
// debugging only: PGRST_PPROF_ADDR=127.0.0.1:6060 serves
// /debug/pprof/{profile,heap,allocs,goroutine,...} there. Off when unset.
// The endpoints have no authentication: bind them to a loopback address.
// make bench sets it with BENCH_PPROF=1.
const pprofEnv = "PGRST_PPROF_ADDR"

// startPprof serves the profiling endpoints when environ sets
// PGRST_PPROF_ADDR, on their own listener and mux (never the API's), and
// returns the function that stops them. It does nothing, and costs
// nothing, when the variable is unset.
func startPprof(environ []string, log zerolog.Logger) (stop func()) {
	addr := ""
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, pprofEnv+"="); ok {
			addr = strings.TrimSpace(v)
		}
	}
	if addr == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error().Err(err).Str("address", addr).Msg(pprofEnv + ": cannot listen; profiling off")
		return func() {}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Msg(pprofEnv + ": profiling server stopped")
		}
	}()
	log.Log().Str("address", ln.Addr().String()).Msg("profiling endpoints on (" + pprofEnv + ")")
	return func() { srv.Close() }
}
