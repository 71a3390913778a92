// Package faultproxy is a TCP proxy for tests that puts faults between a
// client and PostgreSQL: stalls (bytes held, connections left open, as a
// half-open connection or a hung server looks to the client), slow
// responses (a delay before each chunk the server sends) and cuts (every
// connection closed at once). It relays bytes without parsing them.
package faultproxy

import (
	"net"
	"sync"
	"time"
)

// Proxy relays the connections made to its address to the target. Its
// methods are safe for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	cond    *sync.Cond // signalled when stalled or closed changes
	stalled bool
	delay   time.Duration
	closed  bool
	links   map[*link]struct{}
	wg      sync.WaitGroup
}

// link is one relayed connection: the client's and the server's side.
type link struct {
	client, server net.Conn
	stalled        bool // StallOpen
	cut            bool
}

// Start listens on a free port of 127.0.0.1 and relays to target
// (host:port).
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, links: map[*link]struct{}{}}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Port is the port the proxy listens on at 127.0.0.1.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Stall stops relaying in both directions: bytes are held (connections
// stay open and new ones are accepted, but nothing reaches the other
// side) until Resume.
func (p *Proxy) Stall() { p.set(func() { p.stalled = true }) }

// StallOpen stalls the connections open now, for good (until Cut); new
// connections are relayed: one connection hangs while the network works.
func (p *Proxy) StallOpen() {
	p.set(func() {
		for lk := range p.links {
			lk.stalled = true
		}
	})
}

// Resume relays again, held bytes first, without delay (except on the
// connections of StallOpen).
func (p *Proxy) Resume() { p.set(func() { p.stalled, p.delay = false, 0 }) }

// Delay makes each chunk the server sends wait d before it is relayed.
func (p *Proxy) Delay(d time.Duration) { p.set(func() { p.delay = d }) }

// Cut closes every connection now (new ones are relayed as before).
func (p *Proxy) Cut() {
	p.set(func() {
		for lk := range p.links {
			lk.cut = true
			lk.client.Close()
			lk.server.Close()
		}
	})
}

// Close stops listening, closes every connection and waits for the
// relaying goroutines.
func (p *Proxy) Close() {
	p.set(func() { p.closed = true })
	p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) set(f func()) {
	p.mu.Lock()
	f()
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			client.Close()
			server.Close()
			return
		}
		lk := &link{client: client, server: server}
		p.links[lk] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.relay(lk, server, client, false)
		go p.relay(lk, client, server, true)
	}
}

// relay copies from src to dst, chunk by chunk, holding each chunk while
// the proxy is stalled; fromServer chunks wait the delay too. When
// either side ends, both connections close.
func (p *Proxy) relay(lk *link, dst, src net.Conn, fromServer bool) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.links, lk)
		p.mu.Unlock()
		dst.Close()
		src.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for (p.stalled || lk.stalled) && !p.closed && !lk.cut {
				p.cond.Wait()
			}
			delay, closed := p.delay, p.closed || lk.cut
			p.mu.Unlock()
			if closed {
				return
			}
			if fromServer && delay > 0 {
				time.Sleep(delay)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
