package planner

import (
	"strings"
	"unicode"
)

// The URL grammar of PostgREST (docs/references/api/url_grammar.rst), one
// method per rule. Each method follows the engine's rules in parsec.go so
// that what it accepts and the errors it reports match PostgREST.

const (
	lblFieldName = "field name (* or [a..z0..9_$])"
	lblJSONKey   = "any non reserved character different from: .,>()"
	lblOperator  = "operator (eq, gt, ...)"
	lblSingleOp  = "unknown single value operator"
	lblIsVal     = "isVal: (null, not_null, true, false, unknown)"
	lblDelimiter = "delimiter (.)"
	lblNot       = "negation operator (not)"
	lblLogicOp   = "logic operator (and, or)"
)

func isIdentChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '_' || r == ' ' || r == '$' || r > 127 && unicode.IsLetter(r)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isJSONKeyChar(r rune) bool {
	switch r {
	case '(', '-', ':', '.', ',', '>', ')':
		return false
	}
	return true
}

func isListChar(r rune) bool { return r != ',' && r != ')' }

// identCharErr is the error of letter <|> digit <|> oneOf "_ $" at the position.
func (s *pstate) identCharErr() res {
	if !s.verbose {
		return res{}
	}
	tok := s.unexpectedToken("").err.msgs[0]
	return res{err: perr{pos: s.pos, msgs: []pmsg{tok, {msgExpect, "letter"}, tok, {msgExpect, "digit"}, tok}}}
}

// identifier is many1 (letter <|> digit <|> oneOf "_ $"), stripped.
func (s *pstate) identifier() (string, res) {
	start := s.pos
	for {
		c, n := s.peek()
		if n == 0 || !isIdentChar(c) {
			break
		}
		s.pos += n
	}
	r := s.identCharErr()
	if s.pos == start {
		return "", r
	}
	r.ok, r.consumed = true, true
	v := s.in[start:s.pos]
	for len(v) > 0 && v[0] == ' ' {
		v = v[1:]
	}
	for len(v) > 0 && v[len(v)-1] == ' ' {
		v = v[:len(v)-1]
	}
	return v, r
}

// jsonKeyIdentifier is many1 (noneOf "(-:.,>)"), stripped.
func (s *pstate) jsonKeyIdentifier() (string, res) {
	start := s.pos
	for {
		c, n := s.peek()
		if n == 0 || !isJSONKeyChar(c) {
			break
		}
		s.pos += n
	}
	r := s.unexpectedToken("")
	if s.pos == start {
		return "", r
	}
	r.ok, r.consumed = true, true
	return strings.TrimFunc(s.in[start:s.pos], unicode.IsSpace), r
}

// dash is try (char '-' >> notFollowedBy (char '>')).
func (s *pstate) dash() res {
	start := s.pos
	q := seq{s: s}
	ok := q.step(s.char('-'))
	if ok {
		ok = q.step(s.notFollowedByChar(func(r rune) bool { return r == '>' }, `">"`))
	}
	return s.try(start, q.done(ok))
}

// sepByDash is item `sepBy1` dash, joined with "-"; jsonKey picks the item.
// When no item was trimmed the result is the input span itself, so long
// dashed names cost no copying.
func (s *pstate) sepByDash(jsonKey bool) (string, res) {
	item := (*pstate).identifier
	if jsonKey {
		item = (*pstate).jsonKeyIdentifier
	}
	start := s.pos
	var buf [8]string
	parts, r := sepBy1(s, buf[:0], item, (*pstate).dash)
	if !r.ok {
		return "", r
	}
	n := len(parts) - 1 // the dashes
	for _, p := range parts {
		n += len(p)
	}
	if n == s.pos-start {
		return s.in[start:s.pos], r
	}
	return strings.Join(parts, "-"), r
}

// quotedValue is char '"' *> many (noneOf "\\\"" <|> (char '\\' *> anyChar)) <* char '"'.
func (s *pstate) quotedValue() (string, res) {
	q := seq{s: s}
	if !q.step(s.char('"')) {
		return "", q.done(false)
	}
	start := s.pos
	escaped := false
	for {
		c, n := s.peek()
		if n == 0 || c == '"' {
			break
		}
		if c == '\\' {
			s.pos++
			_, m := s.peek()
			if m == 0 {
				// anyChar after the backslash met the end of input.
				q.step(res{consumed: true, err: s.unexpectedToken("").err})
				return "", q.done(false)
			}
			s.pos += m
			escaped = true
			continue
		}
		s.pos += n
	}
	end := s.pos
	// The many stopped: noneOf failed, then char '\\' failed.
	stop := s.merge(s.unexpectedToken("").err, s.unexpectedToken(`"\\"`).err)
	q.step(res{ok: true, consumed: end > start, err: stop})
	if !q.step(s.char('"')) {
		return "", q.done(false)
	}
	v := s.in[start:end]
	if escaped {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' {
				i++
			}
			b.WriteByte(v[i])
		}
		v = b.String()
	}
	return v, q.done(true)
}

