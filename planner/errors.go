package planner

import (
	"net/http"
	"strconv"
)

// Error is a request error with PostgREST's body fields. An empty Details or
// Hint means JSON null.
type Error struct {
	Status  int
	Code    string
	Message string
	Details string
	Hint    string
	// DetailsJSON, when set, is the details as raw JSON instead of a
	// string (PGRST201 lists the candidate relationships).
	DetailsJSON string
}

func (e *Error) Error() string {
	s := e.Code + " (" + strconv.Itoa(e.Status) + "): " + e.Message
	if e.Details != "" {
		s += ": " + e.Details
	}
	return s
}

// errQueryParam is PGRST100, a malformed query parameter.
func errQueryParam(message, details string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "PGRST100", Message: message, Details: details}
}

// errNegativeLimit is PGRST103 for a limit/offset pair that selects no range.
func errNegativeLimit() *Error {
	return &Error{Status: http.StatusRequestedRangeNotSatisfiable, Code: "PGRST103",
		Message: "Requested range not satisfiable",
		Details: "Limit should be greater than or equal to zero."}
}

// errNotEmbedded is PGRST108: a filter, order or limit names an embed that
// the select does not contain.
func errNotEmbedded(name string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "PGRST108",
		Message: "'" + name + "' is not an embedded resource in this request",
		Hint:    "Verify that '" + name + "' is included in the 'select' query parameter."}
}

// errAggregatesNotAllowed is PGRST123 (db-aggregates-enabled is off).
func errAggregatesNotAllowed() *Error {
	return &Error{Status: http.StatusBadRequest, Code: "PGRST123", Message: "Use of aggregate functions is not allowed"}
}

// errNotImplemented is PGRST127, for grammar that parses but is not planned yet.
func errNotImplemented(details string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "PGRST127", Message: "Feature not implemented", Details: details}
}

// errTableNotFound is PGRST205.
func errTableNotFound(schema, name, hint string) *Error {
	e := &Error{Status: http.StatusNotFound, Code: "PGRST205",
		Message: "Could not find the table '" + schema + "." + name + "' in the schema cache"}
	if hint != "" {
		e.Hint = "Perhaps you meant the table '" + schema + "." + hint + "'"
	}
	return e
}

// errInvalidPreferences is PGRST122 (handling=strict with unknown items).
func errInvalidPreferences(details string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "PGRST122",
		Message: "Invalid preferences given with handling=strict", Details: details}
}

// errInternal is a planner bug reported instead of a wrong statement.
func errInternal(details string) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "PGRSTX00", Message: "Internal planner error", Details: details}
}

// errColumnNotFound is PGRST204: a written column that rel lacks.
func errColumnNotFound(rel, col string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "PGRST204",
		Message: "Could not find the '" + col + "' column of '" + rel + "' in the schema cache"}
}

// errPutFilters is PGRST105: PUT's filters must be eq on every primary
// key column and nothing else.
func errPutFilters() *Error {
	return &Error{Status: http.StatusMethodNotAllowed, Code: "PGRST105",
		Message: "Filters must include all and only primary key columns with 'eq' operators"}
}

// errPutRange is PGRST114.
func errPutRange() *Error {
	return &Error{Status: http.StatusBadRequest, Code: "PGRST114",
		Message: "limit/offset querystring parameters are not allowed for PUT"}
}
