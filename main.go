package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/pgrst/pgrst/cache"
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
	cmd, err := control.ParseCommand(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrst:", err)
		fmt.Fprint(os.Stderr, control.Usage())
		return 1
	}
	switch cmd.Action {
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

	base, err := control.LoadSettings(cmd.Path, environ)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrst:", err)
		return 1
	}
	cfg, err := control.Build(base)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrst:", err)
		return 1
	}
	switch cmd.Action {
	case control.ActionReady:
		return probeReady(cfg)
	case control.ActionSetup:
		return setup(cfg, cmd)
	}
	return serve(cmd.Path, environ, base, cfg)
}

// serve runs the server until SIGTERM or SIGINT.
func serve(path string, environ []string, base control.Settings, cfg *control.Config) int {
	log := newLogger(cfg.LogLevel)
	defer startPprof(environ, log)()

	// The configuration in the database, when it can be read now: it may
	// set even the options that are only read at start-up (db-pool, ...).
	var db control.DBLayers
	dbUnread := false
	if cfg.Bool("db-config") {
		var err error
		if db, err = readDBAtStart(cfg); err != nil {
			dbUnread = true
			log.Warn().Err(err).Msg("cannot read the configuration in the database yet; starting without it")
		} else if withDB, err := control.WithDB(base, db); err != nil {
			log.Error().Err(err).Msg("invalid configuration in the database ignored; starting without it")
		} else {
			cfg = withDB
		}
	}
	setLogLevel(cfg.LogLevel)
	for _, k := range cfg.Unknown {
		log.Warn().Str("option", k).Msg("unknown configuration option ignored")
	}

	opts, err := serverOptions(cfg, nil, nil, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrst:", err)
		return 1
	}
	var plane atomic.Pointer[control.Plane]
	poolOpts := wire.Options{URI: cfg.DBURI, PoolSize: cfg.DBPool,
		AcquireTimeout:       cfg.DBPoolAcquisitionTimeout,
		MaxLifetime:          time.Duration(cfg.Int("db-pool-max-lifetime")) * time.Second,
		MaxIdleTime:          time.Duration(cfg.Int("db-pool-max-idletime")) * time.Second,
		NoPreparedStatements: !cfg.Bool("db-prepared-statements"),
		Timeout:              time.Duration(cfg.Int("db-timeout")) * time.Second,
		OnConnect: func() {
			if p := plane.Load(); p != nil {
				p.Wake()
			}
		}}
	pool, err := wire.Open(poolOpts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrst:", err)
		return 1
	}
	defer pool.Close()
	var replicas *wire.Replicas
	if len(cfg.DBReplicas) > 0 {
		replicas, err = wire.OpenReplicas(pool, cfg.DBURI, wire.ReplicaOptions{URIs: cfg.DBReplicas,
			Pool: poolOpts, MaxLag: cfg.DBReplicaMaxLag, OnChange: func(r *wire.Replica, st wire.ReplicaState) {
				ev := log.Warn()
				if st == wire.ReplicaUp {
					ev = log.Info()
				}
				ev.Str("replica", r.Name).Str("state", st.String()).Msg("replica state changed")
			}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgrst:", err)
			return 1
		}
		defer replicas.Close()
	}

	network, addr := cfg.ListenAddress()
	ln, err := net.Listen(network, addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgrst: server-host/server-port: cannot listen on %s: %v\n", addr, err)
		return 1
	}
	var adminLn net.Listener
	if cfg.Get("admin-server-port") != "" {
		network, addr := adminAddress(cfg)
		if adminLn, err = net.Listen(network, addr); err != nil {
			ln.Close()
			fmt.Fprintf(os.Stderr, "pgrst: admin-server-host/admin-server-port: cannot listen on %s: %v\n", addr, err)
			return 1
		}
	}

	// The API serves once the first schema load has succeeded or failed
	// (or startWait passed): connections made meanwhile wait in the
	// listen backlog instead of getting 503 for a cache about to load.
	firstLoaded := make(chan struct{})
	firstAttempt := sync.OnceFunc(func() { close(firstLoaded) })

	srv := server.New(pool, opts, log)
	srv.UseReplicas(replicas)
	// Only the plane's goroutine calls Prepare and LoadSchema, one at a
	// time, so current needs no lock.
	current := struct {
		cfg  *control.Config
		auth *auth.Verifier
	}{cfg, opts.Auth}
	p := control.NewPlane(control.PlaneOptions{
		Path: path, Environ: environ, Config: cfg, DB: db, DBUnread: dbUnread,
		Querier: pool, Log: log,
		Prepare: func(c *control.Config) (publish, discard func(), err error) {
			o, err := serverOptions(c, current.cfg, current.auth, log)
			if err != nil {
				return nil, nil, err
			}
			publish = func() {
				if replicas != nil {
					replicas.SetMaxLag(c.DBReplicaMaxLag)
				}
				srv.SetOptions(o)
				setLogLevel(c.LogLevel)
				if current.auth != o.Auth {
					current.auth.Close() // stops its key refreshes; requests under way still verify
				}
				current.cfg, current.auth = c, o.Auth
			}
			discard = func() {
				if o.Auth != current.auth {
					o.Auth.Close() // a verifier of its own: stop its key refreshes
				}
			}
			return publish, discard, nil
		},
		LoadSchema: func(ctx context.Context, c *control.Config) (string, error) {
			defer firstAttempt()
			sc, err := cache.Load(ctx, pool, c.DBSchemas)
			if err != nil {
				return "", err
			}
			if replicas != nil {
				// Before the new cache is used: a replica serves again
				// once it has the DDL this load saw.
				if err := replicas.SetFloor(ctx); err != nil {
					log.Warn().Err(err).Msg("cannot read the primary's WAL position for the replicas")
				}
			}
			reload := srv.Schema() != nil
			srv.SetSchema(sc)
			if reload {
				pool.ForgetStatements()
			}
			if replicas != nil {
				replicas.ForgetStatements()
			}
			return fmt.Sprintf("%d relations, %d functions, postgres %s",
				len(sc.Relations), len(sc.Functions), sc.PgVersionText), nil
		},
	})
	plane.Store(p)

	log.Log().Str("version", control.Version).Str("address", ln.Addr().String()).
		Int("db_pool", cfg.DBPool).Msg("pgrst listening")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	planeDone := make(chan struct{})
	go func() { p.Run(ctx); close(planeDone) }()
	if replicas != nil {
		go replicas.Check(ctx)
	}

	served := make(chan error, 2)
	go func() {
		select {
		case <-firstLoaded:
		case <-time.After(startWait):
		case <-ctx.Done():
		}
		if ctx.Err() != nil { // shut down before serving
			ln.Close()
			return
		}
		served <- srv.Serve(ln)
	}()
	var admin *server.Admin
	if adminLn != nil {
		admin = server.NewAdmin(srv, server.AdminOptions{Control: p.Stats,
			Listening: cfg.Bool("db-channel-enabled"), ExplorerDir: cfg.Get("admin-server-explorer-dir"),
			APIPort: cfg.ServerPort, ProxyURI: cfg.Get("openapi-server-proxy-uri")})
		go func() { served <- admin.Serve(adminLn) }()
		log.Log().Str("address", adminLn.Addr().String()).Msg("admin server listening")
	}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2)
	for {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGUSR1:
				log.Info().Msg("SIGUSR1: reloading the schema cache")
				p.ReloadSchema()
				continue
			case syscall.SIGUSR2:
				log.Info().Msg("SIGUSR2: reloading the configuration")
				p.ReloadConfig()
				continue
			}
			log.Log().Str("signal", sig.String()).Msg("shutting down")
		case err := <-served:
			if err != nil {
				log.Error().Err(err).Msg("server stopped")
				return 1
			}
		}
		break
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Both at once: the API stops accepting at once, whatever the admin
	// server's connections (fasthttp closes idle ones on a 100 ms tick).
	adminDone := make(chan struct{})
	go func() {
		if admin != nil {
			admin.Shutdown(sctx)
		}
		close(adminDone)
	}()
	defer func() { <-adminDone }()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn().Err(err).Msg("in-flight requests did not finish in time")
	}
	// The verifier's key refreshes end with it, once the plane (which
	// replaces it) has stopped.
	select {
	case <-planeDone:
		current.auth.Close()
	case <-sctx.Done():
	}
	return 0
}

