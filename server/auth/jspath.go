package auth

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file implements the JSPath of PostgREST before v16, which v16.2
// still accepts in jwt-role-claim-key when the value is not a JSONPath
// (Config/DeprecatedJSPath.hs): a sequence of
//
//	.key  ."quoted key"  [index]
//
// optionally ending with one filter on an array of strings,
// [?(@ op "text")], where op is == (equals), != (differs), ^== (starts
// with), ==^ (ends with) or *== (contains); the filter selects the first
// matching string.

type jsStep struct {
	kind  uint8 // jsKey, jsIndex or jsFilter
	key   string
	index int
	op    string
	text  string
}

const (
	jsKey uint8 = iota
	jsIndex
	jsFilter
)

type jsPath []jsStep

// parseJSPath parses the whole of s as a deprecated JSPath.
func parseJSPath(s string) (jsPath, error) {
	var path jsPath
	i := 0
	for i < len(s) {
		switch {
		case s[i] == '.':
			i++
			if i < len(s) && s[i] == '"' {
				end := strings.IndexByte(s[i+1:], '"')
				if end < 0 {
					return nil, fmt.Errorf("unterminated quoted key at offset %d", i)
				}
				path = append(path, jsStep{kind: jsKey, key: s[i+1 : i+1+end]})
				i += end + 2
				continue
			}
			start := i
			for i < len(s) {
				r, size := utf8.DecodeRuneInString(s[i:])
				if !(unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' || r == '$' || r == '@') {
					break
				}
				i += size
			}
			if i == start {
				return nil, fmt.Errorf("expected a key after '.' at offset %d", start)
			}
			path = append(path, jsStep{kind: jsKey, key: s[start:i]})
		case strings.HasPrefix(s[i:], "[?("):
			step, n, err := parseJSFilter(s[i+3:])
			if err != nil {
				return nil, fmt.Errorf("%w at offset %d", err, i)
			}
			if i+3+n != len(s) {
				return nil, fmt.Errorf("a filter must end the path (offset %d)", i)
			}
			return append(path, step), nil
		case s[i] == '[':
			start := i + 1
			j := start
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == start || j >= len(s) || s[j] != ']' {
				return nil, fmt.Errorf("expected [digits] at offset %d", i)
			}
			n, err := strconv.Atoi(s[start:j])
			if err != nil {
				return nil, fmt.Errorf("index %s out of range", s[start:j])
			}
			path = append(path, jsStep{kind: jsIndex, index: n})
			i = j + 1
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d", s[i:], i)
		}
	}
	if len(path) == 0 {
		return nil, fmt.Errorf("empty path")
	}
	return path, nil
}

// parseJSFilter parses `@ op "text")]` (after "[?(") and returns the step
// and the number of bytes read.
func parseJSFilter(s string) (jsStep, int, error) {
	i := 0
	if i >= len(s) || s[i] != '@' {
		return jsStep{}, 0, fmt.Errorf("expected '@' in filter")
	}
	i = skipUnicodeSpace(s, i+1)
	var op string
	for _, o := range [...]string{"==^", "==", "!=", "^==", "*=="} {
		if strings.HasPrefix(s[i:], o) {
			op = o
			break
		}
	}
	if op == "" {
		return jsStep{}, 0, fmt.Errorf("expected ==, !=, ^==, ==^ or *== in filter")
	}
	i = skipUnicodeSpace(s, i+len(op))
	if i >= len(s) || s[i] != '"' {
		return jsStep{}, 0, fmt.Errorf("expected a quoted value in filter")
	}
	end := strings.IndexByte(s[i+1:], '"')
	if end < 0 {
		return jsStep{}, 0, fmt.Errorf("unterminated quoted value in filter")
	}
	text := s[i+1 : i+1+end]
	i += end + 2
	if !strings.HasPrefix(s[i:], ")]") {
		return jsStep{}, 0, fmt.Errorf("expected )] after filter")
	}
	return jsStep{kind: jsFilter, op: op, text: text}, i + 2, nil
}

func skipUnicodeSpace(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += size
	}
	return i
}

// first evaluates the path on the claims.
func (p jsPath) first(root any) (any, bool) {
	v := root
	for _, st := range p {
		switch st.kind {
		case jsKey:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[st.key]; !ok {
				return nil, false
			}
		case jsIndex:
			a, ok := v.([]any)
			if !ok || st.index >= len(a) {
				return nil, false
			}
			v = a[st.index]
		case jsFilter:
			a, ok := v.([]any)
			if !ok {
				return nil, false
			}
			for _, e := range a {
				if s, ok := e.(string); ok && st.match(s) {
					return s, true
				}
			}
			return nil, false
		}
	}
	return v, true
}

func (st *jsStep) match(s string) bool {
	switch st.op {
	case "==":
		return s == st.text
	case "!=":
		return s != st.text
	case "^==":
		return strings.HasPrefix(s, st.text)
	case "==^":
		return strings.HasSuffix(s, st.text)
	case "*==":
		return strings.Contains(s, st.text)
	}
	return false
}
