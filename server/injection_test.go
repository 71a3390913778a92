package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
	"github.com/pgrst/pgrst/wire/pgtest"
)

// injectionPayloads are classic SQL injection strings: quotes of every
// kind, statement separators, comments, dollar quoting, casts, NUL,
// unicode escapes and look-alikes, and a long value. Several try to change
// the canary (sql/test_security.sql), which TestInjection checks after.
var injectionPayloads = []string{
	`'`,
	`''`,
	`"`,
	`\`,
	`' or '1'='1`,
	`" or "1"="1`,
	`1 or 1=1`,
	`1) or (1=1`,
	`'; delete from canary.sentinel; --`,
	`"; delete from canary.sentinel; --`,
	`); delete from canary.sentinel; --`,
	`1; drop table canary.sentinel`,
	`'); update canary.sentinel set note = 'pwned'; --`,
	`"); create table canary.pwned (); --`,
	`$$; delete from canary.sentinel; $$`,
	`$q$ || (select note from canary.sentinel) || $q$`,
	`' || (select note from canary.sentinel) || '`,
	`x::text; delete from canary.sentinel`,
	`/* comment`,
	`*/ delete from canary.sentinel /*`,
	`-- comment`,
	"a\x00b",
	`\u0000`,
	`\x27; delete from canary.sentinel; --`,
	`E'\x27'`,
	"\u2019; delete from canary.sentinel; --",  // a quote look-alike
	"\uff07 or 1=1 --",                         // fullwidth apostrophe
	"\U0001F600\u202e'",                        // emoji and a bidi override
	`%27%3B%20delete%20from%20canary.sentinel`, // encoded twice
	`a,b)`,
	`(select 1)`,
	`{"a":1}`,
	`*`,
	strings.Repeat(`';--`, 1000), // 4 KB
}

// injectionPoint is one place where a client's text reaches SQL: it sends
// one request carrying payload p and may check the answer beyond the
// suite's rule (ok or a clean 4xx).
type injectionPoint struct {
	name string
	send func(s *testServer, p string) injReply
	// check, when set, tells whether a 2xx answer is the correct one.
	check func(p string, r injReply) error
}

type injReply struct {
	method, url string
	status      int
	body        string
}

// injClient never follows redirects and has no cookie jar.
var injClient = &http.Client{Timeout: 30 * time.Second}

// injDo sends a request; headers alternate name, value. Transport errors
// come back as status 0.
func injDo(s *testServer, method, path, body string, headers ...string) injReply {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := injReply{method: method, url: path}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		r.body = "building the request: " + err.Error()
		return r
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header[headers[i]] = append(req.Header[headers[i]], headers[i+1]) // not canonicalised
	}
	res, err := injClient.Do(req)
	if err != nil {
		r.body = err.Error()
		return r
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r.status, r.body = res.StatusCode, string(b)
	return r
}

func q(p string) string { return url.QueryEscape(p) }

// inQuoted is p as a double-quoted element of an in list.
func inQuoted(p string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p) + `"`
}

// csvField is p as a quoted CSV field.
func csvField(p string) string { return `"` + strings.ReplaceAll(p, `"`, `""`) + `"` }

// jsonString is p as a JSON string.
func jsonString(p string) string {
	b, _ := json.Marshal(p)
	return string(b)
}

