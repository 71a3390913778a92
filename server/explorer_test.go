package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgrst/pgrst/server"
)

// fakeExplorerDir is a directory shaped like swagger-ui-dist.
func fakeExplorerDir(t *testing.T) string {
	dir := t.TempDir()
	for _, f := range []string{"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "index.css", "favicon-32x32.png"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("/* "+f+" */"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The admin server serves the explorer's page and files at /explorer/,
// pointed at the API's port or at the proxy URI.
func TestAdminExplorer(t *testing.T) {
	s := startServer(t, nil)
	dir := fakeExplorerDir(t)
	a := server.NewAdmin(s.srv, server.AdminOptions{ExplorerDir: dir, APIPort: 3000})
	admin := &adminServer{url: serveOnFreePort(t, a.Serve, a.Shutdown)}
	page := admin.get(t, "/explorer/")
	if !strings.Contains(page, `src="swagger-ui-bundle.js"`) || !strings.Contains(page, "location.hostname + ':3000'") {
		t.Errorf("page:\n%s", page)
	}
	if b := admin.get(t, "/explorer/swagger-ui.css"); b != "/* swagger-ui.css */" {
		t.Errorf("css %q", b)
	}
	res, err := http.Get(admin.url + "/explorer")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/explorer/" {
		t.Errorf("/explorer led to %s", res.Request.URL)
	}
	for _, p := range []string{"/explorer/package.json", "/explorer/../go.mod"} {
		if st := admin.status(t, p); st != 404 {
			t.Errorf("%s: %d", p, st)
		}
	}

	a = server.NewAdmin(s.srv, server.AdminOptions{ExplorerDir: dir, ProxyURI: "https://api.example.com/v1"})
	admin = &adminServer{url: serveOnFreePort(t, a.Serve, a.Shutdown)}
	if page := admin.get(t, "/explorer/"); !strings.Contains(page, `const api = "https://api.example.com:443";`) ||
		!strings.Contains(page, `url: api + "/v1",`) {
		t.Errorf("proxy page:\n%s", page)
	}

	// Without the files, no explorer (the admin server still runs).
	a = server.NewAdmin(s.srv, server.AdminOptions{ExplorerDir: t.TempDir()})
	admin = &adminServer{url: serveOnFreePort(t, a.Serve, a.Shutdown)}
	if st := admin.status(t, "/explorer/"); st != 404 {
		t.Errorf("explorer without files: %d", st)
	}
	if st := admin.status(t, "/live"); st != 200 {
		t.Errorf("/live: %d", st)
	}
}
