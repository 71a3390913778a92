package server

import (
	"strconv"
	"sync/atomic"

	"github.com/pgrst/pgrst/control"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/wire"
)

// serverStats are the server's own counters. They are updated with
// atomics only, never under a lock.
type serverStats struct {
	// byClass counts responses by status class: byClass[2] are the 2xx.
	byClass [6]atomic.Uint64
	// JWT cache counters of the verifiers that configuration reloads
	// replaced, so the totals survive a reload.
	jwtHits, jwtMisses, jwtEvictions atomic.Uint64
}

// countStatus counts one response.
func (st *serverStats) countStatus(status int) {
	if c := status / 100; c >= 1 && c <= 5 {
		st.byClass[c].Add(1)
	}
}

// retire keeps the counters of a verifier that is being replaced.
func (st *serverStats) retire(v *auth.Verifier) {
	if v == nil {
		return
	}
	h, m := v.CacheStats()
	st.jwtHits.Add(h)
	st.jwtMisses.Add(m)
	st.jwtEvictions.Add(v.CacheEvictions())
}

// appendMetrics appends the Prometheus text exposition of the server's
// metrics: PostgREST's names first, then pgrst's own.
func (s *Server) appendMetrics(b []byte, cs control.Stats) []byte {
	ps := s.pool.PoolStats()
	header := func(b []byte, name, help, typ string) []byte {
		b = append(b, "# HELP "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, help...)
		b = append(b, "\n# TYPE "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, typ...)
		return append(b, '\n')
	}
	counter := func(b []byte, name, help string) []byte { return header(b, name, help, "counter") }
	gauge := func(b []byte, name, help string) []byte { return header(b, name, help, "gauge") }
	sample := func(b []byte, name, labels string, v uint64) []byte {
		b = append(b, name...)
		b = append(b, labels...)
		b = append(b, ' ')
		b = strconv.AppendUint(b, v, 10)
		return append(b, '\n')
	}
	boolean := func(v bool) uint64 {
		if v {
			return 1
		}
		return 0
	}

	b = counter(b, "pgrst_schema_cache_loads_total", "The total number of times the schema cache was loaded")
	b = sample(b, "pgrst_schema_cache_loads_total", `{status="FAIL"}`, cs.SchemaLoadFailures)
	b = sample(b, "pgrst_schema_cache_loads_total", `{status="SUCCESS"}`, cs.SchemaLoads)
	b = gauge(b, "pgrst_schema_cache_query_time_seconds", "The query time in seconds of the last schema cache load")
	b = append(b, "pgrst_schema_cache_query_time_seconds "...)
	b = strconv.AppendFloat(b, cs.SchemaLoadTime.Seconds(), 'g', -1, 64)
	b = append(b, '\n')

	b = gauge(b, "pgrst_db_pool_available", "Available connections in the pool")
	b = sample(b, "pgrst_db_pool_available", "", uint64(max(ps.Idle, 0)))
	b = gauge(b, "pgrst_db_pool_waiting", "Requests waiting to acquire a pool connection")
	b = sample(b, "pgrst_db_pool_waiting", "", uint64(max(ps.Waiting, 0)))
	b = gauge(b, "pgrst_db_pool_max", "Max pool connections")
	b = sample(b, "pgrst_db_pool_max", "", uint64(max(ps.Max, 0)))
	b = counter(b, "pgrst_db_pool_timeouts_total", "The total number of pool connection timeouts")
	b = sample(b, "pgrst_db_pool_timeouts_total", "", ps.Timeouts)

	hits, misses, evictions := s.stats.jwtHits.Load(), s.stats.jwtMisses.Load(), s.stats.jwtEvictions.Load()
	if rt := s.opts.Load(); rt != nil && rt.Auth != nil {
		h, m := rt.Auth.CacheStats()
		hits, misses, evictions = hits+h, misses+m, evictions+rt.Auth.CacheEvictions()
	}
	b = counter(b, "pgrst_jwt_cache_requests_total", "The total number of JWT cache lookups")
	b = sample(b, "pgrst_jwt_cache_requests_total", "", hits+misses)
	b = counter(b, "pgrst_jwt_cache_hits_total", "The total number of JWT cache hits")
	b = sample(b, "pgrst_jwt_cache_hits_total", "", hits)
	b = counter(b, "pgrst_jwt_cache_evictions_total", "The total number of JWT cache evictions")
	b = sample(b, "pgrst_jwt_cache_evictions_total", "", evictions)

	b = counter(b, "pgrst_requests_total", "The total number of API responses by status class")
	for c := 1; c <= 5; c++ {
		b = sample(b, "pgrst_requests_total", `{class="`+strconv.Itoa(c)+`xx"}`, s.stats.byClass[c].Load())
	}
	ph, pm := s.PlanCacheStats()
	b = counter(b, "pgrst_plan_cache_hits_total", "The total number of plan cache hits")
	b = sample(b, "pgrst_plan_cache_hits_total", "", ph)
	b = counter(b, "pgrst_plan_cache_misses_total", "The total number of plan cache misses")
	b = sample(b, "pgrst_plan_cache_misses_total", "", pm)
	b = counter(b, "pgrst_config_reloads_total", "The total number of configuration reloads")
	b = sample(b, "pgrst_config_reloads_total", `{status="FAIL"}`, cs.ConfigReloadFailures)
	b = sample(b, "pgrst_config_reloads_total", `{status="SUCCESS"}`, cs.ConfigReloads)
	b = counter(b, "pgrst_notifications_total", "The total number of notifications received on db-channel")
	b = sample(b, "pgrst_notifications_total", "", cs.Notifications)
	b = gauge(b, "pgrst_listener_up", "1 while the listener is connected to the database")
	b = sample(b, "pgrst_listener_up", "", boolean(cs.ListenerUp))
	b = gauge(b, "pgrst_db_pool_connections", "Open connections in the pool")
	b = sample(b, "pgrst_db_pool_connections", "", uint64(max(ps.Total, 0)))
	h := s.listeners // listen.go
	b = gauge(b, "pgrst_listen_subscribers", "Event streams open on /listen/")
	b = sample(b, "pgrst_listen_subscribers", "", uint64(max(h.count.Load(), 0)))
	b = counter(b, "pgrst_listen_events_total", "The total number of notifications relayed to /listen/ subscribers (one per notification)")
	b = sample(b, "pgrst_listen_events_total", "", h.events.Load())
	b = counter(b, "pgrst_listen_dropped_total", "The total number of /listen/ subscribers dropped for reading too slowly")
	b = sample(b, "pgrst_listen_dropped_total", "", h.dropped.Load())
	if rs := s.replicas.Load(); rs != nil {
		b = appendReplicaMetrics(b, rs, gauge, counter)
	}
	return b
}

