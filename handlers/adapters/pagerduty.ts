/**
 * Sends events to the PagerDuty Events API v2.
 *
 * What PagerDuty answers ("Events API v2 Overview", section "Response Codes & Retry Logic"):
 * - 202 Accepted, body `{ status: 'success', message: 'Event processed', dedup_key }`: do not retry.
 * - 400 Bad Request (`invalid event`, e.g. a routing key of the wrong length): do not retry.
 * - 429 Too many API calls: retry after some time ("preferably with a backoff of a few minutes").
 * - 500 or other 5xx, network errors: retry after some time.
 * The shared classification lives in core/retry's `classifyStatus`; a long 429 backoff is left to
 * the SQS redelivery rather than spent waiting inside the Lambda.
 */
import type { PagerDutyEvent } from '../core/format-pagerduty';
import { assertWebhookUrl, deliveryErrorFrom, type PostJsonOptions, postJson } from './http';

/** The Events API v2 endpoint for alert events. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/** Options of {@link publishPagerDutyEvent}. */
export interface PagerDutyOptions extends PostJsonOptions {
  /** Events API endpoint; tests point it at a local server. @default PAGERDUTY_EVENTS_URL */
  readonly url?: string;
}

/** An event PagerDuty accepted. */
export interface PagerDutyReceipt {
  readonly attempts: number;
  /** Delays slept between attempts, in ms. */
  readonly waits: readonly number[];
  /** The dedup key PagerDuty applied, from its answer. @default - absent when the body was not JSON */
  readonly dedupKey?: string;
}

/**
 * POSTs `event` (trigger or resolve). Throws a `DeliveryError` (channel `pagerduty`) marked
 * permanent or transient when PagerDuty does not accept it. The routing key travels in the body and
 * never appears in errors.
 */
export async function publishPagerDutyEvent(
  event: PagerDutyEvent,
  options: PagerDutyOptions = {},
): Promise<PagerDutyReceipt> {
  const url = options.url ?? PAGERDUTY_EVENTS_URL;
  assertWebhookUrl('pagerduty', 'PagerDuty Events API', url);
  const outcome = await postJson(url, event, options);
  if (!outcome.ok) throw deliveryErrorFrom('pagerduty', 'PagerDuty Events API', outcome);
  return { attempts: outcome.attempts, waits: outcome.waits, dedupKey: dedupKeyOf(outcome.value.body) };
}

function dedupKeyOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { dedup_key?: unknown };
    return typeof parsed.dedup_key === 'string' ? parsed.dedup_key : undefined;
  } catch {
    return undefined;
  }
}