// headerSafe reports whether p can be an HTTP header value.
func headerSafe(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// tokenOf keeps the bytes of p that may appear in a header name.
func tokenOf(p string) string {
	var b strings.Builder
	b.WriteString("x-inj-")
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}

var (
	preferJSON  = []string{"Content-Type", "application/json", "Prefer", "return=representation"}
	errNotEqual = fmt.Errorf("not the payload")
	// PostgreSQL text cannot hold NUL: such a value is refused on insert,
	// so no row has it.
	injRowsCheck = func(p string, r injReply) error { return checkNames(p, r, !strings.Contains(p, "\x00")) }
)

// checkNames checks that a 2xx body is a JSON array whose rows' name is p
// (at least one row when nonEmpty).
func checkNames(p string, r injReply, nonEmpty bool) error {
	var rows []struct{ Name *string }
	if err := json.Unmarshal([]byte(r.body), &rows); err != nil {
		return err
	}
	if nonEmpty && len(rows) == 0 {
		return fmt.Errorf("no row")
	}
	for _, row := range rows {
		if row.Name == nil || *row.Name != p {
			return errNotEqual
		}
	}
	return nil
}

// checkJSON checks that a 2xx body is JSON.
func checkJSON(_ string, r injReply) error {
	var v any
	return json.Unmarshal([]byte(r.body), &v)
}

// whoamiField checks a field of /whoami against p.
func whoamiField(field string) func(p string, r injReply) error {
	return func(p string, r injReply) error {
		var rows []map[string]*string
		if err := json.Unmarshal([]byte(r.body), &rows); err != nil {
			return err
		}
		if len(rows) != 1 || rows[0][field] == nil || *rows[0][field] != p {
			return errNotEqual
		}
		return nil
	}
}

// hs256 signs claims with the test secret. Unlike token, it takes any
// claim name and value that encoding/json can write, and may run outside
// the test's goroutine.
func hs256(claims map[string]any) string {
	b, _ := json.Marshal(claims)
	head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(b)
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(head))
	return head + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func injectionPoints() []injectionPoint {
	upsert := []string{"Content-Type", "application/json", "Prefer", "resolution=merge-duplicates"}
	return []injectionPoint{
		// Values: they round-trip unchanged, whatever they hold.
		{"json body value", func(s *testServer, p string) injReply {
			return injDo(s, "POST", "/inj?select=name", `{"name":`+jsonString(p)+`}`, preferJSON...)
		}, injRowsCheck},
		{"csv body value", func(s *testServer, p string) injReply {
			return injDo(s, "POST", "/inj?select=name", "name\n"+csvField(p)+"\n",
				"Content-Type", "text/csv", "Prefer", "return=representation")
		}, injRowsCheck},
		{"filter value eq", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=name&name=eq."+q(p), "")
		}, injRowsCheck}, // the inserts above made the rows
		{"filter value not.eq", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=name&name=not.eq."+q(p)+"&name=eq."+q(p), "")
		}, func(p string, r injReply) error { return checkNames(p, r, false) }},
		{"in list bare", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=name&name=in.("+q(p)+",zz)", "")
		}, checkJSON},
		{"in list quoted", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=name&name=in.("+q(inQuoted(p))+")", "")
		}, injRowsCheck},
		{"like pattern", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=name&name=like."+q(p), "")
		}, checkJSON},
		{"ilike pattern", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=name&name=ilike.*"+q(p)+"*", "")
		}, checkJSON},
		{"fts value", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=name&name=fts(english)."+q(p), "")
		}, checkJSON},
		{"fts language", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=name&name=fts("+q(p)+").x", "")
		}, checkJSON},
		{"is value", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?name=is."+q(p), "")
		}, checkJSON},
		{"array contains", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?tags=cs.{"+q(p)+"}", "")
		}, checkJSON},
		{"any quantifier", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?name=eq(any).{"+q(p)+",b}", "")
		}, checkJSON},
		{"logic tree value", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?or=(name.eq."+q(p)+",id.eq.1)", "")
		}, checkJSON},
		{"logic tree quoted value", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?and=(name.eq."+q(inQuoted(p))+",id.gt.0)", "")
		}, checkJSON},
		{"limit", func(s *testServer, p string) injReply { return injDo(s, "GET", "/inj?limit="+q(p), "") }, checkJSON},
		{"offset", func(s *testServer, p string) injReply { return injDo(s, "GET", "/inj?offset="+q(p), "") }, checkJSON},

		// Names: a name is quoted as an identifier or refused.
		{"json path key in select", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=data->>"+q(p), "")
		}, checkJSON},
		{"json path key in filter", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?data->"+q(p)+"=eq.1", "")
		}, checkJSON},
		{"json path array index", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=data->"+q(p)+"->>k", "")
		}, checkJSON},
		{"select column", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select="+q(p), "")
		}, checkJSON},
		{"select quoted column", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select="+q(inQuoted(p)), "")
		}, checkJSON},
		{"filter column", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?"+q(p)+"=eq.1", "")
		}, checkJSON},
		{"alias", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select="+q(p)+":name", "")
		}, checkJSON},
		{"quoted alias", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select="+q(inQuoted(p))+":name", "")
		}, checkJSON},
		{"cast", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=name::"+q(p), "")
		}, checkJSON},
		{"aggregate cast", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id.sum()::"+q(p), "")
		}, checkJSON},
		{"order column", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?order="+q(p), "")
		}, checkJSON},
		{"order direction", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?order=name."+q(p), "")
		}, checkJSON},
		{"embed name", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id,"+q(p)+"(*)", "")
		}, checkJSON},
		{"embed hint", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id,inj_child!"+q(p)+"(*)", "")
		}, checkJSON},
		{"embed filter", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id,inj_child(note)&inj_child.note=eq."+q(p), "")
		}, checkJSON},
		{"embed alias order", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id,c:inj_child(note)&c.order="+q(p), "")
		}, checkJSON},
		{"target", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/"+url.PathEscape(p), "")
		}, checkJSON},
		{"function name", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/rpc/"+url.PathEscape(p), "")
		}, checkJSON},

		// Writes.
		{"json body key", func(s *testServer, p string) injReply {
			return injDo(s, "POST", "/inj", `{`+jsonString(p)+`:1}`, preferJSON...)
		}, nil},
		{"csv body key", func(s *testServer, p string) injReply {
			return injDo(s, "POST", "/inj", csvField(p)+"\n1\n", "Content-Type", "text/csv")
		}, nil},
		{"columns", func(s *testServer, p string) injReply {
			return injDo(s, "POST", "/inj?columns="+q(p), `{"name":"c"}`, preferJSON...)
		}, nil},
		{"on_conflict", func(s *testServer, p string) injReply {
			return injDo(s, "POST", "/inj?on_conflict="+q(p), `{"id":1,"name":"plain"}`, upsert...)
		}, nil},
		{"patch filter value", func(s *testServer, p string) injReply {
			return injDo(s, "PATCH", "/inj?name=eq."+q(p)+"&id=lt.0", `{"name":"never"}`, "Content-Type", "application/json")
		}, nil},
		{"delete filter value", func(s *testServer, p string) injReply {
			return injDo(s, "DELETE", "/inj?name=eq."+q(p)+"&id=lt.0", "")
		}, nil},

		// Headers that become settings or choose things.
		{"Prefer timezone", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id", "", "Prefer", "timezone="+p)
		}, checkJSON},
		{"Prefer count", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id", "", "Prefer", "count="+p)
		}, checkJSON},
		{"Prefer max-affected", func(s *testServer, p string) injReply {
			return injDo(s, "DELETE", "/inj?id=lt.0", "", "Prefer", "handling=strict", "Prefer", "max-affected="+p)
		}, nil},
		{"Prefer whole", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id", "", "Prefer", p)
		}, checkJSON},
		{"Accept-Profile", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id", "", "Accept-Profile", p)
		}, checkJSON},
		{"Content-Profile", func(s *testServer, p string) injReply {
			return injDo(s, "POST", "/inj", `{"name":"cp"}`, "Content-Type", "application/json", "Content-Profile", p)
		}, nil},
		{"Accept", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id", "", "Accept", p)
		}, nil},
		{"Range", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/inj?select=id", "", "Range", p)
		}, checkJSON},
		{"header value", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/whoami?select=x_test", "", "x-test", p)
		}, whoamiField("x_test")},
		{"header name", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/whoami?select=role", "", tokenOf(p), "1")
		}, checkJSON},
		{"cookie", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/whoami?select=cookie_session", "", "Cookie", "session="+p)
		}, checkJSON},
		{"cookie name", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/whoami?select=role", "", "Cookie", tokenOf(p)+"=1")
		}, checkJSON},

		// JWT claims become settings; the role claim picks the role.
		{"jwt claim value", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/whoami?select=claims", "", bearer(hs256(map[string]any{"role": "web_anon", "sub": p}))...)
		}, func(p string, r injReply) error {
			var rows []struct{ Claims string }
			if err := json.Unmarshal([]byte(r.body), &rows); err != nil || len(rows) != 1 {
				return fmt.Errorf("rows %v", err)
			}
			var claims map[string]any
			if err := json.Unmarshal([]byte(rows[0].Claims), &claims); err != nil {
				return err
			}
			if claims["sub"] != p {
				return errNotEqual
			}
			return nil
		}},
		{"jwt claim name", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/whoami?select=role", "", bearer(hs256(map[string]any{"role": "web_anon", p: 1}))...)
		}, func(_ string, r injReply) error { return whoamiField("role")("web_anon", r) }},
		{"jwt role", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/whoami?select=role", "", bearer(hs256(map[string]any{"role": p}))...)
		}, nil},

		// Functions: argument names and values.
		{"rpc get value", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/rpc/inj_echo?a="+q(p), "")
		}, func(p string, r injReply) error {
			if r.body != jsonString(p) {
				var got string
				if json.Unmarshal([]byte(r.body), &got) != nil || got != p {
					return errNotEqual
				}
			}
			return nil
		}},
		{"rpc get argument name", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/rpc/inj_echo?"+q(p)+"=1", "")
		}, checkJSON},
		{"rpc post value", func(s *testServer, p string) injReply {
			return injDo(s, "POST", "/rpc/inj_write", `{"a":`+jsonString(p)+`}`, "Content-Type", "application/json")
		}, checkJSON},
		{"rpc post argument name", func(s *testServer, p string) injReply {
			return injDo(s, "POST", "/rpc/inj_echo", `{`+jsonString(p)+`:"x"}`, "Content-Type", "application/json")
		}, checkJSON},
		{"rpc form argument", func(s *testServer, p string) injReply {
			return injDo(s, "POST", "/rpc/inj_write", q(p)+"="+q(p)+"&a="+q(p), "Content-Type", "application/x-www-form-urlencoded")
		}, checkJSON},
		{"rpc filter on result", func(s *testServer, p string) injReply {
			return injDo(s, "GET", "/rpc/inj_echo?a=x&"+q(p)+"=eq.x", "")
		}, nil},
	}
}

