-- squawk-ignore-file prefer-robust-stmts,require-lock-timeout,require-statement-timeout,prefer-bigint-over-int
-- Squawk rules ignored in this file, and why: every object is new and created once by
-- `supabase db push` (one transaction per migration: no half-applied rerun, and no
-- `if not exists` that would hide drift); nothing existing and busy is locked (timeouts);
-- the integer columns are attempt counters bounded by CHECKs, never money.
-- Money model, part 1: foundations shared by every money table and state machine.
--
-- * private.payout_settings: the platform-wide controls (pause kill switch, settlement buffer,
--   business due times, retry policy), one typed row read with static SQL.
-- * private.state_transitions: THE explicit allowed-transitions definition of every money
--   entity. Transition functions check it for a clear error, and the guard trigger checks it
--   again on every status write, whoever writes.
-- * The transition token: transition functions mark the transaction as "inside a transition"
--   with a value nobody else can compute; guard triggers refuse protected writes without it.
-- * Pure helpers: largest remainder allocation, next business due time, retry backoff.
-- * The supported currencies (ISO 4217 code and minor-unit exponent) and the check of Stripe
--   object ids (prefix, then letters and digits), with errors that say what is allowed.
--
-- Error codes (stable, listed in docs/money-model.md):
--   PT400 bad input, PT404 not found, PT409 illegal transition / conflict,
--   PT422 invariant violation, 42501 direct write refused.

-- ---------------------------------------------------------------------------------------------
-- Platform settings
-- ---------------------------------------------------------------------------------------------
create table private.payout_settings (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  -- exactly one row: `singleton` is unique and can only be true
  singleton boolean not null default true unique check (singleton),
  payouts_paused boolean not null default false,
  paused_reason text,
  paused_at timestamptz,
  -- invoice paid_at + settlement_buffer = collectible_at
  settlement_buffer interval not null default interval '7 days'
    check (settlement_buffer >= interval '0'),
  -- business due times (UTC): payout schedules fall due at payout_due_time, escrow holds are
  -- released at escrow_release_time on their release_scheduled_date
  payout_due_time time not null default time '02:00',
  escrow_release_time time not null default time '03:00',
  -- retry policy: a schedule stays failed (exhausted) after max_failed_attempts failures;
  -- the n-th failure waits least(retry_base_delay * 2^(n-1), retry_max_delay)
  max_failed_attempts integer not null default 3 check (max_failed_attempts between 1 and 20),
  retry_base_delay interval not null default interval '1 hour' check (retry_base_delay > interval '0'),
  retry_max_delay interval not null default interval '1 day' check (retry_max_delay > interval '0'),
  -- default lease of a claimed schedule
  claim_lease interval not null default interval '15 minutes' check (claim_lease > interval '0'),
  -- Stripe Invoicing of placement fees (company billing, 20261202110000): days the company has
  -- to pay an invoice sent to it (invoices.create days_until_due)
  invoice_days_until_due integer not null default 30 check (invoice_days_until_due between 0 and 365),
  -- a payout-run invocation whose heartbeat is older than this is gone (killed, or ended by the
  -- platform): its claims are free at once, whatever their lease. Running invocations beat every
  -- few seconds from a timer, independently of how long a Stripe call takes.
  invocation_stale_after interval not null default interval '20 seconds'
    check (invocation_stale_after > interval '0'),
  -- a four-eyes request (20261202120000_admin_approvals) not decided within this expires
  approval_request_ttl interval not null default interval '24 hours'
    check (approval_request_ttl > interval '0' and approval_request_ttl <= interval '30 days'),
  -- years the money records of an erased person are kept (pseudonymised) after their last money
  -- activity (erasure, 20261202150000_personal_data_erasure; docs/personal-data.md)
  money_record_retention_years integer not null default 10
    check (money_record_retention_years between 1 and 30),
  updated_at timestamptz not null default pg_catalog.now(),
  check (payouts_paused = (paused_at is not null))
);
comment on table private.payout_settings is
  'Platform-wide payout controls (one row): kill switch, settlement buffer, UTC due times, retry policy.';
