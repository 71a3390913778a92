package server

import "strings"

// quoteIdent appends name as a double-quoted SQL identifier.
func quoteIdent(dst []byte, name string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(name); i++ {
		if name[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, name[i])
	}
	return append(dst, '"')
}

// quoteIdentList renders first and rest as a comma-separated list of
// quoted identifiers, the form search_path takes.
func quoteIdentList(dst []byte, first string, rest []string) string {
	dst = quoteIdent(dst, first)
	for _, s := range rest {
		dst = append(dst, ", "...)
		dst = quoteIdent(dst, s)
	}
	return string(dst)
}

// quoteQualified quotes a possibly schema-qualified name given in the
// configuration ("schema.func" or "func").
func quoteQualified(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return string(quoteIdent(append(quoteIdent(nil, name[:i]), '.'), name[i+1:]))
	}
	return string(quoteIdent(nil, name))
}
