package planner

import "github.com/pgrst/pgrst/cache"

// Action is what a request does; the router decides it from the method
// and the path, and it selects the statement's source builder.
type Action uint8

const (
	ActionRead    Action = iota // GET (and HEAD, see Request.Head) on a table or view
	ActionInsert                // POST on a table or view
	ActionUpdate                // PATCH
	ActionUpsert                // PUT
	ActionDelete                // DELETE
	ActionCall                  // GET, HEAD or POST on /rpc/<function>
	ActionOptions               // OPTIONS
	ActionRoot                  // GET or HEAD on /
)

var actionNames = [...]string{"read", "insert", "update", "upsert", "delete", "call", "options", "root"}

func (a Action) String() string { return actionNames[a] }

// Request is everything the planner plans from: one HTTP request without
// HTTP types. Its Query and Preferences may alias the request's memory;
// a Plan never keeps them.
type Request struct {
	Action Action
	// Head builds no body (HEAD requests).
	Head bool
	// Schema is the exposed schema the request targets; Target the table,
	// view or function in it ("" for the root).
	Schema string
	Target string
	Query  *Query
	Prefer Preferences
	Media  Media
	// MaxRows caps the number of rows (db-max-rows); 0 means no cap.
	MaxRows int64
	// Payload is a write's or a call's body.
	Payload Payload
	// LegacyTargetNames lets filters, orders and limits name an aliased
	// embed by its relation (url-use-legacy-target-names).
	LegacyTargetNames bool
	// Aggregates allows aggregate functions in the select list
	// (db-aggregates-enabled).
	Aggregates bool
	// Distinct allows the distinct parameter on reads (db-distinct-enabled).
	Distinct bool
	// Call is what a call (ActionCall) brings beyond its query (call.go).
	Call Call
	// Stream asks for a statement that returns the page row by row, for
	// a streamed response, when Media allows (Plan.Stream says whether
	// it did; envelope.go).
	Stream bool
}

// Media is how the statement renders the body for the negotiated media
// type (see envelope.go).
type Media struct {
	Body Body
	// Handler is the media type handler of BodyHandler.
	Handler *cache.MediaHandler
}

// sources are the statements' source builders, one per action; the
// envelope wraps each.
var sources = [...]func(b *builder, r *Request){
	ActionRead:   (*builder).readSource,
	ActionInsert: (*builder).writeSource,
	ActionUpdate: (*builder).writeSource,
	ActionUpsert: (*builder).writeSource,
	ActionDelete: (*builder).writeSource,
	ActionCall:   (*builder).callSource, // planned by newCall (call.go)
}

// Plans reports whether New plans requests of action a.
func Plans(a Action) bool { return int(a) < len(sources) && sources[a] != nil }

// AppendKey appends the plan cache key of r: the action, the query's shape
// and everything else New depends on. Requests with equal keys get equal
// plans. The caller must also drop cached plans when the schema cache is
// replaced.
func AppendKey(dst []byte, r *Request) []byte {
	dst = append(dst, 'A', byte(r.Action))
	if r.Head {
		dst = append(dst, 'H')
	}
	dst = appendKeyStr(dst, r.Schema)
	dst = appendKeyStr(dst, r.Target)
	dst = appendKeyInt(dst, r.MaxRows)
	dst = appendEnvelopeKey(dst, r)
	if r.Action.isWrite() {
		dst = append(dst, 'W', byte(r.Prefer.Return), byte(r.Prefer.Resolution), byte(r.Prefer.Missing))
		dst = appendKeyPath(dst, r.Payload.Keys)
	}
	if r.LegacyTargetNames {
		dst = append(dst, 'L')
	}
	if r.Aggregates {
		dst = append(dst, 'G')
	}
	if r.Distinct {
		dst = append(dst, 'D')
	}
	if r.Action == ActionCall {
		dst = appendCallKey(dst, r)
	}
	dst = append(dst, ';')
	return r.Query.ShapeKey(dst)
}
