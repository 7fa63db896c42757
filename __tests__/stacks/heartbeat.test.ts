/**
 * The heartbeat path end to end on synthesized output (issue #11): each member stack carries one heartbeat
 * schedule per enabled region plus the global one in us-east-1, with a least-privilege scheduler role; the
 * member forwarding rules (their compiled patterns, rules/event-pattern.ts) forward the heartbeat events
 * from the regions they happen in; exactly the central heartbeat rule routes each; and triage, fed the
 * message that rule's input transformer builds, records it and alerts nothing.
 *
 * The events are the catalog fixtures (__tests__/fixtures/events/vigil-heartbeat*), moved to the account and
 * region under test. Their shape follows the CloudTrail record contents and userIdentity element of the
 * CloudTrail User Guide (AssumedRole with sessionContext.sessionIssuer) and the SSM PutParameter / IAM TagRole
 * request syntax; `invokedBy`/`sourceIPAddress: scheduler.amazonaws.com` and the hex session name are
 * assumptions (no published Scheduler universal-target record was found), and nothing here depends on them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accountRegions, inventoryProblems } from '../../config/inventory';
import { Testing } from '../../framework/cdktf';
import { remediationPermissions } from '../../derive/remediation-permissions';
import type { HeartbeatEntry } from '../../handlers/core/flows/triage-ports';
import { createHandler } from '../../handlers/entrypoints/triage';
import { makeTriageContext } from '../../handlers/core/triage';
import { toHandlerInventory } from '../../handlers/core/inventory-view';
import { CATALOG } from '../../rules/catalog';
import { compilePattern } from '../../rules/event-pattern';
import { forwardingPatterns } from '../../rules/patterns';
import { PREDICATES } from '../../rules/predicates';
import { MemberStack } from '../../stacks/member-stack';
import { SecurityStack } from '../../stacks/security-stack';
import { inventoryWith, TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { type Json, onlyResource, resourcesOfType, synthJson } from '../helpers/synth';
import { FakeClock, FakeDedupeStore, FakeNotifier, FakeTags } from '../helpers/triage-fakes';

const inv = TEST_INVENTORY;
const memberTf = (inventory: typeof inv, accountId: string) =>
  synthJson(
    new MemberStack(Testing.app(), `member-${accountId}`, {
      inventory,
      account: inventory.accounts.find((a) => a.id === accountId)!,
      patterns: forwardingPatterns(CATALOG),
      permissions: remediationPermissions(CATALOG),
    }),
  );
const PAYMENTS = '444444444444';
const SANDBOX = '555555555555';
const payments = memberTf(inv, PAYMENTS);
const security = synthJson(
  new SecurityStack(Testing.app(), 'security', {
    inventory: inv,
    catalog: CATALOG,
    alerting: TEST_ALERTING,
    remediation: TEST_REMEDIATION,
  }),
);

const EVENTS = join(__dirname, '..', 'fixtures', 'events');
const REGIONAL = 'vigil-heartbeat/positive-scheduler-put-parameter.json';
const GLOBAL = 'vigil-heartbeat-global/positive-scheduler-tag-role.json';

/** A fixture event moved to `account` and `region`, as the heartbeat there would record it. */
function heartbeatEvent(file: string, account: string, region: string): Json {
  const e = JSON.parse(readFileSync(join(EVENTS, file), 'utf8').replaceAll('110000000006', account));
  e.region = region;
  e.detail.awsRegion = region;
  return e;
}

type Schedule = { region: string; name: string; path: string; arn: string; input: string };
const schedulesOf = (tf: Json): Record<string, Schedule> => onlyResource(tf, 'aws_scheduler_schedule').for_each;

/** The member forwarding rules as deployed: region and compiled pattern of every placement. */
function memberRules(tf: Json) {
  const rule = onlyResource(tf, 'aws_cloudwatch_event_rule');
  const [, local] = /^\$\{local\.([\w]+)\[each\.value\.key\]\}$/.exec(rule.event_pattern)!;
  const patterns = tf['locals'][local!] as Record<string, string>;
  return Object.values(rule.for_each as Record<string, { region: string; name: string; key: string }>).map((p) => ({
    ...p,
    matches: compilePattern(JSON.parse(patterns[p.key]!)),
  }));
}

