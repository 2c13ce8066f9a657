-- squawk-ignore-file prefer-robust-stmts,require-concurrent-index-creation,prefer-bigint-over-int
-- (the tables are created in this file, empty, inside the CLI's one transaction per migration:
-- nothing to rerun half-way and nobody to block by a plain CREATE INDEX; the integer columns
-- are counters, never money)
-- Stripe sync, part 10: daily reconciliation of our tranches with Stripe's transfers.
--
-- reconcile-payouts (pg_cron daily -> pg_net, 20261130091000) pages through the platform's
-- transfers created in the window (since the end of the last finished run, minus an overlap) and
-- hands them to SQL, with the tranches of the window Stripe did not list (read one by one: found,
-- or missing). Matching is on our metadata (payout_transfer_id, then the recorded transfer id),
-- never on the amount:
--   transfer_unknown_to_us      a Stripe transfer without our metadata, for a tranche we do not
--                               have, or a second transfer for a tranche that has another one
--   transfer_mismatch           amount, currency or destination differ (or the tranche is failed)
--   transfer_missing_in_stripe  a succeeded tranche whose transfer Stripe does not have
-- Findings are kept open (one per kind and subject) until a later run checks the subject again
-- and does not find the problem any more. public.payout_alerts (20261130091000) shows them with
-- the live checks.
--
--   begin_stripe_reconciliation(run, overlap, window_start, now)   the window (an existing run id:
--                                                                  where it got, covered_from)
--   stripe_reconciliation_tranches(since, until)                   succeeded tranches of the window
--   record_stripe_reconciliation(run, transfers, missing, now, covered_from)
--                                                                  findings; null covered_from: the
--                                                                  run finished; else the part
--                                                                  [covered_from, last part] is done
--                                                                  and the run goes on below it
--   fail_stripe_reconciliation(run, error, now)
--   ring_stripe_sync_handover(function, run, now)                  a sync job past its CPU stop line
--                                                                  rings its function now (reversals:
--                                                                  through the reversal doorbell)
--
-- A window is covered newest first (Stripe lists newest first), one part per isolate's CPU
-- budget; a run left unfinished is never counted as done: the next run starts at the last
-- finished window.

