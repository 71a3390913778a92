//go:build browser

package server_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pgrst/pgrst/server"
)

// TestExplorerInBrowser opens the API explorer (Swagger UI from
// swagger-ui-dist, served by the admin server) in headless Chromium: the
// page loads the description, lists the demo's tables, and "Try it out"
// on GET /todos returns rows. It needs Chromium and swagger-ui-dist
// (PGRST_EXPLORER_DIR, default .explorer/swagger-ui-dist): make
// test-browser provides both.
func TestExplorerInBrowser(t *testing.T) {
	dir := os.Getenv("PGRST_EXPLORER_DIR")
	if dir == "" {
		dir = filepath.Join("..", ".explorer", "swagger-ui-dist")
	}
	if _, err := os.Stat(filepath.Join(dir, "swagger-ui-bundle.js")); err != nil {
		t.Fatalf("swagger-ui-dist not found (run make test-browser): %v", err)
	}
	s := startServer(t, nil)
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	a := server.NewAdmin(s.srv, server.AdminOptions{ExplorerDir: dir, APIPort: port})
	adminURL := serveOnFreePort(t, a.Serve, a.Shutdown)

	// Swagger UI renders only the operations in view: a tall window shows them all.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox, chromedp.WindowSize(1280, 40000))
	if p := os.Getenv("CHROMIUM"); p != "" {
		opts = append(opts, chromedp.ExecPath(p))
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 180*time.Second)
	defer cancel()

	// The first action starts the browser, under ctx: a shorter context
	// would close the browser when it ends.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	wait, cancelWait := context.WithTimeout(ctx, 90*time.Second)
	err = chromedp.Do(wait,
		chromedp.Navigate(adminURL+"/explorer/"),
		chromedp.WaitVisible(`.opblock-tag[data-tag="todos"]`),
	)
	cancelWait()
	if err != nil {
		text, evalErr := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%v; the page says (%v):\n%.3000s", err, evalErr, text)
	}
	tags, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.opblock-tag')].map(e => e.dataset.tag)`))
	if err != nil {
		t.Fatal(err)
	}
	ops, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.opblock')].map(e => e.id)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"todos", "films", "directors", "actors", "roles", "film_summary"} {
		if !slices.Contains(tags, want) {
			t.Errorf("the explorer does not list %s: %v", want, tags)
		}
	}
	i := slices.IndexFunc(ops, func(id string) bool { return strings.HasPrefix(id, "operations-todos-get") })
	if i < 0 {
		t.Fatalf("no GET /todos operation: %v", ops)
	}
	op := "#" + ops[i]
	err = chromedp.Do(ctx,
		chromedp.Click(op+" .opblock-summary"),
		chromedp.WaitVisible(op+" .try-out__btn"),
		chromedp.Click(op+" .try-out__btn"),
		chromedp.WaitVisible(op+" .execute"),
		chromedp.Click(op+" .execute"),
		chromedp.WaitVisible(op+" .live-responses-table tr.response .response-col_status"),
	)
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(op+" .live-responses-table tr.response .response-col_status"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(op+" .live-responses-table tr.response .response-col_description"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "200") || !strings.Contains(body, "finish tutorial 0") {
		t.Errorf("Try it out on GET /todos: status %q, body %.500s", status, body)
	}
}
