package server

import (
	"context"
	"encoding/json"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/control"
	"github.com/pgrst/pgrst/wire"
)

// AdminOptions configure the admin server.
type AdminOptions struct {
	// Control returns the control plane's counters; nil for none.
	Control func() control.Stats
	// Listening says a listener is expected (db-channel-enabled): while it
	// is down, /ready checks the database itself.
	Listening bool
	// ExplorerDir is admin-server-explorer-dir: an unpacked swagger-ui-dist
	// package; the admin server then serves Swagger UI at /explorer/,
	// pointed at the API (on APIPort, or at ProxyURI: openapi-server-proxy-uri).
	ExplorerDir string
	APIPort     int
	ProxyURI    string
}

// Admin is the admin server (admin-server-port): /live, /ready, /metrics,
// /schema_cache and the API explorer (/explorer/, explorer.go). It is off
// unless admin-server-port is set.
type Admin struct {
	s        *Server
	o        AdminOptions
	http     *fasthttp.Server
	explorer map[string]explorerFile // nil without ExplorerDir
}

// NewAdmin returns the admin server of s. An explorer directory it cannot
// read is logged, and the admin server runs without the explorer.
func NewAdmin(s *Server, o AdminOptions) *Admin {
	a := &Admin{s: s, o: o}
	if o.ExplorerDir != "" {
		files, err := loadExplorer(o.ExplorerDir, o.APIPort, o.ProxyURI)
		if err != nil {
			s.log.Error().Err(err).Msg("API explorer disabled")
		}
		a.explorer = files
	}
	a.http = &fasthttp.Server{
		Handler:      a.handle,
		ErrorHandler: readErrorHandler(fasthttp.DefaultMaxRequestBodySize),
		Name:         "pgrst-admin",
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 30 * time.Second,
		Logger:       fasthttpLogger{s.log},
	}
	return a
}

// Serve accepts connections on ln until Shutdown.
func (a *Admin) Serve(ln net.Listener) error { return a.http.Serve(lingerListener{ln}) }

// Shutdown stops the admin server.
func (a *Admin) Shutdown(ctx context.Context) error { return a.http.ShutdownWithContext(ctx) }

func (a *Admin) handle(ctx *fasthttp.RequestCtx) {
	switch string(ctx.Path()) {
	case "/live":
		ctx.SetStatusCode(fasthttp.StatusOK)
	case "/ready":
		if a.Ready() {
			ctx.SetStatusCode(fasthttp.StatusOK)
		} else {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		}
		if rs := a.s.replicas.Load(); rs != nil {
			// The replicas' states, for people: readiness is the
			// primary's alone, since reads fall back to it.
			ctx.Response.Header.SetContentType("application/json; charset=utf-8")
			ctx.Response.SetBodyRaw(replicaReport(rs))
		}
	case "/metrics":
		var cs control.Stats
		if a.o.Control != nil {
			cs = a.o.Control()
		}
		ctx.SetStatusCode(fasthttp.StatusOK)
		ctx.Response.Header.SetContentType("text/plain; version=0.0.4; charset=utf-8")
		ctx.Response.SetBodyRaw(a.s.appendMetrics(nil, cs))
	case "/schema_cache":
		sc := a.s.Schema()
		if sc == nil {
			ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
			return
		}
		b, err := json.Marshal(dumpSchema(sc))
		if err != nil {
			ctx.SetStatusCode(fasthttp.StatusInternalServerError)
			ctx.SetBodyString(err.Error())
			return
		}
		ctx.SetStatusCode(fasthttp.StatusOK)
		ctx.Response.Header.SetContentType("application/json; charset=utf-8")
		ctx.Response.SetBodyRaw(b)
	case "/explorer":
		if a.explorer != nil {
			ctx.Redirect("/explorer/", fasthttp.StatusMovedPermanently)
			return
		}
		ctx.SetStatusCode(fasthttp.StatusNotFound)
	default:
		if !a.serveExplorer(ctx) {
			ctx.SetStatusCode(fasthttp.StatusNotFound)
		}
	}
}

// Ready reports whether the server can answer requests: the schema cache
// is loaded and the database answers. While the pool or the listener has
// seen the database fail, it asks the database (a ping, at most a
// second), which also brings a recovering pool back sooner.
func (a *Admin) Ready() bool {
	loaded := a.s.Schema() != nil
	if loaded && a.s.pool.Reachable() {
		if !a.o.Listening || a.o.Control == nil || a.o.Control().ListenerUp {
			return true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return a.s.pool.Ping(ctx) == nil && loaded
}

// replicaReport is /ready's body with db-replicas: each replica's state
// and lag.
func replicaReport(rs *wire.Replicas) []byte {
	type replica struct {
		Name       string  `json:"name"`
		State      string  `json:"state"`
		LagSeconds float64 `json:"lag_seconds"`
		LagBytes   int64   `json:"lag_bytes"`
	}
	var out struct {
		Replicas []replica `json:"replicas"`
	}
	out.Replicas = []replica{}
	for _, r := range rs.List() {
		st := r.Stats()
		out.Replicas = append(out.Replicas, replica{Name: st.Name, State: st.State.String(),
			LagSeconds: st.Lag.Seconds(), LagBytes: st.LagBytes})
	}
	b, _ := json.Marshal(out)
	return b
}

// schemaDump is the JSON form of the schema cache: maps keyed by
// qualified names become lists, sorted.
type schemaDump struct {
	Exposed        []string
	PgVersion      int
	PgVersionText  string
	SchemaComments map[string]string
	Relations      []relationDump
	Functions      []*cache.Function
	Relationships  []*cache.Relationship
}

// relationDump leaves out ColumnIndex, which repeats Columns.
type relationDump struct {
	*cache.Relation
	ColumnIndex *struct{} `json:",omitempty"`
}

func dumpSchema(sc *cache.Schema) schemaDump {
	d := schemaDump{Exposed: sc.Exposed, PgVersion: sc.PgVersion, PgVersionText: sc.PgVersionText,
		SchemaComments: sc.SchemaComments}
	for _, r := range sc.Relations {
		d.Relations = append(d.Relations, relationDump{Relation: r})
	}
	slices.SortFunc(d.Relations, func(a, b relationDump) int {
		if c := strings.Compare(a.Schema, b.Schema); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, fs := range sc.Functions {
		d.Functions = append(d.Functions, fs...)
	}
	for _, rs := range sc.Relationships {
		d.Relationships = append(d.Relationships, rs...)
	}
	slices.SortStableFunc(d.Relationships, func(a, b *cache.Relationship) int {
		if c := strings.Compare(a.Table.Schema, b.Table.Schema); c != 0 {
			return c
		}
		return strings.Compare(a.Table.Name, b.Table.Name)
	})
	slices.SortStableFunc(d.Functions, func(a, b *cache.Function) int {
		if c := strings.Compare(a.Schema, b.Schema); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return d
}
