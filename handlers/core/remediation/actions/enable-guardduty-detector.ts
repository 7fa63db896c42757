/**
 * enable-guardduty-detector: after `UpdateDetector` with `enable: false` (GuardDuty suspended in the region),
 * enables the same detector again with `UpdateDetector` `Enable: true`, but only when it was enabled before the
 * event.
 *
 * GuardDuty keeps no record of a detector's previous status, and CloudTrail's records of GuardDuty calls name no
 * resource, so the state read asks CloudTrail event history by event name (UpdateDetector and CreateDetector of
 * the account and region, the 90 days up to the event) and the shared previous-value reader (../previous-value.ts)
 * takes the newest call that set the `enable` flag of this detector:
 *   - `UpdateDetector` with `enable` true / false, or the `CreateDetector` that created it (its `enable`): that
 *     value. Calls that only change features or the publishing frequency leave it unchanged; failed calls too;
 *   - nothing decisive, an unreadable record, or history cut short by the page cap: unknown → refuse.
 * Only the suspension is undone: a protection plan (feature) turned off by the same or another call is the
 * responder's (restoring features needs their whole previous configuration), and a deleted detector is
 * guardduty-detector-deleted's. Already enabled (someone fixed it, or a redelivery): compliant.
 *
 * Undo suspends the detector again.
 */
import {
  historyByEventName,
  previousValue,
  type PreviousValue,
  type Setting,
  succeeded,
  triggerOf,
} from '../previous-value';
import type { RemediationActionDef, RemediationTarget } from '../types';
import {
  act,
  call,
  compliant,
  detail,
  eventIdOf,
  eventTimeOf,
  type HistoryPage,
  isObject,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
} from './support';

/** The detector now, and the account and region's detector history up to the event. */
export interface SuspendedDetectorState {
  /** False when GetDetector answers that the detector does not exist. */
  readonly exists: boolean;
  /** GetDetector `Status`: `ENABLED` or `DISABLED`. */
  readonly status?: string;
  /** UpdateDetector and CreateDetector events of the account and region (LookupEvents by event name), merged. */
  readonly history: HistoryPage;
}

const ACTION = 'enable-guardduty-detector';
/** GuardDuty detector ids: 32 lowercase hex characters. */
const DETECTOR_ID = /^[0-9a-f]{32}$/;

/** Whether detector `detectorId` was enabled, as each UpdateDetector / CreateDetector record tells. */
export const detectorEnabled = (detectorId: string): Setting<boolean> => ({
  name: `the enabled state of GuardDuty detector ${detectorId}`,
  eventNames: ['UpdateDetector', 'CreateDetector'],
  read(record, eventName) {
    if (!succeeded(record)) return { kind: 'unchanged' };
    const request = record['requestParameters'];
    if (eventName === 'UpdateDetector') {
      if (!isObject(request)) return { kind: 'unreadable', why: 'UpdateDetector record without request parameters' };
      if (str(request['detectorId']) !== detectorId) return { kind: 'unchanged' };
      return typeof request['enable'] === 'boolean' ? { kind: 'set', value: request['enable'] } : { kind: 'unchanged' };
    }
    const response = record['responseElements'];
    if (!isObject(response)) return { kind: 'unreadable', why: 'CreateDetector record without response elements' };
    if (str(response['detectorId']) !== detectorId) return { kind: 'unchanged' };
    if (!isObject(request) || typeof request['enable'] !== 'boolean') {
      return { kind: 'unreadable', why: 'CreateDetector record without its enable flag' };
    }
    return { kind: 'set', value: request['enable'] };
  },
});

/** What the detector was before the event. */
export const enabledBefore = (target: RemediationTarget, history: HistoryPage): PreviousValue<boolean> =>
  previousValue(detectorEnabled(detail(target, 'detectorId')), triggerOf(target), history);

/** The two history queries, in the order the state reader runs them. */
const historyReads = (target: RemediationTarget) => {
  const trigger = triggerOf(target);
  return [
    historyByEventName('UpdateDetector', trigger, target.region),
    historyByEventName('CreateDetector', trigger, target.region),
  ];
};

export const enableGuardDutyDetector: RemediationActionDef<SuspendedDetectorState> = {
  id: ACTION,
  title: 'Enable a suspended GuardDuty detector again, when it was enabled before',
  iamActions: ['guardduty:UpdateDetector'],
  readIamActions: ['guardduty:GetDetector', 'cloudtrail:LookupEvents'],
  undoIamActions: ['guardduty:UpdateDetector'],

  target(event) {
    if (event.detail.eventName !== 'UpdateDetector')
      return refuse(`${event.detail.eventName} does not suspend a detector`);
    const request = requestOf(event);
    if (request['enable'] !== false) {
      return refuse(
        'the call turned protection plans off without suspending the detector: restoring features needs their previous configuration; the responder restores them',
      );
    }
    const detectorId = str(request['detectorId']);
    if (!detectorId || !DETECTOR_ID.test(detectorId)) {
      return refuse(`UpdateDetector names no valid detector id (${String(request['detectorId']).slice(0, 40)})`);
    }
    return targetOf(ACTION, event, regionOf(event), detectorId, {
      detectorId,
      eventId: eventIdOf(event),
      eventTime: eventTimeOf(event),
    });
  },

  stateReads(target) {
    return [
      call('guardduty', 'GetDetector', { DetectorId: detail(target, 'detectorId') }, target.region),
      ...historyReads(target),
    ];
  },

  plan(target, state) {
    const detectorId = detail(target, 'detectorId');
    const where = `GuardDuty detector ${detectorId} in ${target.accountId}/${target.region}`;
    if (!state.exists) return refusePlan(target, `${where} no longer exists (a deleted detector is not this action's)`);
    if (state.status === 'ENABLED') return compliant(target, `${where} is ENABLED`);
    if (state.status !== 'DISABLED') return refusePlan(target, `${where} is ${state.status ?? 'in an unknown state'}`);
    const before = enabledBefore(target, state.history);
    if (before.kind === 'unknown')
      return refusePlan(target, `whether ${where} was enabled before is unknown: ${before.reason}`);
    if (!before.value)
      return refusePlan(target, `${where} was already suspended before the event (${before.evidence})`);
    return act(
      target,
      `enable ${where} again (it was enabled: ${before.evidence})`,
      [call('guardduty', 'UpdateDetector', { DetectorId: detectorId, Enable: true }, target.region)],
      { detectorId, region: target.region, status: state.status, evidence: before.evidence },
    );
  },

  verify(target, stateAfter) {
    const where = `GuardDuty detector ${detail(target, 'detectorId')}`;
    return stateAfter.exists && stateAfter.status === 'ENABLED'
      ? { fixed: true, detail: `${where} is ENABLED` }
      : { fixed: false, detail: `${where} is ${stateAfter.exists ? stateAfter.status : 'gone'}` };
  },

  undo(snapshot) {
    return [
      call(
        'guardduty',
        'UpdateDetector',
        { DetectorId: snapshot['detectorId'], Enable: false },
        String(snapshot['region']),
      ),
    ];
  },
};
