-- Test-only tables of the nested insert tests (server/nested_test.go): a
-- project belongs to a client (to-one) and has tasks (to-many), a task
-- has labels; a project has two foreign keys to people (ambiguous).
create table api.n_clients (id serial primary key, name text not null unique);
create table api.n_people (id serial primary key, name text not null);
create table api.n_projects (
  id int generated always as identity primary key,
  name text not null,
  client_id int references api.n_clients (id),
  lead_id int references api.n_people (id),
  reviewer_id int references api.n_people (id)
);
create table api.n_tasks (
  id serial primary key,
  project_id int not null references api.n_projects (id),
  title text not null check (title <> ''),
  done boolean not null default false
);
create table api.n_labels (id serial primary key, task_id int not null references api.n_tasks (id), name text not null);
-- One to one: a project's charter.
create table api.n_charters (project_id int primary key references api.n_projects (id), body text);
-- Many to many: a project's tags, through a junction.
create table api.n_tags (id serial primary key, name text not null);
create table api.n_project_tags (
  project_id int references api.n_projects (id),
  tag_id int references api.n_tags (id),
  primary key (project_id, tag_id)
);
-- INSERT on the parent only: the child table is read-only for web_anon.
create table api.n_notes (id serial primary key, project_id int references api.n_projects (id), body text);

grant select, insert on api.n_clients, api.n_people, api.n_projects, api.n_tasks, api.n_labels, api.n_charters,
  api.n_tags, api.n_project_tags to web_anon, todo_user;
grant select on api.n_notes to web_anon, todo_user;
grant usage on sequence api.n_clients_id_seq, api.n_people_id_seq, api.n_tasks_id_seq, api.n_labels_id_seq,
  api.n_notes_id_seq, api.n_tags_id_seq to web_anon, todo_user;

-- Row-level security on a child: a todo_user may add only the tasks
-- whose title starts with its sub. (A policy that looked the project up
-- would not see it: the rows of one statement's inserts are not visible
-- to its other parts.)
alter table api.n_tasks enable row level security;
create policy n_tasks_all on api.n_tasks to web_anon using (true) with check (true);
create policy n_tasks_own on api.n_tasks to todo_user using (true)
  with check (title like (current_setting('request.jwt.claims', true)::json->>'sub') || ':%');

-- A computed relationship, which a nested insert does not follow.
create function api.n_first_task(api.n_projects) returns setof api.n_tasks rows 1 language sql stable as
  $$ select * from api.n_tasks where project_id = $1.id order by id limit 1 $$;

-- A self-reference: a category's parent and children.
create table api.n_categories (id serial primary key, name text not null, parent_id int references api.n_categories (id));
grant select, insert on api.n_categories to web_anon;
grant usage on sequence api.n_categories_id_seq to web_anon;

-- A trigger that skips rows: a nested insert below such a table cannot
-- match rows with their objects, and fails.
create table api.n_boards (id serial primary key, name text not null);
create table api.n_cards (id serial primary key, board_id int not null references api.n_boards (id), title text);
create function api.n_skip() returns trigger language plpgsql as $$
begin
  if new.name like 'skip%' then return null; end if;
  return new;
end $$;
create trigger n_skip before insert on api.n_boards for each row execute function api.n_skip();
grant select, insert on api.n_boards, api.n_cards to web_anon;
grant usage on sequence api.n_boards_id_seq, api.n_cards_id_seq to web_anon;
