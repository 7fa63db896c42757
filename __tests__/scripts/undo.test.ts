import type { AuditRecord } from '../../handlers/core/remediation/orchestrate';
import type { PlannedCall, RemediationTarget } from '../../handlers/core/remediation/types';
import { main, parseArgs } from '../../scripts/undo';

const ACTION_ID = '21f0ec88-de27-4093-ab8e-93e5e993e10c:revoke-world-open-ingress';
const TARGET: RemediationTarget = {
  action: 'revoke-world-open-ingress',
  accountId: '110000000011',
  region: 'eu-central-1',
  resourceId: 'sg-0f63fecfa17ef4fee',
  details: { groupId: 'sg-0f63fecfa17ef4fee', ruleIds: ['sgr-0037eb7c59241731e0'] },
};
const RULE = {
  SecurityGroupRuleId: 'sgr-0037eb7c59241731e0',
  GroupId: 'sg-0f63fecfa17ef4fee',
  IsEgress: false,
  IpProtocol: 'tcp',
  FromPort: 22,
  ToPort: 22,
  CidrIpv4: '0.0.0.0/0',
};
const common = {
  actionId: ACTION_ID,
  actor: 'vigil',
  eventId: '21f0ec88-de27-4093-ab8e-93e5e993e10c',
  detectionId: 'ec2-security-group-world-open-ingress',
  action: 'revoke-world-open-ingress' as const,
  accountId: '110000000011',
  region: 'eu-central-1',
  mode: 'auto' as const,
  target: TARGET,
  summary: 'revoke sgr-0037eb7c59241731e0 (tcp 22 from 0.0.0.0/0) on sg-0f63fecfa17ef4fee',
};
const SNAPSHOT: AuditRecord = {
  ...common,
  phase: 'snapshot',
  at: '2026-11-28T12:00:00.000Z',
  outcome: 'in-progress',
  reason: 'about to revoke',
  snapshot: { groupId: 'sg-0f63fecfa17ef4fee', region: 'eu-central-1', revokedRules: [RULE] },
};
const RESULT: AuditRecord = {
  ...common,
  phase: 'result',
  at: '2026-11-28T12:00:01.000Z',
  outcome: 'fixed',
  reason: 'revoked',
};
const AUTHORIZE: PlannedCall = {
  service: 'ec2',
  operation: 'AuthorizeSecurityGroupIngress',
  input: {
    GroupId: 'sg-0f63fecfa17ef4fee',
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
  },
  region: 'eu-central-1',
};

function fakes(records: AuditRecord[], executeError?: Error) {
  const trace: string[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const deps = {
    audit: {
      read: async (id: string) => records.filter((r) => r.actionId === id),
      append: async (r: AuditRecord) => {
        trace.push(`audit ${r.phase} ${r.outcome} by ${r.actor}`);
        records.push(r);
      },
    },
    execute: async (target: RemediationTarget, calls: readonly PlannedCall[]) => {
      trace.push(`execute ${target.accountId} ${JSON.stringify(calls)}`);
      if (executeError) throw executeError;
      return {};
    },
    whoAmI: async () => 'arn:aws:sts::110000000003:assumed-role/SecurityResponder/alice',
    now: () => new Date('2026-11-28T13:00:00.000Z'),
    stdout: (l: string) => out.push(l),
    stderr: (l: string) => err.push(l),
  };
  return { deps, trace, out, err, records };
}

describe('npm run undo', () => {
  it('prints the undo calls, sends them, and records the undo before and after', async () => {
    const f = fakes([SNAPSHOT, RESULT]);

    const code = await main([ACTION_ID], f.deps);

    expect(code).toBe(0);
    expect(f.out.join('\n')).toContain(
      `1. ec2:AuthorizeSecurityGroupIngress eu-central-1 ${JSON.stringify(AUTHORIZE.input)}`,
    );
    expect(f.trace).toEqual([
      'audit undo-snapshot in-progress by operator:arn:aws:sts::110000000003:assumed-role/SecurityResponder/alice',
      `execute 110000000011 ${JSON.stringify([AUTHORIZE])}`,
      'audit undo-result fixed by operator:arn:aws:sts::110000000003:assumed-role/SecurityResponder/alice',
    ]);
    expect(f.records.at(-1)).toMatchObject({ phase: 'undo-result', undoes: ACTION_ID, calls: [AUTHORIZE] });
  });

  it('only prints with --dry-run: no call, no record', async () => {
    const f = fakes([SNAPSHOT, RESULT]);
    expect(await main([ACTION_ID, '--dry-run'], f.deps)).toBe(0);
    expect(f.out.join('\n')).toMatch(/dry run: none is made[\s\S]*AuthorizeSecurityGroupIngress/);
    expect(f.trace).toEqual([]);
  });

  it('refuses when the action changed nothing (exit 1)', async () => {
    const decision: AuditRecord = {
      ...common,
      phase: 'decision',
      at: SNAPSHOT.at,
      outcome: 'already-compliant',
      reason: 'closed',
    };
    const f = fakes([decision]);
    expect(await main([ACTION_ID], f.deps)).toBe(1);
    expect(f.err.join('\n')).toMatch(/never changed anything/);
    expect(f.trace).toEqual([]);
  });

  it('refuses to undo twice', async () => {
    const f = fakes([SNAPSHOT, RESULT]);
    await main([ACTION_ID], f.deps);
    expect(await main([ACTION_ID], f.deps)).toBe(1);
    expect(f.err.join('\n')).toMatch(/already undone by operator:/);
  });

  it('records a failed undo and exits 1', async () => {
    const f = fakes([SNAPSHOT, RESULT], Object.assign(new Error('no permission'), { name: 'UnauthorizedOperation' }));
    expect(await main([ACTION_ID], f.deps)).toBe(1);
    expect(f.err.join('\n')).toMatch(/failed: undo failed: UnauthorizedOperation/);
    expect(f.records.at(-1)).toMatchObject({ phase: 'undo-result', outcome: 'failed' });
  });

  it.each([
    [[], /no action id/],
    [['not an id'], /is not an action id/],
    [[ACTION_ID, 'other:restart-trail-logging'], /one action id at a time/],
    [[ACTION_ID, '--role'], /--role needs a value/],
  ])('fails on usage %j (exit 2)', async (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
    const f = fakes([]);
    expect(await main(argv, f.deps)).toBe(2);
  });
});
