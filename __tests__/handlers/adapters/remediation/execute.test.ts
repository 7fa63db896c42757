import { EC2ServiceException, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { DetachRolePolicyCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { CancelKeyDeletionCommand, EnableKeyCommand, KMSInvalidStateException } from '@aws-sdk/client-kms';
import {
  ALREADY_DONE,
  isSupported,
  makeRemediationExecutor,
  sdkInput,
} from '../../../../handlers/adapters/remediation/execute';
import type { PlannedCall } from '../../../../handlers/core/remediation/types';
import { RemediationCallError } from '../../../../handlers/errors';
import { mockAll } from './sdk-scenarios';
import 'aws-sdk-client-mock-jest';

const mocks = mockAll();
const executor = makeRemediationExecutor({ namePrefix: 'vigil' });
const ACCOUNT = '444444444444';
const revoke = (id: string): PlannedCall => ({
  service: 'ec2',
  operation: 'RevokeSecurityGroupIngress',
  input: { GroupId: 'sg-0f63fecfa17ef4fee', SecurityGroupRuleIds: [id] },
  region: 'eu-west-1',
});
const ec2Error = (name: string, fault: 'client' | 'server' = 'client', status = 400) =>
  new EC2ServiceException({ name, $fault: fault, $metadata: { httpStatusCode: status }, message: name });

beforeEach(() => {
  for (const m of Object.values(mocks)) m.reset();
});

describe('makeRemediationExecutor', () => {
  it('sends the calls in order', async () => {
    mocks.ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });

    const result = await executor.execute({ accountId: ACCOUNT, calls: [revoke('sgr-1'), revoke('sgr-2')] });

    expect(result).toEqual({
      dryRun: false,
      calls: [
        { call: revoke('sgr-1'), outcome: 'done' },
        { call: revoke('sgr-2'), outcome: 'done' },
      ],
    });
    expect(mocks.ec2).toHaveReceivedNthCommandWith(1, RevokeSecurityGroupIngressCommand, {
      SecurityGroupRuleIds: ['sgr-1'],
    });
    expect(mocks.ec2).toHaveReceivedNthCommandWith(2, RevokeSecurityGroupIngressCommand, {
      SecurityGroupRuleIds: ['sgr-2'],
    });
  });

  it.each([
    [
      'a revoked rule that is gone',
      'ec2',
      revoke('sgr-1'),
      () => mocks.ec2.on(RevokeSecurityGroupIngressCommand).rejects(ec2Error('InvalidSecurityGroupRuleId.NotFound')),
      'InvalidSecurityGroupRuleId.NotFound',
    ],
    [
      'a revoked permission that is gone',
      'ec2',
      revoke('sgr-1'),
      () => mocks.ec2.on(RevokeSecurityGroupIngressCommand).rejects(ec2Error('InvalidPermission.NotFound')),
      'InvalidPermission.NotFound',
    ],
    [
      'a policy no longer attached',
      'iam',
      {
        service: 'iam',
        operation: 'DetachRolePolicy',
        input: { RoleName: 'r', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
        region: 'us-east-1',
      },
      () =>
        mocks.iam
          .on(DetachRolePolicyCommand)
          .rejects(new NoSuchEntityException({ message: 'Policy is not attached to role r.', $metadata: {} })),
      'NoSuchEntityException',
    ],
    [
      'a key no longer pending deletion',
      'kms',
      { service: 'kms', operation: 'CancelKeyDeletion', input: { KeyId: 'k' }, region: 'eu-west-1' },
      () =>
        mocks.kms
          .on(CancelKeyDeletionCommand)
          .rejects(new KMSInvalidStateException({ message: 'k is not pending deletion', $metadata: {} })),
      'KMSInvalidStateException',
    ],
  ] as const)('counts %s as already done', async (_case, _service, call, arrange, code) => {
    arrange();

    const result = await executor.execute({ accountId: ACCOUNT, calls: [call as PlannedCall] });

    expect(result.calls).toEqual([{ call, outcome: 'already-done', code }]);
  });

  it('does not count an "already done" code of one operation as success for another', async () => {
    mocks.kms
      .on(EnableKeyCommand)
      .rejects(new KMSInvalidStateException({ message: 'k is pending deletion', $metadata: {} }));

    await expect(
      executor.execute({
        accountId: ACCOUNT,
        calls: [{ service: 'kms', operation: 'EnableKey', input: { KeyId: 'k' }, region: 'eu-west-1' }],
      }),
    ).rejects.toMatchObject({ name: 'RemediationCallError', code: 'KMSInvalidStateException', permanent: true });
    expect(ALREADY_DONE['kms:EnableKey']).toBeUndefined();
  });

  it('stops at the first failure and says which calls were made', async () => {
    mocks.ec2
      .on(RevokeSecurityGroupIngressCommand, { SecurityGroupRuleIds: ['sgr-1'] })
      .resolves({ Return: true })
      .on(RevokeSecurityGroupIngressCommand, { SecurityGroupRuleIds: ['sgr-2'] })
      .rejects(ec2Error('InternalError', 'server', 500));

    const err = await executor
      .execute({ accountId: ACCOUNT, calls: [revoke('sgr-1'), revoke('sgr-2'), revoke('sgr-3')] })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RemediationCallError);
    expect(err).toMatchObject({
      index: 1,
      completed: ['RevokeSecurityGroupIngress'],
      code: 'InternalError',
      permanent: false, // a server fault may pass later: retry, then escalate
      region: 'eu-west-1',
      service: 'ec2',
    });
    expect(mocks.ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(2);
  });

  it('treats a partial failure the SDK does not throw for as a failure (EventBridge FailedEntryCount)', async () => {
    mocks.events.on(PutTargetsCommand).resolves({
      FailedEntryCount: 1,
      FailedEntries: [
        { TargetId: 'central-bus', ErrorCode: 'ValidationException', ErrorMessage: 'RoleArn is not valid' },
      ],
    });
    const put: PlannedCall = {
      service: 'events',
      operation: 'PutTargets',
      input: { Rule: 'r', Targets: [] },
      region: 'eu-west-1',
    };

    await expect(executor.execute({ accountId: ACCOUNT, calls: [put] })).rejects.toMatchObject({
      code: 'ValidationException',
      permanent: true,
      message: expect.stringMatching(/1 entry failed: RoleArn is not valid/),
    });
  });

  it('treats a concurrent-modification entry failure as transient', async () => {
    mocks.events.on(RemoveTargetsCommand).resolves({
      FailedEntryCount: 1,
      FailedEntries: [{ TargetId: 'x', ErrorCode: 'ConcurrentModificationException', ErrorMessage: 'busy' }],
    });
    const remove: PlannedCall = {
      service: 'events',
      operation: 'RemoveTargets',
      input: { Rule: 'r', Ids: ['x'] },
      region: 'eu-west-1',
    };

    await expect(executor.execute({ accountId: ACCOUNT, calls: [remove] })).rejects.toMatchObject({ permanent: false });
  });

  it('treats EC2 Return=false as a failure', async () => {
    mocks.ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: false });

    await expect(executor.execute({ accountId: ACCOUNT, calls: [revoke('sgr-1')] })).rejects.toMatchObject({
      code: 'ReturnFalse',
    });
  });

  it('refuses a plan with an operation outside its table before sending anything', async () => {
    mocks.ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const rogue: PlannedCall = {
      service: 'ec2',
      operation: 'DeleteSecurityGroup',
      input: { GroupId: 'sg-1' },
      region: 'eu-west-1',
    };

    await expect(executor.execute({ accountId: ACCOUNT, calls: [revoke('sgr-1'), rogue] })).rejects.toMatchObject({
      code: 'UnsupportedOperation',
      index: 1,
      permanent: true,
    });
    expect(mocks.ec2.calls()).toHaveLength(0);
    expect(isSupported(rogue)).toBe(false);
    expect(isSupported({ service: 'ec2', operation: 'toString' })).toBe(false);
  });

  it('sends nothing in dry-run, even for an empty plan', async () => {
    expect(await executor.execute({ accountId: ACCOUNT, calls: [revoke('sgr-1')], dryRun: true })).toEqual({
      dryRun: true,
      calls: [{ call: revoke('sgr-1'), outcome: 'would-call' }],
    });
    expect(await executor.execute({ accountId: ACCOUNT, calls: [], dryRun: true })).toEqual({
      dryRun: true,
      calls: [],
    });
    expect(mocks.ec2.calls()).toHaveLength(0);
  });

  it('turns the ISO timestamps of a plan into Dates for the SDK, and nothing else', () => {
    const lookup: PlannedCall = {
      service: 'cloudtrail',
      operation: 'LookupEvents',
      input: { StartTime: '2025-03-13T09:29:48.000Z', EndTime: '2025-06-11T09:29:48Z', MaxResults: 50 },
      region: 'us-east-1',
    };

    expect(sdkInput(lookup)).toEqual({
      StartTime: new Date('2025-03-13T09:29:48.000Z'),
      EndTime: new Date('2025-06-11T09:29:48Z'),
      MaxResults: 50,
    });
    expect(sdkInput(revoke('sgr-1'))).toEqual(revoke('sgr-1').input);
  });
});
