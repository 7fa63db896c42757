/**
 * Bounded exponential backoff with jitter for AWS Organizations calls. Organizations has low,
 * account-wide request quotas (TooManyRequestsException), so a sync of a large organization will be
 * throttled now and then; this is the only retry layer (the CLI builds its client with `maxAttempts: 1`
 * so SDK and script retries do not multiply).
 */
import { RetriesExhaustedError } from './errors';

/** How to retry. Every field is optional; tests inject `sleep` and `random` so nothing really waits. */
export interface RetryOptions {
  /** Attempts in total, the first one included. @default 8 */
  readonly maxAttempts?: number;
  /** Backoff before the 2nd attempt; doubles each time. @default 250 */
  readonly baseDelayMs?: number;
  /** Upper bound of a single backoff. @default 20_000 */
  readonly maxDelayMs?: number;
  /** @default - a setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Called before each backoff, e.g. to log it. @default - silent */
  readonly onRetry?: (event: RetryEvent) => void;
}

/** One backoff about to happen. */
export interface RetryEvent {
  readonly operation: string;
  /** The attempt that just failed (1-based). */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly delayMs: number;
  readonly error: unknown;
}

const THROTTLING_NAMES = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ServiceException']);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** Whether AWS asked us to slow down (by exception name, HTTP 429, or the SDK's throttling flag). */
export function isThrottlingError(error: unknown): boolean {
  if (!isObject(error)) return false;
  const meta = error['$metadata'];
  const retryable = error['$retryable'];
  return (
    (typeof error['name'] === 'string' && THROTTLING_NAMES.has(error['name'])) ||
    (isObject(meta) && meta['httpStatusCode'] === 429) ||
    (isObject(retryable) && retryable['throttling'] === true)
  );
}

/** Whether the failure is worth retrying: throttling, a 5xx / Organizations ServiceException, or a dropped connection. */
export function isRetryableError(error: unknown): boolean {
  if (isThrottlingError(error)) return true;
  if (!isObject(error)) return false;
  const meta = error['$metadata'];
  const status = isObject(meta) ? meta['httpStatusCode'] : undefined;
  return (
    (typeof status === 'number' && status >= 500) ||
    (typeof error['name'] === 'string' && TRANSIENT_NAMES.has(error['name'])) ||
    (typeof error['code'] === 'string' && TRANSIENT_CODES.has(error['code']))
  );
}

/**
 * Backoff before attempt `attempt + 1`: half of min(max, base·2^(attempt-1)) plus a random part of
 * the other half ("equal jitter"), so clients throttled together spread out but always wait.
 */
export function backoffDelay(attempt: number, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 20_000;
  const ceiling = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (options.random ?? Math.random)() * (ceiling / 2));
}

/**
 * Runs `call`, retrying retryable failures with backoff up to `maxAttempts` in total. Other errors
 * propagate at once; when attempts run out it throws a RetriesExhaustedError carrying the last error.
 */
export async function withRetry<T>(operation: string, call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryableError(error)) throw error;
      if (attempt >= maxAttempts) throw new RetriesExhaustedError(operation, attempt, { cause: error });
      const delayMs = backoffDelay(attempt, options);
      options.onRetry?.({ operation, attempt, maxAttempts, delayMs, error });
      await sleep(delayMs);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
