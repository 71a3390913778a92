package server

import (
	"bytes"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server/media"
)

// Content negotiation: the Accept header as PostgREST reads it (wai's
// parseHttpAccept, then PostgREST's media type decoding), and the choice
// of the first acceptable media type that a read can produce.

// accepted is one Accept entry with its sort key.
type accepted struct {
	media.Type
	q    float64
	spec int // parameters minus wildcards: more specific sorts first
}

// parseRequestAccept is parseAccept of the request's first Accept header.
// A header that is present but empty accepts nothing, so the read answers
// 406 as PostgREST does (wai's parseHttpAccept gives no media type for
// it); only a missing header means */*.
func parseRequestAccept(dst []accepted, h *fasthttp.RequestHeader) []accepted {
	v := h.Peek("Accept")
	if len(v) == 0 && len(h.PeekAll("Accept")) > 0 {
		return dst
	}
	return parseAccept(dst, v)
}

// anyMediaName is the name of a missing Accept header's */*; read only.
var anyMediaName = []byte("*/*")

// parseAccept appends the entries of an Accept header to dst in the order
// a server should consider them: by quality, then specificity, then as
// sent. A missing header is */*.
func parseAccept(dst []accepted, h []byte) []accepted {
	if len(h) == 0 {
		return append(dst, accepted{Type: media.Type{Kind: media.Any, Name: anyMediaName}, q: 1})
	}
	for len(h) > 0 {
		var part []byte
		if i := bytes.IndexByte(h, ','); i >= 0 {
			part, h = h[:i], h[i+1:]
		} else {
			part, h = h, nil
		}
		// Spaces are dropped; everything from ";q=" on is the quality.
		s := bytes.TrimSpace(part)
		if bytes.IndexByte(s, ' ') >= 0 {
			s = make([]byte, 0, len(part))
			for _, c := range part {
				if c != ' ' {
					s = append(s, c)
				}
			}
		}
		q := 1.0
		if i := bytes.Index(s, []byte(";q=")); i >= 0 {
			qs := s[i+3:]
			if j := bytes.IndexByte(qs, ';'); j >= 0 {
				qs = qs[:j]
			}
			q = readQuality(qs)
			s = s[:i]
		}
		a := accepted{Type: media.Decode(s), q: q,
			spec: bytes.Count(s, []byte(";")) - bytes.Count(s, []byte("*"))}
		// Insertion keeps equal keys in their order (a stable sort).
		j := len(dst)
		dst = append(dst, a)
		for j > 0 && (dst[j-1].q < a.q || dst[j-1].q == a.q && dst[j-1].spec < a.spec) {
			dst[j] = dst[j-1]
			j--
		}
		dst[j] = a
	}
	return dst
}

// readQuality reads the longest prefix of s that is a decimal number
// (-?digits[.digits][e[+-]digits]); 1 when there is none.
func readQuality(s []byte) float64 {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return 1
	}
	end := i
	if i < len(s) && s[i] == '.' {
		i++
		if digits() > 0 {
			end = i
		}
	}
	i = end
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() > 0 {
			end = i
		}
	}
	v, ok := parseDecimal(s[:end])
	if !ok {
		return 1
	}
	return v
}

func parseDecimal(b []byte) (float64, bool) {
	var v float64
	neg := false
	i := 0
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		v = v*10 + float64(b[i]-'0')
	}
	if i < len(b) && b[i] == '.' {
		i++
		f := 0.1
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			v += f * float64(b[i]-'0')
			f /= 10
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9' && e < 400; i++ {
			e = e*10 + int(b[i]-'0')
		}
		for ; e > 0; e-- {
			if eneg {
				v /= 10
			} else {
				v *= 10
			}
		}
	}
	if neg {
		v = -v
	}
	return v, true
}

// readMedia is a media type a read produces: how the statement renders
// the body and the Content-Type it is sent with. handler is the media type
// handler of planner.BodyHandler.
type readMedia struct {
	body        planner.Body
	contentType string
	handler     *cache.MediaHandler
	// plan, when set, is the Plan type (application/vnd.pgrst.plan)
	// whose EXPLAIN of the statement answers instead of its body.
	plan *media.Type
}

var (
	mediaJSON           = readMedia{body: planner.BodyJSON, contentType: "application/json; charset=utf-8"}
	mediaArrayStripped  = readMedia{body: planner.BodyJSONStripped, contentType: "application/vnd.pgrst.array+json;nulls=stripped; charset=utf-8"}
	mediaObject         = readMedia{body: planner.BodyObject, contentType: "application/vnd.pgrst.object+json; charset=utf-8"}
	mediaObjectStripped = readMedia{body: planner.BodyObjectStripped, contentType: "application/vnd.pgrst.object+json;nulls=stripped; charset=utf-8"}
	mediaCSV            = readMedia{body: planner.BodyCSV, contentType: "text/csv; charset=utf-8"}
	mediaText           = readMedia{body: planner.BodyText, contentType: "text/plain; charset=utf-8"}
	mediaXML            = readMedia{body: planner.BodyXML, contentType: "text/xml; charset=utf-8"}
	mediaOctet          = readMedia{body: planner.BodyBinary, contentType: "application/octet-stream"}
	mediaNDJSON         = readMedia{body: planner.BodyNDJSON, contentType: "application/x-ndjson"}
	mediaGeoJSON        = readMedia{body: planner.BodyGeoJSON, contentType: "application/geo+json; charset=utf-8"}
)

