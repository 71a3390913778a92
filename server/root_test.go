package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/pgrst/pgrst/server"
	"github.com/pgrst/pgrst/wire"
)

// description GETs / and decodes the description.
func description(t *testing.T, s *testServer, headers ...string) map[string]any {
	t.Helper()
	r := s.get(t, "/", headers...)
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/openapi+json; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// at follows a path of object keys and array indexes ("0") in v.
func at(v any, path ...string) any {
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func expectJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %s: %v", want, err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s:\n got %s\nwant %s", what, gb, wb)
	}
}

func TestRootDescribesTheSchema(t *testing.T) {
	s := startServer(t, nil)
	doc := description(t, s)
	expectJSON(t, "swagger", doc["swagger"], `"2.0"`)
	expectJSON(t, "info", at(doc, "info"), `{"version":"test","title":"pgrst demo API",
		"description":"A todo list from PostgREST's tutorial, and a small database of films, their directors and their casts."}`)
	expectJSON(t, "definition", at(doc, "definitions", "described"), `{
		"type": "object",
		"description": "Described things\nthat span\n\nseveral lines",
		"properties": {
			"id": {"type": "integer", "format": "int64", "description": "Note:\nThis is a Primary Key.<pk/>"},
			"code": {"type": "string", "format": "character varying", "maxLength": 8, "default": "new", "description": "A short code"},
			"size": {"type": "integer", "format": "int32", "default": 42},
			"price": {"type": "number", "format": "numeric", "default": 4.5},
			"mood": {"type": "string", "format": "api.mood", "enum": ["happy", "sad"], "default": "happy"},
			"tags": {"type": "array", "format": "text[]", "items": {"type": "string"}},
			"doc": {"format": "jsonb"}
		},
		"required": ["id", "code"]}`)
	expectJSON(t, "foreign key", at(doc, "definitions", "films", "properties", "director_id", "description"),
		`"Note:\nThis is a Foreign Key to `+"`directors.id`"+`.<fk table='directors' column='id'/>"`)
	expectJSON(t, "summary", at(doc, "paths", "/described", "get", "summary"), `"Described things"`)
	expectJSON(t, "description", at(doc, "paths", "/described", "get", "description"), `"that span\n\nseveral lines"`)
	expectJSON(t, "read parameters", at(doc, "paths", "/todos", "get", "parameters"), `[
		{"$ref": "#/parameters/rowFilter.todos.id"}, {"$ref": "#/parameters/rowFilter.todos.done"},
		{"$ref": "#/parameters/rowFilter.todos.task"}, {"$ref": "#/parameters/rowFilter.todos.due"},
		{"$ref": "#/parameters/select"}, {"$ref": "#/parameters/order"}, {"$ref": "#/parameters/range"},
		{"$ref": "#/parameters/rangeUnit"}, {"$ref": "#/parameters/offset"}, {"$ref": "#/parameters/limit"},
		{"$ref": "#/parameters/preferCount"}]`)
	expectJSON(t, "row filter", at(doc, "parameters", "rowFilter.todos.due"),
		`{"name": "due", "description": "When the task is due, if ever", "required": false, "in": "query", "type": "string"}`)
	expectJSON(t, "insert responses", at(doc, "paths", "/todos", "post", "responses"), `{"201": {"description": "Created"}}`)
	// A view that cannot be written has only GET.
	if at(doc, "paths", "/film_summary", "post") != nil || at(doc, "paths", "/film_summary", "get") == nil {
		t.Errorf("film_summary path: %v", at(doc, "paths", "/film_summary"))
	}
	expectJSON(t, "call parameters", at(doc, "paths", "/rpc/sum_all", "get", "parameters"), `[
		{"name": "v", "in": "query", "required": true, "type": "array", "collectionFormat": "multi",
		 "items": {"type": "integer", "format": "int32"}}]`)
	expectJSON(t, "call body", at(doc, "paths", "/rpc/hello", "post", "parameters", "0", "schema"),
		`{"type": "object", "properties": {"name": {"type": "string", "format": "text"}}}`)

	// Follow privileges: what the role may not use is left out.
	if at(doc, "paths", "/secrets") != nil || at(doc, "paths", "/rpc/private_hello") != nil {
		t.Error("anonymous description lists secrets or private_hello")
	}
	tok := token(t, map[string]any{"role": "todo_user"})
	doc = description(t, s, "Authorization", "Bearer "+tok)
	expectJSON(t, "secrets tag", at(doc, "paths", "/secrets", "post", "tags"), `["secrets"]`)
	// The argument's type is named as the schema's search_path shows it.
	expectJSON(t, "private_hello", at(doc, "paths", "/rpc/private_hello", "get"), `{
		"tags": ["(rpc) private_hello"], "summary": "Says hello",
		"produces": ["application/json", "application/vnd.pgrst.object+json;nulls=stripped", "application/vnd.pgrst.object+json"],
		"parameters": [
			{"name": "who", "in": "query", "required": true, "type": "string", "format": "text"},
			{"name": "mood", "in": "query", "required": false, "type": "string", "format": "mood"}],
		"responses": {"200": {"description": "OK"}}}`)
	if at(doc, "paths", "/rpc/private_hello", "post") == nil {
		t.Error("no POST for private_hello")
	}
}

