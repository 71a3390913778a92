package planner

import (
	"strconv"

	"github.com/pgrst/pgrst/cache"
)

// The envelope is the outer part of a read statement: it wraps the source
// query (the CTE pgrst_source) into the one row the server reads, with the
// total count, the page count, the body in the negotiated media type and
// the response GUCs:
//
//	WITH pgrst_source AS (<source>)[, pgrst_source_count AS (<count>)]
//	SELECT <total>, <page_total>, <body>, <headers>, <status>
//	FROM (SELECT * FROM pgrst_source) _pgrst_t
//
// For Prefer: count=planned (and count=estimated) the plan also carries a
// second statement, ExplainSQL: EXPLAIN (FORMAT JSON) of the count query,
// whose top node's "Plan Rows" is the planner's estimate.

// Count is the Prefer: count mode of a read.
type Count uint8

const (
	CountNone Count = iota
	// CountExact counts the rows the filters select, without limit/offset.
	CountExact
	// CountPlanned is PostgreSQL's estimate of that count (EXPLAIN).
	CountPlanned
	// CountEstimated is exact up to db-max-rows and the larger of the
	// exact (capped) and planned counts above it; without db-max-rows it is
	// the larger of both.
	CountEstimated
)

var countNames = [...]string{"", "exact", "planned", "estimated"}

func (c Count) String() string { return countNames[c] }

// NeedsExplain reports whether the count needs ExplainSQL's estimate.
func (c Count) NeedsExplain() bool { return c == CountPlanned || c == CountEstimated }

// Body is how the statement renders the page, one per media type.
type Body uint8

const (
	// BodyJSON is a JSON array of row objects (application/json).
	BodyJSON Body = iota
	// BodyJSONStripped is BodyJSON without null-valued keys
	// (application/vnd.pgrst.array+json;nulls=stripped).
	BodyJSONStripped
	// BodyObject is the first row as an object, "null" for none
	// (application/vnd.pgrst.object+json); the caller rejects pages that
	// do not have exactly one row.
	BodyObject
	// BodyObjectStripped is BodyObject without null-valued keys.
	BodyObjectStripped
	// BodyCSV is a header line of the column names, then one line per
	// row in PostgreSQL's record text format without the parentheses.
	BodyCSV
	// BodyText concatenates the single selected column as text (text/plain).
	BodyText
	// BodyXML aggregates the single selected xml column (text/xml).
	BodyXML
	// BodyBinary concatenates the single selected column as bytes
	// (application/octet-stream). A bytea column arrives hex-encoded
	// (Plan.HexBody) and the caller decodes it; other types arrive as text.
	BodyBinary
	// BodyHandler is the value of Media.Handler's aggregate over the
	// rows: a media type handler (cache/media.go). A handler of a bytea
	// domain arrives hex-encoded (Plan.HexBody).
	BodyHandler
	// BodyNDJSON is one JSON object per row, each on a line of its own
	// (application/x-ndjson). Only a streamed statement produces it
	// (Request.Stream); otherwise the body is empty.
	BodyNDJSON
	// BodyGeoJSON is a GeoJSON FeatureCollection of the rows, each a
	// Feature by PostGIS's ST_AsGeoJSON (application/geo+json), as
	// PostgREST's built-in handler builds it. Without PostGIS, or without
	// a geometry column, PostgreSQL reports the error.
	BodyGeoJSON
)

// DefaultSelect reports whether q selects the default "*" (no select, or
// select=* alone): the condition for a relation's own media type handlers,
// which take the relation's row type.
func DefaultSelect(q *Query) bool {
	switch len(q.Select) {
	case 0:
		return true
	case 1:
		it := &q.Select[0]
		return it.Kind == SelectField && isStar(it) && it.Cast == "" && it.Alias == ""
	}
	return false
}

// SingleColumn reports whether q selects exactly one plain column (with an
// optional JSON path, cast or alias): the condition for the raw media types
// (text/plain, text/xml, application/octet-stream).
func SingleColumn(q *Query) bool {
	if len(q.Select) != 1 {
		return false
	}
	it := &q.Select[0]
	return it.Kind == SelectField && it.Agg == AggNone && !(it.Field.Name == "*" && len(it.Field.JSON) == 0)
}

