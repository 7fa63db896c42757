/**
 * recreate-guardduty-detector: after `DeleteDetector`, creates a GuardDuty detector again in the event's region
 * (`CreateDetector` with `enable: true`) with the deleted detector's previous finding publishing frequency and
 * protection plans (features), read from CloudTrail history.
 *
 * GuardDuty keeps nothing of a deleted detector, and CloudTrail's records of GuardDuty calls name no resource, so
 * the state read asks CloudTrail event history by event name (the account and region's CreateDetector,
 * UpdateDetector and DeleteDetector calls, from 90 days before the deletion up to now). The previous settings are
 * the `CreateDetector` whose response created that detector id (`responseElements.detectorId`), then every
 * successful `UpdateDetector` of that id after it, merged in order: `enable`, `findingPublishingFrequency`, and
 * the features by name (each with its `additionalConfiguration` by name; the deprecated `dataSources` of older
 * calls are read as the features that replaced them: S3_DATA_EVENTS, EKS_AUDIT_LOGS, EBS_MALWARE_PROTECTION).
 * The detector is recreated with exactly the features history set; those it never named get GuardDuty's
 * creation defaults, as they did when the deleted detector was created.
 *
 * Safe by construction, the action refuses:
 *   - when history cannot tell: cut short by the page cap, an unreadable record of a detector call, or the
 *     `CreateDetector` of that detector not in the 90-day window (created earlier: its settings are unknown);
 *   - when any GuardDuty detector change in the region (create, update, delete of any detector) came after the
 *     deletion, or in the same second with an unknown order: the newer event is the one to act on;
 *   - when the detector had been suspended (`enable: false`) at deletion time: recreating it enabled would not
 *     restore the previous state (and recreating it suspended would protect nothing);
 *   - when its features name both EKS_RUNTIME_MONITORING and RUNTIME_MONITORING (CreateDetector takes one).
 * A detector that exists in the region (a region holds at most one) is compliant: reported, never a second one.
 *
 * Organizations: where GuardDuty is managed by a delegated administrator, a member account cannot delete its
 * detector (the administrator must disassociate it first: the `guardduty-member-disassociated` detection), so a
 * successful DeleteDetector means a standalone account. The recreated detector is standalone too: a responder
 * re-associates it from the administrator if the account should be a member. DeleteDetector also deleted the
 * detector's findings, which recreating it does not bring back. Tags of the detector are not restored.
 *
 * IAM: `guardduty:CreateDetector` only. The remediation role is never granted `iam:CreateServiceLinkedRole`
 * (privilege-granting): if the account's GuardDuty service-linked role is missing, CreateDetector fails and the
 * outcome is failed (a responder enables GuardDuty by hand).
 *
 * Verify reads the region's detector again (ListDetectors, GetDetector): ENABLED, with the previous frequency and
 * features. It hands the new detector's id to the audit result (`undoFacts`): undo deletes that detector, and only
 * it. Undo cannot re-check that the detector is still the one the action created; an approver sees its id.
 */
import { historyByEventName, succeeded, triggerOf } from '../previous-value';
import type { PlannedCall, RemediationActionDef, RemediationTarget } from '../types';
import {
  act,
  call,
  compliant,
  detail,
  eventIdOf,
  eventTimeOf,
  HISTORY_DAYS,
  type HistoryPage,
  historyRecord,
  isObject,
  type Json,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
  timeOf,
} from './support';

/** A protection plan as CreateDetector takes it (and GetDetector returns it). */
export interface DetectorFeature {
  readonly name: string;
  readonly status?: string;
  readonly additionalConfiguration?: readonly { readonly name: string; readonly status?: string }[];
}

/** The settings a detector is recreated with. */
export interface DetectorSettings {
  readonly findingPublishingFrequency: string;
  /** Sorted by name; only the features history named. */
  readonly features: readonly DetectorFeature[];
}

/** The region's detector now (ListDetectors, then GetDetector of the one listed). */
export interface CurrentDetector {
  readonly detectorId: string;
  /** GetDetector `Status`: `ENABLED` or `DISABLED`. */
  readonly status?: string;
  readonly findingPublishingFrequency?: string;
  readonly features: readonly DetectorFeature[];
}

