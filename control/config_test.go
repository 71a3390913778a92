package control

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const secret32 = "0123456789abcdef0123456789abcdef"

// build builds a config from defaults and raw settings.
func build(t *testing.T, raw Settings) (*Config, error) {
	t.Helper()
	return Build(Merge(Defaults(), raw))
}

func mustBuild(t *testing.T, raw Settings) *Config {
	t.Helper()
	c, err := build(t, raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"DBURI", c.DBURI, "postgresql://"},
		{"DBSchemas", c.DBSchemas, []string{"public"}},
		{"DBAnonRole", c.DBAnonRole, ""},
		{"DBPool", c.DBPool, 10},
		{"DBPoolAcquisitionTimeout", c.DBPoolAcquisitionTimeout, 10 * time.Second},
		{"DBExtraSearchPath", c.DBExtraSearchPath, []string{"public"}},
		{"DBPreRequest", c.DBPreRequest, ""},
		{"DBMaxRows", c.DBMaxRows, int64(0)},
		{"DBUseLegacyGUCs", c.DBUseLegacyGUCs, true},
		{"ServerHost", c.ServerHost, "!4"},
		{"ServerPort", c.ServerPort, 3000},
		{"JWTSecret", c.JWTSecret, []byte(nil)},
		{"JWTSecretIsJWK", c.JWTSecretIsJWK, false},
		{"JWTSecretIsBase64", c.JWTSecretIsBase64, false},
		{"JWTAud", c.JWTAud, ""},
		{"JWTRoleClaimKey", c.JWTRoleClaimKey, "$.role"},
		{"AppSettings", c.AppSettings, []AppSetting(nil)},
		{"LogLevel", c.LogLevel, LogError},
		{"Unknown", c.Unknown, []string(nil)},
		{"db-channel", c.Get("db-channel"), "pgrst"},
		{"db-tx-end", c.Get("db-tx-end"), "commit"},
		{"admin-server-host", c.Get("admin-server-host"), "!4"},
		{"db-channel-enabled", c.Bool("db-channel-enabled"), true},
		{"jwt-cache-max-entries", c.Int("jwt-cache-max-entries"), int64(1000)},
		{"db-pool-max-lifetime", c.Int("db-pool-max-lifetime"), int64(1800)},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}
}

