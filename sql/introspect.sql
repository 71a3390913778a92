-- pgrst schema cache introspection: one statement, one row, one text column
-- holding a JSON document with everything cache.Load needs.
--
-- $1 text[]: the exposed schemas (exact names, not quoted identifiers).
--
-- The CASE first empties search_path for the rest of this statement's
-- transaction (set_config with is_local = true), so that format_type(),
-- pg_get_expr() and regclass output name every object outside pg_catalog
-- with its schema, whatever search_path the connection has. The subquery
-- after THEN is an init plan, which PostgreSQL evaluates only when the CASE
-- reaches it, that is after set_config has run.
--
-- Privileges are deliberately not consulted: the cache describes the
-- catalog, and PostgreSQL checks grants when a request runs.
select case when pg_catalog.set_config('search_path', '', true) is not null then (
with recursive
exposed as (
  select n.oid, n.nspname
  from pg_catalog.pg_namespace n
  where n.nspname = any ($1::text[])
),
-- Every domain with the type it finally rests on (domains over domains are
-- followed down), the nearest type modifier on the way, and whether any
-- domain on the way is not null (values are checked against them all).
domain_chain (oid, base, typmod, not_null) as (
  select t.oid, t.typbasetype, t.typtypmod, t.typnotnull
  from pg_catalog.pg_type t
  where t.typtype = 'd'
  union all
  select c.oid, b.typbasetype, case when c.typmod <> -1 then c.typmod else b.typtypmod end,
         c.not_null or b.typnotnull
  from domain_chain c
  join pg_catalog.pg_type b on b.oid = c.base
  where b.typtype = 'd'
),
domain_base as (
  select c.oid, c.base, c.typmod, c.not_null
  from domain_chain c
  join pg_catalog.pg_type b on b.oid = c.base
  where b.typtype <> 'd'
),
-- Media type domains: a domain named like a media type ("text/html",
-- "*/*"), with its name in lower case and whether it rests on bytea.
media_types as (
  select t.oid, pg_catalog.lower(t.typname) as name,
         db.base = 'pg_catalog.bytea'::pg_catalog.regtype as bin
  from pg_catalog.pg_type t
  join domain_base db on db.oid = t.oid
  where t.typname operator(pg_catalog.~) '^[A-Za-z0-9.-]+/[A-Za-z0-9.+-]+$' or t.typname = '*/*'
),
enum_labels as (
  select e.enumtypid, json_agg(e.enumlabel order by e.enumsortorder) as labels
  from pg_catalog.pg_enum e
  group by e.enumtypid
),
rels as (
  select c.oid, n.nspname, c.relname, c.relkind
  from pg_catalog.pg_class c
  join exposed n on n.oid = c.relnamespace
  where c.relkind in ('r', 'v', 'm', 'f', 'p')
    and not c.relispartition
),
cols as (
  select
    a.attrelid,
    json_agg(json_build_object(
      'name', a.attname,
      'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
      -- the type as the API description names it (PostgREST's data_type):
      -- a built-in type or a domain over one by its base type without
      -- modifier ("character varying"), any other by its full name
      'data_type', case when bt.typnamespace = 'pg_catalog'::pg_catalog.regnamespace
        then pg_catalog.format_type(bt.oid, null)
        else pg_catalog.format_type(a.atttypid, a.atttypmod) end,
      'base', bt.typname,
      'nullable', not (a.attnotnull or coalesce(db.not_null, false)),
      'default', case
        when a.attgenerated = 's' then null
        -- the sequence of an identity column, as a serial column's default names it
        when a.attidentity = 'd' then (
          select pg_catalog.format('nextval(%L::regclass)', dep.objid::pg_catalog.regclass::text)
          from pg_catalog.pg_depend dep
          where dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
            and dep.refobjid = a.attrelid
            and dep.refobjsubid = a.attnum
            and dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
            and dep.deptype = 'i'
          limit 1)
        when ad.adbin is not null then pg_catalog.pg_get_expr(ad.adbin, ad.adrelid)
        when t.typtype = 'd' then pg_catalog.pg_get_expr(t.typdefaultbin, 0)
      end,
      'comment', d.description,
      'pos', a.attnum,
      'maxlen', case
        when tm.typmod = -1 then null
        when bt.oid in ('pg_catalog.bpchar'::pg_catalog.regtype, 'pg_catalog.varchar'::pg_catalog.regtype) then tm.typmod - 4
        when bt.oid in ('pg_catalog.bit'::pg_catalog.regtype, 'pg_catalog.varbit'::pg_catalog.regtype) then tm.typmod
      end,
      'enum', el.labels
    ) order by a.attnum) as columns
  from rels r
  join pg_catalog.pg_attribute a on a.attrelid = r.oid
  join pg_catalog.pg_type t on t.oid = a.atttypid
  left join domain_base db on db.oid = t.oid
  join pg_catalog.pg_type bt on bt.oid = coalesce(db.base, t.oid)
  cross join lateral (select case when db.oid is null then a.atttypmod else db.typmod end as typmod) tm
  left join enum_labels el on el.enumtypid = bt.oid
  left join pg_catalog.pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
  left join pg_catalog.pg_description d
    on d.objoid = a.attrelid and d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.objsubid = a.attnum
  where a.attnum > 0 and not a.attisdropped
  group by a.attrelid
),
-- Primary keys, unique constraints and foreign keys of the exposed
-- relations, each with its columns in key order. Foreign keys cloned onto
-- partitions of a referenced partitioned table (conparentid <> 0) are left
-- out: only the constraint the user declared counts.
keys as (
  select
    con.conrelid,
    json_build_object(
      'type', con.contype,
      'name', con.conname,
      'cols', json_agg(ka.attname order by k.ord),
      'ref_schema', rn.nspname,
      'ref_table', rc.relname,
      'ref_cols', case when con.contype = 'f' then json_agg(fa.attname order by k.ord) end
    ) as key
  from rels r
  join pg_catalog.pg_constraint con on con.conrelid = r.oid
  join pg_catalog.pg_attribute ka on ka.attrelid = con.conrelid and ka.attnum = any (con.conkey)
  cross join lateral (select pg_catalog.array_position(con.conkey, ka.attnum) as ord) k
  left join pg_catalog.pg_attribute fa on fa.attrelid = con.confrelid and fa.attnum = con.confkey[k.ord]
  left join pg_catalog.pg_class rc on rc.oid = con.confrelid
  left join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
  where con.contype in ('p', 'u', 'f')
    and con.conparentid = 0
  group by con.oid, con.conrelid, con.contype, con.conname, rn.nspname, rc.relname
),
keys_agg as (
  select k.conrelid, json_agg(k.key) as keys
  from keys k
  group by k.conrelid
),
rels_json as (
  select json_agg(json_build_object(
    'oid', r.oid::pg_catalog.int8,
    'schema', r.nspname,
    'name', r.relname,
    'kind', r.relkind,
    'comment', d.description,
    -- pg_relation_is_updatable's bits: 4 update, 8 insert, 16 delete
    'upd_bits', case
      when r.relkind in ('r', 'p') then 4 | 8 | 16
      when r.relkind in ('v', 'f') then pg_catalog.pg_relation_is_updatable(r.oid, true)
      else 0
    end,
    'columns', coalesce(c.columns, '[]'),
    'keys', coalesce(ka.keys, '[]')
  ) order by r.nspname, r.relname) as relations
  from rels r
  left join cols c on c.attrelid = r.oid
  left join keys_agg ka on ka.conrelid = r.oid
  left join pg_catalog.pg_description d
    on d.objoid = r.oid and d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.objsubid = 0
),
procs as (
  select p.oid, n.nspname, p.proname, p.pronargs, p.pronargdefaults, p.prorettype,
         p.proretset, p.provolatile, p.provariadic, p.proargmodes, p.proconfig,
         p.proallargtypes, p.proargtypes, p.proargnames
  from pg_catalog.pg_proc p
  join exposed n on n.oid = p.pronamespace
  where p.prokind = 'f'
),
-- Input arguments (IN, INOUT, VARIADIC) in declaration order. proallargtypes
-- lists every argument when there are OUT ones; otherwise proargtypes lists
-- the inputs. pronargdefaults counts defaults from the last input backwards.
proc_in_args as (
  select
    p.oid,
    a.ord,
    nullif(a.name, '') as name,
    a.type,
    coalesce(a.mode, 'i') as mode,
    row_number() over (partition by p.oid order by a.ord) > p.pronargs - p.pronargdefaults as has_default
  from procs p
  cross join lateral unnest(coalesce(p.proallargtypes, p.proargtypes::pg_catalog.oid[]), p.proargmodes, p.proargnames)
    with ordinality as a(type, mode, name, ord)
  where coalesce(a.mode, 'i') in ('i', 'b', 'v')
),
proc_args as (
  select
    a.oid,
    json_agg(json_build_object(
      'name', coalesce(a.name, ''),
      'type', pg_catalog.format_type(a.type, null),
      'type_schema', (select tn.nspname from pg_catalog.pg_type t
                      join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace where t.oid = a.type),
      'default', a.has_default,
      'variadic', a.mode = 'v'
    ) order by a.ord) as args,
    count(*) as n,
    count(a.name) as named,
    (array_agg(a.type))[1] as first_type
  from proc_in_args a
  group by a.oid
),
funcs_json as (
  select json_agg(json_build_object(
    'oid', p.oid::pg_catalog.int8,
    'schema', p.nspname,
    'name', p.proname,
    'comment', d.description,
    'args', coalesce(pa.args, '[]'),
    'ret_type', pg_catalog.format_type(p.prorettype, null),
    'ret_schema', rtn.nspname,
    'ret_name', coalesce(rc.relname, rt.typname),
    'ret_composite', rt.typtype = 'c' or coalesce(p.proargmodes::text[] && '{t,b,o}', false),
    'ret_set', p.proretset,
    'ret_media', case when not p.proretset then mt.name end,
    'ret_binary', coalesce(mt.bin, false),
    'volatility', p.provolatile,
    'variadic', p.provariadic <> 0,
    'config', p.proconfig
  ) order by p.nspname, p.proname, p.oid) as functions
  from procs p
  left join proc_args pa on pa.oid = p.oid
  left join domain_base db on db.oid = p.prorettype
  left join media_types mt on mt.oid = p.prorettype
  join pg_catalog.pg_type rt on rt.oid = coalesce(db.base, p.prorettype)
  join pg_catalog.pg_namespace rtn on rtn.oid = rt.typnamespace
  left join pg_catalog.pg_class rc on rc.oid = rt.typrelid
  left join pg_catalog.pg_description d
    on d.objoid = p.oid and d.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass and d.objsubid = 0
  where rt.oid <> 'pg_catalog.trigger'::pg_catalog.regtype
    -- Callable through the API: every input named, or a single unnamed
    -- input of a type that takes the whole request body.
    and (pa.oid is null
      or pa.named = pa.n
      or (pa.n = 1 and pa.first_type in (
        'pg_catalog.bytea'::pg_catalog.regtype, 'pg_catalog.json'::pg_catalog.regtype,
        'pg_catalog.jsonb'::pg_catalog.regtype, 'pg_catalog.text'::pg_catalog.regtype,
        'pg_catalog.xml'::pg_catalog.regtype)))
),
schemas_json as (
  select json_agg(json_build_object('name', n.nspname, 'comment', d.description)) as schemas
  from exposed n
  left join pg_catalog.pg_description d
    on d.objoid = n.oid and d.classoid = 'pg_catalog.pg_namespace'::pg_catalog.regclass and d.objsubid = 0
),
-- Relationships (cache/rels.go builds them). Foreign keys of every
-- non-system schema: a view of an exposed schema may sit on tables of a
-- private one. Columns come as attnums (to match traced view columns) and
-- names. one_to_one: the key's columns are also a primary key or carry a
-- unique constraint (set equality of the attnum arrays).
user_rels as (
  select c.oid, n.nspname, c.relname, c.relkind
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  where n.nspname not in ('pg_catalog', 'information_schema')
    and n.nspname not like 'pg\_toast%'
    and c.relkind in ('r', 'v', 'm', 'f', 'p')
),
fks_json as (
  select json_agg(json_build_object(
    'name', con.conname,
    'oid', con.conrelid::pg_catalog.int8,
    'schema', t.nspname,
    'table', t.relname,
    'foid', con.confrelid::pg_catalog.int8,
    'fschema', ft.nspname,
    'ftable', ft.relname,
    'nums', con.conkey,
    'fnums', con.confkey,
    'cols', (select json_agg(a.attname order by k.ord)
             from unnest(con.conkey) with ordinality k(num, ord)
             join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num),
    'fcols', (select json_agg(a.attname order by k.ord)
              from unnest(con.confkey) with ordinality k(num, ord)
              join pg_catalog.pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num),
    'one_to_one', exists (
      select from pg_catalog.pg_constraint u
      where u.conrelid = con.conrelid and u.contype in ('p', 'u')
        and u.conkey @> con.conkey and u.conkey <@ con.conkey)
  ) order by t.nspname, t.relname, con.conname) as fks
  from pg_catalog.pg_constraint con
  join user_rels t on t.oid = con.conrelid
  join user_rels ft on ft.oid = con.confrelid
  where con.contype = 'f' and con.conparentid = 0
),
-- Primary keys of the tables of non-system schemas, as attnums: a view
-- over a table inherits its key when it shows all the key's columns.
pks_json as (
  select json_agg(json_build_object('oid', con.conrelid::pg_catalog.int8, 'nums', con.conkey)) as pks
  from pg_catalog.pg_constraint con
  join user_rels t on t.oid = con.conrelid
  where con.contype = 'p'
),
-- The views and materialized views of the exposed schemas and every view
-- they read from, through pg_depend, in any schema. def is the view's
-- query tree; Go reads the origin (table oid, attnum) of each output
-- column from its target list.
view_closure (oid) as (
  select r.oid from rels r where r.relkind in ('v', 'm')
  union
  select d.refobjid
  from view_closure v
  join pg_catalog.pg_rewrite rw on rw.ev_class = v.oid and rw.rulename = '_RETURN'
  join pg_catalog.pg_depend d
    on d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass and d.objid = rw.oid
   and d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.refobjid <> v.oid
  join pg_catalog.pg_class c on c.oid = d.refobjid and c.relkind in ('v', 'm')
),
views_json as (
  select json_agg(json_build_object(
    'oid', v.oid::pg_catalog.int8,
    'cols', (select json_agg(a.attname order by a.attnum)
             from pg_catalog.pg_attribute a
             where a.attrelid = v.oid and a.attnum > 0 and not a.attisdropped),
    'def', rw.ev_action::text
  )) as views
  from view_closure v
  join pg_catalog.pg_rewrite rw on rw.ev_class = v.oid and rw.rulename = '_RETURN'
),
-- Computed relationships: a function of an exposed schema taking one
-- table row and returning rows of a table.
computed_json as (
  select json_agg(json_build_object(
    'schema', p.nspname,
    'name', p.proname,
    'table_oid', arg_rel.oid::pg_catalog.int8,
    'ftable_oid', ret_rel.oid::pg_catalog.int8,
    'single', not p.proretset or pp.prorows = 1
  ) order by p.nspname, p.proname, p.oid) as computed
  from procs p
  join pg_catalog.pg_proc pp on pp.oid = p.oid
  join pg_catalog.pg_class arg_rel on arg_rel.reltype = p.proargtypes[0] and arg_rel.relkind in ('r', 'v', 'm', 'f', 'p')
  join pg_catalog.pg_class ret_rel on ret_rel.reltype = p.prorettype and ret_rel.relkind in ('r', 'v', 'm', 'f', 'p')
  where p.pronargs = 1
),
-- Media type handlers: aggregates of an exposed schema with one argument,
-- a relation's row type or anyelement, returning a media type domain.
media_json as (
  select json_agg(json_build_object(
    'schema', n.nspname,
    'name', p.proname,
    'target_schema', tn.nspname,
    'target', c.relname,
    'any', at.oid = 'pg_catalog.anyelement'::pg_catalog.regtype,
    'media', mt.name,
    'binary', mt.bin
  ) order by n.nspname, p.proname, p.oid) as media
  from pg_catalog.pg_proc p
  join exposed n on n.oid = p.pronamespace
  join media_types mt on mt.oid = p.prorettype
  join pg_catalog.pg_type at on at.oid = p.proargtypes[0]
  left join pg_catalog.pg_class c on c.reltype = at.oid and c.relkind in ('r', 'v', 'm', 'f', 'p')
  left join pg_catalog.pg_namespace tn on tn.oid = c.relnamespace
  where p.prokind = 'a' and p.pronargs = 1
    and (c.oid is not null or at.oid = 'pg_catalog.anyelement'::pg_catalog.regtype)
),
-- Domain representations: the implicit casts through a function between a
-- domain and json or text (either way), whose function the loading role may
-- execute, as PostgREST keeps them.
reps_json as (
  select json_agg(json_build_object(
    'source', pg_catalog.format_type(c.castsource, null),
    'target', pg_catalog.format_type(c.casttarget, null),
    'schema', pn.nspname,
    'name', p.proname
  )) as reps
  from pg_catalog.pg_cast c
  join pg_catalog.pg_type st on st.oid = c.castsource
  join pg_catalog.pg_type tt on tt.oid = c.casttarget
  join pg_catalog.pg_proc p on p.oid = c.castfunc
  join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
  where c.castcontext = 'i' and c.castmethod = 'f'
    and ((st.typtype = 'd' and c.casttarget in ('pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.text'::pg_catalog.regtype))
      or (tt.typtype = 'd' and c.castsource in ('pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.text'::pg_catalog.regtype)))
    and pg_catalog.has_function_privilege(c.castfunc, 'execute')
),
-- Settings of the roles the loading role (the authenticator) is a direct
-- member of (ALTER ROLE r SET k = v), which PostgREST applies to the
-- requests of role r: those of user context. (PostgreSQL 15's GRANT SET ON
-- PARAMETER is not considered.)
role_settings_json as (
  select json_agg(json_build_object('role', r.rolname, 'name', kv.k, 'value', kv.v)
    order by r.rolname, c.ord) as role_settings
  from pg_catalog.pg_auth_members m
  join pg_catalog.pg_roles r on r.oid = m.roleid
  cross join lateral pg_catalog.unnest(r.rolconfig) with ordinality as c(setting, ord)
  cross join lateral (
    select pg_catalog.substr(c.setting, 1, pg_catalog.strpos(c.setting, '=') - 1) as k,
           pg_catalog.substr(c.setting, pg_catalog.strpos(c.setting, '=') + 1) as v
  ) kv
  join pg_catalog.pg_settings ps on ps.name = kv.k and ps.context = 'user'
  where m.member = (select oid from pg_catalog.pg_roles where rolname = current_user)
)
select json_build_object(
  'version_num', pg_catalog.current_setting('server_version_num')::int,
  'version', pg_catalog.current_setting('server_version'),
  'schemas', coalesce((select schemas from schemas_json), '[]'),
  'relations', coalesce((select relations from rels_json), '[]'),
  'functions', coalesce((select functions from funcs_json), '[]'),
  'fks', coalesce((select fks from fks_json), '[]'),
  'pks', coalesce((select pks from pks_json), '[]'),
  'views', coalesce((select views from views_json), '[]'),
  'computed', coalesce((select computed from computed_json), '[]'),
  'media', coalesce((select media from media_json), '[]'),
  'reps', coalesce((select reps from reps_json), '[]'),
  'role_settings', coalesce((select role_settings from role_settings_json), '[]')
)::text
) end
