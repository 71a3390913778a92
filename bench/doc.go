// Command bench is pgrst's benchmark harness (make bench): it starts a
// throwaway PostgreSQL cluster tuned for benchmarking, loads a deterministic
// dataset (dataset.sql), starts pgrst (bin/pgrst), runs the scenarios with a
// closed-loop load generator, measures the database's own limit for the
// same statements with pgbench and a minimal server (bench/floor), prints a
// table with the ratios, writes JSON to bench/results/ and stops everything.
//
// Environment:
//
//	BENCH_DURATION     measured time per run (default 5s)
//	BENCH_WARMUP       warm-up before each run (default 1s)
//	BENCH_REPS         repetitions of each scenario's runs, interleaved across
//	                   its targets (pgrst, compared servers, pgbench, floor);
//	                   the table shows their medians (default 3)
//	BENCH_CONCURRENCY  keep-alive connections of the load generator (default 32)
//	BENCH_POOL         pgrst's and the floor's db-pool, pgbench's clients (default 8)
//	BENCH_SCENARIOS    comma-separated ids (default 1,1j,2,2j,3,4,5,6,7,8; 10, reads
//	                   moved to a streaming replica, and 9,
//	                   the export of BENCH_EXPORT_ROWS rows, takes minutes
//	                   and runs only when named, as do po and pk: page 1,000
//	                   by offset and by keyset)
//	BENCH_EXPORT_ROWS  scenario 9's rows (default 5000000, over 1 GB of NDJSON)
//	BENCH_SEED         seed of the random request parameters (default 1)
//	BENCH_LIMIT        0 to skip pgbench and the floor
//	BENCH_TARGETS      other servers to compare, name=URL or name=/path/to/binary,
//	                   comma-separated; runs are interleaved A B A B
//	BENCH_PPROF        1 to fetch CPU and allocation profiles of pgrst during
//	                   each scenario's first repetition (pgrst serves PGRST_PPROF_ADDR)
package main
