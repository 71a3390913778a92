package wire

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// Settings travel as two text[] literals built in place: quotes and
// backslashes are escaped, and adding settings to a reused Request does not
// allocate.
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
	if want := `"role","a\"b","c\\d","empty","request.headers"`; string(r.names) != want {
		t.Fatalf("names literal %s, want %s", r.names, want)
	}
	if raceEnabled {
		return
	}
	if n := testing.AllocsPerRun(100, fill); n != 0 {
		t.Fatalf("%v allocations per request's settings", n)
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
