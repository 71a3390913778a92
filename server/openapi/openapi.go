package openapi

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pgrst/pgrst/cache"
)

// Options are the parts of the configuration a description shows.
type Options struct {
	// Version is pgrst's version (info.version).
	Version string
	// Scheme, Host, Port and BasePath say where the API is reached: the
	// server's own address, or openapi-server-proxy-uri's (see Proxy).
	Scheme   string
	Host     string
	Port     int
	BasePath string
	// SecurityActive is openapi-security-active: the description declares
	// JWT bearer authentication.
	SecurityActive bool
	// SearchPath lists the schemas, besides the one described, whose types
	// a function's arguments name without their schema (db-extra-search-path).
	SearchPath []string
}

// Proxy parses openapi-server-proxy-uri, an absolute http(s) URI, into
// scheme, host, port (80 or 443 when absent) and base path ("/" when
// absent); ok is false for anything else.
func Proxy(uri string) (scheme, host string, port int, basePath string, ok bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return "", "", 0, "", false
	}
	scheme = strings.ToLower(u.Scheme)
	switch scheme {
	case "http":
		port = 80
	case "https":
		port = 443
	default:
		return "", "", 0, "", false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return "", "", 0, "", false
		}
		port = n
	}
	basePath = u.EscapedPath()
	if basePath == "" {
		basePath = "/"
	}
	return scheme, u.Hostname(), port, basePath, true
}

// ServerHost is the host the description names for server-host: a
// wildcard (PostgREST's "*", "!4", ...) or none as 0.0.0.0.
func ServerHost(h string) string {
	switch h {
	case "", "*", "*4", "!4", "*6", "!6":
		return "0.0.0.0"
	}
	return h
}

// Visible says which relations and functions of the schema a description
// lists: all of them (ignore-privileges), or those whose oids are in the
// sets (follow-privileges: what the request's role may use).
type Visible struct {
	All       bool
	Relations map[uint32]bool
	Functions map[uint32]bool
}

// api is what a description describes, in the order it lists it.
type api struct {
	sc        *cache.Schema
	schema    string
	comment   string
	relations []*cache.Relation
	functions []*cache.Function
	o         *Options
}

func newAPI(sc *cache.Schema, schema string, v *Visible, o *Options) *api {
	a := &api{sc: sc, schema: schema, comment: sc.SchemaComments[schema], o: o}
	for k, r := range sc.Relations {
		if k.Schema == schema && (v.All || v.Relations[r.OID]) {
			a.relations = append(a.relations, r)
		}
	}
	slices.SortFunc(a.relations, func(x, y *cache.Relation) int { return strings.Compare(x.Name, y.Name) })
	for k, fs := range sc.Functions {
		if k.Schema != schema {
			continue
		}
		// One path per name: of the overloads, the last visible one
		// (the one with the most arguments).
		for i := len(fs) - 1; i >= 0; i-- {
			if v.All || v.Functions[fs[i].OID] {
				a.functions = append(a.functions, fs[i])
				break
			}
		}
	}
	slices.SortFunc(a.functions, func(x, y *cache.Function) int { return strings.Compare(x.Name, y.Name) })
	return a
}

// argType is the name of an argument's type as the request's search_path
// shows it: without its schema when that schema is the described one or
// on db-extra-search-path.
func (a *api) argType(arg *cache.FuncArg) string {
	s := arg.TypeSchema
	if s == "" || s == "pg_catalog" || s != a.schema && !slices.Contains(a.o.SearchPath, s) {
		return arg.Type
	}
	if t, ok := strings.CutPrefix(arg.Type, quoteIdent(s)+"."); ok {
		return t
	}
	return arg.Type
}

// quoteIdent quotes an identifier as format_type() does: only when needed.
func quoteIdent(s string) string {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '$')) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// jsonType maps a PostgreSQL type to a JSON Schema type: "" for json and
// jsonb (any value), "array" for arrays, "string" for what it does not know.
func jsonType(t string) string {
	switch t {
	case "character varying", "character", "text":
		return "string"
	case "boolean":
		return "boolean"
	case "smallint", "integer", "bigint":
		return "integer"
	case "numeric", "real", "double precision":
		return "number"
	case "json", "jsonb":
		return ""
	}
	if strings.HasSuffix(t, "[]") {
		return "array"
	}
	return "string"
}

