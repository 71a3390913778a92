package server

import (
	"io"
	"net"
	"time"
)

// The server may refuse a request before reading all of it (headers over
// the limit, a body too large). Closing a socket with unread bytes makes
// the kernel answer with a reset, which can destroy the error response
// before the client reads it. So connections close the way net/http's do
// after such an error: send FIN, discard what the client still sends for
// a moment, then close. The wait runs in its own goroutine and costs
// nothing per request, only per closed connection.
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

// lingerConn is a connection whose Close shuts its write side first.
type lingerConn struct {
	net.Conn
	cw closeWriter
}

func (c *lingerConn) Close() error {
	if err := c.cw.CloseWrite(); err != nil {
		return c.Conn.Close()
	}
	go func() {
		c.Conn.SetReadDeadline(time.Now().Add(lingerTime))
		io.CopyN(io.Discard, c.Conn, lingerBytes)
		c.Conn.Close()
	}()
	return nil
}
