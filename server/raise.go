package server

import (
	"encoding/json"
	"slices"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/wire"
)

// RAISE SQLSTATE 'PGRST': a function (or trigger) decides the whole error
// response, as in PostgREST. MESSAGE is a JSON object with "code",
// "message" and optionally "details" and "hint" (the error body); DETAIL
// one with "status", "headers" and optionally "status_text". Either
// unparsable is PGRST121.

type raisedMessage struct {
	Code    *string `json:"code"`
	Message *string `json:"message"`
	Details *string `json:"details"`
	Hint    *string `json:"hint"`
}

type raisedDetail struct {
	Status     *int              `json:"status"`
	StatusText *string           `json:"status_text"`
	Headers    map[string]string `json:"headers"`
}

// raisedError is the response of a RAISE SQLSTATE 'PGRST' error.
func raisedError(de *wire.DBError) *apierr.Error {
	var m raisedMessage
	if json.Unmarshal([]byte(de.Message), &m) != nil || m.Code == nil || m.Message == nil {
		return raiseParseError("Invalid JSON value for MESSAGE: '"+de.Message+"'",
			"MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.")
	}
	const detailHint = "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'."
	if de.Detail == "" {
		return raiseParseError("DETAIL is missing in the RAISE statement", detailHint)
	}
	var d raisedDetail
	if json.Unmarshal([]byte(de.Detail), &d) != nil || d.Status == nil || d.Headers == nil {
		return raiseParseError("Invalid JSON value for DETAIL: '"+de.Detail+"'", detailHint)
	}
	e := &apierr.Error{Status: *d.Status, Code: *m.Code, Message: *m.Message}
	if m.Details != nil {
		e.Details = *m.Details
	}
	if m.Hint != nil {
		e.Hint = *m.Hint
	}
	if d.StatusText != nil {
		e.StatusText = *d.StatusText
	}
	names := make([]string, 0, len(d.Headers))
	for k := range d.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		e.AddHeader(k, d.Headers[k])
	}
	return e
}

func raiseParseError(details, hint string) *apierr.Error {
	return apierr.RaiseParse(details, hint)
}
