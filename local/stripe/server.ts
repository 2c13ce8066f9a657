/**
 * Stripe stand-in: an HTTP server the real `stripe` SDK talks to
 * (`new Stripe(key, { host: "127.0.0.1", port, protocol: "http" })`).
 *
 * Request pipeline for /v1 (mirrors where real Stripe does what):
 *   parse -> route (404) -> auth (401) -> rate limit / gate faults (429, drop; nothing stored)
 *   -> idempotency (replay / 400 / 409) -> latency (holding the key) -> validation (400, not stored)
 *   -> execution begins: before-faults (500 / balance / capability; stored)
 *   -> execute (money moves; result stored) -> after-faults (500 stored, or drop with the real response stored)
 *   -> respond (latency_after: the stored response is sent late)
 */
import { type ApiCtx, type Execute, findRoute } from "./api.ts";
import { handleControl, json } from "./control.ts";
import { ApiError, errors } from "./errors.ts";
import { type Fault, FaultSpecError, type FaultStage, parseFaultHeader } from "./faults.ts";
import { canonicalJson, FormError, type FormObject, parseForm } from "./form.ts";
import { DROP, type RawRequest, type RawResponse, serveRaw } from "./http_raw.ts";
import type { IdempotencyEntry, StoredResponse } from "./idempotency.ts";
import { createSaver, loadState } from "./persist.ts";
import { DEFAULT_PLATFORM_AVAILABLE, PINNED_API_VERSION, type RequestLogEntry, StandInState } from "./state.ts";
import { newId, sleep } from "./util.ts";

export { PINNED_API_VERSION, StandInState };
export { signStripePayload } from "./webhooks.ts";

export interface StandInOptions {
  /** 0 picks a free port. */
  port: number;
  hostname?: string;
  webhookSecrets?: { platform?: string; connect?: string };
  webhookUrl?: string;
  /** Platform available balance for currencies not set explicitly (minor units). */
  defaultPlatformAvailable?: number;
  /** Accept /_standin control calls from non-loopback clients (e.g. Docker). Default false. */
  allowRemoteControl?: boolean;
  /** Keep the books and idempotency keys in this JSON file across restarts (`persist.ts`). */
  stateFile?: string;
}

export interface StandIn {
  url: string;
  port: number;
  state: StandInState;
  close(): Promise<void>;
}

export async function startStripeStandIn(opts: StandInOptions): Promise<StandIn> {
  const state = new StandInState(
    {
      requestedCapabilityStatus: "active",
      allowRemoteControl: opts.allowRemoteControl ?? false,
      defaultPlatformAvailable: opts.defaultPlatformAvailable ?? DEFAULT_PLATFORM_AVAILABLE,
    },
    { url: opts.webhookUrl, secrets: opts.webhookSecrets },
  );
  const hostname = opts.hostname ?? "127.0.0.1";
  const saver = opts.stateFile ? createSaver(state, opts.stateFile) : null;
  if (opts.stateFile) await loadState(state, opts.stateFile);
  const server = serveRaw({ port: opts.port, hostname }, async (req) => {
    try {
      return await dispatch(state, req);
    } finally {
      if (saver && req.method !== "GET" && req.method !== "HEAD") saver.schedule();
    }
  });
  const urlHost = hostname === "0.0.0.0" ? "127.0.0.1" : hostname.includes(":") ? `[${hostname}]` : hostname;
  let closed: Promise<void> | undefined;
  await Promise.resolve();
  return {
    url: `http://${urlHost}:${server.port}`,
    port: server.port,
    state,
    close() {
      return closed ??= (async () => {
        await server.close();
        await state.webhooks.close();
        if (saver) {
          saver.schedule();
          await saver.flush();
        }
      })();
    },
  };
}

function dispatch(state: StandInState, req: RawRequest): Promise<RawResponse | typeof DROP> {
  if (req.path === "/_standin" || req.path.startsWith("/_standin/")) return handleControl(state, req);
  if (req.path.startsWith("/v1/")) return handleApi(state, req);
  return Promise.resolve(
    json(404, {
      error: { type: "invalid_request_error", message: `Unrecognized request URL (${req.method}: ${req.path}).` },
    }),
  );
}

