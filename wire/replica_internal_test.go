package wire

import (
	"testing"
)

func TestParseLSN(t *testing.T) {
	for in, want := range map[string]uint64{"0/0": 0, "0/3000148": 0x3000148, "16/B374D848": 0x16_B374D848,
		"ffffffff/FFFFFFFF": 1<<64 - 1} {
		if got, ok := ParseLSN([]byte(in)); !ok || got != want {
			t.Errorf("ParseLSN(%q) = %x, %v; want %x", in, got, ok, want)
		}
		if in != "ffffffff/FFFFFFFF" {
			if back := string(appendLSN(nil, want)); back != in {
				t.Errorf("appendLSN(%x) = %q, want %q", want, back, in)
			}
		}
	}
	for _, in := range []string{"", "/", "0/", "/0", "1", "0/x", "g/0", "123456789/0", "0/123456789", "0/1/2", " 0/1"} {
		if _, ok := ParseLSN([]byte(in)); ok {
			t.Errorf("ParseLSN(%q) accepted", in)
		}
	}
}

// A replica's URI takes what it lacks of user, password and database from
// the primary's, and is named by host:port.
func TestReplicaURI(t *testing.T) {
	primary := "postgres://auth:s3cret@primary:5432/app?sslmode=disable"
	for _, tt := range []struct{ in, full, name string }{
		{"postgres://r1", "postgres://auth:s3cret@r1/app", "r1:5432"},
		{"postgres://r1:5433/other", "postgres://auth:s3cret@r1:5433/other", "r1:5433"},
		{"postgres://auth@r1/app", "postgres://auth:s3cret@r1/app", "r1:5432"},
		{"postgres://reader@r1/app", "postgres://reader@r1/app", "r1:5432"},
		{"postgresql://reader:pw@10.0.0.2:6432/app?sslmode=require", "postgresql://reader:pw@10.0.0.2:6432/app?sslmode=require", "10.0.0.2:6432"},
	} {
		full, name, err := replicaURI(primary, tt.in)
		if err != nil || full != tt.full || name != tt.name {
			t.Errorf("replicaURI(%q) = %q, %q, %v; want %q, %q", tt.in, full, name, err, tt.full, tt.name)
		}
	}
	if _, _, err := replicaURI(primary, "host=r1"); err == nil {
		t.Error("a key=value string was accepted")
	}
}

// Pick goes round the replicas that are up, have replayed the floor and
// have a free connection; a position none is known to have needs the
// guard.
func TestPick(t *testing.T) {
	rs := &Replicas{}
	for _, name := range []string{"a", "b", "c"} {
		rs.list = append(rs.list, &Replica{Name: name, pool: &Pool{maxConns: 1}})
	}
	set := func(r *Replica, st ReplicaState, replay uint64) {
		r.state.Store(uint32(st))
		r.replay.Store(replay)
	}
	set(rs.list[0], ReplicaUp, 100)
	set(rs.list[1], ReplicaDown, 500)
	set(rs.list[2], ReplicaUp, 300)
	seen := map[string]int{}
	for range 10 {
		r, guard := rs.Pick(0)
		if r == nil || guard {
			t.Fatalf("Pick(0) = %v, %v", r, guard)
		}
		seen[r.Name]++
	}
	if seen["b"] != 0 || seen["a"] == 0 || seen["c"] == 0 {
		t.Fatalf("picked %v", seen)
	}
	if r, guard := rs.Pick(200); r != rs.list[2] || guard {
		t.Fatalf("Pick(200) = %v, %v; want c without guard", r.Name, guard)
	}
	if r, guard := rs.Pick(400); r == nil || !guard {
		t.Fatalf("Pick(400) = %v, %v; want a replica with the guard", r, guard)
	}
	rs.list[0].pool.running.Store(1) // a's pool full
	for range 5 {
		if r, _ := rs.Pick(0); r != rs.list[2] {
			t.Fatalf("Pick with a's pool full: %v", r.Name)
		}
	}
	rs.list[2].pool.running.Store(1)
	if r, _ := rs.Pick(0); r != nil || rs.Overflows() != 1 {
		t.Fatalf("Pick with every pool full = %v, %d overflows; want the primary, 1", r, rs.Overflows())
	}
	rs.list[0].pool.running.Store(0)
	rs.list[2].pool.running.Store(0)
	rs.floor.Store(200)
	for range 5 {
		if r, _ := rs.Pick(0); r != rs.list[2] {
			t.Fatalf("Pick below the floor: %v", r.Name)
		}
	}
	set(rs.list[2], ReplicaLagging, 300)
	if r, _ := rs.Pick(0); r != nil {
		t.Fatalf("Pick = %v; want the primary", r.Name)
	}
}

// Just past a page header is where the previous record ended.
func TestRecordEnd(t *testing.T) {
	for in, want := range map[uint64]uint64{0x3000028: 0x3000000, 0x3002018: 0x3002000, 0x3002019: 0x3002019,
		0x3002000: 0x3002000, 0x3002040: 0x3002040} {
		if got := recordEnd(in); got != want {
			t.Errorf("recordEnd(%x) = %x, want %x", in, got, want)
		}
	}
}
