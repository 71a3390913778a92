package control

import (
	"fmt"
	"strconv"
	"strings"
)

// kind says how an option's raw value is checked.
type kind uint8

const (
	kindString kind = iota // any text
	kindBool               // true/false, on/off (any case), or an integer (> 0 is true)
	kindInt                // integer >= 0
	kindPosInt             // integer > 0
	kindAnyInt             // any integer
	kindPort               // integer 0..65535 (0: the system picks one)
	kindEnum               // one of enum
	kindMode               // octal file mode 600..777
)

// option describes one option pgrst accepts.
type option struct {
	name string
	kind kind
	def  string   // default raw value; "" when there is none
	enum []string // allowed values of a kindEnum option
	// emptyable: an explicitly empty value is a value, not "use the default".
	emptyable bool
}

// options lists every option of PostgREST v16.2 plus pgrst's own, in the
// order Build checks them. Option names not listed here (other than
// app.settings.*) are ignored, as PostgREST ignores them, and reported in
// Config.Unknown.
var options = []option{
	{name: "db-uri", def: "postgresql://"},
	{name: "db-schemas", def: "public"},
	{name: "db-anon-role"},
	{name: "db-pool", kind: kindPosInt, def: "10"},
	{name: "db-pool-acquisition-timeout", kind: kindPosInt, def: "10"},
	{name: "db-pool-max-lifetime", kind: kindInt, def: "1800"},
	{name: "db-pool-max-idletime", kind: kindInt, def: "30"},
	{name: "db-pool-automatic-recovery", kind: kindBool, def: "true"},
	{name: "db-extra-search-path", def: "public", emptyable: true},
	{name: "db-pre-request"},
	{name: "db-max-rows", kind: kindInt},
	{name: "db-use-legacy-gucs", kind: kindBool, def: "true"},
	{name: "db-channel", def: "pgrst"},
	{name: "db-channel-enabled", kind: kindBool, def: "true"},
	{name: "db-config", kind: kindBool, def: "true"},
	{name: "db-pre-config"},
	{name: "db-root-spec"},
	{name: "db-tx-end", kind: kindEnum, def: "commit",
		enum: []string{"commit", "commit-allow-override", "rollback", "rollback-allow-override"}},
	{name: "db-prepared-statements", kind: kindBool, def: "true"},
	{name: "db-hoisted-tx-settings",
		def: "statement_timeout,plan_filter.statement_cost_limit,default_transaction_isolation"},
	{name: "db-plan-enabled", kind: kindBool, def: "false"},
	{name: "db-aggregates-enabled", kind: kindBool, def: "false"},
	// pgrst's own: the distinct query parameter (off: it can be costly).
	{name: "db-distinct-enabled", kind: kindBool, def: "false"},
	// pgrst's own: streaming replicas that take the read-only requests
	// (comma-separated URIs), and how old their data may be, in seconds
	// (0: no limit).
	{name: "db-replicas"},
	{name: "db-replica-max-lag", kind: kindInt, def: "5"},
	// pgrst's own: PATCH and DELETE need a filter (as pg-safeupdate).
	{name: "db-safe-writes", kind: kindBool, def: "false"},
	// pgrst's own: seconds to wait for the database's answer on a
	// connection before giving the connection up as broken (a stalled
	// network, a hung server); 0 waits for ever, as PostgREST does.
	{name: "db-timeout", kind: kindInt, def: "0"},
	{name: "server-host", def: "!4"},
	{name: "server-port", kind: kindPort, def: "3000"},
	{name: "server-reuseport", kind: kindBool, def: "false"},
	{name: "server-unix-socket"},
	{name: "server-unix-socket-mode", kind: kindMode, def: "660"},
	{name: "server-cors-allowed-origins"},
	{name: "server-trace-header"},
	{name: "server-timing-enabled", kind: kindBool, def: "false"},
	// pgrst's own: ETag and If-None-Match on reads (off: PostgREST sends none).
	{name: "server-etag-enabled", kind: kindBool, def: "false"},
	// pgrst's own: GET /listen/<channel> relays NOTIFY as Server-Sent
	// Events (off: PostgREST has no such endpoint); the keep-alive comment
	// interval in seconds, and the events a subscriber may have queued
	// before it is dropped as too slow.
	{name: "server-listen-enabled", kind: kindBool, def: "false"},
	{name: "server-listen-keepalive", kind: kindPosInt, def: "15"},
	{name: "server-listen-buffer", kind: kindPosInt, def: "64"},
	// pgrst's own: the largest request body accepted, in bytes (100 MiB).
	{name: "server-max-body-size", kind: kindPosInt, def: "104857600"},
	{name: "admin-server-host"}, // defaults to server-host's value
	{name: "admin-server-port", kind: kindPort},
	{name: "admin-server-unix-socket"},
	{name: "admin-server-unix-socket-mode", kind: kindMode, def: "660"},
	{name: "admin-server-explorer-dir"},
	{name: "jwt-secret"},
	{name: "jwt-secret-is-base64", kind: kindBool, def: "false"},
	{name: "jwt-aud"},
	{name: "jwt-role-claim-key", def: "$.role"},
	{name: "jwt-cache-max-entries", kind: kindInt, def: "1000"},
	{name: "jwt-cache-max-lifetime", kind: kindInt}, // before v14; accepted and ignored
	// pgrst's own: keys fetched from a JWKS URL, or from an OpenID Connect
	// issuer's discovery document (which also makes iss required).
	{name: "jwt-jwks-url"},
	{name: "jwt-oidc-issuer"},
	{name: "log-level", kind: kindEnum, def: "error",
		enum: []string{"crit", "error", "warn", "info", "debug"}},
	{name: "log-query", kind: kindBool, def: "false"},
	{name: "client-error-verbosity", kind: kindEnum, def: "verbose",
		enum: []string{"verbose", "minimal"}},
	{name: "openapi-mode", kind: kindEnum, def: "follow-privileges",
		enum: []string{"follow-privileges", "ignore-privileges", "disabled"}},
	{name: "openapi-security-active", kind: kindBool, def: "false"},
	{name: "openapi-server-proxy-uri"},
	{name: "openapi-version", kind: kindEnum, def: "2.0", enum: []string{"2.0", "3.1"}},
	{name: "url-use-legacy-target-names", kind: kindBool, def: "true"},
	{name: "internal-schema-cache-query-sleep", kind: kindAnyInt},
	{name: "internal-schema-cache-query-sleep-before-queries", kind: kindAnyInt},
}

