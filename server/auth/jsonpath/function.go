package jsonpath

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The function extensions of RFC 9535 (section 2.4): each takes values
// (literals, singular queries, functions of values) or node lists
// (queries), and gives a value or a logical result.
type fnKind uint8

const (
	fnLength fnKind = iota // length(value) value
	fnCount                // count(nodes) value
	fnMatch                // match(value, value) logical
	fnSearch               // search(value, value) logical
	fnValue                // value(nodes) value
)

type paramType uint8

const (
	valueType paramType = iota
	nodesType
)

// functions are the signatures by name.
var functions = map[string]struct {
	kind   fnKind
	params []paramType
	result paramType // valueType, or nodesType standing for LogicalType
}{
	"length": {fnLength, []paramType{valueType}, valueType},
	"count":  {fnCount, []paramType{nodesType}, valueType},
	"match":  {fnMatch, []paramType{valueType, valueType}, nodesType},
	"search": {fnSearch, []paramType{valueType, valueType}, nodesType},
	"value":  {fnValue, []paramType{nodesType}, valueType},
}

type jpFunc struct {
	name string
	kind fnKind
	// args are the arguments: a jpComparable for a value parameter, a
	// *jpQuery for a node list one.
	args []jpArg
	// re is the regular expression of match or search when its pattern is
	// a literal, compiled once; nil when that pattern is not an I-Regexp.
	re      *regexp.Regexp
	fixedRE bool
}

type jpArg struct {
	val   jpComparable
	query *jpQuery
}

// logical reports whether f gives a logical result (match, search) rather
// than a value.
func (f *jpFunc) logical() bool { return f.kind == fnMatch || f.kind == fnSearch }

// value is the result of length, count or value; ok is false for Nothing.
func (f *jpFunc) value(root, cur any) (any, bool) {
	switch f.kind {
	case fnLength:
		v, ok := f.args[0].val.value(root, cur)
		if !ok {
			return nil, false
		}
		switch x := v.(type) {
		case string:
			return jsonInt(utf8.RuneCountInString(x)), true
		case []any:
			return jsonInt(len(x)), true
		case map[string]any:
			return jsonInt(len(x)), true
		}
		return nil, false
	case fnCount:
		return jsonInt(len(f.args[0].query.eval(root, cur))), true
	case fnValue:
		nodes := f.args[0].query.eval(root, cur)
		if len(nodes) != 1 {
			return nil, false
		}
		return nodes[0], true
	}
	return nil, false
}

func jsonInt(n int) json.Number { return json.Number(strconv.Itoa(n)) }

// test is the result of match (the whole string matches) or search (a
// substring matches).
func (f *jpFunc) test(root, cur any) bool {
	v, _ := f.args[0].val.value(root, cur)
	s, ok := v.(string)
	if !ok {
		return false
	}
	re := f.re
	if !f.fixedRE {
		v, _ := f.args[1].val.value(root, cur)
		pattern, ok := v.(string)
		if !ok {
			return false
		}
		re = compileIRegexp(pattern, f.kind == fnMatch)
	}
	return re != nil && re.MatchString(s)
}

// compileIRegexp compiles an I-Regexp (RFC 9485), anchored at both ends
// for match(); nil when pattern is not one.
func compileIRegexp(pattern string, whole bool) *regexp.Regexp {
	expr, ok := translateIRegexp(pattern)
	if !ok {
		return nil
	}
	if whole {
		expr = `^(?:` + expr + `)$`
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil
	}
	return re
}

// translateIRegexp rewrites an I-Regexp as a Go regular expression: '.'
// outside a character class matches any character but \n and \r (Go's
// excludes \n only). It refuses what Go would read otherwise than RFC 9485
// means it, or not at all in an I-Regexp: escapes such as \d or \b, (?
// groups, lazy quantifiers, POSIX classes. What is left to check, Go's
// compiler checks.
func translateIRegexp(pattern string) (string, bool) {
	var b strings.Builder
	inClass, classStart := false, 0
	afterQuantifier := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		quantifier := false
		switch {
		case c == '\\':
			if i+1 >= len(pattern) {
				return "", false
			}
			e := pattern[i+1]
			switch {
			case e == 'p' || e == 'P':
				end := strings.IndexByte(pattern[i:], '}')
				if i+2 >= len(pattern) || pattern[i+2] != '{' || end < 0 {
					return "", false
				}
				b.WriteString(pattern[i : i+end+1])
				i += end
				continue
			case strings.IndexByte(`()*+-.?[\]^nrt{|}`, e) >= 0:
				b.WriteByte('\\')
				b.WriteByte(e)
				i++
				afterQuantifier = false
				continue
			}
			return "", false
		case inClass:
			switch {
			case c == '[':
				return "", false
			case c == ']' && (i == classStart || i == classStart+1 && pattern[i-1] == '^'):
				return "", false // an empty class, or Go's []...] form
			case c == ']':
				inClass = false
			}
			b.WriteByte(c)
			continue
		case c == '[':
			inClass, classStart = true, i+1
		case c == '(':
			if i+1 < len(pattern) && pattern[i+1] == '?' {
				return "", false
			}
		case c == '.':
			b.WriteString(`[^\n\r]`)
			afterQuantifier = false
			continue
		case c == '*' || c == '+' || c == '?' || c == '}':
			if afterQuantifier {
				return "", false
			}
			quantifier = true
		}
		afterQuantifier = quantifier
		b.WriteByte(c)
	}
	if inClass {
		return "", false
	}
	return b.String(), true
}
