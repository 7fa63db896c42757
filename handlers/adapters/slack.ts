/**
 * Posts a formatted alert to a Slack incoming webhook, or, with a bot token, through the Web API
 * (`chat.postMessage`), which returns the message's `ts` so the alert can later be edited in place
 * (`chat.update`); incoming webhooks cannot edit what they posted.
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
import { DeliveryError } from '../errors';
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

/** Slack's Web API host. @see https://api.slack.com/web */
export const SLACK_API_BASE_URL = 'https://slack.com';

/** Where a Web API message lives: what `chat.update` needs to edit it. */
export interface SlackMessageRef {
  /** Channel id (e.g. `C0123ABCD`), as Slack answered it. */
  readonly channel: string;
  /** The message's timestamp, its id within the channel (e.g. `1405894322.002768`). */
  readonly ts: string;
}

/** A message the Web API posted or updated. */
export interface SlackChatReceipt extends SlackReceipt, SlackMessageRef {}

/** Options of the Web API calls: postJson's, plus the API host. */
export interface SlackApiOptions extends PostJsonOptions {
  /** Base URL of the Web API; tests point it at a local server. @default SLACK_API_BASE_URL */
  readonly baseUrl?: string;
}

/**
 * `error` values of an `ok: false` answer that a later retry can cure: rate limiting and Slack's own
 * failures ("The server could not complete your operation(s) ... likely due to a transient issue on
 * our end": `internal_error`; `fatal_error`; `service_unavailable`; `request_timeout`). Every other
 * error (`invalid_auth`, `not_authed`, `token_revoked`, `missing_scope`, `not_in_channel`,
 * `channel_not_found`, `is_archived`, `invalid_blocks`, `msg_too_long`, `message_not_found`,
 * `cant_update_message`, `edit_window_closed`...) needs a human: the token, the channel or the payload
 * must change. Sources: the "Errors" tables of https://api.slack.com/methods/chat.postMessage and
 * https://api.slack.com/methods/chat.update, and https://api.slack.com/apis/rate-limits (a rate-limited
 * call gets HTTP 429 with `Retry-After`, which postJson already honours as a transient status).
 */
const TRANSIENT_API_ERRORS = new Set([
  'ratelimited',
  'rate_limited',
  'fatal_error',
  'internal_error',
  'service_unavailable',
  'request_timeout',
]);

/**
 * Posts `message` to `channelId` with the bot token `token` (scope `chat:write`; the bot must be in
 * the channel, or Slack answers `not_in_channel`). Returns the `{channel, ts}` that `chat.update`
 * needs. Throws a `DeliveryError` (channel `slack`) marked permanent or transient when Slack refuses.
 * @see https://api.slack.com/methods/chat.postMessage
 */
export async function postSlackChatMessage(
  token: string,
  channelId: string,
  message: SlackMessage,
  options: SlackApiOptions = {},
): Promise<SlackChatReceipt> {
  return callChatApi(
    'chat.postMessage',
    token,
    { channel: channelId, text: message.text, blocks: message.blocks },
    options,
  );
}

/**
 * Replaces the text and blocks of the message `ts` in `channel` (posted by this bot) with `message`.
 * Throws a `DeliveryError` like {@link postSlackChatMessage}; `message_not_found` and
 * `cant_update_message` are permanent.
 * @see https://api.slack.com/methods/chat.update
 */
export async function updateSlackChatMessage(
  token: string,
  channel: string,
  ts: string,
  message: SlackMessage,
  options: SlackApiOptions = {},
): Promise<SlackChatReceipt> {
  return callChatApi('chat.update', token, { channel, ts, text: message.text, blocks: message.blocks }, options);
}

/** Room for the message Slack echoes back (up to 50 blocks of 3,000 characters) around `ok` and `ts`. */
const WEB_API_MAX_BODY_CHARS = 1_000_000;

async function callChatApi(
  method: 'chat.postMessage' | 'chat.update',
  token: string,
  payload: Record<string, unknown>,
  options: SlackApiOptions,
): Promise<SlackChatReceipt> {
  const { baseUrl = SLACK_API_BASE_URL, ...http } = options;
  const what = `Slack ${method}`;
  const base = assertWebhookUrl('slack', what, baseUrl);
  const url = new URL(`/api/${method}`, base).toString();
  // The token goes in the Authorization header (the method pages: "Tokens should be passed as an
  // HTTP Authorization header"); headers never reach DeliveryError messages or logs.
  const outcome = await postJson(url, payload, {
    ...http,
    maxBodyChars: WEB_API_MAX_BODY_CHARS,
    headers: { ...http.headers, authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
    inspect: (response) => {
      const body = parseApiAnswer(response.body);
      if (body === undefined) return { kind: 'rejected', permanent: true, detail: 'answer is not Web API JSON' };
      if (body.ok === true) return undefined;
      const error = typeof body.error === 'string' ? body.error.slice(0, 100) : 'unknown_error';
      return { kind: 'rejected', permanent: !TRANSIENT_API_ERRORS.has(error), detail: error };
    },
  });
  if (!outcome.ok) throw deliveryErrorFrom('slack', what, outcome);
  const body = parseApiAnswer(outcome.value.body) ?? {};
  const ts = typeof body.ts === 'string' ? body.ts : undefined;
  const channel = typeof body.channel === 'string' ? body.channel : (payload['channel'] as string);
  if (!ts) {
    throw new DeliveryError(`${what}: ok answer without a message ts`, {
      channel: 'slack',
      permanent: true,
      attempts: outcome.attempts,
    });
  }
  return { attempts: outcome.attempts, waits: outcome.waits, channel, ts };
}

/** The JSON object of a Web API answer, or undefined when the body is not one. */
function parseApiAnswer(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
