-- auth.uid(), auth.role() and auth.jwt() read the claims exactly as PostgREST sets them.
begin;
set search_path = public, extensions;
select plan(8);

select is(auth.uid(), null, 'no claims: auth.uid() is null');
select is(auth.jwt(), null, 'no claims: auth.jwt() is null');

-- What PostgREST does per request: set local role, then the claims as transaction-local json.
set local role authenticated;
select set_config('request.jwt.claims',
  '{"sub":"6f1f0a5e-5d7a-4b6e-9b7f-2b9f6c2b1a01","role":"authenticated","email":"a@example.test","app_metadata":{"provider":"email"}}',
  true);
select is(auth.uid(), '6f1f0a5e-5d7a-4b6e-9b7f-2b9f6c2b1a01'::uuid, 'auth.uid() is the sub claim');
select is(auth.role(), 'authenticated', 'auth.role() is the role claim');
select is(auth.jwt() ->> 'email', 'a@example.test', 'auth.jwt() exposes every claim');
select is(current_user::text, 'authenticated', 'the request runs as the role from the JWT');
reset role;

-- Claims are transaction-local: another request's claims do not leak into this one.
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select is(auth.uid(), null, 'anon claims: no uid');
select is(auth.role(), 'anon', 'anon claims: role anon');

select * from finish();
rollback;