// startWait bounds how long the API waits for the first schema load
// before it serves (and answers 503 PGRST002 until a load succeeds).
const startWait = 10 * time.Second

// readDBAtStart reads the configuration kept in the database on a
// connection of its own, giving up after a few seconds: the database may
// be down, and the server starts anyway.
func readDBAtStart(cfg *control.Config) (control.DBLayers, error) {
	pool, err := wire.Open(wire.Options{URI: cfg.DBURI, PoolSize: 1, AcquireTimeout: 3 * time.Second,
		NoPreparedStatements: !cfg.Bool("db-prepared-statements")})
	if err != nil {
		return control.DBLayers{}, err
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return control.ReadDB(ctx, pool, cfg.Get("db-pre-config"))
}

// serverOptions turns the configuration into what requests read. The JWT
// verifier of prev (and its cache) is kept when no JWT option changed.
func serverOptions(cfg, prev *control.Config, prevAuth *auth.Verifier, log zerolog.Logger) (server.Options, error) {
	v := prevAuth
	if prev == nil || v == nil || !sameAuth(cfg, prev) {
		var err error
		v, err = auth.New(auth.Options{
			Secret:       cfg.JWTSecret,
			Audience:     cfg.JWTAud,
			RoleClaimKey: cfg.JWTRoleClaimKey,
			AnonRole:     cfg.DBAnonRole,
			CacheEntries: int(cfg.Int("jwt-cache-max-entries")),
			Remote: auth.RemoteOptions{
				JWKSURL: cfg.Get("jwt-jwks-url"),
				Issuer:  cfg.Get("jwt-oidc-issuer"),
				OnFetch: func(ev auth.FetchEvent) { logKeyFetch(log, ev) },
			},
		})
		if err != nil {
			return server.Options{}, err
		}
	}
	app := make([][2]string, len(cfg.AppSettings))
	for i, s := range cfg.AppSettings {
		app[i] = [2]string{s.Name, s.Value}
	}
	return server.Options{
		Schemas:               cfg.DBSchemas,
		ExtraSearchPath:       cfg.DBExtraSearchPath,
		PreRequest:            cfg.DBPreRequest,
		MaxRows:               cfg.DBMaxRows,
		AppSettings:           app,
		LegacyGUCs:            cfg.DBUseLegacyGUCs,
		HoistedTxSettings:     cfg.List("db-hoisted-tx-settings"),
		Auth:                  v,
		Version:               control.Version,
		LegacyTargetNames:     cfg.Bool("url-use-legacy-target-names"),
		Aggregates:            cfg.Bool("db-aggregates-enabled"),
		Distinct:              cfg.Bool("db-distinct-enabled"),
		MinimalErrors:         cfg.Get("client-error-verbosity") == "minimal",
		PlanEnabled:           cfg.Bool("db-plan-enabled"),
		ServerTiming:          cfg.Bool("server-timing-enabled"),
		ETag:                  cfg.Bool("server-etag-enabled"),
		TraceHeader:           cfg.Get("server-trace-header"),
		LogQuery:              cfg.Bool("log-query"),
		CORSAllowedOrigins:    cfg.Get("server-cors-allowed-origins"),
		TxEnd:                 cfg.Get("db-tx-end"),
		OpenAPIMode:           cfg.Get("openapi-mode"),
		OpenAPISecurityActive: cfg.Bool("openapi-security-active"),
		OpenAPIProxyURI:       cfg.Get("openapi-server-proxy-uri"),
		OpenAPIVersion:        cfg.Get("openapi-version"),
		RootSpec:              cfg.Get("db-root-spec"),
		ServerHost:            cfg.ServerHost,
		ServerPort:            cfg.ServerPort,
		SafeWrites:            cfg.Bool("db-safe-writes"),
		MaxBodySize:           int(cfg.Int("server-max-body-size")),
		ListenEnabled:         cfg.Bool("server-listen-enabled"),
		ListenKeepAlive:       time.Duration(cfg.Int("server-listen-keepalive")) * time.Second,
		ListenBuffer:          int(cfg.Int("server-listen-buffer")),
	}, nil
}

// sameAuth reports whether a and b configure the JWT verifier alike.
func sameAuth(a, b *control.Config) bool {
	return slices.Equal(a.JWTSecret, b.JWTSecret) && a.JWTAud == b.JWTAud &&
		a.JWTRoleClaimKey == b.JWTRoleClaimKey && a.DBAnonRole == b.DBAnonRole &&
		a.Int("jwt-cache-max-entries") == b.Int("jwt-cache-max-entries") &&
		a.Get("jwt-jwks-url") == b.Get("jwt-jwks-url") && a.Get("jwt-oidc-issuer") == b.Get("jwt-oidc-issuer")
}

// logKeyFetch logs a fetch of the JWT key set: the URL (password
// redacted), the number of keys and the next refresh, never a key.
func logKeyFetch(log zerolog.Logger, ev auth.FetchEvent) {
	if ev.Err != nil {
		log.Warn().Str("url", ev.URL).Str("reason", ev.Reason).Err(ev.Err).
			Msg("cannot fetch the JWT key set; keeping the previous keys")
		return
	}
	log.Info().Str("url", ev.URL).Str("reason", ev.Reason).Int("keys", ev.Keys).
		Dur("refresh_in", ev.TTL).Msg("JWT key set fetched")
}

// adminAddress is where the admin server listens: admin-server-host
// (default: server-host) and admin-server-port.
func adminAddress(cfg *control.Config) (network, address string) {
	a := *cfg
	a.ServerHost = cfg.Get("admin-server-host")
	a.ServerPort = int(cfg.Int("admin-server-port"))
	return a.ListenAddress()
}

// probeReady asks the admin server for /ready: exit code 0 when it
// answers 200, 1 otherwise (a container health check).
func probeReady(cfg *control.Config) int {
	if cfg.Get("admin-server-port") == "" {
		fmt.Fprintln(os.Stderr, "pgrst: --ready needs admin-server-port")
		return 1
	}
	host := cfg.Get("admin-server-host")
	switch host {
	case "!4", "*", "*4":
		host = "127.0.0.1"
	case "!6", "*6":
		host = "::1"
	}
	url := "http://" + net.JoinHostPort(host, strconv.Itoa(int(cfg.Int("admin-server-port")))) + "/ready"
	client := http.Client{Timeout: 5 * time.Second}
	res, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgrst: --ready:", err)
		return 1
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "pgrst: --ready: %s answered %d\n", url, res.StatusCode)
		return 1
	}
	return 0
}

