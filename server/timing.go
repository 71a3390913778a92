package server

import (
	"strconv"
	"time"
)

// Server-Timing (server-timing-enabled): how long each stage of a request
// took, as PostgREST reports it. Each mark closes a stage at the current
// time; a stage that a request never reached is left out. When disabled,
// a mark is one branch: no clock is read.

// stage is a stage of the request pipeline, in the header's order.
type stage uint8

const (
	stageJWT         stage = iota // authentication
	stageParse                    // routing, the URL, headers and body
	stagePlan                     // the plan, its arguments and settings
	stageTransaction              // the database's round trip
	stageResponse                 // status, headers and body
	nStages
)

var stageNames = [nStages]string{"jwt", "parse", "plan", "transaction", "response"}

type timing struct {
	on   bool
	last time.Time
	dur  [nStages]time.Duration
	seen [nStages]bool
}

// begin starts timing at start when on.
func (t *timing) begin(on bool, start time.Time) {
	*t = timing{on: on, last: start}
}

// mark ends stage s now; time spent again in a stage adds up.
func (t *timing) mark(s stage) {
	if !t.on {
		return
	}
	now := time.Now()
	t.dur[s] += now.Sub(t.last)
	t.seen[s] = true
	t.last = now
}

// appendHeader appends the Server-Timing value: "jwt;dur=0.1, ..." in
// milliseconds with one decimal.
func (t *timing) appendHeader(dst []byte) []byte {
	first := true
	for s := range nStages {
		if !t.seen[s] {
			continue
		}
		if !first {
			dst = append(dst, ", "...)
		}
		first = false
		dst = append(dst, stageNames[s]...)
		dst = append(dst, ";dur="...)
		dst = strconv.AppendFloat(dst, float64(t.dur[s].Microseconds())/1000, 'f', 1, 64)
	}
	return dst
}
