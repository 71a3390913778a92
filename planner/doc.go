// Package planner turns a request — an action (read, insert, update,
// upsert, delete, call) on a target, with its URL query, Prefer headers,
// media type and body keys — into one SQL statement and its arguments, in
// three stages kept apart as in PostgREST:
//
//   - Parse. ParseQuery reads a raw query string into a Query tree with
//     PostgREST's URL grammar, and reports malformed parameters with
//     PostgREST's PGRST100 texts. Parsing never looks at the schema, so it is
//     tested and fuzzed with strings alone. ParseQueryInto parses into a
//     Query the caller reuses, without allocating for the common forms.
//   - Plan. New resolves a Request against the schema cache (the target
//     relation, embedded relationships, column types) and builds a Plan:
//     the action's source inside the shared envelope, in which every value
//     that came from the client is a bind parameter ($1, $2, ...), never
//     part of the text.
//   - Bind. The builder records where each placeholder's value comes from;
//     Plan.Bind runs that program over any request of the plan's shape and
//     fills reusable Args in PostgreSQL's text format.
//
// The SQL text depends only on a request's shape: its structure without
// the values (AppendKey). Requests that differ only in their values share
// one Plan, so the server caches plans under that key, drops them when the
// schema cache is replaced, and in the steady state only parses and binds.
// What the planner emits is kept as golden files in testdata/sql.
//
// Errors are *Error values with PostgREST's status, code, message, details
// and hint. The package does no I/O: it imports no database driver, HTTP
// server or logging code.
package planner
