package server

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/server/media"
	"github.com/pgrst/pgrst/wire"
)

// Live data (server-listen-enabled): GET /listen/<channel> relays every
// NOTIFY <channel>, '<payload>' to the client as a Server-Sent Event
// (text/event-stream), until the client leaves, the server shuts down, the
// database connection is lost or the client reads too slowly.
//
// The path: PostgREST gives a table or view one segment (/films) and a
// function /rpc/f; every other path of two segments is PGRST125. The
// /listen/ prefix lives in that unused space, so a table or view named
// listen keeps /listen and a function named listen /rpc/listen. The
// feature is off by default, and /listen/x is then PGRST125 as in
// PostgREST.
//
// Who may listen is decided in the database, like everything else: the
// request runs as any read does (the JWT's role or the anonymous one,
// the request.* settings, db-pre-request) and calls
// pgrst.listen_allowed(channel) under that role, in a read-only
// transaction, before any byte of the stream. false is PGRST130: 401
// without a token, 403 with one.
//
// One dedicated connection per server LISTENs on the channels someone
// listens to (wire.Notifier), LISTEN on the first subscriber of a channel
// and UNLISTEN when its last one leaves. Each notification is encoded
// once and handed to each subscriber's bounded queue without waiting: a
// subscriber whose queue is full is dropped (its stream ends), so a slow
// client never delays the others. When that connection is lost, every
// stream ends with an "end" event: notifications sent while it was away
// are lost, and a client that reconnects knows it must catch up. The
// next subscriber opens a new connection.
//
// A stream leaves fasthttp (Hijack) once its headers are final: a
// goroutine per subscriber writes events straight to the socket (writev
// of the shared event bytes), and fasthttp's buffers and request context
// go back at once (KeepHijackedConns), which keeps a subscriber at a few
// KiB. fasthttp's Shutdown does not wait for
// hijacked connections, so Server.Shutdown ends the streams itself.

// listenPrefix starts the path of a channel.
const listenPrefix = "/listen/"

// maxChannelLen is PostgreSQL's identifier limit (NAMEDATALEN - 1): a
// longer channel name would be truncated by LISTEN, and notifications
// would come under the truncated name.
const maxChannelLen = 63

// listenCheckSQL is the main statement of the authorisation request. Its
// row has the shape of every main statement (total, page total, body).
const listenCheckSQL = "select null::text, null::text, coalesce(pgrst.listen_allowed($1::text), false)::text"

// Why a stream ended, sent as the data of its last event ("end").
const (
	endSlow     = "slow"     // the client read too slowly: its queue was full
	endDatabase = "database" // the LISTEN connection was lost
	endShutdown = "shutdown" // the server is stopping
)

// endGrace is how long a stream that is ended may take to write its last
// event before its socket's write fails.
const endGrace = time.Second

var (
	keepAliveComment = []byte(":\n\n")
	errListenClosed  = apierr.ListenUnavailable()
)

// listenChannel returns the channel a path names, if it is a /listen/ path.
func listenChannel(path []byte) (string, bool) {
	ch, ok := bytes.CutPrefix(path, []byte(listenPrefix))
	if !ok {
		return "", false
	}
	return string(ch), true
}

