package server

import (
	"bytes"
	"math"
	"strconv"
	"unsafe"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/planner"
)

// Pagination: the Range header, the status (200, 206, 416) and
// Content-Range from the page and the count, Content-Location.

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

// appendContentLocation renders "/target?params": the decoded parameters
// sorted by key (stably), values of a repeated key joined by commas, every
// byte but letters, digits and -_.~ percent-encoded.
func appendContentLocation(dst []byte, x *exchange, q *planner.Query, target string) []byte {
	dst = append(dst, '/')
	dst = append(dst, target...)
	if len(q.Params) == 0 {
		return dst
	}
	x.order = x.order[:0]
	for i := range q.Params {
		j := len(x.order)
		x.order = append(x.order, i)
		for j > 0 && q.Params[x.order[j-1]].Key > q.Params[i].Key {
			x.order[j] = x.order[j-1]
			j--
		}
		x.order[j] = i
	}
	dst = append(dst, '?')
	for n, i := range x.order {
		p := &q.Params[i]
		if n > 0 && q.Params[x.order[n-1]].Key == p.Key {
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

// appendNextLink renders the Link header of a keyset read's next page:
// the request's parameters in their order, but its offset and its after
// cursor, then after=<the next cursor>, as Content-Location writes them.
func appendNextLink(dst []byte, q *planner.Query, target string, next []byte) []byte {
	dst = append(dst, "</"...)
	dst = append(dst, target...)
	dst = append(dst, '?')
	for i := range q.Params {
		p := &q.Params[i]
		if p.Key == "offset" || q.IsAfterParam(p) {
			continue
		}
		dst = appendURLEncoded(dst, p.Key)
		if p.HasValue {
			dst = append(dst, '=')
			dst = appendURLEncoded(dst, p.Value)
		}
		dst = append(dst, '&')
	}
	dst = append(dst, "after="...)
	dst = appendURLEncoded(dst, unsafe.String(unsafe.SliceData(next), len(next)))
	return append(dst, `>; rel="next"`...)
}

func appendURLEncoded(dst []byte, s string) []byte {
	const hexUpper = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_' || c == '.' || c == '~' {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}
