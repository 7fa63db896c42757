import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../handlers/core/remediation/orchestrate';
import type { PlannedCall, RemediationTarget } from '../../handlers/core/remediation/types';
import { main, parseArgs } from '../../scripts/undo';

const ROOT = join(__dirname, '..', '..');
const EVENTS = join(ROOT, '__tests__', 'fixtures', 'events');

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
    [['not:an id'], /is not an action id/],
    [[ACTION_ID, 'other:restart-trail-logging'], /one action id at a time/],
    [[ACTION_ID, 'events/'], /an action id or event inputs, not both/],
    [[ACTION_ID, '--role'], /--role needs a role name \(--role <role name>\)/],
    [
      [ACTION_ID, '--dryrun'],
      /unknown option '--dryrun' \(did you mean --dry-run\?\); valid options: --dry-run, --all, --role/,
    ],
  ])('fails on usage %j (exit 2)', async (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
    const f = fakes([]);
    expect(await main(argv, f.deps)).toBe(2);
    expect(f.err[0]).toMatch(message);
    expect(f.err[1]).toMatch(/^Usage: npm run undo -- /);
  });

  it('fails when an input does not exist (exit 2), naming it and both fixes', async () => {
    const f = fakes([]);
    expect(await main(['not an id'], { ...f.deps, cwd: ROOT })).toBe(2);
    expect(f.err[0]).toBe(
      `undo: no such file or folder: not an id (check the path; relative paths start from ${ROOT}); ` +
        'or give an action id (<CloudTrail eventID>:<action>) instead',
    );
  });

  it('--help prints usage, inputs, options, exit codes and examples on stdout (exit 0)', async () => {
    const f = fakes([]);
    expect(await main(['--help'], f.deps)).toBe(0);
    expect(f.err).toEqual([]);
    expect(f.out.join('\n')).toMatch(
      /^Usage: npm run undo -- [\s\S]*\nAction id[\s\S]*\nOptions:[\s\S]*\nExit codes:[\s\S]*\nExamples:/,
    );
  });

  it('looks up the actions of event inputs and undoes those vigil took', async () => {
    // The fixture is the event behind ACTION_ID; the StopLogging event's restart was never recorded.
    const f = fakes([SNAPSHOT, RESULT]);
    const inputs = [
      join(EVENTS, 'ec2-security-group-world-open-ingress', 'positive-ssh-ipv4.json'),
      join(EVENTS, 'cloudtrail-logging-stopped', 'positive-org-trail.json'),
    ];

    const code = await main(['--dry-run', ...inputs], { ...f.deps, cwd: ROOT });

    expect(code).toBe(0);
    const out = f.out.join('\n');
    expect(out).toContain(`action ${ACTION_ID}: ${common.summary}`);
    expect(out).toMatch(/dry run: none is made\)?:\n {2}1\. ec2:AuthorizeSecurityGroupIngress/);
    expect(out).toMatch(/action bf376ae8-[\w-]+:restart-trail-logging: no audit record, vigil did not act on it/);
    expect(f.out.slice(-2)).toEqual([
      'Read 2 event(s) from 2 file(s).',
      '2 remediation action(s) for these events: 1 printed (dry run), 0 refused, 0 failed, 1 never taken.',
    ]);
    expect(f.trace).toEqual([]);
  });

  it('undoes several actions found for event inputs only with --all', async () => {
    const restart: AuditRecord = {
      ...SNAPSHOT,
      actionId: 'bf376ae8-b150-4793-a858-463c65d4086a:restart-trail-logging',
      eventId: 'bf376ae8-b150-4793-a858-463c65d4086a',
    };
    const f = fakes([SNAPSHOT, RESULT, restart]);
    const inputs = [
      join(EVENTS, 'ec2-security-group-world-open-ingress', 'positive-ssh-ipv4.json'),
      join(EVENTS, 'cloudtrail-logging-stopped', 'positive-org-trail.json'),
    ];

    expect(await main(inputs, { ...f.deps, cwd: ROOT })).toBe(2);
    expect(f.err[0]).toBe('undo: these events led to 2 remediation actions; undoing them all needs --all:');
    expect(f.trace).toEqual([]);
    expect(await main(['--all', ...inputs], { ...f.deps, cwd: ROOT })).toBe(0);
    expect(f.trace.filter((t) => t.startsWith('execute'))).toHaveLength(2);
  });

  it('exits 2 when no event could be read from the inputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-undo-'));
    writeFileSync(join(dir, 'broken.jsonl'), '{"id": \n');
    const f = fakes([]);

    expect(await main([dir], { ...f.deps, cwd: ROOT })).toBe(2);
    expect(f.err[0]).toMatch(/^undo: skipped .*broken\.jsonl: invalid JSON at line 2 column 1/);
    expect(f.err.at(-1)).toMatch(/no event or record could be read/);
  });

  it('says what to do instead when the SDK finds no credentials (exit 2, no stack trace)', async () => {
    const f = fakes([]);
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const audit = { ...f.deps.audit, read: async () => Promise.reject(noCredentials) };

    expect(await main([ACTION_ID], { ...f.deps, audit, cwd: ROOT })).toBe(2);
    const err = f.err.join('\n');
    expect(err).toMatch(/^undo: no usable AWS credentials \(Could not load credentials from any providers\)/);
    expect(err).toMatch(
      /credentials for arn:aws:iam::\d{12}:role\/[\w+=,.@-]+ \(appending to the audit table needs it\)/,
    );
    expect(err).toContain('--role <role name>');
    expect(err).toContain('npm run plan -- <event file>');
    expect(err).toContain(`npm run undo -- ${ACTION_ID} --dry-run`);
    expect(err).not.toMatch(/^\s+at /m);
  });

  it('reports an AWS refusal (here: no such table) without a stack trace (exit 2)', async () => {
    const f = fakes([]);
    const notFound = Object.assign(new Error('Requested resource not found'), {
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
    const audit = { ...f.deps.audit, read: async () => Promise.reject(notFound) };

    expect(await main([ACTION_ID], { ...f.deps, audit, cwd: ROOT })).toBe(2);
    expect(f.err[0]).toMatch(/^undo: AWS refused the request: ResourceNotFoundException/);
    expect(f.err[1]).toMatch(/Check --table/);
  });

  describe('with the real AWS SDK and no credentials anywhere', () => {
    const saved = { ...process.env };
    beforeEach(() => {
      for (const k of Object.keys(process.env)) {
        if (
          /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|DEFAULT_PROFILE|WEB_IDENTITY|CONTAINER_|ROLE_)/.test(
            k,
          )
        ) {
          delete process.env[k];
        }
      }
      const nowhere = mkdtempSync(join(tmpdir(), 'vigil-undo-no-aws-'));
      process.env['AWS_CONFIG_FILE'] = join(nowhere, 'config');
      process.env['AWS_SHARED_CREDENTIALS_FILE'] = join(nowhere, 'credentials');
      process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
    });
    afterEach(() => {
      process.env = { ...saved };
    });

    it('prints the advice instead of a stack trace and exits 2', async () => {
      const out: string[] = [];
      const err: string[] = [];

      const code = await main([ACTION_ID, '--dry-run'], {
        stdout: (l) => out.push(l),
        stderr: (l) => err.push(l),
        cwd: ROOT,
      });

      expect(code).toBe(2);
      expect(out).toEqual([]);
      expect(err[0]).toMatch(/^undo: no usable AWS credentials \(.*credentials/i);
      expect(err.join('\n')).not.toMatch(/^\s+at /m);
    });
  });
});
