-- =============================================================================
-- 40_pg_net.sql -- LOCAL-ONLY stand-in for the pg_net extension (SQL API of
-- pg_net 0.19/0.20, the versions Supabase ships; the API is identical between them)
-- =============================================================================
--
-- The real pg_net is a C extension: the SQL functions below only enqueue rows
-- into net.http_request_queue and a background worker inside Postgres performs
-- the HTTP requests with libcurl, then stores each outcome in net._http_response
-- (same id as the request). This machine cannot build/load pg_net, so this
-- script provides the SAME SQL objects (names, signatures, defaults, security
-- mode, grants) and the worker runs outside Postgres:
--
--     npx deno run -A local/stack/pg_net_worker.ts --db-url postgres://...
--
-- Semantics kept from pg_net:
--   * requests are only performed after the enqueuing transaction commits; a
--     rolled-back request is never performed (the queue row never becomes
--     visible, and the wake-up is a NOTIFY, which PostgreSQL delivers only on
--     commit -- the real net.wake() also only wakes the worker at commit);
--   * the worker deletes the queue row and inserts net._http_response with the
--     same id;
--   * validation: http_post only accepts a Content-Type of exactly
--     "application/json" (added when missing). The body is NOT otherwise
--     validated (any jsonb, even null, is accepted), like pg_net;
--   * params are url-encoded (RFC 3986 unreserved characters kept, everything
--     else %XX, like curl_easy_escape) and appended as a query string;
--   * functions are SECURITY INVOKER and PUBLIC has usage on schema net and all
--     privileges on its tables and sequences (pg_net >= 0.12 grants exactly
--     this, and Supabase's pg_net permission migration of 2025-02 reverted its
--     earlier SECURITY DEFINER + per-role grants to this model). So any role,
--     including anon/authenticated, can call net.http_* and read/delete
--     net._http_response -- exactly as on real Supabase.
-- Not provided: pg_net.ttl expiry of old responses (schedule your own cleanup:
-- net._http_response is deletable by everyone), pg_net.batch_size GUC (the
-- worker has its own options), net.http_request(... on_success, on_error)
-- callbacks (pg_net 0.21).
--
-- Wake-up channel: NOTIFY "pg_net_wake" (the worker also polls).
-- Idempotent: safe to run any number of times.
-- =============================================================================

create schema if not exists net;
comment on schema net is 'LOCAL STAND-IN for pg_net (worker: local/stack/pg_net_worker.ts)';

-- ---------------------------------------------------------------------------
-- Types
-- ---------------------------------------------------------------------------
do $types$
begin
  -- A text domain, not an enum: any case of get/post/delete passes.
  if to_regtype('net.http_method') is null then
    create domain net.http_method as text
      check (value ilike 'get' or value ilike 'post' or value ilike 'delete');
  end if;

  -- What net._http_collect_response reports (this stand-in only ever reports SUCCESS or ERROR).
  if to_regtype('net.request_status') is null then
    create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');
  end if;

  if to_regtype('net.http_response') is null then
    create type net.http_response as (
      status_code integer,
      headers     jsonb,
      body        text
    );
  end if;

  if to_regtype('net.http_response_result') is null then
    create type net.http_response_result as (
      status   net.request_status,
      message  text,
      response net.http_response
    );
  end if;
end
$types$;

-- ---------------------------------------------------------------------------
-- Tables (unlogged, no primary keys, as in pg_net)
-- ---------------------------------------------------------------------------

-- Pending requests; the worker consumes (deletes) them.
create unlogged table if not exists net.http_request_queue (
  id                   bigserial,
  method               net.http_method not null,
  url                  text            not null,
  headers              jsonb,
  body                 bytea,
  timeout_milliseconds int             not null
);
-- pg_net 0.20.6 made id nullable (the default still comes from the sequence)
alter table net.http_request_queue alter column id drop not null;

-- One row per finished request, id = the request id.
create unlogged table if not exists net._http_response (
  id           bigint,
  status_code  integer,
  content_type text,
  headers      jsonb,
  content      text,
  timed_out    bool,
  error_msg    text,
  created      timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);

-- ---------------------------------------------------------------------------
-- Internal helpers (pg_net implements these in C)
-- ---------------------------------------------------------------------------