// fieldName is pQuotedValue <|> sepByDash pIdentifier <?> "field name ...".
// The alternatives of the select grammar parse the same name up to five
// times from one position, so the last result is memoised.
func (s *pstate) fieldName() (string, res) {
	if s.memo.ok && s.memo.start == s.pos {
		s.pos = s.memo.end
		return s.memo.val, s.memo.r
	}
	start := s.pos
	v, r := s.fieldNameUncached()
	s.memo = fieldMemo{ok: true, start: start, end: s.pos, val: v, r: r}
	return v, r
}

func (s *pstate) fieldNameUncached() (string, res) {
	v, r := s.quotedValue()
	if !r.ok && !r.consumed {
		var r2 res
		v, r2 = s.sepByDash(false)
		r = s.or(r, r2)
	}
	return v, s.label(r, lblFieldName)
}

// jsonKeyName is pQuotedValue <|> sepByDash pJsonKeyIdentifier <?> "any non reserved ...".
func (s *pstate) jsonKeyName() (string, res) {
	v, r := s.quotedValue()
	if !r.ok && !r.consumed {
		var r2 res
		v, r2 = s.sepByDash(true)
		r = s.or(r, r2)
	}
	return v, s.label(r, lblJSONKey)
}

// delimiter is char '.' <?> "delimiter (.)".
func (s *pstate) delimiter() res { return s.label(s.char('.'), lblDelimiter) }

// lexemeChar is lexeme (char c).
func (s *pstate) lexemeChar(c byte) res {
	q := seq{s: s}
	q.step(s.ws())
	if !q.step(s.char(c)) {
		return q.done(false)
	}
	q.step(s.ws())
	return q.done(true)
}

// comma is char ','.
func (s *pstate) comma() res { return s.char(',') }

// lexemeComma is lexeme (char ',').
func (s *pstate) lexemeComma() res { return s.lexemeChar(',') }

// jsonIdxEnd ends an array index: "->", "::", ".", "," or the end (all looked ahead).
func (s *pstate) jsonIdxEnd() res {
	r := s.lookAheadStr("->")
	for _, lit := range [...]string{"::", ".", ","} {
		if r.ok {
			return r
		}
		r = s.or(r, s.lookAheadStr(lit))
	}
	if r.ok {
		return r
	}
	return s.or(r, s.eofP())
}

// jsonIdx is option '+' (char '-') : many1 digit <* end.
func (s *pstate) jsonIdx() (string, res) {
	q := seq{s: s}
	start := s.pos
	r := s.char('-')
	if !r.ok {
		r = res{ok: true, err: r.err}
	}
	q.step(r)
	if !q.step(s.digits()) {
		return "", q.done(false)
	}
	v := s.in[start:s.pos]
	if !q.step(s.jsonIdxEnd()) {
		return "", q.done(false)
	}
	return v, q.done(true)
}

// digits is many1 digit.
func (s *pstate) digits() res {
	start := s.pos
	for s.pos < len(s.in) && isDigit(rune(s.in[s.pos])) {
		s.pos++
	}
	r := s.unexpectedToken("digit")
	if s.pos > start {
		r.ok, r.consumed = true, true
	}
	return r
}

// jsonOp is a JSON arrow and its operand.
func (s *pstate) jsonOp() (JSONStep, res) {
	var st JSONStep
	q := seq{s: s}
	r := s.tryStr("->>")
	if r.ok {
		st.Text = true
	} else {
		r = s.or(r, s.tryStr("->"))
	}
	if !q.step(r) {
		return st, q.done(false)
	}
	start := s.pos
	idx, r := s.jsonIdx()
	r = s.try(start, r)
	if r.ok {
		st.Index = true
		st.Key = strings.TrimPrefix(idx, "+")
	} else {
		key, r2 := s.jsonKeyName()
		r = s.or(r, s.try(start, r2))
		st.Key = key
	}
	return st, q.done(q.step(r))
}

