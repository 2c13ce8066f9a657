-- Default privileges: nothing new is reachable from the API until a migration grants it.
--
-- Supabase's platform grants ALL on every new table, sequence and function in `public` to
-- anon, authenticated and service_role (default privileges for role postgres), and Postgres
-- itself grants EXECUTE on every new function to PUBLIC. From here on, objects created by
-- `postgres` (the role migrations run as) start closed; each migration grants explicitly,
-- next to the object (`grant execute on function f(argtypes) to ...`).
--
-- Side effects the rest of the codebase must know:
-- * A function used by an RLS policy, a column default or a CHECK and evaluated as an API
--   role needs an explicit `grant execute` to that role.
-- * Trigger functions need no grant: EXECUTE is not checked when a trigger fires.
-- * The PUBLIC revoke is global (per-schema default privileges can only add to the global
--   ones), so it also covers functions created in `private` and in any other schema.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- PUBLIC's implicit EXECUTE on new functions, in every schema.
alter default privileges for role postgres revoke execute on functions from public;

-- Supabase's default grants to the API roles in schema public.
alter default privileges for role postgres in schema public
  revoke all on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke all on sequences from anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke all on functions from anon, authenticated, service_role;
