/**
 * The triage decision for one validated queue message, as pure functions: which detection, whether
 * the event is really a finding (loop guard, failed calls, pattern, predicate), the account facts,
 * the effective severity, the keys that deduplicate it, whether it belongs to a burst, which resource
 * tags to read, where to route it, and finally the Alert. No SDK, no environment, no clock: the
 * entrypoint performs the side effects (dedupe store, tag lookup, notification) in between.
 */
import { createHash } from 'node:crypto';
import type { EnvironmentClass } from '../../config/inventory';
import { boundedJson, exceedsBounds, MAX_EVENT_DEPTH, MAX_WALK_NODES } from '../../rules/bounded';
import { compilePattern, type CompiledPattern } from '../../rules/event-pattern';
import type { CloudTrailEventBridgeEvent, Predicate, PredicateContext } from '../../rules/predicates';
import { type Detection, SEVERITIES, type Severity } from '../../rules/types';
import { isOwnCorrectiveCall } from '../../rules/vigil-roles';
import { HEARTBEAT_TAMPERED_ID } from '../../rules/catalog/heartbeat';
import { findingView } from './guardduty-finding';
import { checkHeartbeat, type HeartbeatCall } from './heartbeat';
import { truncateText } from './alert';
import type { TriageMessage } from './envelope';
import { findAccount, type HandlerAccount, type HandlerInventory } from './inventory-view';
import { isRecord } from './lambda-io';
import { makePredicateContext } from './own-calls';
import { alertFacts } from './triage-alert';

// The routing and the Alert live in triage-alert.ts; their names stay importable from here.
export {
  ALERT_LIMITS,
  type BurstFacts,
  buildAlert,
  describeSeconds,
  flattenParameters,
  type RoutingConfig,
  routeAlert,
} from './triage-alert';
import type { AffectedResource, AlertDecision, BurstPlan } from './triage-decision';

// ---------------------------------------------------------------------------------------------
// Context, built once per Lambda container

/** A detection with its pattern compiled and its predicate resolved. */
export interface CompiledDetection {
  readonly detection: Detection;
  readonly matches: CompiledPattern;
  /** @default - the pattern alone decides */
  readonly predicate?: Predicate;
}

/** Everything a decision needs besides the message. */
export interface TriageContext {
  readonly inventory: HandlerInventory;
  readonly detections: ReadonlyMap<string, CompiledDetection>;
  readonly predicateContext: PredicateContext;
  /** Seconds during which repeats of one detection on one resource are suppressed. @default 900 */
  readonly repeatWindowSeconds?: number;
  /** For each detection id, the detections that supersede it (Detection.supersedes, inverted). @default - none */
  readonly supersededBy?: ReadonlyMap<string, readonly CompiledDetection[]>;
}

/** Default suppression window for repeats of a detection on the same resource (15 minutes). */
export const DEFAULT_REPEAT_WINDOW_SECONDS = 900;

/**
 * Compiles every detection's pattern once and resolves its predicate by name.
 * @throws Error when a pattern is invalid or a detection names a predicate that does not exist: the
 *   catalog and the handler disagree, and no message could be triaged correctly
 */
export function makeTriageContext(
  inventory: HandlerInventory,
  catalog: readonly Detection[],
  predicates: Readonly<Record<string, Predicate>>,
  options: { readonly repeatWindowSeconds?: number } = {},
): TriageContext {
  const detections = new Map<string, CompiledDetection>();
  for (const detection of catalog) {
    let predicate: Predicate | undefined;
    if (detection.predicate !== undefined) {
      predicate = Object.hasOwn(predicates, detection.predicate) ? predicates[detection.predicate] : undefined;
      if (!predicate) {
        throw new Error(`detection ${detection.id} names predicate '${detection.predicate}', which does not exist`);
      }
    }
    let matches: CompiledPattern;
    try {
      matches = compilePattern(detection.pattern);
    } catch (err) {
      throw new Error(`detection ${detection.id}: ${(err as Error).message}`, { cause: err });
    }
    detections.set(detection.id, { detection, matches, predicate });
  }
  if (catalog.some((d) => d.class === 'heartbeat') && !detections.has(HEARTBEAT_TAMPERED_ID)) {
    throw new Error(
      `the catalog has heartbeat detections but not ${HEARTBEAT_TAMPERED_ID}, which heartbeat look-alikes alert as`,
    );
  }
  const supersededBy = new Map<string, CompiledDetection[]>();
  for (const compiled of detections.values()) {
    for (const broader of compiled.detection.supersedes ?? []) {
      if (!detections.has(broader)) {
        throw new Error(`detection ${compiled.detection.id} supersedes '${broader}', which is not in the catalog`);
      }
      supersededBy.set(broader, [...(supersededBy.get(broader) ?? []), compiled]);
    }
  }
  return {
    inventory,
    detections,
    supersededBy,
    predicateContext: makePredicateContext({
      organizationId: inventory.organizationId,
      namePrefix: inventory.namePrefix,
      accountIds: Object.keys(inventory.accounts),
      securityAccountId: inventory.securityAccountId,
    }),
    repeatWindowSeconds: options.repeatWindowSeconds,
  };
}

