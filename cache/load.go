package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pgrst/pgrst/sql"
)

// Querier runs one introspection query and returns the raw bytes of the
// first column of its single row (the queries build JSON in SQL). wire's
// pool satisfies it.
type Querier interface {
	QueryBytes(ctx context.Context, sql string, args ...any) ([]byte, error)
}

// introspectSQL builds the whole catalog snapshot as one JSON document.
var introspectSQL = sql.MustRead("introspect.sql")

// SchemaNotFoundError reports exposed schemas that do not exist in the
// database. PostgREST refuses to build its schema cache in that case too.
type SchemaNotFoundError struct {
	Names []string
}

func (e *SchemaNotFoundError) Error() string {
	return "schema cache: exposed schema(s) not found: " + strings.Join(e.Names, ", ")
}

// Load reads the catalog of the exposed schemas in one query and builds an
// immutable Schema. The query must run outside an explicit transaction (or
// in one of its own): it empties search_path until the transaction ends,
// so that type names and default expressions come back schema-qualified.
//
// Load runs at start-up and on schema reloads, never per request.
func Load(ctx context.Context, q Querier, exposed []string) (*Schema, error) {
	if len(exposed) == 0 {
		return nil, fmt.Errorf("schema cache: no exposed schemas")
	}
	raw, err := q.QueryBytes(ctx, introspectSQL, exposed)
	if err != nil {
		return nil, fmt.Errorf("schema cache: %w", err)
	}
	var doc catalogDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("schema cache: decoding introspection result: %w", err)
	}
	return doc.build(exposed)
}

// The JSON shapes produced by sql/introspect.sql. Nullable SQL values that
// mean "absent" (comments, defaults) decode as pointers.

type catalogDoc struct {
	VersionNum int           `json:"version_num"`
	Version    string        `json:"version"`
	Schemas    []schemaDoc   `json:"schemas"`
	Relations  []relationDoc `json:"relations"`
	Functions  []functionDoc `json:"functions"`
	FKs        []fkDoc       `json:"fks"`
	PKs        []pkDoc       `json:"pks"`
	Views      []viewDoc     `json:"views"`
	Computed   []computedDoc `json:"computed"`
	Media      []mediaDoc    `json:"media"`
	Reps       []repDoc      `json:"reps"`
	RoleSets   []roleSetDoc  `json:"role_settings"`
}