// setup installs or upgrades the pgrst schema in the database of db-uri.
func setup(cfg *control.Config, cmd control.Command) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	script := control.SchemaSQL(cfg.Get("db-channel"), cmd.DDLReload)
	grant := "" // the connecting role owns the table
	if cmd.Role != "" {
		grant = control.GrantSQL(cmd.Role)
	}
	if err := wire.ExecScript(ctx, cfg.DBURI, "begin;\n"+script+"\n"+grant+"\ncommit;\n"); err != nil {
		var de *wire.DBError
		if errors.As(err, &de) && de.Code == "42501" {
			fmt.Fprintln(os.Stderr, "pgrst: setup:", err, "(connect as a role that may create schemas; --ddl-reload needs a superuser)")
			return 1
		}
		fmt.Fprintln(os.Stderr, "pgrst: setup:", err)
		return 1
	}
	what := "pgrst schema installed"
	if cmd.DDLReload {
		what += ", with the DDL event trigger"
	}
	if cmd.Role != "" {
		what += "; " + cmd.Role + " may read pgrst.config"
	}
	fmt.Fprintln(os.Stderr, "pgrst:", what)
	return 0
}

// newLogger logs to stderr; the level is set with setLogLevel, process
// wide, so a configuration reload can change it. Start-up lines use
// Log() (no level) so they appear whatever the level.
func newLogger(level control.LogLevel) zerolog.Logger {
	setLogLevel(level)
	return zerolog.New(os.Stderr).With().Timestamp().Logger()
}

func setLogLevel(level control.LogLevel) {
	l := zerolog.DebugLevel
	switch level {
	case control.LogCrit:
		l = zerolog.FatalLevel
	case control.LogError:
		l = zerolog.ErrorLevel
	case control.LogWarn:
		l = zerolog.WarnLevel
	case control.LogInfo:
		l = zerolog.InfoLevel
	}
	zerolog.SetGlobalLevel(l)
}
