package wire

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgrst/pgrst/sqltext"
)

// Notifier is a dedicated connection (never one of the pool's) that
// LISTENs on channels added and removed while it runs, and hands every
// notification to a callback. One goroutine owns the connection: it waits
// for notifications, and Listen and Unlisten interrupt that wait to have
// it send their command, in the order they were called.
type Notifier struct {
	conn    *pgconn.PgConn
	mu      sync.Mutex
	queue   []*Command
	wake    context.CancelFunc // interrupts the current wait; nil when none
	closing bool
	done    chan struct{} // closed when the connection is gone
	err     error         // why, once done is closed
}

// Command is a LISTEN or UNLISTEN queued on a Notifier.
type Command struct {
	sql  string
	done chan struct{}
	err  error
}

// Wait blocks until the command ran (or ctx ends) and returns its error.
// Several goroutines may wait for the same command.
func (c *Command) Wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errNotifierClosed is the error of commands queued on a closed Notifier.
var errNotifierClosed = errors.New("wire: notifier closed")

// commandTimeout bounds one LISTEN or UNLISTEN: a database that stops
// answering ends the connection rather than holding every caller.
const commandTimeout = 10 * time.Second

// DialNotifier opens a Notifier with the pool's connection settings.
// deliver is called on the Notifier's goroutine with each notification's
// channel and payload; it must not block, and must not call Listen or
// Unlisten's Wait (it may call Listen and Unlisten themselves).
func (p *Pool) DialNotifier(ctx context.Context, deliver func(channel, payload string)) (*Notifier, error) {
	cfg := p.pool.Config().ConnConfig.Config.Copy()
	// Named in pg_stat_activity as the connection that only waits.
	cfg.RuntimeParams["application_name"] = "pgrst notifier"
	cfg.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) { deliver(n.Channel, n.Payload) }
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, &ConnError{Err: err}
	}
	n := &Notifier{conn: conn, done: make(chan struct{})}
	go n.run()
	return n, nil
}

// Listen queues LISTEN channel (the name is used as it is, quoted).
func (n *Notifier) Listen(channel string) *Command {
	return n.queueSQL("listen " + sqltext.QuoteIdent(channel))
}

// Unlisten queues UNLISTEN channel.
func (n *Notifier) Unlisten(channel string) *Command {
	return n.queueSQL("unlisten " + sqltext.QuoteIdent(channel))
}

func (n *Notifier) queueSQL(sql string) *Command {
	c := &Command{sql: sql, done: make(chan struct{})}
	n.mu.Lock()
	defer n.mu.Unlock()
	select {
	case <-n.done:
		c.err = n.err
		close(c.done)
		return c
	default:
	}
	n.queue = append(n.queue, c)
	if n.wake != nil {
		n.wake()
	}
	return c
}

// Done is closed when the connection is lost or closed; Err then says why.
func (n *Notifier) Done() <-chan struct{} { return n.done }

// Err is why the Notifier ended; nil before Done is closed.
func (n *Notifier) Err() error {
	select {
	case <-n.done:
		return n.err
	default:
		return nil
	}
}

// Close ends the connection and waits for its goroutine.
func (n *Notifier) Close() {
	n.mu.Lock()
	n.closing = true
	if n.wake != nil {
		n.wake()
	}
	n.mu.Unlock()
	<-n.done
}

// run is the goroutine that owns the connection. Between commands it
// waits for a notification under a context that Listen, Unlisten and
// Close cancel: pgconn interrupts the read with a past deadline, which
// leaves the connection usable (a partly read message is kept).
func (n *Notifier) run() {
	for {
		n.mu.Lock()
		if n.closing {
			n.mu.Unlock()
			n.finish(errNotifierClosed)
			return
		}
		cmds := n.queue
		n.queue = nil
		var ctx context.Context
		var cancel context.CancelFunc
		if len(cmds) == 0 {
			ctx, cancel = context.WithCancel(context.Background())
			n.wake = cancel
		}
		n.mu.Unlock()

		if len(cmds) > 0 {
			for i, c := range cmds {
				cctx, ccancel := context.WithTimeout(context.Background(), commandTimeout)
				_, err := n.conn.Exec(cctx, c.sql).ReadAll()
				ccancel()
				c.err = classify(err)
				close(c.done)
				if err != nil && n.conn.IsClosed() {
					n.failAll(cmds[i+1:], c.err)
					n.finish(c.err)
					return
				}
			}
			continue
		}
		err := n.conn.WaitForNotification(ctx)
		n.mu.Lock()
		n.wake = nil
		n.mu.Unlock()
		woken := ctx.Err() != nil
		cancel()
		if err != nil && (!woken || n.conn.IsClosed()) {
			n.finish(classify(err))
			return
		}
	}
}

// finish closes the connection, fails every queued command with err and
// marks the Notifier done.
func (n *Notifier) finish(err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	n.conn.Close(ctx)
	cancel()
	if err == nil {
		err = &ConnError{Err: errors.New("notifier connection lost")}
	}
	n.mu.Lock()
	n.err = err
	cmds := n.queue
	n.queue = nil
	close(n.done)
	n.mu.Unlock()
	n.failAll(cmds, err)
}

func (n *Notifier) failAll(cmds []*Command, err error) {
	for _, c := range cmds {
		c.err = err
		close(c.done)
	}
}
