package server

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
)

// Calls of functions (/rpc/f): what the server reads of a call's request
// beyond its query string, and OPTIONS on a function. The planner
// (planner/call.go) chooses the function and builds the statement.

// callInput is a call's body and the names of its arguments, reused from
// request to request. body aliases the request: valid only while the
// handler runs.
type callInput struct {
	body []byte
	keys []string
}

func (c *callInput) reset() {
	c.body = nil
	clear(c.keys)
	c.keys = c.keys[:0]
}

var errInvalidJSONBody = &apiError{status: 400, code: "PGRST102", message: "Empty or invalid json"}

// read fills pr.Call from the request: for POST, the body's media type,
// the body and its keys (or, for a form, its fields as arguments).
func (c *callInput) read(ctx *fasthttp.RequestCtx, pr *planner.Request, post bool) error {
	pr.Call = planner.Call{Post: post}
	if !post {
		return nil
	}
	for _, it := range pr.Prefer.Invalid {
		// PostgREST 5's way to pass the whole body as one json argument.
		if string(it) == "params=single-object" {
			pr.Call.SingleObject = true
		}
	}
	body := ctx.PostBody()
	pr.Call.Body = callBodyOf(ctx.Request.Header.ContentType())
	switch pr.Call.Body {
	case planner.CallForm:
		planner.AppendFormArgs(pr.Query, string(body))
		return nil
	case planner.CallJSON:
		if len(bytes.TrimSpace(body)) == 0 {
			body = []byte("{}") // an empty body is no arguments
		}
		keys, err := jsonBodyKeys(c.keys[:0], body)
		if err != nil {
			return err
		}
		c.keys = keys
		pr.Call.Keys = keys
	}
	c.body = body
	return nil
}

// callBodyOf maps a Content-Type to the kind of a call's body.
func callBodyOf(ct []byte) planner.CallBody {
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = bytes.TrimSpace(ct)
	switch {
	case len(ct) == 0, asciiEqualFold("application/json", ct):
		return planner.CallJSON
	case asciiEqualFold("application/x-www-form-urlencoded", ct):
		return planner.CallForm
	case asciiEqualFold("text/plain", ct):
		return planner.CallText
	case asciiEqualFold("text/xml", ct):
		return planner.CallXML
	case asciiEqualFold("application/octet-stream", ct):
		return planner.CallOctet
	}
	return planner.CallOther
}

// jsonBodyKeys appends to dst the keys of a JSON body's object, or of its
// array's first object, sorted and distinct; PGRST102 when the body is
// not JSON.
//
// TODO: use server/payload (Payload.Parse) once it is merged: it parses
// the body once and gives the keys.
func jsonBodyKeys(dst []string, body []byte) ([]string, error) {
	if !json.Valid(body) {
		return dst, errInvalidJSONBody
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		var arr []map[string]json.RawMessage
		if err := json.Unmarshal(body, &arr); err != nil {
			return dst, errInvalidJSONBody
		}
		if len(arr) > 0 {
			obj = arr[0]
		}
	}
	for k := range obj {
		dst = append(dst, k)
	}
	slices.Sort(dst)
	return dst, nil
}

// targetRelation is the relation a read's media types are negotiated
// for: none for a function.
func targetRelation(sc *cache.Schema, schema, target string, rpc bool) *cache.Relation {
	if rpc {
		return nil
	}
	return sc.Relation(schema, target)
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
