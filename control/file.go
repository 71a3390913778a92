package control

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// SyntaxError reports a config file that cannot be parsed. Its message is
// one line: "pgrst.conf:7: expected '=' after db-uri".
type SyntaxError struct {
	File string // file name as given
	Line int    // 1-based
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ReadFile reads and parses the config file at path; see ParseFile.
func ReadFile(path string, environ []string) (Settings, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return ParseFile(path, src, environ)
}

// ParseFile parses a config file in PostgREST's syntax (the part of the
// configurator format PostgREST uses) and returns its settings. name is
// used in error messages only.
//
// The file is a list of `key = value` bindings, one per line. A key is
// dot-separated words of letters, digits, '_' and '-', each word starting
// with a letter (app.settings.jwt_exp). A value is a double-quoted string,
// which may span lines and knows the escapes \" \\ \n \t \r and \uXXXX; a
// number; or true/false/on/off. '#' starts a comment that runs to the end
// of the line. Inside a string, $(NAME) is replaced with the value of a key
// bound earlier in the file or else of the environment variable NAME from
// environ (an error if neither exists), and $$ stands for one '$'; a '$'
// followed by anything else is kept as is. A key bound twice keeps its last
// value. Unknown keys are kept (Build ignores them). Groups, lists and
// import are not supported.
func ParseFile(name string, src []byte, environ []string) (Settings, error) {
	p := fileParser{
		name:  name,
		src:   strings.TrimPrefix(string(src), "\ufeff"),
		env:   envMap(environ),
		bound: map[string]string{},
	}
	pairs, err := p.parse()
	if err != nil {
		return nil, err
	}
	return FromPairs(pairs), nil
}

type fileParser struct {
	name  string
	src   string
	pos   int
	env   map[string]string
	bound map[string]string // key as written -> value, for $(key)
}

func (p *fileParser) errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{
		File: p.name,
		Line: strings.Count(p.src[:pos], "\n") + 1,
		Msg:  fmt.Sprintf(format, args...),
	}
}

