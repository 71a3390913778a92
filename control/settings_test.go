package control

import (
	"maps"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"db-uri", "db-uri"},
		{"DB_URI", "db-uri"},
		{" db-schemas ", "db-schemas"},
		{"db-schema", "db-schemas"},
		{"db_schema", "db-schemas"},
		{"max-rows", "db-max-rows"},
		{"pre-request", "db-pre-request"},
		{"root-spec", "db-root-spec"},
		{"db-pool-timeout", "db-pool-max-idletime"},
		{"secret-is-base64", "jwt-secret-is-base64"},
		{"role-claim-key", "jwt-role-claim-key"},
		{"app.settings.jwt_exp", "app.settings.jwt_exp"},
		{"App.Settings.Foo_Bar", "app.settings.foo_bar"},
	}
	for _, tt := range tests {
		if got := Canonical(tt.in); got != tt.want {
			t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    Settings
	}{
		{"none", nil, Settings{}},
		{"plain", []string{"PGRST_DB_URI=postgres://x", "PGRST_SERVER_PORT=8080"},
			Settings{"db-uri": "postgres://x", "server-port": "8080"}},
		{"other variables ignored", []string{"HOME=/root", "PGHOST=db", "PGRST=1", "PGRST_=2", "pgrst_db_uri=x", "BROKEN"},
			Settings{}},
		{"multi-word", []string{"PGRST_DB_POOL_ACQUISITION_TIMEOUT=5", "PGRST_JWT_SECRET_IS_BASE64=true"},
			Settings{"db-pool-acquisition-timeout": "5", "jwt-secret-is-base64": "true"}},
		{"alias", []string{"PGRST_DB_SCHEMA=api"}, Settings{"db-schemas": "api"}},
		{"current beats alias", []string{"PGRST_DB_SCHEMAS=new", "PGRST_DB_SCHEMA=old"}, Settings{"db-schemas": "new"}},
		{"app settings", []string{"PGRST_APP_SETTINGS_FOO_BAR=1", "PGRST_APP_SETTINGS_JWT_EXP=3600", "PGRST_APP_SETTINGS_=x"},
			Settings{"app.settings.foo_bar": "1", "app.settings.jwt_exp": "3600"}},
		{"value with equals", []string{"PGRST_DB_URI=host=db user=app"}, Settings{"db-uri": "host=db user=app"}},
		{"empty value kept", []string{"PGRST_DB_ANON_ROLE="}, Settings{"db-anon-role": ""}},
		{"later entry wins", []string{"PGRST_DB_POOL=1", "PGRST_DB_POOL=2"}, Settings{"db-pool": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromEnv(tt.environ); !maps.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	a := Settings{"db-pool": "1", "db-uri": "a"}
	b := Settings{"db-pool": "2", "log-level": "info"}
	c := Settings{"db-pool": "3"}
	got := Merge(a, nil, b, c)
	want := Settings{"db-pool": "3", "db-uri": "a", "log-level": "info"}
	if !maps.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if a["db-pool"] != "1" {
		t.Error("Merge changed its input")
	}
}

func TestDefaultsAreValid(t *testing.T) {
	for _, o := range options {
		if o.def == "" {
			continue
		}
		if err := o.check(o.def); err != nil {
			t.Errorf("default of %s: %v", o.name, err)
		}
	}
	for alias, name := range aliases {
		if !Known(name) {
			t.Errorf("alias %s points to unknown option %s", alias, name)
		}
	}
}
