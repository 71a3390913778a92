package cache

import (
	"strconv"
	"testing"
)

func TestBoundedStaysBounded(t *testing.T) {
	c := NewBounded[int](160)
	for i := 0; i < 10000; i++ {
		c.Put(strconv.Itoa(i), i)
	}
	if n := c.Len(); n > 160 || n == 0 {
		t.Fatalf("len %d, want 1..160", n)
	}
	// Every entry put is either still there or was evicted.
	if n, e := c.Len(), c.Evictions(); uint64(n)+e != 10000 {
		t.Fatalf("len %d + evictions %d != 10000 puts", n, e)
	}
	c.Put("x", 42)
	if v, ok := c.Get("x"); !ok || v != 42 {
		t.Fatalf("get x = %v %v", v, ok)
	}
	if _, ok := c.Get("absent"); ok {
		t.Fatal("absent key found")
	}
	if h, m := c.Stats(); h != 1 || m != 1 {
		t.Fatalf("stats %d %d", h, m)
	}
	c.Clear()
	if c.Len() != 0 {
		t.Fatal("clear left entries")
	}
}
