// Package planner turns the URL query of a read request into one SQL
// statement and its arguments, in three stages kept apart as in PostgREST:
//
//   - Parse. ParseQuery reads a raw query string into a Query tree with
//     PostgREST's URL grammar, and reports malformed parameters with
//     PostgREST's PGRST100 texts. Parsing never looks at the schema, so it is
//     tested and fuzzed with strings alone. ParseQueryInto parses into a
//     Query the caller reuses, without allocating for the common forms.
//   - Plan. NewReadPlan resolves a Query against the schema cache (the
//     target relation, embedded relationships, column types) and builds a
//     Plan: the SQL text, in which every value that came from the client is
//     a bind parameter ($1, $2, ...), never part of the text.
//   - Bind. Plan.AppendArgs appends a Query's values in placeholder order,
//     in PostgreSQL's text format.
//
// The SQL text depends only on a query's shape: its structure without the
// values (Query.ShapeKey). Queries that differ only in their values share
// one Plan, so the server caches plans under AppendReadKey (the shape plus
// the target and the options), drops them when the schema cache is
// replaced, and in the steady state only parses and binds.
//
// Errors are *Error values with PostgREST's status, code, message, details
// and hint. The package does no I/O: it imports no database driver, HTTP
// server or logging code.
package planner