// jsonPath is many jsonOp.
func (s *pstate) jsonPath() ([]JSONStep, res) {
	var path []JSONStep
	r := s.many(func() res {
		st, r := s.jsonOp()
		if r.ok {
			path = append(path, st)
		}
		return r
	})
	return path, r
}

// field is lexeme (fieldName, option [] jsonPath).
func (s *pstate) field() (Field, res) {
	var f Field
	q := seq{s: s}
	q.step(s.ws())
	name, r := s.fieldName()
	if !q.step(r) {
		return f, q.done(false)
	}
	f.Name = name
	path, r := s.jsonPath()
	if !q.step(r) {
		return f, q.done(false)
	}
	f.JSON = path
	q.step(s.ws())
	return f, q.done(true)
}

// aliasSep is char ':' >> notFollowedBy (char ':').
func (s *pstate) aliasSep() res {
	q := seq{s: s}
	if !q.step(s.char(':')) {
		return q.done(false)
	}
	return q.done(q.step(s.notFollowedByChar(func(r rune) bool { return r == ':' }, `":"`)))
}

// optAlias is optionMaybe (try (fieldName <* aliasSep)).
func (s *pstate) optAlias() (string, res) {
	start := s.pos
	q := seq{s: s}
	name, r := s.fieldName()
	ok := q.step(r)
	if ok {
		ok = q.step(s.aliasSep())
	}
	r = s.try(start, q.done(ok))
	if !r.ok {
		return "", res{ok: true, err: r.err}
	}
	return name, r
}

// optCast is optionMaybe (string "::" *> identifier).
func (s *pstate) optCast() (string, res) {
	r := s.str("::")
	if !r.ok {
		if !r.consumed {
			r.ok = true
		}
		return "", r
	}
	q := seq{s: s}
	q.step(r)
	id, r := s.identifier()
	return id, q.done(q.step(r))
}

// selectEnd is the end of a select field: ")" or "," ahead, or the end.
func (s *pstate) selectEnd() res {
	r := s.lookAheadStr(")")
	if !r.ok {
		r = s.or(r, s.lookAheadStr(","))
	}
	if !r.ok {
		r = s.or(r, s.eofP())
	}
	return r
}

// aggregation is sum|avg|count|max|min.
func (s *pstate) aggregation() (AggFunc, res) {
	r := s.str("sum")
	if r.ok {
		return AggSum, r
	}
	for i, lit := range [...]string{"avg", "count", "max", "min"} {
		if r.consumed {
			return AggNone, r
		}
		if i < 2 {
			r = s.or(r, s.str(lit))
		} else {
			r = s.or(r, s.tryStr(lit))
		}
		if r.ok {
			return [...]AggFunc{AggAvg, AggCount, AggMax, AggMin}[i], r
		}
	}
	return AggNone, r
}

// fieldSelect is a select field: "*", count(), or [alias:]field[::cast][.agg()][::cast].
func (s *pstate) fieldSelect() (SelectItem, res) {
	var it SelectItem
	q := seq{s: s}
	q.step(s.ws())
	start := s.pos

	// try ("*" <* end)
	sq := seq{s: s}
	ok := sq.step(s.str("*"))
	if ok {
		ok = sq.step(s.selectEnd())
	}
	r := s.try(start, sq.done(ok))
	if r.ok {
		it.Field.Name = "*"
	} else {
		// try ([alias:]count()[::cast] <* end)
		sq = seq{s: s}
		alias, ar := s.optAlias()
		sq.step(ar)
		ok = sq.step(s.str("count()"))
		var cast string
		if ok {
			var cr res
			cast, cr = s.optCast()
			ok = sq.step(cr)
		}
		if ok {
			ok = sq.step(s.selectEnd())
		}
		r = s.or(r, s.try(start, sq.done(ok)))
		if r.ok {
			it = SelectItem{Alias: alias, Field: Field{Name: "*"}, Agg: AggCount, AggCast: cast}
		} else {
			var r3 res
			it, r3 = s.plainSelect()
			r = s.or(r, r3)
		}
	}
	if !q.step(r) {
		return it, q.done(false)
	}
	q.step(s.ws())
	return it, q.done(true)
}

