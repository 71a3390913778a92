// Package control owns pgrst's configuration: where options come from, how
// the sources are layered, and how the merged options are validated into a
// typed *Config. The LISTEN loop that reloads configuration at run time
// builds on the same pieces.
//
// Every source (built-in defaults, the config file, PGRST_* environment
// variables, and later the database table pgrst.config) yields raw Settings:
// canonical option name -> value text. Merge layers them (later wins) and
// Build turns the result into a *Config, validating every value it knows.
// The config is immutable once built; a reload builds a new one.
package control
