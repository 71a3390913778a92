package control

import (
	"regexp"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		action  Action
		path    string
		wantErr string
	}{
		{nil, ActionRun, "", ""},
		{[]string{"pgrst.conf"}, ActionRun, "pgrst.conf", ""},
		{[]string{"--help"}, ActionHelp, "", ""},
		{[]string{"-h"}, ActionHelp, "", ""},
		{[]string{"--version"}, ActionVersion, "", ""},
		{[]string{"-v"}, ActionVersion, "", ""},
		{[]string{"--example"}, ActionExample, "", ""},
		{[]string{"-e"}, ActionExample, "", ""},
		{[]string{"-h", "-h"}, ActionHelp, "", ""},
		{[]string{"a.conf", "--help"}, ActionHelp, "a.conf", ""},
		{[]string{"--", "-odd.conf"}, ActionRun, "-odd.conf", ""},
		{[]string{"--dump-config"}, ActionRun, "", "unknown flag --dump-config"},
		{[]string{"-x"}, ActionRun, "", "unknown flag -x"},
		{[]string{"a.conf", "b.conf"}, ActionRun, "", "only one config file can be given, got a.conf and b.conf"},
		{[]string{"--help", "--version"}, ActionRun, "", "--help and --version cannot be used together"},
		{[]string{""}, ActionRun, "", "empty config file name"},
	}
	for _, tt := range tests {
		action, path, err := ParseArgs(tt.args)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%q: got error %v, want %s", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || action != tt.action || path != tt.path {
			t.Errorf("%q: got (%v, %q, %v), want (%v, %q)", tt.args, action, path, err, tt.action, tt.path)
		}
	}
}

func TestUsage(t *testing.T) {
	u := Usage()
	for _, want := range []string{"--help", "--version", "--example", "PGRST_", "FILE", "docs.postgrest.org", Version} {
		if !strings.Contains(u, want) {
			t.Errorf("Usage() lacks %q", want)
		}
	}
}

// commentedBinding matches a commented-out option in Example().
var commentedBinding = regexp.MustCompile(`(?m)^# ([a-z][a-z0-9._-]* = )`)

func TestExample(t *testing.T) {
	ex := Example()
	env := []string{"DB_PASSWORD=pw"}

	s, err := ParseFile("example", []byte(ex), env)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Build(Merge(Defaults(), s))
	if err != nil {
		t.Fatal(err)
	}
	def, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The bindings left in are the defaults.
	for k, v := range s {
		if def.Get(k) != v {
			t.Errorf("example sets %s = %q, default is %q", k, v, def.Get(k))
		}
	}
	if len(c.Unknown) != 0 {
		t.Errorf("example has unknown options %q", c.Unknown)
	}

	// With every commented-out option enabled it still builds.
	all := commentedBinding.ReplaceAllString(ex, "$1")
	s, err = ParseFile("example", []byte(all), env)
	if err != nil {
		t.Fatal(err)
	}
	c, err = Build(Merge(Defaults(), s))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Unknown) != 0 {
		t.Errorf("example has unknown options %q", c.Unknown)
	}
	for _, name := range []string{
		"db-uri", "db-schemas", "db-anon-role", "db-pool", "db-pool-acquisition-timeout",
		"db-extra-search-path", "db-pre-request", "db-max-rows", "db-use-legacy-gucs",
		"server-host", "server-port", "jwt-secret", "jwt-secret-is-base64", "jwt-aud",
		"jwt-role-claim-key", "log-level", "app.settings.jwt_exp", "openapi-mode", "openapi-version",
	} {
		if _, ok := s[name]; !ok {
			t.Errorf("example lacks %s", name)
		}
	}
}
