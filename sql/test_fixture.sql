-- Test-only additions to the demo database (loaded after demo.sql by the
-- server tests): objects that show what the request sees of itself, and
-- cases the demo does not need.

-- What a request's transaction knows about the request.
create view api.whoami as
select current_user::text as role,
       current_setting('request.jwt.claims', true) as claims,
       current_setting('request.method', true) as method,
       current_setting('request.path', true) as path,
       current_setting('request.headers', true)::json->>'x-test' as x_test,
       current_setting('request.headers', true)::jsonb ? 'cookie' as headers_have_cookie,
       current_setting('request.cookies', true)::json->>'session' as cookie_session,
       current_setting('request.jwt.claim.role', true) as legacy_claim_role,
       current_setting('request.jwt.claim.sub', true) as legacy_claim_sub,
       current_setting('request.header.accept', true) as legacy_header,
       current_setting('request.cookie.session', true) as legacy_cookie,
       current_setting('app.settings.greeting', true) as greeting,
       current_setting('search_path', true) as search_path,
       current_setting('transaction_read_only', true) as read_only,
       current_setting('pgrst_test.pre_request', true) as pre_request;
grant select on api.whoami to web_anon, todo_user;

-- A pre-request hook: refuses requests carrying X-Block, marks the others.
create function api.check_request() returns void language plpgsql as $$
begin
  if current_setting('request.headers', true)::json->>'x-block' is not null then
    raise exception 'blocked by pre-request' using hint = 'remove X-Block';
  end if;
  perform set_config('pgrst_test.pre_request', 'ran', true);
end
$$;
grant execute on function api.check_request() to web_anon, todo_user;

-- Only todo_user may read it: anonymous reads get 401, other roles 403.
create table api.secrets (id int primary key, secret text);
insert into api.secrets values (1, 'the butler did it');
grant select on api.secrets to todo_user;

-- A role that may log in through the authenticator but reads nothing.
do $$
begin
  if not exists (select from pg_roles where rolname = 'nobody') then
    create role nobody nologin;
  end if;
end
$$;
grant nobody to authenticator;
grant usage on schema api to nobody;

-- Awkward names and values.
create table api."Odd Name" ("my col" int, "quote""d" text, "ünï" text);
insert into api."Odd Name" values (1, 'a"b', 'x,y'), (2, 'it''s', null), (3, null, 'z');
grant select on api."Odd Name" to web_anon;

-- Issue 3: read grammar and response formats --------------------------------

-- Values that test every output format: quotes, commas, newlines, nulls,
-- bytes that are not text.
create table api.formats (
  id int primary key,
  name text,
  note text,
  data bytea,
  doc xml,
  tags text[]
);
insert into api.formats values
  (1, 'plain', null, '\x00ff41'::bytea, '<a>1</a>', '{x,y}'),
  (2, 'with, comma', 'say "hi"', '\x42'::bytea, '<b/>', null),
  (3, E'two\nlines', '', null, null, '{}');
grant select on api.formats to web_anon;

-- Enough rows for a stable row estimate (count=planned), once analyzed.
create table api.numbers (n int primary key);
insert into api.numbers select generate_series(1, 1000);
analyze api.numbers;
grant select on api.numbers to web_anon;

-- A read-only view: OPTIONS allows only reads.
create view api.todo_counts as select done, count(*)::int as n from api.todos group by done;
grant select on api.todo_counts to web_anon;

-- A second exposed schema (Accept-Profile), with a table of the same name
-- as one in api and one of its own.
drop schema if exists api_v2 cascade;
create schema api_v2;
create table api_v2.todos (id int primary key, title text);
insert into api_v2.todos values (1, 'v2 first'), (2, 'v2 second');
create table api_v2.only_v2 (x int);
insert into api_v2.only_v2 values (42);
grant usage on schema api_v2 to web_anon;
grant select on all tables in schema api_v2 to web_anon;
create view api_v2.settings as select current_setting('search_path') as search_path;
grant select on api_v2.settings to web_anon;