/** The region's detector (if any) and its GuardDuty detector history. */
export interface DeletedDetectorState {
  /** Absent when ListDetectors lists none. */
  readonly current?: CurrentDetector;
  /** CreateDetector, UpdateDetector and DeleteDetector events of the account and region, merged. */
  readonly history: HistoryPage;
}

const ACTION = 'recreate-guardduty-detector';
/** GuardDuty detector ids: 32 lowercase hex characters. */
const DETECTOR_ID = /^[0-9a-f]{32}$/;
/** GuardDuty's default when a detector is created without a frequency. */
const DEFAULT_FREQUENCY = 'SIX_HOURS';
const DETECTOR_EVENTS = ['CreateDetector', 'UpdateDetector', 'DeleteDetector'] as const;

/** A boolean as CloudTrail may record it (`true`, `"true"`). */
const bool = (v: unknown): boolean | undefined =>
  typeof v === 'boolean' ? v : v === 'true' || v === 'false' ? v === 'true' : undefined;
const enableOf = (v: unknown): boolean | undefined => (isObject(v) ? bool(v['enable']) : undefined);
const statusOf = (on: boolean | undefined): string | undefined =>
  on === undefined ? undefined : on ? 'ENABLED' : 'DISABLED';

/** Mutable merge state: features by name, each with its additional configuration by name. */
type FeatureMap = Map<string, { status?: string; extra: Map<string, string | undefined> }>;

const setFeature = (features: FeatureMap, name: string, status: string | undefined): void => {
  const f = features.get(name) ?? { extra: new Map<string, string | undefined>() };
  if (status !== undefined) f.status = status;
  features.set(name, f);
};

/** The deprecated `dataSources` of a Create/UpdateDetector request, as the features that replaced them. */
function applyDataSources(features: FeatureMap, ds: unknown): void {
  if (!isObject(ds)) return;
  const s3 = enableOf(ds['s3Logs']);
  if (s3 !== undefined) setFeature(features, 'S3_DATA_EVENTS', statusOf(s3));
  const k8s = isObject(ds['kubernetes']) ? enableOf(ds['kubernetes']['auditLogs']) : undefined;
  if (k8s !== undefined) setFeature(features, 'EKS_AUDIT_LOGS', statusOf(k8s));
  const malware = isObject(ds['malwareProtection'])
    ? ds['malwareProtection']['scanEc2InstanceWithFindings']
    : undefined;
  const ebs = isObject(malware) ? (bool(malware['ebsVolumes']) ?? enableOf(malware['ebsVolumes'])) : undefined;
  if (ebs !== undefined) setFeature(features, 'EBS_MALWARE_PROTECTION', statusOf(ebs));
}

/** The `features` of a Create/UpdateDetector request, merged by name; undefined when one is unreadable. */
function applyFeatures(features: FeatureMap, list: unknown): boolean {
  if (list === undefined || list === null) return true;
  if (!Array.isArray(list)) return false;
  for (const item of list) {
    const name = isObject(item) ? str(item['name']) : undefined;
    if (!name || !isObject(item)) return false;
    setFeature(features, name, str(item['status']));
    const f = features.get(name)!;
    const extra = item['additionalConfiguration'];
    if (extra === undefined || extra === null) continue;
    if (!Array.isArray(extra)) return false;
    for (const e of extra) {
      const n = isObject(e) ? str(e['name']) : undefined;
      if (!n || !isObject(e)) return false;
      f.extra.set(n, str(e['status']) ?? f.extra.get(n));
    }
  }
  return true;
}

const sortedFeatures = (features: FeatureMap): DetectorFeature[] =>
  [...features.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, f]) => ({
      name,
      ...(f.status !== undefined ? { status: f.status } : {}),
      ...(f.extra.size > 0
        ? {
            additionalConfiguration: [...f.extra.entries()]
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([n, status]) => ({ name: n, ...(status !== undefined ? { status } : {}) })),
          }
        : {}),
    }));

