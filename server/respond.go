package server

import (
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/apierr"
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
	// location and inserted are copies of a write's columns.
	location []byte
	inserted []byte
	// etag is the quoted ETag of the body, when the exchange wants one.
	etag []byte
	// next is a copy of a keyset read's next-page cursor (empty on the
	// last page, and for other plans).
	next []byte
}

func (r *result) reset() {
	*r = result{gucHeaders: r.gucHeaders[:0], location: r.location[:0], inserted: r.inserted[:0], etag: r.etag[:0],
		next: r.next[:0]}
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
	res.location = append(res.location[:0], r.Location...)
	res.inserted = append(res.inserted[:0], r.Inserted...)
	res.next = res.next[:0]
	if plan.Keyset {
		res.next = append(res.next, r.Next...)
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

// checkResult is the error of a result the client refused: a singular
// media type with other than one row (PGRST116), more rows than
// max-affected under handling=strict (PGRST124). It runs while the
// connection holds the row: a write's check statement (writeCheck) then
// rolls the transaction back.
func checkResult(x *exchange) error {
	res, pr := &x.res, &x.pr
	n := res.pageTotal
	if singular(pr.Media.Body) && n != 1 {
		return apierr.SingularCardinality(n)
	}
	if p := &pr.Prefer; p.HasMaxAffected && p.Handling == planner.HandlingStrict && n > p.MaxAffected && limitsAffected(pr.Action) {
		return apierr.MaxAffected(n)
	}
	return nil
}

// warnAgent names the server in a Warning header as PostgREST does
// ("PostgRESTv<version>"), with the version of PostgREST whose API pgrst
// serves: clients written for PostgREST may match it.
const warnAgent = "PostgRESTv16.2"

// respond sets the status and headers of a request whose statement ran:
// from the action and the result row, then response.headers and
// response.status.
func (s *Server) respond(ctx *fasthttp.RequestCtx, x *exchange, plan *planner.Plan, rt *runConfig) error {
	res, pr := &x.res, &x.pr
	h := &ctx.Response.Header
	var status int
	if plan.ResolutionIgnored {
		pr.Prefer.Resolution = planner.ResolutionUnset
	}
	if pr.Action == planner.ActionRead || pr.Action == planner.ActionCall {
		status = readHeaders(ctx, x, rt.MinimalErrors)
		if len(res.next) > 0 && status != 416 {
			x.buf = appendNextLink(x.buf[:0], &x.q, pr.Target, res.next)
			h.SetBytesV("Link", x.buf)
		}
	} else {
		var err error
		if status, err = writeHeaders(ctx, x); err != nil {
			return err
		}
	}
	if plan.Void {
		// A function returning void: no body, no Content-Type.
		status = 204
		ctx.Response.ResetBody()
		h.Del("Content-Type")
		h.SetNoDefaultContentType(true)
	}
	setCommonHeaders(h, x, plan)
	if err := applyGUCHeaders(h, res.gucHeaders); err != nil {
		return err
	}
	if res.gucStatus != 0 {
		status = res.gucStatus
	}
	if x.etag && (status == 200 || status == 206) && !plan.Void {
		status = applyETag(ctx, x, status) // etag.go
	}
	ctx.SetStatusCode(status)
	return nil
}

// setCommonHeaders sets the headers every successful response of a
// planned request has: Content-Profile, Preference-Applied, Warning, Vary.
func setCommonHeaders(h *fasthttp.ResponseHeader, x *exchange, plan *planner.Plan) {
	pr := &x.pr
	if x.byProfile {
		h.Set("Content-Profile", pr.Schema)
	}
	x.buf = pr.Prefer.AppendApplied(x.buf[:0], pr.Action)
	if len(x.buf) > 0 {
		h.SetBytesV("Preference-Applied", x.buf)
	}
	if plan.Warning != "" {
		h.Set("Warning", "299 "+warnAgent+` "`+plan.Warning+`"`)
	}
	// As PostgREST, on every response but errors.
	h.Set("Vary", "Accept, Prefer, Range")
}

// limitsAffected reports whether max-affected applies to action a: an
// update's, a delete's or a call's rows.
func limitsAffected(a planner.Action) bool {
	return a == planner.ActionUpdate || a == planner.ActionDelete || a == planner.ActionCall
}

func singular(b planner.Body) bool { return b == planner.BodyObject || b == planner.BodyObjectStripped }

// readHeaders sets a read's or a call's Content-Range, Content-Location
// (a read's only) and Content-Type and returns its status: 200, 206 for a
// partial page, 416 (with PGRST103 as the body) for an offset past the
// total.
func readHeaders(ctx *fasthttp.RequestCtx, x *exchange, minimalErrors bool) int {
	res, q, h := &x.res, &x.q, &ctx.Response.Header
	status := rangeStatus(q.Offset, res.pageTotal, res.total, res.hasTotal)
	x.buf = appendContentRange(x.buf[:0], q.Offset, res.pageTotal, res.total, res.hasTotal)
	h.SetBytesV("Content-Range", x.buf)
	if x.pr.Action != planner.ActionCall {
		x.buf = appendContentLocation(x.buf[:0], x, q, x.pr.Target)
		h.SetBytesV("Content-Location", x.buf)
	}
	ct := x.media.contentType
	if status == 416 {
		ctx.Response.ResetBody()
		ctx.Response.SetBody(appendErrorBody(nil, apierr.OffsetBeyondTotal(q.Offset, res.total), minimalErrors))
		ct = "application/json; charset=utf-8"
	}
	h.Set("Content-Type", ct)
	return status
}

// writeHeaders sets a write's headers and returns its status, as
// PostgREST: an insert is 201 (200 when merge-duplicates inserted
// nothing, also from an empty array), with Location for return=headers-only; an update or delete
// is 200 with a representation, else 204; a PUT is 201 when it inserted,
// 200 when it updated, 204 without a representation, and PGRST115 when
// its body's key is not the URL's. Content-Range says how many rows were
// affected ("*/n", an update "0-(n-1)/n"), n being "*" unless counted.
func writeHeaders(ctx *fasthttp.RequestCtx, x *exchange) (int, error) {
	res, pr, h := &x.res, &x.pr, &ctx.Response.Header
	n := res.pageTotal
	counted := pr.Prefer.Count != planner.CountNone
	repr := pr.Prefer.Return == planner.ReturnRepresentation
	inserted, hasInserted := readDigits(res.inserted)
	var status int
	switch pr.Action {
	case planner.ActionInsert:
		status = 201
		if pr.Prefer.Resolution == planner.ResolutionMerge && (!hasInserted || inserted <= 0) {
			status = 200
		}
		if len(res.location) > 0 {
			loc, err := appendLocation(x.buf[:0], pr.Target, res.location)
			if err != nil {
				return 0, err
			}
			x.buf = loc
			h.SetBytesV("Location", x.buf)
		}
	case planner.ActionUpsert:
		if n == 0 {
			return 0, errPutMismatch
		}
		status = 200
		if hasInserted && inserted > 0 {
			status = 201
		}
	default:
		status = 200
	}
	if !repr && pr.Action != planner.ActionInsert {
		status = 204
	}
	if pr.Action != planner.ActionUpsert {
		// PATCH names the range of the rows it changed; the others
		// only count them: "*/total".
		var rangeRows int64
		if pr.Action == planner.ActionUpdate {
			rangeRows = n
		}
		x.buf = appendContentRange(x.buf[:0], 0, rangeRows, n, counted)
		h.SetBytesV("Content-Range", x.buf)
	}
	if repr {
		h.Set("Content-Type", x.media.contentType)
	}
	return status, nil
}

// appendLocation renders "/target?k=eq.v&..." from the statement's JSON
// array of [column, "eq.value"] pairs, URL-encoded as PostgREST does.
func appendLocation(dst []byte, target string, pairs []byte) ([]byte, error) {
	var kv [][2]string
	if err := json.Unmarshal(pairs, &kv); err != nil {
		return dst, err
	}
	dst = append(append(dst, '/'), target...)
	for i, p := range kv {
		if i == 0 {
			dst = append(dst, '?')
		} else {
			dst = append(dst, '&')
		}
		dst = appendURLEncoded(dst, p[0])
		dst = append(dst, '=')
		dst = appendURLEncoded(dst, p[1])
	}
	return dst, nil
}

var errPutMismatch = apierr.PutMismatch()

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
	errGUCHeaders = apierr.GUCHeaders()
	errGUCStatus  = apierr.GUCStatus()
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