alter table private.payout_settings enable row level security;
revoke all on table private.payout_settings from public, anon, authenticated, service_role;
insert into private.payout_settings default values;

create function private.settings()
returns private.payout_settings
language sql
stable
security definer
set search_path = ''
as $$
  select s from private.payout_settings s where s.singleton
$$;
comment on function private.settings() is
  'The platform payout settings row (static read of the one-row private.payout_settings).';

-- ---------------------------------------------------------------------------------------------
-- Allowed transitions: one explicit definition for every money entity
-- ---------------------------------------------------------------------------------------------
create table private.state_transitions (
  id integer generated always as identity primary key,
  entity text not null,
  -- null: the status a row may be created in
  from_status text,
  to_status text not null,
  note text not null,
  unique nulls not distinct (entity, from_status, to_status)
);
comment on table private.state_transitions is
  'The allowed-transitions definition of every money entity (from_status null = creation). A status with no outgoing edge is terminal.';
alter table private.state_transitions enable row level security;
revoke all on table private.state_transitions from public, anon, authenticated, service_role;

insert into private.state_transitions (entity, from_status, to_status, note) values
  ('placement', null, 'hired', 'create_placement'),
  ('placement', 'hired', 'active', 'candidate started'),
  ('placement', 'hired', 'failed', 'failed during the guarantee'),
  ('placement', 'active', 'completed', 'guarantee completed'),
  ('placement', 'active', 'failed', 'failed during the guarantee'),

  ('placement_invoice', null, 'draft', 'record_placement_invoice'),
  ('placement_invoice', null, 'open', 'record_placement_invoice'),
  ('placement_invoice', 'draft', 'open', 'finalized'),
  ('placement_invoice', 'draft', 'void', 'voided'),
  ('placement_invoice', 'open', 'paid', 'paid: collectible after the settlement buffer'),
  ('placement_invoice', 'open', 'void', 'voided'),
  ('placement_invoice', 'open', 'uncollectible', 'marked uncollectible'),
  ('placement_invoice', 'uncollectible', 'paid', 'paid late'),
  ('placement_invoice', 'uncollectible', 'open', 'reissued: the new Stripe invoice was finalized'),
  ('placement_invoice', 'uncollectible', 'void', 'voided'),

  ('payout', null, 'pending', 'created from a split when the invoice is recorded'),
  ('payout', null, 'paid', 'zero-amount payout: nothing is owed'),
  ('payout', 'pending', 'partially_paid', 'a tranche succeeded, money still outstanding'),
  ('payout', 'pending', 'paid', 'nothing outstanding any more'),
  ('payout', 'pending', 'forfeited', 'everything forfeited, nothing paid'),
  ('payout', 'pending', 'flagged_for_reversal', 'placement failed, an in-flight tranche then succeeded'),
  ('payout', 'partially_paid', 'paid', 'nothing outstanding any more'),
  ('payout', 'partially_paid', 'flagged_for_reversal', 'placement failed after a tranche was paid'),
  ('payout', 'paid', 'flagged_for_reversal', 'placement failed after the payout was paid'),
  ('payout', 'flagged_for_reversal', 'reversed', 'every paid cent reversed'),

  ('escrow_hold', null, 'active', 'create_escrow_hold'),
  ('escrow_hold', 'active', 'released', 'held -> payable'),
  ('escrow_hold', 'active', 'cancelled', 'held -> forfeited'),

  ('payout_schedule', null, 'pending', 'created by a trigger event'),
  ('payout_schedule', 'pending', 'processing', 'claimed: a pending tranche was created'),
  ('payout_schedule', 'pending', 'cancelled', 'cancelled'),
  ('payout_schedule', 'processing', 'processed', 'the tranche succeeded'),
  ('payout_schedule', 'processing', 'failed', 'the tranche failed'),
  ('payout_schedule', 'processing', 'cancelled', 'placement failed while a tranche was in flight'),
  ('payout_schedule', 'failed', 'processing', 'automatic retry after backoff'),
  ('payout_schedule', 'failed', 'pending', 'admin trigger: one more attempt'),
  ('payout_schedule', 'failed', 'cancelled', 'cancelled'),

  ('payout_transfer', null, 'pending', 'created at claim, before any Stripe call'),
  ('payout_transfer', 'pending', 'succeeded', 'Stripe transfer created'),
  ('payout_transfer', 'pending', 'failed', 'Stripe refused: the money is payable again'),
  ('payout_transfer', 'pending', 'unknown', 'outcome unknown: must be reconciled'),
  ('payout_transfer', 'unknown', 'succeeded', 'reconciled: it happened'),
  ('payout_transfer', 'unknown', 'failed', 'reconciled: it did not happen');

