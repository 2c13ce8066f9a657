-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation
-- (the table is created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX)
-- Personal data and erasure ("right to be forgotten"). Design and reasoning: docs/personal-data.md.
--
-- The audit log holds ids, never personal values: the personal columns of audited tables are
-- declared here (private.declare_personal_columns, audit trigger 20261127090600), so the trigger
-- drops their values and names the fields a change set (new_values.personal_fields_changed).
-- Erasure therefore never has to touch the hash chain: it overwrites the live values (an audited
-- update whose audit row again holds no value), scrubs the person's auth user, strips the
-- personal fields of the Stripe objects in the webhook inbox, records the erasure (audited) and
-- emits personal_data.erased for downstream consumers. Money rows stay as they are (ids,
-- amounts, Stripe ids) for money_record_retention_years (payout settings) after the person's last
-- money activity: pseudonymisation, not deletion, so payouts in flight keep paying to the
-- connected account and every statement still reconciles.
--
--   private.personal_data_erasures          one row per erased person (audited: ids and counts)
--   private.redact_stripe_personal_fields   a Stripe object without its personal fields
--   private.erase_personal_data             the erasure (any caller who owns it: postgres)
--   public.erase_personal_data              admin RPC (platform admins, 42501 otherwise)

set local lock_timeout = '5s';
set local statement_timeout = '60s';

-- ---------------------------------------------------------------------------------------------
-- The personal columns of audited tables (every one: docs/personal-data.md lists why the other
-- text columns are not personal)
-- ---------------------------------------------------------------------------------------------
select private.declare_personal_columns('public.companies'::regclass, array['name', 'billing_email']);
select private.declare_personal_columns('public.recruiters'::regclass, array['display_name']);

-- ---------------------------------------------------------------------------------------------
-- Erasures
-- ---------------------------------------------------------------------------------------------
create table private.personal_data_erasures (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  -- recruiter: public.recruiters.id; company: public.companies.id; user: auth.users.id of a person
  -- who is neither (a company contact)
  subject_type text not null check (subject_type in ('recruiter', 'company', 'user')),
  subject_id uuid not null,
  -- the auth user scrubbed with it (recruiter, user), null for a company
  user_id uuid,
  erased_at timestamptz not null,
  erased_by uuid,
  -- what was overwritten, as table.column
  fields text[] not null,
  -- webhook inbox events whose Stripe objects lost their personal fields
  stripe_events_redacted bigint not null check (stripe_events_redacted >= 0),
  -- company memberships removed with the user
  memberships_removed bigint not null check (memberships_removed >= 0),
  -- the money records stay (pseudonymised) until at least this day
  retain_money_records_until date not null,
  created_at timestamptz not null default pg_catalog.now(),
  unique (subject_type, subject_id)
);
comment on table private.personal_data_erasures is
  'Erased persons (recruiter, company, user): when, by whom, which fields were overwritten, how many Stripe inbox events were redacted, and until when their pseudonymised money records are kept. One per subject. Audited.';
alter table private.personal_data_erasures enable row level security;
revoke all on table private.personal_data_erasures from public, anon, authenticated, service_role;
create trigger money_guard before insert or update or delete on private.personal_data_erasures
  for each row execute function private.guard_money_write('', 'all');
select private.enable_audit('private.personal_data_erasures'::regclass, 'personal_data_erasure');

-- ---------------------------------------------------------------------------------------------
-- Stripe objects: the fields that carry a person's identity, at any depth (customer, invoice,
-- charge billing_details, connected account individual/company/business_profile, bank accounts)
-- ---------------------------------------------------------------------------------------------
create function private.stripe_personal_field_names()
returns text[]
language sql
immutable
set search_path = ''
as $$
  select array[
    'name', 'email', 'phone', 'address', 'shipping', 'billing_details', 'receipt_email',
    'customer_name', 'customer_email', 'customer_phone', 'customer_address', 'customer_shipping',
    'customer_tax_ids', 'individual', 'company', 'business_profile', 'external_accounts',
    'account_holder_name', 'first_name', 'last_name', 'dob', 'tos_acceptance', 'statement_descriptor']
$$;
comment on function private.stripe_personal_field_names() is
  'Keys of Stripe objects that carry a person''s identity (names, emails, phones, addresses, account holder and KYC data); removed by private.redact_stripe_personal_fields wherever they occur.';

