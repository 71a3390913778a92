package server

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/server/openapi"
	"github.com/pgrst/pgrst/sqltext"
	"github.com/pgrst/pgrst/wire"
)

// Options are the settings a request reads. They are published as one
// immutable value, so a configuration change is seen by a request either
// entirely or not at all.
type Options struct {
	// Schemas are the exposed schemas; the first is the default.
	Schemas         []string
	ExtraSearchPath []string
	// PreRequest is the db-pre-request function name (may be qualified).
	PreRequest string
	MaxRows    int64
	// AppSettings are app.settings.* GUC names and values, set on every request.
	AppSettings [][2]string
	// HoistedTxSettings is db-hoisted-tx-settings: the settings of a
	// called function's own (CREATE FUNCTION ... SET) that apply to the
	// whole transaction.
	HoistedTxSettings []string
	// LegacyGUCs also sets request.jwt.claim.<c>, request.header.<h> and
	// request.cookie.<c>.
	LegacyGUCs bool
	Auth       *auth.Verifier
	// Version appears in the Server header.
	Version string
	// LegacyTargetNames is url-use-legacy-target-names: filters, orders
	// and limits may name an aliased embed by its relation (with a
	// Warning header).
	LegacyTargetNames bool
	// Aggregates is db-aggregates-enabled.
	Aggregates bool
	// Distinct is db-distinct-enabled.
	Distinct bool
	// MinimalErrors is client-error-verbosity = minimal: error bodies
	// carry only code and message.
	MinimalErrors bool
	// PlanEnabled is db-plan-enabled: Accept: application/vnd.pgrst.plan
	// answers the statement's EXPLAIN.
	PlanEnabled bool
	// ServerTiming is server-timing-enabled: a Server-Timing header with
	// the duration of each stage.
	ServerTiming bool
	// ETag is server-etag-enabled: GET and HEAD reads and calls get an
	// ETag and honour If-None-Match (etag.go).
	ETag bool
	// TraceHeader is server-trace-header: the request header of that
	// name is echoed in the response.
	TraceHeader string
	// LogQuery is log-query: the SQL of each logged request is logged too.
	LogQuery bool
	// TxEnd is db-tx-end: commit (the default), rollback, or either with
	// -allow-override (Prefer: tx=commit|rollback decides).
	TxEnd string
	// SafeWrites is db-safe-writes: PATCH and DELETE without a filter on
	// their target are refused (PGRST119) instead of changing every row.
	SafeWrites bool
	// CORSAllowedOrigins is server-cors-allowed-origins: the accepted
	// origins, comma separated; empty accepts any origin (cors.go).
	CORSAllowedOrigins string
	// OpenAPIMode is openapi-mode: follow-privileges (also when empty),
	// ignore-privileges or disabled (root.go).
	OpenAPIMode string
	// OpenAPISecurityActive is openapi-security-active, OpenAPIProxyURI
	// openapi-server-proxy-uri.
	OpenAPISecurityActive bool
	OpenAPIProxyURI       string
	// OpenAPIVersion is openapi-version: the description / gives when the
	// client names no version, "2.0" (Swagger, also when empty) or "3.1".
	OpenAPIVersion string
	// RootSpec is db-root-spec: a function of the request's schema that
	// answers GET / instead of the description.
	RootSpec string
	// ServerHost and ServerPort are server-host and server-port, the
	// address the description names when there is no proxy URI.
	ServerHost string
	ServerPort int
	// ListenEnabled is server-listen-enabled: GET /listen/<channel>
	// relays the channel's notifications as Server-Sent Events
	// (listen.go). ListenKeepAlive is the interval of the stream's
	// keep-alive comments (server-listen-keepalive), ListenBuffer the
	// events a subscriber may have queued before it is dropped as too
	// slow (server-listen-buffer); 0 takes the defaults.
	ListenEnabled   bool
	ListenKeepAlive time.Duration
	ListenBuffer    int
	// MaxBodySize is server-max-body-size: the largest request body, in
	// bytes (0: DefaultMaxBodySize). New reads it; a change needs a
	// restart.
	MaxBodySize int
}

// DefaultMaxBodySize is server-max-body-size's default, 100 MiB.
const DefaultMaxBodySize = 100 << 20

// Defaults of server-listen-keepalive and server-listen-buffer.
const (
	DefaultListenKeepAlive = 15 * time.Second
	DefaultListenBuffer    = 64
)

// readBufferSize bounds the request line and headers.
const readBufferSize = 16 << 10

