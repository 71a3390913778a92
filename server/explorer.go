package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/pgrst/pgrst/server/openapi"
)

// The API explorer: Swagger UI (the swagger-ui-dist npm package, unpacked
// in a directory: admin-server-explorer-dir) served by the admin server at
// /explorer/, pointed at the API's description. The files are read once,
// when the admin server starts.

// explorerFiles are the files of swagger-ui-dist the page uses.
var explorerFiles = map[string]string{
	"swagger-ui-bundle.js":            "text/javascript; charset=utf-8",
	"swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
	"swagger-ui.css":                  "text/css; charset=utf-8",
	"index.css":                       "text/css; charset=utf-8",
	"favicon-32x32.png":               "image/png",
}

type explorerFile struct {
	contentType string
	body        []byte
}

// loadExplorer reads the explorer's files from dir and builds its page.
// apiPort and proxyURI say where the browser reaches the API: the
// page's own host on apiPort, or the proxy's origin and base path.
func loadExplorer(dir string, apiPort int, proxyURI string) (map[string]explorerFile, error) {
	files := make(map[string]explorerFile, len(explorerFiles)+1)
	for name, ct := range explorerFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("admin-server-explorer-dir: %w (a directory holding the swagger-ui-dist package)", err)
		}
		files[name] = explorerFile{ct, b}
	}
	origin := "location.protocol + '//' + location.hostname + ':" + strconv.Itoa(apiPort) + "'"
	spec := `api + "/"`
	if scheme, host, port, base, ok := openapi.Proxy(proxyURI); ok {
		origin = strconv.Quote(scheme + "://" + host + ":" + strconv.Itoa(port))
		spec = "api + " + strconv.Quote(base)
	}
	page := strings.NewReplacer("API_ORIGIN", origin, "SPEC_URL", spec).Replace(explorerPage)
	files[""] = explorerFile{"text/html; charset=utf-8", []byte(page)}
	return files, nil
}

// explorerPage loads the description from the API and sends every "Try
// it out" request to the API's origin: a description names the host the
// server listens on, which may be a wildcard address (0.0.0.0) a browser
// cannot use.
const explorerPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pgrst API explorer</title>
<link rel="stylesheet" href="swagger-ui.css">
<link rel="stylesheet" href="index.css">
<link rel="icon" type="image/png" href="favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="swagger-ui-bundle.js"></script>
<script src="swagger-ui-standalone-preset.js"></script>
<script>
const api = API_ORIGIN;
window.ui = SwaggerUIBundle({
  url: SPEC_URL,
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  validatorUrl: "none",
  requestInterceptor: (req) => {
    const u = new URL(req.url, api);
    req.url = api + u.pathname + u.search;
    return req;
  },
});
</script>
</body>
</html>
`

// serveExplorer answers /explorer/<file>; ok is false for other paths.
func (a *Admin) serveExplorer(ctx *fasthttp.RequestCtx) (ok bool) {
	name, found := strings.CutPrefix(string(ctx.Path()), "/explorer/")
	if !found || a.explorer == nil {
		return false
	}
	f, found := a.explorer[name]
	if !found {
		return false
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.Response.Header.SetContentType(f.contentType)
	ctx.Response.SetBodyRaw(f.body)
	return true
}