// Every place where a client's text reaches SQL, with every payload: the
// answer is correct or a clean 4xx with a PostgREST error body, never a
// 5xx; and the canary is untouched at the end, so nothing a payload said
// ran as SQL.
func TestInjection(t *testing.T) {
	// With the legacy settings too (db-use-legacy-gucs, on by default):
	// header, cookie and claim names become parts of setting names.
	logged := logStatements(t)
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.LegacyGUCs = true })
	points := injectionPoints()
	type job struct {
		point injectionPoint
		p     string
	}
	var sent, ok2xx, refused atomic.Int64
	var failures atomic.Int64
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 30 {
			t.Errorf(format, args...)
		}
	}
	// The value points come first, in order: the reads find the rows the
	// inserts made.
	for _, pt := range points {
		jobs := make(chan job)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					r := j.point.send(s, j.p)
					sent.Add(1)
					switch {
					case r.status == 0:
						// The Go client refuses some header values itself.
						if strings.Contains(r.body, "net/http: invalid header field") {
							continue
						}
						fail("%s %q: no answer: %s", j.point.name, j.p, r.body)
					case r.status >= 200 && r.status < 300:
						ok2xx.Add(1)
						if j.point.check != nil {
							if err := j.point.check(j.p, r); err != nil {
								fail("%s %q: %s %s → %d %s: %v", j.point.name, j.p, r.method, r.url, r.status, clip(r.body), err)
							}
						}
					case r.status >= 400 && r.status < 500:
						refused.Add(1)
						if err := cleanError(r.body); err != nil {
							fail("%s %q: %s %s → %d %s: %v", j.point.name, j.p, r.method, r.url, r.status, clip(r.body), err)
						}
					default:
						fail("%s %q: %s %s → %d %s", j.point.name, j.p, r.method, r.url, r.status, clip(r.body))
					}
				}
			}()
		}
		for _, p := range injectionPayloads {
			jobs <- job{pt, p}
		}
		close(jobs)
		wg.Wait()
	}
	t.Logf("%d requests: %d answered 2xx, %d refused with 4xx", sent.Load(), ok2xx.Load(), refused.Load())
	checkCanary(t)
	checkStatements(t, logged())
}

