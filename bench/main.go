package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/wire/pgtest"
)

//go:embed dataset.sql
var datasetSQL string

// benchSecret signs the benchmark's JWTs; it is public.
const benchSecret = "pgrst-bench-secret-not-for-production-0123456789"

// variants is how many requests of a scenario are captured for pgbench.
const variants = 16

type config struct {
	duration, warmup time.Duration
	conc, pool, reps int
	scenarios        map[string]bool
	seed             uint64
	limit            bool
	targets          []targetSpec
	pprof            bool
	pgrstBin         string
	exportRows       int // scenario 9's rows (BENCH_EXPORT_ROWS)
	floorBin         string
	resultsDir       string
}

type targetSpec struct{ name, spec string }

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	b := &bench{cfg: cfg, started: time.Now()}
	defer b.stopAll()
	// Ctrl-C stops the children and the cluster before leaving.
	go func() {
		sigs := make(chan os.Signal, 1)
		signalNotify(sigs)
		<-sigs
		fmt.Fprintln(os.Stderr, "\nbench: interrupted; stopping")
		b.stopAll()
		os.Exit(130)
	}()
	if err := b.setup(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	b.runAll()
	b.report()
	return 0
}

func loadConfig() (*config, error) {
	c := &config{duration: 5 * time.Second, warmup: time.Second, conc: 32, pool: 8, reps: 3, seed: 1, limit: true}
	flag.StringVar(&c.pgrstBin, "pgrst", "bin/pgrst", "the pgrst binary")
	flag.StringVar(&c.floorBin, "floor", "bin/pgrst-floor", "the floor server binary (bench/floor)")
	flag.StringVar(&c.resultsDir, "results", "bench/results", "directory for the JSON results and profiles")
	flag.Parse()
	var err error
	dur := func(name string, d *time.Duration) {
		if v := os.Getenv(name); v != "" && err == nil {
			if n, e := strconv.Atoi(v); e == nil {
				*d = time.Duration(n) * time.Second
			} else if *d, e = time.ParseDuration(v); e != nil {
				err = fmt.Errorf("%s=%q: a duration (10s, 1m) or seconds", name, v)
			}
		}
	}
	num := func(name string, n *int) {
		if v := os.Getenv(name); v != "" && err == nil {
			if *n, err = strconv.Atoi(v); err != nil || *n < 1 {
				err = fmt.Errorf("%s=%q: a positive integer", name, v)
			}
		}
	}
	dur("BENCH_DURATION", &c.duration)
	dur("BENCH_WARMUP", &c.warmup)
	num("BENCH_CONCURRENCY", &c.conc)
	num("BENCH_POOL", &c.pool)
	num("BENCH_REPS", &c.reps)
	if v := os.Getenv("BENCH_SEED"); v != "" && err == nil {
		c.seed, err = strconv.ParseUint(v, 10, 64)
	}
	if err != nil {
		return nil, err
	}
	if c.duration < time.Second {
		return nil, fmt.Errorf("BENCH_DURATION must be at least 1s")
	}
	c.limit = os.Getenv("BENCH_LIMIT") != "0"
	c.pprof = os.Getenv("BENCH_PPROF") == "1"
	all := scenarios()
	known := map[string]bool{}
	for _, s := range all {
		known[s.id] = true
	}
	known[bulkID] = true    // bulk.go
	known[exportID] = true  // export.go, not in the default list: long
	known[replicaID] = true // replica.go, not in the default list: a second cluster
	c.scenarios = map[string]bool{}
	list := os.Getenv("BENCH_SCENARIOS")
	if list == "" {
		for _, s := range all {
			c.scenarios[s.id] = !s.optional
		}
		c.scenarios[bulkID] = true
	}
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if !known[id] {
			return nil, fmt.Errorf("BENCH_SCENARIOS: unknown scenario %q (known: 1,1j,2,2j,3,4,5,6,7,8,9,10,po,pk)", id)
		}
		c.scenarios[id] = true
	}
	if c.scenarios[exportID] {
		if c.exportRows, err = exportRows(); err != nil {
			return nil, err
		}
	}
	for _, t := range strings.Split(os.Getenv("BENCH_TARGETS"), ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		name, spec, ok := strings.Cut(t, "=")
		if !ok {
			name, spec = fmt.Sprintf("other%d", len(c.targets)+1), t
		}
		if name == "pgrst" {
			return nil, fmt.Errorf("BENCH_TARGETS: the name pgrst is taken")
		}
		c.targets = append(c.targets, targetSpec{name, spec})
	}
	return c, nil
}

// target is a server under test.
type target struct {
	name string
	addr string    // host:port
	cmd  *exec.Cmd // nil when not started by us
	pid  int
}

