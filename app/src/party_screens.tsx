// The parties' own screens: a recruiter's statement (with its CSV), next expected payout and Connect
// onboarding; a company member's invoices and escrow holds (dates and status, no amounts). Each
// reads what RLS and the RPCs' gates let the signed-in user read; results parsed with types/schemas.ts.
import { useEffect, useState } from "preact/hooks";
import { z } from "zod";
import {
  COMPANY_INVOICE_SELECT,
  CompanyInvoiceSchema,
  PayoutScheduleSchema,
  PlacementEscrowHoldSchema,
  RPC,
  type StatementLineSchema,
} from "../../types/schemas.ts";
import { db, unwrap } from "./api.ts";
import { consoleConfig } from "./config.ts";
import { MyPayouts } from "./screens.tsx";
import { fetchStatementCsv, FunctionError, type StatementPeriod } from "./statement_csv.ts";
import { ErrorBox, Loading, Money, PagedView, Section, shortId, usePaged } from "./ui.tsx";

type Line = z.infer<typeof StatementLineSchema>;

const day = (d: Date) => d.toISOString().slice(0, 10);
const DAY_MS = 86_400_000;

/** The signed-in user's access token (every call below is made with it). */
async function accessToken(): Promise<string> {
  const { data, error } = await db().auth.getSession();
  if (error) throw error;
  if (!data.session) throw new Error("not signed in");
  return data.session.access_token;
}

function Balances({ line, label }: { line: Line; label: string }) {
  return (
    <tr class={line.kind} data-kind={line.kind}>
      <th>{label}</th>
      <td class="owed">
        <Money amount={line.owed_balance} currency={line.currency} />
      </td>
      <td class="held">
        <Money amount={line.held_balance} currency={line.currency} />
      </td>
      <td class="clawback">
        <Money amount={line.clawback_balance} currency={line.currency} />
      </td>
    </tr>
  );
}

/** My statement (recruiters): my_statement of [from, to) in one currency, a page of lines at a time,
 * opening and closing balances, and the CSV (statement-export, every page of it). */
