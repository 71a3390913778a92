package payload

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pgrst/pgrst/sqltext"
)

// result is what a test expects of a Parse: the error's message (empty:
// none), and otherwise the Payload's fields. JSON "=" means the body
// itself.
type result struct {
	err    string
	json   string
	keys   []string
	array  bool
	rows   int
	empty  bool
	unread bool
	raw    string
}

type parseCase struct {
	name string
	ct   string
	body string
	opt  Options
	want result
}

const (
	invalidJSON = "Empty or invalid json"
	mismatch    = "All object keys must match"
	fieldsCSV   = "All lines must have same number of fields"
)

func keys(k ...string) []string { return k }

func runCases(t *testing.T, cases []parseCase) {
	t.Helper()
	var reused Payload
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var fresh Payload
			check(t, &fresh, c)
			// A reused Payload gives the same result as a fresh one.
			check(t, &reused, c)
		})
	}
}

func check(t *testing.T, p *Payload, c parseCase) {
	t.Helper()
	body := []byte(c.body)
	err := p.Parse([]byte(c.ct), body, c.opt)
	if c.want.err != "" {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v, want %q", err, c.want.err)
		}
		if e.Message != c.want.err || e.Status != 400 || e.Code != "PGRST102" {
			t.Fatalf("error %+v, want 400 PGRST102 %q", e, c.want.err)
		}
		if p.JSON != nil || len(p.Keys) != 0 || p.Rows != 0 {
			t.Fatalf("payload not emptied after an error: %+v", p)
		}
		return
	}
	if err != nil {
		t.Fatalf("error %v", err)
	}
	w := c.want
	if w.json == "=" {
		w.json = c.body
		if len(body) > 0 && &p.JSON[0] != &body[0] {
			t.Errorf("JSON is a copy of the body")
		}
	}
	if string(p.JSON) != w.json {
		t.Errorf("JSON %s\nwant %s", p.JSON, w.json)
	}
	if !slices.Equal(p.Keys, w.keys) {
		t.Errorf("Keys %q, want %q", p.Keys, w.keys)
	}
	if p.Array != w.array || p.Rows != w.rows || p.Empty != w.empty || p.Unread != w.unread {
		t.Errorf("Array, Rows, Empty, Unread = %v %d %v %v, want %v %d %v %v",
			p.Array, p.Rows, p.Empty, p.Unread, w.array, w.rows, w.empty, w.unread)
	}
	if string(p.Raw) != w.raw {
		t.Errorf("Raw %q, want %q", p.Raw, w.raw)
	}
}

