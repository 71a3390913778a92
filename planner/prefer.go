package planner

import (
	"bytes"
	"strconv"

	"github.com/pgrst/pgrst/apierr"
)

// The Prefer header (RFC 7240) as PostgREST reads it: every Prefer header,
// split at commas, each item trimmed; the first item of each kind wins;
// items that are not one of the known values are invalid, which matters
// only under handling=strict (PGRST122). Prefer changes the statement
// (count, return, resolution, missing), so its parsed form is part of the
// planner's Request.

// Handling is Prefer: handling=.
type Handling uint8

const (
	HandlingUnset Handling = iota
	HandlingStrict
	HandlingLenient
)

// Return is Prefer: return=.
type Return uint8

const (
	ReturnUnset Return = iota
	ReturnRepresentation
	ReturnMinimal
	ReturnHeadersOnly
)

// Resolution is Prefer: resolution= (upserts).
type Resolution uint8

const (
	ResolutionUnset Resolution = iota
	ResolutionMerge
	ResolutionIgnore
)

// Missing is Prefer: missing= (absent keys of a write's body).
type Missing uint8

const (
	MissingUnset Missing = iota
	MissingDefault
	MissingNull
)

// TxEnd is Prefer: tx=.
type TxEnd uint8

const (
	TxUnset TxEnd = iota
	TxCommit
	TxRollback
)

// Preferences are the parsed Prefer headers of a request. Byte slices
// alias the request's header bytes: valid only while the request is.
type Preferences struct {
	Count      Count
	Handling   Handling
	Return     Return
	Resolution Resolution
	Missing    Missing
	Tx         TxEnd
	// Timezone is the value of the first timezone= item (HasTimezone).
	Timezone    []byte
	HasTimezone bool
	// MaxAffected is the first max-affected= item, when it is an integer.
	MaxAffected    int64
	HasMaxAffected bool
	sawMaxAffected bool
	// Stream is Prefer: stream, pgrst's own: send a JSON array or CSV
	// read as its rows arrive (server/stream.go).
	Stream bool
	// SingleObject is params=single-object, PostgREST 5's way to pass a
	// call's whole body as its function's one json argument.
	SingleObject bool
	// Keyset is pagination=keyset (pgrst's own): a read's response links
	// to the next page by its sort key (keyset.go).
	Keyset bool
	// Invalid lists the unknown or malformed items, in order.
	Invalid [][]byte
}

// Reset clears p, keeping its buffers.
func (p *Preferences) Reset() {
	inv := p.Invalid[:0]
	*p = Preferences{Invalid: inv}
}

// prefWords maps each accepted word to the preference it sets.
var prefWords = map[string]func(p *Preferences){
	"count=exact":                  func(p *Preferences) { setOnce(&p.Count, CountExact) },
	"count=planned":                func(p *Preferences) { setOnce(&p.Count, CountPlanned) },
	"count=estimated":              func(p *Preferences) { setOnce(&p.Count, CountEstimated) },
	"handling=strict":              func(p *Preferences) { setOnce(&p.Handling, HandlingStrict) },
	"handling=lenient":             func(p *Preferences) { setOnce(&p.Handling, HandlingLenient) },
	"return=representation":        func(p *Preferences) { setOnce(&p.Return, ReturnRepresentation) },
	"return=minimal":               func(p *Preferences) { setOnce(&p.Return, ReturnMinimal) },
	"return=headers-only":          func(p *Preferences) { setOnce(&p.Return, ReturnHeadersOnly) },
	"resolution=merge-duplicates":  func(p *Preferences) { setOnce(&p.Resolution, ResolutionMerge) },
	"resolution=ignore-duplicates": func(p *Preferences) { setOnce(&p.Resolution, ResolutionIgnore) },
	"missing=default":              func(p *Preferences) { setOnce(&p.Missing, MissingDefault) },
	"missing=null":                 func(p *Preferences) { setOnce(&p.Missing, MissingNull) },
	"tx=commit":                    func(p *Preferences) { setOnce(&p.Tx, TxCommit) },
	"tx=rollback":                  func(p *Preferences) { setOnce(&p.Tx, TxRollback) },
	"params=single-object":         func(p *Preferences) { p.SingleObject = true },
	"pagination=keyset":            func(p *Preferences) { p.Keyset = true },
	"stream":                       func(p *Preferences) { p.Stream = true },
}

