package cache

// QName is a schema-qualified name.
type QName struct {
	Schema string
	Name   string
}

// Schema is one immutable snapshot of the database catalog as pgrst sees it.
type Schema struct {
	// Exposed are the schemas of db-schemas, in configuration order.
	Exposed []string
	// Relations holds tables, views, materialized views, foreign and
	// partitioned tables (not partitions) of the exposed schemas.
	Relations map[QName]*Relation
	// Functions holds the functions of the exposed schemas; overloads share a name.
	Functions map[QName][]*Function
	// SchemaComments maps an exposed schema to its comment.
	SchemaComments map[string]string
	// Relationships maps a relation of an exposed schema to the
	// relationships it is the source of, whose targets (and junctions) are
	// in exposed schemas too. Each list is sorted as PostgREST sorts it
	// (the order of PGRST201 details). See rels.go.
	Relationships map[QName][]*Relationship
	// PrivateJunctionTargets maps a relation of an exposed schema to the
	// exposed relations it would reach many-to-many through a junction in
	// a private schema. Those relationships are not embeddable (they are
	// absent from Relationships), but PostgREST still counts them as "the
	// parent has relationships" when it words PGRST200's hint. See rels.go.
	PrivateJunctionTargets map[QName][]QName
	// MediaHandlers are the aggregates that render a read's body in a media
	// type named by their return domain. See media.go.
	MediaHandlers map[MediaKey]*MediaHandler
	// Representations are the domain representations (PostgREST's data
	// representations): implicit casts through a function from a domain to
	// json or text, or from json or text to a domain. The columns of
	// Relations carry the ones that apply to them (Column.ToJSON,
	// Column.FromText and Column.FromJSON).
	Representations map[RepKey]QName
	// RoleSettings are the settings of the roles the authenticator may
	// switch to (ALTER ROLE r SET name = value), by role, in order: a
	// request of that role applies them.
	RoleSettings map[string][]Setting
	// anyHandlers are the anyelement handlers (media.go).
	anyHandlers map[string]*MediaHandler
	// PgVersion is server_version_num, e.g. 150018.
	PgVersion int
	// PgVersionText is the human-readable server version.
	PgVersionText string
}

// RelKind is pg_class.relkind.
type RelKind byte

const (
	KindTable        RelKind = 'r'
	KindView         RelKind = 'v'
	KindMaterialized RelKind = 'm'
	KindForeign      RelKind = 'f'
	KindPartitioned  RelKind = 'p'
)

// Relation is a table-like object that can be an endpoint.
type Relation struct {
	// OID is the relation's pg_class oid.
	OID     uint32
	Schema  string
	Name    string
	Kind    RelKind
	Comment string
	// Columns in ordinal order.
	Columns []*Column
	// ColumnIndex maps a column name to its entry in Columns.
	ColumnIndex map[string]*Column
	// PrimaryKey lists the primary key columns in key order (empty if none).
	// A view inherits the primary key of a table it shows all key columns of.
	PrimaryKey []string
	// Uniques lists each unique constraint's columns (primary key excluded).
	Uniques [][]string
	// ForeignKeys are the foreign keys declared on this relation.
	ForeignKeys []ForeignKey
	Insertable  bool
	Updatable   bool
	Deletable   bool
	// Handlers are the media type handlers that can render this
	// relation's rows (media.go).
	Handlers RelationHandlers
}

// Column is one column of a relation.
type Column struct {
	Name string
	// Type is format_type() of the column, e.g. "character varying(20)".
	Type string
	// DataType is how the API description names the type: a built-in
	// type, or a domain over one, by its base type without modifier
	// ("character varying"); any other type as Type does.
	DataType string
	// BaseType is the type's name in pg_type (domains resolved), e.g. "int4", "_text".
	BaseType   string
	Nullable   bool
	Default    string // the default expression; empty with HasDefault false
	HasDefault bool
	Comment    string
	Position   int
	// MaxLen is the character maximum length, 0 when not applicable.
	MaxLen int
	// Enum lists the labels when the column's type is an enum.
	Enum []string
	// ToJSON is the function of the cast from the column's domain to json
	// (the value's representation in a body), FromText the one from text
	// to the domain (a filter value's parser), FromJSON the one from json
	// to the domain (a written value's parser); empty Name when none.
	ToJSON   QName
	FromText QName
	FromJSON QName
}

// RepKey names a domain representation by its cast's source and target
// types, each as format_type() writes it outside any search_path
// ("public.color", "json", "text").
type RepKey struct {
	Source, Target string
}

// ForeignKey is a foreign key constraint from a relation to another.
type ForeignKey struct {
	Name       string
	Columns    []string
	RefSchema  string
	RefTable   string
	RefColumns []string
}

// Volatility is pg_proc.provolatile.
type Volatility byte

const (
	Immutable Volatility = 'i'
	Stable    Volatility = 's'
	Volatile  Volatility = 'v'
)

// Function is a function of an exposed schema.
type Function struct {
	// OID is the function's pg_proc oid.
	OID     uint32
	Schema  string
	Name    string
	Comment string
	Args    []FuncArg
	// ReturnType is format_type() of the return type; ReturnTypeSchema and
	// ReturnTypeName name it in pg_type (for composite returns: the relation).
	ReturnType       string
	ReturnTypeSchema string
	ReturnTypeName   string
	// ReturnsComposite is true when the return type is a table row type.
	ReturnsComposite bool
	ReturnsSet       bool
	// ReturnMedia is the media type a function returning a media type
	// domain produces (see media.go), in lower case; empty otherwise.
	// ReturnsBinary: that domain rests on bytea.
	ReturnMedia   string
	ReturnsBinary bool
	Volatility    Volatility
	// HasVariadic is true when the last argument is VARIADIC.
	HasVariadic bool
	// Settings are the function's own settings (CREATE FUNCTION ... SET
	// name = value; pg_proc.proconfig), in order.
	Settings []Setting
	// Handlers are the media type handlers a call of the function is
	// negotiated with (media.go); never nil in a loaded Schema.
	Handlers *RelationHandlers
}

// Setting is a configuration parameter and its value.
type Setting struct {
	Name, Value string
}

// FuncArg is one input argument of a function.
type FuncArg struct {
	Name string
	// Type is format_type() of the argument's type, schema-qualified
	// outside pg_catalog; TypeSchema is that type's schema.
	Type       string
	TypeSchema string
	HasDefault bool
	Variadic   bool
}

// Relation returns the relation name in schema, or nil.
func (s *Schema) Relation(schema, name string) *Relation {
	return s.Relations[QName{schema, name}]
}

// Column returns the named column, or nil.
func (r *Relation) Column(name string) *Column {
	return r.ColumnIndex[name]
}