// negotiateRead picks the first acceptable media type a read of q can
// produce, as PostgREST does: the vendor JSON types first (they cannot be
// overridden), then the media type handlers hs of the target (handler),
// then the built-in JSON and CSV. The raw types (text/plain,
// application/octet-stream, and text/xml for an xml column of rel) come
// last and need a single selected column, as in PostgREST 5. With
// plans (db-plan-enabled), the Plan type explains the statement of the
// media type it is for. ok is false when nothing fits (PGRST107, see
// errMediaType).
func negotiateRead(list []accepted, q *planner.Query, rel *cache.Relation, hs *cache.RelationHandlers, plans bool) (m readMedia, ok bool) {
	for i := range list {
		a := &list[i]
		switch a.Kind {
		case media.ArrayStripped:
			return mediaArrayStripped, true
		case media.Object:
			return mediaObject, true
		case media.ObjectStripped:
			return mediaObjectStripped, true
		case media.Plan:
			if !plans {
				continue
			}
			forType := [1]accepted{{Type: a.PlanFor(), q: 1}}
			if m, ok = negotiateRead(forType[:], q, rel, hs, false); ok {
				m.plan = &a.Type
				m.contentType = a.Mime() + "; charset=utf-8"
				return m, true
			}
			continue
		}
		if hs != nil {
			if h := handler(hs, a, q); h != nil {
				return readMedia{body: planner.BodyHandler, contentType: handlerContentType(h), handler: h}, true
			}
		}
		switch a.Kind {
		case media.Any, media.JSON:
			return mediaJSON, true
		case media.CSV:
			return mediaCSV, true
		case media.NDJSON:
			return mediaNDJSON, true
		case media.GeoJSON:
			return mediaGeoJSON, true
		case media.Text:
			if planner.SingleColumn(q) {
				return mediaText, true
			}
		case media.Octet:
			if planner.SingleColumn(q) {
				return mediaOctet, true
			}
		case media.XML:
			if planner.SingleColumn(q) && planner.SingleColumnType(q, rel) == "xml" {
				return mediaXML, true
			}
		}
	}
	return readMedia{}, false
}

// negotiationTarget is the relation whose columns a request's select
// names and the media type handlers its body may take: a read's relation
// and its handlers; for a call, those of the function it calls (see
// cache.Function.Handlers), the relation of its row type if any.
func negotiationTarget(sc *cache.Schema, pr *planner.Request, rpc bool) (*cache.Relation, *cache.RelationHandlers) {
	if !rpc {
		rel := sc.Relation(pr.Schema, pr.Target)
		if rel == nil {
			return nil, nil
		}
		return rel, &rel.Handlers
	}
	fn := planner.CallFunction(pr, sc)
	if fn == nil {
		return nil, nil // no such function: the planner says so
	}
	return sc.Relation(fn.ReturnTypeSchema, fn.ReturnTypeName), fn.Handlers
}

// handler finds the media type handler of hs for the accepted type a:
// when q has the default select, the target's own "*/*" handler (whatever
// is accepted) and then its own handler of a; then the anyelement handler
// of a.
func handler(hs *cache.RelationHandlers, a *accepted, q *planner.Query) *cache.MediaHandler {
	if hs.Own != nil && planner.DefaultSelect(q) {
		if h := hs.Own["*/*"]; h != nil {
			return h
		}
		if h := lookupMedia(hs.Own, a); h != nil {
			return h
		}
	}
	return lookupMedia(hs.Any, a)
}

// lookupMedia finds a's handler in m: by the canonical name of a known
// media type, else by the name as sent (domain names are lower case, so
// an unknown type matches only when sent in lower case, as in PostgREST).
func lookupMedia(m map[string]*cache.MediaHandler, a *accepted) *cache.MediaHandler {
	if len(m) == 0 {
		return nil
	}
	if a.Kind == media.Other {
		return m[string(a.Name)]
	}
	return m[a.Mime()]
}

// handlerContentType is the Content-Type of a handler's media type: with
// a charset, except for application/octet-stream ("*/*" too) and media
// types PostgREST does not know.
func handlerContentType(h *cache.MediaHandler) string {
	switch h.Media {
	case "*/*", "application/octet-stream":
		return mediaOctet.contentType
	case "application/json":
		return mediaJSON.contentType
	case "text/csv":
		return mediaCSV.contentType
	case "text/plain":
		return mediaText.contentType
	case "text/xml":
		return mediaXML.contentType
	case "application/geo+json", "application/openapi+json", "application/x-www-form-urlencoded":
		return h.Media + "; charset=utf-8"
	}
	return h.Media
}

// errMediaType is PGRST107, naming every accepted media type.
func errMediaType(list []accepted) *apierr.Error {
	types := make([]string, len(list))
	for i := range list {
		types[i] = list[i].Mime()
	}
	return apierr.NoMediaType(types)
}

// profile picks the request's schema: the Accept-Profile header (for
// reads) when given, else the first exposed schema. byProfile says whether
// the response names it in Content-Profile: when the header chose it, or
// when several schemas are exposed.
func profile(header []byte, schemas []string) (schema string, byProfile bool, err error) {
	if header == nil {
		return firstOr(schemas, "public"), len(schemas) > 1, nil
	}
	for _, s := range schemas {
		if s == string(header) {
			return s, true, nil
		}
	}
	return "", false, apierr.InvalidSchema(string(header), schemas)
}
