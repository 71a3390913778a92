// Package openapi renders the API description that pgrst serves at /:
// PostgREST's Swagger 2.0 document of one exposed schema, built from the
// schema cache (relations, columns, keys, functions, comments) and the
// set of relations and functions the description may show, and the same
// description translated to OpenAPI 3.1.
//
// It has no I/O: the server decides what is visible (the request role's
// privileges, or everything) and caches the rendered bytes.
package openapi