// appendReplicaMetrics appends each replica's state, lag and requests
// (db-replicas), labelled with its host:port.
func appendReplicaMetrics(b []byte, rs *wire.Replicas, gauge, counter func(b []byte, name, help string) []byte) []byte {
	stats := make([]wire.ReplicaStats, 0, len(rs.List()))
	for _, r := range rs.List() {
		stats = append(stats, r.Stats())
	}
	each := func(b []byte, name string, value func(st *wire.ReplicaStats) []byte) []byte {
		for i := range stats {
			b = append(b, name...)
			b = append(b, `{replica=`...)
			b = strconv.AppendQuote(b, stats[i].Name)
			b = append(b, "} "...)
			b = append(append(b, value(&stats[i])...), '\n')
		}
		return b
	}
	b = gauge(b, "pgrst_db_replica_up", "1 while the replica takes reads (reachable, replaying, within db-replica-max-lag)")
	b = each(b, "pgrst_db_replica_up", func(st *wire.ReplicaStats) []byte {
		if st.State == wire.ReplicaUp {
			return []byte("1")
		}
		return []byte("0")
	})
	b = gauge(b, "pgrst_db_replica_lag_seconds", "Age of the replica's data at its last check")
	b = each(b, "pgrst_db_replica_lag_seconds", func(st *wire.ReplicaStats) []byte {
		return strconv.AppendFloat(nil, st.Lag.Seconds(), 'g', -1, 64)
	})
	b = gauge(b, "pgrst_db_replica_lag_bytes", "WAL the replica had still to replay at its last check")
	b = each(b, "pgrst_db_replica_lag_bytes", func(st *wire.ReplicaStats) []byte {
		return strconv.AppendInt(nil, st.LagBytes, 10)
	})
	b = counter(b, "pgrst_db_replica_requests_total", "The total number of requests sent to the replica")
	b = each(b, "pgrst_db_replica_requests_total", func(st *wire.ReplicaStats) []byte {
		return strconv.AppendUint(nil, st.Requests, 10)
	})
	b = counter(b, "pgrst_db_replica_fallbacks_total", "The total number of reads a replica could not serve and the primary did")
	b = append(b, "pgrst_db_replica_fallbacks_total "...)
	b = strconv.AppendUint(b, rs.Fallbacks(), 10)
	b = append(b, '\n')
	b = counter(b, "pgrst_db_replica_overflows_total", "The total number of reads the primary served because every replica that could was busy (its pool full)")
	b = append(b, "pgrst_db_replica_overflows_total "...)
	b = strconv.AppendUint(b, rs.Overflows(), 10)
	return append(b, '\n')
}