// serveListen authorises a listener and subscribes it; Handle then hands
// the connection to the stream (startStream). Every refusal is an error
// response, before any event.
func (s *Server) serveListen(ctx *fasthttp.RequestCtx, x *exchange, rt *runConfig, channel string) (authed bool, err error) {
	if string(ctx.Method()) != "GET" {
		return false, apierr.UnsupportedMethod(string(ctx.Method()))
	}
	switch {
	case channel == "" || strings.IndexByte(channel, '/') >= 0:
		return false, errInvalidPath
	case len(channel) > maxChannelLen:
		return false, apierr.ListenChannel("A channel name has at most 63 bytes")
	case strings.IndexByte(channel, 0) >= 0:
		return false, apierr.ListenChannel("A channel name cannot contain a NUL byte")
	}
	res, aerr := rt.Auth.Authenticate(ctx.Request.Header.Peek("Authorization"), time.Now())
	if aerr != nil {
		return false, aerr
	}
	x.auth = res
	authed = res.Role != rt.Auth.AnonRole()
	x.accept = parseRequestAccept(x.accept[:0], &ctx.Request.Header)
	if !acceptsEventStream(x.accept) {
		return authed, errMediaType(x.accept)
	}
	sc := s.schema.Load()
	if sc == nil {
		return authed, errNoSchemaCache
	}

	x.req.Tx = wire.Tx{ReadOnly: true}
	fillSettings(ctx, x, rt, sc, firstOr(rt.Schemas, "public"))
	x.req.PreRequest = rt.preRequestSQL
	x.req.SQL = listenCheckSQL
	x.args.Vals = append(x.args.Vals[:0], []byte(channel))
	x.req.Params = x.args.Vals
	allowed := false
	err = s.pool.Run(context.Background(), &x.req, func(r *wire.Result) error {
		allowed = string(r.Body) == "true"
		return nil
	})
	if err != nil {
		return authed, err
	}
	if !allowed {
		return authed, apierr.ListenRefused(channel, authed)
	}

	sub, err := s.listeners.subscribe(channel, rt.ListenBuffer, rt.ListenKeepAlive)
	if err != nil {
		return authed, err
	}
	x.stream = sub
	h := &ctx.Response.Header
	ctx.SetStatusCode(fasthttp.StatusOK)
	h.SetContentType("text/event-stream")
	h.Set("Cache-Control", "no-cache")
	// Proxies that buffer responses (nginx) must pass events at once.
	h.Set("X-Accel-Buffering", "no")
	return authed, nil
}

// acceptsEventStream reports whether the Accept list takes
// text/event-stream (a missing header is */*).
func acceptsEventStream(list []accepted) bool {
	for i := range list {
		a := &list[i]
		if a.q <= 0 {
			continue
		}
		if a.Kind == media.Any {
			return true
		}
		name := a.Name[:len(a.Name)-len(a.Params)]
		name = bytes.TrimRight(name, "; ")
		if bytes.EqualFold(name, []byte("text/event-stream")) || bytes.EqualFold(name, []byte("text/*")) {
			return true
		}
	}
	return false
}

// startStream renders the response's headers, now final, and hands the
// connection to the subscriber's stream once the handler returns. The
// body is delimited by the connection's close: an event stream has no
// end known in advance, and no chunk framing is needed.
func (s *Server) startStream(ctx *fasthttp.RequestCtx, sub *subscriber) {
	h := &ctx.Response.Header
	h.SetContentLength(-2) // identity: the body ends when the connection does
	sub.head = append(sub.head[:0], h.Header()...)
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		// The server keeps hijacked connections (KeepHijackedConns): the
		// stream owns the connection and closes it, and fasthttp's request
		// context and read buffer are freed now rather than held as long
		// as the stream lasts.
		if u, ok := c.(interface{ UnsafeConn() net.Conn }); ok {
			c = u.UnsafeConn()
		}
		go s.listeners.stream(c, sub)
	})
}

// hub is the registry of a server's subscribers and the owner of its
// LISTEN connection.
type hub struct {
	pool *wire.Pool
	log  zerolog.Logger

	dial sync.Mutex // one connection attempt at a time
	// mu guards everything below. The notifier's goroutine takes it to
	// deliver; nothing waits on the notifier while holding it.
	mu       sync.Mutex
	n        *wire.Notifier // nil until the first subscriber, and after a loss
	channels map[string]*channelSubs
	closed   bool
	streams  sync.WaitGroup // subscribers not yet unsubscribed
	count    atomic.Int64   // subscribers now (metrics)
	dropped  atomic.Uint64  // subscribers dropped for reading too slowly
	events   atomic.Uint64  // notifications relayed (metrics)
}

// channelSubs are the subscribers of one channel, served by the LISTEN
// that listen ran on n.
type channelSubs struct {
	n      *wire.Notifier
	listen *wire.Command
	subs   map[*subscriber]struct{}
}

