// Small building blocks: error box, money, a server-paginated list, and a confirmation box.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { PAGE_SIZE } from "./config.ts";
import { describeError } from "./errors.ts";
import { formatMoney } from "./money.ts";

export function ErrorBox({ error }: { error: unknown }) {
  const d = describeError(error);
  return (
    <div class="error" role="alert">
      <strong>{d.title}</strong>
      {d.code && <code class="code">{d.code}</code>}
      <div class="error-text">{d.text}</div>
    </div>
  );
}

export function Money({ amount, currency }: { amount: number | bigint; currency: string }) {
  return <span class="money">{formatMoney(amount, currency)}</span>;
}

export interface Page<T> {
  rows: T[];
  /** Rows on the server (PostgREST's count), for the pager. */
  count: number;
}

export interface Paged<T> {
  page: number;
  setPage: (p: number) => void;
  data: Page<T> | null;
  error: unknown;
  /** The data shown answers an earlier query (page, filter or reload) than the one now asked for. */
  stale: boolean;
  reload: () => void;
}

/** Loads one page at a time from the server (PostgREST range); reload() after an action. */
export function usePaged<T>(load: (from: number, to: number) => Promise<Page<T>>, deps: unknown[] = []): Paged<T> {
  const [page, setPage] = useState(0);
  const [tick, setTick] = useState(0);
  // what the shown data (or error) answers: compared with the query asked for in this render, so
  // a page, filter or reload marks the view stale at once, before its effect has run
  const query = JSON.stringify([page, tick, ...deps]);
  const [answer, setAnswer] = useState<{ query: string; data: Page<T> | null; error: unknown } | null>(null);
  useEffect(() => {
    let live = true;
    load(page * PAGE_SIZE, page * PAGE_SIZE + PAGE_SIZE - 1).then(
      (data) => live && setAnswer({ query, data, error: null }),
      (error) => live && setAnswer({ query, data: null, error }),
    );
    return () => {
      live = false;
    };
  }, [query]);
  return {
    page,
    setPage,
    data: answer?.data ?? null,
    error: answer?.error ?? null,
    stale: answer?.query !== query,
    reload: () => setTick((t) => t + 1),
  };
}

export function Pager({ page, count, setPage }: { page: number; count: number; setPage: (p: number) => void }) {
  const pages = Math.max(1, Math.ceil(count / PAGE_SIZE));
  return (
    <div class="pager">
      <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>Previous</button>
      <span class="page-info">page {page + 1} of {pages} ({count} rows)</span>
      <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>Next</button>
    </div>
  );
}

/** A server-paged list: its error in words, or loading, or its rows (as `children` draws them) and the
 * pager. While a new page or filter loads, the old rows stay, marked aria-busy (and dimmed). */
export function PagedView<T>(
  { list, empty, children }: { list: Paged<T>; empty?: string; children: (rows: T[]) => ComponentChildren },
) {
  let body: ComponentChildren;
  if (list.error) body = <ErrorBox error={list.error} />;
  else if (!list.data) body = <Loading />;
  else {
    body = (
      <>
        {list.data.count === 0 && empty && <p class="empty">{empty}</p>}
        {children(list.data.rows)}
        <Pager page={list.page} count={list.data.count} setPage={list.setPage} />
      </>
    );
  }
  return <div class="paged" aria-busy={list.stale ? "true" : "false"}>{body}</div>;
}

/** The confirmation every decision waits for: the question, a reason when the call takes one, yes
 * (#confirm-yes) or cancel (#confirm-cancel), and the refusal in words when there is one. */
export function ConfirmBox(props: {
  label: string;
  question: ComponentChildren;
  /** null: the call takes no reason. */
  reason: { value: string; set: (v: string) => void; required?: boolean } | null;
  yes: string;
  onYes: () => void;
  onCancel: () => void;
  error: unknown;
  /** More buttons, after yes (e.g. "Ask a second admin"). */
  children?: ComponentChildren;
}) {
  const { reason } = props;
  return (
    <div class="confirm" role="dialog" aria-label={props.label}>
      <p>{props.question}</p>
      {reason && (
        <label>
          Reason{reason.required ? " (required)" : ""}{" "}
          <input name="confirm-reason" value={reason.value} onInput={(e) => reason.set(e.currentTarget.value)} />
        </label>
      )}
      <button type="button" id="confirm-yes" onClick={props.onYes}>{props.yes}</button>
      {props.children}
      <button type="button" id="confirm-cancel" onClick={props.onCancel}>Cancel</button>
      {props.error !== null && props.error !== undefined && <ErrorBox error={props.error} />}
    </div>
  );
}

export function Loading() {
  return <p class="loading">Loading…</p>;
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** A payout's money buckets (docs/money-model.md), in the order the console shows them. */
export const PAYOUT_BUCKETS = [
  "paid_amount",
  "in_flight_amount",
  "payable_amount",
  "held_amount",
  "forfeited_amount",
  "reversed_amount",
] as const;
type Buckets = { [b in (typeof PAYOUT_BUCKETS)[number]]: number } & { currency: string };

export const BucketHeads = () => (
  <>{PAYOUT_BUCKETS.map((b) => <th key={b}>{b.replace("_amount", "").replace("_", " ")}</th>)}</>
);

/** A payout's buckets as table cells, each with its bucket's class (paid_amount, ...). */
export const BucketCells = ({ payout }: { payout: Buckets }) => (
  <>
    {PAYOUT_BUCKETS.map((b) => (
      <td key={b} class={b}>
        <Money amount={payout[b]} currency={payout.currency} />
      </td>
    ))}
  </>
);

export const shortId = (id: string | null) => (id ? id.slice(0, 8) : "—");
