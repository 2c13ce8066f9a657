-- =============================================================================
-- 30_vault.sql -- LOCAL-ONLY stand-in for Supabase Vault (supabase_vault 0.3.x)
-- =============================================================================
--
-- !!! NO ENCRYPTION. FOR LOCAL DEVELOPMENT AND TESTS ONLY. !!!
--
-- The real extension encrypts `vault.secrets.secret` with libsodium
-- (deterministic AEAD, key held outside the database). Neither supabase_vault
-- nor pgsodium can be installed on this machine, so this script provides the
-- SAME SQL interface with secrets stored IN CLEAR: the `secret` column holds
-- base64(utf8(plaintext)) -- an encoding, not encryption -- so that, as on real
-- Vault, the `secret` column is never the plaintext and only
-- `vault.decrypted_secrets.decrypted_secret` is. Anyone who can read the table
-- (or a dump / the data directory) can read every secret. Never load this file
-- into a real Supabase project (it has the real extension) and never store a
-- production secret in a local stack.
--
-- Interface (identical to supabase_vault 0.3.x):
--   table    vault.secrets(id uuid pk, name text (unique when not null),
--                          description text not null default '', secret text not null,
--                          key_id uuid, nonce bytea, created_at timestamptz,
--                          updated_at timestamptz)
--   view     vault.decrypted_secrets (the same columns plus decrypted_secret text,
--                          placed after `secret`)
--   function vault.create_secret(new_secret text, new_name text default null,
--                          new_description text default '', new_key_id uuid default null)
--                          returns uuid                      -- security definer
--   function vault.update_secret(secret_id uuid, new_secret text default null,
--                          new_name text default null, new_description text default null,
--                          new_key_id uuid default null) returns void -- security definer
--   (new_key_id is accepted and ignored, as in the real 0.3.x.)
--
-- Privileges mirror supabase_vault + Supabase's after-create grants:
--   PUBLIC / anon / authenticated: nothing (no schema usage, no table access,
--                                  no execute on the functions);
--   postgres:     usage on schema, select+delete on secrets/decrypted_secrets,
--                 execute on create_secret/update_secret/_crypto_aead_det_decrypt
--                 (with grant option);
--   service_role: the same, without grant option.
-- Locally `postgres` is a superuser and owns these objects, so its grants are
-- moot; on real Supabase the owner is supabase_admin.
--
-- Idempotent: safe to run any number of times. Needs PostgreSQL >= 13
-- (gen_random_uuid is built in); does not need pgcrypto.
-- =============================================================================

create schema if not exists vault;
comment on schema vault is 'LOCAL STAND-IN for Supabase Vault: secrets are NOT encrypted';

-- ---------------------------------------------------------------------------
-- "Crypto" helpers. Same names/signatures as supabase_vault's internal
-- functions so the view and the grants read like the real thing, but they do
-- NOT encrypt: encrypt/decrypt return the message unchanged.
-- ---------------------------------------------------------------------------
create or replace function vault._crypto_aead_det_noncegen()
returns bytea
language sql
volatile
as $fn$
  -- 16 random bytes, like the real nonce; unused for (non-)encryption here
  select uuid_send(gen_random_uuid());
$fn$;

create or replace function vault._crypto_aead_det_encrypt(
  message bytea, additional bytea, key_id bigint,
  context bytea = 'pgsodium', nonce bytea = null)
returns bytea
language sql
immutable
as $fn$
  select message;  -- LOCAL STAND-IN: no encryption
$fn$;

create or replace function vault._crypto_aead_det_decrypt(
  message bytea, additional bytea, key_id bigint,
  context bytea = 'pgsodium', nonce bytea = null)
returns bytea
language sql
immutable
as $fn$
  select message;  -- LOCAL STAND-IN: no decryption needed
$fn$;

-- ---------------------------------------------------------------------------
-- Table
-- ---------------------------------------------------------------------------
create table if not exists vault.secrets (
  id          uuid        primary key default gen_random_uuid(),
  name        text,
  description text        not null default '',
  secret      text        not null,
  key_id      uuid,
  nonce       bytea       default vault._crypto_aead_det_noncegen(),
  created_at  timestamptz not null default current_timestamp,
  updated_at  timestamptz not null default current_timestamp
);

comment on table vault.secrets is
  'LOCAL STAND-IN for Supabase Vault: `secret` holds base64(plaintext), NOT encrypted.';

