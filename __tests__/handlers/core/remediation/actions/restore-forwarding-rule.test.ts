import {
  type ForwardingRuleState,
  restoreForwardingRule as action,
  type RuleTarget,
} from '../../../../../handlers/core/remediation/actions/restore-forwarding-rule';
import type { RemediationContext } from '../../../../../handlers/core/remediation/types';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const RULE = 'vigil-fwd-regional-1';
const PATTERN = {
  source: ['aws.ec2'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['AuthorizeSecurityGroupIngress', 'CreateVpc'] },
};
const CENTRAL: RuleTarget = {
  Id: 'central-bus',
  Arn: CTX.centralBusArn,
  RoleArn: `arn:aws:iam::${MEMBER}:role/vigil-forwarder`,
  RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
};
const DEPLOYED: ForwardingRuleState = {
  exists: true,
  state: 'ENABLED',
  eventPattern: JSON.stringify(PATTERN),
  description: `Forward security events to ${CTX.centralBusArn}`,
  targets: [CENTRAL],
};
const WITH_PATTERNS: RemediationContext = {
  ...CTX,
  forwardingPatterns: [{ key: 'regional-1', state: 'ENABLED', pattern: PATTERN }],
};
const target = (fixture: string, ctx: RemediationContext = CTX) =>
  targetOrFail(action.target(loadRemediationEvent(fixture), ctx));
const PUT_CENTRAL = {
  service: 'events',
  operation: 'PutTargets',
  input: {
    Rule: RULE,
    Targets: [
      {
        Id: 'central-bus',
        Arn: CTX.centralBusArn,
        RoleArn: `arn:aws:iam::${MEMBER}:role/vigil-forwarder`,
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
      },
    ],
  },
  region: 'eu-west-1',
};

