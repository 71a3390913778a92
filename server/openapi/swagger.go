package openapi

import (
	"encoding/json"
	"strconv"

	"github.com/pgrst/pgrst/cache"
)

// Swagger renders the Swagger 2.0 description of schema as PostgREST
// writes it: a path, a definition and row filter parameters per visible
// relation, a path per visible function.
func Swagger(sc *cache.Schema, schema string, v *Visible, o *Options) ([]byte, error) {
	return json.Marshal(newAPI(sc, schema, v, o).swagger())
}

func (a *api) swagger() *swaggerDoc {
	o := a.o
	title, desc := a.info()
	doc := swaggerDoc{
		Swagger:      "2.0",
		Info:         info{Version: o.Version, Title: title, Description: desc},
		ExternalDocs: externalDocs{Description: "PostgREST Documentation", URL: docsURL},
		Host:         o.hostPort(),
		BasePath:     o.BasePath,
		Schemes:      []string{o.Scheme},
		Consumes:     tableMedia,
		Produces:     tableMedia,
		Parameters:   swaggerParams(a),
	}
	doc.Paths.add("/", pathItem{Get: &operation{Tags: []string{"Introspection"},
		Summary: "OpenAPI description (this document)", Produces: rootMedia, Responses: ok()}})
	for _, r := range a.relations {
		doc.Definitions.add(r.Name, a.swaggerDefinition(r))
		doc.Paths.add("/"+r.Name, swaggerRelationPath(r))
	}
	for _, f := range a.functions {
		doc.Paths.add("/rpc/"+f.Name, a.swaggerFunctionPath(f))
	}
	if o.SecurityActive {
		doc.Security = []map[string][]string{{"JWT": {}}}
		doc.SecurityDefinitions = map[string]securityScheme{"JWT": {Type: "apiKey", In: "header",
			Name: "Authorization", Description: `Add the token prepending "Bearer " (without quotes) to it`}}
	}
	return &doc
}

// hostPort is host:port, or the host alone without a port (a test server).
func (o *Options) hostPort() string {
	if o.Port == 0 {
		return o.Host
	}
	return o.Host + ":" + strconv.Itoa(o.Port)
}

type swaggerDoc struct {
	Swagger             string                    `json:"swagger"`
	Info                info                      `json:"info"`
	ExternalDocs        externalDocs              `json:"externalDocs"`
	Host                string                    `json:"host"`
	BasePath            string                    `json:"basePath"`
	Schemes             []string                  `json:"schemes"`
	Consumes            []string                  `json:"consumes"`
	Produces            []string                  `json:"produces"`
	Paths               omap[pathItem]            `json:"paths"`
	Definitions         omap[*schemaObj]          `json:"definitions"`
	Parameters          omap[*param]              `json:"parameters"`
	Security            []map[string][]string     `json:"security,omitempty"`
	SecurityDefinitions map[string]securityScheme `json:"securityDefinitions,omitempty"`
}

