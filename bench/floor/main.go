package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"unsafe"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"
)

// idMarker in -params stands for the request's id.
const idMarker = "{id}"

type floor struct {
	pool     *pgxpool.Pool
	sql      string
	params   []string
	idIndex  int
	names    []string
	values   []string // constant values; request.* ones are filled per request
	settings string   // the settings statement: its parameters are names and values in turn
}

func main() {
	listen := flag.String("listen", "127.0.0.1:3001", "address to listen on")
	uri := flag.String("db", "", "database URI (the authenticator role)")
	poolSize := flag.Int("pool", 8, "connections")
	sqlText := flag.String("sql", "", "the main statement")
	params := flag.String("params", "[]", `the main statement's parameters, a JSON array of strings; "{id}" is the request's id`)
	settings := flag.String("settings", "", "the settings statement, whose parameters are the settings' names and values in turn")
	names := flag.String("names", "[]", "the settings' names, a JSON array")
	values := flag.String("values", "[]", "the settings' values, a JSON array; those of request.method, request.path and request.headers are set per request")
	flag.Parse()

	f := &floor{sql: *sqlText, settings: *settings, idIndex: -1}
	must(json.Unmarshal([]byte(*params), &f.params))
	must(json.Unmarshal([]byte(*names), &f.names))
	must(json.Unmarshal([]byte(*values), &f.values))
	if len(f.names) != len(f.values) || f.sql == "" || f.settings == "" {
		must(fmt.Errorf("-names and -values differ in length, or -sql or -settings is empty"))
	}
	for i, p := range f.params {
		if p == idMarker {
			f.idIndex = i
		}
	}

	cfg, err := pgxpool.ParseConfig(*uri)
	must(err)
	cfg.MaxConns = int32(*poolSize)
	f.pool, err = pgxpool.NewWithConfig(context.Background(), cfg)
	must(err)

	ln, err := net.Listen("tcp", *listen)
	must(err)
	srv := &fasthttp.Server{Handler: f.handle, Name: "floor", NoDefaultContentType: true}
	go func() {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		<-sigs
		srv.Shutdown()
	}()
	must(srv.Serve(ln))
}

type state struct{ prepared bool }

// bg is the context of every database call: a context that can be done
// costs pgx a watcher per call, which the floor does without.
var bg = context.Background()

func (f *floor) handle(ctx *fasthttp.RequestCtx) {
	if string(ctx.Path()) != "/customers" {
		ctx.Error(`{"message":"not found"}`, 404)
		return
	}
	id, ok := bytes.CutPrefix(ctx.QueryArgs().Peek("id"), []byte("eq."))
	if !ok {
		ctx.Error(`{"message":"id=eq.N expected"}`, 400)
		return
	}

	// Settings values: constants, and the request's method, path, headers.
	var sbuf [32][]byte
	var h [512]byte
	sparams := sbuf[:0]
	for i, name := range f.names {
		sparams = append(sparams, unsafe.Slice(unsafe.StringData(name), len(name)))
		switch name {
		case "request.method":
			sparams = append(sparams, ctx.Method())
		case "request.path":
			sparams = append(sparams, ctx.Path())
		case "request.headers":
			j := append(h[:0], '{')
			first := true
			ctx.Request.Header.VisitAll(func(k, v []byte) {
				if !first {
					j = append(j, ',')
				}
				first = false
				j = append(j, '"')
				j = appendLower(j, k)
				j = append(j, '"', ':')
				j = appendJSON(j, v)
			})
			sparams = append(sparams, append(j, '}'))
		default:
			sparams = append(sparams, unsafe.Slice(unsafe.StringData(f.values[i]), len(f.values[i])))
		}
	}

	var pbuf [4][]byte
	params := pbuf[:0]
	for i, p := range f.params {
		if i == f.idIndex {
			params = append(params, id)
		} else {
			params = append(params, unsafe.Slice(unsafe.StringData(p), len(p)))
		}
	}

	c, err := f.pool.Acquire(bg)
	if err != nil {
		ctx.Error(err.Error(), 503)
		return
	}
	defer c.Release()
	pc := c.Conn().PgConn()
	st, _ := pc.CustomData()["floor"].(*state)
	if st == nil {
		st = &state{}
		pc.CustomData()["floor"] = st
	}
	pl := pc.StartPipeline(bg)
	prepare := !st.prepared
	if prepare {
		pl.SendPrepare("floor_settings", f.settings, nil)
	}
	pl.SendQueryPrepared("floor_settings", sparams, nil, nil)
	if prepare {
		pl.SendPrepare("floor_main", f.sql, nil)
	}
	pl.SendQueryPrepared("floor_main", params, nil, nil)
	if err := pl.Sync(); err != nil {
		pl.Close()
		ctx.Error(err.Error(), 500)
		return
	}
	fail := func(err error) {
		pl.Close()
		ctx.Error(err.Error(), 500)
	}
	for step := 0; step < 2; step++ {
		if prepare {
			if _, err := pl.GetResults(); err != nil {
				fail(err)
				return
			}
		}
		res, err := pl.GetResults()
		if err != nil {
			fail(err)
			return
		}
		rr := res.(*pgconn.ResultReader)
		if step == 1 && rr.NextRow() {
			v := rr.Values()
			ctx.SetStatusCode(200)
			ctx.Response.Header.SetContentType("application/json; charset=utf-8")
			if len(v) > 2 {
				ctx.Response.SetBody(v[2])
			}
		}
		if _, err := rr.Close(); err != nil {
			fail(err)
			return
		}
	}
	if _, err := pl.GetResults(); err != nil {
		fail(err)
		return
	}
	if err := pl.Close(); err != nil {
		ctx.Error(err.Error(), 500)
		return
	}
	st.prepared = true
}

func appendLower(dst, s []byte) []byte {
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendJSON appends s as a JSON string (header values are ASCII).
func appendJSON(dst, s []byte) []byte {
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, fmt.Sprintf(`\u%04x`, c)...)
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}
