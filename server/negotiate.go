package server

import (
	"bytes"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/planner"
)

// Content negotiation: the Accept header as PostgREST reads it (wai's
// parseHttpAccept, then PostgREST's media type decoding), and the choice
// of the first acceptable media type that a read can produce.

// mediaKind is a decoded media type.
type mediaKind uint8

const (
	mtOther mediaKind = iota
	mtAny
	mtJSON
	mtArrayStripped // application/vnd.pgrst.array+json;nulls=stripped
	mtObject        // application/vnd.pgrst.object+json
	mtObjectStripped
	mtCSV
	mtText
	mtXML
	mtOctet
	mtGeoJSON
	mtOpenAPI
	mtURLEncoded
	mtPlan
	mtArray // decoding only: becomes mtJSON or mtArrayStripped
)

// mediaType is one entry of Accept. name is the text as sent (spaces and
// the q parameter removed), used for types without a canonical name.
// params are the parameters after type/subtype (for the plan type's name).
type mediaType struct {
	kind   mediaKind
	name   []byte
	params []byte
}

// accepted is one Accept entry with its sort key.
type accepted struct {
	mediaType
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
		return append(dst, accepted{mediaType: mediaType{kind: mtAny, name: anyMediaName}, q: 1})
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
		a := accepted{mediaType: decodeMediaType(s), q: q,
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

// asciiEqualFold compares a lower-case ASCII name with b, ignoring case.
func asciiEqualFold(name string, b []byte) bool {
	if len(name) != len(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// decodeMediaType decodes type/subtype[;key=value]... . Text that does not
// start with a type and subtype is an unknown media type.
func decodeMediaType(s []byte) mediaType {
	mt := mediaType{kind: mtOther, name: s}
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '.' || s[i] == '*') {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '/' {
		return mt
	}
	j := i + 1
	for j < len(s) && (isAlnum(s[j]) || strings.IndexByte(".*+-", s[j]) >= 0) {
		j++
	}
	if j == i+1 {
		return mt
	}
	for _, kt := range knownTypes {
		if asciiEqualFold(kt.name, s[:j]) {
			mt.kind = kt.kind
			break
		}
	}
	mt.params = s[j:]
	switch mt.kind {
	case mtObject:
		if mediaParam(s[j:], "nulls") == "stripped" {
			mt.kind = mtObjectStripped
		}
	case mtArray:
		// vnd.pgrst.array is application/json unless it strips nulls.
		mt.kind = mtJSON
		if mediaParam(s[j:], "nulls") == "stripped" {
			mt.kind = mtArrayStripped
		}
	}
	return mt
}

// knownTypes are the type/subtype pairs PostgREST decodes.
var knownTypes = [...]struct {
	name string
	kind mediaKind
}{
	{"application/json", mtJSON},
	{"*/*", mtAny},
	{"application/vnd.pgrst.object+json", mtObject},
	{"application/vnd.pgrst.object", mtObject},
	{"application/vnd.pgrst.array+json", mtArray},
	{"application/vnd.pgrst.array", mtArray},
	{"text/csv", mtCSV},
	{"text/plain", mtText},
	{"text/xml", mtXML},
	{"application/octet-stream", mtOctet},
	{"application/geo+json", mtGeoJSON},
	{"application/openapi+json", mtOpenAPI},
	{"application/x-www-form-urlencoded", mtURLEncoded},
	{"application/vnd.pgrst.plan", mtPlan},
	{"application/vnd.pgrst.plan+text", mtPlan},
	{"application/vnd.pgrst.plan+json", mtPlan},
}

// mediaParam returns the value of the last parameter key (case-insensitive)
// in ;key=value... . Parsing stops at the first malformed parameter.
func mediaParam(s []byte, key string) string {
	var val string
	for len(s) > 0 && s[0] == ';' {
		i := 1
		k := i
		for i < len(s) && (isAlnum(s[i]) || s[i] == '-') {
			i++
		}
		if i == k || i >= len(s) || s[i] != '=' {
			break
		}
		name := s[k:i]
		i++
		var v []byte
		if i < len(s) && s[i] == '"' {
			end := bytes.IndexByte(s[i+1:], '"')
			if end < 0 {
				break
			}
			v = s[i+1 : i+1+end]
			i += end + 2
		} else {
			st := i
			for i < len(s) && (isAlnum(s[i]) || s[i] == '|' || s[i] == '-') {
				i++
			}
			if i == st {
				break
			}
			v = s[st:i]
		}
		if strings.EqualFold(string(name), key) {
			val = string(v)
		}
		s = s[i:]
	}
	return val
}

// mime is the media type's name in PostgREST's messages.
func (m mediaType) mime() string {
	switch m.kind {
	case mtAny:
		return "*/*"
	case mtJSON:
		return "application/json"
	case mtArrayStripped:
		return "application/vnd.pgrst.array+json;nulls=stripped"
	case mtObject:
		return "application/vnd.pgrst.object+json"
	case mtObjectStripped:
		return "application/vnd.pgrst.object+json;nulls=stripped"
	case mtCSV:
		return "text/csv"
	case mtText:
		return "text/plain"
	case mtXML:
		return "text/xml"
	case mtOctet:
		return "application/octet-stream"
	case mtGeoJSON:
		return "application/geo+json"
	case mtOpenAPI:
		return "application/openapi+json"
	case mtURLEncoded:
		return "application/x-www-form-urlencoded"
	case mtPlan:
		return m.planMime()
	}
	return string(m.name)
}

// planMime names application/vnd.pgrst.plan the way PostgREST does:
// format, the media type it is for, and the options it understood.
func (m mediaType) planMime() string {
	format := "text"
	if bytes.HasSuffix(bytes.ToLower(m.name[:len(m.name)-len(m.params)]), []byte("+json")) {
		format = "json"
	}
	forType := mediaParam(m.params, "for")
	if forType == "" {
		forType = "application/json"
	}
	name := "application/vnd.pgrst.plan+" + format + `; for="` + decodeMediaType([]byte(forType)).mime() + `"`
	var opts []string
	given := strings.Split(mediaParam(m.params, "options"), "|")
	for _, o := range []string{"analyze", "verbose", "settings", "buffers", "wal"} {
		for _, g := range given {
			if g == o {
				opts = append(opts, o)
				break
			}
		}
	}
	if len(opts) > 0 {
		name += "; options=" + strings.Join(opts, "|")
	}
	return name
}

// readMedia is a media type a read produces: how the statement renders
// the body and the Content-Type it is sent with. handler is the media type
// handler of planner.BodyHandler.
type readMedia struct {
	body        planner.Body
	contentType string
	handler     *cache.MediaHandler
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
)

// negotiateRead picks the first acceptable media type a read of q on rel
// can produce, as PostgREST does: the vendor JSON types first (they
// cannot be overridden), then the media type handlers of rel (handler),
// then the built-in JSON and CSV. The raw types (text/plain,
// application/octet-stream, and text/xml for an xml column) come last and
// need a single selected column, as in PostgREST 5. ok is false when
// nothing fits (PGRST107, see errMediaType).
func negotiateRead(list []accepted, q *planner.Query, rel *cache.Relation) (m readMedia, ok bool) {
	for i := range list {
		a := &list[i]
		switch a.kind {
		case mtArrayStripped:
			return mediaArrayStripped, true
		case mtObject:
			return mediaObject, true
		case mtObjectStripped:
			return mediaObjectStripped, true
		case mtPlan:
			continue
		}
		if rel != nil {
			if h := handler(rel, a, q); h != nil {
				return readMedia{body: planner.BodyHandler, contentType: handlerContentType(h), handler: h}, true
			}
		}
		switch a.kind {
		case mtAny, mtJSON:
			return mediaJSON, true
		case mtCSV:
			return mediaCSV, true
		case mtText:
			if planner.SingleColumn(q) {
				return mediaText, true
			}
		case mtOctet:
			if planner.SingleColumn(q) {
				return mediaOctet, true
			}
		case mtXML:
			if planner.SingleColumn(q) && planner.SingleColumnType(q, rel) == "xml" {
				return mediaXML, true
			}
		}
	}
	return readMedia{}, false
}

// handler finds the media type handler of rel for the accepted type a:
// when q has the default select, rel's own "*/*" handler (whatever is
// accepted) and then its own handler of a; then the anyelement handler
// of a.
func handler(rel *cache.Relation, a *accepted, q *planner.Query) *cache.MediaHandler {
	hs := &rel.Handlers
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
	if a.kind == mtOther {
		return m[string(a.name)]
	}
	return m[a.mime()]
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
		types[i] = list[i].mime()
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
