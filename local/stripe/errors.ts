/** Stripe-shaped API errors. An ApiError is thrown by handlers and rendered as `{ error: {...} }`. */

export interface StripeErrorObject {
  type: "api_error" | "card_error" | "idempotency_error" | "invalid_request_error";
  code?: string;
  message: string;
  param?: string;
  doc_url?: string;
  request_log_url?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: StripeErrorObject,
    readonly headers: Record<string, string> = {},
  ) {
    super(error.message);
  }
}

export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replaceAll("_", "-")}`;
}

function invalid(status: number, message: string, code?: string, param?: string): ApiError {
  const error: StripeErrorObject = { type: "invalid_request_error", message };
  if (code) {
    error.code = code;
    error.doc_url = docUrl(code);
  }
  if (param) error.param = param;
  return new ApiError(status, error);
}

export const errors = {
  missingParam: (param: string) => invalid(400, `Missing required param: ${param}.`, "parameter_missing", param),
  invalidInteger: (param: string, value: unknown) =>
    invalid(400, `Invalid integer: ${String(value)}`, "parameter_invalid_integer", param),
  integerTooSmall: (param: string, min: number) =>
    invalid(400, `This value must be greater than or equal to ${min}.`, "parameter_invalid_integer", param),
  integerTooLarge: (param: string, max: number) =>
    invalid(400, `This value must be less than or equal to ${max}.`, "parameter_invalid_integer", param),
  invalidString: (param: string) =>
    invalid(400, `Invalid string: ${param} must be a string.`, "parameter_invalid_string_empty", param),
  invalidParam: (param: string, message: string) => invalid(400, message, "parameter_invalid_empty", param),
  unknownParam: (param: string) =>
    invalid(
      400,
      `Received unknown parameter: ${param}`,
      "parameter_unknown",
      param,
    ),
  invalidCurrency: (value: string) =>
    invalid(
      400,
      `Invalid currency: ${value}. Stripe currently supports these currencies: usd, eur, gbp, ...`,
      "invalid_currency",
      "currency",
    ),
  /** A resource named in the URL does not exist (404). */
  noSuchResource: (kind: string, id: string) => invalid(404, `No such ${kind}: '${id}'`, "resource_missing", "id"),
  /** A resource named by a parameter does not exist (400). */
  noSuchParamResource: (kind: string, id: string, param: string) =>
    invalid(400, `No such ${kind}: '${id}'`, "resource_missing", param),
  unrecognizedUrl: (method: string, path: string) =>
    invalid(
      404,
      `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    ),
  noApiKey: () =>
    invalid(
      401,
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    ),
  invalidApiKey: (key: string) =>
    invalid(
      401,
      `Invalid API Key provided: ${key.slice(0, 8)}${"*".repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
      "api_key_invalid",
    ),
  insufficientCapabilities: () =>
    invalid(
      400,
      "Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments",
      "insufficient_capabilities_for_transfer",
      "destination",
    ),
  platformBalanceInsufficient: () =>
    invalid(
      400,
      "You have insufficient funds in your Stripe account for this transfer. Your card balance is too low.  You can use the /v1/balance endpoint to view your Stripe balance (for more details, see stripe.com/docs/api#balance).",
      "balance_insufficient",
    ),
  connectedBalanceInsufficient: (account: string) =>
    invalid(
      400,
      `Insufficient funds in the connected account ${account} to reverse this transfer. The connected account's available balance is too low.`,
      "balance_insufficient",
      "amount",
    ),
  reversalExceedsRemaining: (amount: number, remaining: number) =>
    invalid(
      400,
      `Amount (${amount}) is greater than the amount remaining on the transfer (${remaining}).`,
      "amount_too_large",
      "amount",
    ),
  transferFullyReversed: (id: string) =>
    invalid(400, `Transfer ${id} has already been fully reversed.`, "transfer_already_reversed"),
  sourceTransactionExceeded: (charge: string, available: number) =>
    invalid(
      400,
      `The transfer amount exceeds the amount still available to transfer from the source transaction ${charge} (${available}).`,
      "amount_too_large",
      "amount",
    ),
  sourceTransactionCurrency: (charge: string, currency: string) =>
    invalid(
      400,
      `The currency of the transfer must match the currency of the source transaction ${charge} (${currency}).`,
      "currency_mismatch",
      "currency",
    ),
  idempotencyParams: (key: string) =>
    new ApiError(400, {
      type: "idempotency_error",
      message:
        `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
    }),
  idempotencyEndpoint: (key: string, first: string, now: string) =>
    new ApiError(400, {
      type: "idempotency_error",
      message:
        `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${now}' vs '${first}'). Try using a key other than '${key}' if you meant to execute a different request.`,
    }),
  idempotencyInUse: (key: string) =>
    new ApiError(409, {
      type: "idempotency_error",
      code: "idempotency_key_in_use",
      doc_url: docUrl("idempotency_key_in_use"),
      message:
        `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
    }),
  rateLimited: (headers: Record<string, string>) =>
    new ApiError(429, {
      type: "invalid_request_error",
      code: "rate_limit",
      doc_url: docUrl("rate_limit"),
      message: "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
    }, headers),
  internal: (headers: Record<string, string> = {}, status = 500) =>
    new ApiError(status, {
      type: "api_error",
      message: "An unknown error occurred",
    }, headers),
};
