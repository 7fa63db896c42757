import {
  canonical,
  removeForeignTrustPrincipals as action,
  type TrustPolicyState,
} from '../../../../../handlers/core/remediation/actions/remove-foreign-trust-principals';
import { CTX, loadRemediationEvent, MEMBER, type MutableEvent } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const ROLE_ARN = `arn:aws:iam::${MEMBER}:role/payments-batch`;
const SCHEDULER = {
  Sid: 'BatchScheduler',
  Effect: 'Allow',
  Principal: {
    AWS: ['arn:aws:iam::333333333333:root', 'arn:aws:iam::999988887777:role/vendor-ops'],
    Service: 'ecs-tasks.amazonaws.com',
  },
  Action: 'sts:AssumeRole',
};
const VENDOR = { Sid: 'VendorSupport', Effect: 'Allow', Principal: { AWS: '999988887777' }, Action: 'sts:AssumeRole' };
const doc = (...statements: object[]) => ({ Version: '2012-10-17', Statement: statements });
const FIXED = doc({
  ...SCHEDULER,
  Principal: { Service: 'ecs-tasks.amazonaws.com', AWS: 'arn:aws:iam::333333333333:root' },
});

/** The fixture event with its trust policy replaced by `policy`. */
const eventWith = (policy: object, change: (e: MutableEvent) => void = () => undefined): MutableEvent => {
  const e = loadRemediationEvent('iam-update-assume-role-policy');
  (e.detail.requestParameters as Record<string, unknown>)['policyDocument'] = JSON.stringify(policy);
  change(e);
  return e;
};
const target = (event = loadRemediationEvent('iam-update-assume-role-policy')) =>
  targetOrFail(action.target(event, CTX));
const role = (policy: object | string): TrustPolicyState => ({
  exists: true,
  roleArn: ROLE_ARN,
  document: typeof policy === 'string' ? policy : JSON.stringify(policy),
});