export function MyStatement() {
  const today = new Date();
  const [form, setForm] = useState({
    from: day(new Date(today.getTime() - 365 * DAY_MS)),
    to: day(new Date(today.getTime() + DAY_MS)),
    currency: "USD",
  });
  const [period, setPeriod] = useState(form);
  const args = { p_from: `${period.from}T00:00:00Z`, p_to: `${period.to}T00:00:00Z`, p_currency: period.currency };
  const statement = () => db().rpc("my_statement", RPC.my_statement.args.parse(args));
  const list = usePaged(async (from, to) => {
    const res = await db().rpc("my_statement", RPC.my_statement.args.parse(args), { count: "exact" })
      .order("line_key").range(from, to);
    return { rows: RPC.my_statement.returns.parse(unwrap(res)), count: res.count ?? 0 };
  }, [period.from, period.to, period.currency]);
  const [ends, setEnds] = useState<{ opening: Line; closing: Line } | null>(null);
  const [endsError, setEndsError] = useState<unknown>(null);
  useEffect(() => {
    setEnds(null);
    setEndsError(null);
    // the two balance lines only: PostgREST filters the function's result on the server
    (async () => {
      const res = await statement().in("kind", ["opening_balance", "closing_balance"]).order("line_key");
      const [opening, closing] = RPC.my_statement.returns.parse(unwrap(res));
      if (opening?.kind !== "opening_balance" || closing?.kind !== "closing_balance") {
        throw new Error("the statement has no opening and closing balance lines");
      }
      setEnds({ opening, closing });
    })().catch(setEndsError);
  }, [period.from, period.to, period.currency]);

  const [csv, setCsv] = useState<{ url: string; rows: number; requests: number; name: string } | null>(null);
  const [csvError, setCsvError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    setCsvError(null);
    try {
      const { apiUrl, anonKey } = consoleConfig();
      const p: StatementPeriod = { from: args.p_from, to: args.p_to, currency: args.p_currency };
      const out = await fetchStatementCsv({ apiUrl, anonKey, jwt: await accessToken(), period: p });
      if (csv) URL.revokeObjectURL(csv.url);
      const url = URL.createObjectURL(new Blob([out.csv], { type: "text/csv" }));
      const name = `statement-${period.currency}-${period.from}-${period.to}.csv`;
      setCsv({ url, rows: out.rows, requests: out.requests, name });
      // the browser saves it, as a link the user clicked would
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      a.click();
    } catch (e) {
      setCsvError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="My statement">
      <form
        class="period"
        onSubmit={(e) => {
          e.preventDefault();
          setPeriod(form);
          list.setPage(0);
        }}
      >
        <label>
          From{" "}
          <input
            name="from"
            type="date"
            value={form.from}
            onInput={(e) => setForm({ ...form, from: e.currentTarget.value })}
          />
        </label>
        <label>
          To (exclusive){" "}
          <input
            name="to"
            type="date"
            value={form.to}
            onInput={(e) => setForm({ ...form, to: e.currentTarget.value })}
          />
        </label>
        <label>
          Currency{" "}
          <input
            name="currency"
            size={4}
            value={form.currency}
            onInput={(e) => setForm({ ...form, currency: e.currentTarget.value.toUpperCase() })}
          />
        </label>
        <button type="submit">Show</button>
      </form>
      <h3>Balances</h3>
      {endsError !== null ? <ErrorBox error={endsError} /> : !ends ? <Loading /> : (
        <table class="balances">
          <thead>
            <tr>
              <th></th>
              <th>owed</th>
              <th>held</th>
              <th>clawback</th>
            </tr>
          </thead>
          <tbody>
            <Balances line={ends.opening} label={`opening, ${period.from}`} />
            <Balances line={ends.closing} label={`closing, ${period.to}`} />
          </tbody>
        </table>
      )}
      <p>
        <button type="button" id="download-statement" disabled={busy} onClick={download}>
          {busy ? "Exporting…" : "Download CSV"}
        </button>
        {csv && (
          <a id="statement-csv" href={csv.url} download={csv.name} data-rows={csv.rows}>
            {csv.name} ({csv.rows} lines, {csv.requests} {csv.requests === 1 ? "request" : "requests"})
          </a>
        )}
      </p>
      {csvError !== null && <ErrorBox error={csvError} />}
      <h3>Lines</h3>
      <PagedView list={list}>
        {(rows) => (
          <>
            <table class="rows statement">
              <thead>
                <tr>
                  <th>when</th>
                  <th>kind</th>
                  <th>placement</th>
                  <th>amount</th>
                  <th>owed</th>
                  <th>held</th>
                  <th>clawback</th>
                  <th>Stripe</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((l) => (
                  <tr data-line-key={l.line_key} data-kind={l.kind} key={l.line_key}>
                    <td>{l.occurred_at}</td>
                    <td class="kind">{l.kind.replaceAll("_", " ")}</td>
                    <td title={l.placement_id ?? ""}>{shortId(l.placement_id)}</td>
                    <td class="amount">
                      {l.amount === null ? "—" : <Money amount={l.amount} currency={l.currency} />}
                    </td>
                    <td class="owed">
                      <Money amount={l.owed_balance} currency={l.currency} />
                    </td>
                    <td class="held">
                      <Money amount={l.held_balance} currency={l.currency} />
                    </td>
                    <td class="clawback">
                      <Money amount={l.clawback_balance} currency={l.currency} />
                    </td>
                    <td>{l.stripe_id ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </PagedView>
    </Section>
  );
}

const NextScheduleSchema = PayoutScheduleSchema.pick({ payout_id: true, next_attempt_at: true, scheduled_date: true });
const NextReleaseSchema = z.object({ payout_id: z.string(), release_scheduled_date: z.iso.date() });

/** When money is next expected: the earliest live schedule's attempt, or the earliest hold release. */
function NextPayout() {
  const [next, setNext] = useState<
    { schedule: z.infer<typeof NextScheduleSchema> | null; release: z.infer<typeof NextReleaseSchema> | null } | null
  >(
    null,
  );
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    Promise.all([
      db().from("payout_schedules").select("payout_id, next_attempt_at, scheduled_date").in("status", [
        "pending",
        "failed",
      ])
        .eq("is_exhausted", false).order("next_attempt_at", { ascending: true, nullsFirst: false })
        .order("scheduled_date").limit(1),
      db().from("escrow_holds").select("payout_id, release_scheduled_date").eq("status", "active")
        .not("release_scheduled_date", "is", null).order("release_scheduled_date").limit(1),
    ]).then(([s, h]) => {
      setNext({
        schedule: z.array(NextScheduleSchema).parse(unwrap(s))[0] ?? null,
        release: z.array(NextReleaseSchema).parse(unwrap(h))[0] ?? null,
      });
    }).catch(setError);
  }, []);
  if (error !== null) return <ErrorBox error={error} />;
  if (!next) return <Loading />;
  const scheduleDate = next.schedule
    ? (next.schedule.next_attempt_at ?? next.schedule.scheduled_date).slice(0, 10)
    : null;
  const releaseDate = next.release?.release_scheduled_date ?? null;
  const expected = [scheduleDate, releaseDate].filter((d): d is string => d !== null).sort()[0] ?? null;
  return (
    <div class="next-payout">
      <p>
        Next expected payout: <strong id="next-payout-date">{expected ?? "none scheduled"}</strong>
      </p>
      <ul>
        <li>
          next scheduled transfer:{" "}
          <span id="next-schedule">
            {scheduleDate ? `${scheduleDate} (payout ${shortId(next.schedule!.payout_id)})` : "none"}
          </span>
        </li>
        <li>
          next escrow release:{" "}
          <span id="next-release">
            {releaseDate ? `${releaseDate} (payout ${shortId(next.release!.payout_id)})` : "none"}
          </span>
        </li>
      </ul>
    </div>
  );
}

/** My payouts, with the next expected payout date above the list. */
export function RecruiterPayouts() {
  return (
    <>
      <NextPayout />
      <MyPayouts />
    </>
  );
}

/** What connect-onboarding's onboard action answers (the link is the recruiter's only). */
const OnboardAnswerSchema = z.object({ onboarding_url: z.url().nullable() }).loose();

/** Onboarding (recruiters): my_connect_status, and a fresh Stripe onboarding link on request. */
export function MyConnect() {
  const [status, setStatus] = useState<z.infer<typeof RPC.my_connect_status.returns>[number] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [link, setLink] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    (async () => {
      const res = await db().rpc("my_connect_status");
      setStatus(RPC.my_connect_status.returns.parse(unwrap(res))[0]);
    })().catch(setError);
  }, []);
  const onboard = async () => {
    setBusy(true);
    setError(null);
    try {
      const { data, error } = await db().functions.invoke("connect-onboarding", { body: { action: "onboard" } });
      if (error) {
        // the function's answer (its JSON reason), in words
        const ctx = (error as { context?: unknown }).context;
        throw ctx instanceof Response ? new FunctionError("connect-onboarding", ctx.status, await ctx.text()) : error;
      }
      const url = OnboardAnswerSchema.parse(data).onboarding_url;
      if (!url) throw new Error("connect-onboarding returned no onboarding link");
      setLink(url);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  if (!status && error === null) return <Loading />;
  const needsForm = status && ["not_started", "creating", "onboarding", "restricted"].includes(status.state);
  return (
    <Section title="Payout account (Stripe Connect)">
      {status && (
        <>
          <p>
            Status: <strong id="connect-state" data-state={status.state}>{status.state.replaceAll("_", " ")}</strong>
            {status.can_receive_transfers ? " — payouts can be transferred" : " — payouts cannot be transferred yet"}
          </p>
          {status.requirements_currently_due.length > 0 && (
            <p>Stripe still needs: {status.requirements_currently_due.join(", ")}</p>
          )}
          {Object.keys(status.waiting_amounts).length > 0 && (
            <p class="waiting">
              Waiting on onboarding:{" "}
              {Object.entries(status.waiting_amounts).map(([c, a]) => <Money key={c} amount={a} currency={c} />)}
            </p>
          )}
          {needsForm && (
            <button type="button" id="continue-onboarding" disabled={busy} onClick={onboard}>
              {status.state === "not_started" ? "Start onboarding" : "Continue onboarding"}
            </button>
          )}
          {link && (
            <p>
              <a id="onboarding-link" href={link}>Continue onboarding at Stripe</a>
            </p>
          )}
        </>
      )}
      {error !== null && <ErrorBox error={error} />}
    </Section>
  );
}

/** Invoices (company members): their company's Stripe invoices (RLS: company admins; hiring managers none). */
export function CompanyInvoices() {
  const list = usePaged(async (from, to) => {
    const res = await db().from("company_invoices").select(COMPANY_INVOICE_SELECT, { count: "exact" })
      .order("created_at", { ascending: false }).order("id").range(from, to);
    return { rows: z.array(CompanyInvoiceSchema).parse(unwrap(res)), count: res.count ?? 0 };
  });
  return (
    <Section title="Invoices">
      <PagedView list={list} empty="No invoices for you to see.">
        {(rows) => (
          <table class="rows">
            <thead>
              <tr>
                <th>number</th>
                <th>placement</th>
                <th>status</th>
                <th>amount due</th>
                <th>due</th>
                <th>invoice</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((i) => (
                <tr data-invoice-id={i.id} key={i.id}>
                  <td>{i.number ?? "—"}</td>
                  <td title={i.placement_id}>{shortId(i.placement_id)}</td>
                  <td class="status">{i.status}</td>
                  <td class="amount-due">
                    <Money amount={i.amount_due} currency={i.currency} />
                  </td>
                  <td>{i.due_at?.slice(0, 10) ?? "—"}</td>
                  <td>
                    {i.hosted_invoice_url
                      ? <a class="hosted" href={i.hosted_invoice_url} target="_blank" rel="noopener">View and pay</a>
                      : "not sent yet"}
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

/** Escrow holds (company members): the view placement_escrow_holds, which has no amounts. */
export function CompanyHolds() {
  const list = usePaged(async (from, to) => {
    const res = await db().from("placement_escrow_holds").select(
      "id, placement_id, currency, hold_reason, status, held_at, release_scheduled_date, released_at, cancelled_at",
      { count: "exact" },
    ).order("held_at", { ascending: false }).order("id").range(from, to);
    return { rows: z.array(PlacementEscrowHoldSchema).parse(unwrap(res)), count: res.count ?? 0 };
  });
  return (
    <Section title="Escrow holds">
      <p>Money held back from the recruiters during the guarantee period: when it is released, and its status.</p>
      <PagedView list={list}>
        {(rows) => (
          <table class="rows">
            <thead>
              <tr>
                <th>placement</th>
                <th>reason</th>
                <th>status</th>
                <th>held since</th>
                <th>release date</th>
                <th>released</th>
                <th>cancelled</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((h) => (
                <tr data-hold-id={h.id} key={h.id}>
                  <td title={h.placement_id}>{shortId(h.placement_id)}</td>
                  <td>{h.hold_reason.replaceAll("_", " ")}</td>
                  <td class="status">{h.status}</td>
                  <td>{h.held_at.slice(0, 10)}</td>
                  <td class="release-date">{h.release_scheduled_date ?? "by hand"}</td>
                  <td>{h.released_at?.slice(0, 10) ?? "—"}</td>
                  <td>{h.cancelled_at?.slice(0, 10) ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PagedView>
    </Section>
  );
}