// plainSelect is [alias:]field[::cast][.agg()][::cast] <* end.
func (s *pstate) plainSelect() (SelectItem, res) {
	var it SelectItem
	q := seq{s: s}
	alias, r := s.optAlias()
	q.step(r)
	it.Alias = alias
	f, r := s.field()
	if !q.step(r) {
		return it, q.done(false)
	}
	it.Field = f
	cast, r := s.optCast()
	if !q.step(r) {
		return it, q.done(false)
	}
	it.Cast = cast
	// optionMaybe (try (char '.' *> aggregation <* string "()"))
	start := s.pos
	aq := seq{s: s}
	ok := aq.step(s.char('.'))
	var agg AggFunc
	if ok {
		var gr res
		agg, gr = s.aggregation()
		ok = aq.step(gr)
	}
	if ok {
		ok = aq.step(s.str("()"))
	}
	r = s.try(start, aq.done(ok))
	if r.ok {
		it.Agg = agg
	} else {
		r.ok = true
	}
	q.step(r)
	aggCast, r := s.optCast()
	if !q.step(r) {
		return it, q.done(false)
	}
	it.AggCast = aggCast
	return it, q.done(q.step(s.selectEnd()))
}

// embedParams is two optional "!hint" / "!inner" / "!left".
func (s *pstate) embedParams(it *SelectItem) res {
	q := seq{s: s}
	for range 2 {
		// optionMaybe (char '!' *> (try "left" <|> try "inner" <|> try fieldName))
		pq := seq{s: s}
		r := s.char('!')
		if !r.ok {
			q.step(res{ok: true, err: r.err})
			continue
		}
		pq.step(r)
		start := s.pos
		r = s.tryStr("left")
		join := JoinLeft
		hint := ""
		if !r.ok {
			r = s.or(r, s.tryStr("inner"))
			join = JoinInner
		}
		if !r.ok {
			var hr res
			hint, hr = s.fieldName()
			r = s.or(r, s.try(start, hr))
			join = JoinDefault
		}
		if !q.step(pq.done(pq.step(r))) {
			return q.done(false)
		}
		if join != JoinDefault {
			if it.Join == JoinDefault {
				it.Join = join
			}
		} else if it.Hint == "" {
			it.Hint = hint
		}
	}
	return q.done(true)
}

// relationSelect is lexeme ([alias:]name[!hint][!join] followed by "(").
func (s *pstate) relationSelect() (SelectItem, res) {
	it := SelectItem{Kind: SelectEmbed}
	q := seq{s: s}
	q.step(s.ws())
	alias, r := s.optAlias()
	q.step(r)
	it.Alias = alias
	name, r := s.fieldName()
	if !q.step(r) {
		return it, q.done(false)
	}
	if name == "count" { // guard: fails with an unknown error
		q.step(res{})
		return it, q.done(false)
	}
	it.Relation = name
	if !q.step(s.embedParams(&it)) {
		return it, q.done(false)
	}
	if !q.step(s.lookAheadStr("(")) {
		return it, q.done(false)
	}
	q.step(s.ws())
	return it, q.done(true)
}

// spreadSelect is lexeme ("..." name[!hint][!join] followed by "(").
func (s *pstate) spreadSelect() (SelectItem, res) {
	it := SelectItem{Kind: SelectSpread}
	q := seq{s: s}
	q.step(s.ws())
	if !q.step(s.str("...")) {
		return it, q.done(false)
	}
	name, r := s.fieldName()
	if !q.step(r) {
		return it, q.done(false)
	}
	it.Relation = name
	if !q.step(s.embedParams(&it)) {
		return it, q.done(false)
	}
	if !q.step(s.lookAheadStr("(")) {
		return it, q.done(false)
	}
	q.step(s.ws())
	return it, q.done(true)
}

// tooDeep is the failure for nesting beyond maxDepth.
func (s *pstate) tooDeep() res {
	if !s.verbose {
		return res{consumed: true}
	}
	return res{consumed: true, err: perr{pos: s.pos, msgs: []pmsg{{msgExpect, "at most 256 levels of nesting"}}}}
}

// embedBody is between (char '(') (char ')') fieldForest.
func (s *pstate) embedBody(it SelectItem, head res) (SelectItem, res) {
	q := seq{s: s}
	q.step(head)
	if !q.step(s.char('(')) {
		return it, q.done(false)
	}
	if s.depth >= maxDepth {
		q.step(s.tooDeep())
		return it, q.done(false)
	}
	s.depth++
	children, r := s.fieldForest()
	s.depth--
	if !q.step(r) {
		return it, q.done(false)
	}
	it.Children = children
	return it, q.done(q.step(s.char(')')))
}

// fieldTree is a spread, an embed or a field.
func (s *pstate) fieldTree() (SelectItem, res) {
	start := s.pos
	it, r := s.spreadSelect()
	r = s.try(start, r)
	if r.ok {
		return s.embedBody(it, r)
	}
	it, r2 := s.relationSelect()
	r2 = s.try(start, r2)
	if r2.ok {
		return s.embedBody(it, r2)
	}
	r = s.or(r, r2)
	it, r3 := s.fieldSelect()
	return it, s.or(r, r3)
}