/** The detector's settings at deletion time, or why they are unknown. */
export type PreviousSettings =
  | {
      readonly kind: 'known';
      readonly settings: DetectorSettings;
      readonly enabled: boolean;
      readonly evidence: string;
    }
  | { readonly kind: 'unknown'; readonly reason: string };

interface Change {
  readonly evidence: string;
  readonly eventName: string;
  readonly time: number;
  readonly record: Json | undefined;
}

/**
 * Reads the deleted detector's settings from history (see the file comment). With `ignoreLater` (verify, after
 * the action's own CreateDetector), changes after the deletion are not a reason to refuse.
 */
export function previousSettings(
  target: RemediationTarget,
  history: HistoryPage,
  options: { readonly ignoreLater?: boolean } = {},
): PreviousSettings {
  const detectorId = detail(target, 'detectorId');
  const trigger = triggerOf(target);
  const deletedAt = timeOf(trigger.eventTime);
  const unknown = (reason: string): PreviousSettings => ({ kind: 'unknown', reason });
  if (Number.isNaN(deletedAt)) return unknown(`the event time ${trigger.eventTime} is not a date`);
  if (!history.complete) {
    return unknown(
      `CloudTrail event history was read only in part (page cap); the settings of ${detectorId} may be among the unread events`,
    );
  }
  const changes: Change[] = history.events
    .filter((e) => e.eventId !== trigger.eventId && (DETECTOR_EVENTS as readonly string[]).includes(e.eventName))
    .map((e) => {
      const record = historyRecord(e);
      return {
        evidence: `${e.eventName} ${e.eventId} at ${e.eventTime}`,
        eventName: e.eventName,
        time: timeOf(e.eventTime),
        record: Object.keys(record).length > 0 ? record : undefined,
      };
    })
    .filter((c) => c.record === undefined || succeeded(c.record))
    .sort((a, b) => a.time - b.time);

  const request = (c: Change): Json | undefined =>
    isObject(c.record?.['requestParameters']) ? (c.record['requestParameters'] as Json) : undefined;
  const mine: Change[] = [];
  let created: Change | undefined;
  for (const c of changes) {
    const sameUpdate =
      c.eventName === 'UpdateDetector' && c.record !== undefined && str(request(c)?.['detectorId']) === detectorId;
    if (c.time > deletedAt || Number.isNaN(c.time)) {
      if (options.ignoreLater) continue;
      return unknown(
        `a GuardDuty detector change in the region came after the deletion: ${c.evidence}${c.record ? '' : ' (unreadable record)'}; the newer event is the one to act on`,
      );
    }
    if (c.time === deletedAt && !sameUpdate) {
      // An update of this detector in the deletion's second succeeded, so it came first; anything else: unknown.
      return unknown(`${c.evidence} happened in the same second as the deletion; their order is unknown`);
    }
    if (c.record === undefined) {
      return unknown(`${c.evidence} may concern detector ${detectorId}, but its record is unreadable`);
    }
    if (c.eventName === 'CreateDetector') {
      const response = c.record['responseElements'];
      if (!isObject(response))
        return unknown(`${c.evidence} has no response elements: which detector it created is unknown`);
      if (str(response['detectorId']) === detectorId) created = c;
    } else if (c.eventName === 'UpdateDetector') {
      const req = request(c);
      if (!req) return unknown(`${c.evidence} has no request parameters: which detector it changed is unknown`);
      if (str(req['detectorId']) === detectorId) mine.push(c);
    }
  }
  if (!created) {
    return unknown(
      `the CreateDetector of ${detectorId} is not in CloudTrail's ${HISTORY_DAYS}-day event history before the deletion (created earlier: its settings are unknown)`,
    );
  }

  const features: FeatureMap = new Map();
  const createRequest = request(created);
  const enabledAtCreate = bool(createRequest?.['enable']);
  if (!createRequest || enabledAtCreate === undefined) {
    return unknown(
      `${created.evidence} may have set the settings of ${detectorId}, but its request (enable flag) is unreadable`,
    );
  }
  let enabled = enabledAtCreate;
  let frequency = str(createRequest['findingPublishingFrequency']) ?? DEFAULT_FREQUENCY;
  let evidence = created.evidence;
  applyDataSources(features, createRequest['dataSources']);
  if (!applyFeatures(features, createRequest['features'])) {
    return unknown(`${created.evidence} has features that cannot be read`);
  }
  let updates = 0;
  for (const c of mine.filter((m) => m.time >= created!.time)) {
    const req = request(c)!;
    const on = bool(req['enable']);
    if (on !== undefined) enabled = on;
    frequency = str(req['findingPublishingFrequency']) ?? frequency;
    applyDataSources(features, req['dataSources']);
    if (!applyFeatures(features, req['features'])) return unknown(`${c.evidence} has features that cannot be read`);
    updates += 1;
    evidence = `${created.evidence} and ${updates} UpdateDetector call(s) up to ${c.evidence}`;
  }
  return {
    kind: 'known',
    settings: { findingPublishingFrequency: frequency, features: sortedFeatures(features) },
    enabled,
    evidence,
  };
}

