//go:build race

package auth

// raceEnabled skips allocation counts, which the race detector inflates.
const raceEnabled = true
