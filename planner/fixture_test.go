package planner

import "github.com/pgrst/pgrst/cache"

// testSchema is a small schema cache: test.films, test.projects and a
// relation with hostile names.
func testSchema() *cache.Schema {
	s := &cache.Schema{Exposed: []string{"test"}, Relations: map[cache.QName]*cache.Relation{}}
	add := func(schema, name string, cols ...[3]string) {
		r := &cache.Relation{Schema: schema, Name: name, Kind: cache.KindTable, ColumnIndex: map[string]*cache.Column{}}
		for i, c := range cols {
			col := &cache.Column{Name: c[0], Type: c[1], BaseType: c[2], Position: i + 1, Nullable: true}
			r.Columns = append(r.Columns, col)
			r.ColumnIndex[col.Name] = col
		}
		s.Relations[cache.QName{Schema: schema, Name: name}] = r
	}
	add("test", "films",
		[3]string{"id", "integer", "int4"},
		[3]string{"title", "text", "text"},
		[3]string{"year", "integer", "int4"},
		[3]string{"data", "jsonb", "jsonb"},
		[3]string{"meta", "json", "json"},
		[3]string{"tags", "text[]", "_text"},
		[3]string{"search", "tsvector", "tsvector"},
		[3]string{"during", "tstzrange", "tstzrange"},
	)
	films := s.Relations[cache.QName{Schema: "test", Name: "films"}]
	films.PrimaryKey = []string{"id"}
	films.Column("id").Nullable = false
	// Defaults, for Prefer: missing=default.
	films.Column("id").Default, films.Column("id").HasDefault = "nextval('test.films_id_seq'::regclass)", true
	films.Column("year").Default, films.Column("year").HasDefault = "2000", true
	add("test", "projects", [3]string{"id", "integer", "int4"}, [3]string{"name", "text", "text"})
	add("test", `we"ird tab;le`, [3]string{`co"l`, "text", "text"})
	add("other", "films", [3]string{"id", "integer", "int4"})
	return s
}
