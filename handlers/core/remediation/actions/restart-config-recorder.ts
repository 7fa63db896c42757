/**
 * restart-config-recorder: after StopConfigurationRecorder, starts the recorder again with
 * `StartConfigurationRecorder { ConfigurationRecorderName }` in the event's region.
 *
 * State: DescribeConfigurationRecorderStatus (`recording`); NoSuchConfigurationRecorderException means
 * the recorder was deleted, which a restart cannot fix (refused). Starting needs a delivery channel:
 * without one AWS Config answers NoAvailableDeliveryChannelException, a failure for a human.
 * Undo stops the recorder again.
 */
import type { RemediationActionDef } from '../types';
import { act, call, compliant, detail, refuse, refusePlan, regionOf, requestOf, str, targetOf } from './support';

/** The recorder now. */
export interface RecorderState {
  /** False when the recorder does not exist (NoSuchConfigurationRecorderException). */
  readonly exists: boolean;
  readonly recording?: boolean;
}

const ACTION = 'restart-config-recorder';

export const restartConfigRecorder: RemediationActionDef<RecorderState> = {
  id: ACTION,
  title: 'Start the AWS Config configuration recorder again',
  iamActions: ['config:StartConfigurationRecorder'],
  readIamActions: ['config:DescribeConfigurationRecorderStatus'],
  undoIamActions: ['config:StopConfigurationRecorder'],

  target(event) {
    if (event.detail.eventName !== 'StopConfigurationRecorder') {
      return refuse(`${event.detail.eventName} does not stop a configuration recorder`);
    }
    const recorder = str(requestOf(event)['configurationRecorderName']);
    if (!recorder) return refuse('StopConfigurationRecorder event names no recorder');
    return targetOf(ACTION, event, regionOf(event), recorder, { recorder });
  },

  stateReads(target) {
    return [
      call(
        'config',
        'DescribeConfigurationRecorderStatus',
        { ConfigurationRecorderNames: [detail(target, 'recorder')] },
        target.region,
      ),
    ];
  },

  plan(target, state) {
    const recorder = detail(target, 'recorder');
    if (!state.exists) return refusePlan(target, `recorder ${recorder} no longer exists in ${target.region}`);
    if (state.recording === true) return compliant(target, `recorder ${recorder} is recording`);
    return act(
      target,
      `start configuration recorder ${recorder} in ${target.region}`,
      [call('config', 'StartConfigurationRecorder', { ConfigurationRecorderName: recorder }, target.region)],
      { recorder, region: target.region },
    );
  },

  verify(target, stateAfter) {
    const recorder = detail(target, 'recorder');
    return stateAfter.exists && stateAfter.recording === true
      ? { fixed: true, detail: `recorder ${recorder} is recording` }
      : { fixed: false, detail: `recorder ${recorder} is not recording` };
  },

  undo(snapshot) {
    return [
      call(
        'config',
        'StopConfigurationRecorder',
        { ConfigurationRecorderName: snapshot['recorder'] },
        String(snapshot['region']),
      ),
    ];
  },
};
