package faultproxy

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// echo is a server that writes back what it reads.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(t *testing.T, c net.Conn, msg string, wait time.Duration) (string, error) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, len(msg))
	_, err := io.ReadFull(c, buf)
	return string(buf), err
}

func TestFaults(t *testing.T) {
	p, err := Start(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(p.Port()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := roundTrip(t, c, "hello", time.Second); err != nil || got != "hello" {
		t.Fatalf("relay: %q %v", got, err)
	}

	// Stalled: nothing comes back, the connection stays open; resumed,
	// the held bytes arrive.
	p.Stall()
	if _, err := roundTrip(t, c, "held", 200*time.Millisecond); err == nil {
		t.Fatal("bytes relayed while stalled")
	}
	p.Resume()
	c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "held" {
		t.Fatalf("after Resume: %q %v", buf, err)
	}

	// Slow: the answer waits the delay.
	p.Delay(150 * time.Millisecond)
	start := time.Now()
	if got, err := roundTrip(t, c, "slow", time.Second); err != nil || got != "slow" {
		t.Fatalf("delayed: %q %v", got, err)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Fatalf("delay 150ms, answer after %v", took)
	}
	p.Resume()

	// Cut: the connection ends.
	p.Cut()
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := c.Read(buf); err != io.EOF {
		t.Fatalf("after Cut: %v", err)
	}
}

// StallOpen hangs the connections open then; new ones pass.
func TestStallOpen(t *testing.T) {
	p, err := Start(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	addr := "127.0.0.1:" + strconv.Itoa(p.Port())
	old, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if got, err := roundTrip(t, old, "a", time.Second); err != nil || got != "a" {
		t.Fatalf("relay: %q %v", got, err)
	}
	p.StallOpen()
	if _, err := roundTrip(t, old, "b", 200*time.Millisecond); err == nil {
		t.Fatal("a stalled connection relayed")
	}
	fresh, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if got, err := roundTrip(t, fresh, "c", time.Second); err != nil || got != "c" {
		t.Fatalf("a new connection: %q %v", got, err)
	}
}