function checkAuth(header: string | null): ApiError | undefined {
  if (!header) return errors.noApiKey();
  let key: string | undefined;
  if (/^Bearer /i.test(header)) key = header.slice(7).trim();
  else if (/^Basic /i.test(header)) {
    try {
      key = atob(header.slice(6).trim()).split(":")[0];
    } catch { /* fallthrough */ }
  }
  if (!key) return errors.noApiKey();
  if (!/^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key)) return errors.invalidApiKey(key);
  return undefined;
}

function errorJson(e: ApiError, requestId: string): string {
  const err: Record<string, unknown> = {
    ...e.error,
    request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}`,
  };
  const sorted = Object.fromEntries(Object.keys(err).sort().map((k) => [k, err[k]]));
  return JSON.stringify({ error: sorted }, null, 2);
}

function retryHeaders(shouldRetry: boolean | null | undefined, retryAfter?: number | null): Record<string, string> {
  const h: Record<string, string> = {};
  if (shouldRetry !== null && shouldRetry !== undefined) h["stripe-should-retry"] = String(shouldRetry);
  if (retryAfter !== null && retryAfter !== undefined) h["retry-after"] = String(retryAfter);
  return h;
}

interface Result {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function handleApi(state: StandInState, req: RawRequest): Promise<RawResponse | typeof DROP> {
  const requestId = newId("req", 14);
  const idemKey = req.method === "POST" ? req.headers.get("idempotency-key") : null;
  const stripeAccount = req.headers.get("stripe-account");
  const entry: RequestLogEntry = {
    id: requestId,
    method: req.method,
    path: req.path,
    query: req.query,
    idempotency_key: idemKey,
    stripe_account: stripeAccount,
    params: {},
    status: null,
    stored_status: null,
    replayed: false,
    dropped: false,
    faults: [],
    error_code: null,
    object_id: null,
    stand_in_time: state.clock.now(),
    started_at_ms: Date.now(),
    duration_ms: 0,
  };
  state.logRequest(entry);
  const baseHeaders: Record<string, string> = {
    "content-type": "application/json",
    "request-id": requestId,
    "stripe-version": req.headers.get("stripe-version") ?? PINNED_API_VERSION,
    ...(idemKey ? { "idempotency-key": idemKey } : {}),
  };
  const errorResult = (e: ApiError): Result => ({
    status: e.status,
    headers: { ...baseHeaders, ...e.headers },
    body: errorJson(e, requestId),
  });
  const send = (r: Result): RawResponse => {
    entry.status = r.status;
    entry.duration_ms = Date.now() - entry.started_at_ms;
    if (r.status >= 400) {
      try {
        entry.error_code = JSON.parse(r.body).error?.code ?? JSON.parse(r.body).error?.type ?? null;
      } catch { /* not json */ }
    }
    return r;
  };
  const drop = (): typeof DROP => {
    entry.dropped = true;
    entry.duration_ms = Date.now() - entry.started_at_ms;
    return DROP;
  };

  // parse + route + auth
  let params: FormObject;
  try {
    params = parseForm(req.method === "GET" ? req.query : new TextDecoder().decode(req.body));
  } catch (e) {
    if (!(e instanceof FormError)) throw e;
    return send(errorResult(new ApiError(400, { type: "invalid_request_error", message: e.message })));
  }
  entry.params = params;
  const match = findRoute(req.method, req.path);
  if (!match) return send(errorResult(errors.unrecognizedUrl(req.method, req.path)));
  const authError = checkAuth(req.headers.get("authorization"));
  if (authError) return send(errorResult(authError));

  let headerFaults: Fault[];
  try {
    headerFaults = parseFaultHeader(req.headers.get("x-standin-fault"));
  } catch (e) {
    if (!(e instanceof FaultSpecError)) throw e;
    return send(
      errorResult(new ApiError(400, { type: "invalid_request_error", message: `X-Standin-Fault: ${e.message}` })),
    );
  }
  const mctx = { method: req.method, path: req.path, params, idempotencyKey: idemKey ?? undefined };
  const take = (stage: FaultStage) => {
    const f = state.faults.take(stage, mctx, headerFaults);
    if (f) entry.faults.push(f.spec.kind);
    return f;
  };

  // gate: in front of the idempotency layer, nothing is stored
  const rl = state.rateLimiter;
  if (!rl.admit()) {
    entry.faults.push("rate_limit(rps)");
    return send(errorResult(errors.rateLimited(retryHeaders(rl.shouldRetry, rl.retryAfter))));
  }
  const gate = take("gate");
  if (gate?.spec.kind === "rate_limit") {
    const h = retryHeaders(
      gate.spec.should_retry === undefined ? true : gate.spec.should_retry,
      gate.spec.retry_after === undefined ? 1 : gate.spec.retry_after,
    );
    return send(errorResult(errors.rateLimited(h)));
  }
  if (gate?.spec.kind === "drop_before") return drop();

  // idempotency
  let idem: IdempotencyEntry | undefined;
  if (idemKey) {
    const scope = stripeAccount ?? "platform";
    const d = state.idempotency.begin(scope, idemKey, `${req.method} ${req.path}`, canonicalJson(params));
    if (d.kind === "error") return send(errorResult(d.error));
    if (d.kind === "replay") {
      const lat = take("latency");
      if (lat) await sleep(lat.spec.latency_ms ?? 1000, req.signal);
      entry.replayed = true;
      entry.stored_status = d.response.status;
      return send({
        status: d.response.status,
        headers: {
          ...d.response.headers,
          "request-id": requestId,
          "idempotent-replayed": "true",
          "original-request": d.response.requestId,
        },
        body: d.response.body,
      });
    }
    idem = d.entry;
  }
  const store = (r: Result) => {
    entry.stored_status = r.status;
    if (idem) state.idempotency.complete(idem, { ...r, requestId } satisfies StoredResponse);
  };

  // latency while holding the key (a concurrent request with the same key gets 409)
  const lat = take("latency");
  if (lat) await sleep(lat.spec.latency_ms ?? 1000, req.signal);

  // validation: errors are not stored
  const ctx: ApiCtx = {
    ledger: state.ledger,
    requestId,
    stripeAccount,
    requestedCapabilityStatus: state.config.requestedCapabilityStatus,
    emit: (type, object, o = {}) => {
      const ev = state.webhooks.createEvent(type, object, {
        account: o.account,
        previous_attributes: o.previous_attributes,
        request: { id: requestId, idempotency_key: idemKey },
      });
      state.webhooks.emitAuto(ev, o.account ? "connect" : "platform");
    },
    events: () => state.webhooks.events,
    deliveries: () => state.webhooks.deliveries,
    now: state.now,
  };
  let execute: Execute;
  try {
    execute = match.route.prepare(params, match.ids, ctx);
  } catch (e) {
    if (idem) state.idempotency.release(idem);
    if (e instanceof ApiError) return send(errorResult(e));
    throw e;
  }

  // execution begins: from here on the response is stored under the key
  const before = take("before_execute");
  if (before) {
    const s = before.spec;
    if (s.kind === "error_500_before" && s.store === false) {
      if (idem) state.idempotency.release(idem);
      return send(errorResult(errors.internal(retryHeaders(s.should_retry), s.status ?? 500)));
    }
    const err = s.kind === "error_500_before"
      ? errors.internal(retryHeaders(s.should_retry), s.status ?? 500)
      : s.kind === "balance_insufficient"
      ? errors.platformBalanceInsufficient()
      : errors.insufficientCapabilities();
    const r = errorResult(err);
    store(r);
    return send(r);
  }

  let result: Result;
  try {
    const out = execute();
    entry.object_id = out.objectId ?? null;
    result = { status: out.status ?? 200, headers: baseHeaders, body: JSON.stringify(out.body, null, 2) };
  } catch (e) {
    if (!(e instanceof ApiError)) console.error("stripe stand-in: execute crashed", e);
    result = errorResult(e instanceof ApiError ? e : errors.internal());
  }

  if (result.status < 300) {
    const after = take("after_execute");
    if (after?.spec.kind === "error_500_after") {
      result = errorResult(errors.internal(retryHeaders(after.spec.should_retry), after.spec.status ?? 500));
    } else if (after?.spec.kind === "drop_after") {
      store(result);
      return drop();
    }
  }
  store(result);
  // respond: the response is stored under the key; its delivery is delayed
  const late = take("respond");
  if (late) await sleep(late.spec.latency_ms ?? 1000, req.signal);
  return send(result);
}
