/**
 * revert-policy-version: after CreatePolicyVersion (setAsDefault=true) or SetDefaultPolicyVersion made a
 * new version the default of a customer managed policy, sets the previous default back with
 * `SetDefaultPolicyVersion`.
 *
 * The hard part is knowing the previous default: neither event records it, and ListPolicyVersions only
 * shows the current default. The rule, in order (the first that applies decides):
 *
 * 1. AWS managed policies (`arn:aws:iam::aws:policy/...`) cannot be changed by anyone: refuse.
 * 2. The event's version no longer exists or is no longer the default: someone already changed the
 *    policy again (that change raised its own event): already compliant.
 * 3. CloudTrail event history (LookupEvents, us-east-1, 90 days) has the policy's default changes: the
 *    newest successful CreatePolicyVersion(setAsDefault) / SetDefaultPolicyVersion / CreatePolicy (v1) of
 *    this policy strictly before the event is the previous default. A change in the same second as the
 *    event makes the order unknown: refuse. If that version has been deleted since: refuse.
 * 4. No default change in the history (the policy's default is older than 90 days): the previous default
 *    is a version that still exists unless someone deleted it after the event. So, only when event
 *    history shows no DeletePolicyVersion of this policy since the event (and was read to the end), and
 *    exactly one version could have been the default — for CreatePolicyVersion a version with a lower
 *    number than the new one (IAM numbers versions v1, v2, … and never reuses a number), for
 *    SetDefaultPolicyVersion any other version — that version is it. Zero or several: refuse, naming them.
 *
 * Known limit: event history shows an event a few minutes after the call, so a default change made
 * minutes before the event, or a deletion made minutes after it, can be missed. That is why the catalog's
 * default mode for this action is `approve`; the plan's summary names its evidence for the approver.
 *
 * Snapshot: the policy, the version that was reverted and the version restored; undo sets the event's
 * version as default again.
 */
import type { RemediationActionDef, RemediationTarget } from '../types';
import {
  act,
  call,
  compliant,
  daysBefore,
  detail,
  eventIdOf,
  eventTimeOf,
  HISTORY_DAYS,
  type HistoryEvent,
  type HistoryPage,
  historyRecord,
  isObject,
  type Json,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  responseOf,
  str,
  targetOf,
  timeOf,
} from './support';

/** One version of the policy as ListPolicyVersions returns it. */
export interface PolicyVersion {
  readonly VersionId: string;
  readonly IsDefaultVersion: boolean;
  /** ISO 8601. */
  readonly CreateDate?: string;
}

/** The policy's versions now and its history around the event. */
export interface PolicyVersionState {
  /** False when ListPolicyVersions answers NoSuchEntity. */
  readonly policyExists: boolean;
  readonly versions: readonly PolicyVersion[];
  /** CreatePolicyVersion, SetDefaultPolicyVersion and CreatePolicy events of the account up to the event. */
  readonly defaultChanges: HistoryPage;
  /** DeletePolicyVersion events of the account since the event. */
  readonly deletionsSince: HistoryPage;
}

const ACTION = 'revert-policy-version';
const AWS_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\//;

/** Event names whose history tells which version became the default. */
export const DEFAULT_CHANGE_EVENTS = ['CreatePolicyVersion', 'SetDefaultPolicyVersion', 'CreatePolicy'] as const;

const versionNumber = (id: string): number => {
  const m = /^v(\d+)$/.exec(id);
  return m ? Number(m[1]) : Number.NaN;
};

const isTrue = (v: unknown): boolean => v === true || v === 'true';

