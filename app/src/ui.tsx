// Small building blocks: error box, money, and a server-paginated list.
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

/** Loads one page at a time from the server (PostgREST range); reload() after an action. */
export function usePaged<T>(load: (from: number, to: number) => Promise<Page<T>>, deps: unknown[] = []) {
  const [page, setPage] = useState(0);
  const [data, setData] = useState<Page<T> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setError(null);
    load(page * PAGE_SIZE, page * PAGE_SIZE + PAGE_SIZE - 1).then(
      (d) => live && setData(d),
      (e) => live && (setError(e), setData(null)),
    );
    return () => {
      live = false;
    };
  }, [page, tick, ...deps]);
  return { page, setPage, data, error, reload: () => setTick((t) => t + 1) };
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

export const shortId = (id: string | null) => (id ? id.slice(0, 8) : "—");
