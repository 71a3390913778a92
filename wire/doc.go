// Package wire runs pgrst's requests on PostgreSQL: a pgx connection pool,
// one pipelined batch per request (one network round trip in the steady
// state), and the raw bytes of the result handed back without decoding.
package wire