func TestJSON(t *testing.T) {
	obj := func(body string, k ...string) parseCase {
		return parseCase{name: body, body: body, want: result{json: "=", keys: k, rows: 1}}
	}
	arr := func(body string, rows int, k ...string) parseCase {
		return parseCase{name: body, body: body, want: result{json: "=", keys: k, array: true, rows: rows}}
	}
	bad := func(body, err string) parseCase {
		return parseCase{name: body, body: body, want: result{err: err}}
	}
	scalar := func(body string) parseCase {
		return parseCase{name: body, body: body, want: result{json: "[]", array: true}}
	}
	runCases(t, []parseCase{
		obj(`{"a":1,"b":2}`, "a", "b"),
		obj(`{"b":1,"a":2}`, "a", "b"),
		obj(`{}`),
		obj(`{"a":1,"a":2}`, "a"),
		obj("\t \n \r { \"id\": 99 } \t \n \r ", "id"),
		obj(`{"a":{"b":[1,{"c":"}"}],"e":{}},"d":"x\"y]","f":[],"g":-0.5e+10,"h":true,"i":false,"j":null}`,
			"a", "d", "f", "g", "h", "i", "j"),
		// Keys are unescaped, and sorted by their bytes.
		obj(`{"\u00e9":1,"\"q\"":2,"a\/b":3,"Z":4,"\ud83d\ude00":5,"t\tab":6}`,
			`"q"`, "Z", "a/b", "t\tab", "é", "😀"),
		// A lone surrogate reads as U+FFFD, as in encoding/json.
		obj(`{"\ud800":1,"\udc00x":2,"\ud800\u0041":3}`, "\uFFFD", "\uFFFDA", "\uFFFDx"),
		obj(`{"é":"\u00e9 ü 😀 \n\u0000"}`, "é"),

		arr(`[{"a":1,"b":2},{"b":3,"a":4}]`, 2, "a", "b"),
		arr(`[{"a":1,"a":2},{"a":3}]`, 2, "a"),
		arr(`[{"a":1},{"a":2,"a":3}]`, 2, "a"),
		arr(`[{"é":1},{"\u00e9":2}]`, 2, "é"),
		arr(`[{},{}]`, 2),
		arr(`[]`, 0),
		arr(" [ \n ] ", 0),
		arr(`[{"a":[{"x":1}],"b":{"y":2}},{"b":[],"a":"[{\"z\":3}]"}]`, 2, "a", "b"),

		bad(`[{"a":1},{"b":1}]`, mismatch),
		bad(`[{"a":1},{"a":1,"b":2}]`, mismatch),
		bad(`[{"a":1,"b":2},{"a":1}]`, mismatch),
		bad(`[{"a":1,"b":2},{"a":1,"a":2}]`, mismatch),
		bad(`[{},{"a":1}]`, mismatch),
		bad(`[{"id": 100, "body": "xxxxx"}, 123, "xxxx", {"id": 111, "body": "xxxx"}]`, mismatch),
		bad(`[1]`, mismatch),
		bad(`[[]]`, mismatch),
		bad(`[null,{}]`, mismatch),
		bad(`[{},"x"]`, mismatch),

		scalar(`1`),
		scalar(` "x" `),
		scalar(`null`),
		scalar(`true`),
		scalar(`-0.0E-0`),

		bad(``, invalidJSON),
		bad(` `, invalidJSON),
		bad(`}{ x = 2`, invalidJSON),
		bad(`{"a":1,}`, invalidJSON),
		bad(`{"a"}`, invalidJSON),
		bad(`{"a":}`, invalidJSON),
		bad(`{a:1}`, invalidJSON),
		bad(`{'a':1}`, invalidJSON),
		bad(`{"a":1`, invalidJSON),
		bad(`{"a":1}x`, invalidJSON),
		bad(`{"a":1}{}`, invalidJSON),
		bad(`{"a":01}`, invalidJSON),
		bad(`{"a":1.}`, invalidJSON),
		bad(`{"a":1e}`, invalidJSON),
		bad(`{"a":-}`, invalidJSON),
		bad(`{"a":+1}`, invalidJSON),
		bad(`{"a":.5}`, invalidJSON),
		bad(`{"a":tru}`, invalidJSON),
		bad(`{"a":nul}`, invalidJSON),
		bad(`{"a":True}`, invalidJSON),
		bad(`{"a":NaN}`, invalidJSON),
		bad(`{"a":"\x"}`, invalidJSON),
		bad(`{"a":"\u12G4"}`, invalidJSON),
		bad(`{"a":"\u12"}`, invalidJSON),
		bad("{\"a\":\"\x01\"}", invalidJSON),
		bad("{\"a\":\"tab\there\"}", invalidJSON),
		bad("{\"a\":\"\xff\"}", invalidJSON),
		bad("{\"\xc3\":1}", invalidJSON),
		bad("{\"a\":\"\xed\xa0\x80\"}", invalidJSON), // a surrogate in UTF-8
		bad(`{"a":"x}`, invalidJSON),
		bad(`{"a":[1,{"b":}]}`, invalidJSON),
		bad(`{"a":[1 2]}`, invalidJSON),
		bad(`{"a":[1,]}`, invalidJSON),
		bad(`{"a":{"b":1]}`, invalidJSON),
		bad(`[1,]`, invalidJSON),
		bad(`[`, invalidJSON),
		bad(`[{"a":1}`, invalidJSON),
		bad(`]`, invalidJSON),
		bad("\ufeff{}", invalidJSON),
		// Invalid JSON comes before keys that do not match, as PostgREST
		// decodes the whole body first.
		bad(`[1, }`, invalidJSON),
		bad(`[{"a":1},{"b":2},`, invalidJSON),
		bad(`[{"a":1},{"b":2,}]`, invalidJSON),
	})
}

