-- pgTAP helpers for actors, loaded by the test runner before the suite (never a migration).
-- Authentication is set exactly as PostgREST sets it per request: a transaction-local role
-- and request.jwt.claims.
create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

create or replace function tests.create_user(p_email text, p_id uuid default extensions.gen_random_uuid())
returns uuid language sql set search_path = '' as $$
  insert into auth.users (id, email, aud, role, raw_app_meta_data)
  values (p_id, p_email, 'authenticated', 'authenticated', '{"provider":"email"}')
  returning id
$$;

create or replace function tests.authenticate_as(p_user_id uuid, p_extra_claims jsonb default '{}')
returns void language plpgsql set search_path = '' as $$
declare
  v_email text := (select u.email from auth.users u where u.id = p_user_id); -- before the role switch
begin
  perform pg_catalog.set_config('request.jwt.claims', (pg_catalog.jsonb_build_object(
    'sub', p_user_id, 'role', 'authenticated', 'aud', 'authenticated', 'email', v_email,
    'exp', extract(epoch from pg_catalog.now() + interval '1 hour')::bigint) || p_extra_claims)::text, true);
  perform pg_catalog.set_config('role', 'authenticated', true);
end $$;

create or replace function tests.authenticate_as_anon()
returns void language plpgsql set search_path = '' as $$
begin
  perform pg_catalog.set_config('role', 'anon', true);
  perform pg_catalog.set_config('request.jwt.claims', '{"role":"anon"}', true);
end $$;

create or replace function tests.authenticate_as_service_role()
returns void language plpgsql set search_path = '' as $$
begin
  perform pg_catalog.set_config('role', 'service_role', true);
  perform pg_catalog.set_config('request.jwt.claims', '{"role":"service_role"}', true);
end $$;

create or replace function tests.clear_authentication()
returns void language plpgsql set search_path = '' as $$
begin
  perform pg_catalog.set_config('role', 'postgres', true);
  perform pg_catalog.set_config('request.jwt.claims', '', true);
end $$;

grant execute on all functions in schema tests to anon, authenticated, service_role;
