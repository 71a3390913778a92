package sql

import "embed"

//go:embed *.sql
var files embed.FS

// MustRead returns the text of an embedded file; a missing name is a build
// mistake, so it panics.
func MustRead(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("sql: " + err.Error())
	}
	return string(b)
}
