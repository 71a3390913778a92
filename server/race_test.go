//go:build race

package server

// raceEnabled skips allocation counts, which the race detector inflates.
const raceEnabled = true