describe('heartbeat schedules (member stack)', () => {
  it('runs one regional heartbeat per enabled region and the global one in us-east-1', () => {
    const schedules = schedulesOf(payments);
    const regions = accountRegions(inv, inv.accounts.find((a) => a.id === PAYMENTS)!);
    expect(Object.keys(schedules).sort()).toEqual([...regions.map((r) => `${r}/regional`), 'us-east-1/global'].sort());
    for (const r of regions) {
      expect(schedules[`${r}/regional`]).toMatchObject({
        region: r,
        name: 'vigil-heartbeat',
        arn: 'arn:aws:scheduler:::aws-sdk:ssm:putParameter',
      });
      expect(JSON.parse(schedules[`${r}/regional`]!.input)).toMatchObject({
        Name: '/vigil/heartbeat',
        Type: 'String',
        Tier: 'Standard',
        Overwrite: true,
      });
    }
    expect(schedules['us-east-1/global']).toMatchObject({
      region: 'us-east-1',
      name: 'vigil-heartbeat-global',
      arn: 'arn:aws:scheduler:::aws-sdk:iam:tagRole',
    });
    expect(JSON.parse(schedules['us-east-1/global']!.input)).toEqual({
      RoleName: 'vigil-heartbeat',
      Tags: [{ Key: 'vigil:heartbeat', Value: 'global-path' }],
    });
  });

  it('places the schedules with the region argument, every 5 minutes by default, exactly on time', () => {
    const schedule = onlyResource(payments, 'aws_scheduler_schedule');
    expect(schedule.region).toBe('${each.value.region}');
    expect(schedule.schedule_expression).toBe('rate(5 minutes)');
    expect(schedule.flexible_time_window).toEqual({ mode: 'OFF' });
    expect(schedule.group_name).toBe('default');
    expect(schedule.target.role_arn).toMatch(/^\$\{aws_iam_role\.heartbeat.*\.arn\}$/);
  });

  it('follows the account override of regions (us-east-1 only: one regional and the global heartbeat)', () => {
    expect(Object.keys(schedulesOf(memberTf(inv, SANDBOX))).sort()).toEqual(['us-east-1/global', 'us-east-1/regional']);
  });

  it('takes the interval from the inventory, validated', () => {
    const every = (n: number) =>
      onlyResource(
        memberTf(
          inventoryWith((i) => (i.heartbeatIntervalMinutes = n)),
          PAYMENTS,
        ),
        'aws_scheduler_schedule',
      ).schedule_expression;
    expect(every(1)).toBe('rate(1 minute)');
    expect(every(15)).toBe('rate(15 minutes)');
    for (const bad of [0, 61, 2.5, '5']) {
      expect(inventoryProblems(inventoryWith((i) => (i.heartbeatIntervalMinutes = bad)))).toEqual([
        expect.objectContaining({ path: 'heartbeatIntervalMinutes' }),
      ]);
    }
  });

  it('uses a least-privilege role: trusts this account’s Scheduler only, makes exactly the two calls', () => {
    const role = resourcesOfType(payments, 'aws_iam_role').find((r) => r.name === 'vigil-heartbeat')!;
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Sid: 'HeartbeatSchedulesOfThisAccountOnly',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': PAYMENTS },
          ArnLike: { 'aws:SourceArn': `arn:aws:scheduler:*:${PAYMENTS}:schedule-group/default` },
        },
      },
    ]);
    // Terraform sets the tag the global heartbeat puts: no drift between plans.
    expect(role.tags).toEqual({ 'vigil:heartbeat': 'global-path' });
    const policy = resourcesOfType(payments, 'aws_iam_role_policy').find((p) => p.name === 'heartbeat-calls-only')!;
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: 'OverwriteTheHeartbeatParameter',
        Effect: 'Allow',
        Action: 'ssm:PutParameter',
        Resource: inv.regions.map((r) => `arn:aws:ssm:${r}:${PAYMENTS}:parameter/vigil/heartbeat`).sort(),
      },
      {
        Sid: 'TagThisRoleWithTheHeartbeatTag',
        Effect: 'Allow',
        Action: 'iam:TagRole',
        Resource: `arn:aws:iam::${PAYMENTS}:role/vigil-heartbeat`,
        Condition: {
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['vigil:heartbeat'] },
          StringEquals: { 'aws:RequestTag/vigil:heartbeat': 'global-path' },
        },
      },
    ]);
  });
});

