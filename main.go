// Command pgrst serves a PostgreSQL database as a REST API compatible with
// PostgREST. Its only argument is the configuration file; PGRST_*
// environment variables override it.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/pgrst/pgrst/control"
	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/wire"
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ()))
}

// run is main without os.Exit, so every failure is one line and an exit
// code, never a panic.
func run(args, environ []string) int {
	action, path, err := control.ParseArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrst:", err)
		fmt.Fprint(os.Stderr, control.Usage())
		return 1
	}
	switch action {
	case control.ActionHelp:
		fmt.Print(control.Usage())
		return 0
	case control.ActionVersion:
		fmt.Println("pgrst", control.Version)
		return 0
	case control.ActionExample:
		fmt.Print(control.Example())
		return 0
	}

	cfg, err := control.Load(path, environ)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrst:", err)
		return 1
	}
	log := newLogger(cfg.LogLevel)
	for _, k := range cfg.Unknown {
		log.Warn().Str("option", k).Msg("unknown configuration option ignored")
	}

	opts, err := serverOptions(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrst:", err)
		return 1
	}
	pool, err := wire.Open(wire.Options{URI: cfg.DBURI, PoolSize: cfg.DBPool,
		AcquireTimeout: cfg.DBPoolAcquisitionTimeout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrst:", err)
		return 1
	}
	defer pool.Close()

	network, addr := cfg.ListenAddress()
	ln, err := net.Listen(network, addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgrst: server-host/server-port: cannot listen on %s: %v\n", addr, err)
		return 1
	}
	srv := server.New(pool, opts, log)
	log.Log().Str("version", control.Version).Str("address", ln.Addr().String()).
		Int("db_pool", cfg.DBPool).Msg("pgrst listening")

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go loadSchemaUntilDone(ctx, srv, log)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	select {
	case sig := <-sigs:
		log.Log().Str("signal", sig.String()).Msg("shutting down")
	case err := <-served:
		if err != nil {
			log.Error().Err(err).Msg("server stopped")
			return 1
		}
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn().Err(err).Msg("in-flight requests did not finish in time")
	}
	return 0
}

// serverOptions turns the configuration into what requests read.
func serverOptions(cfg *control.Config) (server.Options, error) {
	v, err := auth.New(auth.Options{
		Secret:       cfg.JWTSecret,
		Audience:     cfg.JWTAud,
		RoleClaimKey: cfg.JWTRoleClaimKey,
		AnonRole:     cfg.DBAnonRole,
		CacheEntries: int(cfg.Int("jwt-cache-max-entries")),
	})
	if err != nil {
		return server.Options{}, err
	}
	app := make([][2]string, len(cfg.AppSettings))
	for i, s := range cfg.AppSettings {
		app[i] = [2]string{s.Name, s.Value}
	}
	return server.Options{
		Schemas:         cfg.DBSchemas,
		ExtraSearchPath: cfg.DBExtraSearchPath,
		PreRequest:      cfg.DBPreRequest,
		MaxRows:         cfg.DBMaxRows,
		AppSettings:     app,
		LegacyGUCs:      cfg.DBUseLegacyGUCs,
		Auth:            v,
		Version:         control.Version,
	}, nil
}

// loadSchemaUntilDone loads the schema cache, retrying with capped
// exponential backoff while the database is unreachable; until it succeeds
// requests get 503 PGRST002.
func loadSchemaUntilDone(ctx context.Context, srv *server.Server, log zerolog.Logger) {
	backoff := time.Second
	for {
		start := time.Now()
		sc, err := srv.LoadSchema(ctx)
		if err == nil {
			log.Log().Str("postgres", sc.PgVersionText).Int("relations", len(sc.Relations)).
				Int("functions", len(sc.Functions)).Dur("load_time", time.Since(start)).
				Msg("schema cache loaded")
			return
		}
		if errors.Is(err, context.Canceled) {
			return
		}
		log.Error().Err(err).Dur("retry_in", backoff).Msg("could not load the schema cache")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 32*time.Second)
	}
}

// newLogger logs to stderr at the configured level. Start-up lines use
// Log() (no level) so they appear whatever the level.
func newLogger(level control.LogLevel) zerolog.Logger {
	l := zerolog.New(os.Stderr).With().Timestamp().Logger()
	switch level {
	case control.LogCrit:
		return l.Level(zerolog.FatalLevel)
	case control.LogError:
		return l.Level(zerolog.ErrorLevel)
	case control.LogWarn:
		return l.Level(zerolog.WarnLevel)
	case control.LogInfo:
		return l.Level(zerolog.InfoLevel)
	}
	return l.Level(zerolog.DebugLevel)
}