// logStatements has the database log every statement of the connections
// the authenticator opens from now on; the function it returns reads
// them from the log (one string per statement, as sent).
func logStatements(t *testing.T) func() []string {
	t.Helper()
	c := pgtest.Shared()
	ctx := context.Background()
	if err := c.Exec(ctx, `alter role authenticator set log_statement = 'all'`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Exec(ctx, `alter role authenticator reset log_statement`) })
	path := filepath.Join(c.Dir(), "postgres.log")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	from := st.Size()
	return func() []string {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.NewSectionReader(f, from, 1<<40))
		if err != nil {
			t.Fatal(err)
		}
		// An entry starts with its time stamp; its continuation lines
		// (a statement's further lines) do not.
		var stmts []string
		entries := logEntry.FindAllStringSubmatchIndex(string(b), -1)
		for i, m := range entries {
			end := len(b)
			if i+1 < len(entries) {
				end = entries[i+1][0]
			}
			if string(b[m[2]:m[3]]) != "LOG" {
				continue // parameters, errors, the failed statement again
			}
			text := string(b[m[1]:end])
			if sql, ok := strings.CutPrefix(text, "statement: "); ok {
				stmts = append(stmts, strings.TrimSuffix(sql, "\n"))
			} else if rest, ok := strings.CutPrefix(text, "execute "); ok {
				if _, sql, ok := strings.Cut(rest, ": "); ok {
					stmts = append(stmts, strings.TrimSuffix(sql, "\n"))
				}
			}
		}
		return stmts
	}
}

