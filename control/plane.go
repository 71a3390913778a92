package control

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/pgrst/pgrst/wire"
)

// restartOnly are the options read once, at start-up: the pool, the
// listeners and the listener's connection are built from them. A changed
// value elsewhere than at start-up is logged and ignored until a restart.
var restartOnly = []string{
	"db-uri",
	"db-pool",
	"db-pool-acquisition-timeout",
	"db-pool-max-lifetime",
	"db-pool-max-idletime",
	"db-replicas",
	"db-channel",
	"db-channel-enabled",
	"db-timeout",
	"server-host",
	"server-port",
	"server-reuseport",
	"server-unix-socket",
	"server-unix-socket-mode",
	"server-max-body-size",
	"admin-server-host",
	"admin-server-port",
	"admin-server-unix-socket",
	"admin-server-unix-socket-mode",
	"admin-server-explorer-dir",
}

// What a reload is asked to do; several requests are merged.
const (
	wantSchema uint32 = 1 << iota
	wantConfig
)

// Backoff of the listener's reconnections and of failed reloads.
const (
	minBackoff = time.Second
	maxBackoff = 32 * time.Second
)

// PlaneOptions configure the control plane.
type PlaneOptions struct {
	// Path is the config file ("" for none) and Environ the environment
	// (os.Environ form); both are read again at each configuration reload.
	Path    string
	Environ []string
	// Config is the configuration the server started with. Restart-only
	// options (db-uri, db-pool, server-port, ...) keep its values.
	Config *Config
	// DB is what the database held at start-up, when it could be read
	// (see ReadDB); it serves while the database cannot be read.
	DB DBLayers
	// DBUnread says the database layers could not be read at start-up: a
	// configuration reload runs as soon as the database answers.
	DBUnread bool
	// Querier reads the database layers (the pool).
	Querier Querier
	// Prepare checks what Build cannot (a JWK that does not parse, ...)
	// and returns the function that publishes cfg to the requests, and
	// the one that releases what Prepare built for cfg (a verifier's
	// background key refresh) when a later step of the reload fails and
	// cfg is not published. The plane calls exactly one of them. An error
	// rejects cfg: the running configuration stays.
	Prepare func(cfg *Config) (publish, discard func(), err error)
	// LoadSchema builds the schema cache for cfg and publishes it; the
	// summary is logged. On error the old cache must stay.
	LoadSchema func(ctx context.Context, cfg *Config) (summary string, err error)
	// Log receives the plane's events.
	Log zerolog.Logger
	// Quiet and MaxWait debounce bursts of requests: a reload starts once
	// no request came for Quiet (default 50ms), at most MaxWait (default
	// 500ms) after the first one.
	Quiet, MaxWait time.Duration
}

// Plane is pgrst's control plane: it owns the live configuration, listens
// for notifications on a dedicated connection, and runs the reloads of
// the configuration and of the schema cache, one at a time, in one
// goroutine, debounced.
type Plane struct {
	o       PlaneOptions
	running *Config
	cfg     atomic.Pointer[Config]

	pending      atomic.Uint32
	kick         chan struct{}
	wakeWorker   chan struct{}
	wakeListener chan struct{}

	// Owned by the worker goroutine.
	role, table  Settings
	tableMissing bool
	warned       map[string]string // restart-only option -> value warned about

	schemaLoads, schemaFailures atomic.Uint64
	schemaLoadTime              atomic.Int64 // ns, last successful load
	schemaLoaded                atomic.Bool
	configReloads, configFails  atomic.Uint64
	notifications               atomic.Uint64
	listenerUp                  atomic.Bool
}

// Stats are the plane's counters, for metrics and readiness.
type Stats struct {
	SchemaLoads, SchemaLoadFailures uint64
	// SchemaLoadTime is how long the last successful schema load took.
	SchemaLoadTime time.Duration
	SchemaLoaded   bool
	// ConfigReloads counts applied configuration reloads, and
	// ConfigReloadFailures the rejected ones (invalid value, unreadable
	// file, database unreachable).
	ConfigReloads, ConfigReloadFailures uint64
	Notifications                       uint64
	ListenerUp                          bool
}

