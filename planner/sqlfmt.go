package planner

import "strings"

// appendIdent appends name as a double-quoted SQL identifier. It is the one
// place identifiers from requests or the catalog enter SQL text. NUL
// characters are dropped (PostgreSQL cannot carry them in a statement).
func appendIdent(dst []byte, name string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '"':
			dst = append(dst, '"', '"')
		case 0:
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// appendArrayLiteral appends values as a PostgreSQL array literal, every
// element double-quoted with backslash escapes; NULs are dropped. It is
// sent as a bind parameter, never spliced into SQL.
func appendArrayLiteral(dst []byte, vals []string) []byte {
	if len(vals) == 1 && vals[0] == "" {
		return append(dst, "{}"...) // in.() : PostgREST compares with an empty array
	}
	dst = append(dst, '{')
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		for j := 0; j < len(v); j++ {
			switch c := v[j]; c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case 0:
			default:
				dst = append(dst, c)
			}
		}
		dst = append(dst, '"')
	}
	return append(dst, '}')
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
		return appendIdent(dst, t)
	}
	for i, w := range words {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, w...)
	}
	return dst
}