describe('restore-forwarding-rule', () => {
  describe('target', () => {
    it.each(['events-disable-rule', 'events-remove-targets', 'events-put-targets'])(
      'targets the rule of %s',
      (fixture) => {
        expect(target(fixture)).toMatchObject({ resourceId: RULE, region: 'eu-west-1', details: { ruleName: RULE } });
      },
    );

    it('expects the central bus target with the forwarder role of the account', () => {
      expect(target('events-disable-rule').details['expected']).toEqual({
        target: { Id: 'central-bus', Arn: CTX.centralBusArn, RoleArn: `arn:aws:iam::${MEMBER}:role/vigil-forwarder` },
      });
    });

    it.each([
      [
        'DeleteRule without the forwarding patterns (the pattern is gone)',
        'events-delete-rule',
        CTX,
        /redeploy the member stack \(member-444444444444\)/,
      ],
      ['PutRule without the forwarding patterns', 'events-put-rule', CTX, /cannot be checked/],
    ])('refuses %s', (_case, fixture, ctx, reason) => {
      expect(action.target(loadRemediationEvent(fixture), ctx)).toEqual({ refuse: expect.stringMatching(reason) });
    });

    it.each([
      ['a central rule', 'vigil-ec2-security-group-world-open-ingress', /security stack/],
      ['a rule vigil does not own', 'team-alerts', /not a vigil forwarding rule/],
    ])('refuses %s', (_case, name, reason) => {
      const event = loadRemediationEvent('events-disable-rule');
      (event.detail.requestParameters as any).name = name;

      expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
    });

    it('refuses a rule on another bus', () => {
      const event = loadRemediationEvent('events-disable-rule');
      (event.detail.requestParameters as any).eventBusName = 'custom';

      expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(/default bus/) });
    });

    it('refuses a rule missing from the current forwarding patterns', () => {
      expect(action.target(loadRemediationEvent('events-disable-rule'), { ...CTX, forwardingPatterns: [] })).toEqual({
        refuse: expect.stringMatching(/not a rule of the current catalog/),
      });
    });
  });

  it('reads the rule and its targets', () => {
    expect(action.stateReads(target('events-disable-rule'))).toEqual([
      { service: 'events', operation: 'DescribeRule', input: { Name: RULE }, region: 'eu-west-1' },
      { service: 'events', operation: 'ListTargetsByRule', input: { Rule: RULE }, region: 'eu-west-1' },
    ]);
  });

  describe('plan', () => {
    it('re-enables a disabled rule', () => {
      const plan = actOrFail(action.plan(target('events-disable-rule'), { ...DEPLOYED, state: 'DISABLED' }));

      expect(plan.calls).toEqual([
        { service: 'events', operation: 'EnableRule', input: { Name: RULE }, region: 'eu-west-1' },
      ]);
    });

    it('puts back a removed central-bus target', () => {
      const plan = actOrFail(action.plan(target('events-remove-targets'), { ...DEPLOYED, targets: [] }));

      expect(plan.calls).toEqual([PUT_CENTRAL]);
    });

    it('re-points a retargeted central-bus target and removes a foreign target, before re-enabling', () => {
      const retargeted = { ...CENTRAL, Arn: 'arn:aws:events:eu-west-1:999988887777:event-bus/default' };
      const extra = { Id: 'copy', Arn: 'arn:aws:events:eu-west-1:999988887777:event-bus/default' };

      const plan = actOrFail(
        action.plan(target('events-put-targets'), { ...DEPLOYED, state: 'DISABLED', targets: [retargeted, extra] }),
      );

      expect(plan.calls).toEqual([
        { service: 'events', operation: 'RemoveTargets', input: { Rule: RULE, Ids: ['copy'] }, region: 'eu-west-1' },
        PUT_CENTRAL,
        { service: 'events', operation: 'EnableRule', input: { Name: RULE }, region: 'eu-west-1' },
      ]);
    });

    it('replaces a central-bus target that transforms the input', () => {
      const constant = { ...CENTRAL, Input: '{"source":"nothing to see"}' };

      expect(actOrFail(action.plan(target('events-put-targets'), { ...DEPLOYED, targets: [constant] })).calls).toEqual([
        PUT_CENTRAL,
      ]);
    });

    it('restores the deployed pattern and state with PutRule when the forwarding patterns are known', () => {
      const narrowed = { ...DEPLOYED, eventPattern: '{"source":["aws.ec2"],"detail":{"eventName":["CreateVpc"]}}' };

      const plan = actOrFail(action.plan(target('events-put-rule', WITH_PATTERNS), narrowed));

      expect(plan.calls).toEqual([
        {
          service: 'events',
          operation: 'PutRule',
          input: {
            Name: RULE,
            EventPattern: JSON.stringify(PATTERN),
            State: 'ENABLED',
            Description: DEPLOYED.description,
          },
          region: 'eu-west-1',
        },
      ]);
    });

    it('restores the ALL-management-events state rather than plain ENABLED', () => {
      const ctx = {
        ...CTX,
        forwardingPatterns: [
          { key: 'regional-1', state: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS', pattern: PATTERN },
        ],
      };

      const plan = actOrFail(action.plan(target('events-disable-rule', ctx), { ...DEPLOYED, state: 'DISABLED' }));

      expect(plan.calls).toEqual([
        expect.objectContaining({
          operation: 'PutRule',
          input: expect.objectContaining({ State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' }),
        }),
      ]);
    });

    it('is already compliant when the rule is as deployed (a second run writes nothing), whatever the key order', () => {
      const reordered = {
        ...DEPLOYED,
        eventPattern: JSON.stringify({
          detail: PATTERN.detail,
          'detail-type': PATTERN['detail-type'],
          source: PATTERN.source,
        }),
      };

      expect(action.plan(target('events-disable-rule'), DEPLOYED)).toMatchObject({ kind: 'already-compliant' });
      expect(action.plan(target('events-put-rule', WITH_PATTERNS), reordered)).toMatchObject({
        kind: 'already-compliant',
      });
    });

    it('recreates a deleted rule with the deployed pattern and state, then its central-bus target', () => {
      const t = target('events-delete-rule', WITH_PATTERNS);
      const plan = action.plan(t, { exists: false, targets: [] });
      expect(plan).toMatchObject({ kind: 'act' });
      if (plan.kind !== 'act') throw new Error('expected act');
      expect(plan.calls.map((c) => c.operation)).toEqual(['PutRule', 'PutTargets']);
      expect(plan.calls[0]!.input).toEqual({ Name: RULE, EventPattern: JSON.stringify(PATTERN), State: 'ENABLED' });
      expect(plan.calls[1]!.input).toMatchObject({
        Rule: RULE,
        Targets: [
          { Id: 'central-bus', Arn: CTX.centralBusArn, RoleArn: `arn:aws:iam::${MEMBER}:role/vigil-forwarder` },
        ],
      });
      expect(action.verify(t, DEPLOYED)).toMatchObject({ fixed: true });
      expect(action.undo(plan.snapshot)).toEqual([
        expect.objectContaining({ operation: 'RemoveTargets', input: { Rule: RULE, Ids: ['central-bus'] } }),
      ]);
    });

    it('refuses when the rule was deleted meanwhile and its pattern is unknown', () => {
      expect(action.plan(target('events-disable-rule'), { exists: false, targets: [] })).toMatchObject({
        kind: 'refuse',
        reason: /redeploy the member stack/,
      });
    });
  });

  it('verifies every property of the deployed rule', () => {
    expect(action.verify(target('events-disable-rule'), DEPLOYED)).toMatchObject({ fixed: true });
    expect(
      action.verify(target('events-disable-rule'), { ...DEPLOYED, targets: [CENTRAL, { Id: 'x', Arn: 'a' }] }),
    ).toMatchObject({
      fixed: false,
      detail: expect.stringMatching(/extra targets x/),
    });
    expect(action.verify(target('events-disable-rule'), { ...DEPLOYED, state: 'DISABLED' }).fixed).toBe(false);
  });

  it('undoes each change: rule state, replaced central target, removed targets', () => {
    const retargeted = { ...CENTRAL, Arn: 'arn:aws:events:eu-west-1:999988887777:event-bus/default' };
    const extra = { Id: 'copy', Arn: 'arn:aws:sqs:eu-west-1:999988887777:loot' };
    const plan = actOrFail(
      action.plan(target('events-put-targets'), { ...DEPLOYED, state: 'DISABLED', targets: [retargeted, extra] }),
    );

    expect(action.undo(stored(plan.snapshot))).toEqual([
      { service: 'events', operation: 'DisableRule', input: { Name: RULE }, region: 'eu-west-1' },
      { service: 'events', operation: 'PutTargets', input: { Rule: RULE, Targets: [retargeted] }, region: 'eu-west-1' },
      { service: 'events', operation: 'PutTargets', input: { Rule: RULE, Targets: [extra] }, region: 'eu-west-1' },
    ]);
  });

  it('undoes an added central target by removing it, and a PutRule by putting the old rule back', () => {
    const removed = actOrFail(action.plan(target('events-remove-targets'), { ...DEPLOYED, targets: [] }));
    const old = { ...DEPLOYED, state: 'DISABLED', eventPattern: '{"source":["aws.ec2"]}' };
    const putRule = actOrFail(action.plan(target('events-put-rule', WITH_PATTERNS), old));

    expect(action.undo(stored(removed.snapshot))).toEqual([
      {
        service: 'events',
        operation: 'RemoveTargets',
        input: { Rule: RULE, Ids: ['central-bus'] },
        region: 'eu-west-1',
      },
    ]);
    expect(action.undo(stored(putRule.snapshot))).toEqual([
      {
        service: 'events',
        operation: 'PutRule',
        input: {
          Name: RULE,
          EventPattern: '{"source":["aws.ec2"]}',
          State: 'DISABLED',
          Description: DEPLOYED.description,
        },
        region: 'eu-west-1',
      },
    ]);
  });
});
