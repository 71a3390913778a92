// Package jsonpath evaluates the JSONPath of RFC 9535 on JSON values as
// encoding/json decodes them into an any with UseNumber: nil, bool,
// string, json.Number, []any and map[string]any.
//
// It serves jwt-role-claim-key, which PostgREST v16 reads as a JSONPath
// (Config/JSPath.hs, with the aeson-jsonpath library) and whose role is
// the first node the query selects: a root query "$" with child and
// descendant segments; name, index, slice, wildcard and filter selectors;
// filters with ||, &&, !, parentheses, comparisons of literals and
// singular queries, existence tests and the function search().
//
// The members of an object are visited in the order of their names (Go's
// string order), as aeson's ordered key maps do in PostgREST: RFC 9535
// leaves that order to the implementation, and fixing it makes the first
// node, hence the role, the same for every decoding of a token.
//
// # Why not a library
//
// Of the Go libraries, github.com/theory/jsonpath is the one that passes
// the whole compliance test suite with no run-time dependency, but it
// visits a map[string]any in Go's random map order, so "$.*" or "$..role"
// could pick a different role for the same token from one decoding to the
// next. github.com/ohler55/ojg/jp and github.com/PaesslerAG/jsonpath
// implement the JSONPath of Goessner's article, not RFC 9535 (other
// syntax, other results), and github.com/speakeasy-api/jsonpath queries
// yaml.Node trees and brings yaml and OpenAPI modules along. A query here
// is small and parsed once per configuration; evaluating it is a walk over
// decoded claims, so we keep our own.
package jsonpath