func (p *fileParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

// skipSpace skips blanks, and also line ends and comments when lines is set.
func (p *fileParser) skipSpace(lines bool) {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			p.pos++
		case c == '\n' && lines:
			p.pos++
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

func (p *fileParser) parse() ([]Pair, error) {
	var pairs []Pair
	for {
		p.skipSpace(true)
		if p.pos >= len(p.src) {
			return pairs, nil
		}
		start := p.pos
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		p.skipSpace(false)
		switch {
		case key == "import":
			return nil, p.errorf(start, "import is not supported")
		case p.peek() == '{':
			return nil, p.errorf(p.pos, "groups (%s { ... }) are not supported; write %s.name = value", key, key)
		case p.peek() != '=':
			return nil, p.errorf(p.pos, "expected '=' after %s", key)
		}
		p.pos++
		p.skipSpace(true)
		value, err := p.value(key)
		if err != nil {
			return nil, err
		}
		p.skipSpace(false)
		if p.pos < len(p.src) && p.src[p.pos] != '\n' {
			return nil, p.errorf(p.pos, "unexpected text after the value of %s (one binding per line)", key)
		}
		p.bound[key] = value
		pairs = append(pairs, Pair{Key: key, Value: value})
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// key reads a dotted identifier.
func (p *fileParser) key() (string, error) {
	start := p.pos
	for {
		if !isLetter(p.peek()) {
			if p.pos == start {
				return "", p.errorf(p.pos, "expected an option name, found %s", describe(p.src[p.pos:]))
			}
			return "", p.errorf(p.pos, "a word of an option name must start with a letter in %q", p.src[start:p.pos])
		}
		for c := p.peek(); isLetter(c) || isDigit(c) || c == '_' || c == '-'; c = p.peek() {
			p.pos++
		}
		if p.peek() != '.' {
			return p.src[start:p.pos], nil
		}
		p.pos++
	}
}

// describe names the text at the start of rest for an error message.
func describe(rest string) string {
	if rest == "" {
		return "end of file"
	}
	line, _, _ := strings.Cut(rest, "\n")
	if len(line) > 20 {
		line = line[:20] + "..."
	}
	return strconv.Quote(line)
}

// value reads the value bound to key and returns its text: strings
// unescaped and interpolated, booleans as true/false, numbers in decimal.
func (p *fileParser) value(key string) (string, error) {
	start := p.pos
	c := p.peek()
	switch {
	case c == '"':
		s, err := p.quoted()
		if err != nil {
			return "", err
		}
		return p.interpolate(start, s)
	case c == '[':
		return "", p.errorf(start, "lists are not supported (value of %s)", key)
	case isLetter(c):
		for isLetter(p.peek()) || isDigit(p.peek()) || p.peek() == '_' || p.peek() == '-' {
			p.pos++
		}
		switch w := p.src[start:p.pos]; w {
		case "true", "on":
			return "true", nil
		case "false", "off":
			return "false", nil
		default:
			return "", p.errorf(start, "value of %s: expected a double-quoted string, a number or true/false, found %s", key, w)
		}
	case isDigit(c) || c == '-' || c == '+' || c == '.':
		return p.number(key)
	case c == 0 || c == '\n':
		return "", p.errorf(start, "missing value for %s", key)
	default:
		return "", p.errorf(start, "value of %s: expected a double-quoted string, a number or true/false, found %s", key, describe(p.src[start:]))
	}
}

// number reads a numeric literal (optional sign, digits, fraction,
// exponent). An integral value is returned as a plain integer, so 1e3 is
// "1000"; other values keep their text.
func (p *fileParser) number(key string) (string, error) {
	start := p.pos
	for c := p.peek(); isDigit(c) || isLetter(c) || c == '.' || c == '-' || c == '+'; c = p.peek() {
		p.pos++
	}
	text := p.src[start:p.pos]
	if _, err := strconv.ParseInt(text, 10, 64); err == nil {
		return text, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || strings.ContainsAny(text, "xXpP_") || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", p.errorf(start, "value of %s: %q is not a number (quote strings)", key, text)
	}
	if f == float64(int64(f)) && f > -1e15 && f < 1e15 {
		return strconv.FormatInt(int64(f), 10), nil
	}
	return text, nil
}

// quoted reads a double-quoted string and resolves its escapes.
func (p *fileParser) quoted() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return "", p.errorf(start, "string not terminated (missing closing '\"')")
		}
		c := p.src[p.pos]
		switch c {
		case '"':
			p.pos++
			return b.String(), nil
		case '\\':
			if p.pos+1 >= len(p.src) {
				return "", p.errorf(start, "string not terminated (missing closing '\"')")
			}
			esc := p.src[p.pos+1]
			p.pos += 2
			switch esc {
			case '"', '\\':
				b.WriteByte(esc)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'u':
				r, err := p.unicodeEscape()
				if err != nil {
					return "", err
				}
				b.WriteRune(r)
			default:
				return "", p.errorf(p.pos-2, "unknown escape \\%c in string (use \\\\ for a backslash)", esc)
			}
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// unicodeEscape reads the XXXX of \uXXXX (p.pos is just past the 'u'),
// joining a UTF-16 surrogate pair written as two escapes.
func (p *fileParser) unicodeEscape() (rune, error) {
	at := p.pos - 2
	hex4 := func() (rune, bool) {
		if p.pos+4 > len(p.src) {
			return 0, false
		}
		n, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 16)
		if err != nil {
			return 0, false
		}
		p.pos += 4
		return rune(n), true
	}
	r, ok := hex4()
	if !ok {
		return 0, p.errorf(at, "invalid \\u escape (want four hex digits)")
	}
	if r < 0xd800 || r > 0xdfff {
		return r, nil
	}
	if r <= 0xdbff && strings.HasPrefix(p.src[p.pos:], `\u`) {
		p.pos += 2
		if lo, ok := hex4(); ok && lo >= 0xdc00 && lo <= 0xdfff {
			return (r-0xd800)<<10 + (lo - 0xdc00) + 0x10000, nil
		}
	}
	return 0, p.errorf(at, "invalid UTF-16 surrogate in \\u escape")
}

// interpolate replaces $(NAME) and $$ in s, a string value starting at
// offset start.
func (p *fileParser) interpolate(start int, s string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i+1 >= len(s) {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			s = s[i+2:]
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				return "", p.errorf(start, "unterminated $( in string (use $$ for a literal '$')")
			}
			name := s[i+2 : i+2+end]
			if name == "" {
				return "", p.errorf(start, "empty $() in string")
			}
			v, ok := p.bound[name]
			if !ok {
				v, ok = p.env[name]
			}
			if !ok {
				return "", p.errorf(start, "no such variable $(%s): not set in the environment", name)
			}
			b.WriteString(v)
			s = s[i+2+end+1:]
		default:
			b.WriteByte('$')
			s = s[i+1:]
		}
	}
}