// fieldForest is fieldTree `sepBy` lexeme (char ',').
func (s *pstate) fieldForest() ([]SelectItem, res) {
	return sepBy(s, nil, (*pstate).fieldTree, (*pstate).lexemeComma)
}

// ciString matches lit case-insensitively, character by character (char c <|> char (toUpper c)).
func (s *pstate) ciString(lit string) res {
	q := seq{s: s}
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		r := s.char(c)
		if !r.ok {
			if u := byte(unicode.ToUpper(rune(c))); u != c || s.verbose {
				r = s.or(r, s.char(u))
			}
		}
		if !q.step(r) {
			return q.done(false)
		}
	}
	return q.done(true)
}

// isVal is null|not_null|true|false|unknown, case-insensitive.
func (s *pstate) isVal() (IsVal, res) {
	start := s.pos
	var r res
	for i, lit := range [...]string{"null", "not_null", "true", "false", "unknown"} {
		ri := s.try(start, s.ciString(lit))
		if i == 0 {
			r = ri
		} else {
			r = s.or(r, ri)
		}
		if r.ok {
			return IsVal(i), r
		}
	}
	return 0, s.label(r, lblIsVal)
}

// singleVal is many anyChar: the rest of the input.
func (s *pstate) singleVal() (string, res) {
	v := s.in[s.pos:]
	s.pos = len(s.in)
	r := s.unexpectedToken("")
	r.ok, r.consumed = true, v != ""
	return v, r
}

// quotedUnlessFollowed is try (pQuotedValue <* notFollowedBy (noneOf ",)")).
func (s *pstate) quotedUnlessFollowed() (string, res) {
	start := s.pos
	q := seq{s: s}
	v, r := s.quotedValue()
	ok := q.step(r)
	if ok {
		ok = q.step(s.notFollowedByChar(isListChar, ""))
	}
	return v, s.try(start, q.done(ok))
}

// listChars is many (noneOf ",)").
func (s *pstate) listChars() (string, res) {
	start := s.pos
	for {
		c, n := s.peek()
		if n == 0 || !isListChar(c) {
			break
		}
		s.pos += n
	}
	r := s.unexpectedToken("")
	r.ok, r.consumed = true, s.pos > start
	return s.in[start:s.pos], r
}

// listElement is a quoted or bare element of an in list.
func (s *pstate) listElement() (string, res) {
	v, r := s.quotedUnlessFollowed()
	if r.ok {
		return v, r
	}
	v, r2 := s.listChars()
	return v, s.or(r, r2)
}

// listVal is lexeme (char '(') *> listElement `sepBy1` char ',' <* lexeme (char ')').
func (s *pstate) listVal() ([]string, res) {
	q := seq{s: s}
	if !q.step(s.lexemeChar('(')) {
		return nil, q.done(false)
	}
	list, r := sepBy1(s, nil, (*pstate).listElement, (*pstate).comma)
	if !q.step(r) {
		return nil, q.done(false)
	}
	return list, q.done(q.step(s.lexemeChar(')')))
}

// pgArray is "{" many (noneOf "{}") "}", braces included.
func (s *pstate) pgArray() (string, res) {
	start := s.pos
	q := seq{s: s}
	if !q.step(s.str("{")) {
		return "", q.done(false)
	}
	for {
		c, n := s.peek()
		if n == 0 || c == '{' || c == '}' {
			break
		}
		s.pos += n
	}
	q.step(res{ok: true, consumed: s.pos > start+1, err: s.unexpectedToken("").err})
	if !q.step(s.str("}")) {
		return "", q.done(false)
	}
	return s.in[start:s.pos], q.done(true)
}

// logicSingleVal is a value inside a logic tree.
func (s *pstate) logicSingleVal() (string, res) {
	v, r := s.quotedUnlessFollowed()
	if r.ok {
		return v, r
	}
	start := s.pos
	v, r2 := s.pgArray()
	r = s.or(r, s.try(start, r2))
	if r.ok {
		return v, r
	}
	v, r3 := s.listChars()
	return v, s.or(r, r3)
}

// value parses an operator's single value.
func (s *pstate) value(logic bool) (string, res) {
	if logic {
		return s.logicSingleVal()
	}
	return s.singleVal()
}

