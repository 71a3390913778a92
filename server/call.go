package server

import (
	"bytes"
	"slices"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server/payload"
	"github.com/pgrst/pgrst/wire"
)

// Calls of functions (/rpc/f): what the server reads of a call's request
// beyond its query string, and OPTIONS on a function. The planner
// (planner/call.go) chooses the function and builds the statement.

// readCall fills x.pr.Call and x.pr.Payload from a call's request: for
// POST, the body's media type and the body (server/payload) — a JSON or
// CSV body's keys name the arguments, a form's fields are arguments as a
// query string's would be, and a text, XML or binary body is the single
// unnamed argument, bound as Payload.JSON. maxJSON bounds the JSON of a
// CSV body, as in readPayload.
func (x *exchange) readCall(ctx *fasthttp.RequestCtx, post bool, maxJSON int) error {
	pr := &x.pr
	pr.Call = planner.Call{Post: post, SingleObject: post && pr.Prefer.SingleObject}
	if !post {
		return nil
	}
	var ct []byte
	if len(ctx.Request.Header.Peek("Content-Type")) > 0 {
		ct = ctx.Request.Header.ContentType()
	}
	body := ctx.PostBody()
	media := payload.DecodeMedia(ct)
	if media == payload.MediaOther {
		// Only a function without arguments takes it (the planner says).
		pr.Call.Body = planner.CallOther
		pr.Payload.JSON = nonNil(body)
		return nil
	}
	if media == payload.MediaJSON && len(bytes.TrimSpace(body)) == 0 {
		body = nil // an empty body is no arguments
	}
	p := &x.payload
	// A single-object body is one argument, not keys: bound unread, as
	// with columns=.
	opt := payload.Options{RPC: true, Columns: x.q.HasColumns || pr.Call.SingleObject, MaxJSON: maxJSON}
	if err := p.Parse(ct, body, opt); err != nil {
		return err
	}
	switch media {
	case payload.MediaForm:
		pr.Call.Body = planner.CallForm
		for _, f := range p.Form {
			pr.Query.CallArgs = append(pr.Query.CallArgs,
				planner.Param{Key: string(f.Key), Value: string(f.Value), HasValue: true})
		}
	case payload.MediaText, payload.MediaXML, payload.MediaOctet:
		pr.Call.Body = planner.CallText
		if media == payload.MediaXML {
			pr.Call.Body = planner.CallXML
		} else if media == payload.MediaOctet {
			pr.Call.Body = planner.CallOctet
		}
		pr.Payload.JSON = nonNil(p.Raw)
	default: // JSON, CSV
		pr.Call.Body = planner.CallJSON
		if media == payload.MediaCSV {
			pr.Call.Body = planner.CallCSV
		}
		pr.Payload = planner.Payload{Keys: p.Keys, JSON: p.JSON}
	}
	return nil
}

// nonNil is b, or the empty string for none: a nil argument is NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// hoistSettings applies a called function's own settings to the
// transaction, as PostgREST: those of hoisted (db-hoisted-tx-settings)
// become transaction-local settings, so that statement_timeout, say,
// bounds the whole statement; default_transaction_isolation, listed or
// not, sets the transaction's isolation level.
func hoistSettings(r *wire.Request, settings []cache.Setting, hoisted []string) {
	for _, s := range settings {
		if s.Name == "default_transaction_isolation" {
			r.Tx.Isolation = isolationLevel(s.Value)
		}
		if slices.Contains(hoisted, s.Name) {
			r.Set(s.Name, s.Value)
		}
	}
}

// isolationLevel reads an isolation level as PostgREST: its first
// comma-separated item, any case; read committed unless another.
func isolationLevel(v string) wire.Isolation {
	v, _, _ = strings.Cut(v, ",")
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "repeatable read":
		return wire.RepeatableRead
	case "serializable":
		return wire.Serializable
	}
	return wire.ReadCommitted
}

// respondCallOptions answers OPTIONS on a function as PostgREST: a
// volatile function takes only POST.
func respondCallOptions(ctx *fasthttp.RequestCtx, sc *cache.Schema, schema, name string) error {
	allow, ok := planner.FunctionAllow(sc, schema, name)
	if !ok {
		r := planner.Request{Action: planner.ActionCall, Schema: schema, Target: name, Query: &planner.Query{}}
		_, err := planner.New(&r, sc)
		return err
	}
	ctx.SetStatusCode(200)
	h := &ctx.Response.Header
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Allow", allow)
	return nil
}