// roleSetDoc is one setting of a role.
type roleSetDoc struct {
	Role  string `json:"role"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// repDoc is a domain representation: a cast and its function.
type repDoc struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

type schemaDoc struct {
	Name    string  `json:"name"`
	Comment *string `json:"comment"`
}

type relationDoc struct {
	OID     uint32      `json:"oid"`
	Schema  string      `json:"schema"`
	Name    string      `json:"name"`
	Kind    string      `json:"kind"`
	Comment *string     `json:"comment"`
	UpdBits int         `json:"upd_bits"`
	Columns []columnDoc `json:"columns"`
	Keys    []keyDoc    `json:"keys"`
}

type columnDoc struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	DataType string   `json:"data_type"`
	Base     string   `json:"base"`
	Nullable bool     `json:"nullable"`
	Default  *string  `json:"default"`
	Comment  *string  `json:"comment"`
	Pos      int      `json:"pos"`
	MaxLen   *int     `json:"maxlen"`
	Enum     []string `json:"enum"`
}

type keyDoc struct {
	Type      string   `json:"type"` // p, u or f
	Name      string   `json:"name"`
	Cols      []string `json:"cols"`
	RefSchema *string  `json:"ref_schema"`
	RefTable  *string  `json:"ref_table"`
	RefCols   []string `json:"ref_cols"`
}

type functionDoc struct {
	OID          uint32   `json:"oid"`
	Schema       string   `json:"schema"`
	Name         string   `json:"name"`
	Comment      *string  `json:"comment"`
	Args         []argDoc `json:"args"`
	RetType      string   `json:"ret_type"`
	RetSchema    string   `json:"ret_schema"`
	RetName      string   `json:"ret_name"`
	RetComposite bool     `json:"ret_composite"`
	RetSet       bool     `json:"ret_set"`
	RetMedia     *string  `json:"ret_media"`
	RetBinary    bool     `json:"ret_binary"`
	Volatility   string   `json:"volatility"`
	Variadic     bool     `json:"variadic"`
	Config       []string `json:"config"`
}

type argDoc struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	TypeSchema string `json:"type_schema"`
	Default    bool   `json:"default"`
	Variadic   bool   `json:"variadic"`
}

// Bits of pg_relation_is_updatable: 1 << CMD_UPDATE, CMD_INSERT, CMD_DELETE.
const (
	updUpdate = 1 << 2
	updInsert = 1 << 3
	updDelete = 1 << 4
)

func (d *catalogDoc) build(exposed []string) (*Schema, error) {
	s := &Schema{
		Exposed:        slices.Clone(exposed),
		Relations:      make(map[QName]*Relation, len(d.Relations)),
		Functions:      make(map[QName][]*Function),
		SchemaComments: make(map[string]string, len(d.Schemas)),
		PgVersion:      d.VersionNum,
		PgVersionText:  d.Version,
	}

	found := make(map[string]bool, len(d.Schemas))
	for _, sc := range d.Schemas {
		found[sc.Name] = true
		if sc.Comment != nil {
			s.SchemaComments[sc.Name] = *sc.Comment
		}
	}
	var missing []string
	for _, name := range exposed {
		if !found[name] && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, &SchemaNotFoundError{Names: missing}
	}

	for _, rs := range d.RoleSets {
		if s.RoleSettings == nil {
			s.RoleSettings = make(map[string][]Setting)
		}
		s.RoleSettings[rs.Role] = append(s.RoleSettings[rs.Role], Setting{Name: rs.Name, Value: rs.Value})
	}
	s.Representations = make(map[RepKey]QName, len(d.Reps))
	for _, rd := range d.Reps {
		s.Representations[RepKey{rd.Source, rd.Target}] = QName{rd.Schema, rd.Name}
	}
	for i := range d.Relations {
		r, err := d.Relations[i].build()
		if err != nil {
			return nil, err
		}
		if len(s.Representations) > 0 {
			for _, c := range r.Columns {
				c.ToJSON = s.Representations[RepKey{c.Type, "json"}]
				c.FromText = s.Representations[RepKey{"text", c.Type}]
				c.FromJSON = s.Representations[RepKey{"json", c.Type}]
			}
		}
		s.Relations[QName{r.Schema, r.Name}] = r
	}

	for i := range d.Functions {
		f, err := d.Functions[i].build()
		if err != nil {
			return nil, err
		}
		k := QName{f.Schema, f.Name}
		s.Functions[k] = append(s.Functions[k], f)
	}
	// Overloads with fewer arguments first, as PostgREST orders them; the
	// query's oid order breaks ties, so the result is deterministic.
	for _, fs := range s.Functions {
		slices.SortStableFunc(fs, func(a, b *Function) int { return len(a.Args) - len(b.Args) })
	}
	d.buildRelationships(s)
	s.buildMediaHandlers(d.Media)
	s.buildFunctionHandlers()
	return s, nil
}

func (d *relationDoc) build() (*Relation, error) {
	if len(d.Kind) != 1 {
		return nil, fmt.Errorf("schema cache: relation %s.%s: bad relkind %q", d.Schema, d.Name, d.Kind)
	}
	r := &Relation{
		OID:         d.OID,
		Schema:      d.Schema,
		Name:        d.Name,
		Kind:        RelKind(d.Kind[0]),
		Comment:     deref(d.Comment),
		Columns:     make([]*Column, len(d.Columns)),
		ColumnIndex: make(map[string]*Column, len(d.Columns)),
		Insertable:  d.UpdBits&updInsert != 0,
		Updatable:   d.UpdBits&updUpdate != 0,
		Deletable:   d.UpdBits&updDelete != 0,
	}
	for i := range d.Columns {
		cd := &d.Columns[i]
		c := &Column{
			Name:       cd.Name,
			Type:       cd.Type,
			DataType:   cd.DataType,
			BaseType:   cd.Base,
			Nullable:   cd.Nullable,
			Default:    deref(cd.Default),
			HasDefault: cd.Default != nil,
			Comment:    deref(cd.Comment),
			Position:   cd.Pos,
			Enum:       cd.Enum,
		}
		if cd.MaxLen != nil {
			c.MaxLen = *cd.MaxLen
		}
		r.Columns[i] = c
		r.ColumnIndex[c.Name] = c
	}
	// json_agg gives no order across constraints: take them by name, as
	// PostgREST lists foreign keys.
	slices.SortFunc(d.Keys, func(a, b keyDoc) int { return strings.Compare(a.Name, b.Name) })
	for i := range d.Keys {
		k := &d.Keys[i]
		switch k.Type {
		case "p":
			r.PrimaryKey = k.Cols
		case "u":
			r.Uniques = append(r.Uniques, k.Cols)
		case "f":
			if len(k.RefCols) != len(k.Cols) || k.RefSchema == nil || k.RefTable == nil {
				return nil, fmt.Errorf("schema cache: foreign key %s on %s.%s is incomplete", k.Name, d.Schema, d.Name)
			}
			r.ForeignKeys = append(r.ForeignKeys, ForeignKey{
				Name:       k.Name,
				Columns:    k.Cols,
				RefSchema:  *k.RefSchema,
				RefTable:   *k.RefTable,
				RefColumns: k.RefCols,
			})
		}
	}
	return r, nil
}

func (d *functionDoc) build() (*Function, error) {
	if len(d.Volatility) != 1 {
		return nil, fmt.Errorf("schema cache: function %s.%s: bad volatility %q", d.Schema, d.Name, d.Volatility)
	}
	f := &Function{
		OID:              d.OID,
		Schema:           d.Schema,
		Name:             d.Name,
		Comment:          deref(d.Comment),
		Args:             make([]FuncArg, len(d.Args)),
		ReturnType:       d.RetType,
		ReturnTypeSchema: d.RetSchema,
		ReturnTypeName:   d.RetName,
		ReturnsComposite: d.RetComposite,
		ReturnsSet:       d.RetSet,
		ReturnMedia:      mediaName(deref(d.RetMedia)),
		ReturnsBinary:    d.RetBinary,
		Volatility:       Volatility(d.Volatility[0]),
		HasVariadic:      d.Variadic,
	}
	for i, a := range d.Args {
		f.Args[i] = FuncArg{Name: a.Name, Type: a.Type, TypeSchema: a.TypeSchema, HasDefault: a.Default, Variadic: a.Variadic}
	}
	for _, kv := range d.Config {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f.Settings = append(f.Settings, Setting{Name: k, Value: v})
		}
	}
	return f, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