func TestJSONDepth(t *testing.T) {
	nest := func(n int) string {
		return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "}"
	}
	var p Payload
	if err := p.Parse(nil, []byte(nest(maxDepth)), Options{}); err != nil {
		t.Fatalf("depth %d: %v", maxDepth, err)
	}
	for _, body := range []string{
		nest(maxDepth + 1),
		strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1),
		strings.Repeat(`{"a":`, 1<<20),
		strings.Repeat("[", 1<<20),
	} {
		err := p.Parse(nil, []byte(body), Options{})
		if err != errTooDeep || err.(*Error).Details == "" {
			t.Fatalf("%d bytes deep: %v", len(body), err)
		}
	}
	// Deep arrays of the top-level array and scalars nest one level less.
	top := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	if err := p.Parse(nil, []byte(top), Options{}); err != errKeysMismatch {
		t.Fatalf("depth %d array: %v", maxDepth, err)
	}
}

func TestEmptyAndOptions(t *testing.T) {
	rpc := Options{RPC: true}
	runCases(t, []parseCase{
		{name: "table", body: "", want: result{err: invalidJSON}},
		{name: "function", body: "", opt: rpc, want: result{json: "{}", rows: 1, empty: true}},
		{name: "function blank", body: " ", opt: rpc, want: result{err: invalidJSON}},
		{name: "function object", body: `{"x":1,"y":2}`, opt: rpc, want: result{json: "=", keys: keys("x", "y"), rows: 1}},
		{name: "function scalar", body: `"x"`, opt: rpc, want: result{json: "[]", array: true}},
		// columns= leaves a JSON body unread, valid or not.
		{name: "columns", body: `[{"a":1},{"b":2}`, opt: Options{Columns: true}, want: result{json: "=", unread: true}},
		{name: "columns empty", body: "", opt: Options{Columns: true, RPC: true}, want: result{json: "", unread: true, empty: true}},
		// ... but not a CSV or form body.
		{name: "columns csv", ct: "text/csv", body: "a\n1", opt: Options{Columns: true},
			want: result{json: `[{"a":"1"}]`, keys: keys("a"), array: true, rows: 1}},
		{name: "columns form", ct: "application/x-www-form-urlencoded", body: "a=1", opt: Options{Columns: true},
			want: result{json: `{"a":"1"}`, keys: keys("a"), rows: 1}},
	})
}

func TestContentType(t *testing.T) {
	json := func(ct string) parseCase {
		return parseCase{name: ct, ct: ct, body: `{"a":1}`, want: result{json: "=", keys: keys("a"), rows: 1}}
	}
	refused := func(ct, name string) parseCase {
		return parseCase{name: ct, ct: ct, body: `{"a":1}`, want: result{err: "Content-Type not acceptable: " + name}}
	}
	raw := func(ct string) parseCase {
		return parseCase{name: ct + " rpc", ct: ct, body: "<x/>", opt: Options{RPC: true}, want: result{raw: "<x/>"}}
	}
	runCases(t, []parseCase{
		json(""),
		json("application/json"),
		json("application/json; charset=utf-8"),
		json("Application/JSON;charset=UTF-8"),
		json("application/json garbage"),
		json("application/json,text/csv"),
		json("application/vnd.pgrst.array+json"),
		json("application/vnd.pgrst.array"),
		json("application/vnd.pgrst.array+json;nulls=none"),
		refused("application/vnd.pgrst.array+json; nulls = stripped", "application/vnd.pgrst.array+json;nulls=stripped"),
		refused("application/vnd.pgrst.object", "application/vnd.pgrst.object+json"),
		refused("application/vnd.pgrst.object+json;nulls=stripped", "application/vnd.pgrst.object+json;nulls=stripped"),
		refused("*/*", "*/*"),
		refused("application/geo+json", "application/geo+json"),
		refused("APPLICATION/OPENAPI+JSON", "application/openapi+json"),
		refused("text/plain; charset=utf-8", "text/plain"),
		refused("text/xml", "text/xml"),
		refused("application/octet-stream", "application/octet-stream"),
		refused("image/png", "image/png"),
		refused("image/PNG; q=1", "image/PNG; q=1"),
		refused("application/jsonx", "application/jsonx"),
		refused(" application/json", " application/json"),
		refused("json", "json"),
		refused("text/\xe9", "text/é"),
		refused("application/vnd.pgrst.plan", `application/vnd.pgrst.plan+text; for="application/json"`),
		refused(`application/vnd.pgrst.plan+json; for="text/csv"; options=wal|x|analyze`,
			`application/vnd.pgrst.plan+json; for="text/csv"; options=analyze|wal`),
		raw("text/plain"),
		raw("text/xml"),
		raw("application/octet-stream"),
		{name: "raw empty", ct: "text/plain", opt: Options{RPC: true}, want: result{empty: true}},
		{name: "other rpc", ct: "image/png", body: "x", opt: Options{RPC: true}, want: result{err: "Content-Type not acceptable: image/png"}},
	})
	var p Payload
	for ct, m := range map[string]Media{"": MediaJSON, "text/csv": MediaCSV,
		"application/x-www-form-urlencoded": MediaForm, "text/plain": MediaText,
		"text/xml": MediaXML, "application/octet-stream": MediaOctet} {
		if err := p.Parse([]byte(ct), []byte("a\nb"), Options{RPC: true, Columns: true}); err != nil || p.Media != m {
			t.Errorf("%q: media %d, %v; want %d", ct, p.Media, err, m)
		}
	}
}

