package control

// What the tests use and the package itself does not.

// ParseArgs reads the command line without the program name (os.Args[1:]);
// see ParseCommand, of which it returns the action and the config file.
func ParseArgs(args []string) (action Action, path string, err error) {
	c, err := ParseCommand(args)
	return c.Action, c.Path, err
}

// Load reads the configuration at startup: built-in defaults, then the
// config file at path (skipped when path is ""), then the PGRST_* variables
// of environ, and builds it. environ also serves $(VAR) in the file.
func Load(path string, environ []string) (*Config, error) {
	var file Settings
	if path != "" {
		var err error
		if file, err = ReadFile(path, environ); err != nil {
			return nil, err
		}
	}
	return Build(Merge(Defaults(), file, FromEnv(environ)))
}

// OptionNames returns the canonical names of every option pgrst knows
// (app.settings.* aside), sorted.
func OptionNames() []string {
	s := make(Settings, len(options))
	for i := range options {
		s[options[i].name] = ""
	}
	return s.Keys()
}

// Config returns the configuration in force.
func (p *Plane) Config() *Config { return p.cfg.Load() }

// Canonical returns the current name of the option written as key: old
// aliases (db-schema, max-rows, pre-request, root-spec, db-pool-timeout,
// secret-is-base64, role-claim-key) map to their current names, letters are
// lower-cased and, outside app.settings.*, '_' becomes '-'.
func Canonical(key string) string {
	name, _ := canonical(key)
	return name
}
