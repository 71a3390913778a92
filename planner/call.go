package planner

import (
	"encoding/hex"
	"slices"
	"strings"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/cache"
	"github.com/pgrst/pgrst/sqltext"
)

// Calling a function (/rpc/f), as PostgREST does. The function is chosen
// among its overloads by the set of argument names; its result, as rows,
// then takes the same select, filters, order, range, embeds and body as a
// read of a relation:
//
//	WITH pgrst_call AS (SELECT pgrst_f.* FROM <call> pgrst_f),
//	     pgrst_source AS (SELECT <select> FROM pgrst_call AS "alias" ...)
//	SELECT <envelope>
//
// The function runs once, in the CTE pgrst_call; "alias" is the name of the
// relation whose row type the function returns (so that its relationships
// embed), else the function's name. A function returning a scalar (or a
// set of scalars) is called in the select list, as a column pgrst_scalar.
// Every argument is a bind parameter: from the query string (GET, HEAD, a
// form body), or the whole request body as one parameter expanded in SQL
// by json_to_recordset (POST with JSON), or the body itself as the single
// unnamed argument.

// CallBody is the media type of a call's request body (Content-Type of a
// POST).
type CallBody uint8

const (
	// CallJSON is application/json (also without Content-Type).
	CallJSON CallBody = iota
	// CallForm is application/x-www-form-urlencoded: the arguments are
	// the form's fields, in Query.CallArgs.
	CallForm
	CallText  // text/plain
	CallXML   // text/xml
	CallOctet // application/octet-stream
	// CallCSV is text/csv: the arguments are the columns of its first
	// row, as a JSON body's keys; no single unnamed argument takes it.
	CallCSV
	// CallOther is any other media type: only a function without
	// arguments can take it.
	CallOther
)

// Call is what a call request brings beyond its query string.
type Call struct {
	// Post says the arguments come from the body.
	Post bool
	Body CallBody
	// SingleObject is Prefer: params=single-object (PostgREST 5): the
	// whole JSON body is the one json or jsonb argument of the function.
	SingleObject bool
}

// appendCallKey appends what a call's plan depends on beyond the query:
// the body's media type and its keys (Payload.Keys), which name the
// arguments.
func appendCallKey(dst []byte, r *Request) []byte {
	c := &r.Call
	dst = append(dst, 'C', keyBool(c.Post), byte(c.Body), keyBool(c.SingleObject))
	return appendKeyPath(dst, r.Payload.Keys)
}

// callRet is the shape of a called function's result.
type callRet uint8

const (
	retRows        callRet = iota // rows of a table or record type (reads too)
	retScalar                     // one value
	retSetOfScalar                // a set of values
	retComposite                  // one row
)

// callArgs is how the statement passes the arguments.
type callArgs uint8

const (
	argsDirect callArgs = iota // each a parameter: "a" := $n::type
	argsJSON                   // the body, expanded by json_to_recordset
	argsBody                   // the body as the single positional argument
)

// callPlan is the resolved call of a request.
type callPlan struct {
	fn *cache.Function
	// params are the indexes in fn.Args of the arguments passed, in the
	// function's order.
	params []int
	mode   callArgs
	ret    callRet
	// writes says the call runs read-write (POST of a volatile function).
	writes bool
}

// newCall plans a call: it finds the function among its overloads, then
// plans the select tree over the relation of its row type.
func newCall(r *Request, s *cache.Schema) (*Plan, error) {
	q := r.Query
	keys := callKeys(r)
	fn, err := findFunction(s, r.Schema, r.Target, keys, &r.Call)
	if err != nil {
		return nil, err
	}
	cp := &callPlan{fn: fn, writes: r.Call.Post && fn.Volatility == cache.Volatile}
	switch {
	case fn.ReturnsComposite:
		cp.ret = retRows
		if !fn.ReturnsSet {
			cp.ret = retComposite
		}
	case fn.ReturnsSet:
		cp.ret = retSetOfScalar
	default:
		cp.ret = retScalar
	}
	switch {
	case len(fn.Args) == 1 && (fn.Args[0].Name == "" || r.Call.SingleObject && r.Call.Post):
		cp.mode, cp.params = argsBody, []int{0}
	case r.Call.Post && r.Call.Body != CallForm:
		cp.mode = argsJSON
	}
	if cp.mode != argsBody {
		for i := range fn.Args {
			if slices.Contains(keys, fn.Args[i].Name) {
				cp.params = append(cp.params, i)
			}
		}
	}
	// The result's rows are those of the relation of the function's row
	// type, when it has one, for select, filters and embeds.
	rel := s.Relation(fn.ReturnTypeSchema, fn.ReturnTypeName)
	if rel == nil || !fn.ReturnsComposite {
		rel = &cache.Relation{Schema: fn.Schema, Name: fn.Name}
	}
	tree, err := planTree(r, s, rel)
	if err != nil {
		return nil, err
	}
	b := builder{rel: rel, buf: make([]byte, 0, 512), tree: tree, slots: newSlotIndex(q), call: cp}
	b.callSource(r)
	b.envelope(r)
	if b.err != nil {
		return nil, b.err
	}
	return &Plan{SQL: string(b.buf), args: b.prog, maxRows: r.MaxRows,
		ReadOnly:     !cp.writes,
		Void:         cp.ret == retScalar && fn.ReturnType == "void",
		Single:       cp.ret == retScalar || cp.ret == retComposite,
		FuncSettings: fn.Settings,
		Warning:      strings.Clone(legacyWarning(tree)), envelope: b.env}, nil
}