-- Percent-encode like curl_easy_escape: keep ALPHA / DIGIT / - . _ ~ and
-- encode every other UTF-8 byte as %XX (upper-case hex).
create or replace function net._urlencode_string(string varchar)
returns text
language sql
immutable
as $fn$
  select case
    when string is null then null
    else coalesce((
      select string_agg(
               case
                 when (b between 48 and 57)      -- 0-9
                   or (b between 65 and 90)      -- A-Z
                   or (b between 97 and 122)     -- a-z
                   or b in (45, 46, 95, 126)     -- - . _ ~
                 then chr(b)
                 else '%' || upper(lpad(to_hex(b), 2, '0'))
               end, '' order by i)
        from (select i, get_byte(raw, i) as b
                from (select convert_to(string, 'UTF8') as raw) r,
                     generate_series(0, octet_length(raw) - 1) as i) bytes
    ), '')
  end;
$fn$;

-- Append already-encoded "k=v" items to the url's query string (before any
-- #fragment), "&"-separated, like curl_url_set(CURLUPART_QUERY, CURLU_APPENDQUERY).
-- Like curl's URL API, an authority-only url gets a "/" path.
create or replace function net._encode_url_with_params_array(url text, params_array text[])
returns text
language plpgsql
immutable
as $fn$
declare
  base     text;
  fragment text := '';
  param    text;
  hash_pos int;
begin
  if url is null then
    return null;
  end if;
  if url !~ '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#[:space:]]+' or url ~ '[[:space:]]' then
    raise exception 'URL using bad/illegal format or missing URL';
  end if;

  hash_pos := position('#' in url);
  if hash_pos > 0 then
    base := substr(url, 1, hash_pos - 1);
    fragment := substr(url, hash_pos);
  else
    base := url;
  end if;

  -- "http://host" -> "http://host/", "http://host?x" -> "http://host/?x"
  base := regexp_replace(base, '^([A-Za-z][A-Za-z0-9+.-]*://[^/?]+)(\?.*)?$', '\1/\2');

  foreach param in array coalesce(params_array, '{}'::text[]) loop
    continue when param is null;
    if position('?' in base) = 0 then
      base := base || '?' || param;
    elsif base ~ '\?$' then
      base := base || param;
    else
      base := base || '&' || param;
    end if;
  end loop;

  return base || fragment;
end
$fn$;

-- Wake the worker. pg_notify is transactional: delivered only if and when the
-- calling transaction commits (real pg_net: wake the worker at commit).
create or replace function net.wake()
returns void
language sql
as $fn$
  select pg_notify('pg_net_wake', '');
$fn$;

-- The local worker connects with application_name 'pg_net <version> worker'.
create or replace function net.check_worker_is_up()
returns void
language plpgsql
as $fn$
begin
  if not exists (
    select 1 from pg_stat_activity
     where backend_type ilike '%pg_net%' or application_name ilike 'pg_net%worker%'
  ) then
    raise exception using
      message = 'the pg_net background worker is not up',
      detail  = 'the local pg_net stand-in worker (local/stack/pg_net_worker.ts) is not connected to this database',
      hint    = 'start it: npx deno run -A local/stack/pg_net_worker.ts --db-url <url>';
  end if;
end
$fn$;
comment on function net.check_worker_is_up() is
  'Local pg_net stand-in: fails unless the worker (local/stack/pg_net_worker.ts) is connected; returns nothing when it is.';

-- Real pg_net restarts its background worker. The local worker is an external
-- process: this only wakes it (it re-reads the queue) and returns true.
create or replace function net.worker_restart()
returns bool
language sql
as $fn$
  select pg_notify('pg_net_wake', 'restart');
  select true;
$fn$;

-- Real pg_net blocks until its worker is running (it always is). Locally the
-- worker may not be started at all, so give up after 30 s instead of hanging.
create or replace function net.wait_until_running()
returns void
language plpgsql
as $fn$
declare
  deadline timestamptz := clock_timestamp() + interval '30 seconds';
begin
  loop
    exit when exists (
      select 1 from pg_stat_activity
       where backend_type ilike '%pg_net%' or application_name ilike 'pg_net%worker%');
    if clock_timestamp() > deadline then
      raise exception 'the pg_net background worker is not up'
        using hint = 'start it: npx deno run -A local/stack/pg_net_worker.ts --db-url <url>';
    end if;
    perform pg_sleep(0.05);
  end loop;
end
$fn$;
comment on function net.wait_until_running() is
  'Local pg_net stand-in: returns once the worker is connected, fails after 30 s without it.';

-- Blocks until a response row exists for request_id (never returns if the
-- request was made in the current transaction, as in pg_net).
create or replace function net._await_response(request_id bigint)
returns bool
language plpgsql
as $fn$
begin
  while not exists (select 1 from net._http_response r where r.id = request_id) loop
    perform pg_sleep(0.05);
  end loop;
  return true;