-- Fail fast rather than queue behind (and in front of) live traffic; the CLI runs each
-- migration file in one transaction, so these last for this file only.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create table private.stripe_reconciliation_runs (
  id uuid primary key,
  status text not null default 'running' check (status in ('running', 'finished', 'failed')),
  started_at timestamptz not null,
  finished_at timestamptz,
  -- transfers created in [window_start - overlap, window_end] were listed
  window_start timestamptz not null,
  window_end timestamptz not null,
  overlap interval not null check (overlap >= interval '0'),
  stripe_transfers integer not null default 0 check (stripe_transfers >= 0),
  tranches_checked integer not null default 0 check (tranches_checked >= 0),
  findings jsonb not null default '{}'::jsonb check (pg_catalog.jsonb_typeof(findings) = 'object'),
  error jsonb,
  -- of an unfinished run: [covered_from, window_end] is checked (newest first, one part per
  -- isolate's CPU budget); null: nothing checked yet, or finished
  covered_from timestamptz,
  check (window_end >= window_start),
  check ((status = 'running') = (finished_at is null))
);
comment on table private.stripe_reconciliation_runs is
  'One row per reconcile-payouts run: its window (window_start - overlap .. window_end), what it compared and the findings by kind. The next window starts where the last finished one ended.';
create index stripe_reconciliation_runs_finished_idx on private.stripe_reconciliation_runs (window_end) where status = 'finished';
alter table private.stripe_reconciliation_runs enable row level security;
revoke all on table private.stripe_reconciliation_runs from public, anon, authenticated, service_role;

create table private.reconciliation_findings (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  kind text not null check (kind in ('transfer_missing_in_stripe', 'transfer_unknown_to_us', 'transfer_mismatch')),
  -- the Stripe transfer id (unknown, mismatch) or our tranche id (missing)
  subject text not null,
  stripe_transfer_id text,
  transfer_id uuid references public.payout_transfers (id),
  payout_id uuid references public.payouts (id),
  placement_id uuid references public.placements (id),
  amount bigint,
  currency text,
  details jsonb not null default '{}'::jsonb,
  first_seen_at timestamptz not null,
  last_seen_at timestamptz not null,
  last_run_id uuid not null references private.stripe_reconciliation_runs (id),
  resolved_at timestamptz
);
comment on table private.reconciliation_findings is
  'Discrepancies between our tranches and Stripe''s transfers found by reconcile-payouts: open (resolved_at null) until a later run checks the subject and the problem is gone. Shown in public.payout_alerts.';
create unique index reconciliation_findings_open_key on private.reconciliation_findings (kind, subject) where resolved_at is null;
create index reconciliation_findings_transfer_id_idx on private.reconciliation_findings (transfer_id);
create index reconciliation_findings_payout_id_idx on private.reconciliation_findings (payout_id);
create index reconciliation_findings_placement_id_idx on private.reconciliation_findings (placement_id);
create index reconciliation_findings_last_run_id_idx on private.reconciliation_findings (last_run_id);
alter table private.reconciliation_findings enable row level security;
revoke all on table private.reconciliation_findings from public, anon, authenticated, service_role;

create function private.begin_stripe_reconciliation(
  p_run_id uuid,
  p_overlap interval default interval '1 hour',
  p_window_start timestamptz default null,
  p_now timestamptz default pg_catalog.now())
returns table (run_id uuid, since timestamptz, window_start timestamptz, window_end timestamptz,
               covered_from timestamptz, status text)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_start timestamptz;
begin
  if p_run_id is null then
    raise exception 'p_run_id is required' using errcode = 'PT400';
  end if;
  if p_overlap is null or p_overlap < interval '0' then
    raise exception 'p_overlap must be >= 0' using errcode = 'PT400';
  end if;
  v_start := least(coalesce(p_window_start,
                            (select max(r.window_end) from private.stripe_reconciliation_runs r where r.status = 'finished'),
                            p_now - interval '1 day'), p_now);
  insert into private.stripe_reconciliation_runs (id, started_at, window_start, window_end, overlap)
  values (p_run_id, p_now, v_start, p_now, p_overlap)
  on conflict (id) do nothing;
  return query select r.id, r.window_start - r.overlap, r.window_start, r.window_end, r.covered_from, r.status
               from private.stripe_reconciliation_runs r where r.id = p_run_id;
end
$$;
comment on function private.begin_stripe_reconciliation(uuid, interval, timestamptz, timestamptz) is
  'Reconciliation: starts a run whose window is [p_window_start (default: the end of the last finished run, else a day ago) - p_overlap, p_now]; an existing run id continues that run (its window, how far it got: covered_from, and its status). PT400.';

create function private.stripe_reconciliation_tranches(p_since timestamptz, p_until timestamptz)
returns table (transfer_id uuid, stripe_transfer_id text, payout_id uuid, amount bigint, currency text,
               destination_account_id text, succeeded_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select t.id, t.stripe_transfer_id, t.payout_id, t.amount, t.currency::text, t.destination_account_id, t.succeeded_at
  from public.payout_transfers t
  where t.status = 'succeeded' and t.succeeded_at >= p_since and t.succeeded_at <= p_until
  order by t.succeeded_at, t.id
$$;
comment on function private.stripe_reconciliation_tranches(timestamptz, timestamptz) is
  'Reconciliation: our succeeded tranches completed in [p_since, p_until] (each must have its transfer at Stripe).';

create function private.record_stripe_reconciliation(
  p_run_id uuid, p_transfers jsonb, p_missing jsonb, p_now timestamptz default pg_catalog.now(),
  p_covered_from timestamptz default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_run private.stripe_reconciliation_runs;
  v_found jsonb;
  v_from timestamptz;
  v_until timestamptz;
  v_done boolean;
  v_checked integer;
begin
  if p_transfers is null or pg_catalog.jsonb_typeof(p_transfers) <> 'array'
     or p_missing is null or pg_catalog.jsonb_typeof(p_missing) <> 'array' then
    raise exception 'p_transfers and p_missing must be JSON arrays' using errcode = 'PT400';
  end if;
  select * into v_run from private.stripe_reconciliation_runs r where r.id = p_run_id for update;
  if not found then
    raise exception 'reconciliation run % not found', p_run_id using errcode = 'PT404';
  end if;
  if v_run.status <> 'running' then
    return pg_catalog.jsonb_build_object('status', v_run.status, 'findings', v_run.findings);
  end if;
  -- this call's part of the window: down from where the last part ended
  v_until := coalesce(v_run.covered_from, v_run.window_end);
  v_done := p_covered_from is null or p_covered_from <= v_run.window_start - v_run.overlap;
  v_from := case when v_done then v_run.window_start - v_run.overlap else p_covered_from end;
  if v_from > v_until then
    raise exception 'p_covered_from % is above what the run covered already (%)', p_covered_from, v_until
      using errcode = 'PT400';
  end if;

  -- What this part finds: Stripe's transfers against our tranches (by metadata, then by the
  -- recorded transfer id), and our tranches Stripe does not have.
  with s as (
    select x.id, x.amount, pg_catalog.upper(x.currency) as currency, x.destination, x.created, x.transfer_group,
           case when x.metadata ->> 'payout_transfer_id' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                then (x.metadata ->> 'payout_transfer_id')::uuid end as meta_tranche
    from pg_catalog.jsonb_to_recordset(p_transfers) as x(id text, amount bigint, currency text, destination text,
                                                         created bigint, transfer_group text, metadata jsonb)
  ), m as (
    select s.*, t.id as tranche_id, t.stripe_transfer_id as recorded_id, t.amount as t_amount, t.currency::text as t_currency,
           t.destination_account_id as t_destination, t.status as t_status, t.payout_id, t.placement_id
    from s
    left join public.payout_transfers t on t.id = coalesce(s.meta_tranche,
      (select t2.id from public.payout_transfers t2 where t2.stripe_transfer_id = s.id))
  ), f as (
    select 'transfer_unknown_to_us' as kind, m.id as subject, m.id as stripe_transfer_id, m.tranche_id, m.payout_id,
           m.placement_id, m.amount, m.currency,
           pg_catalog.jsonb_build_object('reason', case when m.meta_tranche is null and m.tranche_id is null then 'no_metadata'
                                                         when m.tranche_id is null then 'unknown_tranche'
                                                         else 'second_transfer_for_tranche' end,
             'destination', m.destination, 'transfer_group', m.transfer_group, 'created', m.created,
             'tranche_transfer_id', m.recorded_id) as details
    from m
    where m.tranche_id is null or (m.recorded_id is not null and m.recorded_id <> m.id)
    union all
    select 'transfer_mismatch', m.id, m.id, m.tranche_id, m.payout_id, m.placement_id, m.amount, m.currency,
           pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
             'fields', pg_catalog.to_jsonb(pg_catalog.array_remove(array[
               case when m.amount <> m.t_amount then 'amount' end,
               case when m.currency <> m.t_currency then 'currency' end,
               case when m.destination is distinct from m.t_destination then 'destination' end,
               case when m.t_status = 'failed' then 'status' end], null)),
             'stripe', pg_catalog.jsonb_build_object('amount', m.amount, 'currency', m.currency, 'destination', m.destination),
             'ours', pg_catalog.jsonb_build_object('amount', m.t_amount, 'currency', m.t_currency,
                                                   'destination', m.t_destination, 'status', m.t_status)))
    from m
    where m.tranche_id is not null and (m.recorded_id is null or m.recorded_id = m.id)
      and (m.amount <> m.t_amount or m.currency <> m.t_currency or m.destination is distinct from m.t_destination
           or m.t_status = 'failed')
    union all
    select 'transfer_missing_in_stripe', t.id::text, t.stripe_transfer_id, t.id, t.payout_id, t.placement_id, t.amount,
           t.currency::text,
           pg_catalog.jsonb_build_object('stripe_transfer_id', t.stripe_transfer_id, 'succeeded_at', t.succeeded_at,
                                         'destination', t.destination_account_id)
    from pg_catalog.jsonb_array_elements_text(p_missing) as x(stripe_transfer_id)
    join public.payout_transfers t on t.stripe_transfer_id = x.stripe_transfer_id
  ), up as (
    insert into private.reconciliation_findings as rf (
      kind, subject, stripe_transfer_id, transfer_id, payout_id, placement_id, amount, currency, details,
      first_seen_at, last_seen_at, last_run_id)
    select f.kind, f.subject, f.stripe_transfer_id, f.tranche_id, f.payout_id, f.placement_id, f.amount, f.currency,
           f.details, p_now, p_now, p_run_id
    from f
    on conflict (kind, subject) where resolved_at is null do update
       set last_seen_at = p_now, last_run_id = p_run_id, details = excluded.details, amount = excluded.amount
    returning rf.kind
  )
  select coalesce(pg_catalog.jsonb_object_agg(c.kind, c.n), '{}'::jsonb) into v_found
  from (select up.kind, pg_catalog.count(*) as n from up group by up.kind) c;

  -- Subjects this part checked and found fine again: resolved.
  update private.reconciliation_findings rf
     set resolved_at = p_now
   where rf.resolved_at is null and rf.last_run_id <> p_run_id
     and (rf.stripe_transfer_id in (select x ->> 'id' from pg_catalog.jsonb_array_elements(p_transfers) x)
          or rf.stripe_transfer_id in (select t.stripe_transfer_id from public.payout_transfers t
                                       where t.status = 'succeeded' and t.succeeded_at >= v_from
                                         and t.succeeded_at <= v_until));

  select pg_catalog.count(*)::integer into v_checked from public.payout_transfers t
   where t.status = 'succeeded' and t.succeeded_at >= v_from and t.succeeded_at <= v_until;
  -- the findings of the run so far: counts by kind, added up over its parts
  select coalesce(pg_catalog.jsonb_object_agg(k, n), '{}'::jsonb) into v_found
  from (select e.key as k, pg_catalog.sum(e.value::text::integer) as n
        from (select * from pg_catalog.jsonb_each(v_run.findings) union all select * from pg_catalog.jsonb_each(v_found)) e
        group by e.key) c;
  update private.stripe_reconciliation_runs r
     set status = case when v_done then 'finished' else 'running' end,
         finished_at = case when v_done then p_now end,
         covered_from = case when v_done then null else p_covered_from end,
         findings = v_found,
         stripe_transfers = r.stripe_transfers + pg_catalog.jsonb_array_length(p_transfers),
         tranches_checked = r.tranches_checked + v_checked
   where r.id = p_run_id
  returning * into v_run;
  return pg_catalog.jsonb_build_object('run_id', p_run_id, 'status', v_run.status, 'findings', v_run.findings,
    'stripe_transfers', v_run.stripe_transfers, 'missing', pg_catalog.jsonb_array_length(p_missing),
    'covered_from', v_run.covered_from);