func TestCSV(t *testing.T) {
	ok := func(name, body, json string, rows int, k ...string) parseCase {
		return parseCase{name: name, ct: "text/csv", body: body,
			want: result{json: json, keys: k, array: true, rows: rows}}
	}
	bad := func(name, body, err string) parseCase {
		return parseCase{name: name, ct: "text/csv", body: body, want: result{err: err}}
	}
	runCases(t, []parseCase{
		ok("one row", "a,b\nbar,baz", `[{"a":"bar","b":"baz"}]`, 1, "a", "b"),
		ok("null", "a,b\nNULL,foo", `[{"a":null,"b":"foo"}]`, 1, "a", "b"),
		ok("quoted null and empty", "a,b,c\n\"NULL\",\"\",", `[{"a":null,"b":"","c":""}]`, 1, "a", "b", "c"),
		ok("not null", "a,b\nnull,NULL ", `[{"a":"null","b":"NULL "}]`, 1, "a", "b"),
		ok("crlf", "a,b\r\n1,2\r\n3,4\r\n", `[{"a":"1","b":"2"},{"a":"3","b":"4"}]`, 2, "a", "b"),
		ok("cr", "a,b\r1,2\r3,4", `[{"a":"1","b":"2"},{"a":"3","b":"4"}]`, 2, "a", "b"),
		ok("blank lines", "a,b\n\n1,2\n\r\n\"\"\n\n", `[{"a":"1","b":"2"}]`, 1, "a", "b"),
		ok("one column blank", "a\n1\n\n2\n", `[{"a":"1"},{"a":"2"}]`, 2, "a"),
		ok("quoted", "a,b\n\"x,y\",\"line1\nline2 \"\"q\"\"\"\n",
			`[{"a":"x,y","b":"line1\nline2 \"q\""}]`, 1, "a", "b"),
		ok("quoted header", "\"my col\",\"q\"\"\"\n1,2", `[{"my col":"1","q\"":"2"}]`, 1, "my col", `q"`),
		ok("empty header name", "a,\n1,2", `[{"a":"1","":"2"}]`, 1, "", "a"),
		ok("spaces kept", "a, b\n 1,2", `[{"a":" 1"," b":"2"}]`, 1, " b", "a"),
		ok("escapes", "a\n\t\x01\\é😀", `[{"a":"\t\u0001\\é😀"}]`, 1, "a"),
		ok("invalid utf-8", "\xffa\n\xfe", `[{"\ufffda":"\ufffd"}]`, 1, "\uFFFDa"),
		ok("duplicate names", "a,a\n1,2", `[{"a":"1","a":"2"}]`, 1, "a"),
		ok("sorted keys", "name,age,height\nJ Doe,62,70\nJonas,10,55\n",
			`[{"name":"J Doe","age":"62","height":"70"},{"name":"Jonas","age":"10","height":"55"}]`, 2, "age", "height", "name"),
		// No rows: no keys, as PostgREST.
		ok("header only", "a,b\n", `[]`, 0),
		ok("header and blank lines", "a,b\r\n\r\n", `[]`, 0),
		ok("quote after field end", "a,b\n\"x\",\"y\"", `[{"a":"x","b":"y"}]`, 1, "a", "b"),

		bad("too few", "a,b\nfoo,bar\nbaz", fieldsCSV),
		bad("too many", "a,b\n1,2,3", fieldsCSV),
		bad("all too few", "a,b\n1\n2", fieldsCSV),
		bad("empty", "", "parse error (header without a line end) at line 1"),
		bad("no line end", "a,b", "parse error (header without a line end) at line 1"),
		bad("unterminated", "a\n1\n\"abc", "parse error (unterminated quoted field) at line 3"),
		bad("quote in field", "a\r\nab\"c", `parse error (unexpected '"' in an unquoted field) at line 2`),
		bad("after quote", "a\r1\r\"ab\"c", "parse error (unexpected character after a quoted field) at line 3"),
		bad("bad header", "\"a\"b\n1", "parse error (unexpected character after a quoted field) at line 1"),
		// A parse error comes before a count of fields.
		bad("parse error first", "a,b\n1\n\"x", "parse error (unterminated quoted field) at line 3"),
	})
}