describe('the heartbeat event travels the production path', () => {
  const rules = memberRules(payments);
  const central = resourcesOfType(security, 'aws_cloudwatch_event_rule').filter((r) => r.event_bus_name);
  const targets = resourcesOfType(security, 'aws_cloudwatch_event_target').filter(
    (t) => t.target_id === 'triage-queue',
  );
  /** The triage messages the central bus queues for an event: one per matching central rule. */
  const queued = (event: Json): string[] =>
    central
      .filter((r) => compilePattern(JSON.parse(r.event_pattern))(event))
      .map((r) => {
        const target = targets.find((t) => t.rule.includes(`.${referencedId(r)}.`) || t.rule === r.name)!;
        return (target.input_transformer.input_template as string).replace(
          '<aws.events.event.json>',
          JSON.stringify(event),
        );
      });
  const referencedId = (r: Json) =>
    Object.entries(security.resource.aws_cloudwatch_event_rule).find(([, v]) => v === r)![0];

  it.each(inv.regions.map((r) => [r] as const))(
    'the regional heartbeat in %s is forwarded by a member rule there',
    (region) => {
      const event = heartbeatEvent(REGIONAL, PAYMENTS, region);
      expect(rules.filter((r) => r.region === region && r.matches(event)).map((r) => r.name)).toEqual([
        'vigil-fwd-vigil-heartbeat',
      ]);
    },
  );

  it('the global heartbeat is forwarded from us-east-1 only, where IAM events are recorded', () => {
    const event = heartbeatEvent(GLOBAL, PAYMENTS, 'us-east-1');
    expect(rules.filter((r) => r.matches(event)).map((r) => `${r.region}/${r.name}`)).toEqual([
      'us-east-1/vigil-fwd-vigil-heartbeat-global',
    ]);
  });

  it('exactly the central heartbeat rule routes each, and triage records it without alerting', async () => {
    const entries: HeartbeatEntry[] = [];
    const notifier = new FakeNotifier();
    const handler = createHandler({
      context: makeTriageContext(toHandlerInventory(inv), CATALOG, PREDICATES),
      store: new FakeDedupeStore(),
      tags: new FakeTags(),
      notifier,
      routing: { default: { emailTopicArn: 'arn:aws:sns:eu-west-1:333333333333:vigil-alerts' }, byOwner: {} },
      now: new FakeClock(Date.parse('2026-12-04T08:51:00Z')).now,
      write: () => undefined,
      heartbeats: {
        record: async (e) => {
          entries.push(e);
          return true;
        },
      },
    });
    const regional = queued(heartbeatEvent(REGIONAL, PAYMENTS, 'us-west-2'));
    const global = queued(heartbeatEvent(GLOBAL, PAYMENTS, 'us-east-1'));
    expect([...regional, ...global].map((body) => JSON.parse(body).detectionId)).toEqual([
      'vigil-heartbeat',
      'vigil-heartbeat-global',
    ]);

    const out = await handler({
      Records: [...regional, ...global].map((body, i) => ({ messageId: `m${i}`, body })),
    });

    expect(out).toEqual({ batchItemFailures: [] });
    expect(notifier.attempts).toEqual([]);
    expect(entries.map((e) => `${e.accountId}/${e.region}/${e.path}`).sort()).toEqual([
      `${PAYMENTS}/us-east-1/global`,
      `${PAYMENTS}/us-west-2/regional`,
    ]);
  });
});