// keywordDot is try (string kw *> delimiter).
func (s *pstate) keywordDot(kw string) res {
	start := s.pos
	q := seq{s: s}
	ok := q.step(s.str(kw))
	if ok {
		ok = q.step(s.delimiter())
	}
	return s.try(start, q.done(ok))
}

// opExpr is [not.]operation.
func (s *pstate) opExpr(logic bool) (OpExpr, res) {
	var e OpExpr
	q := seq{s: s}
	r := s.keywordDot("not")
	if r.ok {
		e.Not = true
	} else {
		r.ok = true
	}
	q.step(r)
	if !q.step(s.operation(&e, logic)) {
		return e, q.done(false)
	}
	return e, q.done(true)
}

// operation is in | is | isdistinct | fts | simple op | quantifiable op.
func (s *pstate) operation(e *OpExpr, logic bool) res {
	// in.(list)
	q := seq{s: s}
	r := s.keywordDot("in")
	if q.step(r) {
		list, lr := s.listVal()
		ok := q.step(lr)
		if ok {
			e.Op, e.List = OpIn, list
		}
		return s.label(q.done(ok), lblOperator)
	}
	r = q.done(false)
	// is.val
	q = seq{s: s}
	if q.step(s.keywordDot("is")) {
		v, vr := s.isVal()
		ok := q.step(vr)
		if ok {
			e.Op, e.Is = OpIs, v
		}
		return s.label(q.done(ok), lblOperator)
	}
	r = s.or(r, q.done(false))
	// isdistinct.val
	q = seq{s: s}
	if q.step(s.keywordDot("isdistinct")) {
		v, vr := s.value(logic)
		ok := q.step(vr)
		if ok {
			e.Op, e.Value = OpIsDistinct, v
		}
		return s.label(q.done(ok), lblOperator)
	}
	r = s.or(r, q.done(false))
	for alt := range 3 {
		start := s.pos
		saved := *e
		var ar res
		switch alt {
		case 0:
			ar = s.ftsOp(e, logic)
		case 1:
			ar = s.simpleOp(e, logic)
		default:
			ar = s.quantOp(e, logic)
		}
		ar = s.try(start, ar)
		r = s.or(r, ar)
		if r.ok {
			return s.label(r, lblOperator)
		}
		*e = saved
	}
	return s.label(r, lblOperator)
}

// ftsOp is (fts|plfts|phfts|wfts)[(lang)].value.
func (s *pstate) ftsOp(e *OpExpr, logic bool) res {
	q := seq{s: s}
	var r res
	op := OpFts
	for i, lit := range [...]string{"fts", "plfts", "phfts", "wfts"} {
		if s.cannotStart(lit) {
			continue
		}
		r = s.or(r, s.tryStr(lit))
		if r.ok {
			op = OpFts + Op(i)
			break
		}
	}
	if !q.step(r) {
		return q.done(false)
	}
	// optionMaybe (try (between (char '(') (char ')') identifier))
	start := s.pos
	lq := seq{s: s}
	ok := lq.step(s.char('('))
	var lang string
	if ok {
		var ir res
		lang, ir = s.identifier()
		ok = lq.step(ir)
	}
	if ok {
		ok = lq.step(s.char(')'))
	}
	lr := s.try(start, lq.done(ok))
	if lr.ok {
		e.Lang, e.HasLang = lang, true
	} else {
		lr.ok = true
	}
	q.step(lr)
	return s.operand(&q, e, op, logic)
}

// opLit is an operator's name in the URL.
type opLit struct {
	lit string
	op  Op
}

var simpleOps = [...]opLit{{"neq", OpNeq}, {"cs", OpCs}, {"cd", OpCd}, {"ov", OpOv}, {"sl", OpSl}, {"sr", OpSr}, {"nxr", OpNxr}, {"nxl", OpNxl}, {"adj", OpAdj}}

var quantOps = [...]opLit{{"eq", OpEq}, {"gte", OpGte}, {"gt", OpGt}, {"lte", OpLte}, {"lt", OpLt}, {"like", OpLike}, {"ilike", OpILike}, {"match", OpMatch}, {"imatch", OpIMatch}}

// operand is the delimiter and value that end every operator: op and the
// value go into e.
func (s *pstate) operand(q *seq, e *OpExpr, op Op, logic bool) res {
	if !q.step(s.delimiter()) {
		return q.done(false)
	}
	v, vr := s.value(logic)
	if !q.step(vr) {
		return q.done(false)
	}
	e.Op, e.Value = op, v
	return q.done(true)
}