-- Real Vault: unique btree index on name, only for named secrets.
create unique index if not exists secrets_name_idx
  on vault.secrets using btree (name) where name is not null;

-- ---------------------------------------------------------------------------
-- View (column list and order as in supabase_vault 0.3.x)
-- ---------------------------------------------------------------------------
create or replace view vault.decrypted_secrets as
select
  s.id,
  s.name,
  s.description,
  s.secret,
  convert_from(
    vault._crypto_aead_det_decrypt(
      message    := decode(s.secret, 'base64'),
      additional := convert_to(s.id::text, 'utf8'),
      key_id     := 0,
      context    := 'pgsodium'::bytea,
      nonce      := s.nonce),
    'utf8') as decrypted_secret,
  s.key_id,
  s.nonce,
  s.created_at,
  s.updated_at
from vault.secrets s;

-- ---------------------------------------------------------------------------
-- Public functions
-- ---------------------------------------------------------------------------
create or replace function vault.create_secret(
  new_secret      text,
  new_name        text = null,
  new_description text = '',
  -- accepted for interface compatibility, ignored (as in real Vault 0.3.x)
  new_key_id      uuid = null
)
returns uuid
security definer
language plpgsql
set search_path = ''
as $fn$
declare
  created_id uuid;
begin
  insert into vault.secrets (secret, name, description)
  values (
    encode(vault._crypto_aead_det_encrypt(
             message    := convert_to(new_secret, 'utf8'),
             additional := ''::bytea,
             key_id     := 0),
           'base64'),
    new_name,
    new_description)
  returning id into created_id;
  return created_id;
end
$fn$;

create or replace function vault.update_secret(
  secret_id       uuid,
  new_secret      text = null,
  new_name        text = null,
  new_description text = null,
  -- accepted for interface compatibility, ignored (as in real Vault 0.3.x)
  new_key_id      uuid = null
)
returns void
security definer
language plpgsql
set search_path = ''
as $fn$
begin
  update vault.secrets s
     set secret      = case
                         when new_secret is null then s.secret
                         else encode(vault._crypto_aead_det_encrypt(
                                       message    := convert_to(new_secret, 'utf8'),
                                       additional := ''::bytea,
                                       key_id     := 0),
                                     'base64')
                       end,
         name        = coalesce(new_name, s.name),
         description = coalesce(new_description, s.description),
         updated_at  = now()
   where s.id = secret_id;
end
$fn$;

-- ---------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------
revoke all on schema vault from public;
revoke all on table vault.secrets, vault.decrypted_secrets from public;
revoke all on function
  vault._crypto_aead_det_noncegen(),
  vault._crypto_aead_det_encrypt(bytea, bytea, bigint, bytea, bytea),
  vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea),
  vault.create_secret(text, text, text, uuid),
  vault.update_secret(uuid, text, text, text, uuid)
from public;

do $grants$
declare
  r text;
begin
  -- API roles get nothing, even if something granted them access before.
  foreach r in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = r) then
      execute format('revoke all on schema vault from %I', r);
      execute format('revoke all on table vault.secrets, vault.decrypted_secrets from %I', r);
      execute format($sql$revoke all on function
          vault._crypto_aead_det_noncegen(),
          vault._crypto_aead_det_encrypt(bytea, bytea, bigint, bytea, bytea),
          vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea),
          vault.create_secret(text, text, text, uuid),
          vault.update_secret(uuid, text, text, text, uuid)
        from %I$sql$, r);
    end if;
  end loop;

  -- postgres (with grant option) and service_role, as Supabase grants them.
  foreach r in array array['postgres', 'service_role'] loop
    if exists (select 1 from pg_roles where rolname = r) then
      execute format('grant usage on schema vault to %I%s', r,
                     case when r = 'postgres' then ' with grant option' else '' end);
      execute format('grant select, delete on table vault.secrets, vault.decrypted_secrets to %I%s', r,
                     case when r = 'postgres' then ' with grant option' else '' end);
      execute format($sql$grant execute on function
          vault.create_secret(text, text, text, uuid),
          vault.update_secret(uuid, text, text, text, uuid),
          vault._crypto_aead_det_decrypt(bytea, bytea, bigint, bytea, bytea)
        to %I%s$sql$, r,
                     case when r = 'postgres' then ' with grant option' else '' end);
    else
      raise notice 'vault stand-in: role % does not exist, grants skipped', r;
    end if;
  end loop;
end
$grants$;
