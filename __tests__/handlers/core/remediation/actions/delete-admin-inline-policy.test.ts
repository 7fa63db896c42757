import {
  deleteAdminInlinePolicy as action,
  type InlinePolicyState,
} from '../../../../../handlers/core/remediation/actions/delete-admin-inline-policy';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const ROLE_ARN = `arn:aws:iam::${MEMBER}:role/payments-batch`;
const ADMIN_DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }],
});
const SCOPED_DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }],
});
const state = (document: string | null = ADMIN_DOC, principalArn = ROLE_ARN): InlinePolicyState => ({
  principalExists: true,
  principalArn,
  ...(document === null ? {} : { document }),
});
const roleTarget = () => targetOrFail(action.target(loadRemediationEvent('iam-put-role-policy-admin'), CTX));

describe('delete-admin-inline-policy', () => {
  it.each([
    ['iam-put-role-policy-admin', 'Role', 'payments-batch', 'iam-self-service'],
    ['iam-put-user-policy-admin', 'User', 'svc-reporting', 'break-glass'],
  ])('targets the principal and inline policy of %s', (fixture, type, name, policy) => {
    expect(targetOrFail(action.target(loadRemediationEvent(fixture), CTX)).details).toMatchObject({
      principalType: type,
      principalName: name,
      policyName: policy,
    });
  });

  it.each([
    ['another event', (e: any) => (e.detail.eventName = 'AttachRolePolicy'), /does not put an inline policy/],
    ['no policy name', (e: any) => delete e.detail.requestParameters.policyName, /names no principal or policy/],
    [
      'a document that grants no admin',
      (e: any) => (e.detail.requestParameters.policyDocument = SCOPED_DOC),
      /does not grant admin/,
    ],
  ])('refuses an event with %s', (_case, change, reason) => {
    const event = loadRemediationEvent('iam-put-role-policy-admin');
    change(event);

    expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
  });

  it('reads the principal (for its ARN with path) and the inline policy', () => {
    expect(action.stateReads(roleTarget())).toEqual([
      { service: 'iam', operation: 'GetRole', input: { RoleName: 'payments-batch' }, region: 'us-east-1' },
      {
        service: 'iam',
        operation: 'GetRolePolicy',
        input: { RoleName: 'payments-batch', PolicyName: 'iam-self-service' },
        region: 'us-east-1',
      },
    ]);
  });

  it('deletes exactly that inline policy, after snapshotting its document', () => {
    const plan = actOrFail(action.plan(roleTarget(), state()));

    expect(plan.calls).toEqual([
      {
        service: 'iam',
        operation: 'DeleteRolePolicy',
        input: { RoleName: 'payments-batch', PolicyName: 'iam-self-service' },
        region: 'us-east-1',
      },
    ]);
    expect(plan.snapshot).toEqual({
      principalType: 'Role',
      principalName: 'payments-batch',
      principalArn: ROLE_ARN,
      policyName: 'iam-self-service',
      document: ADMIN_DOC,
      region: 'us-east-1',
    });
  });

  it('uses the user operations for a user', () => {
    const user = targetOrFail(action.target(loadRemediationEvent('iam-put-user-policy-admin'), CTX));

    expect(
      actOrFail(action.plan(user, state(ADMIN_DOC, `arn:aws:iam::${MEMBER}:user/svc-reporting`))).calls[0],
    ).toMatchObject({
      operation: 'DeleteUserPolicy',
      input: { UserName: 'svc-reporting', PolicyName: 'break-glass' },
    });
  });

  it('is already compliant when the policy is gone or no longer grants admin (a second run writes nothing)', () => {
    expect(action.plan(roleTarget(), state(null))).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(roleTarget(), state(SCOPED_DOC))).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(roleTarget(), { principalExists: false })).toMatchObject({ kind: 'already-compliant' });
  });

  it.each([
    ['the deploy role', `arn:aws:iam::${MEMBER}:role/vigil-deploy`, /approved/],
    [
      'an Identity Center role',
      `arn:aws:iam::${MEMBER}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_A_1`,
      /approved/,
    ],
    [
      'a service-linked role',
      `arn:aws:iam::${MEMBER}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX`,
      /service-linked/,
    ],
  ])('refuses %s', (_case, arn, reason) => {
    expect(action.plan(roleTarget(), state(ADMIN_DOC, arn))).toMatchObject({ kind: 'refuse', reason });
  });

  it('verifies and undoes with the snapshot document', () => {
    const plan = actOrFail(action.plan(roleTarget(), state()));

    expect(action.verify(roleTarget(), state(null))).toMatchObject({ fixed: true });
    expect(action.verify(roleTarget(), state())).toMatchObject({ fixed: false });
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'iam',
        operation: 'PutRolePolicy',
        input: { RoleName: 'payments-batch', PolicyName: 'iam-self-service', PolicyDocument: ADMIN_DOC },
        region: 'us-east-1',
      },
    ]);
  });
});
