import {
  type AttachedPoliciesState,
  defaultApprovedAdminPrincipals,
  detachAdminPolicy as action,
  isAdminPolicyArn,
} from '../../../../../handlers/core/remediation/actions/detach-admin-policy';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const S3_FULL = 'arn:aws:iam::aws:policy/AmazonS3FullAccess';
const ROLE_ARN = `arn:aws:iam::${MEMBER}:role/payments-batch`;
const attached = (arns: string[], principalArn = ROLE_ARN): AttachedPoliciesState => ({
  principalExists: true,
  principalArn,
  attachedPolicyArns: arns,
});
const roleTarget = () => targetOrFail(action.target(loadRemediationEvent('iam-attach-role-policy'), CTX));

describe('detach-admin-policy', () => {
  it.each([
    [ADMIN, true],
    [S3_FULL, true],
    [`arn:aws:iam::${MEMBER}:policy/team/AdministratorAccess`, true],
    ['arn:aws:iam::aws:policy/ReadOnlyAccess', false],
    ['arn:aws:iam::aws:policy/AdministratorAccess-Amplify', false],
  ])('recognises %s as admin: %s (the catalog pattern)', (arn, admin) => {
    expect(isAdminPolicyArn(arn)).toBe(admin);
  });

  it.each([
    ['iam-attach-role-policy', 'Role', 'payments-batch', ADMIN],
    ['iam-attach-user-policy', 'User', 'svc-reporting', S3_FULL],
    ['iam-attach-group-policy', 'Group', 'contractors', ADMIN],
  ])('targets the principal and policy of %s', (fixture, type, name, policy) => {
    expect(targetOrFail(action.target(loadRemediationEvent(fixture), CTX)).details).toMatchObject({
      principalType: type,
      principalName: name,
      policyArn: policy,
      approvedPrincipals: defaultApprovedAdminPrincipals(CTX),
    });
  });

  it('refuses a policy that is not admin or full access', () => {
    const event = loadRemediationEvent('iam-attach-role-policy');
    (event.detail.requestParameters as any).policyArn = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

    expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(/not an administrator/) });
  });

  it('reads the principal (for its ARN with path) and its attached policies', () => {
    expect(action.stateReads(roleTarget())).toEqual([
      { service: 'iam', operation: 'GetRole', input: { RoleName: 'payments-batch' }, region: 'us-east-1' },
      {
        service: 'iam',
        operation: 'ListAttachedRolePolicies',
        input: { RoleName: 'payments-batch' },
        region: 'us-east-1',
      },
    ]);
    const group = targetOrFail(action.target(loadRemediationEvent('iam-attach-group-policy'), CTX));
    expect(action.stateReads(group)[0]).toMatchObject({
      operation: 'GetGroup',
      input: { GroupName: 'contractors', MaxItems: 1 },
    });
  });

  it('detaches exactly the attached admin policy', () => {
    const plan = actOrFail(
      action.plan(roleTarget(), attached([S3_FULL, ADMIN, 'arn:aws:iam::aws:policy/ReadOnlyAccess'])),
    );

    expect(plan.calls).toEqual([
      {
        service: 'iam',
        operation: 'DetachRolePolicy',
        input: { RoleName: 'payments-batch', PolicyArn: ADMIN },
        region: 'us-east-1',
      },
    ]);
    expect(plan.snapshot).toEqual({
      principalType: 'Role',
      principalName: 'payments-batch',
      principalArn: ROLE_ARN,
      policyArn: ADMIN,
      region: 'us-east-1',
    });
  });

  it('uses the user and group operations for users and groups', () => {
    const user = targetOrFail(action.target(loadRemediationEvent('iam-attach-user-policy'), CTX));
    const group = targetOrFail(action.target(loadRemediationEvent('iam-attach-group-policy'), CTX));

    expect(
      actOrFail(action.plan(user, attached([S3_FULL], `arn:aws:iam::${MEMBER}:user/svc-reporting`))).calls[0],
    ).toMatchObject({
      operation: 'DetachUserPolicy',
      input: { UserName: 'svc-reporting', PolicyArn: S3_FULL },
    });
    expect(
      actOrFail(action.plan(group, attached([ADMIN], `arn:aws:iam::${MEMBER}:group/contractors`))).calls[0],
    ).toMatchObject({
      operation: 'DetachGroupPolicy',
      input: { GroupName: 'contractors', PolicyArn: ADMIN },
    });
  });

  it('is already compliant when the policy is no longer attached (a second run writes nothing)', () => {
    expect(action.plan(roleTarget(), attached([S3_FULL]))).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(roleTarget(), { principalExists: false, attachedPolicyArns: [] })).toMatchObject({
      kind: 'already-compliant',
    });
  });

  it.each([
    ['the deploy role', `arn:aws:iam::${MEMBER}:role/vigil-deploy`],
    [
      'an IAM Identity Center role',
      `arn:aws:iam::${MEMBER}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123abcd`,
    ],
    ['OrganizationAccountAccessRole', `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`],
  ])('refuses %s (approved by default)', (_case, arn) => {
    expect(action.plan(roleTarget(), attached([ADMIN], arn))).toMatchObject({ kind: 'refuse', reason: /approved/ });
  });

  it('does not take a role named like Identity Center outside its reserved path for approved', () => {
    const plan = action.plan(roleTarget(), attached([ADMIN], `arn:aws:iam::${MEMBER}:role/AWSReservedSSO_Admin_fake`));

    expect(plan.kind).toBe('act');
  });

  it('uses the approved principals of the context instead of the defaults', () => {
    const t = targetOrFail(
      action.target(loadRemediationEvent('iam-attach-role-policy'), {
        ...CTX,
        approvedAdminPrincipals: ['arn:aws:iam::*:role/payments-*'],
      }),
    );

    expect(action.plan(t, attached([ADMIN]))).toMatchObject({ kind: 'refuse' });
    expect(action.plan(t, attached([ADMIN], `arn:aws:iam::${MEMBER}:role/vigil-deploy`)).kind).toBe('act');
  });

  it('refuses service-linked roles, whose policies IAM does not let anyone change', () => {
    const arn = `arn:aws:iam::${MEMBER}:role/aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport`;

    expect(action.plan(roleTarget(), attached([ADMIN], arn))).toMatchObject({
      kind: 'refuse',
      reason: /service-linked/,
    });
  });

  it('verifies and undoes', () => {
    const plan = actOrFail(action.plan(roleTarget(), attached([ADMIN])));

    expect(action.verify(roleTarget(), attached([]))).toMatchObject({ fixed: true });
    expect(action.verify(roleTarget(), attached([ADMIN]))).toMatchObject({ fixed: false });
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'iam',
        operation: 'AttachRolePolicy',
        input: { RoleName: 'payments-batch', PolicyArn: ADMIN },
        region: 'us-east-1',
      },
    ]);
  });
});
