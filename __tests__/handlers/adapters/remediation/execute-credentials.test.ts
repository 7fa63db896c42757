/**
 * How the executor and the state reader reach member accounts: AssumeRole into the right role with the
 * right session name, clients reused per account/region/service, adaptive retry.
 */
import { RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { mockClient } from 'aws-sdk-client-mock';
import { EC2Client } from '@aws-sdk/client-ec2';
import { makeRemediationExecutor } from '../../../../handlers/adapters/remediation/execute';
import { makeStateReader } from '../../../../handlers/adapters/remediation/read-state';
import type { PlannedCall } from '../../../../handlers/core/remediation/types';

jest.mock('@aws-sdk/credential-providers', () => ({
  fromTemporaryCredentials: jest.fn(() => async () => ({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret' })),
}));

const ec2 = mockClient(EC2Client);
const assumeRole = fromTemporaryCredentials as jest.MockedFunction<typeof fromTemporaryCredentials>;
const revoke = (region: string): PlannedCall => ({
  service: 'ec2',
  operation: 'RevokeSecurityGroupIngress',
  input: { GroupId: 'sg-1', SecurityGroupRuleIds: ['sgr-1'] },
  region,
});

beforeEach(() => {
  ec2.reset();
  ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
  assumeRole.mockClear();
});

describe('remediation credentials and clients', () => {
  it('assumes <prefix>-remediation in the member account with session vigil-remediate', async () => {
    await makeRemediationExecutor({ namePrefix: 'vigil' }).execute({
      accountId: '444444444444',
      calls: [revoke('eu-west-1')],
    });

    expect(assumeRole).toHaveBeenCalledTimes(1);
    expect(assumeRole).toHaveBeenCalledWith({
      params: { RoleArn: 'arn:aws:iam::444444444444:role/vigil-remediation', RoleSessionName: 'vigil-remediate' },
      clientConfig: { region: 'eu-west-1' },
    });
  });

  it('reads state through <prefix>-readonly', async () => {
    const { DescribeSecurityGroupRulesCommand } = await import('@aws-sdk/client-ec2');
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });

    await makeStateReader({ namePrefix: 'acme' }).read({
      action: 'revoke-world-open-ingress',
      accountId: '555555555555',
      region: 'us-east-1',
      resourceId: 'sg-1',
      details: { groupId: 'sg-1', ruleIds: [] },
    });

    expect(assumeRole).toHaveBeenCalledWith({
      params: { RoleArn: 'arn:aws:iam::555555555555:role/acme-readonly', RoleSessionName: 'vigil-remediate-read' },
      clientConfig: { region: 'us-east-1' },
    });
  });

  it('reuses one client per account, region and service, with adaptive retry', async () => {
    const executor = makeRemediationExecutor({ namePrefix: 'vigil', maxAttempts: 4 });

    await executor.execute({ accountId: '444444444444', calls: [revoke('eu-west-1'), revoke('eu-west-1')] });
    await executor.execute({ accountId: '444444444444', calls: [revoke('eu-west-1'), revoke('us-east-1')] });
    await executor.execute({ accountId: '555555555555', calls: [revoke('eu-west-1')] });

    const clients = new Set(ec2.calls().map((c) => c.thisValue));
    expect(clients.size).toBe(3);
    expect(assumeRole).toHaveBeenCalledTimes(3);
    const client = ec2.call(0).thisValue as EC2Client;
    expect(await client.config.retryStrategy()).toMatchObject({ mode: 'adaptive' });
    expect(await client.config.maxAttempts()).toBe(4);
  });
});