end
$$;
comment on function private.record_stripe_reconciliation(uuid, jsonb, jsonb, timestamptz, timestamptz) is
  'Reconciliation: compares Stripe''s transfers ([{id, amount, currency, destination, created, transfer_group, metadata}]) with our tranches by metadata payout_transfer_id (then by recorded transfer id), never by amount, and records open findings (transfer_unknown_to_us, transfer_mismatch, transfer_missing_in_stripe for p_missing: [stripe transfer ids of our succeeded tranches Stripe does not have]); findings of subjects checked again and fine are resolved. p_covered_from null: the run''s (rest of the) window is done and the run finished; else this part covered [p_covered_from, where the last part ended] and the run goes on below (covered_from). Returns the run''s counts by kind so far, its status and covered_from. PT400/PT404.';

create function private.fail_stripe_reconciliation(p_run_id uuid, p_error jsonb, p_now timestamptz default pg_catalog.now())
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  update private.stripe_reconciliation_runs r
     set status = 'failed', finished_at = p_now,
         error = pg_catalog.jsonb_build_object('code', pg_catalog.left(coalesce(p_error ->> 'code', 'error'), 100),
                                               'message', pg_catalog.left(coalesce(p_error ->> 'message', ''), 1000))
   where r.id = p_run_id and r.status = 'running'
