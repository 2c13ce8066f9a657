// The screens, per role. Each reads what RLS lets the signed-in user read; RPC results are parsed
// with the API's zod schemas (types/schemas.ts), so a drifted answer is an error in words too.
import { useEffect, useState } from "preact/hooks";
import { z } from "zod";
import {
  PAYOUT_ALERT_KINDS,
  PayoutAlertSchema,
  PayoutSchema,
  PLACEMENT_SELECT,
  PlacementSchema,
  RPC,
} from "../../types/schemas.ts";
import { AdminCallBox } from "./admin_call.tsx";
import { type AdminCall, resolvingAction } from "./alert_actions.ts";
import { db, unwrap } from "./api.ts";
import { routeHref } from "./nav.ts";
import { BucketCells, BucketHeads, ErrorBox, Loading, Money, PagedView, Section, shortId, usePaged } from "./ui.tsx";

/** Tonight: what the next payout run would pay (payout_run_preview, paged), why not, and the totals
 * per currency (payout_run_totals). */
export function Tonight() {
  const list = usePaged(async (from, to) => {
    const res = await db().rpc("payout_run_preview", {}, { count: "exact" }).order("payout_id").range(from, to);
    return { rows: RPC.payout_run_preview.returns.parse(unwrap(res)), count: res.count ?? 0 };
  });
  // summed in the database (payout_run_totals), not from every row of the preview
  const [totals, setTotals] = useState<z.infer<typeof RPC.payout_run_totals.returns> | null>(null);
  const [totalsError, setTotalsError] = useState<unknown>(null);
  useEffect(() => {
    db().rpc("payout_run_totals").then(
      (res) => setTotals(RPC.payout_run_totals.returns.parse(unwrap(res))),
      setTotalsError,
    );
  }, []);

  return (
    <Section title="Tonight">
      <h3>Totals the run would pay, per currency</h3>
      {totalsError ? <ErrorBox error={totalsError} /> : !totals ? <Loading /> : (
        <table class="totals">
          <tbody>
            {totals.length === 0 && (
              <tr>
                <td>nothing to pay</td>
              </tr>
            )}
            {totals.map(({ currency, payouts, amount }) => (
              <tr data-currency={currency} key={currency}>
                <th>{currency}</th>
                <td class="total">
                  <Money amount={amount} currency={currency} />
                </td>
                <td class="payouts">{payouts} {payouts === 1 ? "payout" : "payouts"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Payouts with money outstanding</h3>
      <PagedView list={list}>
        {(rows) => (
          <table class="rows">
            <thead>
              <tr>
                <th>payout</th>
                <th>recruiter</th>
                <th>status</th>
                <th>would pay</th>
                <th>to pay</th>
                <th>payable</th>
                <th>held</th>
                <th>in flight</th>
                <th>reason</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr data-payout-id={r.payout_id} key={r.payout_id}>
                  <td title={r.payout_id}>{shortId(r.payout_id)}</td>
                  <td title={r.recruiter_id}>{shortId(r.recruiter_id)}</td>
                  <td>{r.payout_status}</td>
                  <td class="would-pay">{r.would_pay ? "yes" : "no"}</td>
                  <td>
                    <Money amount={r.amount} currency={r.currency} />
                  </td>
                  <td>
                    <Money amount={r.payable_amount} currency={r.currency} />
                  </td>
                  <td>
                    <Money amount={r.held_amount} currency={r.currency} />
                  </td>
                  <td>
                    <Money amount={r.in_flight_amount} currency={r.currency} />
                  </td>
                  <td class="reason">{r.reason ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedView>
    </Section>
  );
}

type Alert = z.infer<typeof PayoutAlertSchema>;
const alertKey = (a: Alert) => `${a.kind}:${a.subject_type}:${a.subject_id}`;

/** Alerts: payout_alerts (platform admins only), a page at a time, grouped by kind; each with what
 * resolves it (alert_actions.ts): advice, the resolving call behind a confirmation, its placement. */
export function Alerts() {
  const [kind, setKind] = useState<Alert["kind"] | "">("");
  const list = usePaged(async (from, to) => {
    let q = db().from("payout_alerts").select("*", { count: "exact" });
    if (kind) q = q.eq("kind", kind);
    // newest first within a kind: what just went wrong is on the first page
    const res = await q.order("kind").order("detected_at", { ascending: false, nullsFirst: false })
      .order("subject_id").range(from, to);
    return { rows: z.array(PayoutAlertSchema).parse(unwrap(res)), count: res.count ?? 0 };
  }, [kind]);
  const [acting, setActing] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  return (
    <Section title="Alerts">
      <label>
        Kind{" "}
        <select
          name="alert-kind"
          value={kind}
          onChange={(e) => (setKind(e.currentTarget.value as Alert["kind"] | ""), list.setPage(0))}
        >
          <option value="">all</option>
          {PAYOUT_ALERT_KINDS.map((k) => <option value={k} key={k}>{k.replaceAll("_", " ")}</option>)}
        </select>
      </label>
      {done && <p class="done">{done}</p>}
      <PagedView list={list} empty="No alerts.">
        {(rows) =>
          [...new Set(rows.map((a) => a.kind))].map((kind) => (
            <div class="alert-group" data-kind={kind} key={kind}>
              <h3>{kind.replaceAll("_", " ")}</h3>
              <ul>
                {rows.filter((a) => a.kind === kind).map((a) => {
                  const { advice, call, placementId } = resolvingAction(a);
                  return (
                    <li key={alertKey(a)} data-subject-id={a.subject_id}>
                      {a.subject_type} {shortId(a.subject_id)}
                      {a.amount !== null && a.currency && (
                        <>
                          {" "}
                          <Money amount={a.amount} currency={a.currency} />
                        </>
                      )}
                      {a.detected_at && <span class="when">, since {a.detected_at}</span>}
                      <div class="advice">{advice}</div>
                      {call && (
                        <button
                          type="button"
                          class="resolve"
                          onClick={() => (setActing(alertKey(a)), setDone(null))}
                        >
                          {call.label}
                        </button>
                      )}
                      {placementId && (
                        <a class="open-placement" href={routeHref("placement", placementId)}>Open placement</a>
                      )}
                      {call && acting === alertKey(a) && (
                        <AdminCallBox
                          call={call}
                          subject={`${a.subject_type} ${shortId(a.subject_id)}`}
                          onDone={(what) => (setDone(what), setActing(null), list.reload())}
                          onCancel={() => setActing(null)}
                        />
                      )}
                    </li>
                  );
                })}
              </ul>
            </div>
          ))}
      </PagedView>
    </Section>
  );
}

// Controls' platform-wide calls (button id, call)
const PAUSE: { id: string; call: AdminCall } = {
  id: "pause-payouts",
  call: { rpc: "pause_payouts", args: {}, reason: true, label: "Pause all payouts" },
};
const RESUME: { id: string; call: AdminCall } = {
  id: "resume-payouts",
  call: { rpc: "resume_payouts", args: {}, reason: true, label: "Resume payouts" },
};
const RUN_PAYOUTS: { id: string; call: AdminCall } = {
  id: "run-payouts",
  call: { rpc: "process_due_payout_schedules", args: {}, reason: false, label: "Run payouts now" },
};
const RUN_RELEASES: { id: string; call: AdminCall } = {
  id: "run-releases",
  call: { rpc: "process_due_escrow_releases", args: {}, reason: false, label: "Release due holds now" },
};

/** Controls: the kill switch as it stands (payout_controls) and the platform-wide calls behind a
 * confirmation: pause, resume (always four-eyes: ask a second admin from the box), and run the
 * payout run or the escrow releases now. Per-recruiter pauses are on Recruiters. */
export function Controls() {
  const [controls, setControls] = useState<z.infer<typeof RPC.payout_controls.returns> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const [call, setCall] = useState<AdminCall | null>(null);
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    db().rpc("payout_controls").then((res) => setControls(RPC.payout_controls.returns.parse(unwrap(res))), setError);
  }, [tick]);
  const ask = (c: AdminCall) => (setCall(c), setDone(null));
  if (error !== null) return <ErrorBox error={error} />;
  if (!controls) return <Loading />;
  return (
    <Section title="Controls">
      <p class="payouts-state">
        Payouts:{" "}
        <strong>
          {controls.payouts_paused
            ? `paused since ${controls.paused_at} (${controls.paused_reason ?? "no reason"})`
            : "running"}
        </strong>
      </p>
      <p>
        Payouts fall due at {controls.payout_due_time} UTC, escrow holds are released at {controls.escrow_release_time}
        {" "}
        UTC; a schedule gets {controls.max_failed_attempts} attempts.
      </p>
      {[controls.payouts_paused ? RESUME : PAUSE, RUN_PAYOUTS, RUN_RELEASES].map(({ id, call }) => (
        <button
          type="button"
          id={id}
          key={id}
          onClick={() => ask(call)}
        >
          {call.label}
        </button>
      ))}
      {call && (
        <AdminCallBox
          call={call}
          subject="the platform"
          onDone={(what) => (setDone(what), setCall(null), setTick((t) => t + 1))}
          onCancel={() => setCall(null)}
          key={call.rpc}
        />
      )}
      {done && <p class="done">{done}</p>}
      <p>
        A recruiter's payouts are paused on <a href={routeHref("recruiters")}>Recruiters</a>.
      </p>
    </Section>
  );
}

/** My payouts (recruiters): RLS returns their own payouts only; each with its buckets. */
export function MyPayouts() {
  const list = usePaged(async (from, to) => {
    const res = await db().from("payouts").select("*", { count: "exact" }).order("created_at", { ascending: false })
      .order("id").range(from, to);
    return { rows: z.array(PayoutSchema).parse(unwrap(res)), count: res.count ?? 0 };
  });
  return (
    <Section title="My payouts">
      <PagedView list={list}>
        {(rows) => (
          <table class="rows">
            <thead>
              <tr>
                <th>payout</th>
                <th>placement</th>
                <th>status</th>
                <th>amount</th>
                <BucketHeads />
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr data-payout-id={p.id} key={p.id}>
                  <td title={p.id}>{shortId(p.id)}</td>
                  <td title={p.placement_id}>{shortId(p.placement_id)}</td>
                  <td>{p.status}</td>
                  <td class="amount">
                    <Money amount={p.amount} currency={p.currency} />
                  </td>
                  <BucketCells payout={p} />
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedView>
    </Section>
  );
}

/** Placements a page at a time, newest first: RLS gives a company member their company's, an admin all. */
export function usePlacements() {
  return usePaged(async (from, to) => {
    const res = await db().from("placements").select(PLACEMENT_SELECT, { count: "exact" })
      .order("created_at", { ascending: false }).order("id").range(from, to);
    return { rows: z.array(PlacementSchema).parse(unwrap(res)), count: res.count ?? 0 };
  });
}

/** Placements' granted columns; with `open`, a button per row that opens one. */
export function PlacementsTable(
  { rows, open }: { rows: z.infer<typeof PlacementSchema>[]; open?: (id: string) => void },
) {
  return (
    <table class="rows placements">
      <thead>
        <tr>
          <th>placement</th>
          <th>title</th>
          <th>status</th>
          <th>fee</th>
          <th>hired</th>
          <th>guarantee ends</th>
          {open && <th></th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((p) => (
          <tr data-placement-id={p.id} key={p.id}>
            <td title={p.id}>{shortId(p.id)}</td>
            <td>{p.title ?? "—"}</td>
            <td>{p.status}</td>
            <td>
              <Money amount={p.fee_amount} currency={p.currency} />
            </td>
            <td>{p.hired_at}</td>
            <td>{p.guarantee_expires_at ?? "—"}</td>
            {open && (
              <td>
                <button type="button" class="open-placement" onClick={() => open(p.id)}>Open</button>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Placements (company members): their company's placements, the granted columns only. */
export function Placements() {
  const list = usePlacements();
  return (
    <Section title="Placements">
      <PagedView list={list}>{(rows) => <PlacementsTable rows={rows} />}</PagedView>
    </Section>
  );
}
