#!/usr/bin/env bash
# Real-concurrency check of the outbox read (pgTAP cannot do it: a test runs in one
# transaction). Two writers: T_late takes the lower id and commits 3 s later; T_early takes the
# higher id and commits at once. A naive `id > cursor` reader sees only "early" (and would move
# its cursor past "late"); public.read_payout_events holds both back until T_late has finished,
# then returns late, early. Leaves no rows behind. Usage:
#   local/demos/outbox_late_commit.sh postgresql://postgres:postgres@127.0.0.1:54410/postgres
set -euo pipefail
DB=${1:?database url}
RUN=demo-$$-$RANDOM
q() { psql "$DB" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
emit() { echo "select private.emit_event('payout.paid', 'payout', gen_random_uuid(), null, null, jsonb_build_object('run', '$RUN', 'name', '$1'));"; }
names_naive() { q "select coalesce(string_agg(payload->>'name', ',' order by id), '-') from public.payout_events where payload->>'run' = '$RUN'"; }
names_safe() { q "select coalesce(string_agg(payload->>'name', ',' order by txid, id), '-') from public.read_payout_events('0', 0, 1000) where payload->>'run' = '$RUN'"; }

{ echo "begin;"; emit late; echo "select pg_sleep(3); commit;"; } | psql "$DB" -X -q -At -v ON_ERROR_STOP=1 >/dev/null &
LATE_PID=$!
sleep 1
psql "$DB" -X -q -At -v ON_ERROR_STOP=1 -c "$(emit early)" >/dev/null

naive_during=$(names_naive); safe_during=$(names_safe)
wait "$LATE_PID"
naive_after=$(names_naive); safe_after=$(names_safe)
ids=$(q "select string_agg(payload->>'name' || '=id ' || id || ', txid ' || txid, '; ' order by id) from public.payout_events where payload->>'run' = '$RUN'")
q "delete from public.payout_events where payload->>'run' = '$RUN'"

echo "rows:                        $ids"
echo "while T_late runs: naive id order: $naive_during | read_payout_events: $safe_during"
echo "after T_late commits: naive id order: $naive_after | read_payout_events: $safe_after"
if [ "$naive_during" = "early" ] && [ "$safe_during" = "-" ] && [ "$safe_after" = "late,early" ]; then
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"; exit 1
fi
