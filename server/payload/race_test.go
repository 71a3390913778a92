//go:build race

package payload

// raceEnabled skips allocation counts, which the race detector inflates.
const raceEnabled = true
