package server

import (
	"context"
	"sort"
	"time"

	"github.com/pgrst/pgrst/cache"
)

// What the tests use and the package itself does not.

// LoadSchema reads the catalog and publishes it.
func (s *Server) LoadSchema(ctx context.Context) (*cache.Schema, error) {
	sc, err := cache.Load(ctx, s.pool, s.opts.Load().Schemas)
	if err != nil {
		return nil, err
	}
	s.SetSchema(sc)
	return sc, nil
}

// RequestCounts returns the number of responses by status class
// (index 1 to 5: 1xx to 5xx).
func (s *Server) RequestCounts() (byClass [6]uint64) {
	for i := range byClass {
		byClass[i] = s.stats.byClass[i].Load()
	}
	return byClass
}

// SetReadTimeouts changes the HTTP server's read and idle timeouts; call it
// before the server serves.
func (s *Server) SetReadTimeouts(read, idle time.Duration) {
	s.http.ReadTimeout, s.http.IdleTimeout = read, idle
}

// AppendETag is appendETag (etag.go), for its benchmark.
var AppendETag = appendETag

// ListenStats returns the /listen/ subscribers now and how many were
// dropped as too slow.
func (s *Server) ListenStats() (subscribers int64, dropped uint64) {
	return s.listeners.count.Load(), s.listeners.dropped.Load()
}

// ListenChannels returns the channels LISTENed to now, sorted.
func (s *Server) ListenChannels() []string {
	h := s.listeners
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for ch := range h.channels {
		out = append(out, ch)
	}
	sort.Strings(out)
	return out
}
