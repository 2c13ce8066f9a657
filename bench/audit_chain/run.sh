#!/usr/bin/env bash
# Audit-chain contention: per-entity chains (the migrations) vs one global chain, with pgbench.
# THROWAWAY DATABASE ONLY: it creates schema bench and temporarily replaces
# private.payout_audit_chain_link with the global-chain variant (restored at the end).
#   bench/audit_chain/run.sh postgresql://postgres:postgres@127.0.0.1:54410/postgres [seconds] [clients...]
set -euo pipefail
DB=${1:?database url}; SECS=${2:-15}; shift 2 || true
CLIENTS=${*:-1 4 16}
HERE=$(cd "$(dirname "$0")" && pwd)
p() { psql "$DB" -X -q -v ON_ERROR_STOP=1 "$@"; }

original=$(mktemp)
p -At -c "select pg_get_functiondef('private.payout_audit_chain_link()'::regprocedure) || ';'" > "$original"
restore() { p -f "$original" >/dev/null; rm -f "$original"; }
trap restore EXIT

bench() { # design script clients
  local out
  if ! out=$(pgbench "$DB" -n -f "$HERE/$2" -c "$3" -j "$3" -T "$SECS" 2>&1); then
    echo "pgbench failed ($1 $2 $3 clients):"; echo "$out"; exit 1
  fi
  printf '%-10s %-32s %3s clients %7s tps %8s ms avg latency\n' "$1" "$2" "$3" \
    "$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | cut -d. -f1)" \
    "$(sed -n 's/^latency average = \([0-9.]*\).*/\1/p' <<<"$out")"
}

p -f "$HERE/setup.psql" >/dev/null 2>&1
echo "postgres $(p -At -c 'show server_version'), $(nproc) cores, fsync=$(p -At -c 'show fsync'), synchronous_commit=$(p -At -c 'show synchronous_commit'), ${SECS}s per run"
# Baseline: the same table with its triggers disabled (no audit at all).
p -q -c "alter table bench.widget disable trigger user"
for script in update_entity.pgbench update_entity_then_work.pgbench; do
  for c in $CLIENTS; do bench no-audit "$script" "$c"; done
done
p -q -c "alter table bench.widget enable trigger user"
for script in update_entity.pgbench update_entity_then_work.pgbench; do
  for c in $CLIENTS; do bench per-entity "$script" "$c"; done
done
# Fresh ids for the global chain: its sequence numbers must not meet the per-entity ones.
p -f "$HERE/setup.psql" >/dev/null 2>&1
p -f "$HERE/global_chain.psql" >/dev/null
for script in update_entity.pgbench update_entity_then_work.pgbench; do
  for c in $CLIENTS; do bench global "$script" "$c"; done
done
restore; trap - EXIT
p -c "drop schema bench cascade" >/dev/null 2>&1