// callKeys are the argument names of r, sorted and distinct: the body's
// keys (Payload.Keys: those of its object, or of its array's first
// object) or the columns parameter (POST), else the query's arguments.
func callKeys(r *Request) []string {
	q := r.Query
	if r.Call.Post && r.Call.Body != CallForm {
		if q.HasColumns {
			return sortedSet(q.Columns)
		}
		return r.Payload.Keys
	}
	keys := make([]string, len(q.CallArgs))
	for i := range q.CallArgs {
		keys[i] = q.CallArgs[i].Key
	}
	return sortedSet(keys)
}

func sortedSet(names []string) []string {
	s := slices.Clone(names)
	slices.Sort(s)
	return slices.Compact(s)
}

// CallFunction is the function call request r calls, nil when none
// matches (New then says why). A function without overloads is the one,
// whatever the arguments.
func CallFunction(r *Request, s *cache.Schema) *cache.Function {
	fns := s.Functions[cache.QName{Schema: r.Schema, Name: r.Target}]
	switch len(fns) {
	case 0:
		return nil
	case 1:
		return fns[0]
	}
	fn, err := findFunction(s, r.Schema, r.Target, callKeys(r), &r.Call)
	if err != nil {
		return nil
	}
	return fn
}

// FunctionAllow is the Allow header of OPTIONS on function name of
// schema: a volatile function takes only POST. The second result is false
// when there is no such function.
func FunctionAllow(s *cache.Schema, schema, name string) (string, bool) {
	fns := s.Functions[cache.QName{Schema: schema, Name: name}]
	if len(fns) == 0 {
		return "", false
	}
	// As PostgREST, the first overload (the one with the fewest arguments).
	if fns[0].Volatility == cache.Volatile {
		return "OPTIONS,POST", true
	}
	return "OPTIONS,GET,HEAD,POST", true
}

// findFunction chooses the overload of schema.name that keys call, as
// PostgREST's findProc: the functions whose required arguments are all in
// keys and whose arguments include every key; failing those, a function
// with a single unnamed argument that takes the whole body.
func findFunction(s *cache.Schema, schema, name string, keys []string, c *Call) (*cache.Function, error) {
	var fns []*cache.Function
	if s != nil {
		fns = s.Functions[cache.QName{Schema: schema, Name: name}]
	}
	var matched, fallback []*cache.Function
	for _, f := range fns {
		switch {
		case matchesKeys(f, keys, c):
			matched = append(matched, f)
		case takesBody(f, c):
			fallback = append(fallback, f)
		}
	}
	switch {
	case len(matched) == 1:
		return matched[0], nil
	case len(matched) > 1:
		return nil, errAmbiguousFunction(matched)
	case len(fallback) == 1:
		return fallback[0], nil
	case len(fallback) > 1:
		return nil, errAmbiguousFunction(fallback)
	}
	return nil, errNoFunction(s, schema, name, keys, c, fns)
}

// rawBody reports whether c's body is text, xml or bytes, which only a
// single unnamed argument takes.
func (c *Call) rawBody() bool {
	return c.Post && (c.Body == CallText || c.Body == CallXML || c.Body == CallOctet)
}

func matchesKeys(f *cache.Function, keys []string, c *Call) bool {
	if c.SingleObject && c.Post {
		return len(f.Args) == 1 && (f.Args[0].Type == "json" || f.Args[0].Type == "jsonb")
	}
	if len(f.Args) == 0 {
		return len(keys) == 0 && !c.rawBody()
	}
	required := 0
	for _, a := range f.Args {
		if !a.HasDefault {
			required++
			if _, ok := slices.BinarySearch(keys, a.Name); !ok {
				return false
			}
		}
	}
	for _, k := range keys {
		if !slices.ContainsFunc(f.Args, func(a cache.FuncArg) bool { return a.Name == k }) {
			return false
		}
	}
	return true
}

