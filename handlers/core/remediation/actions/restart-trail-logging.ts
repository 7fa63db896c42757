/**
 * restart-trail-logging: after StopLogging, starts the trail again with `StartLogging`.
 *
 * StartLogging must be called in the trail's home region: for a multi-region trail the other regions
 * hold shadow trails, on which it fails with InvalidHomeRegionException (CloudTrail API reference,
 * StartLogging). `requestParameters.name` is a name or an ARN; the ARN carries the home region, a name
 * does not, so the state read asks GetTrail (which also answers for shadow trails) for the trail's
 * `HomeRegion` and `TrailARN`, then GetTrailStatus in the home region, by ARN (a shadow or organization
 * trail is only found by ARN). The plan starts logging there, by ARN.
 *
 * Undo is StopLogging: it switches the audit trail off again, the very thing the detection is about.
 * Whoever approves an undo must really want the trail stopped.
 */
import type { RemediationActionDef } from '../types';
import {
  accountOf,
  act,
  call,
  compliant,
  detail,
  parseArn,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
} from './support';

/** The trail now. */
export interface TrailState {
  /** False when GetTrail answers TrailNotFoundException. */
  readonly exists: boolean;
  readonly trailArn?: string;
  readonly homeRegion?: string;
  /** GetTrailStatus `IsLogging` in the home region. */
  readonly isLogging?: boolean;
}

const ACTION = 'restart-trail-logging';

export const restartTrailLogging: RemediationActionDef<TrailState> = {
  id: ACTION,
  title: 'Start CloudTrail logging again',
  iamActions: ['cloudtrail:StartLogging'],
  readIamActions: ['cloudtrail:GetTrail', 'cloudtrail:GetTrailStatus'],
  undoIamActions: ['cloudtrail:StopLogging'],

  target(event) {
    if (event.detail.eventName !== 'StopLogging') return refuse(`${event.detail.eventName} does not stop a trail`);
    const trail = str(requestOf(event)['name']);
    if (!trail) return refuse('StopLogging event carries no trail name; refusing to guess');
    const arn = parseArn(trail);
    if (arn && arn.account !== accountOf(event)) {
      return refuse(`trail ${trail} belongs to account ${arn.account}, not ${accountOf(event)}`);
    }
    // A successful StopLogging by name resolved in the region it was called in: the home region.
    const region = arn?.region || regionOf(event);
    return targetOf(ACTION, event, region, trail, { trail });
  },

  stateReads(target) {
    const trail = detail(target, 'trail');
    return [
      call('cloudtrail', 'GetTrail', { Name: trail }, target.region),
      call('cloudtrail', 'GetTrailStatus', { Name: trail }, target.region),
    ];
  },

  plan(target, state) {
    const trail = detail(target, 'trail');
    if (!state.exists || !state.trailArn || !state.homeRegion) {
      return refusePlan(target, `trail ${trail} no longer exists; recreate it (the org trail: redeploy its stack)`);
    }
    if (state.isLogging === true) return compliant(target, `${state.trailArn} is logging`);
    return act(
      target,
      `start logging on ${state.trailArn} in its home region ${state.homeRegion}`,
      [call('cloudtrail', 'StartLogging', { Name: state.trailArn }, state.homeRegion)],
      { trailArn: state.trailArn, homeRegion: state.homeRegion },
    );
  },

  verify(target, stateAfter) {
    return stateAfter.isLogging === true
      ? { fixed: true, detail: `${stateAfter.trailArn} is logging` }
      : { fixed: false, detail: `${stateAfter.trailArn ?? detail(target, 'trail')} is not logging` };
  },

  undo(snapshot) {
    // Deliberately the inverse: stops the trail again. Approve only if that is really wanted.
    return [call('cloudtrail', 'StopLogging', { Name: snapshot['trailArn'] }, String(snapshot['homeRegion']))];
  },
};
