package openapi

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/pgrst/pgrst/cache"
)

// OpenAPI31 renders the same description as Swagger, as an OpenAPI 3.1
// document: it translates the Swagger 2.0 one (definitions become
// components.schemas, body parameters request bodies, produced media
// types response content), so both always describe the same API.
func OpenAPI31(sc *cache.Schema, schema string, v *Visible, o *Options) ([]byte, error) {
	return json.Marshal(translate(newAPI(sc, schema, v, o).swagger(), o))
}

type doc31 struct {
	OpenAPI      string                `json:"openapi"`
	Info         info                  `json:"info"`
	ExternalDocs externalDocs          `json:"externalDocs"`
	Servers      []server31            `json:"servers"`
	Paths        omap[pathItem31]      `json:"paths"`
	Components   components31          `json:"components"`
	Security     []map[string][]string `json:"security,omitempty"`
}

type server31 struct {
	URL string `json:"url"`
}

type components31 struct {
	Schemas         omap[object31]              `json:"schemas,omitempty"`
	Parameters      omap[*param31]              `json:"parameters,omitempty"`
	RequestBodies   omap[*requestBody31]        `json:"requestBodies,omitempty"`
	SecuritySchemes map[string]securityScheme31 `json:"securitySchemes,omitempty"`
}

type securityScheme31 struct {
	Type         string `json:"type"`
	Scheme       string `json:"scheme"`
	BearerFormat string `json:"bearerFormat"`
	Description  string `json:"description"`
}

type pathItem31 struct {
	Get    *operation31 `json:"get,omitempty"`
	Post   *operation31 `json:"post,omitempty"`
	Patch  *operation31 `json:"patch,omitempty"`
	Delete *operation31 `json:"delete,omitempty"`
}

type operation31 struct {
	Tags        []string         `json:"tags,omitempty"`
	Summary     string           `json:"summary,omitempty"`
	Description string           `json:"description,omitempty"`
	Parameters  []any            `json:"parameters,omitempty"` // *param31 or ref
	RequestBody any              `json:"requestBody,omitempty"`
	Responses   omap[response31] `json:"responses"`
}

type param31 struct {
	Name        string     `json:"name"`
	In          string     `json:"in"`
	Description string     `json:"description,omitempty"`
	Required    bool       `json:"required"`
	Style       string     `json:"style,omitempty"`
	Explode     *bool      `json:"explode,omitempty"`
	Schema      *schemaObj `json:"schema"`
}

type requestBody31 struct {
	Description string                  `json:"description,omitempty"`
	Required    bool                    `json:"required,omitempty"`
	Content     omap[mediaTypeObject31] `json:"content"`
}

type response31 struct {
	Description string                  `json:"description"`
	Content     omap[mediaTypeObject31] `json:"content,omitempty"`
}

type mediaTypeObject31 struct {
	Schema *schemaObj `json:"schema,omitempty"`
}

func translate(sw *swaggerDoc, o *Options) *doc31 {
	d := &doc31{OpenAPI: "3.1.0", Info: sw.Info, ExternalDocs: sw.ExternalDocs,
		Servers: []server31{{URL: o.Scheme + "://" + o.hostPort() + o.BasePath}}}
	for _, e := range sw.Definitions {
		d.Components.Schemas.add(componentKey(e.k), nullables(e.v))
	}
	for _, e := range sw.Parameters {
		if e.v.In == "body" {
			d.Components.RequestBodies.add(componentKey(strings.TrimPrefix(e.k, "body.")), &requestBody31{
				Description: e.v.Description, Content: rowsContent(schemaRef(e.v.Schema))})
			continue
		}
		d.Components.Parameters.add(componentKey(e.k), translateParam(e.v))
	}
	for _, e := range sw.Paths {
		d.Paths.add(e.k, pathItem31{Get: translateOp(e.v.Get), Post: translateOp(e.v.Post),
			Patch: translateOp(e.v.Patch), Delete: translateOp(e.v.Delete)})
	}
	if sw.SecurityDefinitions != nil {
		d.Security = sw.Security
		d.Components.SecuritySchemes = map[string]securityScheme31{"JWT": {Type: "http", Scheme: "bearer",
			BearerFormat: "JWT", Description: "A JWT; its role claim picks the database role"}}
	}
	return d
}

