package server

import (
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/wire"
)

// The response of a request that succeeded: read copies what it needs
// of the result row while the connection holds it (the body straight into
// the response), and respond then decides the status and every header
// from the action and that row, and lets the database's response.status
// and response.headers have the last word.

// result is what the response needs of the statement's row.
type result struct {
	pageTotal int64
	total     int64
	hasTotal  bool
	// gucHeaders is a copy of response.headers (nil when unset);
	// gucStatus is response.status, 0 when unset.
	gucHeaders []byte
	gucStatus  int
}

func (r *result) reset() {
	*r = result{gucHeaders: r.gucHeaders[:0]}
}

// read takes the counts, the response GUCs and (unless head) the body of
// row r, which is valid only during this call.
func (res *result) read(ctx *fasthttp.RequestCtx, plan *planner.Plan, r *wire.Result, head bool) error {
	res.pageTotal, _ = readDigits(r.PageTotal)
	res.total, res.hasTotal = readDigits(r.TotalResultSet)
	if r.ResponseHeaders != nil {
		res.gucHeaders = append(res.gucHeaders[:0], r.ResponseHeaders...)
	} else {
		res.gucHeaders = nil
	}
	if len(r.ResponseStatus) > 0 {
		n, err := strconv.Atoi(string(r.ResponseStatus))
		if err != nil || n < 100 || n > 599 {
			return errGUCStatus
		}
		res.gucStatus = n
	}
	applyEstimate(res, plan, r.Explain)
	if head {
		return nil
	}
	if plan.HexBody {
		b := make([]byte, hex.DecodedLen(len(r.Body)))
		if _, err := hex.Decode(b, r.Body); err != nil {
			return err
		}
		ctx.Response.SetBodyRaw(b)
		return nil
	}
	ctx.Response.SetBody(r.Body)
	return nil
}

// respond sets the status and headers of a request whose statement ran:
// from the action and the result row, then response.headers and
// response.status. A singular media type with other than one row is
// PGRST116.
func (s *Server) respond(ctx *fasthttp.RequestCtx, x *exchange, plan *planner.Plan, rt *runConfig) error {
	res, pr, q := &x.res, &x.pr, &x.q
	if m := pr.Media.Body; (m == planner.BodyObject || m == planner.BodyObjectStripped) && res.pageTotal != 1 {
		return &apiError{status: 406, code: "PGRST116", message: "Cannot coerce the result to a single JSON object",
			details: "The result contains " + strconv.FormatInt(res.pageTotal, 10) + " rows"}
	}
	h := &ctx.Response.Header
	status := rangeStatus(q.Offset, res.pageTotal, res.total, res.hasTotal)
	x.buf = appendContentRange(x.buf[:0], q.Offset, res.pageTotal, res.total, res.hasTotal)
	h.SetBytesV("Content-Range", x.buf)
	if pr.Action != planner.ActionCall {
		x.buf = appendContentLocation(x.buf[:0], x, q, pr.Target)
		h.SetBytesV("Content-Location", x.buf)
	}
	ct := x.media.contentType
	if status == 416 {
		ctx.Response.ResetBody()
		e := errRange("An offset of " + strconv.FormatInt(q.Offset, 10) + " was requested, but there are only " +
			strconv.FormatInt(res.total, 10) + " rows.")
		ctx.Response.SetBody(appendErrorBody(nil, e))
		ct = "application/json; charset=utf-8"
	}
	if plan.Void {
		// A function returning void: no body, no Content-Type.
		status = 204
		ctx.Response.ResetBody()
		h.SetNoDefaultContentType(true)
	} else {
		h.Set("Content-Type", ct)
	}
	if x.byProfile {
		h.Set("Content-Profile", pr.Schema)
	}
	x.buf = pr.Prefer.AppendApplied(x.buf[:0], pr.Action)
	if len(x.buf) > 0 {
		h.SetBytesV("Preference-Applied", x.buf)
	}
	if plan.Warning != "" {
		// PostgREST's warn-agent is "PostgRESTv<version>"; ours names pgrst.
		h.Set("Warning", "299 pgrstv"+rt.Version+` "`+plan.Warning+`"`)
	}
	// As PostgREST, on every response but errors.
	h.Set("Vary", "Accept, Prefer, Range")
	if err := applyGUCHeaders(h, res.gucHeaders); err != nil {
		return err
	}
	if res.gucStatus != 0 {
		status = res.gucStatus
	}
	ctx.SetStatusCode(status)
	return nil
}

// respondOptions answers OPTIONS on a relation (or the root) with the
// methods it allows, as PostgREST derives them from the catalog.
func (s *Server) respondOptions(ctx *fasthttp.RequestCtx, sc *cache.Schema, schema, target string) error {
	allow := "OPTIONS,GET,HEAD"
	if target != "" {
		rel, err := planner.Relation(sc, schema, target)
		if err != nil {
			return err
		}
		if rel.Insertable {
			allow += ",POST"
		}
		if rel.Insertable && rel.Updatable && len(rel.PrimaryKey) > 0 {
			allow += ",PUT"
		}
		if rel.Updatable {
			allow += ",PATCH"
		}
		if rel.Deletable {
			allow += ",DELETE"
		}
	}
	ctx.SetStatusCode(200)
	h := &ctx.Response.Header
	// As PostgREST, whatever server-cors-allowed-origins says: this is not
	// the CORS answer (a preflight never gets here, see cors.go).
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Allow", allow)
	h.Set("Vary", "Accept, Prefer, Range")
	return nil
}

var (
	errGUCHeaders = &apiError{status: 500, code: "PGRST111",
		message: "response.headers guc must be a JSON array composed of objects with a single key and a string value"}
	errGUCStatus = &apiError{status: 500, code: "PGRST112",
		message: "response.status guc must be a valid status code"}
)

// applyGUCHeaders sets the headers of response.headers, a JSON array of
// one-key objects set by the request's SQL; they replace pgrst's own.
func applyGUCHeaders(h *fasthttp.ResponseHeader, headers []byte) error {
	if len(headers) == 0 {
		return nil
	}
	var list []map[string]string
	if err := json.Unmarshal(headers, &list); err != nil {
		return errGUCHeaders
	}
	for _, m := range list {
		if len(m) != 1 {
			return errGUCHeaders
		}
	}
	for _, m := range list {
		for k, v := range m {
			h.Set(k, v)
		}
	}
	return nil
}

// applyEstimate completes count=planned and count=estimated with the
// planner's row estimate: planned always takes it; estimated takes it when
// the exact count stopped at db-max-rows and the estimate is larger.
func applyEstimate(res *result, plan *planner.Plan, explain []byte) {
	switch {
	case plan.Count == planner.CountPlanned:
	case plan.Count == planner.CountEstimated && res.hasTotal && plan.CappedByMaxRows(res.total):
	default:
		return
	}
	n, ok := planRows(explain)
	if !ok {
		return
	}
	if plan.Count == planner.CountPlanned || !res.hasTotal || n > res.total {
		res.total, res.hasTotal = n, true
	}
}
