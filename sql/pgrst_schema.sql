-- The pgrst control schema: configuration kept in the database.
--
-- pgrst reads the rows of pgrst.config on top of its config file and
-- PGRST_* environment, and reloads them on every running server whenever
-- the table changes: the statement-level trigger below sends
-- NOTIFY pgrst, 'reload config' after any INSERT, UPDATE, DELETE or
-- TRUNCATE, and every server LISTENs on that channel.
--
--   insert into pgrst.config values ('db-max-rows', '100');
--   delete from pgrst.config where key = 'db-max-rows';
--
-- `pgrst setup` runs this script (idempotent: it installs or upgrades the
-- schema and keeps the rows), then grants the authenticator role what it
-- needs to read the table. The table may hold secrets (jwt-secret): grant
-- SELECT on it to the authenticator only, never to PUBLIC.

create schema if not exists pgrst;
comment on schema pgrst is 'pgrst control plane: configuration read by every pgrst server';

create table if not exists pgrst.config (
  key        text primary key,
  value      text not null,
  updated_at timestamptz not null default now()
);
comment on table pgrst.config is
  'pgrst options (key = option name as in the config file, e.g. db-max-rows, or app.settings.*); they override the config file and the environment';

-- The option names pgrst knows (control/options.go; a Go test keeps this
-- list and that one equal). Dropped and added again so that an upgrade
-- installs the current list.
alter table pgrst.config drop constraint if exists config_key_known;
alter table pgrst.config add constraint config_key_known check (
  key ~ '^app\.settings\..+' or key in (
    'admin-server-explorer-dir',
    'admin-server-host',
    'admin-server-port',
    'admin-server-unix-socket',
    'admin-server-unix-socket-mode',
    'client-error-verbosity',
    'db-aggregates-enabled',
    'db-anon-role',
    'db-channel',
    'db-channel-enabled',
    'db-config',
    'db-distinct-enabled',
    'db-extra-search-path',
    'db-hoisted-tx-settings',
    'db-max-rows',
    'db-plan-enabled',
    'db-pool',
    'db-pool-acquisition-timeout',
    'db-pool-automatic-recovery',
    'db-pool-max-idletime',
    'db-pool-max-lifetime',
    'db-pre-config',
    'db-pre-request',
    'db-prepared-statements',
    'db-replica-max-lag',
    'db-replicas',
    'db-root-spec',
    'db-safe-writes',
    'db-schemas',
    'db-timeout',
    'db-tx-end',
    'db-uri',
    'db-use-legacy-gucs',
    'internal-schema-cache-query-sleep',
    'internal-schema-cache-query-sleep-before-queries',
    'jwt-aud',
    'jwt-cache-max-entries',
    'jwt-cache-max-lifetime',
    'jwt-jwks-url',
    'jwt-oidc-issuer',
    'jwt-role-claim-key',
    'jwt-secret',
    'jwt-secret-is-base64',
    'log-level',
    'log-query',
    'openapi-mode',
    'openapi-security-active',
    'openapi-server-proxy-uri',
    'openapi-version',
    'server-cors-allowed-origins',
    'server-etag-enabled',
    'server-host',
    'server-listen-buffer',
    'server-listen-enabled',
    'server-listen-keepalive',
    'server-max-body-size',
    'server-port',
    'server-reuseport',
    'server-timing-enabled',
    'server-trace-header',
    'server-unix-socket',
    'server-unix-socket-mode',
    'url-use-legacy-target-names'
  )
);

-- The channel the servers LISTEN on (db-channel). `pgrst setup` replaces
-- this function when db-channel is not the default.
create or replace function pgrst.channel() returns text
  language sql immutable
  as $$ select 'pgrst'::text $$;

-- Keeps updated_at current on UPDATE.
create or replace function pgrst.config_touch() returns trigger
  language plpgsql
  as $$
begin
  new.updated_at := now();
  return new;
end
$$;

drop trigger if exists config_touch on pgrst.config;
create trigger config_touch
  before update on pgrst.config
  for each row execute function pgrst.config_touch();

-- Tells every server to reload its configuration, once per statement. The
-- notification is delivered when the transaction commits; several
-- statements in one transaction send one notification.
create or replace function pgrst.config_notify() returns trigger
  language plpgsql
  as $$
begin
  perform pg_notify(pgrst.channel(), 'reload config');
  return null;
end
$$;

drop trigger if exists config_notify on pgrst.config;
create trigger config_notify
  after insert or update or delete or truncate on pgrst.config
  for each statement execute function pgrst.config_notify();

-- Who may listen to which channel on GET /listen/<channel>
-- (server-listen-enabled). pgrst calls it under the request's role (the
-- JWT's role, or db-anon-role), with the request's settings
-- (request.jwt.claims, request.headers, ...) in place, before it relays
-- any notification: false refuses (401 without a token, 403 with one).
-- Installed refusing every channel; replace it with the policy you want,
-- e.g.
--
--   create or replace function pgrst.listen_allowed(channel text) returns boolean
--     language sql stable
--     as $$ select channel = 'news'
--               or channel = 'user_' || (current_setting('request.jwt.claims', true)::json->>'sub') $$;
--
-- `pgrst setup` leaves a function that exists alone (an upgrade keeps the
-- policy). Every role may call it; only its owner may change it.
do $$
begin
  if to_regprocedure('pgrst.listen_allowed(text)') is null then
    create function pgrst.listen_allowed(channel text) returns boolean
      language sql stable
      as 'select false';
  end if;
end
$$;
comment on function pgrst.listen_allowed(text) is
  'pgrst: may the current role listen to this channel on GET /listen/<channel>? Called under the request''s role';
grant usage on schema pgrst to public;
grant execute on function pgrst.listen_allowed(text) to public;