// jsonFormat is the format of a PostgreSQL type: int32 or int64 for the
// integers, else the type's own name.
func jsonFormat(t string) string {
	switch t {
	case "smallint", "integer":
		return "int32"
	case "bigint":
		return "int64"
	}
	return t
}

// elemType is the element type of an array type ("integer[]" → "integer").
func elemType(t string) string { return strings.TrimSuffix(t, "[]") }

// defaultValue is a column's default as a JSON value, when it is a
// literal: for string types the quoted literal (cast removed), else the
// expression itself when it is JSON (42, false). nil when it is neither.
func defaultValue(typ, def string) json.RawMessage {
	v := def
	if jsonType(typ) == "string" {
		if lit, ok := strings.CutSuffix(def, "::"+typ); ok {
			v = strings.Trim(lit, "'")
		}
		v = `"` + v + `"`
	}
	if !json.Valid([]byte(v)) {
		return nil
	}
	return json.RawMessage(v)
}

// splitComment splits a comment into summary (its first line) and
// description (the rest, leading newlines removed).
func splitComment(c string) (summary, description string) {
	summary, description, _ = strings.Cut(c, "\n")
	return summary, strings.TrimLeft(description, "\n")
}

// columnDescription is a column's comment followed by notes naming its
// primary key and foreign key, as PostgREST writes them.
func (a *api) columnDescription(r *cache.Relation, c *cache.Column) string {
	notes := []string{"Note:"}
	if slices.Contains(r.PrimaryKey, c.Name) {
		notes = append(notes, "This is a Primary Key.<pk/>")
	}
	if t, col, ok := a.foreignKey(r, c.Name); ok {
		notes = append(notes, "This is a Foreign Key to `"+t+"."+col+"`.<fk table='"+t+"' column='"+col+"'/>")
	}
	if len(notes) == 1 {
		return c.Comment
	}
	d := strings.Join(notes, "\n")
	if c.Comment != "" {
		d = c.Comment + "\n\n" + d
	}
	return d
}

// foreignKey finds the relation and column a single-column foreign key on
// col points to, preferring tables to views (a view's key traced to the
// table it shows).
func (a *api) foreignKey(r *cache.Relation, col string) (table, column string, ok bool) {
	var found *cache.Relationship
	for _, rel := range a.sc.Relationships[cache.QName{Schema: r.Schema, Name: r.Name}] {
		if rel.Computed || len(rel.Columns) != 1 || rel.Columns[0] != col ||
			!(rel.Card == cache.ManyToOne || rel.Card == cache.OneToOne && !rel.IsParent) {
			continue
		}
		if found == nil || found.ForeignIsView && !rel.ForeignIsView {
			found = rel
		}
	}
	if found == nil {
		return "", "", false
	}
	return found.Foreign.Name, found.ForeignColumns[0], true
}

// docsURL is PostgREST's API reference, the documentation pgrst follows.
const docsURL = "https://postgrest.org/en/v16/references/api.html"

// Title and description when the schema has no comment.
const (
	defaultTitle       = "PostgREST API"
	defaultDescription = "This is a dynamic API generated by PostgREST"
)

func (a *api) info() (title, description string) {
	if a.comment == "" {
		return defaultTitle, defaultDescription
	}
	return splitComment(a.comment)
}

// The Prefer values each kind of request takes.
var (
	preferReturn     = []string{"return=representation", "return=minimal", "return=none"}
	preferCount      = []string{"count=none"}
	preferResolution = []string{"resolution=ignore-duplicates", "resolution=merge-duplicates"}
)

// The media types reads and calls produce, in PostgREST's order.
var (
	callMedia  = []string{"application/json", "application/vnd.pgrst.object+json;nulls=stripped", "application/vnd.pgrst.object+json"}
	tableMedia = append(slices.Clone(callMedia), "text/csv")
	rootMedia  = []string{"application/openapi+json", "application/json"}
)

// omap is a JSON object whose keys keep the order they were added in.
type omap[V any] []entry[V]

type entry[V any] struct {
	k string
	v V
}

func (m *omap[V]) add(k string, v V) { *m = append(*m, entry[V]{k, v}) }

func (m omap[V]) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range m {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
