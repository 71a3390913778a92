package cache

import "strings"

// Media type handlers, as current PostgREST has them: a domain named after
// a media type (create domain "text/html" as text) marks what an aggregate
// or function returns. An aggregate of an exposed schema over a relation's
// row type (or over anyelement, for every relation) returning such a domain
// renders a read's body in that media type; a function returning one
// produces the body itself: its value (Function.Handlers, for /rpc).

// MediaKey finds a handler: the relation whose rows the aggregate takes
// (the zero QName for anyelement) and the media type it produces.
type MediaKey struct {
	Target QName
	// Media is the domain's name in lower case: "text/html", "*/*".
	// application/vnd.pgrst.array(+json) is read as application/json, as
	// PostgREST decodes that name.
	Media string
}

// MediaHandler is an aggregate that renders rows in a media type, or a
// called function whose value is the body (Function).
type MediaHandler struct {
	// Aggregate is the aggregate function's schema-qualified name.
	Aggregate QName
	// Target is the relation whose row type the aggregate takes; zero
	// when AnyElement.
	Target     QName
	AnyElement bool
	// Media is the media type (MediaKey.Media); "*/*" produces whatever the
	// client accepts, sent as application/octet-stream unless the
	// aggregate sets Content-Type through response.headers.
	Media string
	// Binary is true when the domain rests on bytea: the body is the
	// value's bytes rather than its text.
	Binary bool
	// Function is true for the handler of a function that returns the
	// media type domain (no Aggregate): the function's value is the body.
	Function bool
}

// RelationHandlers are the handlers of one relation, by media type
// (MediaKey.Media).
type RelationHandlers struct {
	// Own are the aggregates over the relation's row type.
	Own map[string]*MediaHandler
	// Any are the aggregates over anyelement (one map shared by every
	// relation).
	Any map[string]*MediaHandler
}

// MediaHandler returns the handler of media type media for the relation
// target (the zero QName: the anyelement handler), or nil.
func (s *Schema) MediaHandler(target QName, media string) *MediaHandler {
	if len(s.MediaHandlers) == 0 {
		return nil
	}
	return s.MediaHandlers[MediaKey{target, media}]
}

// mediaDoc is one handler row of sql/introspect.sql.
type mediaDoc struct {
	Schema       string `json:"schema"`
	Name         string `json:"name"`
	TargetSchema string `json:"target_schema"`
	Target       string `json:"target"`
	Any          bool   `json:"any"`
	Media        string `json:"media"`
	Binary       bool   `json:"binary"`
}

// mediaName is a media type domain's name as a MediaKey holds it.
func mediaName(name string) string {
	name = strings.ToLower(name)
	switch name {
	case "application/vnd.pgrst.array", "application/vnd.pgrst.array+json":
		return "application/json"
	}
	return name
}

// buildMediaHandlers indexes the handlers, in s.MediaHandlers and in the
// relations' Handlers; the first of the query's order (schema, name) wins
// a key.
func (s *Schema) buildMediaHandlers(docs []mediaDoc) {
	if len(docs) == 0 {
		return
	}
	out := make(map[MediaKey]*MediaHandler, len(docs))
	for i := range docs {
		d := &docs[i]
		h := &MediaHandler{Aggregate: QName{d.Schema, d.Name}, AnyElement: d.Any,
			Media: mediaName(d.Media), Binary: d.Binary}
		if !d.Any {
			h.Target = QName{d.TargetSchema, d.Target}
		}
		k := MediaKey{h.Target, h.Media}
		if _, ok := out[k]; !ok {
			out[k] = h
		}
	}
	s.MediaHandlers = out
	var anyElem map[string]*MediaHandler
	for k, h := range out {
		if h.AnyElement {
			if anyElem == nil {
				anyElem = make(map[string]*MediaHandler)
			}
			anyElem[k.Media] = h
			continue
		}
		r := s.Relations[k.Target]
		if r == nil {
			continue // a relation of a private schema
		}
		if r.Handlers.Own == nil {
			r.Handlers.Own = make(map[string]*MediaHandler)
		}
		r.Handlers.Own[k.Media] = h
	}
	if anyElem != nil {
		for _, r := range s.Relations {
			r.Handlers.Any = anyElem
		}
	}
	s.anyHandlers = anyElem
}

// buildFunctionHandlers sets the handlers a call's media types are
// negotiated with, as PostgREST: a function returning the row type of a
// relation has the relation's handlers; a function returning one value
// has, besides the anyelement handlers, one per media type domain that
// an overload of its name returns (PostgREST keys them by name).
func (s *Schema) buildFunctionHandlers() {
	anyOnly := &RelationHandlers{Any: s.anyHandlers}
	for _, fns := range s.Functions {
		var own *RelationHandlers
		for _, f := range fns {
			if f.ReturnMedia == "" || f.ReturnsSet {
				continue
			}
			if own == nil {
				own = &RelationHandlers{Own: make(map[string]*MediaHandler), Any: s.anyHandlers}
			}
			if _, ok := own.Own[f.ReturnMedia]; !ok {
				own.Own[f.ReturnMedia] = &MediaHandler{Media: f.ReturnMedia, Binary: f.ReturnsBinary, Function: true}
			}
		}
		for _, f := range fns {
			switch r := s.Relations[QName{f.ReturnTypeSchema, f.ReturnTypeName}]; {
			case f.ReturnsComposite && r != nil:
				f.Handlers = &r.Handlers
			case !f.ReturnsComposite && !f.ReturnsSet && own != nil:
				f.Handlers = own
			default:
				f.Handlers = anyOnly
			}
		}
	}
}
