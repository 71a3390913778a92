package server

import (
	"bytes"
	"encoding/hex"
	"math"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/wire"
)

// Pagination and the read response: the Range header, the status (200,
// 206, 416) and Content-Range from the page and the count, and the other
// headers of a read (Content-Location, Content-Profile,
// Preference-Applied).

// readState is the read path's per-request scratch, reused through the
// exchange pool. Its byte slices alias the request: valid only while the
// handler runs.
type readState struct {
	prefs  preferences
	accept []accepted
	media  readMedia
	buf    []byte // header values
	order  []int  // Content-Location parameter order

	// From the result row.
	pageTotal int64
	total     int64
	hasTotal  bool
	gucStatus int
}

// applyRangeHeader narrows q's top-level range to the Range header's
// "first-[last]" (GET only; anything else in the header is ignored, as is
// Range-Unit). limit=0 stays as it is; an empty intersection is PGRST103.
func applyRangeHeader(q *planner.Query, h []byte) error {
	lo, hi, ok := parseRange(h)
	if !ok {
		return nil
	}
	if q.HasRange && q.Limit == 0 {
		return nil // limit=0 wins over any Range header
	}
	qlo, qhi := q.Offset, int64(math.MaxInt64)
	if q.Limit >= 0 {
		qhi = satAdd(q.Offset, q.Limit) - 1
	}
	nlo, nhi := max(lo, qlo), min(hi, qhi)
	if nhi < nlo {
		if hi < lo {
			return apierr.RangeReversed()
		}
		return apierr.NegativeLimit()
	}
	q.Offset = nlo
	q.Limit = -1
	if nhi != math.MaxInt64 {
		q.Limit = nhi - nlo + 1
	}
	q.HasRange = q.Offset != 0 || q.Limit >= 0
	return nil
}

// parseRange reads "first-" or "first-last" (digits only).
func parseRange(h []byte) (lo, hi int64, ok bool) {
	i := bytes.IndexByte(h, '-')
	if i <= 0 {
		return 0, 0, false
	}
	lo, ok = readDigits(h[:i])
	if !ok {
		return 0, 0, false
	}
	if i == len(h)-1 {
		return lo, math.MaxInt64, true
	}
	hi, ok = readDigits(h[i+1:])
	return lo, hi, ok
}

// readDigits reads a non-empty run of digits, saturating.
func readDigits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-9)/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// rangeStatus is 416 for an offset past the total, 206 for a page smaller
// than a known total, else 200.
func rangeStatus(offset, n, total int64, hasTotal bool) int {
	switch {
	case !hasTotal:
		return 200
	case offset > total:
		return 416
	case n < total:
		return 206
	}
	return 200
}

// appendContentRange renders "first-last/total": "*" for the range of an
// empty page or a zero total, "*" for an unknown total.
func appendContentRange(dst []byte, offset, n, total int64, hasTotal bool) []byte {
	if n > 0 && !(hasTotal && total == 0) {
		dst = strconv.AppendInt(dst, offset, 10)
		dst = append(dst, '-')
		dst = strconv.AppendInt(dst, offset+n-1, 10)
	} else {
		dst = append(dst, '*')
	}
	dst = append(dst, '/')
	if !hasTotal {
		return append(dst, '*')
	}
	return strconv.AppendInt(dst, total, 10)
}