/** The version a successful history record made the default of `policyArn`, if it did. */
function defaultSetBy(e: HistoryEvent, policyArn: string): string | undefined {
  const record = historyRecord(e);
  if (record['errorCode'] !== undefined) return undefined;
  const request = isObject(record['requestParameters']) ? record['requestParameters'] : {};
  const response = isObject(record['responseElements']) ? record['responseElements'] : {};
  switch (e.eventName) {
    case 'CreatePolicyVersion': {
      if (request['policyArn'] !== policyArn || !isTrue(request['setAsDefault'])) return undefined;
      const version = response['policyVersion'];
      return isObject(version) ? str(version['versionId']) : undefined;
    }
    case 'SetDefaultPolicyVersion':
      return request['policyArn'] === policyArn ? str(request['versionId']) : undefined;
    case 'CreatePolicy': {
      const policy = response['policy'];
      if (!isObject(policy) || policy['arn'] !== policyArn) return undefined;
      return str(policy['defaultVersionId']) ?? 'v1';
    }
    default:
      return undefined;
  }
}

/** Successful DeletePolicyVersion records of `policyArn`. */
function deletionsOf(page: HistoryPage, policyArn: string): string[] {
  return page.events
    .map(historyRecord)
    .filter((r) => r['errorCode'] === undefined)
    .map((r) => (isObject(r['requestParameters']) ? r['requestParameters'] : {}))
    .filter((p) => p['policyArn'] === policyArn)
    .map((p) => String(p['versionId'] ?? '?'));
}

/** What the rule above concludes about the previous default. */
export type PreviousDefault =
  | { readonly found: true; readonly versionId: string; readonly evidence: string }
  | { readonly found: false; readonly reason: string };

/** Applies steps 3 and 4 of the rule in the file comment. */
export function previousDefault(target: RemediationTarget, state: PolicyVersionState): PreviousDefault {
  const policyArn = detail(target, 'policyArn');
  const bad = detail(target, 'versionId');
  const triggerId = detail(target, 'eventId');
  const triggerTime = timeOf(detail(target, 'eventTime'));

  const changes = state.defaultChanges.events
    .filter((e) => e.eventId !== triggerId)
    .map((e) => ({ e, versionId: defaultSetBy(e, policyArn), at: timeOf(e.eventTime) }))
    .filter((c): c is { e: HistoryEvent; versionId: string; at: number } => c.versionId !== undefined)
    .filter((c) => c.at <= triggerTime);
  if (changes.some((c) => c.at === triggerTime)) {
    return { found: false, reason: 'another default change of this policy happened in the same second; order unknown' };
  }
  const latest = [...changes].sort((a, b) => b.at - a.at)[0];
  if (latest) {
    return {
      found: true,
      versionId: latest.versionId,
      evidence: `${latest.e.eventName} ${latest.e.eventId} at ${latest.e.eventTime} made it the default`,
    };
  }

  if (!state.deletionsSince.complete) {
    return { found: false, reason: 'could not read every DeletePolicyVersion since the event from CloudTrail' };
  }
  const deleted = deletionsOf(state.deletionsSince, policyArn);
  if (deleted.length > 0) {
    return {
      found: false,
      reason: `${deleted.join(', ')} deleted since the event; the previous default may be among them`,
    };
  }
  const badNumber = versionNumber(bad);
  const candidates = state.versions
    .filter((v) => v.VersionId !== bad)
    .filter((v) => detail(target, 'eventName') !== 'CreatePolicyVersion' || !(versionNumber(v.VersionId) > badNumber))
    .map((v) => v.VersionId);
  if (candidates.length === 1) {
    return {
      found: true,
      versionId: candidates[0]!,
      evidence: 'the only version that could have been the default (no default change in 90 days of CloudTrail)',
    };
  }
  return candidates.length === 0
    ? { found: false, reason: 'no version is left that could have been the default before the event' }
    : {
        found: false,
        reason:
          `ambiguous: ${candidates.join(', ')} could each have been the default; CloudTrail does not record the ` +
          'previous default and its 90-day history shows no default change of this policy',
      };
}