// logEntry is the start of an entry of the log: time stamp, process id,
// level.
var logEntry = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.\d]* UTC \[\d+\] ([A-Z]+):  `)

// checkStatements fails the test when a statement the database ran has,
// outside its quoted identifiers and literals, a statement separator or
// the canary's name: text of a client's that escaped its quoting.
func checkStatements(t *testing.T, stmts []string) {
	t.Helper()
	if len(stmts) < 1000 {
		t.Fatalf("only %d statements in the database's log", len(stmts))
	}
	for _, sql := range stmts {
		bare := unquoted(sql)
		if strings.Contains(bare, ";") || strings.Contains(strings.ToLower(bare), "canary") {
			t.Errorf("a statement the client wrote:\n%s", clip(sql))
		}
	}
	t.Logf("%d statements in the database's log, none with a client's text outside quotes", len(stmts))
}

// unquoted is sql without its quoted identifiers, string literals
// (standard or E” escapes) and comments.
func unquoted(sql string) string {
	var b strings.Builder
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '"' || c == '\'':
			escapes := c == '\'' && i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e')
			for i++; i < len(sql); i++ {
				if escapes && sql[i] == '\\' {
					i++
					continue
				}
				if sql[i] == c {
					if i+1 < len(sql) && sql[i+1] == c {
						i++
						continue
					}
					break
				}
			}
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// cleanError checks that body is PostgREST's error object: code, message,
// details and hint, a non-empty code and message.
func cleanError(body string) error {
	var e map[string]any
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return fmt.Errorf("not a JSON error body")
	}
	for _, k := range []string{"code", "message", "details", "hint"} {
		if _, ok := e[k]; !ok {
			return fmt.Errorf("no %q", k)
		}
	}
	if c, _ := e["code"].(string); c == "" {
		return fmt.Errorf("no code")
	}
	if m, _ := e["message"].(string); m == "" {
		return fmt.Errorf("no message")
	}
	return nil
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// checkCanary fails the test unless canary.sentinel holds its one row
// unchanged and nothing else exists in the schema canary.
func checkCanary(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.Shared().URI("postgres", "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows, objects int
	var notes string
	err = conn.QueryRow(ctx, `select (select count(*) from canary.sentinel),
		(select coalesce(string_agg(note, ','), '') from canary.sentinel),
		(select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'canary')`).
		Scan(&rows, &notes, &objects)
	if err != nil {
		t.Fatalf("the canary: %v", err)
	}
	// The table and its primary key's index.
	if rows != 1 || notes != "untouched" || objects != 2 {
		t.Fatalf("the canary changed: %d rows %q, %d objects in its schema", rows, notes, objects)
	}
}

// unquoted keeps what a payload that escaped its quotes would leave.
func TestUnquoted(t *testing.T) {
	for in, want := range map[string]string{
		`select "a;""b" from t where x = 'c;''d' -- e; canary`: `select  from t where x =  `,
		`select E'\'; delete', 1; delete from canary`:          `select E, 1; delete from canary`,
		`select 'a''; drop table canary; --'`:                  `select `,
		`select "x"; drop table canary.sentinel`:               `select ; drop table canary.sentinel`,
	} {
		if got := unquoted(in); got != want {
			t.Errorf("unquoted(%q) = %q, want %q", in, got, want)
		}
	}
}
