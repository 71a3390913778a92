// Package wire runs pgrst's requests on PostgreSQL: a pgx connection pool,
// one pipelined batch per request (one network round trip in the steady
// state), and the raw bytes of the result handed back without decoding.
package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options configures the pool.
type Options struct {
	URI            string
	PoolSize       int
	AcquireTimeout time.Duration
	// Dial, when set, replaces the network dialer (tests wrap the
	// connection to count round trips).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Pool is the connection pool requests run on.
type Pool struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration
}

// Open creates the pool without connecting: the database may be down at
// start-up, and connections are made on demand.
func Open(o Options) (*Pool, error) {
	cfg, err := pgxpool.ParseConfig(o.URI)
	if err != nil {
		return nil, fmt.Errorf("db-uri: %w", err)
	}
	if o.PoolSize > 0 {
		cfg.MaxConns = int32(o.PoolSize)
	}
	cfg.MinConns = 0
	// A prepared statement per SQL text and connection: a repeated request
	// shape sends only Bind/Execute.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	cfg.ConnConfig.StatementCacheCapacity = 1024
	if o.Dial != nil {
		cfg.ConnConfig.DialFunc = o.Dial
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("db-uri: %w", err)
	}
	t := o.AcquireTimeout
	if t <= 0 {
		t = 10 * time.Second
	}
	return &Pool{pool: p, acquireTimeout: t}, nil
}

// Close closes every connection.
func (p *Pool) Close() { p.pool.Close() }

// Stats reports the pool's current and maximum size.
func (p *Pool) Stats() (total, idle, max int32) {
	s := p.pool.Stat()
	return s.TotalConns(), s.IdleConns(), s.MaxConns()
}

// acquire gets a connection within the acquisition timeout.
func (p *Pool) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, p.acquireTimeout)
	defer cancel()
	c, err := p.pool.Acquire(actx)
	if err == nil {
		return c, nil
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return nil, &ConnError{Err: err}
	}
	if actx.Err() != nil && ctx.Err() == nil {
		return nil, ErrAcquireTimeout
	}
	return nil, &ConnError{Err: err}
}

// QueryBytes runs sql and returns the raw bytes of the first column of its
// single row. It serves the schema cache loader, not the request path.
func (p *Pool) QueryBytes(ctx context.Context, sql string, args ...any) ([]byte, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	var b []byte
	// Simple-protocol-free exec mode: introspection queries run rarely, so
	// they are not worth a prepared statement on every connection.
	args = append([]any{pgx.QueryExecModeExec}, args...)
	if err := c.QueryRow(ctx, sql, args...).Scan(&b); err != nil {
		return nil, classify(err)
	}
	return b, nil
}

// Exec runs a statement outside any request (setup, administration).
func (p *Pool) Exec(ctx context.Context, sql string, args ...any) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	_, err = c.Exec(ctx, sql, args...)
	return classify(err)
}
