// Placement detail (platform admins): splits, payouts with buckets, holds, schedules, transfers with
// their Stripe ids, the placement's audit trail with its chain's verification, and the money actions
// (release or cancel a hold, trigger a schedule, reverse a payout, fail the placement) behind a
// confirmation. An action that needs a second admin (PT428) can be asked for from the same box.
import { useEffect, useState } from "preact/hooks";
import { z } from "zod";
import {
  EscrowHoldSchema,
  PayoutAuditTrailSchema,
  PayoutScheduleSchema,
  PayoutSchema,
  PayoutTransferSchema,
  PLACEMENT_SELECT,
  PlacementSchema,
  PlacementSplitSchema,
  RPC,
} from "../../types/schemas.ts";
import { AdminCallBox } from "./admin_call.tsx";
import type { AdminCall } from "./alert_actions.ts";
import { db, unwrap } from "./api.ts";
import { routeHref } from "./nav.ts";
import { PlacementsTable, usePlacements } from "./screens.tsx";
import { BucketCells, BucketHeads, ErrorBox, Loading, Money, PagedView, Section, shortId, usePaged } from "./ui.tsx";

/** The actions of this screen: one id argument and a reason. */
type Action = { rpc: AdminCall["rpc"]; arg: string; id: string };
const callOf = (a: Action): AdminCall => ({ rpc: a.rpc, args: { [a.arg]: a.id }, reason: true, label: a.rpc });

interface Detail {
  placement: z.infer<typeof PlacementSchema>;
  splits: z.infer<typeof PlacementSplitSchema>[];
  payouts: z.infer<typeof PayoutSchema>[];
  holds: z.infer<typeof EscrowHoldSchema>[];
  schedules: z.infer<typeof PayoutScheduleSchema>[];
  transfers: z.infer<typeof PayoutTransferSchema>[];
}

async function loadDetail(id: string): Promise<Detail> {
  const d = db();
  // a placement has a handful of each (one split per recruiter, a payout per split, ...)
  const [placement, splits, payouts, holds, schedules, transfers] = await Promise.all([
    d.from("placements").select(PLACEMENT_SELECT).eq("id", id).single(),
    d.from("placement_splits").select("*").eq("placement_id", id).order("id"),
    d.from("payouts").select("*").eq("placement_id", id).order("id"),
    d.from("escrow_holds").select("*").eq("placement_id", id).order("held_at").order("id"),
    d.from("payout_schedules").select("*").eq("placement_id", id).order("scheduled_date").order("id"),
    d.from("payout_transfers").select("*").eq("placement_id", id).order("created_at").order("id"),
  ]);
  return {
    placement: PlacementSchema.parse(unwrap(placement)),
    splits: z.array(PlacementSplitSchema).parse(unwrap(splits)),
    payouts: z.array(PayoutSchema).parse(unwrap(payouts)),
    holds: z.array(EscrowHoldSchema).parse(unwrap(holds)),
    schedules: z.array(PayoutScheduleSchema).parse(unwrap(schedules)),
    transfers: z.array(PayoutTransferSchema).parse(unwrap(transfers)),
  };
}

const TrailRowSchema = PayoutAuditTrailSchema.pick({
  id: true,
  action: true,
  changed_by: true,
  changed_by_role: true,
  reason: true,
  created_at: true,
});

