package payload

import "github.com/pgrst/pgrst/server/media"

// Payload is a parsed request body. A Payload is reused from request to
// request: Parse overwrites it and keeps its buffers.
type Payload struct {
	// Media is the body's media type, decoded from Content-Type.
	Media Media

	// JSON is the body as a JSON document to bind: one object, or an array
	// of objects. For a JSON body it is the body itself (not copied); for a
	// CSV or form body, text converted into a buffer of the Payload; for a
	// JSON value that is neither an object nor an array, "[]" as in
	// PostgREST. Nil for a raw body (Raw). Read only.
	JSON []byte

	// Keys are the keys of the object, or of the array's first object
	// (every other object has the same set), without repetition and in
	// byte order: PostgREST keeps them as a set, so equal sets give equal
	// statements and function signatures. No keys for an empty array, or
	// for a CSV body without rows, as in PostgREST.
	Keys []string

	// Array says the body is an array of rows (a JSON array, CSV, or a JSON
	// scalar read as "[]") rather than one object.
	Array bool

	// Rows is the number of objects in JSON.
	Rows int

	// Empty says the request had no body. For a function, an empty JSON
	// body passes no arguments: JSON is then "{}".
	Empty bool

	// Unread says JSON is the body as sent and was not read: Keys, Array
	// and Rows are unknown (a JSON body with Options.Columns).
	Unread bool

	// Raw is a function's text/plain, text/xml or application/octet-stream
	// body, as sent.
	Raw []byte

	// Form holds the decoded pairs of a form body, in order and with
	// repetitions, for a function's arguments (PostgREST passes them like a
	// query string's parameters, so a repeated key fills a variadic
	// parameter). The bytes are valid until the next Parse or Reset.
	Form []Field

	stack []byte   // the JSON scanner's open containers
	tmp   []byte   // a JSON key, unescaped
	buf   []byte   // JSON converted from CSV or form bodies
	fbuf  []byte   // decoded form pairs
	fspan []span   // Form as spans of fbuf: key, value, key, value, ...
	hbuf  []byte   // CSV header, each name as a JSON object key
	hspan []span   // one `"name":` of hbuf per column
	kbuf  []byte   // the first object's keys, unescaped
	occ   []span   // each key of the first object, in order, in kbuf
	set   []int    // the distinct keys (indexes of occ) in byte order
	order []int    // per index of occ, its index in set
	seen  []uint   // per key of set, the last object that had it
	occb  [][]byte // the bytes of each key of occ
	setb  [][]byte // the bytes of each key of set

	row      uint // index of the object being read
	nkey     int  // keys read so far in that object
	count    int  // distinct keys of set seen so far in that object
	mismatch bool // some object's keys differ from the first's
}

// Field is one pair of a form body.
type Field struct {
	Key, Value []byte
}

// Options say what the body is for.
type Options struct {
	// RPC: the body holds the arguments of a function (POST /rpc/f). An
	// empty JSON body is then no arguments, and text/plain, text/xml and
	// application/octet-stream bodies are taken as they are.
	RPC bool
	// Columns: the query string has columns=. A JSON body is then bound
	// unread (see the package documentation).
	Columns bool
	// MaxJSON bounds the JSON a CSV body becomes, in bytes (0: no bound):
	// every row repeats the header's names, so a small body can expand a
	// thousandfold. The server passes its body limit.
	MaxJSON int
}

type span struct{ start, end int }

// maxRetain is the largest buffer Reset keeps, so that a pooled Payload
// does not pin the memory of one large body.
const maxRetain = 1 << 20

var (
	emptyArray  = []byte("[]")[:2:2]
	emptyObject = []byte("{}")[:2:2]
)

// Parse reads body, sent with Content-Type contentType (the header's
// value, e.g. "application/json; charset=utf-8"; empty when there is
// none, which PostgREST reads as JSON), into p. The error is an *Error.
// On error p is left empty.
func (p *Payload) Parse(contentType, body []byte, opt Options) error {
	p.clear()
	p.Media = decodeMedia(contentType)
	p.Empty = len(body) == 0
	var err error
	switch p.Media {
	case MediaJSON:
		switch {
		case opt.Columns:
			p.JSON, p.Unread = body, true
		case len(body) == 0 && opt.RPC:
			p.JSON, p.Rows = emptyObject, 1
		default:
			err = p.parseJSON(body)
		}
	case MediaCSV:
		err = p.parseCSV(body, opt.MaxJSON)
	case MediaForm:
		p.parseForm(body)
	case MediaText, MediaXML, MediaOctet:
		if !opt.RPC {
			err = errContentType(media.Decode(contentType).Mime())
		}
		p.Raw = body
	default:
		err = errContentType(media.Decode(contentType).Mime())
	}
	if err != nil {
		p.clear()
		return err
	}
	return nil
}

// Reset empties p and drops buffers larger than 1 MiB.
func (p *Payload) Reset() {
	p.clear()
	if cap(p.buf) > maxRetain {
		p.buf = nil
	}
	if cap(p.fbuf) > maxRetain {
		p.fbuf, p.fspan, p.Form = nil, nil, nil
	}
	if cap(p.kbuf) > maxRetain || cap(p.occ) > maxRetain/8 {
		p.kbuf, p.occ, p.set, p.order, p.seen, p.occb, p.setb, p.Keys = nil, nil, nil, nil, nil, nil, nil, nil
	}
	if cap(p.stack) > maxRetain {
		p.stack = nil
	}
	if cap(p.hbuf) > maxRetain || cap(p.hspan) > maxRetain/8 {
		p.hbuf, p.hspan = nil, nil
	}
}

// clear empties p and keeps its buffers.
func (p *Payload) clear() {
	p.Media = MediaJSON
	p.JSON = nil
	p.Keys = p.Keys[:0]
	p.Array = false
	p.Rows = 0
	p.Empty = false
	p.Unread = false
	p.Raw = nil
	p.Form = p.Form[:0]
	p.kbuf = p.kbuf[:0]
	p.occ = p.occ[:0]
	p.set = p.set[:0]
	p.row, p.nkey, p.count, p.mismatch = 0, 0, 0, false
}