// takesBody reports whether f has a single unnamed argument of the type
// that c's body is.
func takesBody(f *cache.Function, c *Call) bool {
	if !c.Post || len(f.Args) != 1 || f.Args[0].Name != "" {
		return false
	}
	switch t := f.Args[0].Type; c.Body {
	case CallJSON:
		return t == "json" || t == "jsonb"
	case CallText:
		return t == "text"
	case CallXML:
		return t == "xml"
	case CallOctet:
		return t == "bytea"
	}
	return false
}

// errNoFunction is PGRST202, worded as PostgREST words it.
func errNoFunction(s *cache.Schema, schema, name string, keys []string, c *Call, overloads []*cache.Function) *Error {
	fn := schema + "." + name
	list := strings.Join(keys, ", ")
	onlySingle := c.rawBody()
	msg := "Could not find the function " + fn
	if !onlySingle {
		if len(keys) == 0 {
			msg += " without parameters"
		} else {
			msg += "(" + list + ")"
		}
	}
	msg += " in the schema cache"
	withParams := " without parameters"
	if len(keys) > 0 {
		withParams = " with parameter "
		if len(keys) > 1 {
			withParams = " with parameters "
		}
		withParams += list
	}
	details := "Searched for the function " + fn
	switch {
	case c.Post && c.Body == CallText:
		details += " with a single unnamed text parameter"
	case c.Post && c.Body == CallXML:
		details += " with a single unnamed xml parameter"
	case c.Post && c.Body == CallOctet:
		details += " with a single unnamed bytea parameter"
	case c.Post && c.Body == CallJSON:
		details += withParams + " or with a single unnamed json/jsonb parameter"
	default:
		details += withParams
	}
	details += ", but no matches were found in the schema cache."
	e := apierr.FunctionNotFound(msg, details)
	if onlySingle {
		return e
	}
	if len(overloads) == 0 {
		var names []string
		if s != nil {
			for k := range s.Functions {
				if k.Schema == schema {
					names = append(names, k.Name)
				}
			}
		}
		if m := closest(names, name, 0.75); m != "" {
			e.Hint = "Perhaps you meant to call the function " + schema + "." + m
		}
		return e
	}
	cands := make([]string, len(overloads))
	for i, f := range overloads {
		names := make([]string, len(f.Args))
		for j, a := range f.Args {
			names[j] = a.Name
		}
		slices.Sort(names)
		cands[i] = "(" + strings.Join(names, ", ") + ")"
	}
	if m := closest(cands, "("+list+")", 0.33); m != "" {
		e.Hint = "Perhaps you meant to call the function " + fn + m
	}
	return e
}

// errAmbiguousFunction is PGRST203.
func errAmbiguousFunction(fns []*cache.Function) *Error {
	cands := make([]string, len(fns))
	for i, f := range fns {
		var b strings.Builder
		b.WriteString(f.Schema + "." + f.Name + "(")
		for j, a := range f.Args {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(a.Name + " => " + a.Type)
		}
		b.WriteString(")")
		cands[i] = b.String()
	}
	return apierr.AmbiguousFunction(cands)
}

// callSource appends the call's CTE, then the source over its rows with
// the select list, embeds, filters, order and range, as readSource.
func (b *builder) callSource(r *Request) {
	cp := b.call
	q := r.Query
	b.str("WITH pgrst_call AS (SELECT pgrst_f.* FROM ")
	if cp.mode == argsJSON && len(cp.params) > 0 {
		b.jsonArgs()
		b.str(", LATERAL ")
	}
	scalar := cp.ret == retScalar || cp.ret == retSetOfScalar
	if scalar {
		b.str("(SELECT ")
	}
	b.qname(cache.QName{Schema: cp.fn.Schema, Name: cp.fn.Name})
	b.str("(")
	b.callArgs(q)
	b.str(")")
	if scalar {
		b.str(" pgrst_scalar)")
	}
	b.str(" pgrst_f), pgrst_source AS (")
	b.alias = b.rel.Name
	b.selectRows(r)
}

// fromItem appends the FROM item of the statement's target: the relation,
// or a call's rows under the relation's name.
func (b *builder) fromItem() {
	if b.call == nil {
		b.qualified()
		return
	}
	b.str("pgrst_call AS ")
	b.ident(b.rel.Name)
}

