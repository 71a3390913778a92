package media

import (
	"bytes"
	"unicode/utf8"
)

// Kind is a media type PostgREST knows, or Other.
type Kind uint8

const (
	Other Kind = iota
	Any
	JSON          // application/json; vnd.pgrst.array+json without nulls=stripped
	ArrayStripped // application/vnd.pgrst.array+json;nulls=stripped
	Object        // application/vnd.pgrst.object+json
	ObjectStripped
	CSV
	Text
	XML
	Octet
	GeoJSON
	OpenAPI
	URLEncoded
	Plan   // application/vnd.pgrst.plan[+text|+json]
	NDJSON // application/x-ndjson: pgrst's own, streamed
)

// Type is a decoded media type. Name is the value as given (for the name
// of an unknown type), Params what follows type/subtype.
type Type struct {
	Kind   Kind
	Name   []byte
	Params []byte
}

// Decode decodes a media type: type/subtype, then ;key=value parameters.
// A value that does not start with type/subtype is a media type of its
// own (Other).
func Decode(s []byte) Type {
	t := Type{Kind: Other, Name: s}
	typ, params, ok := tokenize(s)
	if !ok {
		return t
	}
	t.Params = params
	for _, k := range known {
		if lowerIs(typ, k.name) {
			t.Kind = k.kind
			break
		}
	}
	switch t.Kind {
	case Object:
		if v, _ := Param(params, "nulls"); string(v) == "stripped" {
			t.Kind = ObjectStripped
		}
	case arrayKind:
		// vnd.pgrst.array is application/json unless it strips nulls.
		t.Kind = JSON
		if v, _ := Param(params, "nulls"); string(v) == "stripped" {
			t.Kind = ArrayStripped
		}
	}
	return t
}

// arrayKind marks vnd.pgrst.array while decoding; Decode never returns it.
const arrayKind = NDJSON + 1

// known are the type/subtype pairs PostgREST decodes.
var known = [...]struct {
	name string
	kind Kind
}{
	{"application/json", JSON},
	{"*/*", Any},
	{"application/vnd.pgrst.object+json", Object},
	{"application/vnd.pgrst.object", Object},
	{"application/vnd.pgrst.array+json", arrayKind},
	{"application/vnd.pgrst.array", arrayKind},
	{"text/csv", CSV},
	{"text/plain", Text},
	{"text/xml", XML},
	{"application/octet-stream", Octet},
	{"application/geo+json", GeoJSON},
	{"application/openapi+json", OpenAPI},
	{"application/x-www-form-urlencoded", URLEncoded},
	{"application/vnd.pgrst.plan", Plan},
	{"application/vnd.pgrst.plan+text", Plan},
	{"application/vnd.pgrst.plan+json", Plan},
	{"application/x-ndjson", NDJSON},
}

// Mime is the name PostgREST gives the media type in its messages
// (MediaType.toMime): the canonical name of a type it knows, else the
// value as given, read as Latin-1.
func (t Type) Mime() string {
	switch t.Kind {
	case Any:
		return "*/*"
	case JSON:
		return "application/json"
	case ArrayStripped:
		return "application/vnd.pgrst.array+json;nulls=stripped"
	case Object:
		return "application/vnd.pgrst.object+json"
	case ObjectStripped:
		return "application/vnd.pgrst.object+json;nulls=stripped"
	case CSV:
		return "text/csv"
	case Text:
		return "text/plain"
	case XML:
		return "text/xml"
	case Octet:
		return "application/octet-stream"
	case GeoJSON:
		return "application/geo+json"
	case OpenAPI:
		return "application/openapi+json"
	case URLEncoded:
		return "application/x-www-form-urlencoded"
	case Plan:
		return t.planMime()
	case NDJSON:
		return "application/x-ndjson"
	}
	return latin1(t.Name)
}

// PlanJSON reports whether a Plan type asks for the JSON format.
func (t Type) PlanJSON() bool {
	typ := t.Name[:len(t.Name)-len(t.Params)]
	return lowerIs(typ, "application/vnd.pgrst.plan+json")
}

// PlanFor is the media type a Plan type explains the statement of: its
// for parameter, application/json by default.
func (t Type) PlanFor() Type {
	if v, ok := Param(t.Params, "for"); ok {
		return Decode(v)
	}
	return Decode([]byte("application/json"))
}

// planOptions are EXPLAIN's options a Plan type may ask for, in
// PostgREST's order.
var planOptions = [...]string{"analyze", "verbose", "settings", "buffers", "wal"}

