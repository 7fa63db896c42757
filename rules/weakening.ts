/**
 * Weakening-only predicates: for settings calls that can both harden and weaken a defence (a trail,
 * its event selectors, the Config recorder and delivery channel, GuardDuty, the password policy),
 * alert only when the new settings turn something off, narrow it or send it elsewhere. A call that
 * only turns things on, or re-states what is already the secure baseline, is not a finding.
 *
 * Every predicate here FAILS OPEN: when the request cannot be read (no `requestParameters`, not an
 * object, truncated by CloudTrail with `omitted: true`, a field of an unexpected type, a setting
 * this file does not know) it answers `true` and the detection alerts. Only a request that is
 * clearly not weakening answers `false`. Pure: no SDK, no environment, no clock.
 *
 * Field names are those CloudTrail records (camelCase of the service's JSON/query API):
 * UpdateTrail, PutEventSelectors (`eventSelectors[]` and `advancedEventSelectors[].fieldSelectors[]`),
 * PutConfigurationRecorder (`configurationRecorder.recordingGroup` / `.recordingMode`),
 * PutDeliveryChannel (`deliveryChannel`), UpdateDetector (`enable`, `dataSources`, `features[]`),
 * CreateFilter / UpdateFilter (`action`, `findingCriteria`), UpdateAccountPasswordPolicy.
 */
import type { CloudTrailEventBridgeEvent, PredicateContext } from './predicates';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** CloudTrail renders a one-element list as an object and a longer one as an array; accept both. */
const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/**
 * The request parameters, or `undefined` when they cannot be read: missing, `null`, not an object,
 * or truncated by CloudTrail (`omitted: true`, which it records for oversized requests).
 */
export function readableRequest(event: CloudTrailEventBridgeEvent): Json | undefined {
  const detail: unknown = (event as { detail?: unknown }).detail;
  if (!isObject(detail)) return undefined;
  const p = detail['requestParameters'];
  if (!isObject(p) || p['omitted'] === true || p['omitted'] === 'true') return undefined;
  return p;
}

/** A boolean as CloudTrail may record it (`false`, `"false"`); `undefined` for anything else. */
function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  return undefined;
}

