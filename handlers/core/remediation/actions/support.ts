/**
 * Small pure helpers shared by the remediation actions: defensive readers for CloudTrail records (whose
 * shapes vary between API versions), ARN parsing and matching, CloudTrail event-history entries, and
 * plan constructors. No SDK, no environment, no clock.
 */
import type { RemediationId } from '../../../../rules/types';
import type {
  PlannedCall,
  PublicAccessBlockFlags,
  RemediationEvent,
  RemediationPlan,
  RemediationService,
  RemediationTarget,
  TargetResult,
} from '../types';

/** A JSON object. */
export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** CloudTrail renders a one-element list as an object and a longer one as an array; accept both. */
export const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** A non-empty string, or undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A number, also from a numeric string (CloudTrail is not consistent), or undefined. */
export const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

/** `items` of a CloudTrail list wrapper (`{ items: [...] }`), as objects. */
export const items = (wrapper: unknown): Json[] =>
  isObject(wrapper) ? asArray(wrapper['items']).filter(isObject) : asArray(wrapper).filter(isObject);

/** The request parameters of the event's CloudTrail record (empty when absent or null). */
export const requestOf = (event: RemediationEvent): Json =>
  isObject(event.detail.requestParameters) ? event.detail.requestParameters : {};

/** The response elements of the event's CloudTrail record (empty when absent or null). */
export const responseOf = (event: RemediationEvent): Json =>
  isObject(event.detail.responseElements) ? event.detail.responseElements : {};

/** The account the call was made in: `recipientAccountId`, else the EventBridge `account`. */
export const accountOf = (event: RemediationEvent): string => event.detail.recipientAccountId ?? event.account;

/** The region of the call: `awsRegion`, else the EventBridge `region`. */
export const regionOf = (event: RemediationEvent): string => event.detail.awsRegion ?? event.region;

/** CloudTrail `eventID` (the id event history knows it by), else the EventBridge id. */
export const eventIdOf = (event: RemediationEvent): string => str(event.detail['eventID']) ?? event.id;

/** CloudTrail `eventTime` (ISO 8601), else the EventBridge `time`. */
export const eventTimeOf = (event: RemediationEvent): string => str(event.detail['eventTime']) ?? event.time;

/** A refusal from `target()`. */
export const refuse = (reason: string): TargetResult => ({ refuse: reason });

/** A target of `action` in the event's account and the given region. */
export function targetOf(
  action: RemediationId,
  event: RemediationEvent,
  region: string,
  resourceId: string,
  details: Json,
): RemediationTarget {
  return { action, accountId: accountOf(event), region, resourceId, details };
}

/** A planned call. */
export const call = (service: RemediationService, operation: string, input: Json, region: string): PlannedCall => ({
  service,
  operation,
  input,
  region,
});

/** Plan constructors, so every action reports the three outcomes the same way. */
export const compliant = (target: RemediationTarget, reason: string): RemediationPlan => ({
  kind: 'already-compliant',
  target,
  reason,
});
export const refusePlan = (target: RemediationTarget, reason: string): RemediationPlan => ({
  kind: 'refuse',
  target,
  reason,
});
export const act = (
  target: RemediationTarget,
  summary: string,
  calls: readonly PlannedCall[],
  snapshot: Json,
): RemediationPlan => ({ kind: 'act', target, summary, calls, snapshot });

/** Reads a string detail of a target; `''` when absent (targets are built by this module's actions). */
export const detail = (target: RemediationTarget, key: string): string => str(target.details[key]) ?? '';

/** The parts of an ARN: `arn:partition:service:region:account:resource`. */
export interface ParsedArn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

/** Parses an ARN, or undefined for anything else (a plain name, an id). */
export function parseArn(value: string): ParsedArn | undefined {
  const m = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(.+)$/.exec(value);
  if (!m) return undefined;
  return { partition: m[1]!, service: m[2]!, region: m[3]!, account: m[4]!, resource: m[5]! };
}

/**
 * Whether an ARN matches a pattern in which `*` stands for any characters (IAM `ArnLike` semantics,
 * where `*` may span `/`). Case-sensitive, as ARNs are.
 */