func TestLoadFileAndEnv(t *testing.T) {
	path := writeFile(t, "pgrst.conf", `
# a PostgREST-style file
db-uri = "postgres://file@localhost/app"
db-schema = "api, v2"          # old name
db-anon-role = "web_anon"
db-pool = 5
server-port = 3001
jwt-secret = "$(JWT)"
app.settings.jwt_exp = "3600"
app.settings.from_file = "f"
no-such-option = 1
`)
	environ := []string{
		"JWT=" + secret32,
		"PGRST_DB_URI=postgres://env@db/app",
		"PGRST_DB_POOL=7",
		"PGRST_APP_SETTINGS_JWT_EXP=60",
		"PGRST_APP_SETTINGS_FROM_ENV=e",
		"PGRST_LOG_LEVEL=info",
	}
	c, err := Load(path, environ)
	if err != nil {
		t.Fatal(err)
	}
	if c.DBURI != "postgres://env@db/app" {
		t.Errorf("DBURI = %q: env should override the file", c.DBURI)
	}
	if c.DBPool != 7 {
		t.Errorf("DBPool = %d, want 7 from env", c.DBPool)
	}
	if !reflect.DeepEqual(c.DBSchemas, []string{"api", "v2"}) {
		t.Errorf("DBSchemas = %q", c.DBSchemas)
	}
	if c.DBAnonRole != "web_anon" || c.ServerPort != 3001 || c.LogLevel != LogInfo {
		t.Errorf("DBAnonRole %q, ServerPort %d, LogLevel %v", c.DBAnonRole, c.ServerPort, c.LogLevel)
	}
	if string(c.JWTSecret) != secret32 {
		t.Errorf("JWTSecret = %q", c.JWTSecret)
	}
	wantApp := []AppSetting{
		{"app.settings.from_env", "e"},
		{"app.settings.from_file", "f"},
		{"app.settings.jwt_exp", "60"},
	}
	if !reflect.DeepEqual(c.AppSettings, wantApp) {
		t.Errorf("AppSettings = %q, want %q", c.AppSettings, wantApp)
	}
	if !reflect.DeepEqual(c.Unknown, []string{"no-such-option"}) {
		t.Errorf("Unknown = %q", c.Unknown)
	}
	if c.Raw["db-pool"] != "7" || c.Raw["db-schemas"] != "api, v2" {
		t.Errorf("Raw = %q", c.Raw)
	}

	_, err = Load(filepath.Join(t.TempDir(), "missing.conf"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	bad := writeFile(t, "bad.conf", "db-pool = 1\ndb-pool = \"abc\"\n")
	_, err = Load(bad, nil)
	if want := `db-pool: "abc" is not a positive integer`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestBuildValues(t *testing.T) {
	tests := []struct {
		name  string
		raw   Settings
		check func(c *Config) bool
	}{
		{"schemas trimmed", Settings{"db-schemas": " a ,b,, c "},
			func(c *Config) bool { return reflect.DeepEqual(c.DBSchemas, []string{"a", "b", "c"}) }},
		{"empty schemas is default", Settings{"db-schemas": ""},
			func(c *Config) bool { return reflect.DeepEqual(c.DBSchemas, []string{"public"}) }},
		{"extra search path empty", Settings{"db-extra-search-path": ""},
			func(c *Config) bool { return c.DBExtraSearchPath == nil }},
		{"extra search path list", Settings{"db-extra-search-path": "public, extensions"},
			func(c *Config) bool { return reflect.DeepEqual(c.DBExtraSearchPath, []string{"public", "extensions"}) }},
		{"empty db-uri is default", Settings{"db-uri": ""},
			func(c *Config) bool { return c.DBURI == "postgresql://" }},
		{"empty db-pool is default", Settings{"db-pool": ""},
			func(c *Config) bool { return c.DBPool == 10 }},
		{"acquisition timeout", Settings{"db-pool-acquisition-timeout": "3"},
			func(c *Config) bool { return c.DBPoolAcquisitionTimeout == 3*time.Second }},
		{"max rows", Settings{"db-max-rows": "100"},
			func(c *Config) bool { return c.DBMaxRows == 100 }},
		{"max rows zero", Settings{"db-max-rows": "0"},
			func(c *Config) bool { return c.DBMaxRows == 0 }},
		{"pre-request qualified", Settings{"db-pre-request": "api.check"},
			func(c *Config) bool { return c.DBPreRequest == "api.check" }},
		{"legacy gucs off", Settings{"db-use-legacy-gucs": "false"},
			func(c *Config) bool { return !c.DBUseLegacyGUCs }},
		{"port zero", Settings{"server-port": "0"},
			func(c *Config) bool { return c.ServerPort == 0 }},
		{"aud uri", Settings{"jwt-aud": "https://api.example.com"},
			func(c *Config) bool { return c.JWTAud == "https://api.example.com" }},
		{"aud plain", Settings{"jwt-aud": "my-app"},
			func(c *Config) bool { return c.JWTAud == "my-app" }},
		{"role claim key kept", Settings{"jwt-role-claim-key": `."https://x"."role"`},
			func(c *Config) bool { return c.JWTRoleClaimKey == `."https://x"."role"` }},
		{"log level case", Settings{"log-level": "DEBUG"},
			func(c *Config) bool { return c.LogLevel == LogDebug && c.LogLevel.String() == "debug" }},
		{"log level crit", Settings{"log-level": "crit"},
			func(c *Config) bool { return c.LogLevel == LogCrit }},
		{"admin host follows server host", Settings{"server-host": "127.0.0.1"},
			func(c *Config) bool { return c.Get("admin-server-host") == "127.0.0.1" }},
		{"admin port different", Settings{"admin-server-port": "3001"},
			func(c *Config) bool { return c.Int("admin-server-port") == 3001 }},
		{"log-query legacy value", Settings{"log-query": "main-query"},
			func(c *Config) bool { return c.Bool("log-query") }},
		{"socket mode", Settings{"server-unix-socket-mode": "600"},
			func(c *Config) bool { return c.Get("server-unix-socket-mode") == "600" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c := mustBuild(t, tt.raw); !tt.check(c) {
				t.Errorf("unexpected config for %q: %+v", tt.raw, c)
			}
		})
	}
}

// db-replicas is a list of URIs; db-replica-max-lag is in seconds.
func TestReplicaOptions(t *testing.T) {
	c, err := build(t, Settings{"db-replicas": " postgres://r1:5433/app , postgresql://u:p@r2 "})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"postgres://r1:5433/app", "postgresql://u:p@r2"}; !slices.Equal(c.DBReplicas, want) || c.DBReplicaMaxLag != 5*time.Second {
		t.Fatalf("%q, %v; want %q, 5s", c.DBReplicas, c.DBReplicaMaxLag, want)
	}
	if c, err = build(t, Settings{"db-replica-max-lag": "0"}); err != nil || c.DBReplicas != nil || c.DBReplicaMaxLag != 0 {
		t.Fatalf("%v %v %v", c.DBReplicas, c.DBReplicaMaxLag, err)
	}
}

func TestBools(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"true", true}, {"TRUE", true}, {"True", true}, {"on", true}, {"ON", true}, {"1", true}, {"5", true},
		{"false", false}, {"False", false}, {"off", false}, {"0", false}, {"-1", false}, {" true ", true},
	}
	for _, tt := range tests {
		c := mustBuild(t, Settings{"db-use-legacy-gucs": tt.in})
		if c.DBUseLegacyGUCs != tt.want {
			t.Errorf("%q: got %v", tt.in, c.DBUseLegacyGUCs)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		raw  Settings
		want string
	}{
		{Settings{"db-pool": "abc"}, `db-pool: "abc" is not a positive integer`},
		{Settings{"db-pool": "0"}, `db-pool: "0" is not a positive integer`},
		{Settings{"db-pool": "-3"}, `db-pool: "-3" is not a positive integer`},
		{Settings{"db-pool": "1.5"}, `db-pool: "1.5" is not a positive integer`},
		{Settings{"db-pool-acquisition-timeout": "0"}, `db-pool-acquisition-timeout: "0" is not a positive integer`},
		{Settings{"db-pool-acquisition-timeout": "10s"}, `db-pool-acquisition-timeout: "10s" is not a positive integer`},
		{Settings{"db-max-rows": "-1"}, `db-max-rows: "-1" is not a non-negative integer`},
		{Settings{"db-max-rows": "many"}, `db-max-rows: "many" is not a non-negative integer`},
		{Settings{"db-schemas": " , "}, `db-schemas: " , " names no schema`},
		{Settings{"db-schemas": "api,pg_catalog"}, `db-schemas: schema "pg_catalog" cannot be exposed`},
		{Settings{"db-schemas": "information_schema"}, `db-schemas: schema "information_schema" cannot be exposed`},
		{Settings{"server-port": "70000"}, `server-port: "70000" is not a port number (0 to 65535)`},
		{Settings{"server-port": "-1"}, `server-port: "-1" is not a port number (0 to 65535)`},
		{Settings{"server-port": "http"}, `server-port: "http" is not a port number (0 to 65535)`},
		{Settings{"server-host": "a b"}, `server-host: "a b" is not a host name, an IP address, or one of *, *4, !4, *6, !6`},
		{Settings{"server-host": "!5"}, `server-host: "!5" is not a host name, an IP address, or one of *, *4, !4, *6, !6`},
		{Settings{"server-host": "http://x"}, `server-host: "http://x" is not a host name, an IP address, or one of *, *4, !4, *6, !6`},
		{Settings{"admin-server-port": "3000"}, `admin-server-port: cannot be the same as server-port (3000)`},
		{Settings{"jwt-secret": "short"}, `jwt-secret: must be at least 32 characters long`},
		{Settings{"jwt-secret": "c2hvcnQ=", "jwt-secret-is-base64": "true"}, `jwt-secret: must be at least 32 characters long`},
		{Settings{"jwt-secret": "not base64!" + secret32, "jwt-secret-is-base64": "true"}, `jwt-secret: not valid base64 (jwt-secret-is-base64 is true)`},
		{Settings{"jwt-secret": "@/nonexistent/secret"}, `jwt-secret: cannot read "@/nonexistent/secret": no such file or directory`},
		{Settings{"jwt-secret-is-base64": "yes please"}, `jwt-secret-is-base64: "yes please" is not a boolean (use true or false)`},
		{Settings{"jwt-aud": "bad uri:%%"}, `jwt-aud: "bad uri:%%" is neither a plain string nor a valid URI`},
		{Settings{"db-uri": "@/nonexistent/uri"}, `db-uri: cannot read "@/nonexistent/uri": no such file or directory`},
		{Settings{"log-level": "loud"}, `log-level: "loud" is not one of crit, error, warn, info, debug`},
		{Settings{"db-use-legacy-gucs": "maybe"}, `db-use-legacy-gucs: "maybe" is not a boolean (use true or false)`},
		{Settings{"db-channel-enabled": "nope"}, `db-channel-enabled: "nope" is not a boolean (use true or false)`},
		{Settings{"db-tx-end": "abort"}, `db-tx-end: "abort" is not one of commit, commit-allow-override, rollback, rollback-allow-override`},
		{Settings{"openapi-mode": "on"}, `openapi-mode: "on" is not one of follow-privileges, ignore-privileges, disabled`},
		{Settings{"client-error-verbosity": "quiet"}, `client-error-verbosity: "quiet" is not one of verbose, minimal`},
		{Settings{"server-unix-socket-mode": "999"}, `server-unix-socket-mode: "999" is not an octal file mode between 600 and 777`},
		{Settings{"server-unix-socket-mode": "500"}, `server-unix-socket-mode: "500" is not an octal file mode between 600 and 777`},
		{Settings{"jwt-cache-max-entries": "-5"}, `jwt-cache-max-entries: "-5" is not a non-negative integer`},
		{Settings{"db-replicas": "postgres://r1:5432,host=r2 user=x password=secret"}, `db-replicas: replica 2 is not a postgres:// URI with a host`},
		{Settings{"db-replicas": "postgres:///db"}, `db-replicas: replica 1 is not a postgres:// URI with a host`},
		{Settings{"db-replica-max-lag": "1s"}, `db-replica-max-lag: "1s" is not a non-negative integer`},
		{Settings{"jwt-jwks-url": "ftp://u:secret@x/keys"}, `jwt-jwks-url: "ftp://u:xxxxx@x/keys" is not an http(s) URL`},
		{Settings{"jwt-oidc-issuer": "login.example.com"}, `jwt-oidc-issuer: "login.example.com" is not an http(s) URL`},
		{Settings{"jwt-jwks-url": "https://a/keys", "jwt-oidc-issuer": "https://a"}, `jwt-oidc-issuer: set jwt-jwks-url or jwt-oidc-issuer, not both`},
		{Settings{"openapi-server-proxy-uri": "ftp://x"}, `openapi-server-proxy-uri: "ftp://x" is not an http(s) URI such as https://example.com:8443/basePath`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			c, err := build(t, tt.raw)
			if err == nil {
				t.Fatalf("want error, got %+v", c)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			var oe *OptionError
			if !errors.As(err, &oe) || !strings.HasPrefix(tt.want, oe.Option+": ") {
				t.Errorf("want an *OptionError naming the option, got %#v", err)
			}
		})
	}
}

func TestAtFiles(t *testing.T) {
	uriFile := writeFile(t, "uri", "  postgres://u:p@db/app\n\n")
	c := mustBuild(t, Settings{"db-uri": "@" + uriFile})
	if c.DBURI != "postgres://u:p@db/app" {
		t.Errorf("DBURI = %q", c.DBURI)
	}

	secretFile := writeFile(t, "secret", secret32+"\n")
	c = mustBuild(t, Settings{"jwt-secret": "@" + secretFile})
	if string(c.JWTSecret) != secret32 || c.JWTSecretIsJWK {
		t.Errorf("JWTSecret = %q (JWK %v)", c.JWTSecret, c.JWTSecretIsJWK)
	}

	b64File := writeFile(t, "secret.b64", base64.StdEncoding.EncodeToString([]byte(secret32))+"\n")
	c = mustBuild(t, Settings{"jwt-secret": "@" + b64File, "jwt-secret-is-base64": "true"})
	if string(c.JWTSecret) != secret32 {
		t.Errorf("base64 file: JWTSecret = %q", c.JWTSecret)
	}
}

func TestJWTSecret(t *testing.T) {
	binary := make([]byte, 40)
	for i := range binary {
		binary[i] = byte(250 - i) // bytes that encode to '+' '/' or '-' '_'
	}
	jwk := `{"kty":"oct","k":"c2hvcnQ"}`
	jwks := `{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}`
	tests := []struct {
		name    string
		raw     Settings
		want    []byte
		wantJWK bool
	}{
		{"plain", Settings{"jwt-secret": secret32}, []byte(secret32), false},
		{"base64 std", Settings{"jwt-secret": base64.StdEncoding.EncodeToString(binary), "jwt-secret-is-base64": "true"}, binary, false},
		{"base64 url", Settings{"jwt-secret": base64.URLEncoding.EncodeToString(binary), "jwt-secret-is-base64": "true"}, binary, false},
		{"base64 raw url", Settings{"jwt-secret": base64.RawURLEncoding.EncodeToString(binary), "jwt-secret-is-base64": "true"}, binary, false},
		{"base64 raw std", Settings{"jwt-secret": base64.RawStdEncoding.EncodeToString(binary), "jwt-secret-is-base64": "true"}, binary, false},
		{"old alias", Settings{"jwt-secret": base64.StdEncoding.EncodeToString(binary), "jwt-secret-is-base64": "1"}, binary, false},
		{"jwk", Settings{"jwt-secret": jwk}, []byte(jwk), true},
		{"jwks", Settings{"jwt-secret": jwks}, []byte(jwks), true},
		{"jwk in base64", Settings{"jwt-secret": base64.StdEncoding.EncodeToString([]byte(jwk)), "jwt-secret-is-base64": "true"}, []byte(jwk), true},
		{"json that is not a jwk is a secret", Settings{"jwt-secret": `{"a":"0123456789abcdef0123456789"}`}, []byte(`{"a":"0123456789abcdef0123456789"}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustBuild(t, tt.raw)
			if string(c.JWTSecret) != string(tt.want) || c.JWTSecretIsJWK != tt.wantJWK {
				t.Errorf("JWTSecret = %q (JWK %v), want %q (JWK %v)", c.JWTSecret, c.JWTSecretIsJWK, tt.want, tt.wantJWK)
			}
		})
	}
}

func TestListenAddress(t *testing.T) {
	tests := []struct {
		host, port       string
		network, address string
	}{
		{"!4", "3000", "tcp4", "0.0.0.0:3000"},
		{"!6", "3000", "tcp6", "[::]:3000"},
		{"*", "8080", "tcp", ":8080"},
		{"*4", "8080", "tcp", ":8080"},
		{"*6", "8080", "tcp", ":8080"},
		{"127.0.0.1", "3000", "tcp", "127.0.0.1:3000"},
		{"localhost", "0", "tcp", "localhost:0"},
		{"::1", "3000", "tcp", "[::1]:3000"},
		{"[::1]", "3000", "tcp", "[::1]:3000"},
		{"api.example.com", "443", "tcp", "api.example.com:443"},
	}
	for _, tt := range tests {
		c := mustBuild(t, Settings{"server-host": tt.host, "server-port": tt.port})
		network, address := c.ListenAddress()
		if network != tt.network || address != tt.address {
			t.Errorf("%s port %s: got (%s, %s), want (%s, %s)", tt.host, tt.port, network, address, tt.network, tt.address)
		}
	}
}
