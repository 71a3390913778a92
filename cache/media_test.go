package cache_test

import (
	"testing"

	"github.com/pgrst/pgrst/cache"
)

func TestLoadMediaHandlers(t *testing.T) {
	s := load(t, "api")
	orders := rel(t, s, "api", "orders")
	h := orders.Handlers.Own["text/html"]
	if h == nil || h.Aggregate != (cache.QName{Schema: "api", Name: "orders_html"}) || h.AnyElement ||
		h.Target != (cache.QName{Schema: "api", Name: "orders"}) || h.Binary {
		t.Fatalf("orders text/html: %+v", h)
	}
	if s.MediaHandler(cache.QName{Schema: "api", Name: "orders"}, "text/html") != h {
		t.Error("Schema.MediaHandler")
	}
	// anyelement: every relation shares it; a bytea domain is binary.
	for _, name := range []string{"orders", "order_items", "orders_view"} {
		a := rel(t, s, "api", name).Handlers.Any["image/png"]
		if a == nil || !a.AnyElement || !a.Binary || a.Aggregate.Name != "any_png" {
			t.Errorf("%s image/png: %+v", name, a)
		}
	}
	// A view's own handler; the domain's name in lower case, its base
	// type through a domain over a domain.
	w := rel(t, s, "api", "orders_view").Handlers.Own["text/weird"]
	if w == nil || !w.Binary || w.Target.Name != "orders_view" {
		t.Errorf("orders_view text/weird: %+v", w)
	}
	if rel(t, s, "api", "order_items").Handlers.Own != nil {
		t.Errorf("order_items has own handlers")
	}
	// Functions returning a media type domain.
	fs := s.Functions[cache.QName{Schema: "api", Name: "page"}]
	if len(fs) != 1 || fs[0].ReturnMedia != "text/html" || fs[0].ReturnsBinary {
		t.Errorf("api.page: %+v", fs)
	}
	if fs := s.Functions[cache.QName{Schema: "api", Name: "add"}]; fs[0].ReturnMedia != "" {
		t.Errorf("api.add: %+v", fs[0])
	}
}