export const revertPolicyVersion: RemediationActionDef<PolicyVersionState> = {
  id: ACTION,
  title: 'Set the previous default version of a managed policy back',
  iamActions: ['iam:SetDefaultPolicyVersion'],
  readIamActions: ['iam:ListPolicyVersions', 'cloudtrail:LookupEvents'],
  undoIamActions: ['iam:SetDefaultPolicyVersion'],

  target(event) {
    const name = event.detail.eventName;
    const request = requestOf(event);
    const policyArn = str(request['policyArn']);
    if (!policyArn) return refuse(`${name} event names no policy`);
    if (AWS_MANAGED.test(policyArn)) return refuse(`${policyArn} is an AWS managed policy; nobody can change it`);
    let versionId: string | undefined;
    if (name === 'CreatePolicyVersion') {
      if (!isTrue(request['setAsDefault'])) return refuse('CreatePolicyVersion did not change the default version');
      const version = responseOf(event)['policyVersion'];
      versionId = isObject(version) ? str(version['versionId']) : undefined;
    } else if (name === 'SetDefaultPolicyVersion') {
      versionId = str(request['versionId']);
    } else {
      return refuse(`${name} does not change a policy's default version`);
    }
    if (!versionId) return refuse(`${name} event does not say which version became the default`);
    return targetOf(ACTION, event, regionOf(event), policyArn, {
      policyArn,
      eventName: name,
      versionId,
      eventId: eventIdOf(event),
      eventTime: eventTimeOf(event),
    });
  },

  stateReads(target) {
    const eventTime = detail(target, 'eventTime');
    const lookup = (eventName: string, window: Json) =>
      call(
        'cloudtrail',
        'LookupEvents',
        { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }], ...window },
        // IAM events are recorded in us-east-1 only, which is where this event came from.
        target.region,
      );
    const before = { StartTime: daysBefore(eventTime, HISTORY_DAYS), EndTime: eventTime };
    return [
      call('iam', 'ListPolicyVersions', { PolicyArn: detail(target, 'policyArn') }, target.region),
      ...DEFAULT_CHANGE_EVENTS.map((name) => lookup(name, before)),
      lookup('DeletePolicyVersion', { StartTime: eventTime }),
    ];
  },

  plan(target, state) {
    const policyArn = detail(target, 'policyArn');
    const bad = detail(target, 'versionId');
    if (!state.policyExists) return refusePlan(target, `${policyArn} no longer exists`);
    const current = state.versions.find((v) => v.IsDefaultVersion)?.VersionId ?? '?';
    if (!state.versions.some((v) => v.VersionId === bad)) {
      return compliant(target, `${bad} no longer exists; the default is now ${current}`);
    }
    if (current !== bad) {
      return compliant(target, `${bad} is no longer the default (${current} is); that change raised its own event`);
    }
    const previous = previousDefault(target, state);
    if (!previous.found)
      return refusePlan(target, `cannot tell the previous default of ${policyArn}: ${previous.reason}`);
    if (previous.versionId === bad) return compliant(target, `${bad} was already the default before the event`);
    if (!state.versions.some((v) => v.VersionId === previous.versionId)) {
      return refusePlan(target, `the previous default ${previous.versionId} of ${policyArn} has been deleted since`);
    }
    return act(
      target,
      `set ${previous.versionId} back as the default of ${policyArn} instead of ${bad} (${previous.evidence})`,
      [call('iam', 'SetDefaultPolicyVersion', { PolicyArn: policyArn, VersionId: previous.versionId }, target.region)],
      {
        policyArn,
        region: target.region,
        revertedFrom: bad,
        restored: previous.versionId,
        evidence: previous.evidence,
      },
    );
  },

  verify(target, stateAfter) {
    const bad = detail(target, 'versionId');
    const current = stateAfter.versions.find((v) => v.IsDefaultVersion)?.VersionId;
    return stateAfter.policyExists && current === bad
      ? { fixed: false, detail: `${bad} is still the default of ${detail(target, 'policyArn')}` }
      : { fixed: true, detail: `the default of ${detail(target, 'policyArn')} is ${current ?? 'gone'}, not ${bad}` };
  },

  undo(snapshot) {
    return [
      call(
        'iam',
        'SetDefaultPolicyVersion',
        { PolicyArn: snapshot['policyArn'], VersionId: snapshot['revertedFrom'] },
        String(snapshot['region']),
      ),
    ];
  },
};
