package server_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/server/auth"
	"github.com/pgrst/pgrst/wire"
)

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func TestAuthRoles(t *testing.T) {
	s := startServer(t, nil)
	// Anonymous: web_anon.
	expect(t, s.get(t, "/whoami?select=role,claims"), 200,
		`[{"role":"web_anon","claims":"{\"role\":\"web_anon\"}"}]`)
	// A token for todo_user; "bearer" is case-insensitive.
	tok := token(t, map[string]any{"role": "todo_user", "sub": "alice"})
	expect(t, s.get(t, "/whoami?select=role", "Authorization", "bearer "+tok), 200, `[{"role":"todo_user"}]`)
	// Privileges are the database's: anonymous → 401, other role → 403.
	r := s.get(t, "/secrets")
	expectError(t, r, 401, "42501")
	expectError(t, s.get(t, "/secrets", bearer(token(t, map[string]any{"role": "nobody"}))...), 403, "42501")
	expect(t, s.get(t, "/secrets?select=id", bearer(tok)...), 200, `[{"id":1}]`)
	// A role that does not exist.
	expectError(t, s.get(t, "/todos", bearer(token(t, map[string]any{"role": "ghost"}))...), 401, "22023")
}

func TestAuthBadTokens(t *testing.T) {
	s := startServer(t, nil)
	good := token(t, map[string]any{"role": "todo_user"})
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"role":"postgres"}`)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"role":"todo_user"}`)) + "."
	expired := token(t, map[string]any{"role": "todo_user", "exp": time.Now().Add(-time.Hour).Unix()})
	cases := []struct {
		name, token, code string
	}{
		{"tampered", tampered, "PGRST301"},
		{"alg none", none, "PGRST301"},
		{"garbage", "not-a-jwt", "PGRST301"},
		{"expired", expired, "PGRST303"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.get(t, "/todos", bearer(c.token)...)
			expectError(t, r, 401, c.code)
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`) {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// Signed with another secret.
	other := startServer(t, func(o *server.Options, _ *wire.Options) {
		v, err := auth.New(auth.Options{Secret: []byte(strings.Repeat("x", 40)), AnonRole: "web_anon"})
		if err != nil {
			t.Fatal(err)
		}
		o.Auth = v
	})
	expectError(t, other.get(t, "/todos", bearer(good)...), 401, "PGRST301")
}

func TestAuthNoAnonRole(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) {
		v, err := auth.New(auth.Options{Secret: []byte(testSecret)})
		if err != nil {
			t.Fatal(err)
		}
		o.Auth = v
	})
	r := s.get(t, "/todos")
	expectError(t, r, 401, "PGRST302")
	if r.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
	}
	expect(t, s.get(t, "/todos?select=id&id=eq.1", bearer(token(t, map[string]any{"role": "todo_user"}))...), 200, `[{"id":1}]`)
}

func TestRequestSettings(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) {
		o.AppSettings = [][2]string{{"app.settings.greeting", "hello"}}
		o.LegacyGUCs = true
	})
	tok := token(t, map[string]any{"role": "todo_user", "sub": "alice"})
	r := s.get(t, "/whoami?select=method,path,x_test,headers_have_cookie,cookie_session,legacy_claim_role,legacy_claim_sub,legacy_header,legacy_cookie,greeting,search_path,read_only,pre_request",
		"Authorization", "Bearer "+tok, "X-Test", "yes", "Accept", "application/json", "Cookie", "session=abc; other=1")
	expect(t, r, 200, `[{"method":"GET","path":"/whoami","x_test":"yes","headers_have_cookie":false,
		"cookie_session":"abc","legacy_claim_role":"todo_user","legacy_claim_sub":"alice","legacy_header":"application/json",
		"legacy_cookie":"abc","greeting":"hello","search_path":"\"api\", \"public\"","read_only":"on","pre_request":null}]`)

	plain := startServer(t, nil)
	expect(t, plain.get(t, "/whoami?select=legacy_header,greeting", "Accept", "application/json"), 200,
		`[{"legacy_header":null,"greeting":null}]`)
}

func TestPreRequest(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.PreRequest = "api.check_request" })
	expect(t, s.get(t, "/whoami?select=pre_request"), 200, `[{"pre_request":"ran"}]`)
	body := expectError(t, s.get(t, "/todos", "X-Block", "1"), 400, "P0001")
	if body["message"] != "blocked by pre-request" || body["hint"] != "remove X-Block" {
		t.Errorf("body %v", body)
	}
}

// A valid token without a role claim runs as the anonymous role, and counts
// as unauthenticated: permission errors are 401, as in PostgREST.
func TestAuthTokenWithoutRole(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/secrets", bearer(token(t, map[string]any{"sub": "alice"}))...)
	expectError(t, r, 401, "42501")
}
