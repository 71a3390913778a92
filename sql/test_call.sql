-- Test-only functions for /rpc (loaded after test_fixture.sql by the
-- server tests).

create function api.add_them(a int, b int) returns int
  language sql immutable as $$ select a + b $$;
create function api.hello(name text default 'world') returns text
  language sql stable as $$ select 'Hello, ' || name $$;
create function api.no_args() returns text
  language sql stable as $$ select 'no arguments' $$;
create function api.numbers(n int) returns setof int
  language sql stable as $$ select generate_series(1, n) $$;
create function api.films_since(y int) returns setof api.films
  language sql stable as $$ select * from api.films where year >= y order by id $$;
create function api.film(id int) returns api.films
  language sql stable as $$ select * from api.films f where f.id = film.id $$;
create function api.film_pair() returns table (a text, b int)
  language sql stable as $$ values ('x', 1), ('y', 2) $$;
create function api.nothing() returns void
  language sql volatile as $$ select $$;
create function api.sum_all(variadic v int[]) returns int
  language sql immutable as $$ select sum(x)::int from unnest(v) x $$;
create function api.array_len(arr text[]) returns int
  language sql immutable as $$ select cardinality(arr) $$;
create function api.pad(c character) returns text
  language sql immutable as $$ select c::text $$;
-- Overloads chosen by argument names.
create function api.over() returns text language sql stable as $$ select 'none' $$;
create function api.over(a int, b int) returns text language sql stable as $$ select 'a, b' $$;
create function api.over(a int, b int, c int default 0) returns text language sql stable as $$ select 'a, b, c' $$;
create function api.same(arg int) returns text language sql stable as $$ select 'int' $$;
create function api.same(arg xml) returns text language sql stable as $$ select 'xml' $$;
-- A single unnamed argument takes the whole body.
create function api.echo_json(json) returns json language sql stable as $$ select $1 $$;
create function api.echo_text(text) returns text language sql stable as $$ select $1 $$;
create function api.echo_bytes(bytea) returns int language sql stable as $$ select length($1) $$;
create function api.single_obj(payload json) returns json language sql stable as $$ select payload $$;
-- Writes, errors and response settings.
create table api.call_log (id serial primary key, note text not null);
grant select, insert on api.call_log to web_anon;
grant usage on sequence api.call_log_id_seq to web_anon;
create function api.log_note(note text) returns int
  language sql volatile as $$ insert into api.call_log (note) values (note) returning id $$;
create function api.raise_pt(code text) returns void language plpgsql as $$
begin
  raise sqlstate 'PT402' using message = 'Payment Required', detail = code;
end $$;
create function api.raise_pgrst() returns void language plpgsql as $$
begin
  raise sqlstate 'PGRST' using
    message = '{"code":"123","message":"ABC","details":"DEF","hint":"XYZ"}',
    detail = '{"status":332,"headers":{"X-Header":"str"}}';
end $$;
create function api.raise_bad_pgrst() returns void language plpgsql as $$
begin
  raise sqlstate 'PGRST' using message = 'not json', detail = '{"status":400}';
end $$;
-- Its own ETag (response.headers), which conditional reads keep.
create function api.tagged() returns text language plpgsql stable as $$
begin
  perform set_config('response.headers', '[{"ETag":"W/\"v7\""}]', true);
  return 'versioned';
end $$;
create function api.teapot() returns text language plpgsql as $$
begin
  perform set_config('response.status', '418', true);
  perform set_config('response.headers', '[{"X-Tea":"earl grey"}]', true);
  return 'short and stout';
end $$;
create function api.whoami_call() returns json language sql stable as $$
  select json_build_object('role', current_user, 'method', current_setting('request.method', true),
    'read_only', current_setting('transaction_read_only'))
$$;
create function api.secret_count() returns int language sql stable as $$ select count(*)::int from api.secrets $$;

