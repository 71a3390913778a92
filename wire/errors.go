package wire

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrAcquireTimeout means no pooled connection became free within the
// acquisition timeout.
var ErrAcquireTimeout = errors.New("timed out acquiring connection from connection pool")

// ErrPoolFull is Pool.TryRun's answer when every connection is taken.
var ErrPoolFull = errors.New("every connection of the pool is in use")

// ConnError means the database could not be reached or the connection broke.
type ConnError struct{ Err error }

func (e *ConnError) Error() string { return e.Err.Error() }
func (e *ConnError) Unwrap() error { return e.Err }

// DBError is an error PostgreSQL reported for a statement.
type DBError struct {
	Code    string // SQLSTATE
	Message string
	Detail  string
	Hint    string
}

func (e *DBError) Error() string { return e.Code + ": " + e.Message }

// classify turns pgx errors into the package's typed errors.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Severity == "FATAL" || pgErr.Severity == "PANIC") {
		// The server ended the session (a shutdown or restart, 57P01,
		// or a terminated backend): the connection is gone.
		return &ConnError{Err: err}
	}
	if errors.As(err, &pgErr) {
		return &DBError{Code: pgErr.Code, Message: pgErr.Message, Detail: pgErr.Detail, Hint: pgErr.Hint}
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return &ConnError{Err: err}
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return &ConnError{Err: err}
	}
	// Anything else on the wire (closed connection, broken pipe) is a
	// connection problem from the client's point of view.
	return &ConnError{Err: err}
}
