package wire

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// ExecScript connects to uri on a connection of its own and runs script,
// one or more statements, over the simple query protocol (as psql would
// run a file): in one implicit transaction unless the script has its own
// BEGIN/COMMIT. It serves administration (pgrst setup), never requests.
func ExecScript(ctx context.Context, uri, script string) error {
	cfg, err := pgconn.ParseConfig(uri)
	if err != nil {
		return fmt.Errorf("db-uri: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return &ConnError{Err: err}
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, script).ReadAll()
	return classify(err)
}
