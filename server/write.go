package server

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/planner"
	"github.com/pgrst/pgrst/server/payload"
)

// readPayload reads the body of a write (server/payload) into x.payload,
// and what the planner needs of it into x.pr. maxJSON is the body limit,
// which also bounds the JSON of a CSV body.
func (x *exchange) readPayload(ctx *fasthttp.RequestCtx, maxJSON int) error {
	x.payload.Reset()
	var ct []byte
	if len(ctx.Request.Header.Peek("Content-Type")) > 0 {
		ct = ctx.Request.Header.ContentType()
	}
	if err := x.payload.Parse(ct, ctx.PostBody(), payload.Options{Columns: x.q.HasColumns, MaxJSON: maxJSON}); err != nil {
		return err
	}
	x.pr.Payload = planner.Payload{Keys: x.payload.Keys, JSON: x.payload.JSON}
	return nil
}

// writeCheck is the statement that rolls a write back when its result
// breaks what the client asked for: a singular media type with other
// than one row (PGRST116), more rows than max-affected under
// handling=strict (PGRST124). respond answers the error itself from the
// row it read first. Empty when nothing is to be checked.
func writeCheck(pr *planner.Request) string {
	var cond string
	switch {
	case singular(pr.Media.Body):
		cond = "<> 1"
	case pr.Prefer.HasMaxAffected && pr.Prefer.Handling == planner.HandlingStrict && limitsAffected(pr.Action):
		cond = "> " + strconv.FormatInt(pr.Prefer.MaxAffected, 10)
	default:
		return ""
	}
	return "DO $$BEGIN IF pg_catalog.current_setting('pgrst.affected')::int8 " + cond +
		" THEN RAISE SQLSTATE 'PGRST' USING MESSAGE = 'pgrst: rolled back by a check of the result'; END IF; END$$"
}