// opName is try "a" <|> try "b" <|> ... over ops in order: the first
// operator name that matches, and the merged result of the tries.
func (s *pstate) opName(ops []opLit) (Op, res) {
	var r res
	for _, o := range ops {
		if s.cannotStart(o.lit) {
			continue
		}
		r = s.or(r, s.tryStr(o.lit))
		if r.ok {
			return o.op, r
		}
	}
	return ops[0].op, r
}

// simpleOp is neq|cs|cd|ov|sl|sr|nxr|nxl|adj . value.
func (s *pstate) simpleOp(e *OpExpr, logic bool) res {
	q := seq{s: s}
	op, r := s.opName(simpleOps[:])
	if !q.step(s.label(r, lblSingleOp)) {
		return q.done(false)
	}
	return s.operand(&q, e, op, logic)
}

// quantOp is eq|gte|gt|lte|lt|like|ilike|match|imatch [(any|all)] . value.
func (s *pstate) quantOp(e *OpExpr, logic bool) res {
	q := seq{s: s}
	op, r := s.opName(quantOps[:])
	if !q.step(s.label(r, lblSingleOp)) {
		return q.done(false)
	}
	// optionMaybe (try (between (char '(') (char ')') (try "any" <|> "all")))
	start := s.pos
	qq := seq{s: s}
	ok := qq.step(s.char('('))
	quant := QuantAny
	if ok {
		ar := s.tryStr("any")
		if !ar.ok {
			ar = s.or(ar, s.str("all"))
			quant = QuantAll
		}
		ok = qq.step(ar)
	}
	if ok {
		ok = qq.step(s.char(')'))
	}
	qr := s.try(start, qq.done(ok))
	if qr.ok {
		e.Quant = quant
	} else {
		qr.ok = true
	}
	q.step(qr)
	return s.operand(&q, e, op, logic)
}

// orderEnd is try (lookAhead (char ',')) <|> try eof.
func (s *pstate) orderEnd() res {
	r := s.lookAheadStr(",")
	if r.ok {
		return r
	}
	return s.or(r, s.eofP())
}

// orderSuffix is [.asc|.desc][.nullsfirst|.nullslast] followed by the end.
func (s *pstate) orderSuffix(t *OrderTerm) res {
	q := seq{s: s}
	// optionMaybe (try (delimiter *> "asc") <|> try (delimiter *> "desc"))
	start := s.pos
	r := s.try(start, s.dotWord("asc"))
	t.Dir = DirAsc
	if !r.ok {
		r = s.or(r, s.try(start, s.dotWord("desc")))
		t.Dir = DirDesc
	}
	if !r.ok {
		t.Dir = DirNone
		r.ok = true
	}
	q.step(r)
	// (optionMaybe nulls <* end) <|> (end $> Nothing)
	start = s.pos
	nq := seq{s: s}
	r = s.try(start, s.dotWord("nullsfirst"))
	t.Nulls = NullsFirst
	if !r.ok {
		r = s.or(r, s.try(start, s.dotWord("nullslast")))
		t.Nulls = NullsLast
	}
	if !r.ok {
		t.Nulls = NullsNone
		r.ok = true
	}
	nq.step(r)
	nr := nq.done(nq.step(s.orderEnd()))
	if !nr.ok && !nr.consumed {
		t.Nulls = NullsNone
		nr = s.or(nr, s.orderEnd())
	}
	return q.done(q.step(nr))
}

// dotWord is delimiter *> string w.
func (s *pstate) dotWord(w string) res {
	q := seq{s: s}
	ok := q.step(s.delimiter())
	if ok {
		ok = q.step(s.str(w))
	}
	return q.done(ok)
}

// orderTerm is lexeme (try relationTerm <|> term).
func (s *pstate) orderTerm() (OrderTerm, res) {
	var t OrderTerm
	q := seq{s: s}
	q.step(s.ws())
	start := s.pos
	// name(field) suffix
	rq := seq{s: s}
	name, r := s.fieldName()
	ok := rq.step(r)
	var f Field
	if ok {
		ok = rq.step(s.char('('))
	}
	if ok {
		f, r = s.field()
		ok = rq.step(r)
	}
	if ok {
		ok = rq.step(s.char(')'))
	}
	if ok {
		ok = rq.step(s.orderSuffix(&t))
	}
	r = s.try(start, rq.done(ok))
	if r.ok {
		t.Relation, t.Field = name, f
	} else {
		t = OrderTerm{}
		tq := seq{s: s}
		f, fr := s.field()
		ok := tq.step(fr)
		if ok {
			t.Field = f
			ok = tq.step(s.orderSuffix(&t))
		}
		r = s.or(r, tq.done(ok))
	}
	if !q.step(r) {
		return t, q.done(false)
	}
	q.step(s.ws())
	return t, q.done(true)
}