/** The placement's audit trail (its own entity chain) a page at a time, and verify_audit_chain's verdict. */
function PlacementTrail({ id, tick }: { id: string; tick: number }) {
  const [problems, setProblems] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    db().rpc("verify_audit_chain", { p_entity_type: "placement", p_entity_id: id }).then(
      (res) => setProblems(RPC.verify_audit_chain.returns.parse(unwrap(res)).length),
      setError,
    );
  }, [id, tick]);
  const list = usePaged(async (from, to) => {
    const res = await db().from("payout_audit_trail").select(
      "id, action, changed_by, changed_by_role, reason, created_at",
      {
        count: "exact",
      },
    ).eq("entity_type", "placement").eq("entity_id", id).order("id").range(from, to);
    return {
      rows: z.array(TrailRowSchema).parse(unwrap(res)),
      count: res.count ?? 0,
    };
  }, [id, tick]);
  return (
    <>
      <h3>Audit trail</h3>
      {error !== null
        ? <ErrorBox error={error} />
        : problems === null
        ? <Loading />
        : (
          <p class={problems ? "chain broken" : "chain intact"}>
            Chain: {problems ? `${problems} problem(s) found` : "verified, intact"}
          </p>
        )}
      <PagedView list={list}>
        {(rows) => (
          <table class="rows trail">
            <tbody>
              {rows.map((a) => (
                <tr data-audit-id={a.id} key={a.id}>
                  <td>{a.created_at}</td>
                  <td class="audit-action">{a.action}</td>
                  <td title={a.changed_by ?? ""}>
                    {a.changed_by ? shortId(a.changed_by) : "system"} ({a.changed_by_role})
                  </td>
                  <td>{a.reason ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedView>
    </>
  );
}

function PlacementView({ id }: { id: string }) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const [action, setAction] = useState<Action | null>(null);
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    loadDetail(id).then(setDetail, setError);
  }, [id, tick]);
  if (error !== null) return <ErrorBox error={error} />;
  if (!detail) return <Loading />;
  const ask = (a: Action) => (setAction(a), setDone(null));
  const finished = (what: string) => (setDone(what), setAction(null), setTick((t) => t + 1));
  const { placement: p } = detail;
  return (
    <div class="placement-detail" data-placement-id={p.id}>
      <p>
        <strong>{p.title ?? "—"}</strong> · {p.status} · fee <Money amount={p.fee_amount} currency={p.currency} />{" "}
        · hired {p.hired_at}
        {p.status !== "failed" && (
          <button
            type="button"
            class="fail-placement"
            onClick={() => ask({ rpc: "fail_placement", arg: "p_placement_id", id: p.id })}
          >
            Fail placement
          </button>
        )}
      </p>
      {done && <p class="done">{done}</p>}
      {action && (
        <AdminCallBox
          call={callOf(action)}
          subject={shortId(action.id)}
          onDone={finished}
          onCancel={() => setAction(null)}
          key={`${action.rpc}:${action.id}`}
        />
      )}
      <h3>Splits</h3>
      <table class="rows splits">
        <tbody>
          {detail.splits.map((s) => (
            <tr data-split-id={s.id} key={s.id}>
              <td title={s.recruiter_id}>{shortId(s.recruiter_id)}</td>
              <td>{s.role}</td>
              <td class="share">{(s.share_bps / 100).toFixed(2)} %</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Payouts</h3>
      <table class="rows payouts">
        <thead>
          <tr>
            <th>payout</th>
            <th>recruiter</th>
            <th>status</th>
            <th>amount</th>
            <BucketHeads />
            <th></th>
          </tr>
        </thead>
        <tbody>
          {detail.payouts.map((po) => (
            <tr data-payout-id={po.id} key={po.id}>
              <td title={po.id}>{shortId(po.id)}</td>
              <td title={po.recruiter_id}>{shortId(po.recruiter_id)}</td>
              <td>{po.status}</td>
              <td>
                <Money amount={po.amount} currency={po.currency} />
              </td>
              <BucketCells payout={po} />
              <td>
                {po.paid_amount > po.reversed_amount && (
                  <button
                    type="button"
                    class="reverse"
                    onClick={() => ask({ rpc: "reverse_payout", arg: "p_payout_id", id: po.id })}
                  >
                    Reverse
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Escrow holds</h3>
      <table class="rows holds">
        <tbody>
          {detail.holds.map((h) => (
            <tr data-hold-id={h.id} key={h.id}>
              <td title={h.payout_id}>payout {shortId(h.payout_id)}</td>
              <td>
                <Money amount={h.hold_amount} currency={h.currency} />
              </td>
              <td class="status">{h.status}</td>
              <td>release {h.release_scheduled_date ?? "—"}</td>
              <td>
                {h.status === "active" && (
                  <>
                    <button
                      type="button"
                      class="release"
                      onClick={() => ask({ rpc: "release_escrow_hold", arg: "p_hold_id", id: h.id })}
                    >
                      Release
                    </button>
                    <button
                      type="button"
                      class="cancel"
                      onClick={() => ask({ rpc: "cancel_escrow_hold", arg: "p_hold_id", id: h.id })}
                    >
                      Cancel
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Schedules</h3>
      <table class="rows schedules">
        <tbody>
          {detail.schedules.map((s) => (
            <tr data-schedule-id={s.id} key={s.id}>
              <td title={s.payout_id}>payout {shortId(s.payout_id)}</td>
              <td class="status">{s.status}</td>
              <td>{s.scheduled_date}</td>
              <td>attempts {s.retry_count}/{s.max_attempts}{s.is_exhausted ? " (exhausted)" : ""}</td>
              <td>{s.failure_reason ?? s.skip_reason ?? ""}</td>
              <td>
                <button
                  type="button"
                  class="trigger"
                  onClick={() => ask({ rpc: "trigger_payout_schedule", arg: "p_schedule_id", id: s.id })}
                >
                  Trigger
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Transfers</h3>
      <table class="rows transfers">
        <tbody>
          {detail.transfers.map((t) => (
            <tr data-transfer-id={t.id} key={t.id}>
              <td title={t.payout_id}>payout {shortId(t.payout_id)}</td>
              <td>
                <Money amount={t.amount} currency={t.currency} />
              </td>
              <td>{t.status}</td>
              <td class="stripe-id">{t.stripe_transfer_id ?? "—"}</td>
              <td>{t.destination_account_id}</td>
              <td>attempt {t.attempt_number}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <PlacementTrail id={p.id} tick={tick} />
    </div>
  );
}

/** Placements (admins): every placement a page at a time; choose one (or open #placement/<id>) for its detail. */
export function PlacementDetail({ id }: { id?: string | null }) {
  const list = usePlacements();
  const open = (placementId: string | null) => (location.hash = routeHref("placement", placementId));
  if (id) {
    return (
      <Section title="Placement detail">
        <button type="button" id="back-to-placements" onClick={() => open(null)}>All placements</button>
        <PlacementView id={id} key={id} />
      </Section>
    );
  }
  return (
    <Section title="Placement detail">
      <label>
        Open by id{" "}
        <input
          name="placement-id"
          size={38}
          onChange={(e) => e.currentTarget.value.trim() && open(e.currentTarget.value.trim())}
        />
      </label>
      <PagedView list={list}>{(rows) => <PlacementsTable rows={rows} open={open} />}</PagedView>
    </Section>
  );
}
