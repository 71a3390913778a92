package wire

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Settings travel as parameters of one set_config per setting, names and
// values as they are; adding settings to a reused Request and building the
// statement's parameters does not allocate. Beyond maxArity settings they
// travel as two text[] literals, quotes and backslashes escaped.
func TestRequestSettings(t *testing.T) {
	var r Request
	names := []string{"role", `a"b`, `c\d`, "empty", "request.headers"}
	values := []string{"web_anon", `x"y`, `\`, "", `{"k":"v\"w"}`}
	fill := func() {
		r.ResetSettings()
		for i := range names {
			if i%2 == 0 {
				r.Set(names[i], values[i])
			} else {
				r.SetBytes([]byte(names[i]), []byte(values[i]))
			}
		}
	}
	fill()
	if n, v := r.Settings(); !reflect.DeepEqual(n, names) || !reflect.DeepEqual(v, values) {
		t.Fatalf("settings %q = %q", n, v)
	}
	r.Tx = Tx{ReadOnly: true}
	sql, params := r.settingsParams()
	if want := "select set_config($1, $2, true), set_config($3, $4, true), set_config($5, $6, true), " +
		"set_config($7, $8, true), set_config($9, $10, true), set_config($11, $12, true)"; sql != want {
		t.Fatalf("statement %s, want %s", sql, want)
	}
	want := []string{"transaction_read_only", "on"}
	for i := range names {
		want = append(want, names[i], values[i])
	}
	if got := strs(params); !reflect.DeepEqual(got, want) {
		t.Fatalf("parameters %q, want %q", got, want)
	}
	if sql, params := (&Request{}).settingsParams(); sql != "" || params != nil {
		t.Fatalf("no settings: %q %q", sql, params)
	}
	if !raceEnabled {
		if n := testing.AllocsPerRun(100, func() { fill(); r.settingsParams() }); n != 0 {
			t.Fatalf("%v allocations per request's settings", n)
		}
	}

	for len(r.ends)/2 <= maxArity {
		r.Set("x", "y")
	}
	r.Tx = Tx{}
	sql, params = r.settingsParams()
	if sql != settingsUnnestSQL || len(params) != 2 {
		t.Fatalf("%d settings: %s with %d parameters", len(r.ends)/2, sql, len(params))
	}
	if want := `{"role","a\"b","c\\d","empty","request.headers","x"`; !strings.HasPrefix(string(params[0]), want) {
		t.Fatalf("names literal %s, want %s...", params[0], want)
	}
	if want := `,"y"}`; !strings.HasPrefix(string(params[1]), `{"web_anon","x\"y","\\","",`) || !strings.HasSuffix(string(params[1]), want) {
		t.Fatalf("values literal %s", params[1])
	}
}

// The acquisition timeout's context expires like context.WithTimeout's,
// and an expired one is never handed out again.
func TestTimeoutCtx(t *testing.T) {
	c := getTimeoutCtx(time.Hour)
	if c.Err() != nil {
		t.Fatal("expired at once")
	}
	if d, ok := c.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Fatalf("deadline %v %v", d, ok)
	}
	c.release()
	c = getTimeoutCtx(time.Millisecond)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("did not expire")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err %v", c.Err())
	}
	c.release()
	for range 10 {
		d := getTimeoutCtx(time.Hour)
		if d == c || d.Err() != nil {
			t.Fatal("an expired context was reused")
		}
		d.release()
	}
}

func strs(b [][]byte) []string {
	out := make([]string, len(b))
	for i, v := range b {
		out[i] = string(v)
	}
	return out
}
