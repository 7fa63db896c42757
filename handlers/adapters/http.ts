/**
 * A tiny JSON POST client for webhooks (Slack, PagerDuty) over Node's global fetch, with a timeout
 * per attempt and the retry policy of core/retry. It never throws for HTTP or network failures: it
 * returns the outcome, and the channel adapter decides how to report it.
 */
import {
  type AttemptFailure,
  type AttemptResult,
  DEFAULT_RETRY_POLICY,
  type RetryOutcome,
  type RetryPolicy,
  type RetryRuntime,
  runWithRetry,
} from '../core/retry';
import { DeliveryError } from '../errors';

/** A response, with the body cut to its first {@link MAX_BODY_CHARS} (or `maxBodyChars`) characters. */
export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Bodies of webhook answers are short (`ok`, a JSON status); more is never needed for a message. */
export const MAX_BODY_CHARS = 4096;

/** The retry runtime, and the timer that ends an attempt. */
export interface HttpRuntime extends RetryRuntime {
  /** Calls `fire` once `ms` have passed, unless the function it returns is called first. */
  readonly timer: (ms: number, fire: () => void) => () => void;
}

/** Real time: `Date.now`, `setTimeout` and `Math.random`. */
export const systemRuntime: HttpRuntime = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
  timer: (ms, fire) => {
    const timeout = setTimeout(fire, ms);
    return () => clearTimeout(timeout);
  },
};

/** Options of {@link postJson}. */
export interface PostJsonOptions {
  /** Time allowed for one attempt, response body included. @default 5000 */
  readonly timeoutMs?: number;
  /** @default DEFAULT_RETRY_POLICY */
  readonly policy?: RetryPolicy;
  /**
   * Clock, sleep, randomness and the attempt timer; tests pass a sleep that records instead of waiting, or a
   * virtual clock. @default systemRuntime
   */
  readonly runtime?: Partial<HttpRuntime>;
  /**
   * No attempt starts after this time (epoch ms), e.g. the Lambda deadline minus a margin.
   * @default - no deadline
   */
  readonly deadline?: number;
  /** Extra request headers. @default - only `content-type: application/json` */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Reads a 2xx answer and returns why it is a failure after all, or undefined to accept it. For APIs
   * that report errors in the body of an HTTP 200, like Slack's Web API (`{"ok": false, "error": ...}`).
   * @default - every 2xx answer is accepted
   */
  readonly inspect?: (response: HttpResponse) => AttemptFailure | undefined;
  /**
   * Characters of the response body kept. Slack's Web API echoes the whole posted message back, so its
   * callers need more than a webhook's `ok` to read the JSON. @default MAX_BODY_CHARS
   */
  readonly maxBodyChars?: number;
}

/**
 * POSTs `payload` as JSON to `url` until a 2xx answer, a permanent failure or the end of the retry
 * policy. Redirects are not followed (a webhook that moved is a configuration problem, and following
 * one would send the alert, and for PagerDuty the routing key, to another host).
 */
export async function postJson(
  url: string,
  payload: unknown,
  options: PostJsonOptions = {},
): Promise<RetryOutcome<HttpResponse>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const runtime: HttpRuntime = { ...systemRuntime, ...options.runtime };
  const body = JSON.stringify(payload);
  const headers = { 'content-type': 'application/json', ...options.headers };
  // The deadline bounds when an attempt may start; the attempt itself needs timeoutMs more.
  const deadline = options.deadline === undefined ? undefined : options.deadline - timeoutMs;
  return runWithRetry(
    () =>
      attemptPost(
        url,
        body,
        headers,
        timeoutMs,
        runtime.timer,
        options.inspect,
        options.maxBodyChars ?? MAX_BODY_CHARS,
      ),
    options.policy ?? DEFAULT_RETRY_POLICY,
    runtime,
    deadline,
  );
}

async function attemptPost(
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
  timer: HttpRuntime['timer'],
  inspect: PostJsonOptions['inspect'],
  maxBodyChars: number,
): Promise<AttemptResult<HttpResponse>> {
  const controller = new AbortController();
  const cancelTimeout = timer(timeoutMs, () => controller.abort());
  try {
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: controller.signal });
    const text = (await res.text()).slice(0, maxBodyChars);
    const response: HttpResponse = { status: res.status, headers: Object.fromEntries(res.headers), body: text };
    if (res.status >= 200 && res.status <= 299) {
      const rejected = inspect?.(response);
      return rejected ? { ok: false, failure: rejected } : { ok: true, value: response };
    }
    const failure: AttemptFailure = {
      kind: 'status',
      status: res.status,
      retryAfter: res.headers.get('retry-after') ?? undefined,
      detail: text.slice(0, 200),
    };
    return { ok: false, failure };
  } catch (err) {
    if (controller.signal.aborted) {
      return { ok: false, failure: { kind: 'timeout', detail: `no complete response within ${timeoutMs} ms` } };
    }
    return { ok: false, failure: { kind: 'network', detail: describeNetworkError(err) } };
  } finally {
    cancelTimeout();
  }
}

/**
 * The code of a network error (`ECONNREFUSED`, `ENOTFOUND`, ...). Only the code and message of the
 * underlying cause: the request URL must not reach logs, it is a secret for Slack webhooks.
 */
function describeNetworkError(err: unknown): string {
  // Duck-typed: fetch's errors may come from another realm (test sandboxes), where instanceof fails.
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; cause?: unknown };
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as {
    code?: unknown;
    message?: unknown;
  };
  if (typeof cause.code === 'string') return cause.code;
  if (typeof cause.message === 'string') return cause.message;
  return typeof e.name === 'string' ? e.name : 'unknown network error';
}

/** A failed outcome of {@link postJson}. */
export type FailedOutcome = Extract<RetryOutcome<HttpResponse>, { ok: false }>;

/**
 * Turns a failed outcome into the {@link DeliveryError} for `channel`, e.g. `Slack webhook: HTTP 404
 * channel_not_found after 1 attempt (permanent failure, retrying cannot help)`. `what` names the
 * endpoint without its URL.
 */
export function deliveryErrorFrom(channel: string, what: string, outcome: FailedOutcome): DeliveryError {
  const { failure, attempts } = outcome;
  const cause =
    failure.kind === 'status'
      ? `HTTP ${failure.status}${failure.detail ? ` ${failure.detail.replace(/\s+/g, ' ').trim()}` : ''}`
      : `${failure.kind}${failure.detail ? ` (${failure.detail})` : ''}`;
  return new DeliveryError(
    `${what}: ${cause} after ${attempts} attempt${attempts === 1 ? '' : 's'} (${outcome.reason})`,
    { channel, permanent: outcome.permanent, attempts, status: failure.kind === 'status' ? failure.status : undefined },
  );
}

/**
 * Webhook URLs must be https, so an alert and the secret in its URL never cross the network in
 * clear text; plain http is accepted for loopback addresses only (local test servers).
 */
export function assertWebhookUrl(channel: string, what: string, url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DeliveryError(`${what}: the configured value is not a URL`, { channel, permanent: true, attempts: 0 });
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new DeliveryError(`${what}: the URL must use https, got ${parsed.protocol}`, {
      channel,
      permanent: true,
      attempts: 0,
    });
  }
  return parsed;
}
