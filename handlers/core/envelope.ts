/**
 * Validates one triage queue message: `{"detectionId": "<id>", "event": <the EventBridge event>}` as
 * the central rules' input transformer writes it. Anything malformed, foreign or spoofed is rejected
 * with a reason; the caller logs it and drops the message (a bad message never improves on retry,
 * and must never be acted on).
 *
 * Why each check: the central bus accepts PutEvents from every principal of the organization, so a
 * member could put a hand-made event that looks like CloudTrail. EventBridge refuses PutEvents with a
 * `source` starting with `aws.`, so an `aws.` source plus a CloudTrail detail-type is the mark of a
 * genuine service event, and CloudTrail's own `recipientAccountId` must agree with the EventBridge
 * `account`. The account need not be in the inventory: the bus policy admits only the organization's
 * forwarder roles, so an unknown account is a member that was onboarded after the inventory was
 * shipped, and triage alerts on it (`not onboarded`). Fields triage can do without (who made the
 * call) are not required: a finding with a broken `userIdentity` still alerts, with a note. Pure.
 */
import { boundedJson } from '../../rules/bounded';
import type { CloudTrailEventBridgeEvent } from '../../rules/predicates';
import { API_CALL, CONSOLE_SIGNIN } from '../../rules/types';
import { isGuardDutyFinding } from './guardduty-finding';
import { isRecord } from './lambda-io';

/** A validated message. */
export interface TriageMessage {
  /** The detection whose central rule matched (not yet checked against the catalog). */
  readonly detectionId: string;
  readonly event: CloudTrailEventBridgeEvent;
}

/** Why a message was rejected, as a stable code for logs and tests. */
export type RejectCode =
  | 'too-large'
  | 'not-json'
  | 'bad-envelope'
  | 'spoofed-source'
  | 'not-cloudtrail'
  | 'account-mismatch'
  | 'missing-field'
  | 'bad-finding';

export type EnvelopeResult =
  | { readonly ok: true; readonly message: TriageMessage }
  | {
      readonly ok: false;
      readonly code: RejectCode;
      /** Human-readable, bounded in length, safe to log (attacker-controlled values are shortened). */
      readonly reason: string;
      /** What could be read before the check failed, for the log line. */
      readonly seen: { readonly detectionId?: string; readonly eventId?: string; readonly account?: string };
    };

/**
 * EventBridge events are at most 256 KB and SQS messages at most 1 MiB; a body beyond this cannot be
 * a message the central rules wrote.
 */
export const MAX_BODY_CHARS = 1_048_576;

/**
 * The detail-types CloudTrail delivers to EventBridge. Sign-in has two spellings in the wild (see
 * rules/types.ts); both are accepted here, the detections match on source and eventName.
 */
