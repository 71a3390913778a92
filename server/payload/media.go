package payload

import (
	"bytes"
	"unicode/utf8"
)

// Media is a request body's media type, decoded from Content-Type the way
// PostgREST's MediaType.decodeMediaType does.
type Media uint8

const (
	// MediaJSON is application/json, application/vnd.pgrst.array+json
	// without nulls=stripped, or a request without Content-Type.
	MediaJSON Media = iota
	// MediaCSV is text/csv.
	MediaCSV
	// MediaForm is application/x-www-form-urlencoded.
	MediaForm
	// MediaText is text/plain (a function's raw argument).
	MediaText
	// MediaXML is text/xml (a function's raw argument).
	MediaXML
	// MediaOctet is application/octet-stream (a function's raw argument).
	MediaOctet
	// MediaOther is any other media type: no action takes it.
	MediaOther
)

// DecodeMedia is the media type of a Content-Type value, as Parse decodes
// it; empty is JSON.
func DecodeMedia(ct []byte) Media { return decodeMedia(ct) }

// decodeMedia decodes a Content-Type value. An empty value is JSON.
// PostgREST reads type/subtype and any ;key=value parameters from the
// start of the value and ignores what follows; a value that does not start
// with type/subtype is a media type of its own (MediaOther).
func decodeMedia(ct []byte) Media {
	if len(ct) == 0 {
		return MediaJSON
	}
	typ, params, ok := tokenize(ct)
	if !ok {
		return MediaOther
	}
	switch {
	case lowerIs(typ, "application/json"):
		return MediaJSON
	case lowerIs(typ, "application/vnd.pgrst.array+json"), lowerIs(typ, "application/vnd.pgrst.array"):
		if v, _ := param(params, "nulls"); string(v) == "stripped" {
			return MediaOther
		}
		return MediaJSON
	case lowerIs(typ, "text/csv"):
		return MediaCSV
	case lowerIs(typ, "application/x-www-form-urlencoded"):
		return MediaForm
	case lowerIs(typ, "text/plain"):
		return MediaText
	case lowerIs(typ, "text/xml"):
		return MediaXML
	case lowerIs(typ, "application/octet-stream"):
		return MediaOctet
	}
	return MediaOther
}

// mimeName is the name PostgREST gives a Content-Type value in its
// messages (MediaType.toMime of the decoded type): the canonical name of a
// media type it knows, else the value as sent, read as Latin-1.
func mimeName(ct []byte) string {
	typ, params, ok := tokenize(ct)
	if !ok {
		return latin1(ct)
	}
	switch {
	case lowerIs(typ, "*/*"):
		return "*/*"
	case lowerIs(typ, "application/json"):
		return "application/json"
	case lowerIs(typ, "application/geo+json"):
		return "application/geo+json"
	case lowerIs(typ, "text/csv"):
		return "text/csv"
	case lowerIs(typ, "text/plain"):
		return "text/plain"
	case lowerIs(typ, "text/xml"):
		return "text/xml"
	case lowerIs(typ, "application/openapi+json"):
		return "application/openapi+json"
	case lowerIs(typ, "application/x-www-form-urlencoded"):
		return "application/x-www-form-urlencoded"
	case lowerIs(typ, "application/octet-stream"):
		return "application/octet-stream"
	case lowerIs(typ, "application/vnd.pgrst.object+json"), lowerIs(typ, "application/vnd.pgrst.object"):
		if v, _ := param(params, "nulls"); string(v) == "stripped" {
			return "application/vnd.pgrst.object+json;nulls=stripped"
		}
		return "application/vnd.pgrst.object+json"
	case lowerIs(typ, "application/vnd.pgrst.array+json"), lowerIs(typ, "application/vnd.pgrst.array"):
		if v, _ := param(params, "nulls"); string(v) == "stripped" {
			return "application/vnd.pgrst.array+json;nulls=stripped"
		}
		return "application/json"
	case lowerIs(typ, "application/vnd.pgrst.plan"), lowerIs(typ, "application/vnd.pgrst.plan+text"):
		return planName("text", params)
	case lowerIs(typ, "application/vnd.pgrst.plan+json"):
		return planName("json", params)
	}
	return latin1(ct)
}

// planName names application/vnd.pgrst.plan: its format, the media type it
// is for, and the options PostgREST understood, in PostgREST's order.
func planName(format string, params []byte) string {
	forType := []byte("application/json")
	if v, ok := param(params, "for"); ok {
		forType = v
	}
	name := "application/vnd.pgrst.plan+" + format + `; for="` + mimeName(forType) + `"`
	opts, _ := param(params, "options")
	sep := "; options="
	for _, o := range [...]string{"analyze", "verbose", "settings", "buffers", "wal"} {
		for rest := opts; ; {
			var item []byte
			if i := bytes.IndexByte(rest, '|'); i >= 0 {
				item, rest = rest[:i], rest[i+1:]
			} else {
				item, rest = rest, nil
			}
			if string(item) == o {
				name += sep + o
				sep = "|"
				break
			}
			if rest == nil {
				break
			}
		}
	}
	return name
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

// param returns the value of the last parameter named key (ASCII case
// insensitive) in the parameters after type/subtype: each one is spaces,
// ';', spaces, key, spaces, '=', spaces, and a value that is either quoted
// or made of letters, digits, '|' and '-'. Reading stops at the first
// text that is not a parameter.
func param(s []byte, key string) (val []byte, found bool) {
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
			for i < len(s) && (isAlnum(s[i]) || s[i] == '|' || s[i] == '-') {
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
	buf := make([]byte, 0, len(b))
	for _, c := range b {
		buf = utf8.AppendRune(buf, rune(c))
	}
	return string(buf)
}