export function arnMatches(pattern: string, arn: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`).test(arn);
}

// ---------------------------------------------------------------------------------------------
// CloudTrail event history (LookupEvents)

/** One entry of CloudTrail event history, as `LookupEvents` returns it. */
export interface HistoryEvent {
  readonly eventId: string;
  readonly eventName: string;
  /** ISO 8601. */
  readonly eventTime: string;
  /** The full CloudTrail record, JSON-encoded (LookupEvents' `CloudTrailEvent`). */
  readonly cloudTrailEvent?: string;
}

/** The events of one `LookupEvents` query, every page read (up to a cap). */
export interface HistoryPage {
  readonly events: readonly HistoryEvent[];
  /** Every page of the query was read (no `NextToken` left). */
  readonly complete: boolean;
}

/** The parsed CloudTrail record of a history event, or an empty object when it does not parse. */
export function historyRecord(e: HistoryEvent): Json {
  if (e.cloudTrailEvent === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(e.cloudTrailEvent);
    return isObject(parsed) ? parsed : {};
  } catch {
    // Event history always sends JSON; a record that does not parse carries no evidence.
    return {};
  }
}

/** Milliseconds since the epoch of an ISO timestamp, or NaN. */
export const timeOf = (iso: string): number => Date.parse(iso);

/** CloudTrail event history keeps 90 days of management events (LookupEvents API reference). */
export const HISTORY_DAYS = 90;

/** The ISO timestamp `days` before `iso` (pure arithmetic on the event's own time, no clock). */
export const daysBefore = (iso: string, days: number): string =>
  new Date(timeOf(iso) - days * 86_400_000).toISOString();

// ---------------------------------------------------------------------------------------------
// S3 Block Public Access (bucket and account level share the logic)

/** The four flags, in the order S3 documents them. */
export const PAB_FLAGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

/** All four flags on: the CIS / Security Hub S3.1 and S3.8 baseline. */
export const FULL_BLOCK: PublicAccessBlockFlags = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

/** A configuration as GetPublicAccessBlock returns it (a flag may be absent = false), or none at all. */
export type PublicAccessBlockState =
  | { readonly configuration: 'none' }
  | { readonly configuration: Partial<Record<(typeof PAB_FLAGS)[number], boolean>> };

/** The flags of a state, absent ones (and "no configuration") as false. */
export const flagsOf = (state: PublicAccessBlockState): PublicAccessBlockFlags => {
  const c = state.configuration === 'none' ? {} : state.configuration;
  return {
    BlockPublicAcls: c.BlockPublicAcls === true,
    IgnorePublicAcls: c.IgnorePublicAcls === true,
    BlockPublicPolicy: c.BlockPublicPolicy === true,
    RestrictPublicBuckets: c.RestrictPublicBuckets === true,
  };
};

/**
 * Current flags merged with the baseline: a flag is on when it is on now OR the baseline asks for it.
 * Never switches a flag off, so a setting stronger than the baseline survives.
 */
export const mergeBaseline = (
  current: PublicAccessBlockFlags,
  baseline: PublicAccessBlockFlags,
): PublicAccessBlockFlags => ({
  BlockPublicAcls: current.BlockPublicAcls || baseline.BlockPublicAcls,
  IgnorePublicAcls: current.IgnorePublicAcls || baseline.IgnorePublicAcls,
  BlockPublicPolicy: current.BlockPublicPolicy || baseline.BlockPublicPolicy,
  RestrictPublicBuckets: current.RestrictPublicBuckets || baseline.RestrictPublicBuckets,
});

/** The baseline flags that are off in `current`. */
export const missingFlags = (current: PublicAccessBlockFlags, baseline: PublicAccessBlockFlags): string[] =>
  PAB_FLAGS.filter((f) => baseline[f] && !current[f]);

/** The baseline a target carries (set by `target()` from the context). */
export const baselineOf = (details: Json): PublicAccessBlockFlags => {
  const b = isObject(details['baseline']) ? details['baseline'] : {};
  return {
    BlockPublicAcls: b['BlockPublicAcls'] === true,
    IgnorePublicAcls: b['IgnorePublicAcls'] === true,
    BlockPublicPolicy: b['BlockPublicPolicy'] === true,
    RestrictPublicBuckets: b['RestrictPublicBuckets'] === true,
  };
};

/**
 * The trail a CloudTrail API event names: the response's `trailARN`, else the request's `requestField` (a name or
 * an ARN); refused when there is none, or when the ARN is another account's (a trail is acted on in its owner's
 * account).
 */
export function trailOf(
  event: RemediationEvent,
  requestField: string,
): { readonly trail: string; readonly arn: ParsedArn | undefined } | { readonly refuse: string } {
  const trail = str(responseOf(event)['trailARN']) ?? str(requestOf(event)[requestField]);
  if (!trail) return { refuse: `${event.detail.eventName} event names no trail` };
  const arn = parseArn(trail);
  if (arn && arn.account !== accountOf(event)) {
    return { refuse: `trail ${trail} belongs to account ${arn.account}, not ${accountOf(event)}` };
  }
  return { trail, arn };
}
