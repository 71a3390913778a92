package planner

import "github.com/pgrst/pgrst/cache"

// What the tests use and the package itself does not.

// Statement is one SQL statement and its arguments (see Plan.AppendArgs
// for their form and lifetime).
type Statement struct {
	SQL  string
	Args [][]byte
}

// PlanRead plans a GET/HEAD on the table or view target of o.Schema.
// It is NewReadPlan followed by AppendArgs.
func PlanRead(q *Query, s *cache.Schema, target string, o ReadOptions) (*Statement, error) {
	p, err := NewReadPlan(q, s, target, o)
	if err != nil {
		return nil, err
	}
	args, _ := p.AppendArgs(nil, nil, q)
	return &Statement{SQL: p.SQL, Args: args}, nil
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
