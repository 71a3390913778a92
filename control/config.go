package control

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Version is pgrst's version.
const Version = "0.1.0"

// LogLevel is the log-level option, from least to most verbose.
type LogLevel uint8

const (
	LogCrit  LogLevel = iota // startup and connection-recovery messages
	LogError                 // plus server errors (5xx)
	LogWarn                  // plus request errors (4xx)
	LogInfo                  // plus every request
	LogDebug                 // plus development events
)

var logLevelNames = []string{"crit", "error", "warn", "info", "debug"}

func (l LogLevel) String() string {
	if int(l) < len(logLevelNames) {
		return logLevelNames[l]
	}
	return "LogLevel(" + strconv.Itoa(int(l)) + ")"
}

// AppSetting is one app.settings.* option, set as a GUC on every request.
type AppSetting struct {
	Name  string // full GUC name, e.g. "app.settings.jwt_exp"
	Value string
}

// Config is the validated configuration. Build returns a new one for every
// (re)load; it is never changed afterwards, so it can be shared freely (and
// published through an atomic.Pointer).
type Config struct {
	// DBURI is the libpq connection string (URI or key=value); the default
	// "postgresql://" leaves everything to the PG* environment variables.
	// An "@path" value has been replaced by the file's trimmed contents.
	DBURI string
	// DBSchemas are the exposed schemas; the first is the default one.
	DBSchemas []string
	// DBAnonRole is the role for requests without a JWT; "" blocks them.
	DBAnonRole string
	// DBPool is the maximum number of pooled connections.
	DBPool int
	// DBPoolAcquisitionTimeout is how long a request waits for a connection.
	DBPoolAcquisitionTimeout time.Duration
	// DBExtraSearchPath are schemas appended to every request's search_path
	// (nil when set to "").
	DBExtraSearchPath []string
	// DBPreRequest is the function called before each request, possibly
	// schema-qualified, as written; "" for none.
	DBPreRequest string
	// DBMaxRows caps the rows a request reads; 0 means no limit (PostgREST's
	// unset; an explicit 0 is read as no limit too).
	DBMaxRows int64
	// DBReplicas are the URIs of the streaming replicas that take the
	// read-only requests (db-replicas); DBReplicaMaxLag is how old their
	// data may be (0: no limit).
	DBReplicas      []string
	DBReplicaMaxLag time.Duration
	// DBUseLegacyGUCs also sets the pre-v10 request.jwt.claim.<name> and
	// request.header.<name> GUCs beside request.jwt.claims/request.headers.
	DBUseLegacyGUCs bool

	// ServerHost is server-host as written: "*", "*4", "!4", "*6", "!6", or a
	// host name or IP address. See ListenAddress.
	ServerHost string
	// ServerPort is the TCP port; 0 lets the system pick one.
	ServerPort int

	// JWTSecret is the key that verifies JWTs: the secret's bytes (read from
	// the file for "@path", base64-decoded when JWTSecretIsBase64), or, when
	// JWTSecretIsJWK, the JSON text of a JWK or a JWK set. nil disables
	// JWT authentication.
	JWTSecret []byte
	// JWTSecretIsJWK says JWTSecret is JSON: a JWK ({"kty":...}) or a JWK
	// set ({"keys":[...]}).
	JWTSecretIsJWK bool
	// JWTSecretIsBase64 is jwt-secret-is-base64 (JWTSecret is already
	// decoded).
	JWTSecretIsBase64 bool
	// JWTAud is the audience a JWT's aud claim must contain; "" accepts any.
	JWTAud string
	// JWTRoleClaimKey is the path of the role claim in the JWT, as written
	// (default "$.role"); the server package parses it.
	JWTRoleClaimKey string

	// AppSettings are the app.settings.* options, sorted by name.
	AppSettings []AppSetting
	// LogLevel is the log-level option.
	LogLevel LogLevel

	// Raw are the merged settings the config was built from, for options
	// that have no typed field yet; read them with Get, Bool and Int.
	Raw Settings
	// Unknown lists, sorted, the option names in Raw that pgrst does not
	// know. They are ignored, as PostgREST ignores them; worth a warning.
	Unknown []string
}

