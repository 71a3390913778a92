-- The authentication tutorial of PostgREST 5.0's documentation ("SQL User
-- Management"), for server/auth_tutorial_test.go: users with bcrypt
-- passwords in a private schema, /rpc/signup and /rpc/login, which mints
-- a JWT in SQL with pgcrypto's HMAC (the docs call pgjwt's sign(), written
-- out here). The secret is app.settings.jwt_secret, set by the server.
create extension if not exists pgcrypto with schema public;

do $$
begin
  if not exists (select from pg_roles where rolname = 'tutorial_user') then
    create role tutorial_user nologin;
  end if;
end
$$;
grant tutorial_user to authenticator;
grant usage on schema api to tutorial_user;

drop schema if exists basic_auth cascade;
create schema basic_auth;

create table basic_auth.users (
  email text primary key check (email ~* '^.+@.+\..+$'),
  pass  text not null check (length(pass) < 512),
  role  name not null check (length(role) < 512)
);

create function basic_auth.check_role_exists() returns trigger language plpgsql as $$
begin
  if not exists (select 1 from pg_roles as r where r.rolname = new.role) then
    raise foreign_key_violation using message = 'unknown database role: ' || new.role;
  end if;
  return new;
end
$$;
create constraint trigger ensure_user_role_exists
  after insert or update on basic_auth.users
  for each row execute procedure basic_auth.check_role_exists();

create function basic_auth.encrypt_pass() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' or new.pass <> old.pass then
    new.pass = public.crypt(new.pass, public.gen_salt('bf'));
  end if;
  return new;
end
$$;
create trigger encrypt_pass
  before insert or update on basic_auth.users
  for each row execute procedure basic_auth.encrypt_pass();

create function basic_auth.user_role(email text, pass text) returns name
  language sql stable as $$
  select role from basic_auth.users
  where users.email = user_role.email and users.pass = public.crypt(user_role.pass, users.pass)
$$;

-- pgjwt's sign() for HS256: base64url(header).base64url(payload).signature
create function basic_auth.url_encode(data bytea) returns text
  language sql immutable as $$ select translate(encode(data, 'base64'), E'+/=\n', '-_') $$;
create function basic_auth.sign(payload json, secret text) returns text
  language sql immutable as $$
  with signable as (
    select basic_auth.url_encode(convert_to('{"alg":"HS256","typ":"JWT"}', 'utf8')) || '.' ||
           basic_auth.url_encode(convert_to(payload::text, 'utf8')) as data
  )
  select data || '.' || basic_auth.url_encode(public.hmac(data, secret, 'sha256')) from signable
$$;

create type basic_auth.jwt_token as (token text);

create function api.signup(email text, pass text) returns void
  language sql security definer set search_path = basic_auth, public as $$
  insert into basic_auth.users (email, pass, role) values (signup.email, signup.pass, 'tutorial_user')
$$;

create function api.login(email text, pass text) returns basic_auth.jwt_token
  language plpgsql security definer set search_path = basic_auth, public as $$
declare
  _role name;
  result basic_auth.jwt_token;
begin
  select basic_auth.user_role(email, pass) into _role;
  if _role is null then
    raise invalid_password using message = 'invalid user or password';
  end if;
  select basic_auth.sign(row_to_json(r), current_setting('app.settings.jwt_secret')) as token
    from (select _role as role, login.email as email,
                 extract(epoch from now())::integer + 60*60 as exp) r
    into result;
  return result;
end
$$;
revoke all on function api.signup(text, text), api.login(text, text) from public;
grant execute on function api.signup(text, text), api.login(text, text) to web_anon;

-- What only a logged-in user may read and write; the owner is the token's
-- email claim.
create table api.tutorial_notes (
  id    serial primary key,
  owner text not null default current_setting('request.jwt.claims', true)::json->>'email',
  note  text not null
);
grant select, insert on api.tutorial_notes to tutorial_user;
grant usage on sequence api.tutorial_notes_id_seq to tutorial_user;
-- The legacy per-claim setting (db-use-legacy-gucs).
create function api.tutorial_me() returns text
  language sql stable as $$ select current_setting('request.jwt.claim.email', true) $$;
grant execute on function api.tutorial_me() to tutorial_user;