// AppendExplain appends the EXPLAIN prefix of a Plan type: its format and
// options, as PostgREST writes them.
func (t Type) AppendExplain(dst []byte) []byte {
	dst = append(dst, "EXPLAIN (FORMAT "...)
	if t.PlanJSON() {
		dst = append(dst, "JSON"...)
	} else {
		dst = append(dst, "TEXT"...)
	}
	opts, _ := Param(t.Params, "options")
	for _, o := range planOptions {
		if hasItem(opts, o) {
			dst = append(dst, ", "...)
			for i := 0; i < len(o); i++ {
				dst = append(dst, o[i]-'a'+'A')
			}
		}
	}
	return append(dst, ") "...)
}

// planMime names application/vnd.pgrst.plan: its format, the media type
// it is for, and the options PostgREST understood, in PostgREST's order.
func (t Type) planMime() string {
	format := "text"
	if t.PlanJSON() {
		format = "json"
	}
	name := "application/vnd.pgrst.plan+" + format + `; for="` + t.PlanFor().Mime() + `"`
	opts, _ := Param(t.Params, "options")
	sep := "; options="
	for _, o := range planOptions {
		if hasItem(opts, o) {
			name += sep + o
			sep = "|"
		}
	}
	return name
}

// hasItem reports whether the '|'-separated list has item o.
func hasItem(list []byte, o string) bool {
	for rest := list; ; {
		var item []byte
		if i := bytes.IndexByte(rest, '|'); i >= 0 {
			item, rest = rest[:i], rest[i+1:]
		} else {
			item, rest = rest, nil
		}
		if string(item) == o {
			return true
		}
		if rest == nil {
			return false
		}
	}
}

// tokenize splits a media type as PostgREST's tokenizeMediaType does:
// type/subtype, then the parameters that follow it; ok is false when the
// value does not start with type/subtype.
func tokenize(s []byte) (typ, params []byte, ok bool) {
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '.' || s[i] == '*') {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != '/' {
		return nil, nil, false
	}
	j := i + 1
	for j < len(s) && (isAlnum(s[j]) || s[j] == '.' || s[j] == '*' || s[j] == '+' || s[j] == '-') {
		j++
	}
	if j == i+1 {
		return nil, nil, false
	}
	return s[:j], s[j:], true
}

// Param returns the value of the last parameter named key (ASCII case
// insensitive) in the parameters after type/subtype: each one is spaces,
// ';', spaces, key, spaces, '=', spaces, and a value that is either quoted
// or made of letters, digits, '|', '-' and '.' (PostgREST takes no '.',
// but pgrst's own version=3.1 needs it). Reading stops at the first text
// that is not a parameter.
func Param(s []byte, key string) (val []byte, found bool) {
	for {
		i := skipSpaces(s, 0)
		if i >= len(s) || s[i] != ';' {
			return val, found
		}
		i = skipSpaces(s, i+1)
		k := i
		for i < len(s) && (isAlnum(s[i]) || s[i] == '-') {
			i++
		}
		name := s[k:i]
		if len(name) == 0 {
			return val, found
		}
		i = skipSpaces(s, i)
		if i >= len(s) || s[i] != '=' {
			return val, found
		}
		i = skipSpaces(s, i+1)
		var v []byte
		if i < len(s) && s[i] == '"' {
			end := bytes.IndexByte(s[i+1:], '"')
			if end < 0 {
				return val, found
			}
			v = s[i+1 : i+1+end]
			i += end + 2
		} else {
			st := i
			for i < len(s) && (isAlnum(s[i]) || s[i] == '|' || s[i] == '-' || s[i] == '.') {
				i++
			}
			if i == st {
				return val, found
			}
			v = s[st:i]
		}
		if lowerIs(name, key) {
			val, found = v, true
		}
		s = s[i:]
	}
}

// skipSpaces skips Parsec's spaces: space, \t, \n, \v, \f, \r.
func skipSpaces(s []byte, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	return i
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// lowerIs reports whether b, with ASCII letters lowered, is name.
func lowerIs(b []byte, name string) bool {
	if len(b) != len(name) {
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

// latin1 decodes b as Latin-1, as PostgREST decodes header values.
func latin1(b []byte) string {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			buf := make([]byte, 0, 2*len(b))
			for _, c := range b {
				buf = utf8.AppendRune(buf, rune(c))
			}
			return string(buf)
		}
	}
	return string(b)
}