create function private.redact_stripe_personal_fields(p_value jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
  return case pg_catalog.jsonb_typeof(p_value)
    when 'object' then (
      select coalesce(pg_catalog.jsonb_object_agg(e.key, private.redact_stripe_personal_fields(e.value)), '{}'::jsonb)
        from pg_catalog.jsonb_each(p_value) e
       where e.key <> all (private.stripe_personal_field_names()))
    when 'array' then (
      select coalesce(pg_catalog.jsonb_agg(private.redact_stripe_personal_fields(a.value) order by a.n), '[]'::jsonb)
        from pg_catalog.jsonb_array_elements(p_value) with ordinality a(value, n))
    else p_value
  end;
end
$$;
comment on function private.redact_stripe_personal_fields(jsonb) is
  'A Stripe event or object without its personal fields (private.stripe_personal_field_names, at any depth); ids, amounts, statuses and metadata stay, so processing the event still works.';

-- ---------------------------------------------------------------------------------------------
-- The erasure
-- ---------------------------------------------------------------------------------------------
create function private.erase_personal_data(
  p_subject_type text, p_subject_id uuid, p_now timestamptz default pg_catalog.now())
returns private.personal_data_erasures
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_user uuid;
  v_stripe_ids text[];
  v_last timestamptz;
  v_fields text[];
  v_events bigint := 0;
  v_members bigint := 0;
  v_years integer;
  v_prev jsonb;
  v_row private.personal_data_erasures;
begin
  if p_subject_type is null or p_subject_type not in ('recruiter', 'company', 'user') then
    raise exception 'p_subject_type must be recruiter, company or user (got %)', coalesce(p_subject_type, '<null>')
      using errcode = 'PT400';
  end if;
  if p_subject_id is null then
    raise exception 'p_subject_id is required' using errcode = 'PT400';
  end if;
  if p_now is null or not pg_catalog.isfinite(p_now) then
    raise exception 'p_now must be a finite time' using errcode = 'PT400';
  end if;

  -- the subject, locked: a concurrent erasure of the same person waits and then finds it erased
  if p_subject_type = 'recruiter' then
    select r.user_id,
           array_remove(array[r.stripe_connect_account_id]
             || array(select a.stripe_account_id from private.connect_accounts a
                       where a.recruiter_id = r.id and a.stripe_account_id is not null), null)
      into v_user, v_stripe_ids
      from public.recruiters r where r.id = p_subject_id for update of r;
    if not found then
      raise exception 'recruiter % not found', p_subject_id using errcode = 'PT404';
    end if;
  elsif p_subject_type = 'company' then
    select array_remove(array[c.stripe_customer_id]
             || array(select distinct i.stripe_customer_id from public.company_invoices i
                       where i.company_id = c.id and i.stripe_customer_id is not null), null)
      into v_stripe_ids
      from public.companies c where c.id = p_subject_id for update of c;
    if not found then
      raise exception 'company % not found', p_subject_id using errcode = 'PT404';
    end if;
  else
    select u.id into v_user from auth.users u where u.id = p_subject_id for update of u;
    if not found then
      raise exception 'user % not found', p_subject_id using errcode = 'PT404';
    end if;
    if exists (select 1 from public.recruiters r where r.user_id = v_user) then
      raise exception 'user % is a recruiter: erase the recruiter', v_user
        using errcode = 'PT409', hint = 'erase_personal_data(''recruiter'', <recruiter id>)';
    end if;
    v_stripe_ids := '{}';
  end if;

  if exists (select 1 from private.personal_data_erasures e
              where e.subject_type = p_subject_type and e.subject_id = p_subject_id) then
    raise exception '% % is already erased', p_subject_type, p_subject_id using errcode = 'PT409';
  end if;
  if v_user is not null and exists (select 1 from public.platform_admins a where a.user_id = v_user) then
    raise exception 'user % is a platform admin: revoke the role first', v_user
      using errcode = 'PT409', hint = 'revoke_platform_admin';
  end if;
  -- the billing worker still needs the company's name and email to create its Stripe invoice
  if p_subject_type = 'company' and exists (
       select 1 from public.company_invoices i
        where i.company_id = p_subject_id and i.status in ('pending', 'draft') and i.failed_at is null) then
    raise exception 'company % has an invoice being issued through Stripe: erase it once the invoice is sent', p_subject_id
      using errcode = 'PT409';
  end if;

  v_prev := private.enter_transition('personal_data.erase', null);

  if p_subject_type = 'recruiter' then
    update public.recruiters r set display_name = 'Erased recruiter' where r.id = p_subject_id;
    v_fields := array['recruiters.display_name'];
    select pg_catalog.max(p.updated_at) into v_last from public.payouts p where p.recruiter_id = p_subject_id;
  elsif p_subject_type = 'company' then
    update public.companies c set name = 'Erased company', billing_email = null where c.id = p_subject_id;
    v_fields := array['companies.name', 'companies.billing_email'];
    select pg_catalog.max(t) into v_last
      from (select pl.updated_at as t from public.placements pl where pl.company_id = p_subject_id
            union all
            select i.updated_at from public.company_invoices i where i.company_id = p_subject_id) x;
  else
    v_fields := '{}';
  end if;

  if v_user is not null then
    -- the person can no longer sign in and nothing identifies them; the row stays (money rows
    -- reference it). Production: also Auth's soft delete for identities and sessions (docs).
    update auth.users u
       set email = null, phone = null, encrypted_password = null, raw_user_meta_data = '{}'::jsonb,
           deleted_at = coalesce(u.deleted_at, p_now), updated_at = p_now
     where u.id = v_user;
    v_fields := v_fields || array['auth.users.email', 'auth.users.phone', 'auth.users.encrypted_password',
                                  'auth.users.raw_user_meta_data'];
    delete from public.company_members m where m.user_id = v_user;
    get diagnostics v_members = row_count;
  end if;

  if pg_catalog.cardinality(v_stripe_ids) > 0 then
    update private.stripe_webhook_events e
       set payload = private.redact_stripe_personal_fields(e.payload),
           result = private.redact_stripe_personal_fields(e.result)
     where e.account = any (v_stripe_ids)
        -- as a JSON string, quotes included: acct_1 must not match acct_12
        or exists (select 1 from pg_catalog.unnest(v_stripe_ids) s
                    where pg_catalog.strpos(e.payload::text, pg_catalog.to_jsonb(s)::text) > 0);
    get diagnostics v_events = row_count;
  end if;

  select s.money_record_retention_years into v_years from private.payout_settings s;
  insert into private.personal_data_erasures (
    subject_type, subject_id, user_id, erased_at, erased_by, fields, stripe_events_redacted,
    memberships_removed, retain_money_records_until)
  values (
    p_subject_type, p_subject_id, v_user, p_now, private.actor_id(), v_fields, v_events, v_members,
    (greatest(p_now, v_last) + pg_catalog.make_interval(years => v_years))::date)
  returning * into v_row;

  perform private.emit_event('personal_data.erased', 'personal_data_erasure', v_row.id, null, null,
    pg_catalog.jsonb_build_object('subject_type', p_subject_type, 'subject_id', p_subject_id,
      'user_id', v_user, 'retain_money_records_until', v_row.retain_money_records_until));
  perform private.leave_transition(v_prev);
  return v_row;
end
$$;
comment on function private.erase_personal_data(text, uuid, timestamptz) is
  'Erases a person (recruiter, company, or a user who is neither, e.g. a company contact): overwrites the personal columns (audited without values), scrubs their auth user (email, phone, password, metadata; deleted_at) and removes their company memberships, strips the personal fields of the Stripe objects about them in the webhook inbox, records the erasure (audited) and emits personal_data.erased. Money rows stay (pseudonymised) until retain_money_records_until. PT400 bad subject, PT404 unknown, PT409 already erased / a platform admin / a user who is a recruiter / a company invoice being issued.';

create function private.rpc_erase_personal_data(p_subject_type text, p_subject_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_row private.personal_data_erasures;
begin
  perform private.begin_admin_action();
  v_row := private.erase_personal_data(p_subject_type, p_subject_id, pg_catalog.now());
  return pg_catalog.jsonb_build_object(
    'erasure_id', v_row.id, 'subject_type', v_row.subject_type, 'subject_id', v_row.subject_id,
    'user_id', v_row.user_id, 'erased_at', v_row.erased_at, 'fields', pg_catalog.to_jsonb(v_row.fields),
    'stripe_events_redacted', v_row.stripe_events_redacted, 'memberships_removed', v_row.memberships_removed,
    'retain_money_records_until', v_row.retain_money_records_until);
end
$$;
comment on function private.rpc_erase_personal_data(text, uuid) is
  'Body of public.erase_personal_data (platform admins only, 42501).';

create function public.erase_personal_data(p_subject_type text default null, p_subject_id uuid default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.rpc_erase_personal_data(p_subject_type, p_subject_id) from private.require_platform_admin()
$$;
comment on function public.erase_personal_data(text, uuid) is
  'Admin: forgets a person (p_subject_type recruiter | company | user) on their request: personal values overwritten, auth user scrubbed, Stripe inbox objects redacted; money records kept pseudonymised (payouts keep paying to the connected account). Audited; not four-eyes (moves no money). Returns {erasure_id, subject_type, subject_id, user_id, erased_at, fields, stripe_events_redacted, memberships_removed, retain_money_records_until}. 42501 not a platform admin; PT400 bad subject type / no id; PT404 unknown; PT409 already erased, a platform admin, a user who is a recruiter, a company invoice being issued.';

revoke execute on function
  private.stripe_personal_field_names(),
  private.redact_stripe_personal_fields(jsonb),
  private.erase_personal_data(text, uuid, timestamptz),
  private.rpc_erase_personal_data(text, uuid),
  public.erase_personal_data(text, uuid)
from public, anon, authenticated, service_role;
grant execute on function private.rpc_erase_personal_data(text, uuid) to authenticated;
grant execute on function public.erase_personal_data(text, uuid) to authenticated;
