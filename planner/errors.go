package planner

import "github.com/pgrst/pgrst/apierr"

// Error is the error of every failed parse or plan: a PGRST error of
// apierr's table, which the server answers with as it stands.
type Error = apierr.Error