-- plpgsql, not sql: every guarded status write asks this; a sql function with `set
-- search_path` is never inlined and PG 15 plans its body on every call, a plpgsql body is
-- planned once per session (the helpers below are plpgsql for the same reason).
create function private.is_allowed_transition(p_entity text, p_from text, p_to text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1 from private.state_transitions t
    where t.entity = p_entity and t.from_status is not distinct from p_from and t.to_status = p_to
  );
end
$$;
comment on function private.is_allowed_transition(text, text, text) is
  'True when private.state_transitions allows p_entity to go from p_from (null = creation) to p_to.';

create function private.assert_transition(p_entity text, p_id uuid, p_from text, p_to text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from private.state_transitions t where t.entity = p_entity and t.to_status = p_to) then
    raise exception 'unknown % status "%"', p_entity, p_to
      using errcode = 'PT400';
  end if;
  if not private.is_allowed_transition(p_entity, p_from, p_to) then
    if not exists (select 1 from private.state_transitions t where t.entity = p_entity and t.from_status = p_from) then
      raise exception 'illegal % transition % -> % (%): % is a terminal state', p_entity, p_from, p_to, p_id, p_from
        using errcode = 'PT409';
    end if;
    raise exception 'illegal % transition % -> % (%)', p_entity, coalesce(p_from, '(new)'), p_to, p_id
      using errcode = 'PT409';
  end if;
end
$$;
comment on function private.assert_transition(text, uuid, text, text) is
  'Raises PT409 unless private.state_transitions allows the edge (PT400 for an unknown target status).';

-- ---------------------------------------------------------------------------------------------
-- The transition token
-- ---------------------------------------------------------------------------------------------
-- Transition functions set the transaction-local setting payouts.in_transition to
-- sha256(secret || top-level xid). Any role can set a custom setting, but nobody can compute
-- the value without the secret (private, no grants) and it is only valid in the transaction
-- that computed it. Guard triggers compare; nothing (no role, not the owner) is exempted.
--
-- The token is recomputed (one read of the one-row secret table, one sha256 of ~50 bytes) on
-- every check, deliberately not cached: a cache would have to live where the checker can read
-- it back cheaply, i.e. in a custom setting, and every role can set_config a custom setting:
-- a forged "verified for xid N" cache plus a matching forged flag would pass the guard. The
-- cost was never the sha256 but re-planning sql bodies: these functions are plpgsql (plans
-- cached per session), in_transition() skips the computation when no flag is set at all, and
-- enter_transition() computes the token once.
create table private.transition_key (
  singleton boolean primary key default true check (singleton),
  secret bytea not null default pg_catalog.decode(
    pg_catalog.md5(pg_catalog.gen_random_uuid()::text) || pg_catalog.md5(pg_catalog.gen_random_uuid()::text), 'hex')
);
comment on table private.transition_key is 'Secret of the transition token (never readable by any API or job role).';
alter table private.transition_key enable row level security;
revoke all on table private.transition_key from public, anon, authenticated, service_role;
insert into private.transition_key default values;

