-- The relations and functions of one schema that the current role may use,
-- for the API description in follow-privileges mode (as PostgREST decides
-- it): a relation the role owns or holds any privilege on, a function it
-- may execute. Run as the request's role; one row shaped like a request's
-- result (cache.Load's introspection is not per role), the oids as JSON in
-- the body column, in oid order (the answer keys the rendered documents).
--
-- $1: the schema's name.
select null::text, null::text, pg_catalog.json_build_object(
  'relations', coalesce((
    select pg_catalog.json_agg(c.oid::pg_catalog.int8 order by c.oid)
    from pg_catalog.pg_class c
    where c.relnamespace = n.oid
      and c.relkind in ('r', 'v', 'm', 'f', 'p')
      and not c.relispartition
      and (pg_catalog.pg_has_role(c.relowner, 'USAGE')
        or pg_catalog.has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
        or pg_catalog.has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))), '[]'),
  'functions', coalesce((
    select pg_catalog.json_agg(p.oid::pg_catalog.int8 order by p.oid)
    from pg_catalog.pg_proc p
    where p.pronamespace = n.oid
      and p.prokind = 'f'
      and pg_catalog.has_function_privilege(p.oid, 'execute')), '[]')
)::text
from pg_catalog.pg_namespace n
where n.nspname = $1::text
