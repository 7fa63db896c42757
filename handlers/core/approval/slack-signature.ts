/**
 * Authenticates requests from Slack and parses the button clicks of an approval message.
 *
 * Slack's "Verifying requests from Slack" guide (api.slack.com/authentication/verifying-requests-from-slack):
 * - the signature is in `X-Slack-Signature`: `v0=` followed by the hex HMAC-SHA256, keyed with the
 *   app's signing secret, of the base string `v0:{X-Slack-Request-Timestamp}:{raw request body}`;
 * - it must be computed over the raw body exactly as received (before any form decoding);
 * - compare it in constant time, and reject requests whose timestamp is more than five minutes from
 *   the local clock, so a captured request cannot be replayed later.
 * The five-minute window bounds replays of the HTTP request; the approval store's conditional write
 * bounds replays of the decision itself (a second click on the same request is refused).
 *
 * Pure apart from node:crypto's HMAC (deterministic); the clock is passed in.
 */
import { parseVerdictValue, type Verdict, type VerdictSubject, verdictOfAction } from '../verdict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { REQUEST_ID_PATTERN } from './request';

/** Slack's replay window: five minutes either side of our clock. */
export const SLACK_MAX_SKEW_SECONDS = 300;

/** Version prefix of the only signature scheme Slack documents. */
const VERSION = 'v0';

/** Why a request is not accepted as Slack's. */
export type SignatureFailure = 'missing-headers' | 'bad-timestamp' | 'stale-timestamp' | 'bad-signature';

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly failure: SignatureFailure };

/** Input of {@link verifySlackSignature}. Header values as received (function URLs lower-case the names). */
export interface SlackSignatureInput {
  readonly signingSecret: string;
  /** `X-Slack-Request-Timestamp`: Unix seconds. */
  readonly timestamp: string | undefined;
  /** `X-Slack-Signature`: `v0=<64 hex>`. */
  readonly signature: string | undefined;
  /** The body exactly as received. */
  readonly rawBody: string;
  readonly now: Date;
}

/** The expected `X-Slack-Signature` for `timestamp` and `rawBody`. */
export function computeSlackSignature(signingSecret: string, timestamp: string, rawBody: string): string {
  const digest = createHmac('sha256', signingSecret).update(`${VERSION}:${timestamp}:${rawBody}`).digest('hex');
  return `${VERSION}=${digest}`;
}

/** Checks the timestamp window, then the signature (constant-time). */
export function verifySlackSignature(input: SlackSignatureInput): SignatureCheck {
  const { timestamp, signature } = input;
  if (!timestamp || !signature) return { ok: false, failure: 'missing-headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, failure: 'bad-timestamp' };
  const skew = Math.abs(Math.floor(input.now.getTime() / 1000) - Number(timestamp));
  if (skew > SLACK_MAX_SKEW_SECONDS) return { ok: false, failure: 'stale-timestamp' };
  if (input.signingSecret === '') return { ok: false, failure: 'bad-signature' };
  const expected = Buffer.from(computeSlackSignature(input.signingSecret, timestamp, input.rawBody), 'utf8');
  const actual = Buffer.from(signature, 'utf8');
  // timingSafeEqual throws on different lengths; the expected length is public (v0= + 64 hex), so
  // checking it first leaks nothing about the secret.
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return { ok: false, failure: 'bad-signature' };
  }
  return { ok: true };
}

/** `action_id`s of the approval message's buttons. */
export const APPROVAL_ACTIONS = {
  approve: 'vigil_approve',
  reject: 'vigil_reject',
  undo: 'vigil_undo',
} as const;

/** A click on one of the approval message's buttons. */
export interface ApprovalClick {
  readonly kind: keyof typeof APPROVAL_ACTIONS;
  /** The button's `value`: the approval request id. */
  readonly requestId: string;
  /** `user.id` of who clicked. */
  readonly userId: string;
  /** Where to post the message update (valid for 30 minutes, 5 posts). */
  readonly responseUrl: string;
  /** `team.id`, for logs. @default - absent from the payload */
  readonly teamId?: string;
}

/** A click on one of an alert's verdict buttons (handlers/core/verdict.ts). */
export interface VerdictClick extends VerdictSubject {
  readonly kind: 'verdict';
  readonly verdict: Verdict;
  readonly userId: string;
  readonly responseUrl: string;
  readonly teamId?: string;
}

export type ParsedInteraction =
  | { readonly ok: true; readonly click: ApprovalClick | VerdictClick }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses the body of an interactivity request: Slack sends `application/x-www-form-urlencoded` with
 * one `payload` field holding JSON (Slack's "Handling user interaction" guide). Only `block_actions`
 * with one of our buttons is accepted; Slack user ids are checked against their documented shape
 * because they end up in `<@…>` mentions.
 */
export function parseSlackInteraction(rawBody: string): ParsedInteraction {
  const payload = new URLSearchParams(rawBody).get('payload');
  if (payload === null) return { ok: false, reason: 'no payload field' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const p = record(parsed);
  if (p.type !== 'block_actions') return { ok: false, reason: `unsupported interaction type ${String(p.type)}` };
  const userId = record(p.user).id;
  if (typeof userId !== 'string' || !/^[UW][A-Z0-9]{2,30}$/.test(userId)) {
    return { ok: false, reason: 'no valid user.id' };
  }
  const actions = Array.isArray(p.actions) ? p.actions : [];
  const action = record(actions[0]);
  const responseUrl = p.response_url;
  if (typeof responseUrl !== 'string' || !isPostableUrl(responseUrl)) {
    return { ok: false, reason: 'no https response_url' };
  }
  const teamId = record(p.team).id;
  const team = typeof teamId === 'string' ? { teamId } : {};
  const verdict = verdictOfAction(action.action_id);
  if (verdict) {
    const subject = parseVerdictValue(action.value);
    if (!subject) return { ok: false, reason: 'verdict button value is not detection, account and event ids' };
    return { ok: true, click: { kind: 'verdict', verdict, ...subject, userId, responseUrl, ...team } };
  }
  const kind = (Object.keys(APPROVAL_ACTIONS) as Array<keyof typeof APPROVAL_ACTIONS>).find(
    (k) => APPROVAL_ACTIONS[k] === action.action_id,
  );
  if (!kind) return { ok: false, reason: 'not a vigil button' };
  if (typeof action.value !== 'string' || !REQUEST_ID_PATTERN.test(action.value)) {
    return { ok: false, reason: 'button value is not a request id' };
  }
  return { ok: true, click: { kind, requestId: action.value, userId, responseUrl, ...team } };
}

/** https, or http to a loopback address (local test servers): the rule of the webhook adapters. */
function isPostableUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (
      u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname))
    );
  } catch {
    return false;
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