-- Functions returning a media type domain produce the body themselves
-- (server/call_test.go, TestCallMediaTypes).
create domain public."text/plain" as text;
create domain public."application/octet-stream" as bytea;
create function api.page_html(title text default 'Home') returns public."text/html"
  language sql stable as $$ select ('<h1>' || title || '</h1>')::public."text/html" $$;
create function api.page_xml() returns public."text/xml"
  language sql stable as $$ select E'\n<page/>'::public."text/xml" $$;
create function api.page_none() returns public."text/html"
  language sql stable as $$ select null::public."text/html" $$;
create function api.page_twkb() returns public."application/vnd.twkb"
  language sql stable as $$ select '\x00ff0a'::bytea::public."application/vnd.twkb" $$;
create function api.page_any() returns public."*/*" language plpgsql stable as $$
begin
  if current_setting('request.headers', true)::json->>'accept' = 'app/chosen' then
    perform set_config('response.headers', '[{"Content-Type": "app/chosen"}]', true);
  end if;
  return convert_to('any', 'UTF8')::public."*/*";
end $$;
create function api.pages_html() returns setof public."text/html"
  language sql stable as $$ values ('<p>a</p>'::public."text/html"), ('<p>b</p>') $$;
-- Overloads: the raw bodies go to the single unnamed argument of their
-- type; the media types of the name's overloads serve each of them.
create function api.raw_echo(text) returns public."text/plain"
  language sql stable as $$ select $1::public."text/plain" $$;
create function api.raw_echo(bytea) returns public."application/octet-stream"
  language sql stable as $$ select $1::public."application/octet-stream" $$;
create function api.raw_echo(xml) returns public."text/xml"
  language sql stable as $$ select $1::public."text/xml" $$;
create function api.raw_echo(x int, y int) returns int
  language sql stable as $$ select x + y $$;

-- A volatile function returning the rows it wrote (TestCallMaxAffected).
create function api.log_many(n int, note text) returns setof api.call_log
  language sql volatile as
  $$ insert into api.call_log (note) select note from generate_series(1, n) returning * $$;

-- A function's own settings, hoisted to the transaction when listed in
-- db-hoisted-tx-settings (TestCallHoistedSettings): the computed columns
-- read them outside the function, where only hoisted ones are left.
create table api.hoist_rows (id int primary key);
insert into api.hoist_rows values (1);
grant select on api.hoist_rows to web_anon;
create function api.hoist_timeout(api.hoist_rows) returns text
  language sql stable as $$ select current_setting('statement_timeout') $$;
create function api.hoist_work_mem(api.hoist_rows) returns text
  language sql stable as $$ select current_setting('work_mem') $$;
create function api.hoisted() returns setof api.hoist_rows language sql stable
  set statement_timeout = '4321ms' set work_mem = '1234kB'
  as $$ select * from api.hoist_rows $$;
create function api.hoist_isolation(api.hoist_rows) returns text
  language sql stable as $$ select current_setting('transaction_isolation') $$;
create function api.serial_rows() returns setof api.hoist_rows language sql stable
  set default_transaction_isolation = 'serializable'
  as $$ select * from api.hoist_rows $$;

-- A role with settings of its own (ALTER ROLE r SET), which its requests
-- apply (TestRoleSettings); one a user may not set is left out.
do $$
begin
  if not exists (select from pg_roles where rolname = 'timeout_user') then
    create role timeout_user nologin;
  end if;
end
$$;
grant timeout_user to authenticator;
grant usage on schema api to timeout_user;
grant select on api.hoist_rows to timeout_user;
alter role timeout_user set statement_timeout = '2345ms';
alter role timeout_user set default_transaction_isolation = 'repeatable read';
alter role timeout_user set log_min_duration_statement = '1s';

-- A computed column overloaded for two row types (TestCallComputedColumn).
create function api.call_label(api.films) returns text
  language sql stable as $$ select 'film: ' || $1.title $$;
create function api.call_label(api.directors) returns text
  language sql stable as $$ select 'director: ' || $1.last_name $$;
