package planner

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/sql from the planner's output")

// The SQL the planner emits, as golden files a reviewer reads: each file
// of testdata/sql starts with the request (its lines up to "--"), and the
// rest is what the planner makes of it: the statement (broken into lines
// before its main clauses, for reading), the EXPLAIN of a planned count,
// and the bound arguments. go test ./planner -run Golden -update rewrites
// the rest from the planner's output; a new case is a file with the
// request lines alone.
//
//	target films              (the relation, in schema test)
//	query select=id&year=gt.1 (the query string)
//	schema embed              (embedSchema; default testSchema)
//	count exact | max-rows 10 | body csv | head | legacy | distinct (db-distinct-enabled)
//	keyset                    (Prefer: pagination=keyset)
//	action insert | keys a,b | return representation | resolution merge | missing default
//	call get | call post      (a call of the function target, in callSchema)
//	payload {"a":1}           (a call's JSON body; its keys are the arguments)
func TestGoldenSQL(t *testing.T) {
	files, err := filepath.Glob("testdata/sql/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			head, _, _ := strings.Cut(string(data), "\n--")
			head = strings.TrimRight(head, "\n") + "\n"
			got := head + renderPlan(t, head)
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(data) {
				t.Errorf("%s differs from the planner's output (go test ./planner -run Golden -update rewrites it):\n%s", file, got)
			}
		})
	}
}

// renderPlan plans the request described by head and renders the output
// part of a golden file.
func renderPlan(t *testing.T, head string) string {
	o := ReadOptions{Schema: "test"}
	target, query := "", ""
	s := testSchema()
	action := ActionRead
	var prefer Preferences
	var keys []string
	var payload []byte
	for _, line := range strings.Split(strings.TrimSpace(head), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "target":
			target = v
		case "query":
			query = v
		case "schema":
			if v == "embed" {
				s = embedSchema()
			}
		case "count":
			o.Count = map[string]Count{"exact": CountExact, "planned": CountPlanned, "estimated": CountEstimated}[v]
		case "max-rows":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			o.MaxRows = n
		case "body":
			o.Body = map[string]Body{"json": BodyJSON, "stripped": BodyJSONStripped, "object": BodyObject,
				"csv": BodyCSV, "text": BodyText, "xml": BodyXML, "binary": BodyBinary}[v]
		case "head":
			o.Head = true
		case "legacy":
			o.LegacyTargetNames = true
		case "distinct":
			o.Distinct = true
		case "keyset":
			prefer.Keyset = true
		case "action":
			action = map[string]Action{"insert": ActionInsert, "update": ActionUpdate, "upsert": ActionUpsert, "delete": ActionDelete}[v]
		case "keys":
			keys = strings.Split(v, ",")
		case "return":
			prefer.Return = map[string]Return{"representation": ReturnRepresentation, "minimal": ReturnMinimal, "headers-only": ReturnHeadersOnly}[v]
		case "resolution":
			prefer.Resolution = map[string]Resolution{"merge": ResolutionMerge, "ignore": ResolutionIgnore}[v]
		case "missing":
			prefer.Missing = map[string]Missing{"default": MissingDefault, "null": MissingNull}[v]
		case "call":
			s = callSchema()
			o.Call = &Call{Post: v == "post"}
		case "payload":
			payload = []byte(v)
			keys = payloadKeys(t, v)
		default:
			t.Fatalf("unknown line %q", line)
		}
	}
	q := &Query{}
	parse := ParseQueryInto
	if o.Call != nil && !o.Call.Post {
		parse = ParseCallQueryInto
	}
	if err := parse(q, query); err != nil {
		return "-- error\n" + err.Error() + "\n"
	}
	r := o.request(q, target)
	if o.Call == nil {
		r.Action = action
	}
	r.Payload.Keys = keys
	prefer.Count = o.Count
	r.Prefer = prefer
	p, err := New(r, s)
	if err != nil {
		return "-- error\n" + err.Error() + "\n"
	}
	var b strings.Builder
	b.WriteString("-- sql\n")
	b.WriteString(breakLines(p.SQL))
	if p.ExplainSQL != "" {
		b.WriteString("-- explain\n")
		b.WriteString(breakLines(p.ExplainSQL))
		writeArgs(&b, explainArgs(p, q))
	}
	b.WriteString("-- args\n")
	r.Payload.JSON = []byte(`{"body":1}`)
	if o.Call != nil {
		r.Payload.JSON = append([]byte{}, payload...) // a call's body, "" when none
	}
	var a Args
	p.Bind(&a, r)
	writeArgs(&b, anyArgs(a.Vals))
	if p.Warning != "" {
		b.WriteString("-- warning\n" + p.Warning + "\n")
	}
	return b.String()
}

func writeArgs(b *strings.Builder, args []any) {
	for i, a := range args {
		if a == nil {
			fmt.Fprintf(b, "$%d NULL\n", i+1)
		} else {
			fmt.Fprintf(b, "$%d %q\n", i+1, a)
		}
	}
}

// clauses start a new line in a golden file.
var clauses = []string{" FROM ", " WHERE ", " LEFT JOIN LATERAL ", " INNER JOIN LATERAL ", " ORDER BY ",
	" LIMIT ", " pgrst_source_count AS ", " pgrst_source AS ", " SELECT ", " RETURNING ", " ON CONFLICT"}

// breakLines breaks sql into lines before the clauses, outside quotes.
func breakLines(sql string) string {
	var b bytes.Buffer
	var quote byte
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		default:
			for _, k := range clauses {
				if strings.HasPrefix(sql[i:], k) {
					b.WriteByte('\n')
					i++ // the clause's leading space becomes the line break
					c = sql[i]
					break
				}
			}
		}
		b.WriteByte(c)
	}
	b.WriteByte('\n')
	return b.String()
}
