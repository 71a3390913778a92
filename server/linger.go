package server

import (
	"io"
	"net"
	"sync/atomic"
	"time"
)

// The server may refuse a request before reading all of it (headers over
// the limit, a body too large). Closing a socket with unread bytes makes
// the kernel answer with a reset, which can destroy the error response
// before the client reads it. So a connection that refused a request
// closes the way net/http's does after such an error: send FIN, discard
// what the client still sends for a moment, then close. Other
// connections close at once (a lingering close would also hold up
// Shutdown: its read deadline wakes the worker blocked on the socket).
const (
	lingerTime  = 500 * time.Millisecond
	lingerBytes = 4 << 20
)

// lingerListener wraps the connections of a listener in lingerConn.
type lingerListener struct{ net.Listener }

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if cw, ok := c.(closeWriter); ok {
		return &lingerConn{Conn: c, cw: cw}, nil
	}
	return c, nil
}

// closeWriter is implemented by TCP and Unix connections.
type closeWriter interface{ CloseWrite() error }

// lingerConn is a connection that can shut its write side first on Close.
type lingerConn struct {
	net.Conn
	cw     closeWriter
	linger atomic.Bool // a request was refused before it was read whole
}

// lingerOnClose makes c close lingering, when it is a lingerConn.
func lingerOnClose(c net.Conn) {
	if lc, ok := c.(*lingerConn); ok {
		lc.linger.Store(true)
	}
}

func (c *lingerConn) Close() error {
	if !c.linger.Load() || c.cw.CloseWrite() != nil {
		return c.Conn.Close()
	}
	go func() {
		c.Conn.SetReadDeadline(time.Now().Add(lingerTime))
		io.CopyN(io.Discard, c.Conn, lingerBytes)
		c.Conn.Close()
	}()
	return nil
}
