package planner

import (
	"bytes"
	"fmt"
	"testing"
)

// FuzzPreferences checks that no Prefer value makes Add, StrictError or
// AppendApplied panic; that what Preference-Applied echoes, for every
// action, reads back as the same preferences and echoes the same (so it
// holds only words Add accepts); and that a reused Preferences reads a
// value as a fresh one does. Seeds live in testdata/fuzz/FuzzPreferences.
func FuzzPreferences(f *testing.F) {
	f.Add([]byte("return=representation, count=exact"))
	f.Add([]byte("handling=strict,max-affected=5, tx=rollback,bogus"))
	f.Add([]byte("timezone=America/Los_Angeles,resolution=merge-duplicates, missing=default"))
	f.Fuzz(func(t *testing.T, v []byte) {
		var p Preferences
		p.Add(v)
		if err := p.StrictError(); err != nil && (p.Handling != HandlingStrict || len(p.Invalid) == 0) {
			t.Fatalf("strict error without strict handling of invalid items: %v", err)
		}
		for a := range honouredBy {
			applied := p.AppendApplied(nil, Action(a))
			var r Preferences
			r.Add(applied)
			if len(r.Invalid) > 0 {
				t.Fatalf("action %d echoes %q, which reads as invalid %q", a, applied, r.Invalid)
			}
			if again := r.AppendApplied(nil, Action(a)); !bytes.Equal(again, applied) {
				t.Fatalf("action %d echoes %q, which echoes %q", a, applied, again)
			}
		}
		var q Preferences
		q.Add([]byte("count=planned, return=minimal, junk, timezone=UTC, max-affected=1"))
		q.Reset()
		q.Add(v)
		if fmt.Sprintf("%+v", q) != fmt.Sprintf("%+v", p) {
			t.Fatalf("reused: %+v\nfresh: %+v", q, p)
		}
	})
}