// NewPlane returns a plane serving o.Config; Run starts it.
func NewPlane(o PlaneOptions) *Plane {
	if o.Quiet <= 0 {
		o.Quiet = 50 * time.Millisecond
	}
	if o.MaxWait < o.Quiet {
		o.MaxWait = 10 * o.Quiet
	}
	p := &Plane{
		o:            o,
		running:      o.Config,
		kick:         make(chan struct{}, 1),
		wakeWorker:   make(chan struct{}, 1),
		wakeListener: make(chan struct{}, 1),
		role:         o.DB.Role,
		table:        o.DB.Table,
		tableMissing: o.DB.TableMissing,
		warned:       map[string]string{},
	}
	p.cfg.Store(o.Config)
	return p
}

// Stats returns the plane's counters.
func (p *Plane) Stats() Stats {
	return Stats{
		SchemaLoads:          p.schemaLoads.Load(),
		SchemaLoadFailures:   p.schemaFailures.Load(),
		SchemaLoadTime:       time.Duration(p.schemaLoadTime.Load()),
		SchemaLoaded:         p.schemaLoaded.Load(),
		ConfigReloads:        p.configReloads.Load(),
		ConfigReloadFailures: p.configFails.Load(),
		Notifications:        p.notifications.Load(),
		ListenerUp:           p.listenerUp.Load(),
	}
}

// ReloadSchema asks for a schema cache reload (SIGUSR1, NOTIFY 'reload
// schema'); requests that come close together cause one reload.
func (p *Plane) ReloadSchema() { p.request(wantSchema) }

// ReloadConfig asks for a configuration reload (SIGUSR2, NOTIFY 'reload
// config').
func (p *Plane) ReloadConfig() { p.request(wantConfig) }

// Wake tells the plane the database may be reachable again (the pool made
// a connection): a listener or a reload waiting to retry does so now.
// It never blocks.
func (p *Plane) Wake() {
	signal(p.wakeWorker)
	signal(p.wakeListener)
}

func (p *Plane) request(w uint32) {
	p.pending.Or(w)
	signal(p.kick)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Run loads the schema cache (and the configuration, when the database
// could not be read at start-up), starts the listener unless
// db-channel-enabled is false, and serves reload requests until ctx ends.
func (p *Plane) Run(ctx context.Context) {
	first := wantSchema
	if p.o.DBUnread {
		first |= wantConfig
	}
	if p.running.Bool("db-channel-enabled") {
		// The first load waits for LISTEN to run (or to fail once): it
		// then sees every change a notification would announce, so the
		// listener's first connection needs no reload of its own, and
		// the schema is loaded once at start.
		listening := make(chan struct{})
		go p.listen(ctx, listening)
		select {
		case <-listening:
		case <-ctx.Done():
			return
		}
	}
	p.request(first)
	p.work(ctx)
}

// work is the one goroutine that reloads. Requests that arrive during a
// reload cause one more reload after it, so a burst of any size costs at
// most two. A failed reload is retried with backoff when the database was
// unreachable, and a schema cache that never loaded is retried whatever
// the cause.
func (p *Plane) work(ctx context.Context) {
	var retry uint32
	var retryAt <-chan time.Time
	backoff := minBackoff
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
			p.debounce(ctx)
		case <-p.wakeWorker:
			if retry == 0 {
				continue
			}
			p.pending.Or(retry)
		case <-retryAt:
			p.pending.Or(retry)
		}
		w := p.pending.Swap(0)
		if w == 0 {
			continue
		}
		retry &^= w
		failed := p.reload(ctx, w)
		if ctx.Err() != nil {
			return
		}
		if failed != 0 {
			retry |= failed
			p.o.Log.Warn().Dur("retry_in", backoff).Msg("retrying the reload")
			retryAt = time.After(backoff)
			backoff = min(backoff*2, maxBackoff)
		} else if retry == 0 {
			retryAt = nil
			backoff = minBackoff
		}
	}
}

// debounce waits until no request came for Quiet, or MaxWait passed.
func (p *Plane) debounce(ctx context.Context) {
	deadline := time.Now().Add(p.o.MaxWait)
	t := time.NewTimer(p.o.Quiet)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-p.kick:
			rest := time.Until(deadline)
			if rest <= 0 {
				return
			}
			t.Reset(min(p.o.Quiet, rest))
		}
	}
}

