import { restartConfigRecorder as action } from '../../../../../handlers/core/remediation/actions/restart-config-recorder';
import { CTX, loadRemediationEvent } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const target = () => targetOrFail(action.target(loadRemediationEvent('config-stop-recorder'), CTX));

describe('restart-config-recorder', () => {
  it('targets the recorder named in StopConfigurationRecorder', () => {
    expect(target()).toMatchObject({ resourceId: 'default', region: 'eu-west-1', details: { recorder: 'default' } });
  });

  it('refuses events without a recorder name, and other events', () => {
    const unnamed = loadRemediationEvent('config-stop-recorder');
    unnamed.detail.requestParameters = {};
    const other = loadRemediationEvent('config-stop-recorder');
    other.detail.eventName = 'DeleteConfigurationRecorder';

    expect(action.target(unnamed, CTX)).toEqual({ refuse: expect.any(String) });
    expect(action.target(other, CTX)).toEqual({ refuse: expect.any(String) });
  });

  it('reads the recorder status', () => {
    expect(action.stateReads(target())).toEqual([
      {
        service: 'config',
        operation: 'DescribeConfigurationRecorderStatus',
        input: { ConfigurationRecorderNames: ['default'] },
        region: 'eu-west-1',
      },
    ]);
  });

  it('starts the recorder', () => {
    expect(actOrFail(action.plan(target(), { exists: true, recording: false })).calls).toEqual([
      {
        service: 'config',
        operation: 'StartConfigurationRecorder',
        input: { ConfigurationRecorderName: 'default' },
        region: 'eu-west-1',
      },
    ]);
  });

  it('is already compliant when recording (a second run writes nothing), and refuses a deleted recorder', () => {
    expect(action.plan(target(), { exists: true, recording: true })).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { exists: false })).toMatchObject({ kind: 'refuse' });
  });

  it('verifies and undoes', () => {
    const plan = actOrFail(action.plan(target(), { exists: true, recording: false }));

    expect(action.verify(target(), { exists: true, recording: true }).fixed).toBe(true);
    expect(action.verify(target(), { exists: true, recording: false }).fixed).toBe(false);
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'config',
        operation: 'StopConfigurationRecorder',
        input: { ConfigurationRecorderName: 'default' },
        region: 'eu-west-1',
      },
    ]);
  });
});
