package server

import (
	"context"
	"encoding/json"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server/media"
	"github.com/pgrst/pgrst/server/openapi"
	"github.com/pgrst/pgrst/sql"
	"github.com/pgrst/pgrst/wire"
)

// The root endpoint: GET or HEAD on / describes the schema in use
// (Accept-Profile) as PostgREST does, in Swagger 2.0, or in OpenAPI 3.1
// when asked (Accept: application/openapi+json;version=3.1) or configured
// (openapi-version).

// openapi-mode values.
const (
	openAPIIgnorePrivileges = "ignore-privileges"
	openAPIDisabled         = "disabled"
)

// privilegesSQL lists what the request's role may use in a schema.
var privilegesSQL = sql.MustRead("openapi_privileges.sql")

// cachedDoc is a rendered description, valid for the schema cache it was
// rendered from (and the configuration whose runConfig holds it).
type cachedDoc struct {
	body   []byte
	schema *cache.Schema
}

// newDocCache holds a configuration's rendered descriptions, by version,
// schema and, under follow-privileges, by what the role may see: roles
// with the same privileges share one. A description can weigh hundreds of
// kilobytes, so few are kept.
func newDocCache() *cache.Bounded[cachedDoc] { return cache.NewBounded[cachedDoc](32) }

// openAPIOptions derives what the description shows of the configuration.
func openAPIOptions(o *Options) openapi.Options {
	ao := openapi.Options{Version: o.Version, Scheme: "http", Host: openapi.ServerHost(o.ServerHost),
		Port: o.ServerPort, BasePath: "/", SecurityActive: o.OpenAPISecurityActive, SearchPath: o.ExtraSearchPath}
	if scheme, host, port, base, ok := openapi.Proxy(o.OpenAPIProxyURI); ok {
		ao.Scheme, ao.Host, ao.Port, ao.BasePath = scheme, host, port, base
	}
	return ao
}

// rootSpecRoute is the route of GET or HEAD / under db-root-spec: a call
// of that function, whose result (say, a domain named like
// application/openapi+json) is the answer.
func rootSpecRoute(rq route, fn string) route {
	return route{action: planner.ActionCall, head: rq.head, rpc: true, target: []byte(fn)}
}

// serveRoot answers / with the description of schema.
func (s *Server) serveRoot(ctx *fasthttp.RequestCtx, x *exchange, rt *runConfig, sc *cache.Schema, schema string, head bool) error {
	if rt.OpenAPIMode == openAPIDisabled {
		return apierr.OpenAPIDisabled()
	}
	x.accept = parseRequestAccept(x.accept[:0], &ctx.Request.Header)
	v31, ok := negotiateRoot(x.accept, rt.OpenAPIVersion == "3.1")
	if !ok {
		return errMediaType(x.accept)
	}
	render, contentType := openapi.Swagger, "application/openapi+json; charset=utf-8"
	if v31 {
		render, contentType = openapi.OpenAPI31, "application/openapi+json; version=3.1; charset=utf-8"
	}
	v := openapi.Visible{All: true}
	key := contentType + "\x00" + schema
	var privileges []byte
	if rt.OpenAPIMode != openAPIIgnorePrivileges {
		var err error
		if privileges, err = s.privileges(ctx, x, rt, sc, schema); err != nil {
			return err
		}
		key += "\x00" + string(privileges)
	}
	doc, ok := rt.docs.Get(key)
	if !ok || doc.schema != sc {
		if privileges != nil {
			var p struct{ Relations, Functions []uint32 }
			if err := json.Unmarshal(privileges, &p); err != nil {
				return err
			}
			v = openapi.Visible{Relations: set(p.Relations), Functions: set(p.Functions)}
		}
		b, err := render(sc, schema, &v, &rt.openapi)
		if err != nil {
			return err
		}
		doc = cachedDoc{body: b, schema: sc}
		rt.docs.Put(key, doc)
	}
	h := &ctx.Response.Header
	h.SetContentType(contentType)
	if x.byProfile {
		h.Set("Content-Profile", schema)
	}
	if !head {
		ctx.Response.SetBodyRaw(doc.body) // immutable, shared by the cache
	}
	return nil
}

// negotiateRoot picks the first acceptable description the client takes:
// application/openapi+json with version=2.0 (Swagger) or version=3.1, or
// without a version, application/json or any type, which get the default
// (openapi-version). v31 says which; ok is false when none fits.
func negotiateRoot(list []accepted, default31 bool) (v31, ok bool) {
	for i := range list {
		switch list[i].Kind {
		case media.OpenAPI:
			switch v, _ := media.Param(list[i].Params, "version"); string(v) {
			case "":
				return default31, true
			case "2.0", "2":
				return false, true
			case "3.1", "3.1.0":
				return true, true
			}
		case media.JSON, media.Any:
			return default31, true
		}
	}
	return false, false
}

// privileges asks the database, as the request's role and with its
// settings (one round trip), which relations and functions of schema the
// role may use; the answer is a JSON object of oid lists.
func (s *Server) privileges(ctx *fasthttp.RequestCtx, x *exchange, rt *runConfig, sc *cache.Schema, schema string) ([]byte, error) {
	x.req.Tx = wire.Tx{ReadOnly: true}
	fillSettings(ctx, x, rt, sc, schema)
	x.req.PreRequest = rt.preRequestSQL
	x.req.SQL = privilegesSQL
	x.args.Vals = append(x.args.Vals[:0], []byte(schema))
	x.req.Params = x.args.Vals
	x.timing.mark(stagePlan)
	var out []byte
	err := s.pool.Run(context.Background(), &x.req, func(r *wire.Result) error {
		out = append([]byte(nil), r.Body...)
		return nil
	})
	x.timing.mark(stageTransaction)
	return out, err
}

func set(oids []uint32) map[uint32]bool {
	m := make(map[uint32]bool, len(oids))
	for _, o := range oids {
		m[o] = true
	}
	return m
}
