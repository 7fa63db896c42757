import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ASSUMPTION, type EventPlan, main, parseArgs } from '../../scripts/plan';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, '__tests__', 'fixtures', 'events');

/** A folder of events as a responder would collect them: two nested, one unrelated, one broken. */
function eventFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-plan-'));
  mkdirSync(join(dir, 'incident'));
  copyFileSync(
    join(FIXTURES, 'ec2-security-group-world-open-ingress', 'positive-ssh-ipv4.json'),
    join(dir, 'incident', 'a-ssh.json'),
  );
  copyFileSync(
    join(FIXTURES, 'cloudtrail-logging-stopped', 'positive-org-trail.json'),
    join(dir, 'incident', 'b-stop-logging.json'),
  );
  copyFileSync(join(FIXTURES, 'cloudtrail-logging-stopped', 'negative-failed.json'), join(dir, 'c-failed-call.json'));
  writeFileSync(join(dir, 'notes.txt'), 'not an event');
  return dir;
}

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    cwd: ROOT,
    today: '2026-11-28',
  });
  return { code, out, err };
}

describe('npm run plan', () => {
  it('lists one detection per change: the catch-all the specific detection supersedes is left out', async () => {
    const { code, out } = await run([
      '--json',
      join(FIXTURES, 'ec2-security-group-world-open-ingress', 'positive-ssh-ipv4.json'),
    ]);
    expect(code).toBe(0);
    const plans = out.map((l) => JSON.parse(l)).filter((l) => l.detections);
    expect(plans[0].detections.map((d: { detectionId: string }) => d.detectionId)).toEqual([
      'ec2-security-group-world-open-ingress',
    ]);
  });

  it('prints, for each event of a folder, the detection, the mode and why, and the exact calls', async () => {
    const { code, out, err } = await run([eventFolder()]);
    const text = out.join('\n');

    expect(err).toEqual([]);
    expect(code).toBe(0);
    // The security group opened in checkout-prod: approve by the prod entry; the exact revoke.
    expect(text).toMatch(
      /a-ssh\.json\n {2}AuthorizeSecurityGroupIngress by .* in checkout-prod \(110000000007\) eu-central-1/,
    );
    expect(text).toContain('▸ ec2-security-group-world-open-ingress [critical]');
    expect(text).toContain('mode:     approve (approve by the entry for environment prod in config/remediation.json');
    expect(text).toContain(
      'ec2:DescribeSecurityGroupRules eu-central-1 {"Filters":[{"Name":"group-id","Values":["sg-0f63fecfa17ef4fee"]}]}',
    );
    expect(text).toContain(`calls, ${ASSUMPTION}:`);
    expect(text).toContain(
      '1. ec2:RevokeSecurityGroupIngress eu-central-1 {"GroupId":"sg-0f63fecfa17ef4fee","SecurityGroupRuleIds":["sgr-0037eb7c59241731e0"]}',
    );
    // StopLogging in the management account: notify only, with what it would do if enabled.
    expect(text).toContain('mode:     notify (notify by the entry for account 110000000001');
    expect(text).toContain(`calls if enabled, ${ASSUMPTION}:`);
    expect(text).toContain(
      '1. cloudtrail:StartLogging eu-west-1 {"Name":"arn:aws:cloudtrail:eu-west-1:110000000001:trail/vigil-org-trail"}',
    );
    // A failed call fires nothing.
    expect(text).toMatch(/c-failed-call\.json\n.*\n {2}no detection fires/);
    // The summary ends the report and names the file it left out.
    expect(out.slice(-2)).toEqual([
      'Read 3 event(s) from 3 file(s); skipped 0 file(s) and 0 record(s), ignored 1 file(s):',
      expect.stringMatching(/^ {2}ignored .*notes\.txt: not \.json, \.json\.gz, \.jsonl or \.ndjson$/),
    ]);
  });

  it('prints one JSON object per event with --json', async () => {
    const { code, out } = await run([eventFolder(), '--json']);
    expect(code).toBe(0);
    expect(out).toHaveLength(4);
    expect(JSON.parse(out[3]!).summary).toMatchObject({ items: 3, filesRead: 3, planned: 3 });
    const plans = out.slice(0, 3).map((l) => JSON.parse(l) as EventPlan);
    expect(plans.map((p) => p.file.split('/').pop())).toEqual([
      'c-failed-call.json',
      'a-ssh.json',
      'b-stop-logging.json',
    ]);
    const ssh = plans[1]!.detections.find((d) => d.detectionId === 'ec2-security-group-world-open-ingress');
    expect(ssh).toMatchObject({
      action: 'revoke-world-open-ingress',
      mode: 'approve',
      verdict: 'approve',
      resource: 'sg-0f63fecfa17ef4fee',
      assumption: ASSUMPTION,
      reads: [{ service: 'ec2', operation: 'DescribeSecurityGroupRules' }],
      calls: [
        {
          service: 'ec2',
          operation: 'RevokeSecurityGroupIngress',
          input: { GroupId: 'sg-0f63fecfa17ef4fee', SecurityGroupRuleIds: ['sgr-0037eb7c59241731e0'] },
          region: 'eu-central-1',
        },
      ],
    });
    expect(plans[0]!.detections).toEqual([]);
  });

  it('shows the mode of another config and an exemption from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-plan-config-'));
    const config = JSON.parse(require('node:fs').readFileSync(join(ROOT, 'config', 'remediation.json'), 'utf8'));
    config.modes = [{ environment: 'prod', mode: 'auto' }];
    config.exemptions = [
      {
        detection: 'ec2-security-group-world-open-ingress',
        resource: 'sg-0f63*',
        owner: 'checkout-team',
        reason: 'game day',
        expires: '2026-12-31',
      },
    ];
    writeFileSync(join(dir, 'remediation.json'), JSON.stringify(config));
    const event = join(FIXTURES, 'ec2-security-group-world-open-ingress', 'positive-ssh-ipv4.json');

    const { out } = await run([event, '--json', '--config', join(dir, 'remediation.json')]);

    const ssh = (JSON.parse(out[0]!) as EventPlan).detections[0];
    expect(ssh).toMatchObject({
      mode: 'auto',
      verdict: 'exempt',
      reason: expect.stringMatching(/owner checkout-team.*game day/),
      calls: [],
    });
  });

  it('reports a file that is not an event and goes on (exit 1)', async () => {
    const dir = eventFolder();
    writeFileSync(join(dir, 'broken.json'), '{ "id": ');
    const { code, out } = await run([dir]);
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(/broken\.json\n {2}error: /);
    expect(out.join('\n')).toContain('a-ssh.json');
  });

  it('fails when the config is invalid (exit 2), naming the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-plan-bad-'));
    writeFileSync(join(dir, 'remediation.json'), JSON.stringify({ dryRun: 'no' }));
    const { code, err } = await run([FIXTURES, '--config', join(dir, 'remediation.json')]);
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/dryRun: expected true or false/);
  });

  it.each([
    [[], /name at least one event file/],
    [['x.json', '--config'], /--config needs a file \(--config <file>\)/],
    [['x.json', '--verbose'], /unknown option '--verbose'; valid options: --json, --config <file>, --inventory <file>/],
  ])('fails on usage %j (exit 2, with the usage line)', async (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(message);
    expect(err[1]).toMatch(/^Usage: npm run plan -- /);
  });

  it('--help prints usage, inputs, options, exit codes and examples on stdout (exit 0)', async () => {
    const { code, out, err } = await run(['--help']);
    const help = out.join('\n');
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(help).toMatch(
      /^Usage: npm run plan -- [\s\S]*\nInputs[\s\S]*\nOptions:[\s\S]*\nExit codes:[\s\S]*\nExamples:/,
    );
  });

  it('plans the records of a gzipped CloudTrail log file and the lines of JSON Lines, naming where each is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-plan-inputs-'));
    const event = JSON.parse(
      readFileSync(join(FIXTURES, 'ec2-security-group-world-open-ingress', 'positive-ssh-ipv4.json'), 'utf8'),
    );
    writeFileSync(join(dir, 'log.json.gz'), gzipSync(JSON.stringify({ Records: [event.detail, event.detail] })));
    writeFileSync(join(dir, 'events.ndjson'), `${JSON.stringify(event)}\n{oops\n`);

    const { code, out } = await run([dir]);
    const text = out.join('\n');

    expect(code).toBe(1); // the bad line
    expect(text).toContain(`${join(dir, 'events.ndjson')}:1\n  AuthorizeSecurityGroupIngress`);
    expect(text).toMatch(/events\.ndjson:2\n {2}error: invalid JSON at column 2/);
    expect(text).toContain(`${join(dir, 'log.json.gz')} Records[1]\n  AuthorizeSecurityGroupIngress`);
    expect(text.match(/▸ ec2-security-group-world-open-ingress/g)).toHaveLength(3);
    expect(out.at(-2)).toBe('Read 3 event(s) from 2 file(s); skipped 0 file(s) and 1 record(s), ignored 0 file(s):');
  });

  it('reads events from stdin with -', async () => {
    const event = readFileSync(join(FIXTURES, 'cloudtrail-logging-stopped', 'positive-org-trail.json'));
    const out: string[] = [];
    const code = await main(['--json', '-'], {
      stdout: (l) => out.push(l),
      stderr: () => undefined,
      cwd: ROOT,
      today: '2026-11-28',
      stdin: Readable.from([event]),
    });
    expect(code).toBe(0);
    expect(JSON.parse(out[0]!)).toMatchObject({ file: '-', eventName: 'StopLogging' });
  });

  it.each([
    ['an empty folder', [], /no input file was found/],
    ['only files that are not events', ['a.json'], /no event or record could be read/],
  ])('exits 2 when nothing could be read: %s', async (_case, names, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-plan-empty-'));
    for (const name of names) writeFileSync(join(dir, name), '{"name": "vigil"}');
    const { code, err } = await run([dir]);
    expect(code).toBe(2);
    expect(err.at(-1)).toMatch(message);
  });

  it('fails when an input does not exist (exit 2), naming it and the fix', async () => {
    const { code, err } = await run(['nope.json']);
    expect(code).toBe(2);
    expect(err[0]).toBe(`plan: no such file or folder: nope.json (check the path; relative paths start from ${ROOT})`);
  });
});