/** The CreateDetector input for `settings` (SDK shape). */
export const createInput = (settings: DetectorSettings): Json => ({
  Enable: true,
  FindingPublishingFrequency: settings.findingPublishingFrequency,
  ...(settings.features.length > 0
    ? {
        Features: settings.features.map((f) => ({
          Name: f.name,
          ...(f.status !== undefined ? { Status: f.status } : {}),
          ...(f.additionalConfiguration
            ? {
                AdditionalConfiguration: f.additionalConfiguration.map((a) => ({
                  Name: a.name,
                  ...(a.status !== undefined ? { Status: a.status } : {}),
                })),
              }
            : {}),
        })),
      }
    : {}),
});

/** Where `current` differs from `settings` (frequency, each restored feature and its additional configuration). */
export function differences(current: CurrentDetector, settings: DetectorSettings): string[] {
  const out: string[] = [];
  if (current.status !== 'ENABLED') out.push(`status ${current.status ?? 'unknown'}, not ENABLED`);
  if (current.findingPublishingFrequency !== settings.findingPublishingFrequency) {
    out.push(
      `finding publishing frequency ${current.findingPublishingFrequency ?? 'unknown'}, not ${settings.findingPublishingFrequency}`,
    );
  }
  for (const f of settings.features) {
    const now = current.features.find((c) => c.name === f.name);
    if (f.status !== undefined && now?.status !== f.status)
      out.push(`${f.name} ${now?.status ?? 'absent'}, not ${f.status}`);
    for (const a of f.additionalConfiguration ?? []) {
      const extra = now?.additionalConfiguration?.find((c) => c.name === a.name);
      if (a.status !== undefined && extra?.status !== a.status) {
        out.push(`${f.name}/${a.name} ${extra?.status ?? 'absent'}, not ${a.status}`);
      }
    }
  }
  return out;
}

/** The history queries, in the order the state reader runs them: 90 days before the deletion up to now. */
export const historyReads = (target: RemediationTarget): PlannedCall[] => {
  const trigger = triggerOf(target);
  return DETECTOR_EVENTS.map((eventName) => historyByEventName(eventName, trigger, target.region, { upToNow: true }));
};

/** The GetDetector call for a listed detector (the state reader's second read). */
export const getDetector = (detectorId: string, region: string): PlannedCall =>
  call('guardduty', 'GetDetector', { DetectorId: detectorId }, region);

const ORGANIZATION_NOTE =
  'a standalone detector: in an organization whose GuardDuty a delegated administrator manages, a member cannot delete its detector, so this account was standalone; a responder re-associates it from the administrator if it should be a member. The deleted findings are not restored';

