package planner

// The request tree. It holds what the URL says and nothing about the schema;
// the planner resolves it. Strings are decoded (percent escapes and '+').

// Query is a parsed URL query string.
type Query struct {
	// Select is the select tree; empty when select is absent or empty, which
	// both mean "*".
	Select []SelectItem
	// Filters are the column filters in URL order, root and embedded.
	Filters []Filter
	// Logic are the and/or parameters in URL order.
	Logic []LogicParam
	// Order holds one entry per order parameter (the first one for a path wins
	// when planning, as in PostgREST).
	Order []OrderParam
	// Ranges are the limit/offset parameters of embedded resources.
	Ranges []RangeParam

	// The top-level range after PostgREST's normalisation: Offset >= 0,
	// Limit < 0 means none. HasRange is false when neither limit nor offset
	// changed anything, so no LIMIT clause is needed.
	Offset   int64
	Limit    int64
	HasRange bool

	// Columns is the parsed columns parameter (HasColumns when present).
	Columns    []string
	HasColumns bool
	// ColumnEmbeds are the embeds of the columns parameter
	// (columns=a,rel(b,sub(c))): a nested insert (nested.go).
	ColumnEmbeds []ColumnEmbed
	// OnConflict is the parsed on_conflict parameter.
	OnConflict    []string
	HasOnConflict bool
	// Distinct is the distinct parameter; DistinctOn its on(...) columns.
	Distinct   Distinct
	DistinctOn []string
	// EmbedDistinct are the distinct parameters of embedded resources
	// (actors.distinct=on(a)), in URL order.
	EmbedDistinct []DistinctParam
	// After is the keyset cursor of the after parameter (HasAfter): a
	// JSON object of the sort key's values of the row to read after
	// (keyset.go). Only a value starting with "{" is one; any other value
	// filters a column named "after".
	After    string
	HasAfter bool

	// Params are all decoded parameters in URL order, duplicates kept.
	Params []Param

	// CallArgs are the arguments of a function called with GET or HEAD
	// (ParseCallQueryInto): the parameters that are not filters, keyed by
	// their field name, in URL order, duplicates kept.
	CallArgs []Param
	callRead bool
}

// HasRootFilter reports whether q filters its target: a filter or a
// logic tree without an embed path.
func (q *Query) HasRootFilter() bool {
	for i := range q.Filters {
		if len(q.Filters[i].Path) == 0 {
			return true
		}
	}
	for i := range q.Logic {
		if len(q.Logic[i].Path) == 0 {
			return true
		}
	}
	return false
}

// Distinct is the form of the distinct parameter (db-distinct-enabled).
type Distinct uint8

const (
	DistinctNone Distinct = iota
	DistinctAll           // distinct: SELECT DISTINCT of the selected columns
	DistinctOn            // distinct=on(a,b): SELECT DISTINCT ON (a, b)
)

// DistinctParam is one distinct parameter with its embed path.
type DistinctParam struct {
	Path []string
	Kind Distinct
	On   []string
}

// ColumnEmbed is rel[!hint](columns) in the columns parameter: the body
// key rel holds the related rows to insert (an object for a to-one
// relationship, an array or an object for a to-many one).
type ColumnEmbed struct {
	Relation, Hint string
	Columns        []string
	Embeds         []ColumnEmbed
}

// Param is one decoded key=value pair. HasValue is false for a bare "key".
type Param struct {
	Key, Value string
	HasValue   bool
}

// Field names a column with an optional JSON path: data->a->>b.
type Field struct {
	Name string
	JSON []JSONStep
}

// JSONStep is one arrow of a JSON path.
type JSONStep struct {
	// Text is true for ->>, false for ->.
	Text bool
	// Index is true when Key is an array index ("1", "-2").
	Index bool
	Key   string
}

// SelectKind tells a select item's form.
type SelectKind uint8

const (
	SelectField  SelectKind = iota // column, *, count()
	SelectEmbed                    // name(...)
	SelectSpread                   // ...name(...)
)

