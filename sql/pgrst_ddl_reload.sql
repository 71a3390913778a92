-- Opt-in: reload the schema cache of every pgrst server after DDL.
--
-- An event trigger on ddl_command_end and sql_drop sends
-- NOTIFY pgrst, 'reload schema' (on the channel of pgrst.channel(), from
-- pgrst_schema.sql, which must be installed first). The notification is
-- delivered when the DDL's transaction commits, and a migration that runs
-- in one transaction sends one notification however many statements it has.
--
-- Installed by `pgrst setup --ddl-reload`. Event triggers can only be
-- created by a superuser. To remove it:
--   drop event trigger pgrst_ddl_reload; drop event trigger pgrst_ddl_drop_reload;

create or replace function pgrst.ddl_reload() returns event_trigger
  language plpgsql
  as $$
begin
  perform pg_notify(pgrst.channel(), 'reload schema');
end
$$;

drop event trigger if exists pgrst_ddl_reload;
create event trigger pgrst_ddl_reload
  on ddl_command_end execute function pgrst.ddl_reload();

drop event trigger if exists pgrst_ddl_drop_reload;
create event trigger pgrst_ddl_drop_reload
  on sql_drop execute function pgrst.ddl_reload();
