package cache_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/pgrst/pgrst/cache"
)

func relsTo(s *cache.Schema, from, to string) []*cache.Relationship {
	var out []*cache.Relationship
	for _, r := range s.Relationships[cache.QName{Schema: "api", Name: from}] {
		if r.Foreign.Name == to {
			out = append(out, r)
		}
	}
	return out
}

func TestLoadRelationships(t *testing.T) {
	s := load(t, "api")

	// Composite foreign key, both directions.
	m2o := relsTo(s, "order_items", "orders")
	if len(m2o) != 1 || m2o[0].Card != cache.ManyToOne || m2o[0].Constraint != "order_items_order_fkey" ||
		!slices.Equal(m2o[0].Columns, []string{"order_id", "region"}) || !slices.Equal(m2o[0].ForeignColumns, []string{"id", "region"}) ||
		!m2o[0].IsToOne() {
		t.Errorf("order_items → orders: %+v", m2o)
	}
	o2m := relsTo(s, "orders", "order_items")
	if len(o2m) != 2 || o2m[0].Card != cache.OneToMany || o2m[0].IsToOne() ||
		!slices.Equal(o2m[0].Columns, []string{"id", "region"}) || !slices.Equal(o2m[0].ForeignColumns, []string{"order_id", "region"}) {
		t.Errorf("orders → order_items: %+v", o2m)
	}
	// The computed relationship api.items(api.orders) sorts after the FK one.
	if len(o2m) == 2 && (!o2m[1].Computed || o2m[1].Function != (cache.QName{Schema: "api", Name: "items"}) || o2m[1].ToOne) {
		t.Errorf("computed: %+v", o2m[1])
	}

	// The view shows all key columns: it gets both directions, and the
	// primary key of its table.
	v := relsTo(s, "orders_view", "order_items")
	if len(v) != 1 || !v[0].TableIsView || v[0].Card != cache.OneToMany {
		t.Errorf("orders_view → order_items: %+v", v)
	}
	v = relsTo(s, "order_items", "orders_view")
	if len(v) != 1 || !v[0].ForeignIsView || v[0].Card != cache.ManyToOne {
		t.Errorf("order_items → orders_view: %+v", v)
	}
	if pk := s.Relation("api", "orders_view").PrimaryKey; !slices.Equal(pk, []string{"region", "id"}) {
		t.Errorf("orders_view key %v", pk)
	}
	// An aggregate view shows no key.
	if pk := s.Relation("api", "order_counts").PrimaryKey; len(pk) != 0 {
		t.Errorf("order_counts key %v", pk)
	}
	// The FK to a private table gives no relationship.
	for _, r := range s.Relationships[cache.QName{Schema: "api", Name: "orders"}] {
		if r.Foreign.Schema != "api" {
			t.Errorf("private target: %+v", r)
		}
	}
	// Partitioned tables: the declared key only.
	if r := relsTo(s, "event_refs", "events"); len(r) != 1 {
		t.Errorf("event_refs → events: %+v", r)
	}
}

func TestLoadPrivateJunctionTargets(t *testing.T) {
	s := load(t, "api")
	q := func(n string) cache.QName { return cache.QName{Schema: "api", Name: n} }
	// The view over orders shows its key columns: it is reached too.
	got := slices.Clone(s.PrivateJunctionTargets[q("tags")])
	slices.SortFunc(got, func(a, b cache.QName) int { return strings.Compare(a.Name, b.Name) })
	if !slices.Equal(got, []cache.QName{q("orders"), q("orders_view")}) {
		t.Errorf("tags: %v", got)
	}
	if got := s.PrivateJunctionTargets[q("orders")]; !slices.Equal(got, []cache.QName{q("tags")}) {
		t.Errorf("orders: %v", got)
	}
	// Not embeddable.
	if r := relsTo(s, "tags", "orders"); len(r) != 0 {
		t.Errorf("tags → orders: %+v", r)
	}
}
