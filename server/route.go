package server

import (
	"bytes"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/planner"
)

// route is what the method and the path say a request does.
type route struct {
	action planner.Action
	// head: no body in the response (HEAD on a table, a function or /).
	head bool
	// post: a function called with POST (arguments in the body).
	post bool
	// rpc: the target is a function (/rpc/f), also for OPTIONS.
	rpc bool
	// target is the table, view or function; it aliases the path.
	target []byte
}

// routeOf decides the action from the method and the path: "/" is the
// root, "/rpc/f" calls f, "/t" is a table or view. It answers
// PostgREST's errors for what does not exist: PGRST117 for an unknown
// method, PGRST101 for a function called otherwise than with GET, HEAD or
// POST, PGRST125 for a path with more segments.
func routeOf(method, path []byte) (route, error) {
	p := bytes.TrimPrefix(path, []byte("/"))
	var r route
	switch string(method) {
	case "GET":
	case "HEAD":
		r.head = true
	case "OPTIONS":
		r.action = planner.ActionOptions
	case "POST":
		r.action = planner.ActionInsert
	case "PATCH":
		r.action = planner.ActionUpdate
	case "PUT":
		r.action = planner.ActionUpsert
	case "DELETE":
		r.action = planner.ActionDelete
	default:
		return r, apierr.UnsupportedMethod(string(method))
	}
	if len(p) == 0 {
		if r.action != planner.ActionRead && r.action != planner.ActionOptions {
			return r, apierr.UnsupportedMethod(string(method))
		}
		if r.action == planner.ActionRead {
			r.action = planner.ActionRoot
		}
		return r, nil
	}
	if fn, ok := bytes.CutPrefix(p, []byte("rpc/")); ok {
		if len(fn) == 0 || bytes.IndexByte(fn, '/') >= 0 {
			return r, errInvalidPath
		}
		r.target, r.rpc = fn, true
		switch r.action {
		case planner.ActionRead:
			r.action = planner.ActionCall
		case planner.ActionInsert:
			r.action, r.post = planner.ActionCall, true
		case planner.ActionOptions:
		default:
			return r, apierr.RPCMethod(string(method))
		}
		return r, nil
	}
	if bytes.IndexByte(p, '/') >= 0 {
		return r, errInvalidPath
	}
	r.target = p
	return r, nil
}

// profileHeader names the header that picks the schema: Content-Profile
// for requests that write (and POST calls), Accept-Profile otherwise.
func (r *route) profileHeader() string {
	switch r.action {
	case planner.ActionInsert, planner.ActionUpdate, planner.ActionUpsert, planner.ActionDelete:
		return "Content-Profile"
	case planner.ActionCall:
		if r.post {
			return "Content-Profile"
		}
	}
	return "Accept-Profile"
}
