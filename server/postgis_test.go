package server_test

import (
	"context"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// postgisFixture installs PostGIS in the schema extensions of the shared
// cluster with a table and a function that have a geometry column; the
// test is skipped when PostGIS is not installed (.ci/run installs
// postgresql-<major>-postgis-3 with apt where it can).
func postgisFixture(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := pgtest.Shared().Exec(ctx, `create schema if not exists extensions;
	  create extension if not exists postgis with schema extensions;`); err != nil {
		t.Skipf("PostGIS is not available to this PostgreSQL (install postgresql-<major>-postgis-3): %v", err)
	}
	if err := pgtest.Shared().Exec(ctx, `
	  grant usage on schema extensions to public;
	  create table if not exists api.geo_shops (id int primary key, address text,
	    geom extensions.geometry(Point, 4326));
	  truncate api.geo_shops;
	  insert into api.geo_shops values
	    (1, '1369 Cambridge St', 'SRID=4326;POINT(-71.10044 42.373695)'),
	    (2, '757 Massachusetts Ave', 'SRID=4326;POINT(-71.10543 42.366432)');
	  grant select, insert on api.geo_shops to web_anon;
	  create or replace function api.geo_shop(id int) returns setof api.geo_shops
	    language sql stable as $$ select * from api.geo_shops where id = $1 $$;`); err != nil {
		t.Fatal(err)
	}
}

// Accept: application/geo+json answers a FeatureCollection of the rows
// (PostGIS's ST_AsGeoJSON), as PostgREST's built-in handler does.
func TestGeoJSON(t *testing.T) {
	postgisFixture(t)
	s := startServer(t, func(o *server.Options, _ *wire.Options) {
		o.ExtraSearchPath = []string{"public", "extensions"}
	})
	geo := []string{"Accept", "application/geo+json"}
	r := s.get(t, "/geo_shops?order=id", geo...)
	expect(t, r, 200, `{"type":"FeatureCollection","features":[
	  {"type":"Feature","geometry":{"type":"Point","coordinates":[-71.10044,42.373695]},"properties":{"id":1,"address":"1369 Cambridge St"}},
	  {"type":"Feature","geometry":{"type":"Point","coordinates":[-71.10543,42.366432]},"properties":{"id":2,"address":"757 Massachusetts Ave"}}]}`)
	expectHeader(t, r, "Content-Type", "application/geo+json; charset=utf-8")
	// select shapes the properties; no rows, no features.
	expect(t, s.get(t, "/geo_shops?select=id,geom&id=eq.1", geo...), 200, `{"type":"FeatureCollection","features":[
	  {"type":"Feature","geometry":{"type":"Point","coordinates":[-71.10044,42.373695]},"properties":{"id":1}}]}`)
	expect(t, s.get(t, "/geo_shops?id=gt.9", geo...), 200, `{"type":"FeatureCollection","features":[]}`)
	// A relation without a geometry: PostGIS's error.
	expectError(t, s.get(t, "/films", geo...), 400, "22023")
	// Calls and write representations too.
	expect(t, s.get(t, "/rpc/geo_shop?id=2&select=id,geom", geo...), 200, `{"type":"FeatureCollection","features":[
	  {"type":"Feature","geometry":{"type":"Point","coordinates":[-71.10543,42.366432]},"properties":{"id":2}}]}`)
	r = s.send(t, "POST", "/geo_shops?select=id,geom", `{"id":3,"address":"605 W Kendall St","geom":"SRID=4326;POINT(-71.081924 42.36437)"}`,
		with(jsonBody, "Accept", "application/geo+json", "Prefer", "return=representation")...)
	expect(t, r, 201, `{"type":"FeatureCollection","features":[
	  {"type":"Feature","geometry":{"type":"Point","coordinates":[-71.081924,42.36437]},"properties":{"id":3}}]}`)
	// Plain JSON has the geometry as a GeoJSON object.
	expect(t, s.get(t, "/geo_shops?select=geom&id=eq.1"), 200,
		`[{"geom":{"type":"Point","crs":{"type":"name","properties":{"name":"EPSG:4326"}},"coordinates":[-71.10044,42.373695]}}]`)
}
