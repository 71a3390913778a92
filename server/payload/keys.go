package payload

import (
	"bytes"
	"slices"
)

// The keys of a body. The first object's keys (a CSV header's names, a
// form's keys) are collected in order with addKey, then made a set by
// buildSet: sorted, without repetition. Every later object is compared
// with that set as a set: matchKey for each of its keys, endObject at its
// end. A later object usually lists its keys in the first one's order, so
// its j-th key is first compared with the first object's j-th key, and
// looked up in the sorted set only when that fails.

// addKey appends k to the keys of the first object.
func (p *Payload) addKey(k []byte) {
	start := len(p.kbuf)
	p.kbuf = append(p.kbuf, k...)
	p.occ = append(p.occ, span{start, len(p.kbuf)})
}

func (p *Payload) occBytes(o int) []byte {
	s := p.occ[o]
	return p.kbuf[s.start:s.end]
}

// buildSet makes the set of the first object's keys.
func (p *Payload) buildSet() {
	n := len(p.occ)
	p.set = slices.Grow(p.set[:0], n)[:n]
	for i := range p.set {
		p.set[i] = i
	}
	slices.SortFunc(p.set, func(a, b int) int {
		return bytes.Compare(p.occBytes(a), p.occBytes(b))
	})
	p.order = slices.Grow(p.order[:0], n)[:n]
	w := 0
	for _, o := range p.set {
		if w > 0 && bytes.Equal(p.occBytes(p.set[w-1]), p.occBytes(o)) {
			p.order[o] = w - 1
			continue
		}
		p.set[w] = o
		p.order[o] = w
		w++
	}
	p.set = p.set[:w]
	p.seen = slices.Grow(p.seen[:0], w)[:w]
	clear(p.seen)
	// The bytes of each key, for the comparisons with later objects.
	p.occb = slices.Grow(p.occb[:0], n)[:n]
	for o := range p.occb {
		p.occb[o] = p.occBytes(o)
	}
	p.setb = slices.Grow(p.setb[:0], w)[:w]
	for x, o := range p.set {
		p.setb[x] = p.occb[o]
	}
}

// matchKey checks key k of a later object (p.row) against the set.
func (p *Payload) matchKey(k []byte) {
	j := p.nkey
	p.nkey++
	x := -1
	if j < len(p.occb) && string(p.occb[j]) == string(k) {
		x = p.order[j]
	}
	if x < 0 {
		if x = p.search(k); x < 0 {
			p.mismatch = true
			return
		}
	}
	if p.seen[x] != p.row {
		p.seen[x] = p.row
		p.count++
	}
}

// search finds k in the set: its index, or -1.
func (p *Payload) search(k []byte) int {
	lo, hi := 0, len(p.set)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(p.setb[m], k); {
		case c == 0:
			return m
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return -1
}

// endObject ends a later object: it must have had every key of the set.
func (p *Payload) endObject() {
	if p.count != len(p.set) {
		p.mismatch = true
	}
	p.nkey, p.count = 0, 0
}

// setKeys fills Keys from the set. A key equal to the one at the same
// place in the previous Keys keeps that string, so that parsing bodies of
// one shape again allocates nothing.
func (p *Payload) setKeys() {
	n := len(p.set)
	if cap(p.Keys) < n {
		keys := make([]string, n, n+n/4)
		copy(keys, p.Keys[:cap(p.Keys)])
		p.Keys = keys
	}
	p.Keys = p.Keys[:n]
	for x, o := range p.set {
		if k := p.occBytes(o); p.Keys[x] != string(k) {
			p.Keys[x] = string(k)
		}
	}
}