// readRow takes what the response needs from the statement's row: the
// response GUCs, the counts and (unless head) the body, which it copies
// into the response. A singular media type with other than one row is
// PGRST116.
func readRow(ctx *fasthttp.RequestCtx, rd *readState, plan *planner.Plan, r *wire.Result, head bool) error {
	rd.gucStatus = 0
	if err := applyResponseGUCs(ctx, r.ResponseHeaders, r.ResponseStatus, &rd.gucStatus); err != nil {
		return err
	}
	rd.pageTotal, _ = readDigits(r.PageTotal)
	rd.total, rd.hasTotal = readDigits(r.TotalResultSet)
	if (rd.media.body == planner.BodyObject || rd.media.body == planner.BodyObjectStripped) && rd.pageTotal != 1 {
		return apierr.SingularCardinality(rd.pageTotal)
	}
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

// planRows reads the top plan node's "Plan Rows" from EXPLAIN (FORMAT
// JSON) output.
func planRows(explain []byte) (int64, bool) {
	i := bytes.Index(explain, []byte(`"Plan Rows":`))
	if i < 0 {
		return 0, false
	}
	b := bytes.TrimLeft(explain[i+len(`"Plan Rows":`):], " \n\t")
	j := 0
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return readDigits(b[:j])
}

// writeReadHeaders sets the status and headers of a read after its row
// was read: Content-Range and the status from the page and count (416
// replaces the body with PGRST103), Content-Location, Content-Type,
// Content-Profile and Preference-Applied.
func writeReadHeaders(ctx *fasthttp.RequestCtx, rd *readState, q *planner.Query, target, schema string, byProfile bool) {
	status := rangeStatus(q.Offset, rd.pageTotal, rd.total, rd.hasTotal)
	rd.buf = appendContentRange(rd.buf[:0], q.Offset, rd.pageTotal, rd.total, rd.hasTotal)
	setHeader(ctx, "Content-Range", rd.buf)
	rd.buf = appendContentLocation(rd.buf[:0], rd, q, target)
	setHeader(ctx, "Content-Location", rd.buf)
	ct := rd.media.contentType
	if status == 416 {
		ctx.Response.ResetBody()
		ctx.Response.SetBody(appendErrorBody(nil, apierr.OffsetBeyondTotal(q.Offset, rd.total)))
		ct = "application/json; charset=utf-8"
	}
	rd.buf = append(rd.buf[:0], ct...)
	setHeader(ctx, "Content-Type", rd.buf)
	if byProfile {
		rd.buf = append(rd.buf[:0], schema...)
		setHeader(ctx, "Content-Profile", rd.buf)
	}
	rd.buf = rd.prefs.appendPreferenceApplied(rd.buf[:0], appliedFor{})
	if len(rd.buf) > 0 {
		setHeader(ctx, "Preference-Applied", rd.buf)
	}
	if rd.gucStatus != 0 {
		status = rd.gucStatus
	}
	ctx.SetStatusCode(status)
}

// setHeader sets a response header unless response.headers (the GUC)
// already did: the database's headers win, as in PostgREST.
func setHeader(ctx *fasthttp.RequestCtx, key string, value []byte) {
	if len(ctx.Response.Header.Peek(key)) == 0 {
		ctx.Response.Header.SetBytesV(key, value)
	}
}

// appendContentLocation renders "/target?params": the decoded parameters
// sorted by key (stably), values of a repeated key joined by commas, every
// byte but letters, digits and -_.~ percent-encoded.
func appendContentLocation(dst []byte, rd *readState, q *planner.Query, target string) []byte {
	dst = append(dst, '/')
	dst = append(dst, target...)
	if len(q.Params) == 0 {
		return dst
	}
	rd.order = rd.order[:0]
	for i := range q.Params {
		j := len(rd.order)
		rd.order = append(rd.order, i)
		for j > 0 && q.Params[rd.order[j-1]].Key > q.Params[i].Key {
			rd.order[j] = rd.order[j-1]
			j--
		}
		rd.order[j] = i
	}
	dst = append(dst, '?')
	for n, i := range rd.order {
		p := &q.Params[i]
		if n > 0 && q.Params[rd.order[n-1]].Key == p.Key {
			dst = append(dst, ',')
		} else {
			if n > 0 {
				dst = append(dst, '&')
			}
			dst = appendURLEncoded(dst, p.Key)
			dst = append(dst, '=')
		}
		dst = appendURLEncoded(dst, p.Value)
	}
	return dst
}

func appendURLEncoded(dst []byte, s string) []byte {
	const hexUpper = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '~' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

// writeOptions answers OPTIONS on a relation (or the root) with the
// methods it allows, as PostgREST derives them from the catalog.
func writeOptions(ctx *fasthttp.RequestCtx, sc *cache.Schema, schema, target string) error {
	allow := "OPTIONS,GET,HEAD"
	if target != "" {
		rel := sc.Relation(schema, target)
		if rel == nil {
			_, err := planner.NewReadPlan(&planner.Query{Limit: -1}, sc, target, planner.ReadOptions{Schema: schema})
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
	// As PostgREST, whatever server-cors-allowed-origins says: this is not
	// the CORS answer (a preflight never gets here, see cors.go).
	ctx.Response.Header.Set("Access-Control-Allow-Origin", "*")
	ctx.Response.Header.Set("Allow", allow)
	return nil
}
