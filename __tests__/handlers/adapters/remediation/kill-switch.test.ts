import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { makeKillSwitchReader } from '../../../../handlers/adapters/remediation/kill-switch';
import { killSwitchDecision } from '../../../../handlers/core/remediation/guard';
import 'aws-sdk-client-mock-jest';

const ssm = mockClient(SSMClient);
const PARAMETER = '/vigil/remediation/kill-switch';

function reader(now = () => 0) {
  return makeKillSwitchReader({ client: new SSMClient({}), parameter: PARAMETER, now });
}

beforeEach(() => ssm.reset());

describe('makeKillSwitchReader', () => {
  it('reads the parameter', async () => {
    ssm.on(GetParameterCommand, { Name: PARAMETER }).resolves({ Parameter: { Value: 'on' } });
    const reading = await reader()();
    expect(reading).toEqual({ kind: 'value', value: 'on' });
    expect(killSwitchDecision(PARAMETER, reading).engaged).toBe(true);
  });

  it('reuses a read for 30 seconds, then reads again', async () => {
    ssm
      .on(GetParameterCommand)
      .resolvesOnce({ Parameter: { Value: 'off' } })
      .resolves({ Parameter: { Value: 'on' } });
    let t = 0;
    const read = reader(() => t);
    expect(await read()).toEqual({ kind: 'value', value: 'off' });
    t = 29_999;
    expect(await read()).toEqual({ kind: 'value', value: 'off' });
    t = 30_000;
    expect(await read()).toEqual({ kind: 'value', value: 'on' });
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
  });

  it('reports a deleted parameter as missing, which fails safe', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    const reading = await reader()();
    expect(reading).toEqual({ kind: 'missing' });
    expect(killSwitchDecision(PARAMETER, reading).engaged).toBe(true);
  });

  it('fails safe when SSM is unreachable, and does not cache the failure', async () => {
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }))
      .resolves({ Parameter: { Value: 'off' } });
    const read = reader();
    const first = await read();
    expect(first).toEqual({ kind: 'unreadable', error: 'TimeoutError: connect ETIMEDOUT' });
    expect(killSwitchDecision(PARAMETER, first).engaged).toBe(true);
    expect(await read()).toEqual({ kind: 'value', value: 'off' });
  });
});
