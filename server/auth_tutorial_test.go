package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// The authentication tutorial of PostgREST 5.0's documentation, end to
// end (sql/test_auth.sql): sign up, log in through /rpc/login, which mints
// a JWT in SQL, then use that token for a table only logged-in users see.
func TestAuthTutorial(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) {
		o.AppSettings = [][2]string{{"app.settings.jwt_secret", testSecret}}
		o.LegacyGUCs = true
	})
	expectError(t, s.get(t, "/tutorial_notes"), 401, "42501")

	r := s.send(t, "POST", "/rpc/signup", `{"email":"ann@example.com","pass":"s3cret"}`)
	if r.Status != 204 {
		t.Fatalf("signup: %d %s", r.Status, r.Body)
	}
	// The password is stored hashed, out of the API's reach.
	expectError(t, s.send(t, "POST", "/rpc/signup", `{"email":"ann@example.com","pass":"again"}`), 409, "23505")

	b := expectError(t, s.send(t, "POST", "/rpc/login", `{"email":"ann@example.com","pass":"wrong"}`), 403, "28P01")
	if b["message"] != "invalid user or password" {
		t.Errorf("body %v", b)
	}
	r = s.send(t, "POST", "/rpc/login", `{"email":"ann@example.com","pass":"s3cret"}`)
	var login struct{ Token string }
	if err := json.Unmarshal([]byte(r.Body), &login); r.Status != 200 || err != nil || strings.Count(login.Token, ".") != 2 {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	auth := []string{"Authorization", "Bearer " + login.Token}

	r = s.send(t, "POST", "/tutorial_notes?select=owner,note", `{"note":"first"}`,
		append(auth, "Prefer", "return=representation")...)
	expect(t, r, 201, `[{"owner":"ann@example.com","note":"first"}]`)
	expect(t, s.get(t, "/tutorial_notes?select=note", auth...), 200, `[{"note":"first"}]`)
	expect(t, s.get(t, "/rpc/tutorial_me", auth...), 200, `"ann@example.com"`)
	// A token signed with another secret is refused.
	forged := login.Token[:strings.LastIndexByte(login.Token, '.')+1] + "AAAA"
	expectError(t, s.get(t, "/tutorial_notes", "Authorization", "Bearer "+forged), 401, "PGRST301")
}

// With db-use-legacy-gucs, a claim whose name cannot be a setting's
// ("http://...") is left out of request.jwt.claim.*, not an error; it is
// still in request.jwt.claims.
func TestLegacyClaimNames(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.LegacyGUCs = true })
	tok := token(t, map[string]any{"role": "tutorial_user", "email": "bo@example.com", "http://example.com/admin": true})
	expect(t, s.get(t, "/rpc/tutorial_me", "Authorization", "Bearer "+tok), 200, `"bo@example.com"`)
}
