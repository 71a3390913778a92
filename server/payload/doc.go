// Package payload reads the body of a write request — POST, PATCH and PUT
// on a table or view, POST on a function — the way PostgREST does
// (ApiRequest/Payload.hs), so that the planner can bind the whole body as
// ONE parameter that PostgreSQL expands with json_populate_recordset or
// json_to_recordset.
//
// Go reads only what it must: the keys of the objects (the columns the
// statement names) and enough of the rest to answer PostgREST's errors.
// A JSON body is validated and its keys collected in one streaming pass
// over the bytes, without building a Go value per row or per field, and is
// then bound as sent. CSV and form bodies are converted to JSON text in a
// buffer that the Payload keeps for the next request. Once its buffers
// have grown, a reused Payload parses a body without allocating.
//
// # What a body becomes
//
//   - application/json (also application/vnd.pgrst.array+json without
//     nulls=stripped, and a request without Content-Type): one object, or
//     an array of objects whose key sets are equal (the order of the keys
//     may differ, a key may repeat). Invalid JSON is PGRST102 "Empty or
//     invalid json"; an array whose elements are not all objects with the
//     first one's keys is PGRST102 "All object keys must match"; any other
//     valid JSON value (a number, a string, null, ...) becomes the empty
//     array "[]". An empty body is invalid, except for a function, whose
//     arguments it then omits: "{}".
//   - text/csv: the first line names the columns, each further line is a
//     row (RFC 4180 fields, lines ending in CRLF, LF or CR, blank lines
//     skipped). A field is a JSON string, an empty field the empty string,
//     and a field that reads NULL, quoted or not, is JSON null. The result
//     is an array of objects. A line with another number of fields than
//     the header is PGRST102 "All lines must have same number of fields";
//     a line that does not parse, PGRST102 "parse error (...) at line n".
//   - application/x-www-form-urlencoded: one object of string values, and,
//     for a function, the decoded pairs in order (Payload.Form: PostgREST
//     passes them as the function's arguments like a query string's).
//   - text/plain, text/xml, application/octet-stream: for a function only,
//     the body as it is (Payload.Raw), the argument of a function with one
//     unnamed parameter.
//   - anything else is PGRST102 "Content-Type not acceptable: <type>".
//
// # The columns parameter
//
// With ?columns=a,b (Options.Columns) PostgREST does not read a JSON body
// at all: it binds it as sent and the statement selects only the named
// columns from json_populate_recordset, so the other keys are ignored and
// PostgreSQL itself rejects a body that is not JSON. Parse does the same
// (Payload.Unread), and the planner takes the columns from the query
// string. The package never filters the JSON. CSV and form bodies are
// converted either way, and their own keys are used, as in PostgREST.
//
// # Lifetimes
//
// Payload.JSON is the request body itself for a JSON body (valid as long
// as the body is), or the Payload's own buffer for CSV and form bodies
// (valid until the next Parse or Reset). Form and Raw alias the same
// memory. The strings in Keys are immutable and may be kept, but the Keys
// slice is overwritten by the next Parse: copy it to keep it.
package payload
