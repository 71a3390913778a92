-- Test-only tables of the write tests (server/write_test.go): each test
-- owns its rows, so the read tests' data stays as it is.

create table api.w_items (
  id serial primary key,
  name text not null,
  qty int not null default 1 check (qty >= 0),
  note text
);
create table api.w_kv (k text primary key, v text);
create table api.w_nopk (a int, b text);
create table api.w_parents (id int primary key, name text);
create table api.w_children (id int primary key, parent_id int references api.w_parents (id), name text);
create view api.w_items_view as select id, name, qty from api.w_items;
-- INSERT granted, SELECT not: writable without representation.
create table api.w_inbox (id int primary key, msg text);

-- The 5.0 docs' chat example: a policy fills and checks the sender from
-- the JWT.
create table api.w_messages (
  id serial primary key,
  sender text not null default current_setting('request.jwt.claims', true)::json->>'sub',
  body text not null
);
alter table api.w_messages enable row level security;
create policy w_messages_own on api.w_messages to todo_user
  using (sender = current_setting('request.jwt.claims', true)::json->>'sub')
  with check (sender = current_setting('request.jwt.claims', true)::json->>'sub');

grant select, insert, update, delete on api.w_items, api.w_kv, api.w_nopk, api.w_parents, api.w_children,
  api.w_items_view to web_anon, todo_user;
grant usage on sequence api.w_items_id_seq to web_anon, todo_user;
grant insert on api.w_inbox to web_anon;
grant select, insert, update, delete on api.w_messages to todo_user;
grant usage on sequence api.w_messages_id_seq to todo_user;
