/**
 * Retry policy for calls to Slack, PagerDuty and other HTTP endpoints: which failures are worth
 * retrying, how long to wait, when to stop. Pure: the clock, the sleep and the random source are
 * passed in, so tests can run a whole retry sequence without waiting.
 */

/** Limits of one retry sequence. */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly maxAttempts: number;
  /** Backoff ceiling before the first retry; doubles on each later retry. */
  readonly baseDelayMs: number;
  /**
   * The longest single wait. Caps the exponential backoff; a server asking (Retry-After) for longer
   * ends the sequence instead, see {@link decideRetry}.
   */
  readonly maxDelayMs: number;
}

/**
 * Four attempts with at most 1.75 s of backoff between them (ceilings 250, 500 and 1,000 ms), or up
 * to 8 s per wait when the server sends Retry-After. Channels are sent in parallel, so one alert
 * costs at most 3 × 8 s of waiting plus 4 per-attempt timeouts: size the Lambda timeout and the
 * queue's visibility timeout above that. Longer outages are the SQS redelivery's job.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 8_000 };

/** Why one attempt failed. */
export type AttemptFailure =
  | {
      readonly kind: 'status';
      /** HTTP status of the response. */
      readonly status: number;
      /** Raw `Retry-After` header. @default - absent */
      readonly retryAfter?: string;
      /** Start of the response body, for the error message. @default - none */
      readonly detail?: string;
    }
  /** No response within the per-attempt timeout. */
  | { readonly kind: 'timeout'; readonly detail?: string }
  /** The request could not be sent or the connection broke (DNS, refused, reset, TLS). */
  | { readonly kind: 'network'; readonly detail?: string }
  /**
   * A 2xx answer whose body says the request failed, e.g. Slack's Web API `{"ok": false, "error":
   * "channel_not_found"}` (HTTP 200). The caller that read the body decides whether it is permanent.
   */
  | { readonly kind: 'rejected'; readonly permanent: boolean; readonly detail?: string };

/** The result of one attempt, as the caller's attempt function reports it. */
export type AttemptResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: AttemptFailure };

/** `transient`: the same request may succeed later. `permanent`: it never will. */
export type FailureClass = 'transient' | 'permanent';

/**
 * Classifies an HTTP status. 429 (rate limited), 408 (the server gave up waiting for the request,
 * RFC 9110 §15.5.9) and 5xx are transient; other 4xx are permanent; so is an unexpected 1xx/3xx (we
 * never follow redirects: a webhook that moved is a configuration problem). Slack's incoming
 * webhooks (changelog 2016-05-17, "Improving error conditions for Incoming Webhooks") and
 * PagerDuty's Events API v2 ("Response Codes & Retry Logic") both document exactly this split.
 */
export function classifyStatus(status: number): FailureClass {
  if (status === 429 || status === 408 || (status >= 500 && status <= 599)) return 'transient';
  return 'permanent';
}

/**
 * Classifies a failed attempt: timeouts and network errors are transient, statuses per
 * {@link classifyStatus}, rejections as their caller said.
 */
export function classifyFailure(failure: AttemptFailure): FailureClass {
  if (failure.kind === 'rejected') return failure.permanent ? 'permanent' : 'transient';
  return failure.kind === 'status' ? classifyStatus(failure.status) : 'transient';
}

/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. Returns the
 * wait in milliseconds from `nowMs` (0 for a date in the past), or undefined when absent or invalid.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date always names a weekday or month; this keeps Date.parse from accepting a bare number.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * "Full jitter" backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"): a random wait
 * between 0 and min(maxDelay, baseDelay × 2^(retry−1)). Spreading the retries of many Lambda
 * invocations over the whole window keeps them from hitting a rate-limited API in lockstep.
 * `retry` counts from 1 (the wait before the second attempt); `random` returns a value in [0, 1).
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** What to do after a failed attempt. */
export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly permanent: boolean; readonly reason: string };

/** The moment and randomness a decision may depend on. */
export interface DecisionContext {
  /** Current time, epoch ms. */
  readonly now: number;
  readonly random: () => number;
  /** No attempt may start after this time, epoch ms. @default - no deadline */
  readonly deadline?: number;
}

