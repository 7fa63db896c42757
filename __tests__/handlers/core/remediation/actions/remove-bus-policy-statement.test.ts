import { removeBusPolicyStatement as action } from '../../../../../handlers/core/remediation/actions/remove-bus-policy-statement';
import { CTX, loadRemediationEvent, type MutableEvent } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const FIXTURE = 'events-put-permission-central-bus';
const VIGIL = { Sid: 'OrgForwarderRolesPutEventsOnly', Effect: 'Allow', Principal: '*', Action: 'events:PutEvents' };
const PARTNER = {
  Sid: 'partner',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::999988887777:root' },
  Action: 'events:PutEvents',
};
const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const params = (e: MutableEvent) => e.detail.requestParameters as Record<string, unknown>;
const target = (event = loadRemediationEvent(FIXTURE)) => targetOrFail(action.target(event, CTX));

describe('remove-bus-policy-statement', () => {
  it('targets the statement the event added to the central bus', () => {
    expect(target()).toMatchObject({
      accountId: '333333333333',
      region: 'eu-west-1',
      resourceId: 'vigil-security',
      details: { busName: 'vigil-security', statementIds: ['partner'] },
    });
    expect(action.stateReads(target())).toEqual([
      { service: 'events', operation: 'DescribeEventBus', input: { Name: 'vigil-security' }, region: 'eu-west-1' },
    ]);
  });

  it("takes the added statements of a whole policy, never vigil's own", () => {
    const event = loadRemediationEvent(FIXTURE);
    delete params(event)['statementId'];
    params(event)['eventBusName'] = CTX.centralBusArn;
    params(event)['policy'] = policy(VIGIL, PARTNER, { ...PARTNER, Sid: 'second' });

    expect(target(event).details['statementIds']).toEqual(['partner', 'second']);
  });

  it.each([
    [
      'RemovePermission',
      (e: MutableEvent) => (e.detail.eventName = 'RemovePermission'),
      /redeploying the security stack/,
    ],
    ['another bus', (e: MutableEvent) => (params(e)['eventBusName'] = 'default'), /not vigil's central bus/],
    ['the default bus (no name)', (e: MutableEvent) => delete params(e)['eventBusName'], /bus default/],
    [
      'another account',
      (e: MutableEvent) => ((e.detail as any).recipientAccountId = '444444444444'),
      /not vigil's central bus/,
    ],
    ['no statement id', (e: MutableEvent) => delete params(e)['statementId'], /names no statement id/],
    [
      "vigil's own statement id",
      (e: MutableEvent) => (params(e)['statementId'] = VIGIL.Sid),
      /only \(re\)wrote vigil's own/,
    ],
    ['an unreadable policy', (e: MutableEvent) => (params(e)['policy'] = 'nope'), /cannot be read/],
    [
      'a statement without Sid',
      (e: MutableEvent) => (params(e)['policy'] = policy(VIGIL, { Effect: 'Allow' })),
      /without a Sid/,
    ],
    [
      "only vigil's statement in the policy",
      (e: MutableEvent) => (params(e)['policy'] = policy(VIGIL)),
      /redeploy the security stack/,
    ],
  ])('refuses %s', (_case, change, reason) => {
    const event = loadRemediationEvent(FIXTURE);
    change(event);

    expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
  });

  it("removes exactly the added statement by id and keeps vigil's", () => {
    const plan = actOrFail(action.plan(target(), { exists: true, policy: policy(VIGIL, PARTNER) }));

    expect(plan.calls).toEqual([
      {
        service: 'events',
        operation: 'RemovePermission',
        input: { EventBusName: 'vigil-security', StatementId: 'partner' },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.summary).toBe(
      'remove statement partner from the policy of vigil-security (keeping OrgForwarderRolesPutEventsOnly)',
    );
  });

  it('is compliant when the statement is gone, refuses when the bus is gone', () => {
    expect(action.plan(target(), { exists: true, policy: policy(VIGIL) })).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { exists: true })).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { exists: false })).toMatchObject({ kind: 'refuse' });
  });

  it('verifies and undoes (puts the whole policy back)', () => {
    const before = policy(VIGIL, PARTNER);
    const plan = actOrFail(action.plan(target(), { exists: true, policy: before }));

    expect(action.verify(target(), { exists: true, policy: policy(VIGIL) })).toMatchObject({ fixed: true });
    expect(action.verify(target(), { exists: true, policy: before })).toMatchObject({ fixed: false });
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'events',
        operation: 'PutPermission',
        input: { EventBusName: 'vigil-security', Policy: before },
        region: 'eu-west-1',
      },
    ]);
  });
});
