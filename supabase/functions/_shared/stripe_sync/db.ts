/**
 * Database calls of the Stripe sync functions: each one a transaction of its own, as the
 * least-privilege role (`stripe_sync`, switched to per transaction) with the given actor role
 * (`webhook` for events, `job` for the doorbell-rung workers). Only `security definer` entry
 * points in `private` are called (see supabase/migrations/20261130*).
 */
import { inJobTransaction, type Sql, type TxSql } from "../platform/db.ts";
import type { WebhookEffect } from "./events.ts";

/** How one Stripe sync function reaches the database. */
export interface StripeSyncDb {
  sql: Sql;
  role: string;
}

/** Runs `fn` in one transaction as `stripe_sync` with the given actor. */
export function inStripeSyncTransaction<T>(
  db: StripeSyncDb,
  actorRole: "webhook" | "job" | "cron",
  fn: (tx: TxSql) => Promise<T>,
): Promise<T> {
  return inJobTransaction(db.sql, { actorRole, dbRole: db.role, statementTimeoutMs: 30_000 }, fn);
}

/** The stored state of an event after `receive`. */
export interface ReceivedEvent {
  event_id: string;
  status: "received" | "processed" | "ignored" | "failed";
  attempts: number;
  deliveries: number;
  duplicate: boolean;
}

/** The webhook inbox (private.*_stripe_webhook_event*). */
export interface WebhookInbox {
  receive(event: unknown, endpoint: "platform" | "connect"): Promise<ReceivedEvent>;
  process(eventId: string, effect: WebhookEffect): Promise<Record<string, unknown>>;
  /**
   * `receive` then, unless a duplicate, `process`, in one transaction (an effect decided without
   * Stripe). Throws when processing fails: nothing is stored then.
   */
  receiveAndProcess(
    event: unknown,
    endpoint: "platform" | "connect",
    effect: WebhookEffect,
  ): Promise<ReceivedEvent & { result: Record<string, unknown> | null }>;
  fail(eventId: string, error: { code: string; message: string }): Promise<void>;
  toRetry(limit: number): Promise<Array<{ event_id: string; endpoint: "platform" | "connect"; payload: unknown }>>;
}

/** The inbox over Postgres. */
export function createWebhookInbox(db: StripeSyncDb): WebhookInbox {
  return {
    async receive(event, endpoint) {
      const [row] = await inStripeSyncTransaction(db, "webhook", (tx) =>
        tx<ReceivedEvent[]>`
          select * from private.receive_stripe_webhook_event(${JSON.stringify(event)}::text::jsonb, ${endpoint})`);
      return row;
    },
    async process(eventId, effect) {
      const [row] = await inStripeSyncTransaction(db, "webhook", (tx) =>
        tx<{ result: Record<string, unknown> }[]>`
          select private.process_stripe_webhook_event(${eventId}, ${JSON.stringify(effect)}::text::jsonb) as result`);
      return row.result;
    },
    async receiveAndProcess(event, endpoint, effect) {
      const [row] = await inStripeSyncTransaction(
        db,
        "webhook",
        (tx) =>
          tx<(ReceivedEvent & { result: Record<string, unknown> | null })[]>`
          select * from private.receive_and_process_stripe_webhook_event(${JSON.stringify(event)}::text::jsonb,
            ${endpoint}, ${JSON.stringify(effect)}::text::jsonb)`,
      );
      return row;
    },
    async fail(eventId, error) {
      await inStripeSyncTransaction(
        db,
        "webhook",
        (tx) => tx`select 1 from private.fail_stripe_webhook_event(${eventId}, ${JSON.stringify(error)}::text::jsonb)`,
      );
    },
    async toRetry(limit) {
      return await inStripeSyncTransaction(
        db,
        "webhook",
        (tx) =>
          tx<Array<{ event_id: string; endpoint: "platform" | "connect"; payload: unknown }>>`
          select event_id, endpoint, payload from private.stripe_webhook_events_to_retry(${limit})`,
      );
    },
  };
}

/** `{code, message}` of an error for the inbox / logs (Postgres SQLSTATE or error name; no secrets). */
export function errorInfo(e: unknown): { code: string; message: string } {
  if (e && typeof e === "object") {
    const o = e as { code?: unknown; message?: unknown; name?: unknown };
    const code = typeof o.code === "string" ? o.code : typeof o.name === "string" ? o.name : "error";
    const message = typeof o.message === "string" ? o.message : String(e);
    return { code: code.slice(0, 100), message: message.slice(0, 1000) };
  }
  return { code: "error", message: String(e).slice(0, 1000) };
}
