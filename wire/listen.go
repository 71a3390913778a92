package wire

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pgrst/pgrst/sqltext"
)

// Listener is a dedicated connection (never one of the pool's) that
// LISTENs on one channel. It is not safe for concurrent use: one goroutine
// waits on it.
type Listener struct {
	conn    *pgx.Conn
	channel string
	timeout time.Duration
}

// Listen connects to uri (libpq connection string) and runs LISTEN channel.
// A failure to connect is a *ConnError; one of the LISTEN itself a
// *DBError or *ConnError. With a timeout (db-timeout), Wait checks a
// silent connection: after timeout without a notification it sends an
// empty query, which must answer within timeout, so a stalled network or
// a hung server is noticed; 0 waits for ever.
func Listen(ctx context.Context, uri, channel string, timeout time.Duration) (*Listener, error) {
	cfg, err := pgx.ParseConfig(uri)
	if err != nil {
		return nil, fmt.Errorf("db-uri: %w", err)
	}
	if timeout > 0 {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return listen(ctx, cfg, channel, timeout)
	}
	return listen(ctx, cfg, channel, timeout)
}

func listen(ctx context.Context, cfg *pgx.ConnConfig, channel string, timeout time.Duration) (*Listener, error) {
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 5*time.Second {
		cfg.ConnectTimeout = 5 * time.Second
	}
	// The connection only waits: name it so it is easy to tell apart in
	// pg_stat_activity.
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "pgrst listener"
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, &ConnError{Err: err}
	}
	if _, err := conn.Exec(ctx, "listen "+sqltext.QuoteIdent(channel)); err != nil {
		conn.Close(context.Background())
		return nil, classify(err)
	}
	return &Listener{conn: conn, channel: channel, timeout: timeout}, nil
}

// Wait blocks until a notification arrives on the channel and returns its
// payload. An error means the connection is lost (or ctx is done): close
// the Listener and listen again.
func (l *Listener) Wait(ctx context.Context) (string, error) {
	for {
		n, err := l.wait(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "", classify(err)
		}
		if n == nil {
			continue // silence, and the connection answers
		}
		if n.Channel == l.channel {
			return n.Payload, nil
		}
	}
}

// wait waits for one notification; with a timeout, nil after a silence
// when the connection still answers an empty query in time.
func (l *Listener) wait(ctx context.Context) (*pgconn.Notification, error) {
	if l.timeout <= 0 {
		return l.conn.WaitForNotification(ctx)
	}
	wctx, cancel := context.WithTimeout(ctx, l.timeout)
	n, err := l.conn.WaitForNotification(wctx)
	cancel()
	if err == nil || ctx.Err() != nil || wctx.Err() == nil {
		return n, err
	}
	pctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	// A timed out read leaves the connection usable; an empty query (not
	// a Ping, which pgx sends as ";") is the cheapest round trip.
	return nil, l.conn.PgConn().Exec(pctx, "").Close()
}

// ServerVersion is the server_version the database reported at connect.
func (l *Listener) ServerVersion() string {
	return l.conn.PgConn().ParameterStatus("server_version")
}

// Close ends the connection.
func (l *Listener) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.conn.Close(ctx)
}