end
$fn$;

-- ---------------------------------------------------------------------------
-- Public API
-- ---------------------------------------------------------------------------

-- The three request functions queue a request and return its id (the id of its future row in
-- net._http_response). `params` become the query string (each key and value percent-encoded),
-- `headers` go out as given, and the worker gives up after `timeout_milliseconds`.
create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000
)
  returns bigint
  language plpgsql
as $fn$
declare
  encoded_params text[];
  new_id         bigint;
begin
  select coalesce(array_agg(net._urlencode_string(p.key) || '=' || net._urlencode_string(p.value)), '{}')
    into encoded_params
    from jsonb_each_text(params) as p;

  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', net._encode_url_with_params_array(url, encoded_params), headers, timeout_milliseconds)
  returning id into new_id;

  perform net.wake();
  return new_id;
end
$fn$;

-- POST sends `body` as JSON text; the only Content-Type it accepts is application/json.
create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds int default 5000
)
  returns bigint
  language plpgsql
as $fn$
declare
  header_content_type text;
  encoded_params      text[];
  new_id              bigint;
begin
  -- the Content-Type the caller gave, whatever the case of its name
  select h.value
    into header_content_type
    from jsonb_each_text(coalesce(headers, '{}'::jsonb)) as h
   where lower(h.key) = 'content-type'
   limit 1;

  if header_content_type is null then
    -- none given: send JSON's (null headers stay null: null || jsonb is null, as in pg_net)
    headers := headers || '{"Content-Type": "application/json"}'::jsonb;
  elsif header_content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;

  select coalesce(array_agg(net._urlencode_string(p.key) || '=' || net._urlencode_string(p.value)), '{}')
    into encoded_params
    from jsonb_each_text(params) as p;

  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._encode_url_with_params_array(url, encoded_params), headers,
          convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into new_id;

  perform net.wake();
  return new_id;
end
$fn$;

-- DELETE may carry a JSON body (none by default).
create or replace function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds int default 5000,
  body jsonb default null
)
  returns bigint
  language plpgsql
as $fn$
declare
  encoded_params text[];
  new_id         bigint;
begin
  select coalesce(array_agg(net._urlencode_string(p.key) || '=' || net._urlencode_string(p.value)), '{}')
    into encoded_params
    from jsonb_each_text(params) as p;

  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('DELETE', net._encode_url_with_params_array(url, encoded_params), headers,
          convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into new_id;

  perform net.wake();
  return new_id;
end
$fn$;

-- The outcome of request `request_id` as one value (underscored, so internal in pg_net, but
-- callers use it). With `async` false it first waits for the response row (net._await_response);
-- with true it answers from what is there now.
create or replace function net._http_collect_response(
  request_id bigint,
  async bool default true
)
  returns net.http_response_result
  language plpgsql
as $fn$
declare
  rec net._http_response;
begin
  if not async then
    perform net._await_response(request_id);
  end if;

  select * into rec from net._http_response r where r.id = request_id;

  if rec is null or rec.error_msg is not null then
    -- no row yet (or no such request), or the worker recorded a failure
    return ('ERROR',
            coalesce(rec.error_msg, 'request matching request_id not found'),
            null)::net.http_response_result;
  end if;

  return ('SUCCESS', 'ok',
          (rec.status_code, rec.headers, rec.content)::net.http_response
         )::net.http_response_result;
end
$fn$;

-- Deprecated in pg_net. The real function raises this notice and then fails
-- with "query has no destination for result data" (its plpgsql body runs a
-- bare SELECT); mirrored so code that relies on it fails locally too.
-- Use net._http_collect_response or read net._http_response instead.
create or replace function net.http_collect_response(
  request_id bigint,
  async bool default true
)
  returns net.http_response_result
  language plpgsql
as $fn$
begin
  raise notice 'The net.http_collect_response function is deprecated.';
  raise exception 'query has no destination for result data'
    using errcode = '42601',
          hint = 'net.http_collect_response is deprecated and broken in pg_net; use net._http_collect_response';
end
$fn$;

-- ---------------------------------------------------------------------------
-- Privileges: as pg_net >= 0.12 (security invoker + PUBLIC grants)
-- ---------------------------------------------------------------------------
grant usage on schema net to public;
grant all on all sequences in schema net to public;
grant all on all tables in schema net to public;
-- functions: default EXECUTE for PUBLIC is kept, as in pg_net
