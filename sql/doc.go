// Package sql embeds pgrst's SQL files: catalog introspection, the pgrst
// control schema, and the fixtures of the demo database and the tests.
package sql