// reload runs what w asks for and returns what should be retried.
func (p *Plane) reload(ctx context.Context, w uint32) (retry uint32) {
	schemaDone := false
	if w&wantConfig != 0 {
		var err error
		schemaDone, err = p.reloadConfig(ctx)
		if err != nil && unreachable(err) {
			retry |= wantConfig
		}
	}
	if w&wantSchema != 0 && !schemaDone {
		if err := p.reloadSchema(ctx, p.cfg.Load()); err != nil && (unreachable(err) || !p.schemaLoaded.Load()) {
			retry |= wantSchema
		}
	}
	return retry
}

// unreachable reports an error caused by the database being out of reach.
func unreachable(err error) bool {
	var ce *wire.ConnError
	return errors.As(err, &ce) || errors.Is(err, wire.ErrAcquireTimeout)
}

func (p *Plane) reloadSchema(ctx context.Context, cfg *Config) error {
	start := time.Now()
	summary, err := p.o.LoadSchema(ctx, cfg)
	took := time.Since(start)
	if err != nil {
		p.schemaFailures.Add(1)
		msg := "could not load the schema cache; keeping the old one"
		if !p.schemaLoaded.Load() {
			msg = "could not load the schema cache"
		}
		p.o.Log.Error().Err(err).Msg(msg)
		return err
	}
	p.schemaLoads.Add(1)
	p.schemaLoadTime.Store(int64(took))
	p.schemaLoaded.Store(true)
	p.o.Log.Log().Str("summary", summary).Dur("load_time", took).Msg("schema cache loaded")
	return nil
}

// reloadConfig reads every source again and applies the result. A
// change of db-schemas loads the new schema cache first (schemaDone), and
// the configuration is rejected when that fails.
func (p *Plane) reloadConfig(ctx context.Context) (schemaDone bool, err error) {
	old := p.cfg.Load()
	fail := func(err error, ev *zerolog.Event) (bool, error) {
		p.configFails.Add(1)
		ev.Msg("configuration not reloaded; keeping the last good one")
		return false, err
	}

	var file Settings
	if p.o.Path != "" {
		if file, err = ReadFile(p.o.Path, p.o.Environ); err != nil {
			return fail(err, p.o.Log.Error().Err(err))
		}
	}
	base := Merge(Defaults(), file, FromEnv(p.o.Environ))

	role, table := Settings{}, Settings{}
	if (&Config{Raw: base}).Bool("db-config") {
		if err := p.readDB(ctx, old); err != nil {
			return fail(err, p.o.Log.Error().Err(err).Str("source", "database"))
		}
		role, table = p.role, p.table
	}
	merged := Merge(base, role, table)
	source := func(name string) string {
		switch {
		case hasKey(table, name):
			return "pgrst.config"
		case hasKey(role, name):
			return "database role settings"
		case hasKey(FromEnv(p.o.Environ), name):
			return "environment"
		case hasKey(file, name):
			return "config file"
		}
		return "default"
	}
	p.pinRestartOnly(merged, source)

	cfg, err := Build(merged)
	if err != nil {
		var oe *OptionError
		if errors.As(err, &oe) {
			return fail(err, p.o.Log.Error().Str("option", oe.Option).Str("source", source(oe.Option)).Str("problem", oe.Msg))
		}
		return fail(err, p.o.Log.Error().Err(err))
	}
	publish, discard, err := p.o.Prepare(cfg)
	if err != nil {
		return fail(err, p.o.Log.Error().Err(err))
	}
	if !slices.Equal(cfg.DBSchemas, old.DBSchemas) {
		if err := p.reloadSchema(ctx, cfg); err != nil {
			discard()
			return fail(err, p.o.Log.Error().Str("option", "db-schemas").Err(err))
		}
		schemaDone = true
	}
	publish()
	p.cfg.Store(cfg)
	p.configReloads.Add(1)
	if changed := changedKeys(old.Raw, cfg.Raw); len(changed) > 0 {
		p.o.Log.Log().Strs("changed", changed).Msg("configuration reloaded")
	} else {
		p.o.Log.Info().Msg("configuration reloaded, unchanged")
	}
	for _, k := range cfg.Unknown {
		if !slices.Contains(old.Unknown, k) {
			p.o.Log.Warn().Str("option", k).Str("source", source(k)).Msg("unknown configuration option ignored")
		}
	}
	return schemaDone, nil
}

