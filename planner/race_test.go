//go:build race

package planner

// raceEnabled skips allocation counts, which the race detector inflates.
const raceEnabled = true