// ---------------------------------------------------------------------------------------------
// The decision

/**
 * Why an event does not alert: `invalid` (unknown detection, or the event does not match the
 * detection's pattern: spoofed, or the catalog changed under a queued message), `own-remediation`
 * (a corrective call made by vigil's remediation role, see rules/vigil-roles.ts), `failed-call` (the call failed and the detection is not about
 * failures), `no-finding` (the predicate found nothing, e.g. an inline policy without `*`).
 */
export type DropCategory = 'invalid' | 'own-remediation' | 'failed-call' | 'no-finding' | 'superseded';

export interface DropDecision {
  readonly kind: 'drop';
  readonly category: DropCategory;
  readonly reason: string;
  /** @default - the detection id was not in the catalog */
  readonly detection?: Detection;
}

export type { AffectedResource, AlertDecision, BurstPlan, TagLookup } from './triage-decision';

/**
 * vigil's own heartbeat (class `heartbeat`), made by the exact heartbeat role of its account: recorded in
 * the coverage table, never alerted, digested or remediated.
 */
export interface HeartbeatDecision {
  readonly kind: 'heartbeat';
  readonly detection: Detection;
  readonly heartbeat: HeartbeatCall;
}

export type TriageDecision = DropDecision | AlertDecision | HeartbeatDecision;

/**
 * Decides what to do with one validated message (see {@link DropCategory} for the reasons to drop).
 * The checks run in this order so that each drop has its most specific reason: a failed call is
 * reported as such, not as "does not match the pattern" (most patterns exclude `errorCode`).
 */