create function private.transition_token()
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  return (select pg_catalog.encode(pg_catalog.sha256(
            k.secret || pg_catalog.convert_to(pg_catalog.pg_current_xact_id()::text, 'UTF8')), 'hex')
          from private.transition_key k);
end
$$;
comment on function private.transition_token() is
  'The value of payouts.in_transition that is valid in the current transaction only.';

create function private.in_transition()
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_flag constant text := coalesce(pg_catalog.current_setting('payouts.in_transition', true), '');
begin
  -- no flag, no transition: a token is never empty (64 hex digits), no need to compute it
  if v_flag = '' then
    return false;
  end if;
  return v_flag = private.transition_token();
end
$$;
comment on function private.in_transition() is
  'True while a transition function of this transaction is running (guard triggers ask this).';

create function private.enter_transition(p_action text, p_reason text default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  -- one token computation for both the "already inside?" check (= private.in_transition())
  -- and the flag to set
  v_token constant text := private.transition_token();
  v_prev jsonb := pg_catalog.jsonb_build_object(
    'in', coalesce(pg_catalog.current_setting('payouts.in_transition', true), '') = v_token,
    'action', pg_catalog.current_setting('payouts.transition_action', true),
    'reason', pg_catalog.current_setting('payouts.transition_reason', true));
begin
  perform pg_catalog.set_config('payouts.in_transition', v_token, true);
  perform pg_catalog.set_config('payouts.transition_action', coalesce(p_action, ''), true);
  perform pg_catalog.set_config('payouts.transition_reason', coalesce(p_reason, ''), true);
  perform private.set_audit_context(p_action, p_reason);
  return v_prev;
end
$$;
comment on function private.enter_transition(text, text) is
  'Marks the transaction as inside a transition (token + audit context); returns the previous state for leave_transition.';

create function private.leave_transition(p_prev jsonb)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if coalesce((p_prev ->> 'in')::boolean, false) then
    -- nested transition: the outer one goes on, with its own audit label
    perform pg_catalog.set_config('payouts.transition_action', coalesce(p_prev ->> 'action', ''), true);
    perform pg_catalog.set_config('payouts.transition_reason', coalesce(p_prev ->> 'reason', ''), true);
    perform private.set_audit_context(nullif(p_prev ->> 'action', ''), nullif(p_prev ->> 'reason', ''));
  else
    perform pg_catalog.set_config('payouts.in_transition', '', true);
    perform pg_catalog.set_config('payouts.transition_action', '', true);
    perform pg_catalog.set_config('payouts.transition_reason', '', true);
    perform private.clear_audit_context();
  end if;
end
$$;
comment on function private.leave_transition(jsonb) is
  'Ends a transition: restores the outer transition, or resets the token and the audit context.';

-- ---------------------------------------------------------------------------------------------
-- Guard triggers
-- ---------------------------------------------------------------------------------------------
-- tg_argv[0]: entity name in private.state_transitions (or '' when the table has no status)
-- tg_argv[1]: 'all'     -> no insert/update outside a transition function, never a delete
--             'columns' -> only the columns named in tg_argv[2..] are protected: outside a
--                          transition they must be null on insert and unchanged on update
-- Every status change, inside a transition or not, must be an allowed edge (PT409).
create function private.guard_money_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_entity text := nullif(tg_argv[0], '');
  v_mode text := tg_argv[1];
  v_new jsonb;
  v_old jsonb;
  v_col text;
begin
  if tg_op = 'DELETE' then
    if v_mode = 'all' then
      raise exception 'rows of %.% are never deleted', tg_table_schema, tg_table_name
        using errcode = '42501', hint = 'Use a transition to a terminal status instead.';
    end if;
    return old;
  end if;

  v_new := pg_catalog.to_jsonb(new);
  v_old := case when tg_op = 'UPDATE' then pg_catalog.to_jsonb(old) end;

  if not private.in_transition() then
    if v_mode = 'all' then
      raise exception 'direct % on %.% refused: money rows change only through private transition functions',
        pg_catalog.lower(tg_op), tg_table_schema, tg_table_name
        using errcode = '42501';
    end if;
    foreach v_col in array tg_argv[2:] loop
      if (tg_op = 'INSERT' and v_new -> v_col <> 'null'::jsonb)
         or (tg_op = 'UPDATE' and (v_new -> v_col) is distinct from (v_old -> v_col)) then
        raise exception 'direct write of %.%.% refused: it changes only through a private transition function',
          tg_table_schema, tg_table_name, v_col
          using errcode = '42501';
      end if;
    end loop;
  end if;

  if v_entity is not null then
    if tg_op = 'INSERT' then
      if not private.is_allowed_transition(v_entity, null, v_new ->> 'status') then
        raise exception 'a % cannot be created in status "%"', v_entity, v_new ->> 'status'
          using errcode = 'PT409';
      end if;
    elsif (v_new ->> 'status') is distinct from (v_old ->> 'status') then
      perform private.assert_transition(v_entity, (v_new ->> 'id')::uuid, v_old ->> 'status', v_new ->> 'status');
    end if;
  end if;

  if tg_op = 'UPDATE' then
    new.updated_at := pg_catalog.now();
  end if;
  return new;
end
$$;
comment on function private.guard_money_write() is
  'Guard trigger of money tables: refuses protected writes outside transition functions (42501, nobody exempted) and any status change that private.state_transitions does not allow (PT409).';

-- The same guard for the tables the payout run writes in bulk (placements, invoices, payouts,
-- holds, schedules, tranches), paid once per statement instead of once per row:
--   guard_money_statement   BEFORE INSERT/UPDATE/DELETE FOR EACH STATEMENT: no delete ever, no
--                           insert/update outside a transition (one token check per statement;
--                           also a statement that matches no row is refused)
--   check_status_edges      AFTER INSERT / AFTER UPDATE FOR EACH STATEMENT with the statement's
--                           rows: every created status and every status change is an allowed
--                           edge, checked in one query against private.state_transitions
--   touch_updated_at        BEFORE UPDATE FOR EACH ROW: updated_at (no token, no jsonb)
-- A row-level guard computed the token (sha256) and two jsonb copies of the row for every row.
create function private.guard_money_statement()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'rows of %.% are never deleted', tg_table_schema, tg_table_name
      using errcode = '42501', hint = 'Use a transition to a terminal status instead.';
  end if;
  if not private.in_transition() then
    raise exception 'direct % on %.% refused: money rows change only through private transition functions',
      pg_catalog.lower(tg_op), tg_table_schema, tg_table_name
      using errcode = '42501';
  end if;
  return null;
end
$$;
comment on function private.guard_money_statement() is
  'Statement guard (BEFORE INSERT/UPDATE/DELETE FOR EACH STATEMENT) of the bulk money tables: refuses any delete and any insert/update outside a transition function (42501, nobody exempted), once per statement.';

-- tg_argv[0]: the entity name in private.state_transitions. The rows are compared by id (which
-- the audit makes immutable); both tables carry id and status.
create function private.check_status_edges()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_entity constant text := tg_argv[0];
  v_bad record;
begin
  if tg_op = 'INSERT' then
    select n.id, n.status into v_bad
    from new_rows n
    where not exists (select 1 from private.state_transitions t
                      where t.entity = v_entity and t.from_status is null and t.to_status = n.status)
    limit 1;
    if found then
      raise exception 'a % cannot be created in status "%"', v_entity, v_bad.status using errcode = 'PT409';
    end if;
  else
    select n.id, o.status as from_status, n.status as to_status into v_bad
    from old_rows o
    join new_rows n on n.id = o.id
    where n.status is distinct from o.status
      and not exists (select 1 from private.state_transitions t
                      where t.entity = v_entity and t.from_status = o.status and t.to_status = n.status)
    order by n.id
    limit 1;
    if found then
      perform private.assert_transition(v_entity, v_bad.id, v_bad.from_status, v_bad.to_status);
    end if;
  end if;
  return null;
end
$$;
comment on function private.check_status_edges() is
  'Statement trigger (AFTER INSERT/UPDATE with the statement''s rows) of the bulk money tables: every created status and every status change must be an edge of private.state_transitions (PT409, as private.assert_transition words it), one query per statement.';

-- ---------------------------------------------------------------------------------------------
-- Pure helpers
-- ---------------------------------------------------------------------------------------------
create function private.largest_remainder(p_total bigint, p_weights bigint[])
returns table (ord bigint, amount bigint)
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_weight_total bigint;
begin
  if p_total is null or p_total < 0 then
    raise exception 'largest_remainder: total must be >= 0 (got %)', p_total using errcode = 'PT400';
  end if;
  if p_weights is null or exists (select 1 from pg_catalog.unnest(p_weights) w where w is null or w < 0) then
    raise exception 'largest_remainder: weights must be >= 0' using errcode = 'PT400';
  end if;
  select coalesce(sum(w), 0)::bigint into v_weight_total from pg_catalog.unnest(p_weights) w;
  if v_weight_total = 0 and p_total > 0 then
    raise exception 'largest_remainder: cannot allocate % over zero weights', p_total using errcode = 'PT400';
  end if;

  return query
  with w as (
    select t.weight, t.ord from pg_catalog.unnest(p_weights) with ordinality as t(weight, ord)
  ), q as (
    -- exact integer quota: base + rem / weight_total
    select w.ord,
           case when v_weight_total = 0 then 0::bigint else (p_total * w.weight) / v_weight_total end as base,
           case when v_weight_total = 0 then 0::bigint else (p_total * w.weight) % v_weight_total end as rem
    from w
  ), r as (
    select q.ord, q.base,
           pg_catalog.row_number() over (order by q.rem desc, q.ord) as rank,
           p_total - sum(q.base) over () as extra
    from q
  )
  select r.ord, r.base + case when r.rank <= r.extra then 1 else 0 end
  from r
  order by r.ord;
end
$$;
comment on function private.largest_remainder(bigint, bigint[]) is
  'Allocates p_total (integer minor units) over p_weights by the largest-remainder method: floor of each exact quota, then one unit each to the largest remainders, ties to the lower array position. The result sums to p_total exactly.';

-- The currencies a placement may be in: the settlement currencies of the countries a Stripe
-- Connect platform can be based in. A transfer to a connected account is made from the
-- platform's balance, in its currency, so a fee in any other currency could not be paid out.
-- Left out: currencies with a Stripe special case for amounts (HUF, ISK, TWD: payout amounts
-- must be whole units) and three-decimal ones (BHD, JOD, KWD, OMR, TND). The exponent is ISO
-- 4217's minor unit: amounts are stored as integer minor units (JPY 1 = 1, USD 1.00 = 100), as
-- Stripe's API takes them. Adding a currency is one line here (and a new migration once
-- released); the CHECK on public.placements.currency follows.
create function private.supported_currencies()
returns table (code text, minor_unit_exponent integer)
language sql
immutable
set search_path = ''
as $$
  select c.code, c.minor_unit_exponent
  from (values
    ('AED', 2), ('AUD', 2), ('BGN', 2), ('BRL', 2), ('CAD', 2), ('CHF', 2), ('CZK', 2), ('DKK', 2),
    ('EUR', 2), ('GBP', 2), ('HKD', 2), ('JPY', 0), ('MXN', 2), ('MYR', 2), ('NOK', 2), ('NZD', 2),
    ('PLN', 2), ('RON', 2), ('SEK', 2), ('SGD', 2), ('THB', 2), ('USD', 2)
  ) as c(code, minor_unit_exponent)
  order by c.code
