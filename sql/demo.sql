-- The demo database, also a fixture for tests: PostgREST's tutorial (a todo
-- list with an anonymous and a logged-in role) plus a small films database.
--
-- Run it as a superuser. Roles are cluster-wide, so they are created only
-- when missing; the schema api is dropped and created again, so running the
-- script twice resets the data instead of failing.

do $$
begin
  if not exists (select from pg_roles where rolname = 'web_anon') then
    create role web_anon nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'todo_user') then
    create role todo_user nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator noinherit login password 'mysecretpassword';
  end if;
end
$$;

grant web_anon, todo_user to authenticator;

drop schema if exists api cascade;
create schema api;
comment on schema api is
$$pgrst demo API
A todo list from PostgREST's tutorial, and a small database of films, their directors and their casts.$$;

-- The tutorial's todo list ------------------------------------------------

create table api.todos (
  id serial primary key,
  done boolean not null default false,
  task text not null,
  due timestamptz
);
comment on table api.todos is 'Things to do; anyone may read them, todo_user may change them';
comment on column api.todos.due is 'When the task is due, if ever';

insert into api.todos (done, task, due) values
  (true,  'finish tutorial 0', null),
  (false, 'pat self on back', null),
  (false, 'learn how to auth', '2030-01-01 09:00:00+00'),
  (false, 'read the PostgREST docs', '2030-06-30 17:00:00+00');

-- Films --------------------------------------------------------------------

create table api.directors (
  id serial primary key,
  first_name text not null,
  last_name text not null
);
comment on table api.directors is 'Film directors';

create table api.films (
  id serial primary key,
  director_id int not null references api.directors (id),
  title text not null,
  year int not null,
  rating numeric(3,1),
  language text not null
);
comment on table api.films is 'Films, each with one director';
comment on column api.films.rating is 'Average rating out of 10';

create table api.actors (
  id serial primary key,
  first_name text not null,
  last_name text not null
);
comment on table api.actors is 'Actors';

create table api.roles (
  film_id int not null references api.films (id),
  actor_id int not null references api.actors (id),
  character text not null,
  primary key (film_id, actor_id)
);
comment on table api.roles is 'Who played whom in which film: links films and actors';

create index on api.films (director_id);
create index on api.roles (actor_id);

insert into api.directors (id, first_name, last_name) values
  (1, 'Leo', 'McCarey'),
  (2, 'Sam', 'Wood'),
  (3, 'Alfred', 'Hitchcock'),
  (4, 'Stanley', 'Kubrick'),
  (5, 'Akira', 'Kurosawa');

insert into api.films (id, director_id, title, year, rating, language) values
  (1, 1, 'Duck Soup', 1933, 7.8, 'English'),
  (2, 2, 'A Night at the Opera', 1935, 7.9, 'English'),
  (3, 2, 'A Day at the Races', 1937, 7.5, 'English'),
  (4, 3, 'Rear Window', 1954, 8.5, 'English'),
  (5, 3, 'Vertigo', 1958, 8.2, 'English'),
  (6, 3, 'North by Northwest', 1959, 8.3, 'English'),
  (7, 4, 'Dr. Strangelove', 1964, 8.4, 'English'),
  (8, 4, '2001: A Space Odyssey', 1968, 8.3, 'English'),
  (9, 5, 'Rashomon', 1950, 8.2, 'Japanese'),
  (10, 5, 'Seven Samurai', 1954, 8.6, 'Japanese');

insert into api.actors (id, first_name, last_name) values
  (1, 'Groucho', 'Marx'),
  (2, 'Harpo', 'Marx'),
  (3, 'Chico', 'Marx'),
  (4, 'Margaret', 'Dumont'),
  (5, 'James', 'Stewart'),
  (6, 'Grace', 'Kelly'),
  (7, 'Kim', 'Novak'),
  (8, 'Cary', 'Grant'),
  (9, 'Peter', 'Sellers'),
  (10, 'Keir', 'Dullea'),
  (11, 'Toshirō', 'Mifune');

insert into api.roles (film_id, actor_id, character) values
  (1, 1, 'Rufus T. Firefly'),
  (1, 2, 'Pinky'),
  (1, 3, 'Chicolini'),
  (1, 4, 'Mrs. Gloria Teasdale'),
  (2, 1, 'Otis B. Driftwood'),
  (2, 2, 'Tomasso'),
  (2, 3, 'Fiorello'),
  (2, 4, 'Mrs. Claypool'),
  (3, 1, 'Dr. Hugo Z. Hackenbush'),
  (3, 2, 'Stuffy'),
  (3, 3, 'Tony'),
  (4, 5, 'L.B. "Jeff" Jefferies'),
  (4, 6, 'Lisa Carol Fremont'),
  (5, 5, 'John "Scottie" Ferguson'),
  (5, 7, 'Madeleine Elster'),
  (6, 8, 'Roger O. Thornhill'),
  (7, 9, 'Group Capt. Lionel Mandrake'),
  (8, 10, 'Dr. Dave Bowman'),
  (9, 11, 'Tajōmaru'),
  (10, 11, 'Kikuchiyo');

-- The rows above have explicit ids: move the sequences past them.
select setval(pg_get_serial_sequence('api.directors', 'id'), (select max(id) from api.directors));
select setval(pg_get_serial_sequence('api.films', 'id'), (select max(id) from api.films));
select setval(pg_get_serial_sequence('api.actors', 'id'), (select max(id) from api.actors));

create view api.film_summary as
  select f.id,
         f.title,
         f.year,
         d.first_name || ' ' || d.last_name as director,
         f.rating,
         f.language,
         count(r.actor_id)::int as cast_size
    from api.films f
    join api.directors d on d.id = f.director_id
    left join api.roles r on r.film_id = f.id
   group by f.id, d.id
   order by f.id;
comment on view api.film_summary is 'One row per film: its director''s name and the size of its cast';

-- Privileges ---------------------------------------------------------------

grant usage on schema api to web_anon, todo_user;

grant select on api.todos to web_anon;
grant all on api.todos to todo_user;
grant usage on sequence api.todos_id_seq to todo_user;

grant select on api.directors, api.films, api.actors, api.roles, api.film_summary
  to web_anon, todo_user;

-- A running pgrst rebuilds its schema cache when this commits.
notify pgrst, 'reload schema';
