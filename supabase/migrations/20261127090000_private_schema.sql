-- Schema `private`: helpers, state machines and plumbing that PostgREST must never expose
-- (config.toml exposes only `public`). Nobody gets USAGE by default: the roles that need to
-- call something in here (e.g. payout_jobs) are granted usage and then EXECUTE per function.
--
-- The migrations: one concept per file, each function, view and table defined once, in the
-- migration of its concept (read in order, they are the design). The product is unreleased
-- (0.1.0) and no environment has applied them, so until the first release a change belongs in
-- its concept's migration, edited in place. From the first release on they are append-only.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create schema if not exists private;

-- PUBLIC would otherwise keep no privileges on a new schema anyway; revoking is explicit so
-- that a re-run on a schema someone opened by hand closes it again.
revoke all on schema private from public;

comment on schema private is
  'Plumbing and domain logic not exposed by PostgREST (payouts). Access only through explicit per-function grants.';