// subscriber is one client's stream.
type subscriber struct {
	channel   string
	keepAlive time.Duration
	events    chan []byte   // encoded events, shared between subscribers: read-only
	end       chan struct{} // closed (under hub.mu) to end the stream
	reason    string        // why, set before end is closed
	conn      net.Conn      // set under hub.mu once streaming
	head      []byte        // the response's status line and headers
}

func newHub(pool *wire.Pool, log zerolog.Logger) *hub {
	return &hub{pool: pool, log: log, channels: make(map[string]*channelSubs)}
}

// notifier returns the LISTEN connection, opening it if needed.
func (h *hub) notifier() (*wire.Notifier, error) {
	h.mu.Lock()
	n := h.n
	h.mu.Unlock()
	if n != nil {
		return n, nil
	}
	h.dial.Lock()
	defer h.dial.Unlock()
	h.mu.Lock()
	n = h.n
	h.mu.Unlock()
	if n != nil {
		return n, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := h.pool.DialNotifier(ctx, h.deliver)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		n.Close()
		return nil, errListenClosed
	}
	h.n = n
	h.mu.Unlock()
	go h.watch(n)
	return n, nil
}

// subscribe registers a subscriber of channel and returns once the
// channel is LISTENed to, so a NOTIFY sent after the response's headers
// reach the client is delivered. The caller must end with unsubscribe
// (stream does).
func (h *hub) subscribe(channel string, buffer int, keepAlive time.Duration) (*subscriber, error) {
	n, err := h.notifier()
	if err != nil {
		return nil, err
	}
	if buffer <= 0 {
		buffer = DefaultListenBuffer
	}
	if keepAlive <= 0 {
		keepAlive = DefaultListenKeepAlive
	}
	s := &subscriber{channel: channel, keepAlive: keepAlive, events: make(chan []byte, buffer), end: make(chan struct{})}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, errListenClosed
	}
	c := h.channels[channel]
	if c == nil || c.n != n {
		c = &channelSubs{n: n, listen: n.Listen(channel), subs: make(map[*subscriber]struct{})}
		h.channels[channel] = c
	}
	c.subs[s] = struct{}{}
	h.streams.Add(1)
	h.count.Add(1)
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.listen.Wait(ctx); err != nil {
		h.unsubscribe(s)
		return nil, err
	}
	return s, nil
}

// unsubscribe removes s; the last subscriber of a channel UNLISTENs it.
func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	if c := h.channels[s.channel]; c != nil {
		if _, ok := c.subs[s]; ok {
			delete(c.subs, s)
			if len(c.subs) == 0 {
				delete(h.channels, s.channel)
				c.n.Unlisten(s.channel) // queued: runs after any LISTEN before it
			}
		}
	}
	h.mu.Unlock()
	h.count.Add(-1)
	h.streams.Done()
}

// deliver is the notifier's callback: it encodes the event once and
// queues it for every subscriber of the channel without waiting.
func (h *hub) deliver(channel, payload string) {
	var ev []byte
	h.mu.Lock()
	if c := h.channels[channel]; c != nil {
		ev = appendEvent(make([]byte, 0, len(payload)+16), payload)
		h.events.Add(1)
		for s := range c.subs {
			select {
			case s.events <- ev:
			default:
				if h.endLocked(s, endSlow) {
					h.dropped.Add(1)
				}
			}
		}
	}
	h.mu.Unlock()
}

// endLocked ends s's stream (h.mu held); false if it was ended already.
// A write blocked on a client that does not read fails after endGrace.
func (h *hub) endLocked(s *subscriber, reason string) bool {
	select {
	case <-s.end:
		return false
	default:
	}
	s.reason = reason
	close(s.end)
	if s.conn != nil {
		s.conn.SetWriteDeadline(time.Now().Add(endGrace))
	}
	return true
}

