package main

import (
	"math/bits"
	"time"
)

// hist is a latency histogram in microseconds with log-linear buckets:
// 64 sub-buckets per power of two, so every value is known within 1.6%.
// It records without allocating; workers keep one each and merge at the end.
type hist struct {
	counts [64 * 40]uint64
	n      uint64
	max    time.Duration
}

const subBits = 6

func bucketOf(us uint64) int {
	if us < 1<<subBits {
		return int(us)
	}
	exp := bits.Len64(us) - subBits // ≥ 1
	return exp<<subBits | int(us>>(exp-1))&(1<<subBits-1)
}

// lowOf is the smallest value of bucket i; highOf is past its largest.
func lowOf(i int) uint64 {
	if i < 1<<subBits {
		return uint64(i)
	}
	exp := i >> subBits
	return (1<<subBits | uint64(i&(1<<subBits-1))) << (exp - 1)
}

func (h *hist) record(d time.Duration) {
	us := uint64(d / time.Microsecond)
	i := bucketOf(us)
	if i >= len(h.counts) {
		i = len(h.counts) - 1
	}
	h.counts[i]++
	h.n++
	if d > h.max {
		h.max = d
	}
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the value below which fraction q of the samples fall
// (the middle of the bucket that holds it).
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo := lowOf(i)
			hi := lowOf(i + 1)
			d := time.Duration((lo+hi)/2) * time.Microsecond
			return min(d, h.max)
		}
	}
	return h.max
}
