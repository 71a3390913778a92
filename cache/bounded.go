package cache

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

const boundedShards = 16

// Bounded is a concurrent map from string keys to values with a maximum
// size, split into shards so that readers on different keys rarely meet on
// the same lock. When a shard is full, an arbitrary tenth of it is dropped:
// cheaper than LRU bookkeeping, and good enough for caches whose working set
// fits (parsed plans, verified tokens).
type Bounded[V any] struct {
	seed      maphash.Seed
	perShard  int
	shards    [boundedShards]boundedShard[V]
	hits      atomic.Uint64
	misses    atomic.Uint64
	evictions atomic.Uint64
}

type boundedShard[V any] struct {
	mu sync.RWMutex
	m  map[string]V
}

// NewBounded returns a cache holding at most about maxEntries values.
func NewBounded[V any](maxEntries int) *Bounded[V] {
	per := maxEntries / boundedShards
	if per < 1 {
		per = 1
	}
	c := &Bounded[V]{seed: maphash.MakeSeed(), perShard: per}
	for i := range c.shards {
		c.shards[i].m = make(map[string]V)
	}
	return c
}

func (c *Bounded[V]) shard(key string) *boundedShard[V] {
	return &c.shards[maphash.String(c.seed, key)%boundedShards]
}

// Get returns the value stored under key and counts a hit or a miss.
func (c *Bounded[V]) Get(key string) (V, bool) {
	s := c.shard(key)
	s.mu.RLock()
	v, ok := s.m[key]
	s.mu.RUnlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return v, ok
}

// Put stores v under key, evicting entries of the key's shard if it is full.
func (c *Bounded[V]) Put(key string, v V) {
	s := c.shard(key)
	s.mu.Lock()
	if _, exists := s.m[key]; !exists && len(s.m) >= c.perShard {
		drop := c.perShard/10 + 1
		c.evictions.Add(uint64(min(drop, len(s.m))))
		for k := range s.m {
			delete(s.m, k)
			drop--
			if drop == 0 {
				break
			}
		}
	}
	s.m[key] = v
	s.mu.Unlock()
}

// Clear removes every entry; the counters are kept.
func (c *Bounded[V]) Clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}

// Len returns the number of entries.
func (c *Bounded[V]) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// Evictions returns the number of entries Put dropped to make room, since
// creation.
func (c *Bounded[V]) Evictions() uint64 { return c.evictions.Load() }

// Stats returns the hit and miss counts since creation.
func (c *Bounded[V]) Stats() (hits, misses uint64) {
	return c.hits.Load(), c.misses.Load()
}
