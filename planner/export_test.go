package planner

import "github.com/pgrst/pgrst/cache"

// ReadOptions and the functions below are the read-only view of Request
// that the planner's tests use.
type ReadOptions struct {
	Schema            string
	MaxRows           int64
	Head              bool
	Count             Count
	Body              Body
	Handler           *cache.MediaHandler
	LegacyTargetNames bool
	// Distinct is db-distinct-enabled.
	Distinct bool
	// Call, when set, makes the request a call of the function target.
	Call *Call
}

func (o ReadOptions) request(q *Query, target string) *Request {
	r := &Request{Action: ActionRead, Head: o.Head, Schema: o.Schema, Target: target, Query: q,
		Prefer: Preferences{Count: o.Count}, Media: Media{Body: o.Body, Handler: o.Handler},
		MaxRows: o.MaxRows, LegacyTargetNames: o.LegacyTargetNames,
		Distinct: o.Distinct}
	if o.Call != nil {
		r.Action, r.Call = ActionCall, *o.Call
	}
	return r
}

// Statement is one SQL statement and its arguments.
type Statement struct {
	SQL  string
	Args [][]byte
}

func NewReadPlan(q *Query, s *cache.Schema, target string, o ReadOptions) (*Plan, error) {
	return New(o.request(q, target), s)
}

// PlanRead is NewReadPlan followed by Bind.
func PlanRead(q *Query, s *cache.Schema, target string, o ReadOptions) (*Statement, error) {
	p, err := NewReadPlan(q, s, target, o)
	if err != nil {
		return nil, err
	}
	var a Args
	p.Bind(&a, &Request{Query: q})
	return &Statement{SQL: p.SQL, Args: a.Vals}, nil
}

func AppendReadKey(dst []byte, q *Query, target string, o ReadOptions) []byte {
	return AppendKey(dst, o.request(q, target))
}

// hasEmbeds reports whether the select tree contains an embed or spread.
func (q *Query) hasEmbeds() bool {
	for i := range q.Select {
		if q.Select[i].Kind != SelectField {
			return true
		}
	}
	return false
}