// SingleColumnType is the type of q's single selected column in rel: the
// cast's type, else the column's, "json"/"jsonb" text for a JSON path
// ("" when unknown). Meaningful only when SingleColumn(q).
func SingleColumnType(q *Query, rel *cache.Relation) string {
	it := &q.Select[0]
	if it.Cast != "" {
		return it.Cast
	}
	if len(it.Field.JSON) > 0 || rel == nil {
		return ""
	}
	if col := rel.Column(it.Field.Name); col != nil {
		return col.Type
	}
	return ""
}

// envelope is what a Plan knows about its outer statement.
type envelope struct {
	// ExplainSQL is EXPLAIN (FORMAT JSON) of the count query, set when the
	// count mode needs an estimate; BindExplain gives its arguments.
	ExplainSQL  string
	explainArgs []bindStep
	// HexBody says the body column is hex-encoded bytes (BodyBinary of a
	// bytea column).
	HexBody bool
	// Count is the plan's count mode.
	Count Count
	// Keyset says the statement's row ends with the next page's cursor
	// (wire.Result.Next), NULL when the page is the last (keyset.go).
	Keyset bool
	// Stream says the statement returns the page one row per result row
	// instead of one aggregated row: the response is streamed
	// (Request.Stream, streamEnvelope).
	Stream bool
}

// appendEnvelopeKey appends the parts of r the envelope depends on to a
// plan cache key.
func appendEnvelopeKey(dst []byte, r *Request) []byte {
	m := &r.Media
	dst = append(dst, 'E', byte(r.Prefer.Count), byte(m.Body), keyBool(r.Prefer.Keyset), keyBool(r.Stream))
	if m.Body == BodyHandler && m.Handler != nil && m.Handler.Function {
		dst = append(dst, 'F', keyBool(m.Handler.Binary))
	} else if m.Body == BodyHandler && m.Handler != nil {
		// The aggregate; its target follows from the target relation.
		dst = appendKeyStr(dst, m.Handler.Aggregate.Schema)
		dst = appendKeyStr(dst, m.Handler.Aggregate.Name)
		if m.Handler.AnyElement {
			dst = append(dst, '*')
		}
	}
	return dst
}

// envelope closes the source CTE opened by the action's source builder
// and appends the outer statement. It records in b.env what the caller
// needs.
func (b *builder) envelope(r *Request) {
	if r.Stream && b.keyset == nil && b.streamable(r.Media.Body) {
		b.streamEnvelope(r.Media.Body)
		return
	}
	q, count := r.Query, r.Prefer.Count
	b.env = envelope{Count: count, Keyset: b.keyset != nil}
	b.str(")")
	if b.keyset != nil {
		b.keysetSource(q) // keyset.go
	}
	counted := count == CountExact || count == CountEstimated
	write := r.Action.isWrite()
	// Without a limit the page is the whole result: count the page. A
	// write's count is the rows it affected.
	countCTE := counted && (q.HasRange || r.MaxRows > 0) && !write
	if countCTE {
		b.str(", pgrst_source_count AS (")
		b.countSource(q)
		if count == CountEstimated && r.MaxRows > 0 {
			// One row more than db-max-rows tells that the cap was passed.
			b.str(" LIMIT ")
			b.buf = strconv.AppendInt(b.buf, r.MaxRows+1, 10)
		}
		b.str(")")
	}
	// A function returning one value or row counts as one, as in PostgREST.
	pageTotal := "pg_catalog.count(_pgrst_t)::text"
	if b.call != nil && (b.call.ret == retScalar || b.call.ret == retComposite) {
		pageTotal = "'1'::text"
	}
	switch {
	case countCTE:
		b.str(" SELECT (SELECT pg_catalog.count(*) FROM pgrst_source_count)::text AS total_result_set, ")
	case counted:
		b.str(" SELECT " + pageTotal + " AS total_result_set, ")
	default:
		b.str(" SELECT null::text AS total_result_set, ")
	}
	b.str(pageTotal + " AS page_total, ")
	raw := false
	if r.Head || write && !r.representation() {
		b.str("''::text")
	} else {
		raw = b.body(q, &r.Media)
	}
	b.str(" AS body, " +
		"nullif(current_setting('response.headers', true), '') AS response_headers, " +
		"nullif(current_setting('response.status', true), '') AS response_status")
	if write {
		// The Location of an insert, the rows an upsert inserted, and the
		// rows affected for a check that may roll the write back
		// (wire.Request.Check).
		b.str(", ")
		b.location(r)
		b.str(" AS location, nullif(current_setting('pgrst.inserted', true), '') AS inserted, " +
			"pg_catalog.set_config('pgrst.affected', pg_catalog.count(_pgrst_t)::text, true) AS affected")
	} else if b.keyset != nil {
		b.str(", null::text AS location, null::text AS inserted, (SELECT pgrst_next FROM pgrst_keyset) AS next")
	} else if b.call != nil && b.call.writes {
		// A call that may write: its rows, for the same check.
		b.str(", null::text AS location, null::text AS inserted, " +
			"pg_catalog.set_config('pgrst.affected', " + pageTotal + ", true) AS affected")
	}
	b.str(" FROM (SELECT * FROM pgrst_source) _pgrst_t")
	if raw {
		b.str("(pgrst_scalar)")
	}
	if count.NeedsExplain() {
		e := builder{rel: b.rel, tree: b.tree, buf: make([]byte, 0, 128), slots: b.slots}
		e.str("EXPLAIN (FORMAT JSON) ")
		e.countSource(q)
		if e.err != nil && b.err == nil {
			b.err = e.err
		}
		b.env.ExplainSQL, b.env.explainArgs = string(e.buf), e.prog
	}
}