// order is orderTerm `sepBy1` char ','.
func (s *pstate) order() ([]OrderTerm, res) {
	return sepBy1(s, nil, (*pstate).orderTerm, (*pstate).comma)
}

// logicFilter is field <* delimiter, opExpr with logic values.
func (s *pstate) logicFilter() (*Filter, res) {
	q := seq{s: s}
	f, r := s.field()
	if !q.step(r) {
		return nil, q.done(false)
	}
	if !q.step(s.delimiter()) {
		return nil, q.done(false)
	}
	e, r := s.opExpr(true)
	if !q.step(r) {
		return nil, q.done(false)
	}
	return &Filter{Field: f, Expr: e}, q.done(true)
}

// logicTree is a filter, or [not.](and|or)(tree,...).
func (s *pstate) logicTree() (Logic, res) {
	var l Logic
	start := s.pos
	f, r := s.logicFilter()
	r = s.try(start, r)
	if r.ok {
		l.Leaf = f
		return l, r
	}
	q := seq{s: s}
	// pNot
	nr := s.keywordDot("not")
	if nr.ok {
		l.Not = true
	} else {
		nr.ok = true
	}
	q.step(s.label(nr, lblNot))
	// logic operator
	or := s.tryStr("and")
	if !or.ok {
		or = s.or(or, s.str("or"))
		l.Or = true
	}
	ok := q.step(s.label(or, lblLogicOp))
	if ok {
		ok = q.step(s.lexemeChar('('))
	}
	if ok && s.depth >= maxDepth {
		q.step(s.tooDeep())
		ok = false
	}
	if ok {
		s.depth++
		var cr res
		l.Children, cr = sepBy1(s, nil, (*pstate).logicTree, (*pstate).lexemeComma)
		ok = q.step(cr)
		s.depth--
	}
	if ok {
		ok = q.step(s.lexemeChar(')'))
	}
	return l, s.or(r, q.done(ok))
}

// treePath is fieldName `sepBy1` delimiter, then an optional JSON path: the
// embed path (nil for a plain column) and the field.
func (s *pstate) treePath() ([]string, Field, res) {
	q := seq{s: s}
	var buf [4]string
	names, r := sepBy1(s, buf[:0], (*pstate).fieldName, (*pstate).delimiter)
	if !q.step(r) {
		return nil, Field{}, q.done(false)
	}
	path, r := s.jsonPath()
	if !q.step(r) {
		return nil, Field{}, q.done(false)
	}
	last := len(names) - 1
	return append([]string(nil), names[:last]...), Field{Name: names[last], JSON: path}, q.done(true)
}

// columns is fieldName `sepBy1` lexeme (char ',').
func (s *pstate) columns() ([]string, res) {
	return sepBy1(s, nil, (*pstate).fieldName, (*pstate).lexemeComma)
}

// columnEmbeds parses a columns parameter with embeds (columns=a,rel(b,
// sub!hint(c))), pgrst's own grammar: each item is a field name, an embed
// is one followed by an optional !hint and its parenthesised columns. It
// reports ok only when it reads all of s.in and finds an embed; the caller
// then keeps PostgREST's parse (which stops at the first "(") otherwise.
func (s *pstate) columnEmbeds() (cols []string, embeds []ColumnEmbed, ok bool) {
	cols, embeds, ok = s.columnItems(0)
	return cols, embeds, ok && s.pos == len(s.in) && len(embeds) > 0
}

func (s *pstate) columnItems(depth int) (cols []string, embeds []ColumnEmbed, ok bool) {
	if depth >= maxDepth {
		return nil, nil, false
	}
	for {
		s.ws()
		name, r := s.fieldName()
		if !r.ok {
			return nil, nil, false
		}
		hinted := s.char('!').ok
		if hinted || s.pos < len(s.in) && s.in[s.pos] == '(' {
			e := ColumnEmbed{Relation: name}
			if hinted {
				if e.Hint, r = s.fieldName(); !r.ok {
					return nil, nil, false
				}
			}
			if !s.char('(').ok {
				return nil, nil, false
			}
			if e.Columns, e.Embeds, ok = s.columnItems(depth + 1); !ok || !s.lexemeChar(')').ok {
				return nil, nil, false
			}
			embeds = append(embeds, e)
		} else {
			cols = append(cols, name)
		}
		if !s.lexemeComma().ok {
			return cols, embeds, true
		}
	}
}