/** A whole number as a number or numeric string; `undefined` for anything else. */
function num(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** The 12-digit account of an ARN (`arn:aws:kms:eu-west-1:123456789012:key/...`), if any. */
const arnAccount = (arn: string): string | undefined =>
  /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/.exec(arn)?.[1];

// ---------------------------------------------------------------------------------------------
// CloudTrail: UpdateTrail

/** UpdateTrail switches that weaken the trail when set to `false`. */
const TRAIL_SWITCHES = [
  'isMultiRegionTrail',
  'includeGlobalServiceEvents',
  'enableLogFileValidation',
  'isOrganizationTrail',
];
/** UpdateTrail settings that remove a destination or protection when set to `""`. */
const TRAIL_CLEARABLE = ['kmsKeyId', 'cloudWatchLogsLogGroupArn', 'cloudWatchLogsRoleArn', 'snsTopicName'];
/** UpdateTrail settings that re-point where the log files go: any value is a redirect. */
const TRAIL_REDIRECTS = ['s3BucketName', 's3KeyPrefix'];
/** Names of the trail (no effect on what is logged). */
const TRAIL_NAMES = ['name', 'trailName'];
const TRAIL_KNOWN = new Set([...TRAIL_SWITCHES, ...TRAIL_CLEARABLE, ...TRAIL_REDIRECTS, ...TRAIL_NAMES]);

/**
 * `UpdateTrail` that weakens the trail: a switch turned off (`isMultiRegionTrail`,
 * `includeGlobalServiceEvents`, `enableLogFileValidation`, `isOrganizationTrail` = false), encryption,
 * the CloudWatch Logs delivery or the SNS notification removed (`""`), the log files re-pointed
 * (`s3BucketName` or `s3KeyPrefix` given: the event does not carry the old value, so any value is
 * treated as a redirect), or encryption moved to a KMS key of an account outside the organization.
 * Turning validation, multi-region or global events on, or adding or changing a KMS key of the
 * organization, is not a finding. Unreadable requests and settings this predicate does not know alert.
 */
export function trailUpdateWeakens(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): boolean {
  const p = readableRequest(event);
  if (!p) return true;
  for (const [key, value] of Object.entries(p)) {
    if (!TRAIL_KNOWN.has(key)) return true;
    if (TRAIL_SWITCHES.includes(key) && bool(value) !== true) return true;
    if (TRAIL_CLEARABLE.includes(key) && (typeof value !== 'string' || value.trim() === '')) return true;
    if (TRAIL_REDIRECTS.includes(key)) return true;
    if (key === 'kmsKeyId' && typeof value === 'string') {
      const account = arnAccount(value.trim());
      if (account !== undefined && !ctx.organizationAccountIds.has(account)) return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// CloudTrail: PutEventSelectors

/**
 * What one selector records of the management events: reads, writes, and the event sources it
 * leaves out. A selector narrowed in a way this file cannot reason about (an `eventSource` allow
 * list, `eventName`, prefixes) records nothing here, which can only make the result alert.
 */
interface ManagementCoverage {
  readonly read: boolean;
  readonly write: boolean;
  readonly excluded: ReadonlySet<string>;
}

const NOTHING: ManagementCoverage = { read: false, write: false, excluded: new Set() };

function basicCoverage(s: Json): ManagementCoverage {
  const include = s['includeManagementEvents'] === undefined ? true : bool(s['includeManagementEvents']);
  if (include !== true) return NOTHING;
  const rw = s['readWriteType'] === undefined ? 'All' : s['readWriteType'];
  const excludedRaw = asArray(s['excludeManagementEventSources']);
  if (!excludedRaw.every((v) => typeof v === 'string')) return NOTHING;
  const excluded = new Set(excludedRaw as string[]);
  if (rw === 'All') return { read: true, write: true, excluded };
  if (rw === 'ReadOnly') return { read: true, write: false, excluded };
  if (rw === 'WriteOnly') return { read: false, write: true, excluded };
  return NOTHING;
}

const OPERATORS = ['equals', 'notEquals', 'startsWith', 'notStartsWith', 'endsWith', 'notEndsWith'] as const;

/** The operators a field selector uses with their values (values must be strings). */
function conditions(f: Json): Map<string, string[]> | undefined {
  const out = new Map<string, string[]>();
  for (const op of OPERATORS) {
    if (f[op] === undefined || f[op] === null) continue;
    const values = asArray(f[op]);
    if (!values.every((v) => typeof v === 'string')) return undefined;
    out.set(op, values as string[]);
  }
  return out;
}

function advancedCoverage(s: Json): ManagementCoverage {
  const fields = asArray(s['fieldSelectors']);
  if (fields.length === 0 || !fields.every(isObject)) return NOTHING;
  let management = false;
  let read = true;
  let write = true;
  const excluded = new Set<string>();
  for (const f of fields as Json[]) {
    const ops = conditions(f);
    if (!ops || ops.size === 0) return NOTHING;
    const field = f['field'];
    if (field === 'eventCategory') {
      if (ops.size !== 1 || !ops.get('equals')?.includes('Management')) return NOTHING;
      management = true;
    } else if (field === 'readOnly') {
      // `readOnly` Equals "true" keeps reads only, "false" writes only; both values keep both.
      if (ops.size !== 1) return NOTHING;
      const [op, values] = [...ops][0]!;
      if (op !== 'equals' && op !== 'notEquals') return NOTHING;
      const keeps = (v: string): boolean => (op === 'equals' ? values.includes(v) : !values.includes(v));
      read &&= keeps('true');
      write &&= keeps('false');
    } else if (field === 'eventSource') {
      // Only NotEquals can leave the rest of the management events in (kms / rdsdata exclusions).
      if (ops.size !== 1 || !ops.has('notEquals')) return NOTHING;
      for (const v of ops.get('notEquals')!) excluded.add(v);
    } else {
      return NOTHING;
    }
  }
  return management ? { read, write, excluded } : NOTHING;
}

/** Whether the selectors together (they are OR-ed) still record every read or every write event. */
function fullyCovered(coverages: readonly ManagementCoverage[], kind: 'read' | 'write'): boolean {
  const relevant = coverages.filter((c) => c[kind]);
  if (relevant.length === 0) return false;
  // An event of source X is lost only when every selector that records its kind excludes X.
  const [first, ...rest] = relevant;
  return [...first!.excluded].every((source) => rest.some((c) => !c.excluded.has(source)));
}

/**
 * `PutEventSelectors` leaving the trail without every management event. Selectors are OR-ed: an
 * event is recorded when any selector records it, so the predicate computes the union of the basic
 * selectors (`includeManagementEvents` default true, `readWriteType` All / ReadOnly / WriteOnly,
 * `excludeManagementEventSources`) and the advanced selectors (`eventCategory` Equals Management,
 * `readOnly`, `eventSource` NotEquals) and alerts unless reads and writes of every source are still
 * recorded (a ReadOnly and a WriteOnly selector together are All). Data-event selectors do not
 * matter; only the new configuration is in the event, so dropping data events is not detected.
 * No selectors in the request (truncated or unreadable) alerts.
 */
export function eventSelectorsDropManagementEvents(event: CloudTrailEventBridgeEvent): boolean {
  const p = readableRequest(event);
  if (!p) return true;
  const basic = p['eventSelectors'];
  const advanced = p['advancedEventSelectors'];
  if ((basic === undefined || basic === null) && (advanced === undefined || advanced === null)) return true;
  const selectors = [...asArray(basic), ...asArray(advanced)];
  if (!selectors.every(isObject)) return true;
  const coverages = [
    ...asArray(basic).map((s) => basicCoverage(s as Json)),
    ...asArray(advanced).map((s) => advancedCoverage(s as Json)),
  ];
  return !(fullyCovered(coverages, 'read') && fullyCovered(coverages, 'write'));
}

// ---------------------------------------------------------------------------------------------
// AWS Config: PutConfigurationRecorder / PutDeliveryChannel

/** The region where vigil expects the global IAM resource types to be recorded (IAM's own region). */
export const GLOBAL_RESOURCES_REGION = 'us-east-1';

/**
 * The recorder no longer records every supported resource type continuously: `recordingGroup`
 * missing or unreadable, `allSupported` not true, a `recordingStrategy` other than
 * ALL_SUPPORTED_RESOURCE_TYPES, `exclusionByResourceTypes` listing types, `includeGlobalResourceTypes`
 * false in us-east-1 (elsewhere it is the AWS recommendation: record the global IAM types in one
 * region only), or `recordingMode` with DAILY (periodic) recording, as default or as an override:
 * a daily snapshot misses a change reverted within the day.
 */
function recorderNarrowed(recorder: unknown, region: unknown): boolean {
  if (!isObject(recorder)) return true;
  const group = recorder['recordingGroup'];
  if (!isObject(group)) return true;
  if (bool(group['allSupported']) !== true) return true;
  const strategy = group['recordingStrategy'];
  if (strategy !== undefined && strategy !== null) {
    if (!isObject(strategy) || strategy['useOnly'] !== 'ALL_SUPPORTED_RESOURCE_TYPES') return true;
  }
  const exclusion = group['exclusionByResourceTypes'];
  if (exclusion !== undefined && exclusion !== null) {
    if (!isObject(exclusion) || asArray(exclusion['resourceTypes']).length > 0) return true;
  }
  if (region === GLOBAL_RESOURCES_REGION && bool(group['includeGlobalResourceTypes']) !== true) return true;
  const mode = recorder['recordingMode'];
  if (mode !== undefined && mode !== null) {
    if (!isObject(mode)) return true;
    const frequencies = [
      mode['recordingFrequency'],
      ...asArray(mode['recordingModeOverrides']).map((o) => (isObject(o) ? o['recordingFrequency'] : undefined)),
    ];
    if (frequencies.some((f, i) => (i === 0 && f === undefined ? false : f !== 'CONTINUOUS'))) return true;
  }
  return false;
}

/** Whether a bucket name carries the id of an organization account (`config-bucket-<id>`, Control Tower's `aws-controltower-logs-<id>-<region>`). */
const namesOrgAccount = (bucket: string, ctx: PredicateContext): boolean =>
  (bucket.match(/\d{12}/g) ?? []).some((id) => ctx.organizationAccountIds.has(id));

/**
 * The delivery channel sends the configuration history somewhere the organization cannot be shown
 * to own. PutDeliveryChannel replaces the whole channel and the event carries only the new one, so
 * a redirect cannot be told from a re-put of the same bucket; the predicate therefore stays silent
 * only when every destination is recognisably the organization's: a bucket whose name carries an
 * organization account id (the conventions `config-bucket-<account>` and Control Tower's
 * `aws-controltower-logs-<account>-<region>`), and an SNS topic and KMS key (if given) in
 * organization accounts. Frequency-only changes to such a channel are silent.
 */
function channelRedirected(channel: unknown, ctx: PredicateContext): boolean {
  if (!isObject(channel)) return true;
  const bucket = channel['s3BucketName'];
  if (typeof bucket !== 'string' || !namesOrgAccount(bucket, ctx)) return true;
  for (const key of ['snsTopicARN', 's3KmsKeyArn']) {
    const arn = channel[key];
    if (arn === undefined || arn === null || arn === '') continue;
    const account = typeof arn === 'string' ? arnAccount(arn) : undefined;
    if (account === undefined || !ctx.organizationAccountIds.has(account)) return true;
  }
  return false;
}

/**
 * `PutConfigurationRecorder` that stops recording everything continuously, or `PutDeliveryChannel`
 * that may send the configuration history outside the organization (see the two helpers above).
 * A recorder that records every supported type continuously (and the global IAM types in
 * us-east-1) is not a finding.
 */
export function configSettingsWeaken(event: CloudTrailEventBridgeEvent, ctx: PredicateContext): boolean {
  const p = readableRequest(event);
  if (!p) return true;
  switch (event.detail.eventName) {
    case 'PutConfigurationRecorder':
      return recorderNarrowed(p['configurationRecorder'], event.detail.awsRegion ?? event.region);
    case 'PutDeliveryChannel':
      return channelRedirected(p['deliveryChannel'], ctx);
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------
// GuardDuty

/** Every `enable` / `ebsVolumes` flag under `dataSources` (legacy data-source settings). */
function dataSourceFlags(v: unknown, key?: string): unknown[] {
  if (isObject(v)) return Object.entries(v).flatMap(([k, child]) => dataSourceFlags(child, k));
  return key === 'enable' || key === 'ebsVolumes' ? [v] : [];
}

/**
 * `UpdateDetector` that suspends the detector (`enable` false) or turns a protection off: a
 * `features[]` entry or one of its `additionalConfiguration[]` entries with status DISABLED, or a
 * legacy `dataSources` flag (`s3Logs.enable`, `kubernetes.auditLogs.enable`,
 * `malwareProtection.scanEc2InstanceWithFindings.ebsVolumes`) false. Changing the publishing
 * frequency or enabling features is not a finding.
 */
export function guardDutyDetectorWeakened(event: CloudTrailEventBridgeEvent): boolean {
  const p = readableRequest(event);
  if (!p) return true;
  if (p['enable'] !== undefined && bool(p['enable']) !== true) return true;
  if (dataSourceFlags(p['dataSources']).some((flag) => bool(flag) !== true)) return true;
  const features = asArray(p['features']);
  return features.some((f) => {
    if (!isObject(f)) return true;
    const entries = [f, ...asArray(f['additionalConfiguration'])];
    return entries.some((e) => !isObject(e) || (e['status'] !== undefined && e['status'] !== 'ENABLED'));
  });
}

/**
 * `CreateFilter` / `UpdateFilter` for a filter that archives findings (`action` ARCHIVE). NOOP
 * filters only save a view. `CreateFilter` without an action is NOOP (the API default);
 * `UpdateFilter` without an action keeps the filter's current action, which the event does not
 * carry, so changed `findingCriteria` alert (it may widen a suppression rule) and a change of only
 * the description or rank does not.
 */
export function guardDutyFilterArchives(event: CloudTrailEventBridgeEvent): boolean {
  const p = readableRequest(event);
  if (!p) return true;
  const action = p['action'];
  if (action === 'ARCHIVE') return true;
  if (action === 'NOOP') return false;
  if (action !== undefined && action !== null) return true;
  return event.detail.eventName !== 'CreateFilter' && p['findingCriteria'] !== undefined;
}

// ---------------------------------------------------------------------------------------------
// IAM password policy

/** CIS AWS Foundations 1.8 (v1.4+): minimum password length. */
export const CIS_MIN_PASSWORD_LENGTH = 14;
/** CIS AWS Foundations 1.9 (v1.4+): number of previous passwords that may not be reused. */
export const CIS_PASSWORD_REUSE_PREVENTION = 24;

/**
 * `DeleteAccountPasswordPolicy`, or `UpdateAccountPasswordPolicy` leaving a policy below CIS 1.8 /
 * 1.9: `minimumPasswordLength` under 14 or `passwordReusePrevention` under 24. The call replaces the
 * whole policy and omitted parameters revert to their defaults (length 8, no reuse prevention), so
 * an omitted parameter is below the threshold. Complexity flags and maximum age are not judged (CIS
 * v1.4+ dropped them, following NIST SP 800-63B).
 */
export function passwordPolicyWeakened(event: CloudTrailEventBridgeEvent): boolean {
  if (event.detail.eventName === 'DeleteAccountPasswordPolicy') return true;
  const p = readableRequest(event);
  if (!p) return true;
  const length = num(p['minimumPasswordLength']);
  const reuse = num(p['passwordReusePrevention']);
  return (
    length === undefined ||
    length < CIS_MIN_PASSWORD_LENGTH ||
    reuse === undefined ||
    reuse < CIS_PASSWORD_REUSE_PREVENTION
  );
}