type bench struct {
	cfg     *config
	started time.Time
	place   placement
	cluster *pgtest.Cluster
	pmPID   int
	pgBin   string
	capt    *capturer
	pgrst   *target
	others  []*target
	floor   *target
	token   string
	tmp     string
	notes   []string
	idleRSS int64
	// pprofAddr is pgrst's profiling listener (BENCH_PPROF=1).
	pprofAddr string

	results []*scenarioResult
	stopped bool
}

func (b *bench) say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

func (b *bench) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	b.notes = append(b.notes, n)
	b.say("%s", n)
}

func (b *bench) setup() error {
	cfg := b.cfg
	for _, bin := range []string{cfg.pgrstBin} {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("%w (build it first: make build)", err)
		}
	}
	var err error
	if b.tmp, err = os.MkdirTemp("", "pgrst-bench-"); err != nil {
		return err
	}
	// Scripts and logs of pgbench are read by us only, but pgbench may run
	// as another user when we are root: keep the directory traversable.
	os.Chmod(b.tmp, 0o755)

	b.place = choosePlacement()
	b.note("%s", b.place.note)
	if err := b.place.pin(os.Getpid(), b.place.serverCPU); err != nil {
		return err
	}

	settings := map[string]string{
		"shared_buffers":          "256MB", // the dataset with its indexes is ~80 MB
		"synchronous_commit":      "off",
		"jit":                     "off",
		"max_connections":         "200",
		"max_wal_size":            "2GB",
		"checkpoint_timeout":      "30min",
		"log_min_messages":        "warning",
		"log_min_error_statement": "panic",
	}
	for k, v := range logSettings {
		settings[k] = v
	}
	b.say("starting a throwaway PostgreSQL cluster tuned for benchmarking: shared_buffers=256MB, synchronous_commit=off, fsync=off, full_page_writes=off, jit=off (never use these settings for data you keep)")
	if b.cluster, err = pgtest.Start(pgtest.Options{Settings: settings}); err != nil {
		return err
	}
	if b.pgBin, err = pgtest.FindBin(); err != nil {
		return err
	}
	if b.pmPID, err = postmasterPID(filepath.Join(b.cluster.Dir(), "data")); err != nil {
		return err
	}
	// Backends forked later inherit the postmaster's CPU.
	if b.place.pinned {
		for _, pid := range append(childrenOf(b.pmPID), b.pmPID) {
			if err := b.place.pin(pid, b.place.serverCPU); err != nil {
				return err
			}
		}
		if err := b.place.pin(os.Getpid(), b.place.loadCPU); err != nil {
			return err
		}
		runtime.GOMAXPROCS(1)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	if err := b.cluster.Exec(ctx, datasetSQL); err != nil {
		return fmt.Errorf("loading the dataset: %w", err)
	}
	if err := b.cluster.Exec(ctx, "vacuum (analyze, freeze)"); err != nil {
		return err
	}
	b.say("dataset loaded in %s (10k customers, 1k products, 100k orders, 300k order items)", time.Since(t0).Round(100*time.Millisecond))

	if b.capt, err = newCapturer(ctx, b.cluster.URI("postgres", "postgres"),
		filepath.Join(b.cluster.Dir(), "data"), "authenticator"); err != nil {
		return err
	}
	tok, err := jwt.NewBuilder().Claim("role", "web_user").Build()
	if err != nil {
		return err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256, []byte(benchSecret)))
	if err != nil {
		return err
	}
	b.token = "Bearer " + string(signed)

	if b.pgrst, err = b.startServer("pgrst", cfg.pgrstBin); err != nil {
		return err
	}
	time.Sleep(2 * time.Second)
	b.idleRSS = memKB(b.pgrst.pid, "VmRSS")
	b.say("pgrst ready on %s (pid %d, db-pool %d), idle RSS %.1f MB", b.pgrst.addr, b.pgrst.pid, cfg.pool, float64(b.idleRSS)/1024)

	for _, t := range cfg.targets {
		if strings.HasPrefix(t.spec, "http://") {
			u := strings.TrimSuffix(strings.TrimPrefix(t.spec, "http://"), "/")
			b.others = append(b.others, &target{name: t.name, addr: u})
			b.note("target %s: %s, a server started elsewhere: it must serve bench/dataset.sql in schema api with jwt-secret %q", t.name, t.spec, benchSecret)
			continue
		}
		o, err := b.startServer(t.name, t.spec)
		if err != nil {
			return fmt.Errorf("target %s: %w", t.name, err)
		}
		b.others = append(b.others, o)
		b.say("%s ready on %s (pid %d)", t.name, o.addr, o.pid)
	}
	return nil
}