// Build validates merged settings and returns the typed configuration. An
// absent option, or one set to "" (except db-extra-search-path), takes its
// default. "@path" values of db-uri and jwt-secret are read from the file
// system here. The first invalid value found is returned as an
// *OptionError whose message is one line naming the option.
func Build(raw Settings) (*Config, error) {
	c := &Config{Raw: raw.Clone()}
	for i := range options {
		o := &options[i]
		if v := c.Get(o.name); v != "" {
			if err := o.check(v); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range c.Raw.Keys() {
		if strings.HasPrefix(k, appSettingsPrefix) {
			c.AppSettings = append(c.AppSettings, AppSetting{Name: k, Value: c.Raw[k]})
		} else if !Known(k) {
			c.Unknown = append(c.Unknown, k)
		}
	}

	var err error
	if c.DBURI, err = readAtFile("db-uri", c.Get("db-uri")); err != nil {
		return nil, err
	}
	c.DBURI = strings.TrimSpace(c.DBURI)
	if c.DBSchemas, err = schemas(c.Get("db-schemas")); err != nil {
		return nil, err
	}
	c.DBAnonRole = c.Get("db-anon-role")
	c.DBPool = int(c.Int("db-pool"))
	c.DBPoolAcquisitionTimeout = time.Duration(c.Int("db-pool-acquisition-timeout")) * time.Second
	c.DBExtraSearchPath = splitList(c.Get("db-extra-search-path"))
	c.DBPreRequest = strings.TrimSpace(c.Get("db-pre-request"))
	c.DBMaxRows = c.Int("db-max-rows")
	c.DBUseLegacyGUCs = c.Bool("db-use-legacy-gucs")
	if c.DBReplicas, err = replicas(c.Get("db-replicas")); err != nil {
		return nil, err
	}
	c.DBReplicaMaxLag = time.Duration(c.Int("db-replica-max-lag")) * time.Second

	if c.ServerHost, err = serverHost("server-host", c.Get("server-host")); err != nil {
		return nil, err
	}
	c.ServerPort = int(c.Int("server-port"))
	if _, err = serverHost("admin-server-host", c.Get("admin-server-host")); err != nil {
		return nil, err
	}
	if ap := c.Get("admin-server-port"); ap != "" && c.ServerPort != 0 && c.Int("admin-server-port") == int64(c.ServerPort) {
		return nil, optErrorf("admin-server-port", "cannot be the same as server-port (%d)", c.ServerPort)
	}

	c.JWTSecretIsBase64 = c.Bool("jwt-secret-is-base64")
	if c.JWTSecret, c.JWTSecretIsJWK, err = jwtSecret(c.Get("jwt-secret"), c.JWTSecretIsBase64); err != nil {
		return nil, err
	}
	c.JWTAud = c.Get("jwt-aud")
	if strings.Contains(c.JWTAud, ":") {
		if u, err := url.Parse(c.JWTAud); err != nil || u.Scheme == "" {
			return nil, optErrorf("jwt-aud", "%q is neither a plain string nor a valid URI", c.JWTAud)
		}
	}
	c.JWTRoleClaimKey = strings.TrimSpace(c.Get("jwt-role-claim-key"))
	for _, name := range []string{"jwt-jwks-url", "jwt-oidc-issuer"} {
		if v := c.Get(name); v != "" {
			if u, err := url.Parse(v); err != nil {
				return nil, optErrorf(name, "is not a URL")
			} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, optErrorf(name, "%q is not an http(s) URL", u.Redacted())
			}
		}
	}
	if c.Get("jwt-jwks-url") != "" && c.Get("jwt-oidc-issuer") != "" {
		return nil, optErrorf("jwt-oidc-issuer", "set jwt-jwks-url or jwt-oidc-issuer, not both")
	}

	lvl, _ := parseEnum(c.Get("log-level"), logLevelNames)
	for i, n := range logLevelNames {
		if n == lvl {
			c.LogLevel = LogLevel(i)
		}
	}

	if v := c.Get("openapi-server-proxy-uri"); v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, optErrorf("openapi-server-proxy-uri", "%q is not an http(s) URI such as https://example.com:8443/basePath", v)
		}
	}
	return c, nil
}

// Get returns the raw value of a known option, or its default when it is
// absent or "" (db-extra-search-path keeps ""; admin-server-host defaults to
// server-host). Unknown names (app.settings.* included) return their raw
// value or "".
func (c *Config) Get(name string) string {
	v, ok := c.Raw[name]
	o := optionIndex[name]
	if o == nil {
		return v
	}
	if !ok || (v == "" && !o.emptyable) {
		v = o.def
	}
	if v == "" && name == "admin-server-host" {
		return c.Get("server-host")
	}
	return v
}

// Bool returns a boolean option's value (see Get); false when it is not a
// boolean. Build has already rejected invalid values of known options.
func (c *Config) Bool(name string) bool {
	b, _ := parseBool(name, c.Get(name))
	return b
}

// Int returns an integer option's value (see Get); 0 when it is unset or
// not an integer. Build has already rejected invalid values of known
// options.
func (c *Config) Int(name string) int64 {
	n, _ := parseInt(c.Get(name))
	return n
}