func TestRootNegotiationAndProfiles(t *testing.T) {
	s := startServer(t, func(o *server.Options, _ *wire.Options) { o.Schemas = []string{"api", "api_v2"} })
	r := s.do(t, "HEAD", "/")
	if r.Status != 200 || r.Body != "" || r.Header.Get("Content-Type") != "application/openapi+json; charset=utf-8" {
		t.Errorf("HEAD /: %d %q %v", r.Status, r.Body, r.Header)
	}
	for _, accept := range []string{"application/openapi+json", "application/json", "*/*"} {
		description(t, s, "Accept", accept)
	}
	expectError(t, s.get(t, "/", "Accept", "text/csv"), 406, "PGRST107")
	expectError(t, s.get(t, "/todos", "Accept", "application/openapi+json"), 406, "PGRST107")

	r = s.get(t, "/", "Accept-Profile", "api_v2")
	if r.Header.Get("Content-Profile") != "api_v2" {
		t.Errorf("Content-Profile %q", r.Header.Get("Content-Profile"))
	}
	if !strings.Contains(r.Body, `"/only_v2"`) || strings.Contains(r.Body, `"/film_summary"`) {
		t.Errorf("api_v2 description: %.300s", r.Body)
	}
	expectError(t, s.get(t, "/", "Accept-Profile", "nope"), 406, "PGRST106")
}

func TestRootSettings(t *testing.T) {
	t.Run("ignore-privileges", func(t *testing.T) {
		s := startServer(t, func(o *server.Options, _ *wire.Options) { o.OpenAPIMode = "ignore-privileges" })
		doc := description(t, s)
		if at(doc, "paths", "/secrets") == nil || at(doc, "paths", "/rpc/private_hello") == nil {
			t.Error("ignore-privileges leaves out secrets or private_hello")
		}
	})
	t.Run("disabled", func(t *testing.T) {
		s := startServer(t, func(o *server.Options, _ *wire.Options) {
			o.OpenAPIMode = "disabled"
			o.RootSpec = "no_args" // disabled wins
		})
		expectError(t, s.get(t, "/"), 404, "PGRST126")
	})
	t.Run("security and address", func(t *testing.T) {
		s := startServer(t, func(o *server.Options, _ *wire.Options) {
			o.OpenAPISecurityActive = true
			o.ServerHost, o.ServerPort = "!4", 3000
		})
		doc := description(t, s)
		expectJSON(t, "security", doc["security"], `[{"JWT": []}]`)
		expectJSON(t, "securityDefinitions", doc["securityDefinitions"], `{"JWT": {"type": "apiKey", "in": "header",
			"name": "Authorization", "description": "Add the token prepending \"Bearer \" (without quotes) to it"}}`)
		expectJSON(t, "address", []any{doc["host"], doc["basePath"], doc["schemes"]}, `["0.0.0.0:3000", "/", ["http"]]`)
	})
	t.Run("proxy", func(t *testing.T) {
		s := startServer(t, func(o *server.Options, _ *wire.Options) {
			o.OpenAPIProxyURI = "https://api.example.com/v1"
		})
		doc := description(t, s)
		if doc["security"] != nil {
			t.Error("security without openapi-security-active")
		}
		expectJSON(t, "address", []any{doc["host"], doc["basePath"], doc["schemes"]}, `["api.example.com:443", "/v1", ["https"]]`)
	})
	t.Run("root spec", func(t *testing.T) {
		s := startServer(t, func(o *server.Options, _ *wire.Options) { o.RootSpec = "no_args" })
		expect(t, s.get(t, "/"), 200, `"no arguments"`)
	})
}

