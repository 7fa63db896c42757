import { cloudTrailCallsOf, makePredicateContext, vigilRoles } from '../../../handlers/core/own-calls';
import {
  REMEDIATIONS,
  remediationIamActions,
  remediationUndoIamActions,
} from '../../../handlers/core/remediation/registry';

describe('cloudTrailCallsOf', () => {
  it('names each IAM action as the CloudTrail call it allows, and leaves out permission-only actions', () => {
    expect([
      ...cloudTrailCallsOf(['ec2:RevokeSecurityGroupIngress', 's3:PutAccountPublicAccessBlock', 'iam:PassRole']),
    ]).toEqual(['ec2.amazonaws.com:RevokeSecurityGroupIngress', 's3.amazonaws.com:PutAccountPublicAccessBlock']);
  });

  it.each([['ec2:*'], ['RevokeSecurityGroupIngress'], ['ec2:']])(
    'fails when an action is %s, naming the fix',
    (action) => {
      expect(() => cloudTrailCallsOf([action])).toThrow(/is not '<service>:<Action>'; list each action by name/);
    },
  );
});

describe('vigilRoles', () => {
  const roles = vigilRoles({ namePrefix: 'acme' });

  it('names the roles as config/naming.ts does', () => {
    expect([roles.remediation.name, roles.undo.name]).toEqual(['acme-remediation', 'acme-remediation-undo']);
  });

  it("derives the remediation role's calls from every remediation action's IAM actions", () => {
    const expected = remediationIamActions()
      .filter((a) => a !== 'iam:PassRole')
      .map((a) => `${a.split(':')[0]}.amazonaws.com:${a.split(':')[1]}`);

    expect([...roles.remediation.calls].sort()).toEqual(expected.sort());
    for (const def of Object.values(REMEDIATIONS)) {
      for (const a of def.iamActions.filter((x) => x !== 'iam:PassRole')) {
        expect(roles.remediation.calls).toContain(`${a.split(':')[0]}.amazonaws.com:${a.split(':')[1]}`);
      }
    }
  });

  it("derives the undo role's calls from the undo actions, apart from the corrective ones", () => {
    expect(roles.undo.calls.size).toBe(remediationUndoIamActions().filter((a) => a !== 'iam:PassRole').length);
    expect(roles.undo.calls).toContain('ec2.amazonaws.com:AuthorizeSecurityGroupIngress');
    expect(roles.remediation.calls).not.toContain('ec2.amazonaws.com:AuthorizeSecurityGroupIngress');
  });
});

describe('makePredicateContext', () => {
  it('carries the accounts, the organization and the roles', () => {
    const ctx = makePredicateContext({
      organizationId: 'o-k3m9x2p7qa',
      namePrefix: 'vigil',
      accountIds: ['110000000006'],
      securityAccountId: '110000000006',
    });

    expect(ctx.organizationAccountIds).toEqual(new Set(['110000000006']));
    expect(ctx.organizationId).toBe('o-k3m9x2p7qa');
    expect(ctx.vigilRoles.remediation.name).toBe('vigil-remediation');
  });
});