var optionIndex = func() map[string]*option {
	m := make(map[string]*option, len(options))
	for i := range options {
		m[options[i].name] = &options[i]
	}
	return m
}()

// Known reports whether name (canonical) is an option pgrst accepts:
// one of PostgREST v16.2's, pgrst's own (db-use-legacy-gucs, openapi-version,
// admin-server-explorer-dir), or an
// app.settings.* name.
func Known(name string) bool {
	if strings.HasPrefix(name, appSettingsPrefix) {
		return true
	}
	_, ok := optionIndex[name]
	return ok
}

// check validates a non-empty raw value of o.
func (o *option) check(v string) error {
	switch o.kind {
	case kindBool:
		if _, ok := parseBool(o.name, v); !ok {
			return optErrorf(o.name, "%q is not a boolean (use true or false)", v)
		}
	case kindInt:
		if n, err := parseInt(v); err != nil || n < 0 {
			return optErrorf(o.name, "%q is not a non-negative integer", v)
		}
	case kindPosInt:
		if n, err := parseInt(v); err != nil || n <= 0 {
			return optErrorf(o.name, "%q is not a positive integer", v)
		}
	case kindAnyInt:
		if _, err := parseInt(v); err != nil {
			return optErrorf(o.name, "%q is not an integer", v)
		}
	case kindPort:
		if n, err := parseInt(v); err != nil || n < 0 || n > 65535 {
			return optErrorf(o.name, "%q is not a port number (0 to 65535)", v)
		}
	case kindEnum:
		if _, ok := parseEnum(v, o.enum); !ok {
			return optErrorf(o.name, "%q is not one of %s", v, strings.Join(o.enum, ", "))
		}
	case kindMode:
		if _, ok := parseMode(v); !ok {
			return optErrorf(o.name, "%q is not an octal file mode between 600 and 777", v)
		}
	}
	return nil
}

// parseBool reads a boolean as PostgREST does: true/false in any case, the
// configurator's on/off, or an integer (> 0 is true). log-query also takes
// its pre-v14 values main-query and disabled.
func parseBool(name, v string) (b, ok bool) {
	s := strings.ToLower(strings.TrimSpace(v))
	switch s {
	case "true", "on":
		return true, true
	case "false", "off":
		return false, true
	}
	if name == "log-query" {
		switch s {
		case "main-query":
			return true, true
		case "disabled":
			return false, true
		}
	}
	if n, err := parseInt(s); err == nil {
		return n > 0, true
	}
	return false, false
}

// parseInt reads a decimal integer, ignoring surrounding spaces.
func parseInt(v string) (int64, error) {
	return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
}

// parseEnum matches v against allowed, ignoring case and surrounding spaces.
func parseEnum(v string, allowed []string) (string, bool) {
	s := strings.ToLower(strings.TrimSpace(v))
	for _, a := range allowed {
		if s == a {
			return a, true
		}
	}
	return "", false
}

// parseMode reads an octal file mode between 0600 and 0777.
func parseMode(v string) (uint32, bool) {
	n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
	if err != nil || n < 0o600 || n > 0o777 {
		return 0, false
	}
	return uint32(n), true
}

// OptionError reports an invalid option value. Its message is one line:
// `db-pool: "abc" is not a positive integer`.
type OptionError struct {
	Option string // canonical option name
	Msg    string // what is wrong, without the option name
	Err    error  // underlying error (a file that cannot be read), if any
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Msg }

func (e *OptionError) Unwrap() error { return e.Err }

func optErrorf(name, format string, args ...any) *OptionError {
	return &OptionError{Option: name, Msg: fmt.Sprintf(format, args...)}
}