export const recreateGuardDutyDetector: RemediationActionDef<DeletedDetectorState> = {
  id: ACTION,
  title: 'Recreate a deleted GuardDuty detector with its previous settings',
  iamActions: ['guardduty:CreateDetector'],
  readIamActions: ['guardduty:ListDetectors', 'guardduty:GetDetector', 'cloudtrail:LookupEvents'],
  undoIamActions: ['guardduty:DeleteDetector'],

  target(event) {
    if (event.detail.eventName !== 'DeleteDetector') {
      return refuse(`${event.detail.eventName} does not delete a GuardDuty detector`);
    }
    if (str((event.detail as unknown as Json)['errorCode'])) return refuse('the DeleteDetector call failed');
    const detectorId = str(requestOf(event)['detectorId']);
    if (!detectorId || !DETECTOR_ID.test(detectorId)) {
      return refuse(
        `DeleteDetector names no valid detector id (${String(requestOf(event)['detectorId']).slice(0, 40)})`,
      );
    }
    return targetOf(ACTION, event, regionOf(event), detectorId, {
      detectorId,
      eventId: eventIdOf(event),
      eventTime: eventTimeOf(event),
    });
  },

  stateReads(target) {
    return [call('guardduty', 'ListDetectors', {}, target.region), ...historyReads(target)];
  },

  plan(target, state) {
    const detectorId = detail(target, 'detectorId');
    const where = `${target.accountId}/${target.region}`;
    if (state.current) {
      return compliant(
        target,
        `GuardDuty detector ${state.current.detectorId} exists in ${where} (${state.current.status ?? 'status unknown'}); a region holds one detector, so no other is created`,
      );
    }
    const previous = previousSettings(target, state.history);
    if (previous.kind === 'unknown') {
      return refusePlan(
        target,
        `the previous settings of GuardDuty detector ${detectorId} in ${where} are unknown: ${previous.reason}`,
      );
    }
    if (!previous.enabled) {
      return refusePlan(
        target,
        `GuardDuty detector ${detectorId} in ${where} was suspended (enable: false) when it was deleted (${previous.evidence}); recreating it enabled would not restore its previous state`,
      );
    }
    const { settings } = previous;
    const names = settings.features.map((f) => f.name);
    if (names.includes('EKS_RUNTIME_MONITORING') && names.includes('RUNTIME_MONITORING')) {
      return refusePlan(
        target,
        `GuardDuty detector ${detectorId} in ${where} had both EKS_RUNTIME_MONITORING and RUNTIME_MONITORING set; CreateDetector accepts only one of them (the responder recreates it)`,
      );
    }
    const plans = settings.features.map((f) => `${f.name}${f.status ? ` ${f.status}` : ''}`).join(', ');
    return act(
      target,
      `recreate the deleted GuardDuty detector ${detectorId} in ${where}, ENABLED, finding publishing frequency ${settings.findingPublishingFrequency}, ${plans ? `features ${plans}` : 'default features'} (from ${previous.evidence}); ${ORGANIZATION_NOTE}`,
      [call('guardduty', 'CreateDetector', createInput(settings), target.region)],
      { deletedDetectorId: detectorId, region: target.region, settings, evidence: previous.evidence },
    );
  },

  verify(target, stateAfter) {
    const current = stateAfter.current;
    if (!current) return { fixed: false, detail: `no GuardDuty detector exists in ${target.region}` };
    const facts = { undoFacts: { createdDetectorId: current.detectorId } };
    const where = `GuardDuty detector ${current.detectorId}`;
    const previous = previousSettings(target, stateAfter.history, { ignoreLater: true });
    if (previous.kind === 'unknown') {
      return {
        fixed: false,
        detail: `${where} exists, but the previous settings can no longer be read to compare: ${previous.reason}`,
        ...facts,
      };
    }
    const diff = differences(current, previous.settings);
    return diff.length > 0
      ? { fixed: false, detail: `${where} differs from the previous settings: ${diff.join('; ')}`, ...facts }
      : { fixed: true, detail: `${where} is ENABLED with the previous settings`, ...facts };
  },

  undo(snapshot) {
    const id = str(snapshot['createdDetectorId']);
    // The id is known only after CreateDetector: verify records it on the audit result (undoFacts).
    if (!id || !DETECTOR_ID.test(id)) return [];
    return [call('guardduty', 'DeleteDetector', { DetectorId: id }, String(snapshot['region']))];
  },
};