// streamable reports whether a streamed statement can render body: the
// JSON array, NDJSON and CSV of rows, and NDJSON of a function's values.
func (b *builder) streamable(body Body) bool {
	switch body {
	case BodyNDJSON:
		return b.call == nil || b.call.ret == retRows || b.call.ret == retSetOfScalar
	case BodyJSON, BodyCSV:
		return b.call == nil || b.call.ret == retRows
	}
	return false
}

// streamEnvelope closes the source CTE and appends the outer statement of
// a streamed read: a row per result row, which the server writes out as
// it arrives (no count, no response GUCs: the headers are gone before the
// last row). JSON arrives as each row's row_to_json (the element json_agg
// would add to the array); CSV as the row's columns in text form, which
// the server quotes as PostgreSQL's record text does, under a header of
// the column names.
//
//	WITH pgrst_source AS (<source>)
//	SELECT row_to_json(_pgrst_t) FROM (SELECT * FROM pgrst_source) _pgrst_t
func (b *builder) streamEnvelope(body Body) {
	b.env = envelope{Stream: true}
	b.str(")")
	switch {
	case body == BodyCSV:
		b.str(" SELECT * FROM pgrst_source")
	case b.call != nil && b.call.ret == retSetOfScalar:
		b.str(" SELECT to_json(_pgrst_t.pgrst_scalar) FROM (SELECT * FROM pgrst_source) _pgrst_t")
	default:
		b.str(" SELECT row_to_json(_pgrst_t) FROM (SELECT * FROM pgrst_source) _pgrst_t")
	}
}

