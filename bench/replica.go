package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pgrst/pgrst/wire/pgtest"
)

// Scenario 10 (opt-in: BENCH_SCENARIOS=10) shows reads moving to a
// streaming replica: scenario 2's reads run against pgrst on the primary
// alone, then against a second pgrst with db-replicas naming a replica
// made with pg_basebackup -R. The figure is the primary's CPU time per
// request, which should fall to nearly nothing, and the replica's. With
// two CPUs the replica shares the primary's, so req/s does not grow:
// on a machine of its own, the replica's CPU is capacity added.

const replicaID = "10"

func (b *bench) runReplica() {
	res := &scenarioResult{ID: replicaID, Title: "reads of scenario 2, primary alone vs a streaming replica",
		Status: "ran", Ratios: map[string]float64{}}
	b.results = append(b.results, res)
	b.say("scenario %s: %s", res.ID, res.Title)
	if err := b.replicaRuns(res); err != nil {
		res.Status, res.Note = "failed", err.Error()
		b.say("scenario %s failed: %s", res.ID, res.Note)
	}
}

func (b *bench) replicaRuns(res *scenarioResult) error {
	var sc *scenario
	for _, s := range scenarios() {
		if s.id == "2" {
			sc = s
		}
	}
	replica, err := b.cluster.StartReplica(pgtest.Options{Settings: map[string]string{
		"shared_buffers": "256MB", "jit": "off", "max_connections": "200"}})
	if err != nil {
		return err
	}
	defer replica.Stop()
	rpm, err := postmasterPID(filepath.Join(replica.Dir(), "data"))
	if err != nil {
		return err
	}
	if b.place.pinned {
		for _, pid := range append(childrenOf(rpm), rpm) {
			if err := b.place.pin(pid, b.place.serverCPU); err != nil {
				return err
			}
		}
	}
	adminPort, err := pgtest.FreePort()
	if err != nil {
		return err
	}
	admin := "127.0.0.1:" + strconv.Itoa(adminPort)
	withReplica, err := b.startServer("pgrst-replica", b.cfg.pgrstBin,
		"PGRST_DB_REPLICAS=postgres://127.0.0.1:"+strconv.Itoa(replica.Port())+"?sslmode=disable",
		"PGRST_ADMIN_SERVER_PORT="+strconv.Itoa(adminPort))
	if err != nil {
		return err
	}
	defer stopCmd(withReplica.cmd)
	// Wait until reads reach the replica (it is up and has replayed the
	// position of pgrst's schema cache load).
	deadline := time.Now().Add(60 * time.Second)
	for !b.replicaServes(withReplica, admin, sc) {
		if time.Now().After(deadline) {
			return fmt.Errorf("reads do not reach the replica after 60s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	res.Request = "GET /orders?status=eq...&ordered_at=gte...&limit=50"
	for _, t := range []*target{b.pgrst, withReplica} {
		m := b.newMeter(t.pid)
		var replicaCPU, r0 time.Duration
		m.onStart = func() { r0 = treeCPU(rpm) }
		m.onStop = func() { replicaCPU += treeCPU(rpm) - r0 }
		lr := b.loadOf(t, sc, b.cfg.duration, m)
		rr := m.result(t.name, "http", lr)
		if lr.Requests > 0 {
			rr.ReplicaDBCPUPerReqUs = float64(replicaCPU/time.Nanosecond) / 1e3 / float64(lr.Requests)
		}
		res.Runs = append(res.Runs, rr)
		b.say("  %-14s %8.0f req/s  errors %d  primary %7.1f µs CPU/req  replica %7.1f µs CPU/req",
			t.name, rr.RPS, rr.Errors, rr.DBCPUPerReqUs, rr.ReplicaDBCPUPerReqUs)
	}
	if alone, with := res.run("pgrst"), res.run("pgrst-replica"); alone != nil && with != nil && alone.DBCPUPerReqUs > 0 {
		res.Ratios["primary db cpu per request, with/without replica"] = with.DBCPUPerReqUs / alone.DBCPUPerReqUs
	}
	return nil
}

// replicaServes sends one request of sc and tells whether the replica's
// request counter moved.
func (b *bench) replicaServes(t *target, admin string, sc *scenario) bool {
	count := func() int {
		_, body, err := get(admin, "/metrics", "")
		if err != nil {
			return -1
		}
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, "pgrst_db_replica_requests_total{") {
				n, _ := strconv.Atoi(line[strings.LastIndexByte(line, ' ')+1:])
				return n
			}
		}
		return -1
	}
	before := count()
	if status, _, _, err := b.sample(t.addr, sc, b.cfg.seed); err != nil || status != 200 {
		return false
	}
	return before >= 0 && count() > before
}
