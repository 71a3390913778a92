package main

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// scenario is one kind of request of the benchmark. build appends the path
// and query (after "http://host:port") to uri and the request body, if any,
// to body; the random parameters come from rng, so a run is reproducible.
type scenario struct {
	id      string // as in BENCH_SCENARIOS: 1, 1j, 2, ...
	title   string
	method  string
	headers [][2]string
	// role is the JWT's role, "" for anonymous requests.
	role string
	// needs names the feature a scenario depends on: when the server
	// answers the probe with an error, the scenario is skipped with this
	// feature named rather than failed.
	needs string
	// write scenarios change the data: it is reset after them.
	write bool
	// limit: whether pgbench measures the scenario's SQL (anonymous
	// variants only; a JWT changes the settings, not the statement).
	limit bool
	// optional scenarios run only when BENCH_SCENARIOS names them.
	optional bool
	build    func(rng *rand.Rand, uri, body []byte) ([]byte, []byte)
}

func itoa(n int) string { return strconv.Itoa(n) }

// dates are the days orders span, 2022-01-01 .. 2023-12-31, as text.
var dates = func() []string {
	var out []string
	for d := time.Date(2022, 1, 2, 0, 0, 0, 0, time.UTC); d.Year() < 2024; d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format("2006-01-02"))
	}
	return out
}()

var statuses = []string{"paid", "shipped", "delivered"}

func scenarios() []*scenario {
	s1 := func(rng *rand.Rand, uri, body []byte) ([]byte, []byte) {
		uri = append(uri, "/customers?id=eq."...)
		return strconv.AppendInt(uri, int64(1+rng.IntN(10000)), 10), nil
	}
	s2 := func(rng *rand.Rand, uri, body []byte) ([]byte, []byte) {
		uri = append(uri, "/orders?select=id,customer_id,status,total,ordered_at&status=eq."...)
		uri = append(uri, statuses[rng.IntN(len(statuses))]...)
		uri = append(uri, "&ordered_at=lt."...)
		uri = append(uri, dates[rng.IntN(len(dates))]...)
		return append(uri, "&order=ordered_at.desc&limit=50"...), nil
	}
	// Page 1,000 (± 100) of 20 orders by id: skipping the pages before it
	// (offset), or seeking past the previous page's last id (keyset, the
	// cursor its Link header carries). Both read the same rows.
	page := func(rng *rand.Rand) int64 { return int64(20 * (900 + rng.IntN(200))) }
	return []*scenario{
		{id: "1", title: "customer by primary key", method: "GET", limit: true, build: s1},
		{id: "1j", title: "customer by primary key, JWT", method: "GET", role: "web_user", build: s1},
		{id: "2", title: "orders by status and date, 50 rows", method: "GET", limit: true, build: s2},
		{id: "2j", title: "orders by status and date, JWT", method: "GET", role: "web_user", build: s2},
		{id: "3", title: "orders + customer (many-to-one embed)", method: "GET", limit: true, needs: "embedding",
			build: func(rng *rand.Rand, uri, body []byte) ([]byte, []byte) {
				uri = append(uri, "/orders?select=id,status,total,ordered_at,customer:customers(id,name,email)&id=gt."...)
				uri = strconv.AppendInt(uri, int64(rng.IntN(99950)), 10)
				return append(uri, "&order=id.asc&limit=50"...), nil
			}},
		{id: "4", title: "customers + orders (one-to-many embed)", method: "GET", limit: true, needs: "embedding",
			build: func(rng *rand.Rand, uri, body []byte) ([]byte, []byte) {
				uri = append(uri, "/customers?select=id,name,tier,orders(id,status,total,ordered_at)&id=gt."...)
				uri = strconv.AppendInt(uri, int64(rng.IntN(9980)), 10)
				return append(uri, "&order=id.asc&limit=20"...), nil
			}},
		{id: "5", title: "insert one order, return=minimal, JWT", method: "POST", role: "web_user", limit: true,
			needs: "writes (POST)", write: true,
			headers: [][2]string{{"Prefer", "return=minimal"}},
			build: func(rng *rand.Rand, uri, body []byte) ([]byte, []byte) {
				uri = append(uri, "/orders"...)
				body = append(body, `{"customer_id":`...)
				body = strconv.AppendInt(body, int64(1+rng.IntN(10000)), 10)
				body = append(body, `,"status":"pending","total":`...)
				body = strconv.AppendInt(body, int64(1+rng.IntN(5000)), 10)
				body = append(body, `.50,"ordered_at":"2024-01-02T03:04:05Z","shipping_address":"1 Bench Road"}`...)
				return uri, body
			}},
		{id: "6", title: "scalar function call", method: "GET", limit: true, needs: "functions (/rpc)",
			build: func(rng *rand.Rand, uri, body []byte) ([]byte, []byte) {
				uri = append(uri, "/rpc/add?a="...)
				uri = strconv.AppendInt(uri, int64(rng.IntN(1000000)), 10)
				uri = append(uri, "&b="...)
				return strconv.AppendInt(uri, int64(rng.IntN(1000000)), 10), nil
			}},
		{id: "7", title: "1000 orders, select=* (~130 KB)", method: "GET", limit: true,
			build: func(rng *rand.Rand, uri, body []byte) ([]byte, []byte) {
				uri = append(uri, "/orders?select=*&id=gt."...)
				uri = strconv.AppendInt(uri, int64(rng.IntN(99000)), 10)
				return append(uri, "&order=id.asc&limit=1000"...), nil
			}},
		{id: "po", title: "page 1,000 of 20 orders, by offset", method: "GET", limit: true, optional: true,
			build: func(rng *rand.Rand, uri, body []byte) ([]byte, []byte) {
				uri = append(uri, "/orders?select=id,status,total&order=id&limit=20&offset="...)
				return strconv.AppendInt(uri, page(rng), 10), nil
			}},
		{id: "pk", title: "page 1,000 of 20 orders, by keyset", method: "GET", limit: true, optional: true,
			needs: "keyset pagination",
			build: func(rng *rand.Rand, uri, body []byte) ([]byte, []byte) {
				uri = append(uri, "/orders?select=id,status,total&order=id&limit=20&after=%7B%22id%22%3A"...)
				uri = strconv.AppendInt(uri, page(rng), 10)
				return append(uri, "%7D"...), nil
			}},
	}
}

// resetSQL undoes the write scenarios.
const resetSQL = `
delete from api.order_items where id > 300000;
delete from api.orders where id > 100000;
select setval(pg_get_serial_sequence('api.orders', 'id'), 100000);
select setval(pg_get_serial_sequence('api.order_items', 'id'), 300000);
`