/**
 * Decides whether to retry after attempt number `attempt` (1-based) failed with `failure`.
 *
 * A `Retry-After` sent by the server is honoured as is. When it asks for longer than
 * `policy.maxDelayMs`, we stop instead of retrying early: Slack's rate-limit guide warns that apps
 * that keep posting while rate limited risk being disabled, and PagerDuty recommends backing off for
 * minutes after a 429. The failure stays transient, so the SQS redelivery retries later.
 */
export function decideRetry(
  failure: AttemptFailure,
  attempt: number,
  policy: RetryPolicy,
  context: DecisionContext,
): RetryDecision {
  if (classifyFailure(failure) === 'permanent') {
    return { retry: false, permanent: true, reason: 'permanent failure, retrying cannot help' };
  }
  if (attempt >= policy.maxAttempts) {
    return { retry: false, permanent: false, reason: `gave up after ${attempt} attempts` };
  }
  const asked = failure.kind === 'status' ? parseRetryAfter(failure.retryAfter, context.now) : undefined;
  if (asked !== undefined && asked > policy.maxDelayMs) {
    return {
      retry: false,
      permanent: false,
      reason: `server asked to wait ${Math.ceil(asked / 1000)} s, more than the ${policy.maxDelayMs} ms allowed here`,
    };
  }
  const delayMs = asked ?? backoffDelay(attempt, policy, context.random);
  if (context.deadline !== undefined && context.now + delayMs > context.deadline) {
    return { retry: false, permanent: false, reason: 'no time left for another attempt before the deadline' };
  }
  return { retry: true, delayMs };
}

/** Clock, sleep and randomness, injected so that tests control time. */
export interface RetryRuntime {
  /** Current time, epoch ms. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** A value in [0, 1). */
  readonly random: () => number;
}

/** The end of a retry sequence. `waits` lists every delay slept, in order. */
export type RetryOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number; readonly waits: readonly number[] }
  | {
      readonly ok: false;
      readonly failure: AttemptFailure;
      readonly permanent: boolean;
      readonly reason: string;
      readonly attempts: number;
      readonly waits: readonly number[];
    };

/**
 * Runs `attempt` until it succeeds or {@link decideRetry} says stop. `attempt` receives its 1-based
 * number and must report failures as values, not throw: an exception escapes the loop unretried,
 * as a programming error should.
 */
export async function runWithRetry<T>(
  attempt: (n: number) => Promise<AttemptResult<T>>,
  policy: RetryPolicy,
  runtime: RetryRuntime,
  deadline?: number,
): Promise<RetryOutcome<T>> {
  const waits: number[] = [];
  for (let n = 1; ; n++) {
    const result = await attempt(n);
    if (result.ok) return { ok: true, value: result.value, attempts: n, waits };
    const decision = decideRetry(result.failure, n, policy, { now: runtime.now(), random: runtime.random, deadline });
    if (!decision.retry) {
      return {
        ok: false,
        failure: result.failure,
        permanent: decision.permanent,
        reason: decision.reason,
        attempts: n,
        waits,
      };
    }
    waits.push(decision.delayMs);
    await runtime.sleep(decision.delayMs);
  }
}

/** The fields of an AWS SDK v3 service exception that classification needs (plain data, no SDK import). */
export interface SdkErrorShape {
  readonly name?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

/**
 * Error names AWS services use for throttling. They are client faults that a later retry can cure,
 * unlike other client faults (`InvalidParameter`, `ResourceNotFoundException`, `AccessDenied`,
 * `KMSDisabled`...), which need a human.
 */
const SDK_THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'KMSThrottlingException',
]);

/**
 * Classifies an error an AWS SDK call still throws after the SDK's own retries: server faults,
 * throttling and failures without any response (network, timeout) are transient; other client
 * faults are permanent.
 */
export function classifySdkError(err: SdkErrorShape): FailureClass {
  if (err.$fault === 'server') return 'transient';
  if (err.name !== undefined && SDK_THROTTLING.has(err.name)) return 'transient';
  const status = err.$metadata?.httpStatusCode;
  if (status !== undefined) return classifyStatus(status);
  return err.$fault === 'client' ? 'permanent' : 'transient';
}
