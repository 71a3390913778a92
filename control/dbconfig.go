package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pgrst/pgrst/sql"
	"github.com/pgrst/pgrst/sqltext"
	"github.com/pgrst/pgrst/wire"
)

// Querier runs one query and returns the raw bytes of the first column of
// its single row; wire's pool satisfies it.
type Querier interface {
	QueryBytes(ctx context.Context, sql string, args ...any) ([]byte, error)
}

// roleSettingsSQL reads PostgREST's in-database configuration, as
// (name, value) pairs, lowest precedence first:
//
//  1. what the db-pre-config function sets with set_config('pgrst.x', ...)
//     (the %s placeholder: a join with the function, or nothing);
//  2. ALTER ROLE <authenticator> SET pgrst.x = ...;
//  3. ALTER ROLE <authenticator> IN DATABASE <db> SET pgrst.x = ....
//
// A setting of the database alone (ALTER DATABASE ... SET) is not read, as
// in PostgREST. $1 lists the option names to probe after db-pre-config.
const roleSettingsSQL = `
with role_setting as (
  select case when s.setdatabase = 0 then 1 else 2 end as rank,
         unnest(s.setconfig) as setting
  from pg_catalog.pg_db_role_setting s
  where s.setrole = (select oid from pg_catalog.pg_roles where rolname = current_user)
    and s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
),
kv as (
  select rank,
         substr(setting, 1, strpos(setting, '=') - 1) as k,
         substr(setting, strpos(setting, '=') + 1) as v
  from role_setting
  %s
)
select coalesce(json_agg(json_build_array(substr(k, 7), v) order by rank), '[]')::text
from kv
where k like 'pgrst.%%' and v is not null`

// preConfigSQL adds the settings made by the db-pre-config function %s.
const preConfigSQL = `union all
  select 0, x, current_setting(x, true)
  from unnest($1::text[]) as x
  join %s() as _ on true`

// tableSQL reads the pgrst.config table.
const tableSQL = `select coalesce(json_agg(json_build_array(key, value) order by key), '[]')::text from pgrst.config`

// DBLayers are the configuration layers kept in the database.
type DBLayers struct {
	// Role are the pgrst.* settings of the authenticator role (PostgREST's
	// in-database configuration) and those of the db-pre-config function.
	Role Settings
	// Table are the rows of pgrst.config.
	Table Settings
	// TableMissing is true when the pgrst schema is not installed.
	TableMissing bool
}

// ReadRoleSettings reads PostgREST's in-database configuration: settings
// named pgrst.<option_with_underscores> of the connecting role (set with
// ALTER ROLE ... [IN DATABASE ...] SET) and, when preConfig names a
// function, the pgrst.* settings it makes. Names are canonicalised
// (pgrst.db_max_rows -> db-max-rows).
func ReadRoleSettings(ctx context.Context, q Querier, preConfig string) (Settings, error) {
	query := fmt.Sprintf(roleSettingsSQL, "")
	var args []any
	if preConfig = strings.TrimSpace(preConfig); preConfig != "" {
		query = fmt.Sprintf(roleSettingsSQL, fmt.Sprintf(preConfigSQL, sqltext.QuoteQualified(preConfig)))
		names := make([]string, 0, len(options))
		for i := range options {
			names = append(names, "pgrst."+strings.ReplaceAll(options[i].name, "-", "_"))
		}
		args = append(args, names)
	}
	raw, err := q.QueryBytes(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pairsFromJSON(raw)
}

// ReadTable reads the rows of pgrst.config. missing is true (and err nil)
// when the table does not exist: `pgrst setup` was not run.
func ReadTable(ctx context.Context, q Querier) (s Settings, missing bool, err error) {
	raw, err := q.QueryBytes(ctx, tableSQL)
	if err != nil {
		var de *wire.DBError
		if errors.As(err, &de) && (de.Code == "42P01" || de.Code == "3F000") {
			return Settings{}, true, nil
		}
		return nil, false, err
	}
	s, err = pairsFromJSON(raw)
	return s, false, err
}

func pairsFromJSON(raw []byte) (Settings, error) {
	var rows [][2]string
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("reading the configuration from the database: %w", err)
	}
	pairs := make([]Pair, len(rows))
	for i, r := range rows {
		pairs[i] = Pair{Key: r[0], Value: r[1]}
	}
	return FromPairs(pairs), nil
}

// SchemaSQL returns the SQL that installs or upgrades the pgrst schema
// (sql/pgrst_schema.sql), with the notifications sent on channel, plus
// the DDL event trigger (sql/pgrst_ddl_reload.sql) when ddlReload. It
// is idempotent and keeps the rows of pgrst.config.
func SchemaSQL(channel string, ddlReload bool) string {
	var b strings.Builder
	b.WriteString(sql.MustRead("pgrst_schema.sql"))
	if channel != "" && channel != "pgrst" {
		fmt.Fprintf(&b, "\ncreate or replace function pgrst.channel() returns text language sql immutable as $$ select %s::text $$;\n",
			sqltext.QuoteLiteral(channel))
	}
	if ddlReload {
		b.WriteString("\n")
		b.WriteString(sql.MustRead("pgrst_ddl_reload.sql"))
	}
	return b.String()
}

// GrantSQL returns the statements that let role read pgrst.config.
func GrantSQL(role string) string {
	r := sqltext.QuoteIdent(role)
	return "grant usage on schema pgrst to " + r + ";\ngrant select on pgrst.config to " + r + ";\n"
}
