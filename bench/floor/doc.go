// Command floor is the benchmark's lower bound for scenario 1
// (GET /customers?id=eq.N): a minimal fasthttp + pgx server that runs the
// same transaction as pgrst (the settings statement: role switch, claims,
// request headers, method and path; then the main statement; one pipeline,
// one Sync) and does nothing else: no routing beyond one path, no parsing
// beyond one filter, no planning, no auth. No gateway with PostgREST's
// semantics can do less per request; the bench harness compares pgrst to it.
//
// The bench harness passes pgrst's own statements, captured from the
// database's log, so the database does the same work for both.
package main