func TestForm(t *testing.T) {
	const ct = "application/x-www-form-urlencoded"
	ok := func(body, json string, k ...string) parseCase {
		return parseCase{name: body, ct: ct, body: body, want: result{json: json, keys: k, rows: 1}}
	}
	runCases(t, []parseCase{
		ok("integer=7&double=2.71828&varchar=forms+are+fun&money=$3.99",
			`{"integer":"7","double":"2.71828","varchar":"forms are fun","money":"$3.99"}`,
			"double", "integer", "money", "varchar"),
		ok("a=1;b=2", `{"a":"1","b":"2"}`, "a", "b"),
		ok("?a=1", `{"a":"1"}`, "a"),
		ok("??a=1", `{"?a":"1"}`, "?a"),
		ok("a", `{"a":""}`, "a"),
		ok("a=", `{"a":""}`, "a"),
		ok("a==b", `{"a":"=b"}`, "a"),
		ok("a=1&", `{"a":"1"}`, "a"),
		ok("a=1&&b=2", `{"a":"1","":"","b":"2"}`, "", "a", "b"),
		ok("&", `{"":""}`, ""),
		ok("a=%41%zz%4%", `{"a":"A%zz%4%"}`, "a"),
		ok("k%3D=v%26%2B+", `{"k=":"v&+ "}`, "k="),
		ok("arr=%7Ba,b,c%7D&q=%22%5C%0A", `{"arr":"{a,b,c}","q":"\"\\\n"}`, "arr", "q"),
		ok("v=hi&v=there", `{"v":"hi","v":"there"}`, "v"),
		ok("%FF=%C3%A9", `{"\ufffd":"é"}`, "\uFFFD"),
		{name: "empty", ct: ct, want: result{json: `{}`, rows: 1, empty: true}},
	})
	var p Payload
	if err := p.Parse([]byte(ct), []byte("v=hi&v=there&w&%41=%42"), Options{RPC: true}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range p.Form {
		got = append(got, string(f.Key)+"="+string(f.Value))
	}
	if want := []string{"v=hi", "v=there", "w=", "A=B"}; !slices.Equal(got, want) {
		t.Errorf("Form %q, want %q", got, want)
	}
}

// TestKeysKept: the strings of Keys survive later parses.
func TestKeysKept(t *testing.T) {
	var p Payload
	if err := p.Parse(nil, []byte(`{"a":1,"b":2}`), Options{}); err != nil {
		t.Fatal(err)
	}
	kept := slices.Clone(p.Keys)
	if err := p.Parse([]byte("text/csv"), []byte("x,y,z\n1,2,3"), Options{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kept, []string{"a", "b"}) || !slices.Equal(p.Keys, []string{"x", "y", "z"}) {
		t.Fatalf("kept %q, now %q", kept, p.Keys)
	}
	p.Reset()
	if p.JSON != nil || len(p.Keys) != 0 || p.Rows != 0 || p.Array {
		t.Fatalf("Reset left %+v", p)
	}
}

func TestErrorText(t *testing.T) {
	if got := errTooDeep.Error(); got != "PGRST102 (400): Empty or invalid json: JSON nested deeper than 10000 levels" {
		t.Fatal(got)
	}
}

// TestMarks checks the word-at-a-time scans against byte-at-a-time ones:
// the lowest mark of special and fieldEnd is the first byte they stand for.
func TestMarks(t *testing.T) {
	isSpecial := func(c byte) bool { return c == '"' || c == '\\' || c < ' ' || c >= 0x80 }
	isEnd := func(c byte) bool { return c == ',' || c == '\n' || c == '\r' || c == '"' }
	first := func(w [8]byte, f func(byte) bool) int {
		for i, c := range w {
			if f(c) {
				return i
			}
		}
		return 8
	}
	lowest := func(m uint64) int { return bits.TrailingZeros64(m) >> 3 }
	test := func(w [8]byte) {
		v := binary.LittleEndian.Uint64(w[:])
		if got, want := lowest(sqltext.JSONSpecial8(v)), first(w, isSpecial); got != want {
			t.Fatalf("special(%q) marks byte %d, want %d", w, got, want)
		}
		if got, want := lowest(fieldEnd(v)), first(w, isEnd); got != want {
			t.Fatalf("fieldEnd(%q) marks byte %d, want %d", w, got, want)
		}
	}
	// Every byte at every place in plain text, then followed by any byte.
	for pos := range 8 {
		for c := range 256 {
			for _, next := range []byte{'a', 0, '"', 0xff, ',', 0x1f, 0x20, 0x80} {
				w := [8]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
				w[pos] = byte(c)
				if pos < 7 {
					w[pos+1] = next
				}
				test(w)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		test(w)
	}
}

// The JSON of a CSV body is allocated once at about its size, and blank
// lines under a long header do not make the estimate grow past four times
// the body.
func TestCSVJSONSize(t *testing.T) {
	var p Payload
	body := bulkCSV(20000)
	if err := p.Parse([]byte("text/csv"), body, Options{}); err != nil {
		t.Fatal(err)
	}
	if n, c := len(p.buf), cap(p.buf); c < n || c > n+n/8 {
		t.Fatalf("%d bytes of JSON in a buffer of %d", n, c)
	}
	// Without the bound, 2,000 blank lines under this 12 KB header would
	// ask for about 26 MB.
	blanks := []byte(strings.Repeat("column_with_a_long_name,", 500) + "last\n" + strings.Repeat("\n", 2000))
	var q Payload
	if err := q.Parse([]byte("text/csv"), blanks, Options{}); err != nil {
		t.Fatal(err)
	}
	if q.Rows != 0 || cap(q.buf) > 4*len(blanks)+4096 {
		t.Fatalf("%d rows, a buffer of %d for a body of %d", q.Rows, cap(q.buf), len(blanks))
	}
}

// MaxJSON bounds the JSON of a CSV body: refused with 413 past it, taken
// up to it.
func TestCSVMaxJSON(t *testing.T) {
	var p Payload
	body := []byte(strings.Repeat("h", 100) + "\n" + strings.Repeat("x\n", 50))
	if err := p.Parse([]byte("text/csv"), body, Options{}); err != nil {
		t.Fatal(err)
	}
	n := len(p.JSON)
	if n < 50*100 {
		t.Fatalf("%d bytes of JSON", n)
	}
	if err := p.Parse([]byte("text/csv"), body, Options{MaxJSON: n}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	err := p.Parse([]byte("text/csv"), body, Options{MaxJSON: n - 1})
	var e *Error
	if !errors.As(err, &e) || e.Status != 413 || e.Code != "PGRST102" {
		t.Fatalf("past the limit: %#v", err)
	}
}
