-- Test-only objects of the security suites (server/injection_test.go): a
-- target that every kind of client text reaches, and a canary that no
-- request may change.

-- The canary is writable by the API's roles, so a payload that escaped
-- into SQL as one of them would change it.
create schema canary;
create table canary.sentinel (id int primary key, note text not null);
insert into canary.sentinel values (1, 'untouched');
grant usage, create on schema canary to web_anon, todo_user;
grant all on canary.sentinel to web_anon, todo_user;

create table api.inj (
  id serial primary key,
  name text,
  data jsonb,
  tags text[]
);
create table api.inj_child (id serial primary key, inj_id int references api.inj (id), note text);
insert into api.inj (name, data, tags) values ('plain', '{"k": "v", "a''b": 1}', '{x,y}');
insert into api.inj_child (inj_id, note) values (1, 'child');
grant select, insert, update, delete on api.inj, api.inj_child to web_anon, todo_user;
grant usage on sequence api.inj_id_seq, api.inj_child_id_seq to web_anon, todo_user;

create function api.inj_echo(a text) returns text language sql stable as $$ select a $$;
create function api.inj_write(a text) returns int language sql volatile as
  $$ insert into api.inj (name) values (a) returning id $$;
grant execute on function api.inj_echo(text), api.inj_write(text) to web_anon, todo_user;
