import {
  allowedMemberActions,
  memberRequestMessage,
  type UnsignedExecuteRequest,
} from '../../../../handlers/core/remediation/member-contract';
import { REMEDIATIONS } from '../../../../handlers/core/remediation/registry';
import type { RemediationId } from '../../../../rules/types';

const REQUEST: UnsignedExecuteRequest = {
  op: 'execute',
  accountId: '444444444444',
  action: 'revoke-world-open-ingress',
  calls: [
    {
      service: 'ec2',
      operation: 'RevokeSecurityGroupIngress',
      input: { GroupId: 'sg-0123', SecurityGroupRuleIds: ['sgr-1'] },
      region: 'eu-west-1',
    },
  ],
  role: 'remediation',
  requestId: 'e-1:revoke-world-open-ingress',
  expiresAt: '2026-03-01T10:05:00.000Z',
};

describe('memberRequestMessage', () => {
  it('is a short versioned digest, the same whatever order the keys were built in', () => {
    const reordered = JSON.parse(
      JSON.stringify({
        expiresAt: REQUEST.expiresAt,
        calls: [
          {
            region: 'eu-west-1',
            input: { SecurityGroupRuleIds: ['sgr-1'], GroupId: 'sg-0123' },
            operation: 'RevokeSecurityGroupIngress',
            service: 'ec2',
          },
        ],
        role: 'remediation',
        requestId: REQUEST.requestId,
        action: REQUEST.action,
        accountId: REQUEST.accountId,
        op: 'execute',
      }),
    ) as UnsignedExecuteRequest;

    expect(memberRequestMessage(REQUEST)).toMatch(/^vigil-remediate-member-request:v1:[0-9a-f]{64}$/);
    expect(memberRequestMessage(reordered)).toBe(memberRequestMessage(REQUEST));
    // An absent dryRun is signed as false: the two spellings are the same request.
    expect(memberRequestMessage({ ...REQUEST, dryRun: false })).toBe(memberRequestMessage(REQUEST));
  });

  it.each([
    ['accountId', { accountId: '555555555555' }],
    ['action', { action: 'detach-admin-policy' as const }],
    ['role', { role: 'undo' as const }],
    ['dryRun', { dryRun: true }],
    ['requestId', { requestId: 'e-2:revoke-world-open-ingress' }],
    ['expiresAt', { expiresAt: '2026-03-01T10:06:00.000Z' }],
    [
      'a call input',
      { calls: [{ ...REQUEST.calls[0]!, input: { GroupId: 'sg-0123', SecurityGroupRuleIds: ['sgr-2'] } }] },
    ],
  ])('changes with %s', (_field, change) => {
    expect(memberRequestMessage({ ...REQUEST, ...change })).not.toBe(memberRequestMessage(REQUEST));
  });
});

describe('allowedMemberActions', () => {
  it.each(Object.keys(REMEDIATIONS) as RemediationId[])(
    "%s: the registry's actions for the remediation role, its undo actions for the undo role",
    (id) => {
      expect(allowedMemberActions(id, 'remediation')).toEqual(REMEDIATIONS[id].iamActions);
      expect(allowedMemberActions(id, 'undo')).toEqual(REMEDIATIONS[id].undoIamActions);
    },
  );
});