// body appends the body expression of m.Body. It reports whether the
// expression reads the single column as _pgrst_t.pgrst_scalar.
func (b *builder) body(q *Query, m *Media) (raw bool) {
	kind := m.Body
	if kind == BodyHandler && m.Handler == nil {
		kind = BodyJSON
	}
	if b.call != nil && b.callBody(kind) {
		return false
	}
	switch kind {
	case BodyHandler:
		b.handlerBody(m.Handler)
	case BodyNDJSON:
		b.str("''::text") // HEAD; GET streams (streamEnvelope)
	case BodyJSONStripped:
		b.str("coalesce(json_strip_nulls(json_agg(_pgrst_t)), '[]')::text")
	case BodyObject:
		b.str("coalesce(json_agg(_pgrst_t)->0, 'null')")
	case BodyGeoJSON:
		b.str("json_build_object('type', 'FeatureCollection', 'features', " +
			"coalesce(json_agg(ST_AsGeoJSON(_pgrst_t)::json), '[]'))")
	case BodyObjectStripped:
		b.str("coalesce(json_strip_nulls(json_agg(_pgrst_t)->0)::text, 'null')")
	case BodyCSV:
		// The header names the keys of the first row (none without rows);
		// each line is the row's record text without its parentheses.
		b.str("coalesce((SELECT string_agg(pgrst_k, ',') FROM json_object_keys(" +
			"(SELECT row_to_json(pgrst_h) FROM pgrst_source pgrst_h LIMIT 1)) AS pgrst_k), '') || E'\\n' || " +
			"coalesce(string_agg(substr(_pgrst_t::text, 2, length(_pgrst_t::text) - 2), E'\\n'), '')")
	case BodyText, BodyXML, BodyBinary:
		if !SingleColumn(q) {
			// The server negotiates these only for one column.
			b.str("''::text")
			return false
		}
		switch {
		case kind == BodyXML:
			b.str("coalesce(xmlagg(_pgrst_t.pgrst_scalar)::text, '')")
		case kind == BodyBinary && b.isBytea(q):
			b.env.HexBody = true
			b.str("coalesce(encode(string_agg(_pgrst_t.pgrst_scalar, ''::bytea), 'hex'), '')")
		default:
			b.str("coalesce(string_agg(_pgrst_t.pgrst_scalar::text, ''), '')")
		}
		return true
	default:
		// json, not text: its text is the same, and the plan's output
		// reads as PostgREST's.
		b.str("coalesce(json_agg(_pgrst_t), '[]')")
	}
	return false
}

// handlerBody appends the aggregate of handler h over the page's rows:
// agg(_pgrst_t::target) (the row cast to the relation's type) or, for an
// anyelement handler, agg(_pgrst_t). No rows and no initial state give
// an empty body.
func (b *builder) handlerBody(h *cache.MediaHandler) {
	if h.Function {
		b.functionValueBody(h)
		return
	}
	if h.Binary {
		b.env.HexBody = true
		b.str("coalesce(encode(")
	} else {
		b.str("coalesce(")
	}
	b.qname(h.Aggregate)
	b.str("(_pgrst_t")
	if !h.AnyElement {
		b.str("::")
		b.qname(h.Target)
	}
	if h.Binary {
		b.str(")::bytea, 'hex'), '')")
	} else {
		b.str(")::text, '')")
	}
}

// functionValueBody appends the body of a call whose function returns
// the media type domain of handler h: its one value, in the type's own
// text form (xml's drops a leading newline) or, for a bytea domain, as
// bytes. Nothing else in the statement aggregates (a function returning
// one value counts one row), so the value is the column itself, as in
// PostgREST; no value, no body.
func (b *builder) functionValueBody(h *cache.MediaHandler) {
	if h.Binary {
		b.env.HexBody = true
		b.str("encode(_pgrst_t.pgrst_scalar::bytea, 'hex')")
		return
	}
	b.str("_pgrst_t.pgrst_scalar")
}

// isBytea reports whether the single select field yields bytea.
func (b *builder) isBytea(q *Query) bool {
	return SingleColumnType(q, b.rel) == "bytea"
}

// countSource appends the count query: the target's rows that the root
// filters and logic trees select, without order, limit or offset. Its
// placeholders are new ones, bound to the same slots as the source's.
//
// The conditions, with the embeds' !inner and is.null ones, come from
// countConditions (embed_sql.go).
func (b *builder) countSource(q *Query) {
	if q.Distinct != DistinctNone {
		b.distinctCountSource(q) // distinct.go
		return
	}
	b.str("SELECT 1 FROM ")
	b.fromItem()
	where := b.whereClause()
	b.countConditions(q, where)
}

// CappedByMaxRows reports whether an estimated count stopped at the cap,
// so the caller must take the larger of it and the planned count: always
// without db-max-rows, else when the capped count passed db-max-rows.
func (p *Plan) CappedByMaxRows(total int64) bool {
	return p.maxRows <= 0 || total > p.maxRows
}
