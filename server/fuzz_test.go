package server

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/pgrst/pgrst/apierr"
	"github.com/pgrst/pgrst/planner"
)

// FuzzRange checks that no Range header, over any limit and offset of
// the query, makes applyRangeHeader panic; that it fails only with 416
// PGRST103; and that the page it leaves is a part of the one the query
// asked for and of the one the header asked for. Seeds live in
// testdata/fuzz/FuzzRange.
func FuzzRange(f *testing.F) {
	f.Add([]byte("0-9"), "", "")
	f.Add([]byte("5-"), "2", "10")
	f.Add([]byte("10-5"), "-1", "0")
	f.Add([]byte("0-99999999999999999999"), "99999999999999999999", "9223372036854775807")
	f.Fuzz(func(t *testing.T, h []byte, limit, offset string) {
		raw := ""
		if limit != "" {
			raw = "limit=" + limit
		}
		if offset != "" {
			raw += "&offset=" + offset
		}
		q, err := planner.ParseQuery(raw)
		if err != nil {
			return
		}
		before := *q
		lo, hi, ok := parseRange(h)
		if ok && (lo < 0 || hi < 0) {
			t.Fatalf("parseRange(%q) = %d, %d", h, lo, hi)
		}
		if err := applyRangeHeader(q, h); err != nil {
			var e *apierr.Error
			if !errors.As(err, &e) || e.Status != 416 || e.Code != "PGRST103" {
				t.Fatalf("error %#v", err)
			}
			return
		}
		if q.Offset < 0 || q.Limit < -1 {
			t.Fatalf("offset %d, limit %d", q.Offset, q.Limit)
		}
		end := func(o, l int64) int64 { // one past the last row
			if l < 0 || o > math.MaxInt64-l {
				return math.MaxInt64
			}
			return o + l
		}
		if q.Offset < before.Offset || end(q.Offset, q.Limit) > end(before.Offset, before.Limit) {
			t.Fatalf("%q widened [%d,+%d) to [%d,+%d)", h, before.Offset, before.Limit, q.Offset, q.Limit)
		}
		if ok && !(before.HasRange && before.Limit == 0) {
			if q.Offset < lo || hi < math.MaxInt64 && end(q.Offset, q.Limit) > hi+1 {
				t.Fatalf("%q gave [%d,+%d)", h, q.Offset, q.Limit)
			}
		}
	})
}

// FuzzAccept checks that no Accept header makes parseAccept, the media
// types' names or the 406 error panic; that it yields one entry per
// comma-separated item, best first; and that a reused list agrees. Seeds
// live in testdata/fuzz/FuzzAccept.
func FuzzAccept(f *testing.F) {
	f.Add([]byte("application/json"))
	f.Add([]byte("text/csv;q=0.5, application/vnd.pgrst.object+json;nulls=stripped, */*;q=0.1"))
	f.Add([]byte(`application/vnd.pgrst.plan+json; for="application/json"; options=analyze|verbose`))
	f.Add([]byte("text/*;q=1e-3,;q=,a/b;q=-1"))
	f.Fuzz(func(t *testing.T, h []byte) {
		list := parseAccept(nil, h)
		want := 1 // a missing header is */*
		if len(h) > 0 {
			// A trailing comma ends the list; every other one parts items.
			want = bytes.Count(bytes.TrimSuffix(h, []byte(",")), []byte(",")) + 1
		}
		if len(list) != want {
			t.Fatalf("%d entries, want %d", len(list), want)
		}
		for i := range list {
			if i > 0 && list[i].q > list[i-1].q {
				t.Fatalf("not best first: %v", list)
			}
			_ = list[i].Mime()
		}
		if e := errMediaType(list); e.Status != 406 {
			t.Fatalf("406 error %#v", e)
		}
		// As the handler reuses its list.
		again := parseAccept(parseAccept(nil, []byte("a/b;q=0.3,c/d,e/f;x=y"))[:0], h)
		if len(again) != len(list) {
			t.Fatalf("reused: %d entries, fresh %d", len(again), len(list))
		}
		for i := range list {
			if list[i].Mime() != again[i].Mime() || list[i].q != again[i].q || list[i].spec != again[i].spec {
				t.Fatalf("reused: entry %d differs", i)
			}
		}
	})
}