// jsonArgs appends the FROM item of a JSON body's arguments: one row
// pgrst_body with a column per argument passed, typed as the argument,
// from the body's object (or its array's first object).
func (b *builder) jsonArgs() {
	n := b.bind(bindBody, 0, true)
	b.str("(SELECT * FROM json_to_recordset(CASE WHEN json_typeof(")
	b.ph(n)
	b.str("::json) = 'array' THEN ")
	b.ph(n)
	b.str("::json ELSE json_build_array(")
	b.ph(n)
	b.str("::json) END) AS pgrst_body(")
	for i, p := range b.call.params {
		if i > 0 {
			b.str(", ")
		}
		a := &b.call.fn.Args[p]
		b.ident(a.Name)
		b.str(" ")
		b.str(argType(a.Type))
	}
	b.str(") LIMIT 1) pgrst_body")
}

// callArgs appends the arguments of the call.
func (b *builder) callArgs(q *Query) {
	cp := b.call
	if cp.mode == argsBody {
		a := &cp.fn.Args[0]
		slot := int32(0)
		if a.Type == "bytea" {
			slot = bodyHex
		}
		b.ph(b.bind(bindBody, slot, true))
		b.str("::")
		b.str(argType(a.Type))
		return
	}
	for i, p := range cp.params {
		if i > 0 {
			b.str(", ")
		}
		a := &cp.fn.Args[p]
		if a.Variadic {
			b.str("VARIADIC ")
		}
		b.ident(a.Name)
		b.str(" := ")
		if cp.mode == argsJSON {
			b.str("pgrst_body.")
			b.ident(a.Name)
			continue
		}
		// The last of a repeated argument wins, as in PostgREST; a
		// variadic one takes them all, from the first.
		slot := int32(-1)
		for j := range q.CallArgs {
			if q.CallArgs[j].Key == a.Name && (slot < 0 || !a.Variadic) {
				slot = int32(j)
			}
		}
		kind := bindCallArg
		if a.Variadic {
			kind = bindCallVariadic
		}
		b.ph(b.bind(kind, slot, slot >= 0))
		b.str("::")
		b.str(argType(a.Type))
	}
}

// argType is the type an argument's value is cast to: its own, except
// that character and bit take any length, as in PostgREST (a bare
// character is character(1)).
func argType(t string) string {
	switch t {
	case "character":
		return "character varying"
	case "character[]":
		return "character varying[]"
	case "bit":
		return "bit varying"
	case "bit[]":
		return "bit varying[]"
	}
	return t
}

// callVariadic appends the array literal of the values of every argument
// named as q.CallArgs[slot].
func (a *Args) callVariadic(q *Query, slot int32) {
	name := q.CallArgs[slot].Key
	start := len(a.buf)
	a.buf = append(a.buf, '{')
	first := true
	for i := int(slot); i < len(q.CallArgs); i++ {
		p := &q.CallArgs[i]
		if p.Key != name {
			continue
		}
		if !first {
			a.buf = append(a.buf, ',')
		}
		first = false
		a.buf = sqltext.AppendArrayElem(a.buf, p.Value)
	}
	a.buf = append(a.buf, '}')
	a.computed(start)
}

// bodyHex is the slot of a bindBody step that binds the body as a bytea
// literal (a function's single unnamed bytea argument).
const bodyHex int32 = 1

// hexBody appends body as a bytea literal in hex.
func (a *Args) hexBody(body []byte) {
	start := len(a.buf)
	a.buf = append(a.buf, '\\', 'x')
	a.buf = hex.AppendEncode(a.buf, body)
	a.computed(start)
}

// callBody appends the JSON body of a call whose function returns other
// than rows, as PostgREST renders it: a value or a row as itself ("null"
// for none), a set of values as an array of them. It reports whether it
// did.
func (b *builder) callBody(kind Body) bool {
	ret := b.call.ret
	if b.call.fn.ReturnType == "void" && ret == retScalar {
		b.str("''::text")
		return true
	}
	strip := kind == BodyJSONStripped || kind == BodyObjectStripped
	var agg string
	switch {
	case kind == BodyObject || kind == BodyObjectStripped || (kind == BodyJSON || kind == BodyJSONStripped) && ret != retRows && ret != retSetOfScalar:
		switch ret {
		case retScalar, retSetOfScalar:
			agg = "json_agg(_pgrst_t.pgrst_scalar)->0"
		default:
			agg = "json_agg(_pgrst_t)->0"
		}
		if strip {
			agg = "json_strip_nulls(" + agg + ")"
		}
		b.str("coalesce((" + agg + ")::text, 'null')")
		return true
	case (kind == BodyJSON || kind == BodyJSONStripped) && ret == retSetOfScalar:
		agg = "json_agg(_pgrst_t.pgrst_scalar)"
		if strip {
			agg = "json_strip_nulls(" + agg + ")"
		}
		b.str("coalesce(" + agg + ", '[]')::text")
		return true
	}
	return false
}
