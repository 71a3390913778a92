-- Resource embedding fixture (loaded after demo.sql by the server tests):
-- the demo's films, directors, actors and roles, plus competitions (many-to-
-- many through nominations), one-to-one, composite keys, two foreign keys
-- between the same tables, a self-referencing table, views over a table
-- of a private schema, and computed relationships.

-- Competitions: films <-> competitions through nominations.
create table api.competitions (
  id int primary key,
  name text not null,
  year int not null
);
create table api.nominations (
  film_id int not null references api.films (id),
  competition_id int not null references api.competitions (id),
  rank int not null,
  primary key (film_id, competition_id)
);
insert into api.competitions values
  (1, 'Venice Film Festival', 1951),
  (2, 'Venice Film Festival', 1954),
  (3, 'Cannes Film Festival', 1954),
  (4, 'Berlin Film Festival', 1990);
insert into api.nominations values
  (9, 1, 1),
  (10, 2, 2),
  (4, 2, 5),
  (10, 3, 1);

-- One-to-one: a film has at most one budget row (its key is the FK).
create table api.film_budgets (
  film_id int primary key references api.films (id),
  budget numeric not null
);
insert into api.film_budgets values (1, 1000), (4, 2000);

-- Two foreign keys between the same tables.
create table api.addresses (
  id int primary key,
  street text not null
);
create table api.shipments (
  id int primary key,
  name text not null,
  billing_address_id int,
  shipping_address_id int,
  constraint billing foreign key (billing_address_id) references api.addresses (id),
  constraint shipping foreign key (shipping_address_id) references api.addresses (id)
);
insert into api.addresses values (1, 'Main St 1'), (2, 'Side St 2');
insert into api.shipments values (1, 'books', 1, 2), (2, 'tea', 2, null);

-- Self reference: parent and children.
create table api.family (
  id int primary key,
  name text not null,
  parent_id int references api.family (id)
);
insert into api.family values
  (1, 'Grandma', null),
  (2, 'Mom', 1),
  (3, 'Uncle', 1),
  (4, 'Kid', 2);

-- Composite keys.
create table api.festivals (
  name text not null,
  year int not null,
  city text not null,
  primary key (name, year)
);
create table api.screenings (
  id int primary key,
  film_id int not null references api.films (id),
  festival_name text not null,
  festival_year int not null,
  foreign key (festival_name, festival_year) references api.festivals (name, year)
);
insert into api.festivals values ('Berlinale', 1990, 'Berlin'), ('Berlinale', 1991, 'Berlin'), ('TIFF', 1990, 'Toronto');
insert into api.screenings values (1, 9, 'Berlinale', 1990), (2, 10, 'Berlinale', 1991), (3, 9, 'TIFF', 1990);

-- Views over a table of a private schema, and a view over that view.
create schema if not exists embed_private;
create table embed_private.awards (
  id int primary key,
  film_id int not null references api.films (id),
  name text not null
);
insert into embed_private.awards values (1, 7, 'BAFTA'), (2, 8, 'Oscar'), (3, 8, 'BAFTA');
create view api.awards as
  select id as award_id, name as award, film_id from embed_private.awards;
create view api.oscar_awards as
  select award_id, award, film_id as movie from api.awards where award = 'Oscar';

-- A junction in a private schema gives no many-to-many relationship.
create table api.tags (id int primary key, name text not null);
create table embed_private.film_tags (
  film_id int references api.films (id),
  tag_id int references api.tags (id),
  primary key (film_id, tag_id)
);
insert into api.tags values (1, 'comedy');
insert into embed_private.film_tags values (1, 1);

-- Computed relationships: the first role of a film (to-one), the films of
-- the same director (to-many), and one that overrides a foreign key.
create function api.first_role(api.films) returns setof api.roles rows 1
  language sql stable as
  $$ select * from api.roles where film_id = $1.id order by actor_id limit 1 $$;
create function api.same_director(api.films) returns setof api.films
  language sql stable as
  $$ select * from api.films where director_id = $1.director_id and id <> $1.id order by id $$;
create table api.sponsors (id int primary key, name text not null);
create table api.sponsored (id int primary key, sponsor_id int references api.sponsors (id));
insert into api.sponsors values (1, 'Acme'), (2, 'Globex');
insert into api.sponsored values (1, 1), (2, 2);
-- Named like the target: it replaces the foreign key relationship.
create function api.sponsors(api.sponsored) returns setof api.sponsors rows 1
  language sql stable as
  $$ select * from api.sponsors where id = 3 - $1.sponsor_id $$;

grant select on api.competitions, api.nominations, api.film_budgets, api.addresses, api.shipments,
  api.family, api.festivals, api.tags, api.screenings, api.awards, api.oscar_awards, api.sponsors, api.sponsored
  to web_anon, todo_user;

-- ---------------------------------------------------------------------
-- Private junction only (PGRST200's hint): actresses and plays meet only
-- through a junction of a private schema, which has an exposed homonym
-- without columns. No relationship is embeddable, and since actresses has
-- relationships (to plays, through the private junction), a failed embed
-- gets no "Perhaps you meant" hint, as in PostgREST.
create table api.actresses (id int primary key, name text not null);
create table api.plays (id int primary key, title text not null);
create table embed_private.castings (
  actress_id int not null references api.actresses (id),
  play_id int not null references api.plays (id),
  primary key (actress_id, play_id)
);
create table api.castings ();
insert into api.actresses values (1, 'Ellen Terry');
insert into api.plays values (1, 'Macbeth');
insert into embed_private.castings values (1, 1);
grant select on api.actresses, api.plays, api.castings to web_anon, todo_user;
