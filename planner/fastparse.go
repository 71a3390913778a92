package planner

import "strings"

// A fast path for the common forms of the URL grammar: plain identifiers
// in select (with alias, ::cast and embeds), col=op.value filters, order
// terms and keys made of plain identifiers. Each function accepts only
// inputs on which the full parser (grammar.go) succeeds, and then returns
// the same tree; on anything else it reports false and the caller runs the
// full parser, which alone builds error messages. FuzzFastPath checks that
// both agree.

// isWordChar reports the characters of a fast-path identifier: a subset of
// the grammar's identifier characters without the space (which the grammar
// strips) and without non-ASCII letters.
func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$'
}

// wordEnd returns the end of the word starting at i.
func wordEnd(s string, i int) int {
	for i < len(s) && isWordChar(s[i]) {
		i++
	}
	return i
}

// fastTreePath is treePath for keys like "col" or "embed.col".
func fastTreePath(key string) (path []string, f Field, ok bool) {
	start := 0
	for {
		end := wordEnd(key, start)
		if end == start {
			return nil, Field{}, false
		}
		if end == len(key) {
			return path, Field{Name: key[start:]}, true
		}
		if key[end] != '.' {
			return nil, Field{}, false
		}
		path = append(path, key[start:end])
		start = end + 1
	}
}

// fastOps are the operators whose operand is the rest of the value, by name.
func fastOp(word string) (Op, bool) {
	switch word {
	case "eq":
		return OpEq, true
	case "gte":
		return OpGte, true
	case "gt":
		return OpGt, true
	case "lte":
		return OpLte, true
	case "lt":
		return OpLt, true
	case "like":
		return OpLike, true
	case "ilike":
		return OpILike, true
	case "match":
		return OpMatch, true
	case "imatch":
		return OpIMatch, true
	case "neq":
		return OpNeq, true
	case "cs":
		return OpCs, true
	case "cd":
		return OpCd, true
	case "ov":
		return OpOv, true
	case "sl":
		return OpSl, true
	case "sr":
		return OpSr, true
	case "nxr":
		return OpNxr, true
	case "nxl":
		return OpNxl, true
	case "adj":
		return OpAdj, true
	case "isdistinct":
		return OpIsDistinct, true
	case "fts":
		return OpFts, true
	case "plfts":
		return OpPlFts, true
	case "phfts":
		return OpPhFts, true
	case "wfts":
		return OpWFts, true
	}
	return 0, false
}

// fastOpExpr is opExpr(false) for [not.]op.value, is.val and in.(a,b).
// Quantifiers (eq(any)) and fts languages take the full parser.
func fastOpExpr(v string) (e OpExpr, ok bool) {
	if strings.HasPrefix(v, "not.") {
		e.Not = true
		v = v[len("not."):]
	}
	dot := strings.IndexByte(v, '.')
	if dot < 0 {
		return e, false
	}
	word, rest := v[:dot], v[dot+1:]
	switch word {
	case "in":
		// lexeme '(' then elements up to ')': no quotes, nothing after
		// the ')', no blank after the '(' (the lexeme would skip it).
		n := len(rest)
		if n < 2 || rest[0] != '(' || rest[n-1] != ')' || rest[1] == ' ' || rest[1] == '\t' {
			return e, false
		}
		inner := rest[1 : n-1]
		if strings.IndexByte(inner, '"') >= 0 || strings.IndexByte(inner, ')') >= 0 {
			return e, false
		}
		e.Op, e.List = OpIn, strings.Split(inner, ",")
		return e, true
	case "is":
		for i, lit := range [...]string{"null", "not_null", "true", "false", "unknown"} {
			if asciiEqualFold(rest, lit) {
				e.Op, e.Is = OpIs, IsVal(i)
				return e, true
			}
		}
		return e, false
	}
	op, ok := fastOp(word)
	if !ok {
		return e, false
	}
	e.Op, e.Value = op, rest
	return e, true
}

// asciiEqualFold is strings.EqualFold for a lower-case ASCII lit, without
// Unicode folding (the grammar accepts only c and toUpper c).
func asciiEqualFold(s, lit string) bool {
	if len(s) != len(lit) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[i] {
			return false
		}
	}
	return true
}