// TestRootOpenAPI31 checks the OpenAPI 3.1 description with a maintained
// validator: the document against the OpenAPI 3.1 schema, and real
// requests and responses against the document.
func TestRootOpenAPI31(t *testing.T) {
	s := startServer(t, nil)
	r := s.get(t, "/", "Accept", "application/openapi+json;version=3.1")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/openapi+json; version=3.1; charset=utf-8" {
		t.Fatalf("%d %v %.300s", r.Status, r.Header, r.Body)
	}
	doc, err := libopenapi.NewDocument([]byte(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  %s at %s", se.Reason, se.FieldPath)
			}
		}
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(r.Body), &d); err != nil {
		t.Fatal(err)
	}
	expectJSON(t, "openapi", d["openapi"], `"3.1.0"`)
	expectJSON(t, "servers", d["servers"], `[{"url": "http://0.0.0.0/"}]`)
	expectJSON(t, "schema", at(d, "components", "schemas", "described", "properties", "mood"),
		`{"type": ["string", "null"], "format": "api.mood", "enum": ["happy", "sad", null], "default": "happy"}`)
	expectJSON(t, "key", at(d, "components", "schemas", "described", "properties", "code", "type"), `"string"`)
	if at(d, "components", "schemas", "Odd-20Name") == nil {
		t.Error("no Odd-20Name schema (Odd Name's key)")
	}
	expectJSON(t, "read", at(d, "paths", "/todos", "get", "responses", "200", "content", "application/json", "schema"),
		`{"type": "array", "items": {"$ref": "#/components/schemas/todos"}}`)
	expectJSON(t, "insert body", at(d, "paths", "/todos", "post", "requestBody"), `{"$ref": "#/components/requestBodies/todos"}`)
	expectJSON(t, "variadic", at(d, "paths", "/rpc/sum_all", "get", "parameters", "0"), `{"name": "v", "in": "query",
		"required": true, "style": "form", "explode": true, "schema": {"type": "array", "items": {"type": "integer", "format": "int32"}}}`)

	// What the API answers matches what it describes.
	for _, path := range []string{"/todos?done=eq.false&order=id", "/films?limit=2", "/rpc/add_them?a=1&b=2"} {
		req, err := http.NewRequest("GET", s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(body))
		if ok, verrs := v.ValidateHttpRequestResponse(req, res); !ok {
			for _, e := range verrs {
				t.Errorf("%s: %s: %s", path, e.Message, e.Reason)
				for _, se := range e.SchemaValidationErrors {
					t.Errorf("  %s at %s", se.Reason, se.FieldPath)
				}
			}
		}
	}

	// openapi-version = 3.1 makes it the default; version=2.0 still asks for Swagger.
	s = startServer(t, func(o *server.Options, _ *wire.Options) { o.OpenAPIVersion = "3.1" })
	if r := s.get(t, "/"); !strings.Contains(r.Body, `"openapi":"3.1.0"`) {
		t.Errorf("default 3.1: %.100s", r.Body)
	}
	description(t, s, "Accept", "application/openapi+json;version=2.0")
	expectError(t, s.get(t, "/", "Accept", "application/openapi+json;version=9"), 406, "PGRST107")
}

// Under follow-privileges a description costs one round trip (the role's
// privileges), and the rendered document is reused: the same bytes for
// requests that see the same; under ignore-privileges none at all.
func TestRootRoundTripsAndReuse(t *testing.T) {
	s := startServer(t, func(_ *server.Options, w *wire.Options) { w.PoolSize = 1 })
	for i := 0; i < 3; i++ { // prepare the statement on the connection
		s.get(t, "/")
	}
	before := s.writes.Load()
	first := s.get(t, "/").Body
	for i := 0; i < 4; i++ {
		if b := s.get(t, "/").Body; b != first {
			t.Fatal("the same role got another description")
		}
	}
	if got := s.writes.Load() - before; got != 5 {
		t.Errorf("5 descriptions made %d writes to the database, want 5", got)
	}
	tok := token(t, map[string]any{"role": "todo_user"})
	if b := s.get(t, "/", "Authorization", "Bearer "+tok).Body; b == first {
		t.Error("todo_user, who may read secrets, got the anonymous description")
	}

	s = startServer(t, func(o *server.Options, _ *wire.Options) { o.OpenAPIMode = "ignore-privileges" })
	s.get(t, "/")
	before = s.writes.Load()
	s.get(t, "/")
	if got := s.writes.Load() - before; got != 0 {
		t.Errorf("an ignore-privileges description made %d writes to the database", got)
	}
}