// componentKey makes a name a key of components, which takes only
// letters, digits, '.', '_' and '-': any other byte becomes '-' and its
// two hex digits ('-' itself too, so keys stay distinct).
func componentKey(name string) string {
	var b []byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isAlnum(c) || c == '.' || c == '_' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(name)+8), name[:i]...)
		}
		b = append(b, '-', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return name
	}
	return string(b)
}

const hex = "0123456789abcdef"

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// object31 is a row's schema in JSON Schema 2020-12: the columns that
// may be null (those not required) take null too.
type object31 struct {
	*schemaObj
	Properties omap[any] `json:"properties,omitempty"`
}

// nullable shadows a column schema's type and enum to add null.
type nullable struct {
	*schemaObj
	Type []string `json:"type,omitempty"`
	Enum []any    `json:"enum,omitempty"`
}

func nullables(def *schemaObj) object31 {
	o := object31{schemaObj: def}
	for _, p := range def.Properties {
		if p.v.Type == "" || slices.Contains(def.Required, p.k) {
			o.Properties.add(p.k, p.v)
			continue
		}
		n := nullable{schemaObj: p.v, Type: []string{p.v.Type, "null"}}
		if p.v.Enum != nil {
			for _, e := range p.v.Enum {
				n.Enum = append(n.Enum, e)
			}
			n.Enum = append(n.Enum, nil)
		}
		o.Properties.add(p.k, n)
	}
	return o
}

// schemaRef moves a reference to a definition to components.schemas.
func schemaRef(s *schemaObj) *schemaObj {
	if s == nil || s.Ref == "" {
		return s
	}
	c := *s
	c.Ref = "#/components/schemas/" + componentKey(strings.TrimPrefix(s.Ref, "#/definitions/"))
	return &c
}

// rowsContent is the content of a body of rows: JSON (one object or an
// array of them) or CSV.
func rowsContent(row *schemaObj) omap[mediaTypeObject31] {
	return omap[mediaTypeObject31]{
		{"application/json", mediaTypeObject31{&schemaObj{Type: "array", Items: row}}},
		{"application/vnd.pgrst.object+json", mediaTypeObject31{row}},
		{"text/csv", mediaTypeObject31{&schemaObj{Type: "string"}}},
	}
}

func translateParam(p *param) *param31 {
	t := &param31{Name: p.Name, In: p.In, Description: p.Description, Required: p.Required != nil && *p.Required,
		Schema: &schemaObj{Type: p.Type, Format: p.Format, Default: p.Default, Enum: p.Enum, Items: p.Items}}
	if p.CollectionFormat == "multi" {
		// A variadic argument: the name repeats (?v=1&v=2).
		t.Style, t.Explode = "form", &yes
	}
	return t
}

func translateOp(op *operation) *operation31 {
	if op == nil {
		return nil
	}
	t := &operation31{Tags: op.Tags, Summary: op.Summary, Description: op.Description}
	for _, p := range op.Parameters {
		switch p := p.(type) {
		case ref:
			name := strings.TrimPrefix(p.Ref, "#/parameters/")
			if body, ok := strings.CutPrefix(name, "body."); ok {
				t.RequestBody = ref{"#/components/requestBodies/" + componentKey(body)}
				continue
			}
			t.Parameters = append(t.Parameters, ref{"#/components/parameters/" + componentKey(name)})
		case *param:
			if p.In == "body" { // a call's arguments
				t.RequestBody = &requestBody31{Required: true,
					Content: omap[mediaTypeObject31]{{"application/json", mediaTypeObject31{p.Schema}}}}
				continue
			}
			t.Parameters = append(t.Parameters, translateParam(p))
		}
	}
	for _, e := range op.Responses {
		r := response31{Description: e.v.Description}
		switch {
		case e.v.Schema != nil:
			r.Content = rowsContent(schemaRef(e.v.Schema.Items))
		case e.k == "200":
			for _, m := range op.Produces {
				r.Content.add(m, mediaTypeObject31{})
			}
		}
		t.Responses.add(e.k, r)
	}
	return t
}
