package control

import (
	"sort"
	"strings"
)

// Settings maps canonical option names (such as "db-uri" or
// "app.settings.jwt_exp") to raw values as the source wrote them, before
// any interpretation. An empty value is kept: for most options it means
// "use the default" (as in PostgREST), for db-extra-search-path it means
// "none".
type Settings map[string]string

// Pair is one option as a source wrote it, under any accepted spelling.
type Pair struct {
	Key   string
	Value string
}

// appSettingsPrefix starts the names of the free-form settings that are set
// as GUCs on every request.
const appSettingsPrefix = "app.settings."

// aliases maps old option names, still accepted by PostgREST v16.2, to their
// current names.
var aliases = map[string]string{
	"db-schema":        "db-schemas",
	"max-rows":         "db-max-rows",
	"pre-request":      "db-pre-request",
	"root-spec":        "db-root-spec",
	"db-pool-timeout":  "db-pool-max-idletime",
	"secret-is-base64": "jwt-secret-is-base64",
	"role-claim-key":   "jwt-role-claim-key",
}

// canonical returns the current name of an option written as key, and
// whether key was an old alias. Names are case-insensitive; outside
// app.settings.*, '_' and '-' are interchangeable (PostgREST's in-database
// names use '_').
func canonical(key string) (name string, alias bool) {
	k := strings.ToLower(strings.TrimSpace(key))
	if strings.HasPrefix(k, appSettingsPrefix) {
		return k, false
	}
	k = strings.ReplaceAll(k, "_", "-")
	if a, ok := aliases[k]; ok {
		return a, true
	}
	return k, false
}

// FromPairs builds the Settings of ONE source from its pairs in source
// order. Keys are canonicalised. A later pair overrides an earlier one,
// except that a value written under an option's current name always beats
// one written under an old alias in the same source.
func FromPairs(pairs []Pair) Settings {
	s := make(Settings, len(pairs))
	fromCurrent := make(map[string]bool, len(pairs))
	for _, p := range pairs {
		name, alias := canonical(p.Key)
		if name == "" || name == appSettingsPrefix {
			continue
		}
		if alias && fromCurrent[name] {
			continue
		}
		s[name] = p.Value
		if !alias {
			fromCurrent[name] = true
		}
	}
	return s
}

// FromEnv reads the PGRST_* variables of environ ("NAME=value" entries, as
// os.Environ returns them). PGRST_DB_URI becomes db-uri (prefix dropped,
// lower-cased, '_' -> '-'); PGRST_APP_SETTINGS_FOO_BAR becomes
// app.settings.foo_bar (underscores kept). Aliases work too:
// PGRST_DB_SCHEMA sets db-schemas. A variable set to "" is kept and, like
// in PostgREST, hides any file value (most options then take their default).
func FromEnv(environ []string) Settings {
	var pairs []Pair
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		rest, ok := strings.CutPrefix(name, "PGRST_")
		if !ok || rest == "" {
			continue
		}
		if app, ok := strings.CutPrefix(rest, "APP_SETTINGS_"); ok {
			if app == "" {
				continue
			}
			pairs = append(pairs, Pair{Key: appSettingsPrefix + strings.ToLower(app), Value: value})
			continue
		}
		pairs = append(pairs, Pair{Key: rest, Value: value})
	}
	return FromPairs(pairs)
}

// Merge layers sources, lowest precedence first, into a new Settings:
// Merge(Defaults(), file, env, table).
func Merge(layers ...Settings) Settings {
	n := 0
	for _, l := range layers {
		n += len(l)
	}
	out := make(Settings, n)
	for _, l := range layers {
		for k, v := range l {
			out[k] = v
		}
	}
	return out
}

// Defaults returns the built-in default of every option that has one.
func Defaults() Settings {
	s := make(Settings, len(options))
	for _, o := range options {
		if o.def != "" {
			s[o.name] = o.def
		}
	}
	return s
}

// Keys returns the option names of s, sorted.
func (s Settings) Keys() []string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Clone returns a copy of s.
func (s Settings) Clone() Settings {
	return Merge(s)
}

// envMap turns environ into a lookup table; a later entry for the same name
// wins, as in os/exec.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if name, value, ok := strings.Cut(kv, "="); ok {
			m[name] = value
		}
	}
	return m
}