// readDB reads the database layers into p.role and p.table. A layer that
// cannot be read for another reason than an unreachable database keeps
// its last value, with an error logged; an unreachable database is an
// error (the whole reload waits for it).
func (p *Plane) readDB(ctx context.Context, cur *Config) error {
	role, err := ReadRoleSettings(ctx, p.o.Querier, cur.Get("db-pre-config"))
	switch {
	case err != nil && unreachable(err):
		return err
	case err != nil:
		p.o.Log.Error().Err(err).Msg("cannot read the in-database configuration (role settings, db-pre-config); keeping the last one read")
	default:
		p.role = role
	}
	table, missing, err := ReadTable(ctx, p.o.Querier)
	switch {
	case err != nil && unreachable(err):
		return err
	case err != nil:
		p.o.Log.Error().Err(err).Msg("cannot read pgrst.config (grant SELECT on it to the authenticator: pgrst setup); keeping the last rows read")
	default:
		if missing && !p.tableMissing {
			p.o.Log.Info().Msg("pgrst.config does not exist (pgrst setup installs it)")
		}
		p.table, p.tableMissing = table, missing
	}
	return nil
}

// pinRestartOnly gives every restart-only option of merged its running
// value, and warns once about each value that differs from it.
func (p *Plane) pinRestartOnly(merged Settings, source func(string) string) {
	want := &Config{Raw: merged}
	for _, k := range restartOnly {
		v, running := want.Get(k), p.running.Get(k)
		if v != running {
			if w, ok := p.warned[k]; !ok || w != v {
				p.warned[k] = v
				// Shown at every log level, like the reloads themselves.
				ev := p.o.Log.Log().Str("level", "warn").Str("option", k).Str("source", source(k))
				if k != "db-uri" { // may hold a password
					ev = ev.Str("value", v).Str("running", running)
				}
				ev.Msg("option changed, but it only takes effect at a restart; the running value stays")
			}
		} else {
			delete(p.warned, k)
		}
		if rv, ok := p.running.Raw[k]; ok {
			merged[k] = rv
		} else {
			delete(merged, k)
		}
	}
}

func hasKey(s Settings, k string) bool {
	_, ok := s[k]
	return ok
}

// changedKeys lists, sorted, the options whose raw value differs.
func changedKeys(a, b Settings) []string {
	var out []string
	for k, v := range b {
		if av, ok := a[k]; !ok || av != v {
			out = append(out, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// ReadDB reads the database layers once (at start-up), for LoadDB.
func ReadDB(ctx context.Context, q Querier, preConfig string) (DBLayers, error) {
	role, err := ReadRoleSettings(ctx, q, preConfig)
	if err != nil {
		return DBLayers{}, err
	}
	table, missing, err := ReadTable(ctx, q)
	if err != nil {
		return DBLayers{}, err
	}
	return DBLayers{Role: role, Table: table, TableMissing: missing}, nil
}

// WithDB builds the configuration of file/env settings base with the
// database layers on top (db-uri excepted: it is how the database was
// reached).
func WithDB(base Settings, db DBLayers) (*Config, error) {
	merged := Merge(base, db.Role, db.Table)
	if v, ok := base["db-uri"]; ok {
		merged["db-uri"] = v
	} else {
		delete(merged, "db-uri")
	}
	return Build(merged)
}

// LoadSettings reads the startup layers: built-in defaults, then the config
// file at path (skipped when path is ""), then the PGRST_* variables of
// environ, merged but not built (see Build). environ also serves $(VAR) in
// the file.
func LoadSettings(path string, environ []string) (Settings, error) {
	var file Settings
	if path != "" {
		var err error
		if file, err = ReadFile(path, environ); err != nil {
			return nil, err
		}
	}
	return Merge(Defaults(), file, FromEnv(environ)), nil
}