type info struct {
	Version     string `json:"version"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type externalDocs struct {
	Description string `json:"description"`
	URL         string `json:"url"`
}

type securityScheme struct {
	Type        string `json:"type"`
	In          string `json:"in"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

type pathItem struct {
	Get    *operation `json:"get,omitempty"`
	Post   *operation `json:"post,omitempty"`
	Patch  *operation `json:"patch,omitempty"`
	Delete *operation `json:"delete,omitempty"`
}

type operation struct {
	Tags        []string       `json:"tags,omitempty"`
	Summary     string         `json:"summary,omitempty"`
	Description string         `json:"description,omitempty"`
	Produces    []string       `json:"produces,omitempty"`
	Parameters  []any          `json:"parameters,omitempty"` // *param or ref
	Responses   omap[response] `json:"responses"`
}

type response struct {
	Description string     `json:"description"`
	Schema      *schemaObj `json:"schema,omitempty"`
}

func ok() omap[response] { return omap[response]{{"200", response{Description: "OK"}}} }

// schemaObj is a Schema Object: Swagger 2.0's subset of JSON Schema.
type schemaObj struct {
	Ref         string           `json:"$ref,omitempty"`
	Description string           `json:"description,omitempty"`
	Default     json.RawMessage  `json:"default,omitempty"`
	Enum        []string         `json:"enum,omitempty"`
	Format      string           `json:"format,omitempty"`
	MaxLength   int              `json:"maxLength,omitempty"`
	Type        string           `json:"type,omitempty"`
	Items       *schemaObj       `json:"items,omitempty"`
	Properties  omap[*schemaObj] `json:"properties,omitempty"`
	Required    []string         `json:"required,omitempty"`
}

// ref is a reference to a definition or a parameter.
type ref struct {
	Ref string `json:"$ref"`
}

// param is a Parameter Object.
type param struct {
	Name             string          `json:"name"`
	Description      string          `json:"description,omitempty"`
	Required         *bool           `json:"required,omitempty"`
	In               string          `json:"in,omitempty"`
	Type             string          `json:"type,omitempty"`
	Format           string          `json:"format,omitempty"`
	Default          json.RawMessage `json:"default,omitempty"`
	Enum             []string        `json:"enum,omitempty"`
	Items            *schemaObj      `json:"items,omitempty"`
	CollectionFormat string          `json:"collectionFormat,omitempty"`
	Schema           *schemaObj      `json:"schema,omitempty"`
}

var (
	yes = true
	no  = false
)

func paramRef(name string) ref { return ref{"#/parameters/" + name} }

// header and query are optional string parameters.
func header(name, desc string) *param {
	return &param{Name: name, Description: desc, Required: &no, In: "header", Type: "string"}
}

func query(name, desc string) *param {
	return &param{Name: name, Description: desc, Required: &no, In: "query", Type: "string"}
}

func prefer(values ...[]string) *param {
	p := header("Prefer", "Preference")
	for _, v := range values {
		p.Enum = append(p.Enum, v...)
	}
	return p
}

// swaggerParams are the shared parameters, then each relation's body and
// row filters.
func swaggerParams(a *api) omap[*param] {
	rangeUnit := header("Range-Unit", "Limiting and Pagination")
	rangeUnit.Default = json.RawMessage(`"items"`)
	ps := omap[*param]{
		{"preferParams", prefer()},
		{"preferReturn", prefer(preferReturn)},
		{"preferCount", prefer(preferCount)},
		{"preferPost", prefer(preferReturn, preferResolution)},
		{"select", query("select", "Filtering Columns")},
		{"on_conflict", query("on_conflict", "On Conflict")},
		{"order", query("order", "Ordering")},
		{"range", header("Range", "Limiting and Pagination")},
		{"rangeUnit", rangeUnit},
		{"offset", query("offset", "Limiting and Pagination")},
		{"limit", query("limit", "Limiting and Pagination")},
	}
	for _, r := range a.relations {
		ps.add("body."+r.Name, &param{Name: r.Name, Description: r.Name, Required: &no, In: "body",
			Schema: &schemaObj{Ref: "#/definitions/" + r.Name}})
		for _, c := range r.Columns {
			ps.add("rowFilter."+r.Name+"."+c.Name, query(c.Name, c.Comment))
		}
	}
	return ps
}

// swaggerDefinition is a relation's row as a Schema Object.
func (a *api) swaggerDefinition(r *cache.Relation) *schemaObj {
	s := &schemaObj{Type: "object", Description: r.Comment}
	for _, c := range r.Columns {
		p := typeSchema(c.DataType)
		p.Description = a.columnDescription(r, c)
		p.Enum = c.Enum
		p.MaxLength = c.MaxLen
		if c.HasDefault {
			p.Default = defaultValue(c.DataType, c.Default)
		}
		s.Properties.add(c.Name, p)
		if !c.Nullable {
			s.Required = append(s.Required, c.Name)
		}
	}
	return s
}

// typeSchema is the schema of a value of PostgreSQL type t.
func typeSchema(t string) *schemaObj {
	s := &schemaObj{Type: jsonType(t), Format: jsonFormat(t)}
	if s.Type == "array" {
		s.Items = &schemaObj{Type: jsonType(elemType(t))}
	}
	return s
}

func swaggerRelationPath(r *cache.Relation) pathItem {
	summary, desc := splitComment(r.Comment)
	op := func() *operation { return &operation{Tags: []string{r.Name}, Summary: summary, Description: desc} }
	var filters []any
	for _, c := range r.Columns {
		filters = append(filters, paramRef("rowFilter."+r.Name+"."+c.Name))
	}
	refs := func(ps []any, names ...string) []any {
		ps = append([]any(nil), ps...)
		for _, n := range names {
			ps = append(ps, paramRef(n))
		}
		return ps
	}
	get := op()
	get.Parameters = refs(filters, "select", "order", "range", "rangeUnit", "offset", "limit", "preferCount")
	get.Responses = omap[response]{
		{"200", response{Description: "OK", Schema: &schemaObj{Type: "array", Items: &schemaObj{Ref: "#/definitions/" + r.Name}}}},
		{"206", response{Description: "Partial Content"}},
	}
	p := pathItem{Get: get}
	if r.Insertable || r.Updatable || r.Deletable {
		p.Post = op()
		p.Post.Parameters = refs(nil, "body."+r.Name, "select", "preferPost")
		p.Post.Responses = omap[response]{{"201", response{Description: "Created"}}}
		p.Patch = op()
		p.Patch.Parameters = refs(filters, "body."+r.Name, "preferReturn")
		p.Patch.Responses = omap[response]{{"204", response{Description: "No Content"}}}
		p.Delete = op()
		p.Delete.Parameters = refs(filters, "preferReturn")
		p.Delete.Responses = omap[response]{{"204", response{Description: "No Content"}}}
	}
	return p
}

func (a *api) swaggerFunctionPath(f *cache.Function) pathItem {
	summary, desc := splitComment(f.Comment)
	op := func() *operation {
		return &operation{Tags: []string{"(rpc) " + f.Name}, Summary: summary, Description: desc,
			Produces: callMedia, Responses: ok()}
	}
	post := op()
	post.Parameters = []any{
		&param{Name: "args", Required: &yes, In: "body", Schema: a.argsSchema(f)},
		paramRef("preferParams"),
	}
	p := pathItem{Post: post}
	if f.Volatility != cache.Volatile {
		p.Get = op()
		for i := range f.Args {
			p.Get.Parameters = append(p.Get.Parameters, a.argParam(&f.Args[i]))
		}
	}
	return p
}

// argsSchema is the schema of a call's JSON body: an object with the
// arguments; those without a default are required.
func (a *api) argsSchema(f *cache.Function) *schemaObj {
	s := &schemaObj{Type: "object", Description: f.Comment}
	for i := range f.Args {
		arg := &f.Args[i]
		t := a.argType(arg)
		s.Properties.add(arg.Name, typeSchema(t))
		if !arg.HasDefault {
			s.Required = append(s.Required, arg.Name)
		}
	}
	return s
}

// argParam is an argument in a GET call's query string: arrays are
// written as {a,b} (a string), a variadic argument repeats.
func (a *api) argParam(arg *cache.FuncArg) *param {
	t := a.argType(arg)
	req := !arg.HasDefault
	p := &param{Name: arg.Name, Required: &no, In: "query"}
	if req {
		p.Required = &yes
	}
	if arg.Variadic {
		p.Type = jsonType(t)
		if p.Type == "" {
			p.Type = "string"
		}
		e := elemType(t)
		p.Items = &schemaObj{Type: jsonType(e), Format: jsonFormat(e)}
		p.CollectionFormat = "multi"
		return p
	}
	p.Format = jsonFormat(t)
	p.Type = jsonType(t)
	if p.Type == "array" || p.Type == "" {
		p.Type = "string"
	}
	return p
}