// fastOrder is order for terms like "col", "col.desc", "col.asc.nullslast".
// It appends to terms (its capacity is reused).
func fastOrder(v string, terms []OrderTerm) ([]OrderTerm, bool) {
	for i := 0; ; {
		end := wordEnd(v, i)
		if end == i {
			return terms, false
		}
		t := OrderTerm{Field: Field{Name: v[i:end]}}
		i = end
		for step := 0; i < len(v) && v[i] == '.'; step++ {
			end = wordEnd(v, i+1)
			switch w := v[i+1 : end]; {
			case step == 0 && w == "asc":
				t.Dir = DirAsc
			case step == 0 && w == "desc":
				t.Dir = DirDesc
			case t.Nulls == NullsNone && w == "nullsfirst":
				t.Nulls = NullsFirst
			case t.Nulls == NullsNone && w == "nullslast":
				t.Nulls = NullsLast
			default:
				return terms, false
			}
			i = end
		}
		terms = append(terms, t)
		if i == len(v) {
			return terms, true
		}
		if v[i] != ',' {
			return terms, false
		}
		i++
	}
}

// fastMaxDepth bounds the fast path's embed nesting; deeper goes to the
// full parser, which has its own bound.
const fastMaxDepth = 8

// fastSelect is the select parameter's fieldForest for plain items:
// "*", [alias:]col[::cast], and [alias:]rel[!hint|!inner|!left](...) or
// ...rel[!...](...) embeds of the same. It appends to items.
func fastSelect(v string, items []SelectItem) ([]SelectItem, bool) {
	items, i, ok := fastForest(v, 0, 0, items)
	return items, ok && i == len(v)
}

// fastForest parses items from i up to the end of v, or up to a ')' when
// nested (depth > 0); it returns the position reached.
func fastForest(v string, i, depth int, items []SelectItem) ([]SelectItem, int, bool) {
	if i == len(v) || depth > 0 && v[i] == ')' {
		return items, i, true // the empty forest
	}
	for {
		var it SelectItem
		var ok bool
		if it, i, ok = fastItem(v, i, depth); !ok {
			return items, i, false
		}
		items = append(items, it)
		switch {
		case i == len(v):
			return items, i, depth == 0
		case v[i] == ')' && depth > 0:
			return items, i, true
		case v[i] != ',':
			return items, i, false
		}
		i++
	}
}

// fastItem parses one select item at i.
func fastItem(v string, i, depth int) (it SelectItem, _ int, ok bool) {
	if i == len(v) {
		return it, i, false
	}
	if v[i] == '*' {
		it.Field.Name = "*"
		return it, i + 1, true
	}
	spread := strings.HasPrefix(v[i:], "...")
	if spread {
		i += len("...")
	}
	end := wordEnd(v, i)
	if end == i {
		return it, i, false
	}
	name := v[i:end]
	i = end
	if !spread && i+1 < len(v) && v[i] == ':' && v[i+1] != ':' {
		end = wordEnd(v, i+1)
		if end == i+1 {
			return it, i, false
		}
		it.Alias, name = name, v[i+1:end]
		i = end
	}
	if spread || i < len(v) && (v[i] == '!' || v[i] == '(') {
		// An embed. "count" is the count() aggregate's, not a relation.
		if name == "count" || depth+1 >= fastMaxDepth {
			return it, i, false
		}
		it.Kind, it.Relation = SelectEmbed, name
		if spread {
			it.Kind = SelectSpread
		}
		for n := 0; i < len(v) && v[i] == '!'; n++ {
			end = wordEnd(v, i+1)
			w := v[i+1 : end]
			// Parsec tries "left" and "inner" as prefixes before a hint.
			if n == 2 || w == "" || w != "left" && w != "inner" &&
				(strings.HasPrefix(w, "left") || strings.HasPrefix(w, "inner")) {
				return it, i, false
			}
			switch {
			case w == "left" || w == "inner":
				if it.Join == JoinDefault {
					it.Join = JoinLeft
					if w == "inner" {
						it.Join = JoinInner
					}
				}
			case it.Hint == "":
				it.Hint = w
			}
			i = end
		}
		if i == len(v) || v[i] != '(' {
			return it, i, false
		}
		children := make([]SelectItem, 0, countItems(v, i+1))
		children, i, ok = fastForest(v, i+1, depth+1, children)
		if !ok || i == len(v) || v[i] != ')' {
			return it, i, false
		}
		if len(children) > 0 { // the full parser's empty forest is nil
			it.Children = children
		}
		return it, i + 1, true
	}
	it.Field.Name = name
	if strings.HasPrefix(v[i:], "::") {
		end = wordEnd(v, i+2)
		if end == i+2 {
			return it, i, false
		}
		it.Cast = v[i+2 : end]
		i = end
	}
	return it, i, true
}

// countItems counts the items of the forest starting at i, up to its ')',
// so that an embed's children take one allocation.
func countItems(v string, i int) int {
	n, depth := 1, 0
	for ; i < len(v); i++ {
		switch v[i] {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return n
			}
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		}
	}
	return n
}