export const CLOUDTRAIL_DETAIL_TYPES: ReadonlySet<string> = new Set([
  API_CALL,
  CONSOLE_SIGNIN,
  'AWS Console Sign In via CloudTrail',
  'AWS Console Action via CloudTrail',
  'AWS Service Event via CloudTrail',
  'AWS Insight via CloudTrail',
]);

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** EventBridge and CloudTrail ids are UUIDs; allow some slack but keep them usable in keys and logs. */
const EVENT_ID = /^[\w-]{1,128}$/;
const DETECTION_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Parses and validates one SQS message body. */
export function parseTriageMessage(body: string): EnvelopeResult {
  const seen: { detectionId?: string; eventId?: string; account?: string } = {};
  const reject = (code: RejectCode, reason: string): EnvelopeResult => ({ ok: false, code, reason, seen });

  if (body.length > MAX_BODY_CHARS) {
    return reject('too-large', `body has ${body.length} characters; at most ${MAX_BODY_CHARS} are accepted`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return reject('not-json', `body is not JSON (starts with ${show(body.slice(0, 40))})`);
  }
  if (!isRecord(parsed)) return reject('bad-envelope', `body must be a JSON object, got ${show(parsed)}`);
  const { detectionId, event } = parsed;
  if (typeof detectionId !== 'string' || detectionId.length > 64 || !DETECTION_ID.test(detectionId)) {
    return reject('bad-envelope', `detectionId must be a kebab-case catalog id, got ${show(detectionId)}`);
  }
  seen.detectionId = detectionId;
  if (!isRecord(event)) return reject('bad-envelope', `event must be an object, got ${show(event)}`);
  const detail = event['detail'];
  if (isRecord(detail) && typeof detail['eventID'] === 'string') seen.eventId = detail['eventID'].slice(0, 128);
  if (typeof event['account'] === 'string') seen.account = event['account'].slice(0, 32);

  const source = event['source'];
  if (typeof source !== 'string' || !source.startsWith('aws.')) {
    return reject(
      'spoofed-source',
      `source ${show(source)} is not an AWS service source; only AWS services can put 'aws.*' events`,
    );
  }
  if (isGuardDutyFinding(event)) return checkFinding(detectionId, event, reject);
  const detailType = event['detail-type'];
  if (typeof detailType !== 'string' || !CLOUDTRAIL_DETAIL_TYPES.has(detailType)) {
    return reject('not-cloudtrail', `detail-type ${show(detailType)} is not one CloudTrail delivers`);
  }

  const account = event['account'];
  if (typeof account !== 'string' || !ACCOUNT_ID.test(account)) {
    return reject('missing-field', `account must be a 12-digit account id, got ${show(account)}`);
  }

  const missing = envelopeProblems(event);
  const need = (ok: boolean, field: string) => {
    if (!ok) missing.push(field);
  };
  if (!isRecord(detail)) {
    missing.push('detail');
  } else {
    need(isName(detail['eventName']), 'detail.eventName');
    need(isName(detail['eventSource']), 'detail.eventSource');
    need(isTimestamp(detail['eventTime']), 'detail.eventTime');
    need(typeof detail['eventID'] === 'string' && EVENT_ID.test(detail['eventID']), 'detail.eventID');
  }
  if (missing.length > 0) {
    return reject('missing-field', `missing or mistyped: ${missing.join(', ')} (truncated or hand-made event?)`);
  }
  const recipient = (detail as Record<string, unknown>)['recipientAccountId'];
  if (recipient !== undefined && recipient !== account) {
    return reject(
      'account-mismatch',
      `detail.recipientAccountId ${show(recipient)} differs from account ${account} (spoofed or inconsistent event)`,
    );
  }
  return { ok: true, message: { detectionId, event: event as unknown as CloudTrailEventBridgeEvent } };
}

/**
 * A GuardDuty finding event (source `aws.guardduty`, detail-type `GuardDuty Finding`): as unforgeable as a
 * CloudTrail event (PutEvents refuses `aws.` sources), checked for what triage needs to alert: the envelope
 * fields, and in the detail the finding's id, type and account, which must be the event's account (in an
 * organization with a GuardDuty delegated administrator, the administrator's bus receives members' findings
 * with the member's `accountId`: vigil forwards from each member's own bus, where the two agree). Severity,
 * resource and times are read when present (fail open: a finding missing them still alerts, with a note).
 * A finding that fails these checks is rejected as `bad-finding`.
 */
function checkFinding(
  detectionId: string,
  event: Record<string, unknown>,
  reject: (code: RejectCode, reason: string) => EnvelopeResult,
): EnvelopeResult {
  const account = event['account'];
  if (typeof account !== 'string' || !ACCOUNT_ID.test(account)) {
    return reject('bad-finding', `account must be a 12-digit account id, got ${show(account)}`);
  }
  const detail = event['detail'];
  const missing = envelopeProblems(event);
  const need = (ok: boolean, field: string) => {
    if (!ok) missing.push(field);
  };
  if (!isRecord(detail)) {
    missing.push('detail');
  } else {
    // GuardDuty finding ids are 32 hex characters; types are at most 50 characters (API reference, Finding).
    need(typeof detail['id'] === 'string' && EVENT_ID.test(detail['id']) && detail['id'].length <= 64, 'detail.id');
    need(isName(detail['type']) && (detail['type'] as string).length <= 100, 'detail.type');
    need(typeof detail['accountId'] === 'string', 'detail.accountId');
    need(detail['updatedAt'] === undefined || isTimestamp(detail['updatedAt']), 'detail.updatedAt');
    need(detail['severity'] === undefined || typeof detail['severity'] === 'number', 'detail.severity');
  }
  if (missing.length > 0) {
    return reject('bad-finding', `GuardDuty finding missing or mistyped: ${missing.join(', ')}`);
  }
  const findingAccount = (detail as Record<string, unknown>)['accountId'];
  if (findingAccount !== account) {
    return reject(
      'account-mismatch',
      `detail.accountId ${show(findingAccount)} differs from account ${account} (spoofed or inconsistent finding)`,
    );
  }
  return { ok: true, message: { detectionId, event: event as unknown as CloudTrailEventBridgeEvent } };
}

/** The EventBridge envelope fields every accepted event needs (id, time, region) that are missing or mistyped. */
function envelopeProblems(event: Record<string, unknown>): string[] {
  const missing: string[] = [];
  if (!(typeof event['id'] === 'string' && EVENT_ID.test(event['id']))) missing.push('id');
  if (!isTimestamp(event['time'])) missing.push('time');
  if (!(typeof event['region'] === 'string' && REGION.test(event['region']))) missing.push('region');
  return missing;
}

/** CloudTrail names (`StopLogging`, `cloudtrail.amazonaws.com`) are short; a huge one is not a name. */
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;

const isTimestamp = (v: unknown): v is string =>
  typeof v === 'string' && v.length <= 40 && /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v));

/** A value for a log line: JSON, shortened; never the whole of an attacker-controlled input. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // Bounded: the value is attacker-controlled and may nest deeper than JSON.stringify can recurse.
  const text = boundedJson(value, { maxChars: 60 }) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
