package sqltext

import "strings"

// AppendIdent appends s as a double-quoted identifier: '"' doubled, NUL
// dropped.
func AppendIdent(dst []byte, s string) []byte {
	return appendQuoted(dst, s, '"', '"')
}

// QuoteIdent returns s as a double-quoted identifier (see AppendIdent).
func QuoteIdent(s string) string {
	return string(AppendIdent(make([]byte, 0, len(s)+2), s))
}

// AppendQualified appends a possibly schema-qualified name, as the
// configuration gives it ("schema.func" or "func"): split at the first
// dot, each part a quoted identifier.
func AppendQualified(dst []byte, name string) []byte {
	if schema, rest, ok := strings.Cut(name, "."); ok {
		dst = append(AppendIdent(dst, schema), '.')
		name = rest
	}
	return AppendIdent(dst, name)
}

// QuoteQualified returns name quoted as AppendQualified does.
func QuoteQualified(name string) string {
	return string(AppendQualified(make([]byte, 0, len(name)+4), name))
}

// AppendLiteral appends s as a single-quoted string literal: single
// quotes doubled, NUL dropped.
func AppendLiteral(dst []byte, s string) []byte {
	return appendQuoted(dst, s, '\'', '\'')
}

// QuoteLiteral returns s as a string literal (see AppendLiteral).
func QuoteLiteral(s string) string {
	return string(AppendLiteral(make([]byte, 0, len(s)+2), s))
}

// AppendArrayElem appends s as one double-quoted element of an array's
// text form ('"' and '\' escaped with a backslash, NUL dropped). The
// caller writes the braces and the commas between elements.
func AppendArrayElem(dst []byte, s string) []byte {
	return appendQuoted(dst, s, '"', '\\')
}

// AppendArrayElemKeepNUL is AppendArrayElem with NUL bytes kept: the one
// exception to the package's NUL rule. wire sends the request's settings
// (role, claims, headers, cookies) as parameters, and as two text[]
// parameters built with it when they are very many, so that a value holding NUL makes PostgreSQL refuse the statement
// (invalid byte sequence 0x00) instead of a setting silently taking
// another value than the client sent — wire's behaviour before this
// package.
func AppendArrayElemKeepNUL(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(append(dst, s[start:i]...), '\\')
			start = i
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendArrayLiteral appends vals as an array's text form, {"a","b"},
// every element quoted by AppendArrayElem; no values give {}.
func AppendArrayLiteral(dst []byte, vals []string) []byte {
	dst = append(dst, '{')
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendArrayElem(dst, v)
	}
	return append(dst, '}')
}

// appendQuoted appends s between two q bytes, with esc written before
// every q and every esc in s, and NUL bytes dropped: the one quoting rule
// of SQL text.
func appendQuoted(dst []byte, s string, q, esc byte) []byte {
	dst = append(dst, q)
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case q, esc:
			dst = append(append(dst, s[start:i]...), esc)
			start = i // the byte itself goes out with the next run
		case 0:
			dst = append(dst, s[start:i]...)
			start = i + 1
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, q)
}

// IsGUCNamePart reports whether s can be one dot-separated part of a
// custom setting name (request.header.<s>): an identifier of letters,
// digits, _ and $ that does not start with a digit or $.
func IsGUCNamePart[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 || s[0] >= '0' && s[0] <= '9' || s[0] == '$' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80) {
			return false
		}
	}
	return true
}
