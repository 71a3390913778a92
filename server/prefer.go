package server

import (
	"bytes"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/planner"
)

// The Prefer header (RFC 7240) as PostgREST reads it: every Prefer header,
// split at commas, each item trimmed; the first item of each kind wins;
// items that are not one of the known values are invalid, which matters
// only under handling=strict (PGRST122).

// Values of the preferences that take one of a few words.
const (
	prefUnset uint8 = iota
	// handling=
	handlingStrict
	handlingLenient
)

const (
	// return=
	returnRepresentation uint8 = iota + 1
	returnMinimal
	returnHeadersOnly
)

const (
	// resolution=
	resolutionMerge uint8 = iota + 1
	resolutionIgnore
)

const (
	// missing=
	missingDefault uint8 = iota + 1
	missingNull
)

const (
	// tx=
	txCommit uint8 = iota + 1
	txRollback
)

// preferences are the parsed Prefer headers of a request. Strings alias
// the request's header bytes: valid only while the handler runs.
type preferences struct {
	count      planner.Count
	handling   uint8
	ret        uint8
	resolution uint8
	missing    uint8
	tx         uint8
	// timezone is the value of the first timezone= item (hasTimezone).
	timezone    []byte
	hasTimezone bool
	// maxAffected is the first max-affected= item, when it is an integer.
	maxAffected    int64
	hasMaxAffected bool
	// invalid lists the unknown or malformed items, in order.
	invalid [][]byte
}

func (p *preferences) reset() {
	inv := p.invalid[:0]
	*p = preferences{invalid: inv}
}

// prefWords maps each accepted word to the preference it sets.
var prefWords = map[string]func(p *preferences){
	"count=exact":                  func(p *preferences) { setCount(p, planner.CountExact) },
	"count=planned":                func(p *preferences) { setCount(p, planner.CountPlanned) },
	"count=estimated":              func(p *preferences) { setCount(p, planner.CountEstimated) },
	"handling=strict":              func(p *preferences) { setOnce(&p.handling, handlingStrict) },
	"handling=lenient":             func(p *preferences) { setOnce(&p.handling, handlingLenient) },
	"return=representation":        func(p *preferences) { setOnce(&p.ret, returnRepresentation) },
	"return=minimal":               func(p *preferences) { setOnce(&p.ret, returnMinimal) },
	"return=headers-only":          func(p *preferences) { setOnce(&p.ret, returnHeadersOnly) },
	"resolution=merge-duplicates":  func(p *preferences) { setOnce(&p.resolution, resolutionMerge) },
	"resolution=ignore-duplicates": func(p *preferences) { setOnce(&p.resolution, resolutionIgnore) },
	"missing=default":              func(p *preferences) { setOnce(&p.missing, missingDefault) },
	"missing=null":                 func(p *preferences) { setOnce(&p.missing, missingNull) },
	"tx=commit":                    func(p *preferences) { setOnce(&p.tx, txCommit) },
	"tx=rollback":                  func(p *preferences) { setOnce(&p.tx, txRollback) },
}

func setCount(p *preferences, c planner.Count) {
	if p.count == planner.CountNone {
		p.count = c
	}
}

func setOnce(dst *uint8, v uint8) {
	if *dst == prefUnset {
		*dst = v
	}
}

// parsePrefer reads every Prefer header of h into p.
func parsePrefer(h *fasthttp.RequestHeader, p *preferences) {
	p.reset()
	var sawMaxAffected bool
	h.VisitAll(func(k, v []byte) {
		if !bytes.EqualFold(k, []byte("Prefer")) {
			return
		}
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
				if !p.hasTimezone {
					p.timezone, p.hasTimezone = tz, true
				}
				continue
			}
			if n, ok := bytes.CutPrefix(item, []byte("max-affected=")); ok {
				// Only the first one is read; an unreadable number is
				// ignored, not invalid.
				if !sawMaxAffected {
					sawMaxAffected = true
					if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
						p.maxAffected, p.hasMaxAffected = v, true
					}
				}
				continue
			}
			p.invalid = append(p.invalid, item)
		}
	})
}

// strictError is PGRST122 when handling=strict meets invalid preferences.
func (p *preferences) strictError() error {
	if p.handling != handlingStrict || len(p.invalid) == 0 {
		return nil
	}
	items := make([]string, len(p.invalid))
	for i, it := range p.invalid {
		items[i] = string(it)
	}
	return apierr.InvalidPreferences(items)
}

// appliedFor says which preferences an action honours (and so echoes).
type appliedFor struct {
	resolution, missing, ret, tx, maxAffected bool
}

// appendPreferenceApplied appends the Preference-Applied value: the
// honoured preferences in PostgREST's order (resolution, missing, return,
// count, tx, handling, timezone, max-affected). Empty when none.
func (p *preferences) appendPreferenceApplied(dst []byte, f appliedFor) []byte {
	start := len(dst)
	add := func(s string) {
		if len(dst) > start {
			dst = append(dst, ", "...)
		}
		dst = append(dst, s...)
	}
	if f.resolution {
		switch p.resolution {
		case resolutionMerge:
			add("resolution=merge-duplicates")
		case resolutionIgnore:
			add("resolution=ignore-duplicates")
		}
	}
	if f.missing {
		switch p.missing {
		case missingDefault:
			add("missing=default")
		case missingNull:
			add("missing=null")
		}
	}
	if f.ret {
		switch p.ret {
		case returnRepresentation:
			add("return=representation")
		case returnMinimal:
			add("return=minimal")
		case returnHeadersOnly:
			add("return=headers-only")
		}
	}
	if p.count != planner.CountNone {
		add("count=")
		dst = append(dst, p.count.String()...)
	}
	if f.tx {
		switch p.tx {
		case txCommit:
			add("tx=commit")
		case txRollback:
			add("tx=rollback")
		}
	}
	switch p.handling {
	case handlingStrict:
		add("handling=strict")
	case handlingLenient:
		add("handling=lenient")
	}
	if p.hasTimezone {
		add("timezone=")
		dst = append(dst, p.timezone...)
	}
	if f.maxAffected && p.hasMaxAffected && p.handling == handlingStrict {
		add("max-affected=")
		dst = strconv.AppendInt(dst, p.maxAffected, 10)
	}
	return dst
}
