// Platform-admin screens beyond Tonight/Alerts/Controls: the four-eyes queue (Approvals) and the
// per-recruiter pause. RPC results are parsed with the API's zod schemas (types/schemas.ts); every
// refusal is shown in words (ErrorBox), and every decision waits for a confirmation.
import { useEffect, useState } from "preact/hooks";
import { z } from "zod";
import { type AdminActionRequestSchema, PayoutTransferSchema, RecruiterSchema, RPC } from "../../types/schemas.ts";
import { db, unwrap } from "./api.ts";

import { PlacementDetail } from "./placement_detail.tsx";
import { type Rate, transfersPerSecond } from "./rate.ts";
import { RateChart } from "./rate_chart.tsx";
import { ConfirmBox, ErrorBox, Loading, Money, PagedView, Section, shortId, usePaged } from "./ui.tsx";

type Request = z.infer<typeof AdminActionRequestSchema>;
type Status = NonNullable<z.input<typeof RPC.admin_action_requests.args>["p_status"]>;
const STATUSES: Status[] = ["pending", "executed", "rejected", "expired", "all"];

/** The signed-in user's id (to mark one's own requests; the database refuses approving them anyway). */
function useMyId(): string | null {
  const [id, setId] = useState<string | null>(null);
  useEffect(() => {
    db().auth.getSession().then(({ data }) => setId(data.session?.user.id ?? null));
  }, []);
  return id;
}

