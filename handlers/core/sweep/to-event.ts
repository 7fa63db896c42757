/**
 * CloudTrail record → the EventBridge event a rule sees: the one conversion shared by `npm run replay` (and `plan`,
 * `undo`) and the trail-log sweep, so both run the decision engine on exactly the events real time would have
 * delivered. Pure: no I/O, no clock.
 *
 * The envelope follows the EventBridge user guide ("AWS service events delivered via AWS CloudTrail",
 * eb-service-event-cloudtrail): `source` is `aws.` + the service prefix of `eventSource`, `detail-type` comes from
 * the record's `eventType`, `account` is `recipientAccountId`, `region` is `awsRegion`, `time` is `eventTime`, and
 * `detail` is the record itself.
 */
import { API_CALL, CONSOLE_SIGNIN } from '../../../rules/types';

/** An EventBridge event as a rule sees it. `detail` is the CloudTrail record for CloudTrail events. */
export interface TrailEvent {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly unknown[];
  readonly detail: Readonly<Record<string, unknown>>;
}

/** The outcome of turning one input item into an event: the event, or why the item was skipped. */
export type ToEventResult = { readonly event: TrailEvent } | { readonly problem: string };

/**
 * `detail-type` per CloudTrail `eventType` (EventBridge user guide, eb-service-event-cloudtrail). Records without
 * a known `eventType` are API calls, which is what CloudTrail writes for them.
 */
const DETAIL_TYPES: Readonly<Record<string, string>> = {
  AwsApiCall: API_CALL,
  AwsConsoleSignIn: CONSOLE_SIGNIN,
  AwsConsoleAction: 'AWS Console Action via CloudTrail',
  AwsServiceEvent: 'AWS Service Event via CloudTrail',
  AwsCloudTrailInsight: 'AWS Insight via CloudTrail',
};

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';

const sources = new Map<string, string>();

/**
 * EventBridge `source` for a CloudTrail `eventSource`: `aws.` + the service prefix, e.g. `ec2.amazonaws.com` →
 * `aws.ec2`, `signin.amazonaws.com` → `aws.signin` (EventBridge events reference, "events delivered via CloudTrail").
 */
export function sourceFor(eventSource: string): string {
  let source = sources.get(eventSource);
  if (source === undefined) {
    const at = eventSource.indexOf('.amazonaws.com');
    source = `aws.${at > 0 ? eventSource.slice(0, at) : eventSource.split('.')[0]}`;
    // Bounded by the number of AWS services in practice; the guard keeps hostile input from growing it forever.
    if (sources.size < 10_000) sources.set(eventSource, source);
  }
  return source;
}

/** `detail-type` EventBridge gives a CloudTrail record of this `eventType`. */
export function detailTypeFor(eventType: unknown): string {
  return (typeof eventType === 'string' && DETAIL_TYPES[eventType]) || API_CALL;
}

/** What an input item looks like: an EventBridge event, a bare CloudTrail record, or neither. */
export function itemKind(value: unknown): 'event' | 'record' | undefined {
  if (!isObject(value)) return undefined;
  if ('detail-type' in value || ('detail' in value && 'source' in value)) return 'event';
  if ('eventSource' in value && 'eventName' in value) return 'record';
  return undefined;
}

/** A short description of a JSON value's type for messages (`an array`, `an object with keys a, b`). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (isObject(value)) {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 4).join(', ')}`;
  }
  return `a ${typeof value}`;
}

/**
 * Wraps a CloudTrail record (an element of a log file's `Records`) into the EventBridge envelope: `source` from the
 * eventSource, `detail-type` from the eventType, `account` = recipientAccountId, `region` = awsRegion, `time` =
 * eventTime, `id` = eventID and `detail` = the record itself.
 */
export function wrapCloudTrailRecord(record: unknown): ToEventResult {
  if (!isObject(record)) return { problem: `a CloudTrail record must be a JSON object, got ${describeValue(record)}` };
  const { eventSource, eventName, eventTime, awsRegion, eventID } = record;
  let account = record['recipientAccountId'];
  // Records from before recipientAccountId existed (2015) only name the caller's account.
  if (!nonEmpty(account) && isObject(record['userIdentity'])) account = record['userIdentity']['accountId'];
  if (
    !nonEmpty(eventSource) ||
    !nonEmpty(eventName) ||
    !nonEmpty(eventTime) ||
    !nonEmpty(awsRegion) ||
    !nonEmpty(account)
  ) {
    const fields = { eventSource, eventName, eventTime, awsRegion, recipientAccountId: account };
    const missing = Object.entries(fields).filter(([, v]) => !nonEmpty(v));
    return { problem: `CloudTrail record without ${missing.map(([k]) => k).join(', ')}` };
  }
  if (Number.isNaN(Date.parse(eventTime))) {
    return { problem: `CloudTrail record with an unreadable eventTime '${eventTime}'` };
  }
  return {
    event: {
      version: '0',
      id: nonEmpty(eventID) ? eventID : '',
      'detail-type': detailTypeFor(record['eventType']),
      source: sourceFor(eventSource),
      account,
      time: eventTime,
      region: awsRegion,
      resources: [],
      detail: record,
    },
  };
}

/** Checks an EventBridge event read from an event file; bare CloudTrail records are wrapped first. */
export function toEvent(value: unknown): ToEventResult {
  const kind = itemKind(value);
  if (kind === 'record') return wrapCloudTrailRecord(value);
  if (kind === undefined || !isObject(value)) {
    return { problem: `neither an EventBridge event nor a CloudTrail record (${describeValue(value)})` };
  }
  const missing = ['source', 'detail-type', 'account', 'region', 'time'].filter((k) => !nonEmpty(value[k]));
  if (!isObject(value['detail'])) missing.push('detail');
  if (missing.length > 0) return { problem: `EventBridge event without ${missing.join(', ')}` };
  if (Number.isNaN(Date.parse(value['time'] as string))) {
    return { problem: `EventBridge event with an unreadable time '${String(value['time'])}'` };
  }
  return {
    event: {
      ...(value as unknown as TrailEvent),
      version: typeof value['version'] === 'string' ? value['version'] : '0',
      id: typeof value['id'] === 'string' ? value['id'] : '',
      resources: Array.isArray(value['resources']) ? value['resources'] : [],
    },
  };
}