export function triageMessage(message: TriageMessage, ctx: TriageContext): TriageDecision {
  // GuardDuty findings are read through a CloudTrail-shaped view (handlers/core/guardduty-finding.ts).
  const event = findingView(message.event);
  const queued = ctx.detections.get(message.detectionId);
  if (!queued) {
    return { kind: 'drop', category: 'invalid', reason: `detection '${message.detectionId}' is not in the catalog` };
  }
  // A heartbeat look-alike (its rule matched, but not the exact heartbeat role and call of the account) is
  // never dropped: it is decided as the tamper detection, with the reason on the alert.
  let compiled = queued;
  let lookAlike: string | undefined;
  if (queued.detection.class === 'heartbeat') {
    if (isFailedCall(event)) {
      return {
        kind: 'drop',
        category: 'failed-call',
        reason: `the heartbeat call failed (${clip(String(event.detail.errorCode), 80)})`,
        detection: queued.detection,
      };
    }
    if (!queued.matches(event)) {
      return {
        kind: 'drop',
        category: 'invalid',
        reason: `event does not match the pattern of ${queued.detection.id} (spoofed, or the catalog changed after it was queued)`,
        detection: queued.detection,
      };
    }
    const check = checkHeartbeat(event, ctx.inventory.namePrefix);
    if (check.ok) return { kind: 'heartbeat', detection: queued.detection, heartbeat: check.call };
    compiled = ctx.detections.get(HEARTBEAT_TAMPERED_ID)!;
    lookAlike = check.why;
  }
  const { detection } = compiled;
  const drop = (category: DropCategory, reason: string): DropDecision => ({
    kind: 'drop',
    category,
    reason,
    detection,
  });

  // Fail open on detection: what cannot be read is noted on the alert, and withholds remediation.
  const notes: string[] = [];
  const withheld: string[] = [];
  const known = findAccount(ctx.inventory, event.account);
  const account = known ?? notOnboarded(event.account);
  if (!known) {
    notes.push(
      `Account ${event.account} is not in vigil's inventory: it joined the organization (only its forwarder ` +
        'can reach the central bus) but was not onboarded. The owner is the organization default; onboard the ' +
        'account (README, Onboarding) so its owner, environment and remediation apply.',
    );
    withheld.push('the account is not onboarded');
  }
  if (!isRecord(event.detail.userIdentity)) {
    notes.push('Malformed event: detail.userIdentity is missing or not an object, so who made the call is unknown.');
    withheld.push('the event is malformed (no userIdentity)');
  }
  const own = ownRemediationSession(event, ctx.predicateContext);
  if (own) {
    return drop(
      'own-remediation',
      `a corrective call by vigil's remediation role (${own}); never alerted as an incident`,
    );
  }
  if (isFailedCall(event) && !detection.aboutFailures) {
    return drop('failed-call', `the call failed (${clip(String(event.detail.errorCode), 80)}); not a change`);
  }
  if (lookAlike !== undefined) {
    notes.push(
      `Looks like vigil's heartbeat (${queued.detection.id}) but is not one: ${clip(lookAlike, 300)}. Forged ` +
        'heartbeats can make a broken path look healthy.',
    );
  } else if (!compiled.matches(event)) {
    return drop(
      'invalid',
      `event does not match the pattern of ${detection.id} (spoofed, or the catalog changed after it was queued)`,
    );
  }
  if (compiled.predicate) {
    const found = runPredicate(compiled, event, ctx.predicateContext);
    if (found === false) return drop('no-finding', `predicate ${detection.predicate} found nothing to report`);
    if (found !== true) {
      // A predicate that cannot read the event must not lose a matched finding: alert with what was read.
      notes.push(`Malformed event: predicate ${detection.predicate} could not read it (${clip(found.error, 200)}).`);
      withheld.push(`predicate ${detection.predicate} could not read the event`);
    }
  }
  // One change, one alert: a more specific detection that also fires for this event reports it. One
  // whose predicate cannot read the event does not fire, so this broader one still reports it.
  for (const specific of ctx.supersededBy?.get(detection.id) ?? []) {
    const fires =
      (!isFailedCall(event) || specific.detection.aboutFailures) &&
      specific.matches(event) &&
      (!specific.predicate || runPredicate(specific, event, ctx.predicateContext) === true);
    if (fires) return drop('superseded', `${specific.detection.id} reports this event (it supersedes ${detection.id})`);
  }
  if (exceedsBounds(event)) {
    const why = `the event nests deeper than ${MAX_EVENT_DEPTH} levels or holds more than ${MAX_WALK_NODES} values; deeper parts are shown as …`;
    notes.push(`Malformed event: ${why}.`);
    withheld.push(why);
  }

  const resources = affectedResources(event);
  const eventId = event.detail.eventID as string;
  const eventTimeMs = Date.parse(event.detail.eventTime as string);
  const resourceIds = [...new Set(resources.map((r) => r.id))].sort();
  const region = event.detail.awsRegion ?? event.region;
  const lookupArns = resources.flatMap((r) => (r.arn && canReadTags(r.arn, event.account) ? [r.arn] : []));
  return {
    kind: 'alert',
    detection,
    severity: effectiveSeverity(detection.severity, account.environment),
    accountId: event.account,
    account,
    event: alertFacts(event, account, resources),
    eventTimeMs,
    resources,
    keys: {
      event: `event#${detection.id}#${eventId}`,
      ...(resourceIds.length > 0
        ? { resource: `resource#${detection.id}#${event.account}#${region}#${digest(resourceIds.join('\n'))}` }
        : {}),
    },
    repeatWindowSeconds: ctx.repeatWindowSeconds ?? DEFAULT_REPEAT_WINDOW_SECONDS,
    ...(withheld.length > 0 ? { unreadable: withheld.join('; ') } : {}),
    ...(notes.length > 0 ? { notes } : {}),
    ...(detection.aggregate ? { burst: burstPlan(detection, event, eventTimeMs) } : {}),
    ...(lookupArns.length > 0
      ? {
          tagLookup: {
            accountId: event.account,
            region,
            arns: [...new Set(lookupArns)].slice(0, MAX_TAG_LOOKUP_ARNS),
          },
        }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Loop guard, failed calls, severity

/**
 * The issuer ARN when the call is a corrective call of vigil's own remediation role (exact ARN in an
 * inventory account, and one of the calls the remediation actions make), else undefined. Those calls
 * are the fix: alerting on them invites a remediation loop. Any other call of that role, and any call
 * of a look-alike (session name, IAM path, SSO session, another account), is not vigil's fix and is
 * triaged like anyone else's (`vigil-remediation-role-misused` reports the former).
 */
export function ownRemediationSession(
  event: CloudTrailEventBridgeEvent,
  ctx: Pick<PredicateContext, 'organizationAccountIds' | 'vigilRoles'>,
): string | undefined {
  const remediation = ctx.vigilRoles.remediation;
  if (!isOwnCorrectiveCall(event, ctx.organizationAccountIds, remediation)) return undefined;
  return `arn:aws:iam::${event.account}:role/${remediation.name}`;
}

/** A predicate's answer, or the error it threw (predicates read hostile input; a throw is a bug, not a verdict). */
function runPredicate(
  compiled: CompiledDetection,
  event: CloudTrailEventBridgeEvent,
  ctx: PredicateContext,
): boolean | { readonly error: string } {
  try {
    return compiled.predicate!(event, ctx);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The account facts of an account the inventory does not list: the organization default owner (no OU,
 * no tags), and environment `non-prod`, so the catalog severity is kept rather than guessed upwards.
 */
function notOnboarded(accountId: string): HandlerAccount {
  return { name: `${accountId} (not onboarded)`, ouId: '', ouPath: '', environment: 'non-prod', tags: {}, regions: [] };
}

/** CloudTrail sets `errorCode` only on calls that failed. */
export function isFailedCall(event: CloudTrailEventBridgeEvent): boolean {
  const code = event.detail.errorCode;
  return code !== undefined && code !== null && code !== '';
}

/**
 * The severity an alert carries: the catalog's severity, raised one step (low → medium → high →
 * critical) for accounts of environment class `prod`, never above critical. The same change has a
 * larger blast radius in production; non-prod and sandbox keep the catalog severity and are never
 * lowered (a root sign-in in a sandbox is still critical). `info` (the change monitors) is never
 * raised: a change is information in every environment, and raising it would page on benign work.
 */
export function effectiveSeverity(base: Severity, environment: EnvironmentClass): Severity {
  if (environment !== 'prod' || base === 'info') return base;
  const i = SEVERITIES.indexOf(base);
  return SEVERITIES[Math.min(i + 1, SEVERITIES.length - 1)]!;
}

// ---------------------------------------------------------------------------------------------
// Resources

/** At most this many resources are shown in an alert and keyed for repeats. */
export const MAX_RESOURCES = 20;
/** The Tagging API takes up to 100 ARNs per call; owners come from the first few anyway. */
export const MAX_TAG_LOOKUP_ARNS = 20;

/**
 * The resources an event is about: the resource parameters of the services vigil watches (bucket,
 * security group, trail, key, IAM user/role/group/policy, rule, detector), then the ARNs CloudTrail
 * lists in `detail.resources`, then the EventBridge `resources` list. Ids are shown as CloudTrail
 * recorded them; ARNs are built where the format is fixed, for the tag lookup.
 */
export function affectedResources(event: CloudTrailEventBridgeEvent): AffectedResource[] {
  const p = isRecord(event.detail.requestParameters) ? event.detail.requestParameters : {};
  const service = event.detail.eventSource.replace(/\.amazonaws\.com$/, '');
  const region = event.detail.awsRegion ?? event.region;
  const account = event.account;
  const out: AffectedResource[] = [];
  const add = (id: unknown, arn?: (v: string) => string | undefined) => {
    if (typeof id !== 'string' || id === '' || id.length > 2048) return;
    out.push({ id, ...(arn ? optional('arn', id.startsWith('arn:') ? id : arn(id)) : {}) });
  };

  switch (service) {
    case 's3':
      add(p['bucketName'], (v) => `arn:aws:s3:::${v}`);
      break;
    case 'ec2': {
      const sg = (v: string) => `arn:aws:ec2:${region}:${account}:security-group/${v}`;
      add(p['groupId'], sg);
      const modify = p['ModifySecurityGroupRulesRequest'];
      if (isRecord(modify)) add(modify['GroupId'], sg);
      break;
    }
    case 'cloudtrail':
      add(p['name'] ?? p['trailName'], (v) => `arn:aws:cloudtrail:${region}:${account}:trail/${v}`);
      break;
    case 'kms':
      add(p['keyId'], (v) => (v.startsWith('alias/') ? undefined : `arn:aws:kms:${region}:${account}:key/${v}`));
      break;
    case 'iam':
      add(p['userName'], (v) => `arn:aws:iam::${account}:user/${v}`);
      add(p['roleName'], (v) => `arn:aws:iam::${account}:role/${v}`);
      add(p['groupName'], (v) => `arn:aws:iam::${account}:group/${v}`);
      add(p['policyArn']);
      break;
    case 'events': {
      const bus =
        typeof p['eventBusName'] === 'string' && p['eventBusName'] !== 'default' ? `${p['eventBusName']}/` : '';
      add(p['name'], (v) => `arn:aws:events:${region}:${account}:rule/${bus}${v}`);
      break;
    }
    case 'guardduty':
      add(p['detectorId'], (v) => `arn:aws:guardduty:${region}:${account}:detector/${v}`);
      break;
    case 'config':
      add(p['configurationRecorderName']);
      break;
  }
  // CloudTrail's own resource list (`detail.resources[].ARN`), then EventBridge's `resources`.
  const listed = event.detail['resources'];
  for (const r of Array.isArray(listed) ? listed : []) {
    if (isRecord(r)) add(r['ARN'], (v) => v);
  }
  for (const r of Array.isArray(event.resources) ? event.resources : []) add(r, (v) => v);
  // One resource may be named twice (a bucket name in the parameters, its ARN in `detail.resources`).
  const seen = new Set<string>();
  const unique = out.filter((r) => {
    if (seen.has(r.id) || (r.arn !== undefined && seen.has(r.arn))) return false;
    seen.add(r.id);
    if (r.arn !== undefined) seen.add(r.arn);
    return true;
  });
  return unique.slice(0, MAX_RESOURCES);
}

/**
 * Whether the Tagging API can read this ARN's tags from the event's account: not IAM (GetResources
 * does not support IAM users and roles), and not a resource of another account.
 */
function canReadTags(arn: string, account: string): boolean {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[2] === 'iam') return false;
  return parts[4] === '' || parts[4] === account;
}

// ---------------------------------------------------------------------------------------------
// Bursts

/** Reads a dotted path (`detail.userIdentity.arn`) of the event as a string; '' when missing. */
export function valueAt(event: unknown, path: string): string {
  let cur: unknown = event;
  for (const key of path.split('.')) {
    if (!isRecord(cur) || !Object.hasOwn(cur, key)) return '';
    cur = cur[key];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : (boundedJson(cur, { maxChars: VALUE_JSON_CHARS }) ?? '');
}

/**
 * The counter an event of an aggregated detection adds to. Windows are fixed and aligned to the
 * event's CloudTrail eventTime (not the time it is processed), so a redelivery or a replay lands in
 * the same window. A fixed window can split a burst at its boundary (3 + 3 events below a threshold
 * of 5); a sliding window would need every event time per group, which an atomic counter avoids.
 */
export function burstPlan(detection: Detection, event: CloudTrailEventBridgeEvent, eventTimeMs: number): BurstPlan {
  const agg = detection.aggregate!;
  const windowSeconds = Math.max(1, Math.floor(agg.windowSeconds));
  const windowStart = Math.floor(eventTimeMs / 1000 / windowSeconds) * windowSeconds;
  const group: Record<string, string> = {};
  for (const path of agg.groupBy) group[path] = clip(valueAt(event, path), 256);
  const groupDigest = digest(JSON.stringify(agg.groupBy.map((path) => valueAt(event, path))));
  return {
    key: `burst#${detection.id}#${windowStart}#${groupDigest}`,
    threshold: Math.max(1, Math.floor(agg.threshold)),
    windowSeconds,
    windowStart,
    // Kept one more window: a late event of this window still finds the counter.
    expiresAt: windowStart + 2 * windowSeconds,
    group,
  };
}

/** A group-by value is hashed, never shown whole: enough of it to tell groups apart. */
const VALUE_JSON_CHARS = 4096;

// ---------------------------------------------------------------------------------------------
// Small helpers

/** A SHA-256 prefix: keys stay short and fixed-size however long the resource ids are. */
const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);

const clip = (text: string, max: number): string => truncateText(text, max);

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