// spawn starts cmd, a server listening on port, in a process group of its
// own with its output in name.log of the bench's directory.
func (b *bench) spawn(name string, cmd *exec.Cmd, port int) (t *target, logPath string, err error) {
	logPath = filepath.Join(b.tmp, name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	defer lf.Close() // the child has its own descriptor
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	return &target{name: name, addr: "127.0.0.1:" + strconv.Itoa(port), cmd: cmd, pid: cmd.Process.Pid}, logPath, nil
}

// startServer starts a PostgREST-compatible binary on the server CPU with
// the bench configuration in PGRST_* variables, and waits until it serves.
func (b *bench) startServer(name, bin string, extraEnv ...string) (*target, error) {
	port, err := pgtest.FreePort()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	cmd := b.place.command(b.place.serverCPU, abs)
	env := []string{
		"PGRST_DB_URI=" + b.cluster.URI("authenticator", "postgres"),
		"PGRST_DB_SCHEMAS=api",
		"PGRST_DB_ANON_ROLE=web_anon",
		"PGRST_DB_POOL=" + strconv.Itoa(b.cfg.pool),
		"PGRST_JWT_SECRET=" + benchSecret,
		"PGRST_SERVER_HOST=127.0.0.1",
		"PGRST_SERVER_PORT=" + strconv.Itoa(port),
		"PGRST_LOG_LEVEL=error",
	}
	if b.cfg.pprof && name == "pgrst" {
		pp, err := pgtest.FreePort()
		if err != nil {
			return nil, err
		}
		env = append(env, "PGRST_PPROF_ADDR=127.0.0.1:"+strconv.Itoa(pp))
		b.pprofAddr = "127.0.0.1:" + strconv.Itoa(pp)
	}
	cmd.Env = append(append(os.Environ(), env...), extraEnv...)
	t, logPath, err := b.spawn(name, cmd, port)
	if err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		status, _, err := get(t.addr, "/customers?limit=1", "")
		if err == nil && status == 200 {
			return t, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("%s exited:\n%s", bin, tailString(readFile(logPath), 20))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stopCmd(cmd)
			return nil, fmt.Errorf("%s does not serve /customers after 60s (last: %d %v):\n%s", bin, status, err, tailString(readFile(logPath), 20))
		}
	}
}

func (b *bench) stopAll() {
	if b.stopped {
		return
	}
	b.stopped = true
	for _, t := range append([]*target{b.pgrst, b.floor}, b.others...) {
		if t != nil && t.cmd != nil {
			stopCmd(t.cmd)
		}
	}
	if b.capt != nil {
		b.capt.admin.Close(context.Background())
	}
	if b.cluster != nil {
		if err := b.cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}
	if b.tmp != "" {
		os.RemoveAll(b.tmp)
	}
}

func stopCmd(cmd *exec.Cmd) {
	if cmd.Process == nil || cmd.ProcessState != nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for cmd.ProcessState == nil {
			if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
	}
}

// get sends one request (for probes and readiness checks).
func get(addr, path, auth string) (int, []byte, error) {
	return do(addr, "GET", path, auth, nil, nil)
}

func do(addr, method, uri, auth string, headers [][2]string, body []byte) (int, []byte, error) {
	req := fasthttp.AcquireRequest()
	res := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(res)
	req.SetRequestURI("http://" + addr + uri)
	req.Header.SetMethod(method)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for _, h := range headers {
		req.Header.Set(h[0], h[1])
	}
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBody(body)
	}
	if err := fasthttp.DoTimeout(req, res, 10*time.Second); err != nil {
		return 0, nil, err
	}
	return res.StatusCode(), append([]byte(nil), res.Body()...), nil
}

// sample sends the request of sc drawn with seed to addr.
func (b *bench) sample(addr string, sc *scenario, seed uint64) (int, []byte, string, error) {
	rng := rand.New(rand.NewPCG(b.cfg.seed, seed))
	uri, body := sc.build(rng, nil, nil)
	st, resp, err := do(addr, sc.method, string(uri), b.authFor(sc), sc.headers, body)
	return st, resp, string(uri), err
}

func (b *bench) authFor(sc *scenario) string {
	if sc.role != "" {
		return b.token
	}
	return ""
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// fetchProfile saves a pprof profile of pgrst.
func (b *bench) fetchProfile(path, file string) error {
	resp, err := (&http.Client{Timeout: b.cfg.duration + 30*time.Second}).Get("http://" + b.pprofAddr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	if err2 := f.Close(); err == nil {
		err = err2
	}
	return err
}

// apiError reads the code and message of a PostgREST error body.
func apiError(body []byte) string {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details string `json:"details"`
	}
	if json.Unmarshal(body, &e) != nil || e.Code == "" {
		return truncate(string(body), 200)
	}
	s := e.Code + " " + e.Message
	if e.Details != "" {
		s += ": " + e.Details
	}
	return s
}

func signalNotify(c chan os.Signal) { signal.Notify(c, syscall.SIGINT, syscall.SIGTERM) }
