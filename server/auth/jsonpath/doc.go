// Package jsonpath evaluates the JSONPath of RFC 9535 on JSON values as
// encoding/json decodes them into an any with UseNumber: nil, bool,
// string, json.Number, []any and map[string]any.
//
// It serves jwt-role-claim-key, which PostgREST v16 reads as a JSONPath
// (Config/JSPath.hs, with the aeson-jsonpath library) and whose role is
// the first node the query selects. All of RFC 9535 is here: child and
// descendant segments; name, index, slice, wildcard and filter selectors;
// filters with ||, &&, !, parentheses, comparisons, existence tests and
// the five function extensions, length(), count(), match(), search() and
// value(), type-checked when the query is parsed. The patterns of match()
// and search() are I-Regexps (RFC 9485), run by Go's regexp (linear time);
// one that is not an I-Regexp matches nothing. The JSONPath Compliance
// Test Suite passes whole (see cts_test.go).
//
// Two choices follow PostgREST where the RFC leaves room or aeson-jsonpath
// departs from it:
//
//   - The members of an object are visited in the order of their names
//     (Go's string order), as aeson's ordered key maps are: RFC 9535 leaves
//     that order to the implementation, and fixing it makes the first node,
//     hence the role, the same for every decoding of a token.
//   - In a filter, a singular query's negative index (@[-1]) selects
//     nothing rather than counting from the end, as in aeson-jsonpath. The
//     compliance suite has no case of it.
//
// A Query is immutable: parse it once per configuration and use it from
// any goroutine. Select and First return values of the document itself,
// not copies.
//
// # Why not a library
//
// Of the Go libraries, github.com/theory/jsonpath is the one that passes
// the compliance suite with no run-time dependency, but it visits a
// map[string]any in Go's random map order, so "$.*" or "$..role" would
// pick a different role for the same token from one decoding to the next,
// and it compiles a search() pattern on every evaluation.
// github.com/ohler55/ojg/jp and github.com/PaesslerAG/jsonpath implement
// the JSONPath of Goessner's article, not RFC 9535, and
// github.com/speakeasy-api/jsonpath queries yaml.Node trees and brings yaml
// and OpenAPI modules along. This package is small, parses a query once
// per configuration, and walks decoded claims about as fast or faster
// (BenchmarkFirst), so we keep our own.
package jsonpath
