// The screens, per role. Each reads what RLS lets the signed-in user read; RPC results are parsed
// with the API's zod schemas (types/schemas.ts), so a drifted answer is an error in words too.
import { useEffect, useState } from "preact/hooks";
import { z } from "zod";
import {
  PayoutAlertSchema,
  PayoutRunPreviewRowSchema,
  PayoutSchema,
  PLACEMENT_SELECT,
  PlacementSchema,
  RPC,
} from "../../types/schemas.ts";
import { db, unwrap } from "./api.ts";
import { totalsByCurrency } from "./money.ts";
import { ErrorBox, Loading, Money, Pager, Section, shortId, usePaged } from "./ui.tsx";

/** PostgREST's cap on rows per answer (PGRST_DB_MAX_ROWS): totals read the preview in chunks of it. */
const CHUNK = 1000;

const TotalsRowSchema = PayoutRunPreviewRowSchema.pick({
  payout_id: true,
  currency: true,
  amount: true,
  would_pay: true,
});

/** Tonight: what the next payout run would pay (payout_run_preview), why not, and totals per currency. */
export function Tonight() {
  const list = usePaged(async (from, to) => {
    const res = await db().rpc("payout_run_preview", {}, { count: "exact" }).order("payout_id").range(from, to);
    return { rows: RPC.payout_run_preview.returns.parse(unwrap(res)), count: res.count ?? 0 };
  });
  const [totals, setTotals] = useState<Map<string, bigint> | null>(null);
  const [totalsError, setTotalsError] = useState<unknown>(null);
  useEffect(() => {
    (async () => {
      const rows: z.infer<typeof TotalsRowSchema>[] = [];
      for (let from = 0;; from += CHUNK) {
        const res = await db().rpc("payout_run_preview", {}).select("payout_id, currency, amount, would_pay").order(
          "payout_id",
        )
          .range(from, from + CHUNK - 1);
        const chunk = z.array(TotalsRowSchema).parse(unwrap(res));
        rows.push(...chunk);
        if (chunk.length < CHUNK) break;
      }
      setTotals(totalsByCurrency(rows.filter((r) => r.would_pay)));
    })().catch(setTotalsError);
  }, []);

  return (
    <Section title="Tonight">
      <h3>Totals the run would pay, per currency</h3>
      {totalsError ? <ErrorBox error={totalsError} /> : !totals ? <Loading /> : (
        <table class="totals">
          <tbody>
            {totals.size === 0 && (
              <tr>
                <td>nothing to pay</td>
              </tr>
            )}
            {[...totals].map(([currency, amount]) => (
              <tr data-currency={currency} key={currency}>
                <th>{currency}</th>
                <td class="total">
                  <Money amount={amount} currency={currency} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Payouts with money outstanding</h3>
      {list.error ? <ErrorBox error={list.error} /> : !list.data ? <Loading /> : (
        <>
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
              {list.data.rows.map((r) => (
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
          <Pager page={list.page} count={list.data.count} setPage={list.setPage} />
        </>
      )}
    </Section>
  );
}

/** Alerts: payout_alerts (platform admins only), a page at a time, grouped by kind. */
export function Alerts() {
  const list = usePaged(async (from, to) => {
    const res = await db().from("payout_alerts").select("*", { count: "exact" }).order("kind").order("subject_id")
      .range(from, to);
    return { rows: z.array(PayoutAlertSchema).parse(unwrap(res)), count: res.count ?? 0 };
  });
  if (list.error) return <ErrorBox error={list.error} />;
  if (!list.data) return <Loading />;
  const kinds = [...new Set(list.data.rows.map((a) => a.kind))];
  return (
    <Section title="Alerts">
      {kinds.length === 0 && <p class="empty">No alerts.</p>}
      {kinds.map((kind) => (
        <div class="alert-group" data-kind={kind} key={kind}>
          <h3>{kind.replaceAll("_", " ")}</h3>
          <ul>
            {list.data!.rows.filter((a) => a.kind === kind).map((a) => (
              <li key={`${a.subject_type}:${a.subject_id}`}>
                {a.subject_type} {shortId(a.subject_id)}
                {a.amount !== null && a.currency && (
                  <>
                    {" "}
                    <Money amount={a.amount} currency={a.currency} />
                  </>
                )}
                {a.detected_at && <span class="when">, since {a.detected_at}</span>}
              </li>
            ))}
          </ul>
        </div>
      ))}
      <Pager page={list.page} count={list.data.count} setPage={list.setPage} />
    </Section>
  );
}

/** Controls: the kill switch (pause_payouts, resume_payouts). Refusals are shown in words. */
export function Controls() {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const act = async (what: "pause" | "resume") => {
    setError(null);
    setDone(null);
    try {
      // The database judges the input (a missing reason is its PT400), whoever calls.
      const res = what === "pause"
        ? await db().rpc("pause_payouts", { p_reason: reason })
        : await db().rpc("resume_payouts", reason ? { p_reason: reason } : {});
      const controls = RPC[what === "pause" ? "pause_payouts" : "resume_payouts"].returns.parse(unwrap(res));
      setDone(JSON.stringify(controls));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Section title="Controls">
      <label>
        Reason <input name="reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <button type="button" id="pause-payouts" onClick={() => act("pause")}>Pause all payouts</button>
      <button type="button" id="resume-payouts" onClick={() => act("resume")}>Resume payouts</button>
      {error !== null && <ErrorBox error={error} />}
      {done && <p class="done">Done: {done}</p>}
    </Section>
  );
}

const BUCKETS = [
  "paid_amount",
  "in_flight_amount",
  "payable_amount",
  "held_amount",
  "forfeited_amount",
  "reversed_amount",
] as const;

/** My payouts (recruiters): RLS returns their own payouts only; each with its buckets. */
export function MyPayouts() {
  const list = usePaged(async (from, to) => {
    const res = await db().from("payouts").select("*", { count: "exact" }).order("created_at", { ascending: false })
      .order("id").range(from, to);
    return { rows: z.array(PayoutSchema).parse(unwrap(res)), count: res.count ?? 0 };
  });
  if (list.error) return <ErrorBox error={list.error} />;
  if (!list.data) return <Loading />;
  return (
    <Section title="My payouts">
      <table class="rows">
        <thead>
          <tr>
            <th>payout</th>
            <th>placement</th>
            <th>status</th>
            <th>amount</th>
            {BUCKETS.map((b) => <th key={b}>{b.replace("_amount", "").replace("_", " ")}</th>)}
          </tr>
        </thead>
        <tbody>
          {list.data.rows.map((p) => (
            <tr data-payout-id={p.id} key={p.id}>
              <td title={p.id}>{shortId(p.id)}</td>
              <td title={p.placement_id}>{shortId(p.placement_id)}</td>
              <td>{p.status}</td>
              <td class="amount">
                <Money amount={p.amount} currency={p.currency} />
              </td>
              {BUCKETS.map((b) => (
                <td key={b} class={b}>
                  <Money amount={p[b]} currency={p.currency} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <Pager page={list.page} count={list.data.count} setPage={list.setPage} />
    </Section>
  );
}

/** Placements (company members): their company's placements, the granted columns only. */
export function Placements() {
  const list = usePaged(async (from, to) => {
    const res = await db().from("placements").select(PLACEMENT_SELECT, { count: "exact" })
      .order("created_at", { ascending: false }).order("id").range(from, to);
    return { rows: z.array(PlacementSchema).parse(unwrap(res)), count: res.count ?? 0 };
  });
  if (list.error) return <ErrorBox error={list.error} />;
  if (!list.data) return <Loading />;
  return (
    <Section title="Placements">
      <table class="rows">
        <thead>
          <tr>
            <th>placement</th>
            <th>title</th>
            <th>status</th>
            <th>fee</th>
            <th>hired</th>
            <th>guarantee ends</th>
          </tr>
        </thead>
        <tbody>
          {list.data.rows.map((p) => (
            <tr data-placement-id={p.id} key={p.id}>
              <td title={p.id}>{shortId(p.id)}</td>
              <td>{p.title ?? "—"}</td>
              <td>{p.status}</td>
              <td>
                <Money amount={p.fee_amount} currency={p.currency} />
              </td>
              <td>{p.hired_at}</td>
              <td>{p.guarantee_expires_at ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager page={list.page} count={list.data.count} setPage={list.setPage} />
    </Section>
  );
}
