package control

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pgrst/pgrst/sql"
)

// The check constraint of sql/pgrst_schema.sql lists exactly the options
// pgrst knows.
func TestSchemaSQLListsKnownOptions(t *testing.T) {
	text := sql.MustRead("pgrst_schema.sql")
	m := regexp.MustCompile(`(?s)key in \((.*?)\)`).FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no key list in pgrst_schema.sql")
	}
	var listed []string
	for _, q := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(m[1], -1) {
		listed = append(listed, q[1])
	}
	slices.Sort(listed)
	if want := OptionNames(); !slices.Equal(listed, want) {
		t.Fatalf("pgrst_schema.sql lists\n%q\ncontrol knows\n%q", listed, want)
	}
}

func TestSchemaSQLChannel(t *testing.T) {
	if s := SchemaSQL("pgrst", false); regexp.MustCompile(`ddl_reload|'o''x'`).MatchString(s) {
		t.Fatal("default channel: unexpected text")
	}
	s := SchemaSQL("o'x", true)
	if !regexp.MustCompile(`select 'o''x'::text`).MatchString(s) || !regexp.MustCompile(`ddl_command_end`).MatchString(s) {
		t.Fatal(s)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		args    []string
		want    Command
		wantErr string
	}{
		{[]string{"--ready"}, Command{Action: ActionReady}, ""},
		{[]string{"--ready", "a.conf"}, Command{Action: ActionReady, Path: "a.conf"}, ""},
		{[]string{"setup"}, Command{Action: ActionSetup}, ""},
		{[]string{"setup", "a.conf", "--ddl-reload"}, Command{Action: ActionSetup, Path: "a.conf", DDLReload: true}, ""},
		{[]string{"setup", "--role", "authenticator", "a.conf"}, Command{Action: ActionSetup, Path: "a.conf", Role: "authenticator"}, ""},
		{[]string{"setup", "--role=auth"}, Command{Action: ActionSetup, Role: "auth"}, ""},
		{[]string{"setup", "--role"}, Command{}, "--role needs a role name"},
		{[]string{"--ddl-reload"}, Command{}, "unknown flag --ddl-reload"},
		{[]string{"a.conf", "setup"}, Command{}, "only one config file can be given, got a.conf and setup"},
		{[]string{"--ready", "--help"}, Command{}, "--ready and --help cannot be used together"},
	}
	for _, tt := range tests {
		got, err := ParseCommand(tt.args)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%q: error %v, want %s", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}

// testPlane runs a plane without a database (db-config = false, no
// listener) on the config file path.
func testPlane(t *testing.T, path string, load func()) *Plane {
	t.Helper()
	base, err := LoadSettings(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Build(base)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlane(PlaneOptions{
		Path: path, Config: cfg, Log: zerolog.Nop(),
		Prepare: func(*Config) (func(), func(), error) { return func() {}, func() {}, nil },
		LoadSchema: func(context.Context, *Config) (string, error) {
			load()
			return "", nil
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return p
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A burst of requests costs at most two reloads.
func TestPlaneDebounce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pgrst.conf")
	os.WriteFile(path, []byte("db-config = false\ndb-channel-enabled = false\n"), 0o600)
	var loads atomic.Int32
	p := testPlane(t, path, func() {
		loads.Add(1)
		time.Sleep(20 * time.Millisecond)
	})
	waitUntil(t, "first load", func() bool { return p.Stats().SchemaLoaded })
	time.Sleep(100 * time.Millisecond)
	before := loads.Load()
	for i := 0; i < 50; i++ {
		p.ReloadSchema()
		time.Sleep(time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	if n := loads.Load() - before; n < 1 || n > 2 {
		t.Fatalf("50 requests: %d reloads", n)
	}
}

// A configuration reload applies a changed file, rejects an invalid value
// (the last good configuration stays) and keeps restart-only options.
func TestPlaneReloadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pgrst.conf")
	write := func(s string) {
		if err := os.WriteFile(path, []byte("db-config = false\ndb-channel-enabled = false\n"+s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("db-max-rows = 5\nserver-port = 3001\n")
	p := testPlane(t, path, func() {})
	reloaded := func(n uint64) func() bool {
		return func() bool { s := p.Stats(); return s.ConfigReloads+s.ConfigReloadFailures >= n }
	}

	write("db-max-rows = 6\nserver-port = 3002\n")
	p.ReloadConfig()
	waitUntil(t, "reload", reloaded(1))
	if c := p.Config(); c.DBMaxRows != 6 || c.ServerPort != 3001 {
		t.Fatalf("max rows %d, port %d", c.DBMaxRows, c.ServerPort)
	}

	write("db-max-rows = \"many\"\n")
	p.ReloadConfig()
	waitUntil(t, "rejected reload", reloaded(2))
	if s := p.Stats(); s.ConfigReloadFailures != 1 || p.Config().DBMaxRows != 6 {
		t.Fatalf("%+v, max rows %d", s, p.Config().DBMaxRows)
	}
}