-- Issues 3 and 4: read-path gaps found by PostgREST's spec suite -------------
-- (server/conformance_read_test.go; every object's name starts with conf_)

-- An empty filter value is the empty string, not NULL.
create table api.conf_strings (id int primary key, s text);
insert into api.conf_strings values (1, ''), (2, 'x'), (3, null);

-- A column named like the embed it leads to: only is.null tests the embed.
create table api.conf_states (id int primary key, label text not null);
create table api.conf_matches (id int primary key, state int references api.conf_states (id));
insert into api.conf_states values (1, 'open'), (2, 'closed');
insert into api.conf_matches values (1, 1), (2, 2), (3, null);

-- A to-one spread with * inside a to-many spread.
create table api.conf_plants (id int primary key, name text not null);
create table api.conf_steps (id int primary key, name text not null,
  plant_id int references api.conf_plants (id));
create table api.conf_step_costs (step_id int primary key references api.conf_steps (id), cost int not null);
insert into api.conf_plants values (1, 'North'), (2, 'South'), (3, 'East');
insert into api.conf_steps values (1, 'cut', 1), (2, 'weld', 1), (3, 'paint', 2);
insert into api.conf_step_costs values (1, 10), (3, 30);

-- Computed columns: functions of the row type in the exposed schema, in
-- the extra search path (public), and in a schema that is neither.
create table api.conf_docs (id int primary key, body text not null, kind text not null);
insert into api.conf_docs values
  (1, 'The quick brown fox', 'a'), (2, 'Lazy dogs sleep', 'a'), (3, 'Fun with foxes', 'b'),
  (4, 'Brown bread', 'a'), (5, 'Quiet night', 'a'), (6, 'Fun fair', 'b'),
  (7, 'Long road', 'a'), (8, 'Short cut', 'a');
analyze api.conf_docs;
create function api.conf_shout(api.conf_docs) returns text
  language sql immutable as $$ select upper($1.body) $$;
create function api.conf_words(api.conf_docs) returns tsvector
  language sql immutable as $$ select to_tsvector('simple', $1.body) $$;
create function public.conf_body_length(api.conf_docs) returns int
  language sql immutable as $$ select length($1.body) $$;
drop schema if exists conf_hidden cascade;
create schema conf_hidden;
create function conf_hidden.conf_secret(api.conf_docs) returns int
  language sql immutable as $$ select 42 $$;

-- A pre-request function that sets its own Vary header.
create function api.conf_vary_hook() returns void
  language sql as $$ select set_config('response.headers', '[{"Vary": "X-Conf"}]', true) $$;

grant select on api.conf_strings, api.conf_states, api.conf_matches, api.conf_plants,
  api.conf_steps, api.conf_step_costs, api.conf_docs to web_anon;

-- Issue 3: media type handlers ------------------------------------------------
-- (server/media_handlers_test.go; tables start with media_) Domains named
-- after media types; aggregates of the exposed schema returning them render
-- a read's body. Their state and final functions live in a private schema.
create domain public."text/html" as text;
create domain public."text/csv" as text;
create domain public."text/xml" as xml;
create domain public."application/json" as json;
create domain public."application/vnd.twkb" as bytea;
create domain public."pg/outfunc" as text;
create domain public."text/markdown" as text;
create domain public."application/vnd.pages+json" as jsonb;
create domain public."*/*" as bytea;
drop schema if exists media_private cascade;
create schema media_private;
grant usage on schema media_private to web_anon;

create table api.media_pages (id int primary key, title text not null);
insert into api.media_pages values (1, 'Home'), (2, 'About & Co');
create view api.media_pages_view as select id, title from api.media_pages where id = 2;

-- text/html for media_pages (with a final function) and for its view.
create function media_private.pages_html_step(state public."text/html", next api.media_pages)
  returns public."text/html" language sql immutable as
  $$ select (state || '<li>' || next.title || '</li>')::public."text/html" $$;
create function media_private.pages_html_final(state public."text/html")
  returns public."text/html" language sql immutable as
  $$ select ('<ul>' || state || '</ul>')::public."text/html" $$;
create aggregate api.media_pages_html(api.media_pages) (
  stype = public."text/html", sfunc = media_private.pages_html_step,
  finalfunc = media_private.pages_html_final, initcond = '');
create function media_private.view_html_step(state public."text/html", next api.media_pages_view)
  returns public."text/html" language sql immutable as
  $$ select (state || '<p>' || next.title || '</p>')::public."text/html" $$;
create aggregate api.media_pages_view_html(api.media_pages_view) (
  stype = public."text/html", sfunc = media_private.view_html_step, initcond = '');

-- A binary media type: bytes that are not text (a NUL after each title).
create function media_private.pages_twkb_step(state public."application/vnd.twkb", next api.media_pages)
  returns public."application/vnd.twkb" language sql immutable as
  $$ select (coalesce(state, ''::bytea) || convert_to(next.title, 'UTF8') || '\x00'::bytea)::public."application/vnd.twkb" $$;
create aggregate api.media_pages_twkb(api.media_pages) (
  stype = public."application/vnd.twkb", sfunc = media_private.pages_twkb_step);

-- A media type over jsonb: the body is jsonb's text, never its binary form.
create function media_private.pages_jsonb_step(state public."application/vnd.pages+json", next api.media_pages)
  returns public."application/vnd.pages+json" language sql immutable as
  $$ select (coalesce(state, '[]'::jsonb) || to_jsonb(next.title))::public."application/vnd.pages+json" $$;
create aggregate api.media_pages_jsonb(api.media_pages) (
  stype = public."application/vnd.pages+json", sfunc = media_private.pages_jsonb_step);

-- text/csv and text/xml overridden for media_pages.
create function media_private.pages_csv_step(state public."text/csv", next api.media_pages)
  returns public."text/csv" language sql immutable as
  $$ select (state || next.id || ';' || next.title || E'\n')::public."text/csv" $$;
create aggregate api.media_pages_csv(api.media_pages) (
  stype = public."text/csv", sfunc = media_private.pages_csv_step, initcond = E'id;title\n');
create function media_private.pages_xml_step(state public."text/xml", next api.media_pages)
  returns public."text/xml" language sql immutable as
  $$ select xmlconcat(state, xmlelement(name page, next.title))::public."text/xml" $$;
create aggregate api.media_pages_xml(api.media_pages) (
  stype = public."text/xml", sfunc = media_private.pages_xml_step);

-- pg/outfunc for any relation: each row's record text on a line.
create function media_private.outfunc_step(state public."pg/outfunc", next anyelement)
  returns public."pg/outfunc" language sql immutable as
  $$ select (state || next::text || E'\n')::public."pg/outfunc" $$;
create aggregate api.media_outfunc(anyelement) (
  stype = public."pg/outfunc", sfunc = media_private.outfunc_step, initcond = '');

-- application/json overridden for one table only.
create table api.media_ov_json (id int);
insert into api.media_ov_json values (1);
create function media_private.ov_json_step(state public."application/json", next api.media_ov_json)
  returns public."application/json" language sql immutable as $$ select state $$;
create aggregate api.media_ov_json_agg(api.media_ov_json) (
  stype = public."application/json", sfunc = media_private.ov_json_step,
  initcond = '{"overridden": true}');

-- */* for one table: answers any Accept (with the default select), names
-- the Content-Type itself for some of them through response.headers.
create table api.media_numbers (val int primary key);
insert into api.media_numbers select generate_series(1, 3);
create function media_private.numbers_step(state public."*/*", next api.media_numbers)
  returns public."*/*" language sql immutable as
  $$ select (state || E'\n'::bytea || convert_to(next.val::text, 'UTF8'))::public."*/*" $$;
create function media_private.numbers_final(state public."*/*")
  returns public."*/*" language plpgsql as $$
declare
  accept text := current_setting('request.headers', true)::json->>'accept';
begin
  if accept in ('magic/number', 'crazy/bingo') then
    perform set_config('response.headers', json_build_array(json_build_object('Content-Type', accept))::text, true);
    return (convert_to(split_part(accept, '/', 1), 'UTF8') || state)::public."*/*";
  end if;
  return (convert_to('anything', 'UTF8') || state)::public."*/*";
end $$;
create aggregate api.media_numbers_any(api.media_numbers) (
  stype = public."*/*", sfunc = media_private.numbers_step,
  finalfunc = media_private.numbers_final, initcond = '');

-- An aggregate of a private schema is no handler.
create function media_private.pages_md_step(state public."text/markdown", next api.media_pages)
  returns public."text/markdown" language sql immutable as
  $$ select (state || '* ' || next.title)::public."text/markdown" $$;
create aggregate media_private.pages_md(api.media_pages) (
  stype = public."text/markdown", sfunc = media_private.pages_md_step, initcond = '');

grant select on api.media_pages, api.media_pages_view, api.media_ov_json, api.media_numbers to web_anon;

-- Domain representations -------------------------------------------------------

-- A colour stored as an int: shown as "#RRGGBB" (a null as ""), parsed from
-- "RRGGBB" in filters. PostgreSQL ignores casts on domains; pgrst applies
-- them itself.
create domain public.datarep_color as integer check (value between 0 and 16777215);
create function public.datarep_color_json(public.datarep_color) returns json
  language sql immutable as
  $$ select to_json(coalesce('#' || lpad(upper(to_hex($1)), 6, '0'), '')) $$;
create cast (public.datarep_color as json)
  with function public.datarep_color_json(public.datarep_color) as implicit;
create function public.datarep_color_parse(text) returns public.datarep_color
  language sql immutable as
  $$ select (('x' || lpad($1, 8, '0'))::bit(32)::int)::public.datarep_color $$;
create cast (text as public.datarep_color)
  with function public.datarep_color_parse(text) as implicit;
-- Written as "#RRGGBB" in a body.
create function public.datarep_color_from_json(json) returns public.datarep_color
  language sql immutable as
  $$ select public.datarep_color_parse(ltrim($1 #>> '{}', '#')) $$;
create cast (json as public.datarep_color)
  with function public.datarep_color_from_json(json) as implicit;

create table api.datarep_todos (
  id int primary key,
  name text,
  label_color public.datarep_color,
  due_at date
);
insert into api.datarep_todos values
  (1, 'Report', 0, '2018-01-02'),
  (2, 'Essay', 256, '2018-01-03'),
  (3, 'Algebra', 123456, '2018-01-01'),
  (4, 'Opus', null, null);
create table api.datarep_lists (
  id int primary key,
  name text,
  first_item_id int references api.datarep_todos
);
insert into api.datarep_lists values (1, 'school', 2), (2, 'first', 1);
create view api.datarep_todos_view as
select id, label_color, (label_color / 2)::public.datarep_color as dark_color
from api.datarep_todos;
grant select on api.datarep_todos, api.datarep_lists, api.datarep_todos_view to web_anon;