/** The audit trail of one four-eyes request (admin_payout_audit_log, paged by PostgREST): who asked, who decided. */
function RequestTrail({ id, tick }: { id: string; tick: number }) {
  const list = usePaged(async (from, to) => {
    const res = await db().rpc("admin_payout_audit_log", {
      p_entity_type: "admin_action_request",
      p_entity_id: id,
      p_limit: 1000,
    }, { count: "exact" }).order("id").range(from, to);
    return { rows: RPC.admin_payout_audit_log.returns.parse(unwrap(res)), count: res.count ?? 0 };
  }, [id, tick]);
  return (
    <PagedView list={list}>
      {(rows) => (
        <table class="rows trail" data-trail-of={id}>
          <thead>
            <tr>
              <th>when</th>
              <th>audit action</th>
              <th>by</th>
              <th>role</th>
              <th>reason</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <tr data-audit-id={a.id} key={a.id}>
                <td>{a.created_at}</td>
                <td class="audit-action">{a.action}</td>
                <td class="changed-by" title={a.changed_by ?? ""}>{a.changed_by ?? "system"}</td>
                <td>{a.changed_by_role}</td>
                <td class="reason">{a.reason ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </PagedView>
  );
}

/** What a decision is about, in one line: the action and its arguments. */
const describeArgs = (r: Request) =>
  Object.entries(r.args).map(([k, v]) => `${k.replace(/^p_/, "")}: ${v ?? "—"}`).join(", ");

/** Approvals: the four-eyes queue (admin_action_requests, paged by PostgREST), approve or reject
 * behind a confirmation, and a request's audit trail. */
export function Approvals() {
  const me = useMyId();
  const [status, setStatus] = useState<Status>("pending");
  const list = usePaged(async (from, to) => {
    const res = await db().rpc("admin_action_requests", { p_status: status }, { count: "exact" })
      .order("requested_at", { ascending: false }).order("id").range(from, to);
    return { rows: RPC.admin_action_requests.returns.parse(unwrap(res)), count: res.count ?? 0 };
  }, [status]);
  const [confirm, setConfirm] = useState<{ request: Request; decision: "approve" | "reject" } | null>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [decided, setDecided] = useState<Request | null>(null);
  const [trailOf, setTrailOf] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const ask = (request: Request, decision: "approve" | "reject") => (setConfirm({ request, decision }), setError(null));

  const decide = async () => {
    if (!confirm) return;
    setError(null);
    try {
      const { request, decision } = confirm;
      const res = decision === "approve"
        ? await db().rpc(
          "approve_admin_action",
          reason ? { p_request_id: request.id, p_reason: reason } : {
            p_request_id: request.id,
          },
        )
        : await db().rpc("reject_admin_action", { p_request_id: request.id, p_reason: reason });
      const done = RPC[decision === "approve" ? "approve_admin_action" : "reject_admin_action"].returns.parse(
        unwrap(res),
      );
      setDecided(done);
      setTrailOf(done.id);
      setTick((t) => t + 1);
      setConfirm(null);
      setReason("");
      list.reload();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <Section title="Approvals">
      <label>
        Show{" "}
        <select
          name="status"
          value={status}
          onChange={(e) => {
            setStatus(e.currentTarget.value as Status);
            list.setPage(0);
          }}
        >
          {STATUSES.map((s) => <option value={s} key={s}>{s}</option>)}
        </select>
      </label>
      {decided && (
        <p class="done" data-decided={decided.id}>
          Request {shortId(decided.id)} ({decided.action}): {decided.status}
        </p>
      )}
      {confirm && (
        <ConfirmBox
          label="Confirm decision"
          question={
            <>
              {confirm.decision === "approve" ? "Approve and run" : "Reject"} <strong>{confirm.request.action}</strong>
              {confirm.request.amount !== null && confirm.request.currency && (
                <>
                  {" "}of <Money amount={confirm.request.amount} currency={confirm.request.currency} />
                </>
              )} ({describeArgs(confirm.request)}), asked by {confirm.request.requested_by}?
            </>
          }
          reason={{ value: reason, set: setReason, required: confirm.decision === "reject" }}
          yes={`Yes, ${confirm.decision}`}
          onYes={decide}
          onCancel={() => (setConfirm(null), setError(null))}
          error={error}
        />
      )}
      <PagedView list={list} empty={`No ${status === "all" ? "" : status + " "}requests.`}>
        {(rows) => (
          <table class="rows requests">
            <thead>
              <tr>
                <th>request</th>
                <th>action</th>
                <th>arguments</th>
                <th>amount</th>
                <th>requested by</th>
                <th>requested</th>
                <th>expires</th>
                <th>status</th>
                <th>decided by</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr data-request-id={r.id} key={r.id}>
                  <td title={r.id}>{shortId(r.id)}</td>
                  <td class="action">{r.action}</td>
                  <td class="args">{describeArgs(r)}</td>
                  <td>{r.amount !== null && r.currency ? <Money amount={r.amount} currency={r.currency} /> : "—"}</td>
                  <td class="requested-by" title={r.requested_by}>
                    {r.requested_by === me ? "you" : shortId(r.requested_by)}
                  </td>
                  <td>{r.requested_at}</td>
                  <td>{r.expires_at}</td>
                  <td class="status">{r.status}</td>
                  <td class="decided-by" title={r.decided_by ?? ""}>
                    {r.break_glass ? "break glass" : r.decided_by === me ? "you" : shortId(r.decided_by)}
                  </td>
                  <td>
                    {r.status === "pending" && (
                      <>
                        <button type="button" class="approve" onClick={() => ask(r, "approve")}>Approve</button>
                        <button type="button" class="reject" onClick={() => ask(r, "reject")}>Reject</button>
                      </>
                    )}
                    <button type="button" class="show-trail" onClick={() => setTrailOf(r.id)}>Audit trail</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedView>
      {trailOf && (
        <>
          <h3>Audit trail of request {shortId(trailOf)}</h3>
          <RequestTrail id={trailOf} tick={tick} key={trailOf} />
        </>
      )}
    </Section>
  );
}

/** Recruiters: pause or resume one recruiter's payouts (pause_recruiter_payouts, resume_recruiter_payouts). */
export function Recruiters() {
  const [name, setName] = useState("");
  const list = usePaged(async (from, to) => {
    let q = db().from("recruiters").select("*", { count: "exact" });
    // a search box: the name's own % and _ act as wildcards, which is harmless here
    if (name.trim()) q = q.ilike("display_name", `%${name.trim()}%`);
    const res = await q.order("display_name").order("id").range(from, to);
    return { rows: z.array(RecruiterSchema).parse(unwrap(res)), count: res.count ?? 0 };
  }, [name]);
  const [confirm, setConfirm] = useState<{ id: string; name: string; what: "pause" | "resume" } | null>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<unknown>(null);
  const act = async () => {
    if (!confirm) return;
    setError(null);
    try {
      // the database judges the input (a missing reason to pause is its PT400)
      const res = confirm.what === "pause"
        ? await db().rpc("pause_recruiter_payouts", { p_recruiter_id: confirm.id, p_reason: reason })
        : await db().rpc(
          "resume_recruiter_payouts",
          reason ? { p_recruiter_id: confirm.id, p_reason: reason } : { p_recruiter_id: confirm.id },
        );
      RPC[confirm.what === "pause" ? "pause_recruiter_payouts" : "resume_recruiter_payouts"].returns.parse(unwrap(res));
      setConfirm(null);
      setReason("");
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Section title="Recruiters">
      <label>
        Name contains{" "}
        <input
          name="recruiter-name"
          value={name}
          onChange={(e) => (setName(e.currentTarget.value), list.setPage(0))}
        />
      </label>
      {confirm && (
        <ConfirmBox
          label="Confirm recruiter pause"
          question={
            <>
              {confirm.what === "pause" ? "Pause" : "Resume"} the payouts of <strong>{confirm.name}</strong>?
            </>
          }
          reason={{ value: reason, set: setReason }}
          yes={`Yes, ${confirm.what}`}
          onYes={act}
          onCancel={() => (setConfirm(null), setError(null))}
          error={error}
        />
      )}
      <PagedView list={list}>
        {(rows) => (
          <table class="rows recruiters">
            <thead>
              <tr>
                <th>recruiter</th>
                <th>name</th>
                <th>payouts</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr data-recruiter-id={r.id} key={r.id}>
                  <td title={r.id}>{shortId(r.id)}</td>
                  <td>{r.display_name}</td>
                  <td class="paused">{r.payouts_paused ? `paused (${r.paused_reason ?? "no reason"})` : "active"}</td>
                  <td>
                    <button
                      type="button"
                      class={r.payouts_paused ? "resume" : "pause"}
                      onClick={() => (
                        setConfirm({ id: r.id, name: r.display_name, what: r.payouts_paused ? "resume" : "pause" }),
                          setError(null)
                      )}
                    >
                      {r.payouts_paused ? "Resume" : "Pause"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedView>
    </Section>
  );
}

/** PostgREST's cap on rows per answer: a run's tranches are read in chunks of it. */
const CHUNK = 1000;
const CompletionSchema = PayoutTransferSchema.pick({ id: true, succeeded_at: true, failed_at: true, unknown_at: true });
const OUTCOMES = [
  "claimed",
  "paid",
  "adopted",
  "failed",
  "unknown",
  "deferred",
  "skipped",
  "cancelled",
  "released",
] as const;

/** The chart of one run: its tranches (payout_transfers claimed by it), by completion time. */
function RunRate({ runId }: { runId: string }) {
  const [rate, setRate] = useState<Rate | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    (async () => {
      const times: (string | null)[] = [];
      for (let from = 0;; from += CHUNK) {
        const res = await db().from("payout_transfers").select("id, succeeded_at, failed_at, unknown_at")
          .eq("claimed_by_run", runId).order("id").range(from, from + CHUNK - 1);
        const chunk = z.array(CompletionSchema).parse(unwrap(res));
        times.push(...chunk.map((t) => t.succeeded_at ?? t.failed_at ?? t.unknown_at));
        if (chunk.length < CHUNK) break;
      }
      setRate(transfersPerSecond(times));
    })().catch(setError);
  }, [runId]);
  if (error !== null) return <ErrorBox error={error} />;
  if (!rate) return <Loading />;
  return rate.total === 0 ? <p class="empty">No tranche of this run has completed.</p> : <RateChart rate={rate} />;
}

/** Runs: payout-run history (admin_payout_runs), paged on the server, outcomes per run, and the
 * chosen run's transfers per second. */
export function Runs() {
  const [kind, setKind] = useState<"payout_schedules" | "escrow_releases" | "">("payout_schedules");
  const list = usePaged(async (from, to) => {
    let q = db().rpc("admin_payout_runs", {}, { count: "exact" });
    if (kind) q = q.eq("kind", kind);
    const res = await q.order("started_at", { ascending: false }).order("id").range(from, to);
    return { rows: RPC.admin_payout_runs.returns.parse(unwrap(res)), count: res.count ?? 0 };
  }, [kind]);
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <Section title="Runs">
      <label>
        Kind{" "}
        <select
          name="run-kind"
          value={kind}
          onChange={(e) => (setKind(e.currentTarget.value as typeof kind), list.setPage(0))}
        >
          <option value="payout_schedules">payouts</option>
          <option value="escrow_releases">escrow releases</option>
          <option value="">all</option>
        </select>
      </label>
      <PagedView list={list} empty="No runs yet.">
        {(rows) => (
          <table class="rows runs">
            <thead>
              <tr>
                <th>run</th>
                <th>kind</th>
                <th>trigger</th>
                <th>started</th>
                <th>finished</th>
                <th>invocations</th>
                {OUTCOMES.map((o) => <th key={o}>{o}</th>)}
                <th>errors</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr data-run-id={r.id} key={r.id} class={r.id === chosen ? "chosen" : ""}>
                  <td title={r.id}>{shortId(r.id)}</td>
                  <td>{r.kind}</td>
                  <td>{r.trigger}</td>
                  <td>{r.started_at}</td>
                  <td class="finished">
                    {r.status === "running" ? "running" : `${r.finished_at} (${r.finish_reason})`}
                  </td>
                  <td>{r.invocations}</td>
                  {OUTCOMES.map((o) => <td key={o} class={o}>{r[o]}</td>)}
                  <td class="error-count">{r.error_count}</td>
                  <td>
                    {r.kind === "payout_schedules" && (
                      <button
                        type="button"
                        class="show-rate"
                        onClick={() => setChosen(r.id)}
                      >
                        Transfers/s
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedView>
      {chosen && (
        <>
          <h3>Transfers per second of run {shortId(chosen)}</h3>
          <RunRate runId={chosen} key={chosen} />
        </>
      )}
    </Section>
  );
}

/** The nav entries of this file's screens (app.tsx adds them after the admin's first three). */
export const ADMIN_SCREENS = [
  { id: "runs", label: "Runs", view: Runs },
  { id: "approvals", label: "Approvals", view: Approvals },
  { id: "recruiters", label: "Recruiters", view: Recruiters },
  { id: "placement", label: "Placement detail", view: PlacementDetail },
];