// setOnce sets *dst to v unless an earlier item set it.
func setOnce[T ~uint8](dst *T, v T) {
	if *dst == 0 {
		*dst = v
	}
}

// Add reads the items of one Prefer header value into p.
func (p *Preferences) Add(v []byte) {
	for len(v) > 0 {
		var item []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, nil
		}
		item = bytes.TrimSpace(item)
		if set, ok := prefWords[string(item)]; ok {
			set(p)
			continue
		}
		if tz, ok := bytes.CutPrefix(item, []byte("timezone=")); ok {
			if !p.HasTimezone {
				p.Timezone, p.HasTimezone = tz, true
			}
			continue
		}
		if n, ok := bytes.CutPrefix(item, []byte("max-affected=")); ok {
			// Only the first one is read; an unreadable number is
			// ignored, not invalid.
			if !p.sawMaxAffected {
				p.sawMaxAffected = true
				if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
					p.MaxAffected, p.HasMaxAffected = v, true
				}
			}
			continue
		}
		p.Invalid = append(p.Invalid, item)
	}
}

// StrictError is PGRST122 when handling=strict meets invalid preferences.
func (p *Preferences) StrictError() error {
	if p.Handling != HandlingStrict || len(p.Invalid) == 0 {
		return nil
	}
	items := make([]string, len(p.Invalid))
	for i, it := range p.Invalid {
		items[i] = string(it)
	}
	return apierr.InvalidPreferences(items)
}

// honoured says which preferences an action honours (and so echoes in
// Preference-Applied); count, handling and timezone always are.
type honoured struct {
	resolution, missing, ret, tx, maxAffected, keyset bool
}

// honouredBy lists what each action honours, as PostgREST. Prefer: tx
// is left unset by the server when db-tx-end does not allow overrides.
var honouredBy = [...]honoured{
	ActionRead:   {tx: true, keyset: true},
	ActionInsert: {resolution: true, missing: true, ret: true, tx: true},
	ActionUpdate: {missing: true, ret: true, tx: true, maxAffected: true},
	ActionUpsert: {ret: true, tx: true},
	ActionDelete: {ret: true, tx: true, maxAffected: true},
	ActionCall:   {tx: true, maxAffected: true},
}

// AppendApplied appends the Preference-Applied value of a request of
// action a: the honoured preferences in PostgREST's order (resolution,
// missing, return, count, tx, handling, timezone, max-affected). Empty
// when none.
func (p *Preferences) AppendApplied(dst []byte, a Action) []byte {
	var f honoured
	if int(a) < len(honouredBy) {
		f = honouredBy[a]
	}
	start := len(dst)
	add := func(s string) {
		if len(dst) > start {
			dst = append(dst, ", "...)
		}
		dst = append(dst, s...)
	}
	if f.resolution {
		switch p.Resolution {
		case ResolutionMerge:
			add("resolution=merge-duplicates")
		case ResolutionIgnore:
			add("resolution=ignore-duplicates")
		}
	}
	if f.missing {
		switch p.Missing {
		case MissingDefault:
			add("missing=default")
		case MissingNull:
			add("missing=null")
		}
	}
	if f.ret {
		switch p.Return {
		case ReturnRepresentation:
			add("return=representation")
		case ReturnMinimal:
			add("return=minimal")
		case ReturnHeadersOnly:
			add("return=headers-only")
		}
	}
	if p.Count != CountNone {
		add("count=")
		dst = append(dst, p.Count.String()...)
	}
	if f.tx {
		switch p.Tx {
		case TxCommit:
			add("tx=commit")
		case TxRollback:
			add("tx=rollback")
		}
	}
	switch p.Handling {
	case HandlingStrict:
		add("handling=strict")
	case HandlingLenient:
		add("handling=lenient")
	}
	if p.HasTimezone {
		add("timezone=")
		dst = append(dst, p.Timezone...)
	}
	if f.maxAffected && p.HasMaxAffected && p.Handling == HandlingStrict {
		add("max-affected=")
		dst = strconv.AppendInt(dst, p.MaxAffected, 10)
	}
	if f.keyset && p.Keyset {
		add("pagination=keyset")
	}
	if p.Stream {
		add("stream")
	}
	return dst
}