describe('remove-foreign-trust-principals', () => {
  it('targets the role and records the principals outside the organization', () => {
    expect(target()).toMatchObject({
      resourceId: 'role/payments-batch',
      region: 'us-east-1',
      details: {
        roleName: 'payments-batch',
        removed: ['arn:aws:iam::999988887777:role/vendor-ops', '999988887777'],
        droppedStatements: 1,
      },
    });
    expect(JSON.parse(String(target().details['fixedDocument']))).toEqual(FIXED);
    expect(action.stateReads(target())).toEqual([
      { service: 'iam', operation: 'GetRole', input: { RoleName: 'payments-batch' }, region: 'us-east-1' },
    ]);
  });

  it('removes exactly the foreign principals, keeping the organization and service principals', () => {
    const event = loadRemediationEvent('iam-update-assume-role-policy');
    const opened = String((event.detail.requestParameters as Record<string, unknown>)['policyDocument']);
    const plan = actOrFail(action.plan(target(), role(opened)));

    expect(plan.calls).toEqual([
      {
        service: 'iam',
        operation: 'UpdateAssumeRolePolicy',
        input: { RoleName: 'payments-batch', PolicyDocument: JSON.stringify(FIXED) },
        region: 'us-east-1',
      },
    ]);
    expect(plan.summary).toBe(
      'remove arn:aws:iam::999988887777:role/vendor-ops, 999988887777 from the trust policy of payments-batch ' +
        '(1 statement left without a principal dropped)',
    );
    expect(stored(plan.snapshot)).toEqual({
      roleName: 'payments-batch',
      roleArn: ROLE_ARN,
      document: opened,
      region: 'us-east-1',
    });
  });

  it.each([
    [
      'a wildcard principal (string form)',
      doc({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }, SCHEDULER),
      1,
    ],
    [
      'a wildcard principal (AWS form) next to a service',
      doc({ ...SCHEDULER, Principal: { AWS: '*', Service: 'ec2.amazonaws.com' } }),
      0,
    ],
    [
      'a NotPrincipal statement',
      doc({ Sid: 'Nope', Effect: 'Allow', NotPrincipal: { AWS: '111111111111' }, Action: 'sts:AssumeRole' }, SCHEDULER),
      1,
    ],
  ])('handles %s', (_case, policy, dropped) => {
    const t = target(eventWith(policy));
    const plan = actOrFail(action.plan(t, role(policy)));

    expect(t.details['droppedStatements']).toBe(dropped);
    expect(plan.calls).toHaveLength(1);
    expect(JSON.stringify(JSON.parse(String(plan.calls[0]?.input['PolicyDocument'])))).not.toMatch(
      /999988887777|"\*"|NotPrincipal/,
    );
  });

  it('keeps a wildcard confined to the organization and statements that deny', () => {
    const confined = {
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-test123456' } },
    };
    const deny = { Effect: 'Deny', Principal: { AWS: '999988887777' }, Action: 'sts:AssumeRole' };
    const t = target(eventWith(doc(confined, deny, VENDOR)));

    expect(JSON.parse(String(t.details['fixedDocument']))).toEqual(doc(confined, deny));
  });

  it.each([
    ['another event', (e: MutableEvent) => (e.detail.eventName = 'DeleteRole'), /does not set a trust policy/],
    ['no role name', (e: MutableEvent) => delete (e.detail.requestParameters as any).roleName, /names no role/],
    [
      'an unreadable policy',
      (e: MutableEvent) => ((e.detail.requestParameters as any).policyDocument = 'not json'),
      /no readable trust policy/,
    ],
    [
      'no foreign principal',
      (e: MutableEvent) =>
        ((e.detail.requestParameters as any).policyDocument = JSON.stringify(
          doc({ Effect: 'Allow', Principal: { AWS: '333333333333' }, Action: 'sts:AssumeRole' }),
        )),
      /lets in no one outside/,
    ],
    [
      'nothing left afterwards',
      (e: MutableEvent) => ((e.detail.requestParameters as any).policyDocument = JSON.stringify(doc(VENDOR))),
      /without a statement; delete or re-trust/,
    ],
  ])('refuses %s', (_case, change, reason) => {
    const event = loadRemediationEvent('iam-update-assume-role-policy');
    change(event);

    expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
  });

  it('reads the trust policy of CreateRole, and refuses without the organization', () => {
    const created = eventWith(doc(SCHEDULER), (e) => {
      e.detail.eventName = 'CreateRole';
      const p = e.detail.requestParameters as Record<string, unknown>;
      p['assumeRolePolicyDocument'] = p['policyDocument'];
      delete p['policyDocument'];
    });
    expect(targetOrFail(action.target(created, CTX)).details['removed']).toEqual([
      'arn:aws:iam::999988887777:role/vendor-ops',
    ]);
    expect(action.target(created, { ...CTX, organization: undefined })).toEqual({
      refuse: expect.stringMatching(/not known/),
    });
  });

  it('refuses when the document changed since the event, and a service-linked role', () => {
    expect(action.plan(target(), role(doc(SCHEDULER)))).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(/changed since the event/),
    });
    expect(
      action.plan(target(), {
        ...role(doc(SCHEDULER, VENDOR)),
        roleArn: `arn:aws:iam::${MEMBER}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX`,
      }),
    ).toMatchObject({
      kind: 'refuse',
      reason: expect.stringMatching(/service-linked/),
    });
  });

  it('is compliant when the role is gone or already has the fixed document (another rendering of it too)', () => {
    expect(action.plan(target(), { exists: false })).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), role(JSON.stringify(FIXED, null, 4)))).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { exists: true })).toMatchObject({ kind: 'refuse' });
  });

  it('verifies and undoes (puts the snapshot document back)', () => {
    const plan = actOrFail(action.plan(target(), role(doc(SCHEDULER, VENDOR))));

    expect(action.verify(target(), role(FIXED))).toMatchObject({ fixed: true });
    expect(action.verify(target(), { exists: false })).toMatchObject({ fixed: true });
    expect(action.verify(target(), role(doc(SCHEDULER, VENDOR)))).toMatchObject({ fixed: false });
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'iam',
        operation: 'UpdateAssumeRolePolicy',
        input: { RoleName: 'payments-batch', PolicyDocument: JSON.stringify(doc(SCHEDULER, VENDOR)) },
        region: 'us-east-1',
      },
    ]);
  });

  it('compares documents whatever their key order', () => {
    expect(canonical({ b: [1, { d: null, c: true }], a: 'x' })).toBe(
      canonical({ a: 'x', b: [1, { c: true, d: null }] }),
    );
    expect(canonical(undefined)).toBe('null');
  });
});