// watch ends the streams served by n once its connection is lost.
func (h *hub) watch(n *wire.Notifier) {
	<-n.Done()
	h.mu.Lock()
	if h.n == n {
		h.n = nil
	}
	ended := 0
	for ch, c := range h.channels {
		if c.n != n {
			continue
		}
		for s := range c.subs {
			h.endLocked(s, endDatabase)
			ended++
		}
		delete(h.channels, ch)
	}
	closed := h.closed
	h.mu.Unlock()
	if !closed {
		h.log.Error().Err(n.Err()).Int("streams", ended).Msg("listen connection lost; its event streams ended")
	}
}

// shutdown ends every stream, takes no new one, and waits (up to ctx)
// for the streams to finish before closing the LISTEN connection.
func (h *hub) shutdown(ctx context.Context) {
	h.mu.Lock()
	h.closed = true
	for _, c := range h.channels {
		for s := range c.subs {
			h.endLocked(s, endShutdown)
		}
	}
	n := h.n
	h.mu.Unlock()
	done := make(chan struct{})
	go func() {
		h.streams.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	if n != nil {
		n.Close()
	}
}

// stream writes s's events to c until the stream ends or a write fails
// (the client left), then closes c.
func (h *hub) stream(c net.Conn, s *subscriber) {
	defer h.unsubscribe(s)
	// The TCP connection itself, so that net.Buffers is one writev.
	if lc, ok := c.(*lingerConn); ok {
		c = lc.Conn
	}
	defer c.Close()
	h.mu.Lock()
	s.conn = c
	select {
	case <-s.end:
		c.SetWriteDeadline(time.Now().Add(endGrace))
	default:
	}
	h.mu.Unlock()
	// A write may block this long (the client reads nothing while no event
	// fills its queue): a keep-alive that cannot leave ends the stream.
	timeout := s.keepAlive + 5*time.Second
	bufs := make(net.Buffers, 0, 16)
	var deadline time.Time
	// write sends bufs; WriteTo consumes the copy, not bufs. The deadline
	// moves when half of it is used, not at every write.
	write := func() bool {
		select {
		case <-s.end: // keep endLocked's deadline
		default:
			if now := time.Now(); deadline.Sub(now) < timeout/2 {
				deadline = now.Add(timeout)
				c.SetWriteDeadline(deadline)
				select {
				case <-s.end: // ended meanwhile: endLocked's deadline again
					c.SetWriteDeadline(now.Add(endGrace))
				default:
				}
			}
		}
		out := bufs
		_, err := out.WriteTo(c)
		return err == nil
	}
	bufs = append(bufs, s.head)
	if !write() {
		return
	}
	s.head = nil
	tick := time.NewTicker(s.keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-s.end:
			bufs = append(bufs[:0], appendEndEvent(nil, s.reason))
			write()
			return
		default:
		}
		select {
		case ev := <-s.events:
			// Whatever else is queued leaves in the same write.
			bufs = append(bufs[:0], ev)
		more:
			for len(bufs) < cap(bufs) {
				select {
				case ev := <-s.events:
					bufs = append(bufs, ev)
				default:
					break more
				}
			}
			if !write() {
				return
			}
		case <-tick.C:
			bufs = append(bufs[:0], keepAliveComment)
			if !write() {
				return
			}
		case <-s.end:
		}
	}
}

// appendEvent appends payload as one event: a data field per line. The
// event stream format ends a line at CR, LF or CRLF, so each of these in
// the payload starts a new data line (the client joins them with LF).
func appendEvent(dst []byte, payload string) []byte {
	for {
		dst = append(dst, "data: "...)
		i := 0
		for i < len(payload) && payload[i] != '\n' && payload[i] != '\r' {
			i++
		}
		dst = append(append(dst, payload[:i]...), '\n')
		if i == len(payload) {
			return append(dst, '\n')
		}
		if payload[i] == '\r' && i+1 < len(payload) && payload[i+1] == '\n' {
			i++
		}
		payload = payload[i+1:]
	}
}

// appendEndEvent appends the last event of a stream ended by the server.
func appendEndEvent(dst []byte, reason string) []byte {
	return append(append(append(dst, "event: end\ndata: "...), reason...), "\n\n"...)
}