// AggFunc is an aggregate function applied to a select field.
type AggFunc uint8

const (
	AggNone AggFunc = iota
	AggSum
	AggAvg
	AggCount
	AggMax
	AggMin
)

var aggNames = [...]string{"", "sum", "avg", "count", "max", "min"}

func (a AggFunc) String() string { return aggNames[a] }

// JoinType is an embed's !inner / !left.
type JoinType uint8

const (
	JoinDefault JoinType = iota
	JoinLeft
	JoinInner
)

// SelectItem is one node of the select tree.
type SelectItem struct {
	Kind SelectKind
	// Alias is alias: (fields and embeds).
	Alias string

	// Field items. Field.Name is "*" for a star and for count().
	Field   Field
	Cast    string
	Agg     AggFunc
	AggCast string

	// Embed and spread items.
	Relation string
	Hint     string
	Join     JoinType
	Children []SelectItem
}

// Op is a filter operator.
type Op uint8

const (
	OpEq Op = iota
	OpGte
	OpGt
	OpLte
	OpLt
	OpLike
	OpILike
	OpMatch
	OpIMatch
	OpNeq
	OpCs
	OpCd
	OpOv
	OpSl
	OpSr
	OpNxr
	OpNxl
	OpAdj
	OpIn
	OpIs
	OpIsDistinct
	OpFts
	OpPlFts
	OpPhFts
	OpWFts
)

var opNames = [...]string{"eq", "gte", "gt", "lte", "lt", "like", "ilike", "match", "imatch",
	"neq", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj", "in", "is", "isdistinct",
	"fts", "plfts", "phfts", "wfts"}

func (o Op) String() string { return opNames[o] }

func (o Op) isFts() bool { return o >= OpFts }

// Quant is the (any)/(all) modifier of eq, gt, like, ... .
type Quant uint8

const (
	QuantNone Quant = iota
	QuantAny
	QuantAll
)

// IsVal is the operand of is.
type IsVal uint8

const (
	IsNull IsVal = iota
	IsNotNull
	IsTrue
	IsFalse
	IsUnknown
)

// OpExpr is an operator with its operand: [not.]op[(any|all)|(lang)].value.
type OpExpr struct {
	Not   bool
	Op    Op
	Quant Quant
	// Value is the operand of single-value operators and fts.
	Value string
	// List is the operand of in.
	List []string
	// Is is the operand of is.
	Is IsVal
	// Lang is the fts language (HasLang when given).
	Lang    string
	HasLang bool
}

// Filter is col=op.value. Path is the embed path (a.b.col=... → [a b]).
type Filter struct {
	Path  []string
	Field Field
	Expr  OpExpr
}

// Logic is a node of an and/or tree: either a filter (Leaf) or an
// operator over children.
type Logic struct {
	Leaf     *Filter
	Not      bool
	Or       bool
	Children []Logic
}

// LogicParam is one and=/or= parameter with its embed path.
type LogicParam struct {
	Path []string
	Tree Logic
}

// OrderDir is asc/desc (or none given).
type OrderDir uint8

const (
	DirNone OrderDir = iota
	DirAsc
	DirDesc
)

// OrderNulls is nullsfirst/nullslast (or none given).
type OrderNulls uint8

const (
	NullsNone OrderNulls = iota
	NullsFirst
	NullsLast
)

// OrderTerm is one term of order=. Relation is set for rel(col) terms.
type OrderTerm struct {
	Relation string
	Field    Field
	Dir      OrderDir
	Nulls    OrderNulls
}

// OrderParam is one order parameter with its embed path.
type OrderParam struct {
	Path  []string
	Terms []OrderTerm
}

// RangeParam is limit/offset for an embed path (the last of each wins).
type RangeParam struct {
	Path      []string
	Limit     int64
	Offset    int64
	HasLimit  bool
	HasOffset bool
}