$$;
comment on function private.supported_currencies() is
  'The currencies a placement may be in (ISO 4217 code, upper case) with their minor-unit exponent (amounts are integer minor units): the settlement currencies of the countries a Stripe Connect platform can be based in, without currencies Stripe treats specially (HUF, ISK, TWD) or three-decimal ones.';

create function private.currency_minor_unit_exponent(p_currency text)
returns integer
language sql
immutable
set search_path = ''
as $$
  select c.minor_unit_exponent from private.supported_currencies() c where c.code = p_currency
$$;
comment on function private.currency_minor_unit_exponent(text) is
  'Minor-unit exponent of a supported currency (2 for USD: 100 = 1.00; 0 for JPY); null when the currency is not supported (private.supported_currencies()). Also the CHECK of placements.currency.';

-- Stripe object ids are a prefix and letters and digits (in_1Pq2..., acct_1Nv..., tr_3Mt...).
-- One check with one message, which says what is allowed: PT400
--   "<param> must be a Stripe <what> id: "<prefix>_" then letters and digits only (A-Z, a-z,
--    0-9), got ..."
-- p_prefix may list alternatives (ch|py). Null is refused unless p_nullable.
create function private.check_stripe_id(
  p_param text, p_value text, p_prefix text, p_what text, p_nullable boolean default false)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_value is null and p_nullable then
    return null;
  end if;
  if p_value is null or p_value !~ ('^(' || p_prefix || ')_[A-Za-z0-9]+$') then
    raise exception '% must be a Stripe % id: "%_" then letters and digits only (A-Z, a-z, 0-9), got %',
      p_param, p_what, pg_catalog.replace(p_prefix, '|', '_" or "'),
      coalesce('"' || p_value || '"', 'nothing (null)')
      using errcode = 'PT400';
  end if;
  return p_value;
