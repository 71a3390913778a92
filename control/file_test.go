package control

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

func TestParseFile(t *testing.T) {
	env := []string{"HOME=/home/app", "SECRET=s3cr3t", "EMPTY="}
	tests := []struct {
		name string
		src  string
		want Settings
	}{
		{"empty", "", Settings{}},
		{"only comments and blanks", "# a comment\n\n   # indented\n\t\n", Settings{}},
		{"string", `db-uri = "postgres://u@h/db"`, Settings{"db-uri": "postgres://u@h/db"}},
		{"no spaces", `db-uri="x"`, Settings{"db-uri": "x"}},
		{"integer", "db-pool = 20", Settings{"db-pool": "20"}},
		{"negative", "db-max-rows = -3", Settings{"db-max-rows": "-3"}},
		{"exponent", "db-pool = 1e3", Settings{"db-pool": "1000"}},
		{"fraction kept", "db-pool = 1.5", Settings{"db-pool": "1.5"}},
		{"booleans", "log-query = true\ndb-config = false\nserver-reuseport = on\ndb-plan-enabled = off",
			Settings{"log-query": "true", "db-config": "false", "server-reuseport": "true", "db-plan-enabled": "false"}},
		{"trailing comment", `db-anon-role = "anon" # the role` + "\nserver-port = 3001# x",
			Settings{"db-anon-role": "anon", "server-port": "3001"}},
		{"hash inside string", `jwt-aud = "a#b"`, Settings{"jwt-aud": "a#b"}},
		{"CRLF", "db-pool = 5\r\ndb-anon-role = \"anon\"\r\n", Settings{"db-pool": "5", "db-anon-role": "anon"}},
		{"BOM", "\ufeffdb-pool = 5", Settings{"db-pool": "5"}},
		{"escapes", `jwt-role-claim-key = ".\"https://x.io/role\"\\n\t\u00e9\ud83d\ude00"`,
			Settings{"jwt-role-claim-key": ".\"https://x.io/role\"\\n\t\u00e9\U0001F600"}},
		{"multi-line string", "jwt-secret = \"{\n  \\\"kty\\\": \\\"oct\\\"\n}\"\ndb-pool = 2",
			Settings{"jwt-secret": "{\n  \"kty\": \"oct\"\n}", "db-pool": "2"}},
		{"value on next line", "db-pool =\n  4", Settings{"db-pool": "4"}},
		{"env interpolation", `db-uri = "postgres://app:$(SECRET)@$(HOME)/x"`,
			Settings{"db-uri": "postgres://app:s3cr3t@/home/app/x"}},
		{"empty env var", `db-anon-role = "a$(EMPTY)b"`, Settings{"db-anon-role": "ab"}},
		{"earlier key interpolation", "app.settings.host = \"h\"\ndb-uri = \"postgres://$(app.settings.host)/d\"",
			Settings{"app.settings.host": "h", "db-uri": "postgres://h/d"}},
		{"dollar escape", `jwt-role-claim-key = "$$.role"`, Settings{"jwt-role-claim-key": "$.role"}},
		{"lone dollar kept", `jwt-secret = "a$b$"`, Settings{"jwt-secret": "a$b$"}},
		{"backslash does not escape $(", `jwt-aud = "\\$(X"`, nil}, // an error
		{"dotted app settings", "app.settings.jwt_exp = \"3600\"\napp.settings.Other-Key = 5",
			Settings{"app.settings.jwt_exp": "3600", "app.settings.other-key": "5"}},
		{"alias", `db-schema = "api"`, Settings{"db-schemas": "api"}},
		{"all aliases", "db-schema = \"a\"\nmax-rows = 1\npre-request = \"p\"\nroot-spec = \"r\"\n" +
			"db-pool-timeout = 7\nsecret-is-base64 = true\nrole-claim-key = \".r\"",
			Settings{"db-schemas": "a", "db-max-rows": "1", "db-pre-request": "p", "db-root-spec": "r",
				"db-pool-max-idletime": "7", "jwt-secret-is-base64": "true", "jwt-role-claim-key": ".r"}},
		{"current name beats alias before", "db-schemas = \"new\"\ndb-schema = \"old\"", Settings{"db-schemas": "new"}},
		{"current name beats alias after", "db-schema = \"old\"\ndb-schemas = \"new\"", Settings{"db-schemas": "new"}},
		{"last binding wins", "db-pool = 1\ndb-pool = 2", Settings{"db-pool": "2"}},
		{"unknown key kept", `no-such-option = "x"`, Settings{"no-such-option": "x"}},
		{"underscore and case", `DB_ANON_ROLE = "anon"`, Settings{"db-anon-role": "anon"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFile("t.conf", []byte(tt.src), env)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("want an error, got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing equals", "db-uri \"x\"", `t.conf:1: expected '=' after db-uri`},
		{"bare word", "db-pool = 1\n\ndb-uri = postgres", `t.conf:3: value of db-uri: expected a double-quoted string, a number or true/false, found postgres`},
		{"single quotes", "db-anon-role = 'anon'", `t.conf:1: value of db-anon-role: expected a double-quoted string, a number or true/false, found "'anon'"`},
		{"missing value", "db-pool =", `t.conf:1: missing value for db-pool`},
		{"unterminated string", "db-pool = 1\ndb-uri = \"abc\n\n", `t.conf:2: string not terminated (missing closing '"')`},
		{"unknown escape", `jwt-aud = "a\qb"`, `t.conf:1: unknown escape \q in string (use \\ for a backslash)`},
		{"bad unicode escape", `jwt-aud = "\u12"`, `t.conf:1: invalid \u escape (want four hex digits)`},
		{"lone surrogate", `jwt-aud = "\ud83d"`, `t.conf:1: invalid UTF-16 surrogate in \u escape`},
		{"two bindings on a line", `db-pool = 1 db-uri = "x"`, `t.conf:1: unexpected text after the value of db-pool (one binding per line)`},
		{"text after string", `db-uri = "x" "y"`, `t.conf:1: unexpected text after the value of db-uri (one binding per line)`},
		{"key starts with digit", "\n1db = 1", `t.conf:2: expected an option name, found "1db = 1"`},
		{"key word starts with digit", "app.1 = 1", `t.conf:1: a word of an option name must start with a letter in "app."`},
		{"key ends with dot", "app. = 1", `t.conf:1: a word of an option name must start with a letter in "app."`},
		{"not a number", "db-pool = 10abc", `t.conf:1: value of db-pool: "10abc" is not a number (quote strings)`},
		{"list", "db-schemas = [\"a\"]", `t.conf:1: lists are not supported (value of db-schemas)`},
		{"group", "app {\n x = 1\n}", `t.conf:1: groups (app { ... }) are not supported; write app.name = value`},
		{"import", `import "other.conf"`, `t.conf:1: import is not supported`},
		{"no such variable", "\n\ndb-uri = \"$(NOPE)\"", `t.conf:3: no such variable $(NOPE): not set in the environment`},
		{"unterminated interpolation", `db-uri = "$(HOME"`, `t.conf:1: unterminated $( in string (use $$ for a literal '$')`},
		{"empty interpolation", `db-uri = "$()"`, `t.conf:1: empty $() in string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFile("t.conf", []byte(tt.src), []string{"HOME=/h"})
			if err == nil {
				t.Fatalf("want error %q, got %v", tt.want, got)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want a *SyntaxError, got %T", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "pgrst.conf")
	if err := os.WriteFile(path, []byte("db-pool = 3\ndb-uri = x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path, nil)
	if want := path + ":2: value of db-uri: expected a double-quoted string, a number or true/false, found x"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	_, err = ReadFile(filepath.Join(dir, "missing.conf"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v", err)
	}
}

// FuzzParseFile checks that no input makes the parser or Build panic, and
// that every parse error is a one-line *SyntaxError.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(Example()))
	f.Add([]byte("db-uri = \"$(HOME)\\u00e9\\\"$$\"\napp.settings.x = 1e3 # c\n"))
	f.Add([]byte("a.b = [\"x\"]\nimport \"y\"\nc { d = on }\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := ParseFile("f.conf", src, []string{"HOME=/h"})
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		_, _ = Build(s)
	})
}
