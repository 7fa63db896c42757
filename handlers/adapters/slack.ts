/**
 * Posts a formatted alert to a Slack incoming webhook.
 *
 * What Slack answers (changelog 2016-05-17 "Improving error conditions for Incoming Webhooks", the
 * incoming-webhooks guide and the rate-limits guide):
 * - 200 `ok`: posted.
 * - 429 with `Retry-After` (seconds): rate limited (about one message per second per webhook, short
 *   bursts allowed). Transient; we wait as asked, or stop and let SQS retry if it asks for long.
 * - 400 `invalid_payload` / `user_not_found`, 403 `action_prohibited` / `invalid_token`,
 *   404 `channel_not_found` / `no_service` (webhook disabled or revoked), 410 `channel_is_archived`:
 *   permanent. Posting again cannot help; someone must fix the webhook or the payload.
 * - 500 `rollup_error` and other 5xx: transient.
 * The shared classification lives in core/retry's `classifyStatus`.
 */
import type { SlackMessage } from '../core/format-slack';
import { assertWebhookUrl, deliveryErrorFrom, type PostJsonOptions, postJson } from './http';

/** A message Slack accepted. */
export interface SlackReceipt {
  readonly attempts: number;
  /** Delays slept between attempts, in ms. */
  readonly waits: readonly number[];
}

/**
 * POSTs `message` to the incoming webhook `webhookUrl` (a secret: it never appears in errors).
 * Throws a `DeliveryError` (channel `slack`) marked permanent or transient when Slack does not accept it.
 */
export async function publishSlackMessage(
  webhookUrl: string,
  message: SlackMessage,
  options: PostJsonOptions = {},
): Promise<SlackReceipt> {
  assertWebhookUrl('slack', 'Slack webhook', webhookUrl);
  const outcome = await postJson(webhookUrl, message, options);
  if (!outcome.ok) throw deliveryErrorFrom('slack', 'Slack webhook', outcome);
  return { attempts: outcome.attempts, waits: outcome.waits };
}
