//go:build race

package sqltext

// raceEnabled skips allocation counts, which the race detector inflates.
const raceEnabled = true