// ListenAddress returns where the API server listens, for net.Listen:
// "!4" -> ("tcp4", "0.0.0.0:PORT"), "!6" -> ("tcp6", "[::]:PORT"),
// "*", "*4", "*6" -> ("tcp", ":PORT") (every address, both families),
// anything else -> ("tcp", "HOST:PORT").
func (c *Config) ListenAddress() (network, address string) {
	port := strconv.Itoa(c.ServerPort)
	switch c.ServerHost {
	case "!4":
		return "tcp4", net.JoinHostPort("0.0.0.0", port)
	case "!6":
		return "tcp6", net.JoinHostPort("::", port)
	case "*", "*4", "*6":
		return "tcp", ":" + port
	}
	host := strings.TrimSuffix(strings.TrimPrefix(c.ServerHost, "["), "]")
	return "tcp", net.JoinHostPort(host, port)
}

// readAtFile returns v, or, when v is "@path", the contents of that file.
func readAtFile(name, v string) (string, error) {
	path, ok := strings.CutPrefix(v, "@")
	if !ok {
		return v, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", &OptionError{Option: name, Msg: "cannot read " + strconv.Quote(v) + ": " + pathErrMsg(err), Err: err}
	}
	return string(b), nil
}

// pathErrMsg is err's message without the path, which the caller names.
func pathErrMsg(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// splitList splits a comma-separated list, trimming items and dropping
// empty ones.
// List is the comma-separated list value of the named option, its items
// trimmed, empty ones dropped.
func (c *Config) List(name string) []string { return splitList(c.Get(name)) }

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func schemas(v string) ([]string, error) {
	list := splitList(v)
	if len(list) == 0 {
		return nil, optErrorf("db-schemas", "%q names no schema", v)
	}
	for _, s := range list {
		if s == "pg_catalog" || s == "information_schema" {
			return nil, optErrorf("db-schemas", "schema %q cannot be exposed", s)
		}
	}
	return list, nil
}

// replicas checks db-replicas: comma-separated postgres:// URIs, each
// naming a host. (No multi-host URIs: each replica is one server.) The
// message never quotes a URI, which may hold a password.
func replicas(v string) ([]string, error) {
	list := splitList(v)
	for i, uri := range list {
		u, err := url.Parse(uri)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Hostname() == "" {
			return nil, optErrorf("db-replicas", "replica %d is not a postgres:// URI with a host", i+1)
		}
	}
	return list, nil
}

// serverHost checks a server-host value.
func serverHost(name, v string) (string, error) {
	h := strings.TrimSpace(v)
	switch h {
	case "*", "*4", "!4", "*6", "!6":
		return h, nil
	}
	bare := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if net.ParseIP(bare) != nil {
		return h, nil
	}
	ok := bare != "" && len(bare) <= 253
	for i := 0; ok && i < len(bare); i++ {
		c := bare[i]
		ok = isLetter(c) || isDigit(c) || c == '-' || c == '.' || c == '_'
	}
	if !ok {
		return "", optErrorf(name, "%q is not a host name, an IP address, or one of *, *4, !4, *6, !6", v)
	}
	return h, nil
}

// jwtSecret turns the jwt-secret value into key bytes, as PostgREST does:
// "@path" reads the file (dropping one final newline), base64 is decoded
// when asked, and the result is either a JWK/JWK set (JSON) or a secret of
// at least 32 bytes.
func jwtSecret(v string, isBase64 bool) (secret []byte, isJWK bool, err error) {
	if v == "" {
		return nil, false, nil
	}
	if v, err = readAtFile("jwt-secret", v); err != nil {
		return nil, false, err
	}
	v = strings.TrimSuffix(v, "\n")
	b := []byte(v)
	if isBase64 {
		if b, err = decodeBase64(v); err != nil {
			return nil, false, optErrorf("jwt-secret", "not valid base64 (jwt-secret-is-base64 is true)")
		}
	}
	if isJWKJSON(b) {
		return b, true, nil
	}
	if len(b) < 32 {
		return nil, false, optErrorf("jwt-secret", "must be at least 32 characters long")
	}
	return b, false, nil
}

// decodeBase64 accepts the standard and URL-safe alphabets, with or without
// padding, ignoring white space.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '=', '.': // '.' is PostgREST's URL-safe padding
			return -1
		case '-':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(s)
}

// isJWKJSON reports whether b is a JSON object that looks like a JWK
// ("kty") or a JWK set ("keys"). Other text, even JSON, is a plain secret,
// as in PostgREST.
func isJWKJSON(b []byte) bool {
	t := strings.TrimSpace(string(b))
	if !strings.HasPrefix(t, "{") {
		return false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(t), &obj) != nil {
		return false
	}
	if keys, ok := obj["keys"]; ok {
		var list []map[string]json.RawMessage
		return json.Unmarshal(keys, &list) == nil
	}
	var kty string
	return json.Unmarshal(obj["kty"], &kty) == nil && kty != ""
}