// runConfig is Options with the parts derived once per configuration.
type runConfig struct {
	Options
	searchPath    string // quoted identifier list
	preRequestSQL string
	cors          corsPolicy
	// From TxEnd: writes roll back by default; Prefer: tx= may override.
	txRollback, txOverride bool
	openapi                openapi.Options
	docs                   *cache.Bounded[cachedDoc] // root.go
}

// searchPathFor is the search_path of a request on schema: schema, then
// db-extra-search-path.
func (rt *runConfig) searchPathFor(schema string) string {
	if schema == firstOr(rt.Schemas, "public") {
		return rt.searchPath
	}
	return quoteIdentList(nil, schema, rt.ExtraSearchPath)
}

// Server serves the API.
type Server struct {
	pool *wire.Pool
	// replicas take the read-only requests (replica.go); nil for none.
	replicas atomic.Pointer[wire.Replicas]
	log      zerolog.Logger
	opts     atomic.Pointer[runConfig]
	schema   atomic.Pointer[cache.Schema]
	// plans maps a request's shape to its plan. A plan is only valid for
	// the schema cache it was built from: entries of an older one are
	// ignored and replaced, and a reload clears the map.
	plans *cache.Bounded[cachedPlan]
	http  *fasthttp.Server
	stats serverStats // metrics.go
	// listeners are the /listen/ streams and their LISTEN connection.
	listeners *hub
}

type cachedPlan struct {
	plan   *planner.Plan
	schema *cache.Schema
}

// PlanCacheStats reports the plan cache's hits and misses.
func (s *Server) PlanCacheStats() (hits, misses uint64) { return s.plans.Stats() }

// New returns a server on pool; it serves 503 until a schema cache is set.
func New(pool *wire.Pool, o Options, log zerolog.Logger) *Server {
	s := &Server{pool: pool, log: log, plans: cache.NewBounded[cachedPlan](4096), listeners: newHub(pool, log)}
	s.SetOptions(o)
	maxBody := o.MaxBodySize
	if maxBody <= 0 {
		maxBody = DefaultMaxBodySize
	}
	s.http = &fasthttp.Server{
		Handler:                      s.Handle,
		ErrorHandler:                 readErrorHandler(maxBody),
		MaxRequestBodySize:           maxBody,
		Name:                         "pgrst/" + o.Version,
		NoDefaultDate:                false,
		NoDefaultContentType:         true,
		DisablePreParseMultipartForm: true,
		ReadTimeout:                  60 * time.Second,
		// Request line and headers must fit the read buffer: 16 KiB leaves
		// room for long URLs and large JWTs (fasthttp's 4 KiB does not).
		ReadBufferSize: readBufferSize,
		// A typical page (a few KiB of JSON) leaves in one write.
		WriteBufferSize:               16 << 10,
		IdleTimeout:                   120 * time.Second,
		DisableHeaderNamesNormalizing: false,
		Logger:                        fasthttpLogger{log},
		// Only event streams hijack a connection; they close it
		// themselves (listen.go).
		KeepHijackedConns: true,
	}
	return s
}

// SetOptions publishes a new configuration.
func (s *Server) SetOptions(o Options) {
	if old := s.opts.Load(); old != nil && old.Auth != o.Auth {
		s.stats.retire(old.Auth) // keep its JWT cache counts (metrics.go)
	}
	rt := &runConfig{Options: o}
	rt.searchPath = quoteIdentList(nil, firstOr(o.Schemas, "public"), o.ExtraSearchPath)
	if o.PreRequest != "" {
		rt.preRequestSQL = "select " + sqltext.QuoteQualified(o.PreRequest) + "()"
	}
	rt.cors = newCORSPolicy(o.CORSAllowedOrigins)
	rt.txRollback = strings.HasPrefix(o.TxEnd, "rollback")
	rt.txOverride = strings.HasSuffix(o.TxEnd, "-allow-override")
	rt.openapi = openAPIOptions(&o)
	rt.docs = newDocCache()
	s.opts.Store(rt)
}

// SetSchema publishes a new schema cache.
func (s *Server) SetSchema(sc *cache.Schema) {
	s.schema.Store(sc)
	s.plans.Clear()
}

// Schema returns the current schema cache, nil before the first load.
func (s *Server) Schema() *cache.Schema { return s.schema.Load() }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.http.Serve(lingerListener{ln}) }

// Shutdown stops accepting, waits for in-flight requests up to ctx's
// deadline, then returns. Event streams end first (each with a last
// "end" event): they would never end on their own, and fasthttp does not
// wait for them.
func (s *Server) Shutdown(ctx context.Context) error {
	s.listeners.shutdown(ctx)
	return s.http.ShutdownWithContext(ctx)
}

type fasthttpLogger struct{ log zerolog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug().Msgf(format, args...)
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}
