// Package sqltext writes the pieces of SQL text that carry names and
// values: double-quoted identifiers, schema-qualified names, string
// literals, the text form of PostgreSQL arrays, and JSON strings (the
// documents pgrst hands PostgreSQL as settings, and its error bodies).
//
// Every function appends to a byte slice and returns it, so hot paths
// build statements and settings without allocating; the Quote* functions
// are conveniences for callers that need a string.
//
// One rule holds for all SQL text (identifiers, literals, array
// literals): a quote inside the value is escaped, and NUL bytes are
// dropped, because PostgreSQL text cannot hold them (a NUL would cut a
// statement short on the wire, or be refused in a value). JSON strings
// escape NUL as \u0000 instead: JSON can carry it. The one exception is
// AppendArrayElemKeepNUL, for wire's settings parameters, where PostgreSQL
// refusing the NUL is wanted.
//
// String literals assume standard_conforming_strings = on, PostgreSQL's
// default since 9.1 and what pgx requires: a backslash in '...' is an
// ordinary character.
//
// The package imports nothing from the project, so every layer may use it.
package sqltext
