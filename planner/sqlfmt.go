package planner

import (
	"strings"

	"github.com/pgrst/pgrst/sqltext"
)

// appendInList appends an in-list's values as an array literal, sent as
// a bind parameter. in.() (one empty value) is the empty array: PostgREST
// compares with that.
func appendInList(dst []byte, vals []string) []byte {
	if len(vals) == 1 && vals[0] == "" {
		vals = nil
	}
	return sqltext.AppendArrayLiteral(dst, vals)
}

// multiWordTypes are SQL type names made of several words, which a cast
// may use unquoted.
var multiWordTypes = map[string]bool{
	"double precision":            true,
	"character varying":           true,
	"bit varying":                 true,
	"timestamp with time zone":    true,
	"timestamp without time zone": true,
	"time with time zone":         true,
	"time without time zone":      true,
}

func isPlainWord(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case (c >= '0' && c <= '9' || c == '$') && i > 0:
		default:
			return false
		}
	}
	return true
}

// appendCastType appends the type of a ::cast. PostgREST splices the name
// raw (quoting would break int, bigint, ...). We emit it bare only when it
// is a plain ASCII word or a known multi-word type name, and otherwise as a
// quoted identifier, so PostgreSQL looks it up as a type name and nothing
// in it is read as SQL.
func appendCastType(dst []byte, t string) []byte {
	words := strings.Fields(t)
	plain := len(words) > 0
	for _, w := range words {
		if !isPlainWord(w) {
			plain = false
			break
		}
	}
	if plain && len(words) > 1 && !multiWordTypes[strings.ToLower(strings.Join(words, " "))] {
		plain = false
	}
	if !plain {
		return sqltext.AppendIdent(dst, t)
	}
	for i, w := range words {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, w...)
	}
	return dst
}