end
$$;
comment on function private.check_stripe_id(text, text, text, text, boolean) is
  'Returns p_value when it is a Stripe object id: p_prefix (alternatives with |), "_", then letters and digits only; else PT400 naming the parameter, the prefix, the allowed characters and what was given. Null passes only with p_nullable.';

create function private.next_due_at(p_from timestamptz, p_due_time time)
returns timestamptz
language sql
immutable
set search_path = ''
as $$
  -- the first instant >= p_from whose UTC wall-clock time is p_due_time
  select case
    when (p_from at time zone 'UTC')::time <= p_due_time
      then (((p_from at time zone 'UTC')::date + p_due_time) at time zone 'UTC')
    else ((((p_from at time zone 'UTC')::date + 1) + p_due_time) at time zone 'UTC')
  end
$$;
comment on function private.next_due_at(timestamptz, time) is
  'First instant at or after p_from whose UTC time of day is p_due_time (business due times are UTC).';

create function private.retry_delay(p_failed_attempts integer)
returns interval
language sql
stable
set search_path = ''
as $$
  select least(s.retry_base_delay * (2 ^ (greatest(p_failed_attempts, 1) - 1)), s.retry_max_delay)
  from private.settings() s
$$;
comment on function private.retry_delay(integer) is
  'Backoff after the n-th failed attempt: least(retry_base_delay * 2^(n-1), retry_max_delay).';

create trigger money_guard
  before insert or update or delete on private.payout_settings
  for each row execute function private.guard_money_write('', 'all');

revoke execute on function
  private.settings(),
  private.is_allowed_transition(text, text, text),
  private.assert_transition(text, uuid, text, text),
  private.transition_token(),
  private.in_transition(),
  private.enter_transition(text, text),
  private.leave_transition(jsonb),
  private.guard_money_write(),
  private.guard_money_statement(),
  private.check_status_edges(),
  private.largest_remainder(bigint, bigint[]),
  private.supported_currencies(),
  private.currency_minor_unit_exponent(text),
  private.check_stripe_id(text, text, text, text, boolean),
  private.next_due_at(timestamptz, time),
  private.retry_delay(integer)
from public, anon, authenticated, service_role;
