// Package planner turns a request's URL query into a tree (ParseQuery, no
// schema access), resolves that tree against the schema cache and emits one
// SQL statement whose every client value is a bind parameter (PlanRead).
//
// The package imports no HTTP, database driver or logging code: it is tested
// with strings alone.
package planner

import "github.com/pgrst/pgrst/apierr"

// Error is the error of every failed parse or plan: a PGRST error of
// apierr's table, which the server answers with as it stands.
type Error = apierr.Error