$$;
comment on function private.fail_stripe_reconciliation(uuid, jsonb, timestamptz) is
  'Reconciliation: the run could not finish (Stripe unreachable, ...): failed with {code, message}; the next run covers its window again (windows start at the last finished run).';

revoke execute on function
  private.begin_stripe_reconciliation(uuid, interval, timestamptz, timestamptz),
  private.stripe_reconciliation_tranches(timestamptz, timestamptz),
  private.record_stripe_reconciliation(uuid, jsonb, jsonb, timestamptz, timestamptz),
  private.fail_stripe_reconciliation(uuid, jsonb, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function private.begin_stripe_reconciliation(uuid, interval, timestamptz, timestamptz) to stripe_sync;
grant execute on function private.stripe_reconciliation_tranches(timestamptz, timestamptz) to stripe_sync;
grant execute on function private.record_stripe_reconciliation(uuid, jsonb, jsonb, timestamptz, timestamptz)
  to stripe_sync;
grant execute on function private.fail_stripe_reconciliation(uuid, jsonb, timestamptz) to stripe_sync;

-- ---------------------------------------------------------------------------------------------
-- Hand-over rings of the Stripe sync jobs (CPU budget: supabase/functions/_shared/platform/budget.ts)
-- ---------------------------------------------------------------------------------------------
create function private.ring_stripe_sync_handover(
  p_function text, p_run_id uuid default null, p_now timestamptz default pg_catalog.now())
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if p_function = 'reverse-payouts' then
    -- rings only when a request is pending or its lease expired (handed back ones: now)
    return private.reversal_doorbell(p_now);
  elsif p_function = 'invoice-placements' then
    -- rings only when a company invoice has work due (company billing, 20261202110000)
    return private.billing_doorbell(p_now);
  elsif p_function = 'reconcile-payouts' then
    if p_run_id is null or not exists (select 1 from private.stripe_reconciliation_runs r
                                       where r.id = p_run_id and r.status = 'running') then
      return null;
    end if;
    return private.ring_stripe_sync_function('reconcile-payouts',
      pg_catalog.jsonb_build_object('trigger', 'handover', 'run_id', p_run_id), p_now);
  elsif p_function = 'stripe-events-catch-up' then
    -- while that run is the catch-up's unfinished one (20261202090000)
    if p_run_id is null or not exists (select 1 from private.stripe_event_catch_up c where c.run_id = p_run_id) then
      return null;
    end if;
    return private.ring_stripe_sync_function('stripe-events-catch-up',
      pg_catalog.jsonb_build_object('trigger', 'handover', 'run_id', p_run_id), p_now);
  end if;
  raise exception 'unknown Stripe sync job %', p_function using errcode = 'PT400';
end
$$;
comment on function private.ring_stripe_sync_handover(text, uuid, timestamptz) is
  'A Stripe sync job stopped for the isolate''s CPU with work left: rings its function now (pg_net; URL and job secret from Vault). reverse-payouts: through private.reversal_doorbell (only when a reversal is due); invoice-placements: through private.billing_doorbell (only when a company invoice has work due); reconcile-payouts and stripe-events-catch-up: with {"run_id"} while that run is unfinished. Returns the pg_net request id, or null when nothing is due. PT400 unknown function.';

revoke execute on function private.ring_stripe_sync_handover(text, uuid, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function private.ring_stripe_sync_handover(text, uuid, timestamptz) to stripe_sync;
