package payload

import (
	"encoding/json"
	"strconv"
	"testing"
)

// bulkJSON is a JSON array of n rows of several kinds of values.
func bulkJSON(n int) []byte {
	b := []byte{'['}
	for i := range n {
		if i > 0 {
			b = append(b, ",\n"...)
		}
		s := strconv.Itoa(i)
		b = append(b, `{"id":`+s+`,"name":"item `+s+`","price":`+s+`.25,"active":true,`+
			`"tags":["a","b\"c"],"meta":{"k":null},"note":"caf\u00e9 ü"}`...)
	}
	return append(b, ']')
}

// bulkCSV is a CSV body of n rows.
func bulkCSV(n int) []byte {
	b := []byte("id,name,price,active,note\n")
	for i := range n {
		s := strconv.Itoa(i)
		b = append(b, s+`,item `+s+`,`+s+`.25,true,"café, ""ü"""`+"\n"...)
	}
	return b
}

func bulkForm(n int) []byte {
	var b []byte
	for i := range n {
		if i > 0 {
			b = append(b, '&')
		}
		s := strconv.Itoa(i)
		b = append(b, "k"+s+"=caf%C3%A9+"+s...)
	}
	return b
}

func benchParse(b *testing.B, ct string, body []byte) {
	var p Payload
	mt := []byte(ct)
	if err := p.Parse(mt, body, Options{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Parse(mt, body, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Rows), "rows")
}

func BenchmarkJSON10000(b *testing.B) { benchParse(b, "application/json", bulkJSON(10000)) }
func BenchmarkCSV10000(b *testing.B)  { benchParse(b, "text/csv", bulkCSV(10000)) }
func BenchmarkJSONObject(b *testing.B) {
	benchParse(b, "application/json", []byte(`{"id":1,"name":"item 1","price":1.25,"active":true}`))
}
func BenchmarkForm(b *testing.B) { benchParse(b, "application/x-www-form-urlencoded", bulkForm(10)) }

// BenchmarkCSV20000Reset parses a body whose JSON is over maxRetain with a
// Reset after each, as the server's pooled Payload does: what a large CSV
// body costs in allocations per request.
func BenchmarkCSV20000Reset(b *testing.B) {
	var p Payload
	mt, body := []byte("text/csv"), bulkCSV(20000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Parse(mt, body, Options{}); err != nil {
			b.Fatal(err)
		}
		if len(p.buf) <= maxRetain {
			b.Fatalf("%d bytes of JSON: not over maxRetain", len(p.buf))
		}
		p.Reset()
	}
}

// BenchmarkStdlibValid is encoding/json.Valid on the body of
// BenchmarkJSON10000, for comparison: it checks the syntax only.
func BenchmarkStdlibValid(b *testing.B) {
	body := bulkJSON(10000)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if !json.Valid(body) {
			b.Fatal("invalid")
		}
	}
}
