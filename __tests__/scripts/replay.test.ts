import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { main, type ReplayIo } from '../../scripts/replay';
import { compileCatalog, type ReplayEvent, ReplayTally, wrapCloudTrailRecord } from '../../scripts/replay/core';
import { listInputs, type ReadItem, readFiles } from '../../scripts/replay/read';
import { PREDICATES } from '../../rules/predicates';
import { API_CALL, type Detection } from '../../rules/types';

const ROOT = resolve(__dirname, '../..');
const FIXTURES = '__tests__/fixtures/replay';
const CLOUDTRAIL = `${FIXTURES}/cloudtrail`;
const EVENTS = `${FIXTURES}/events`;
const LOGS = `${CLOUDTRAIL}/AWSLogs/o-k3m9x2p7qa`;
/** A log file path as CloudTrail names it in S3. */
const logFile = (account: string, region: string, day: string, name: string) =>
  `${LOGS}/${account}/CloudTrail/${region}/2026/11/${day}/${account}_CloudTrail_${region}_${name}`;
/** Root sign-in and a read-only root call (gzipped). */
const ROOT_LOG = logFile('110000000006', 'us-east-1', '02', '20261102T1005Z_Xq3kT9pLm2Vb7NcD.json.gz');
/** A download interrupted mid-file: the gzip stream ends early. */
const TRUNCATED_LOG = logFile('110000000008', 'eu-west-1', '04', '20261104T0820Z_Tc5mN8bVa3Qy6LpE.json.gz');
/** Two good records and one without eventSource / eventName. */
const MIXED_LOG = logFile('110000000008', 'eu-west-1', '04', '20261104T0815Z_Zp7rK1dWs9Ge2UjQ.json');

/** Org accounts from config/org.json. */
const PAYMENTS_STAGING = '110000000008';

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
  readonly progress: string[];
}

/** Runs the CLI from the project root and captures everything it writes. */
async function run(argv: string[], io: Partial<ReplayIo> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  const code = await main(argv, {
    stdout: (text) => out.push(...text.split('\n')),
    stderr: (line) => err.push(line),
    progress: (status) => progress.push(status),
    stderrIsTTY: false,
    cwd: ROOT,
    ...io,
  });
  return { code, out, err, progress };
}

interface Summary {
  readonly filesRead: number;
  readonly filesSkipped: number;
  readonly recordsRead: number;
  readonly recordsSkipped: number;
  readonly eventsEvaluated: number;
  readonly matchedEvents: number;
  readonly perDetection: Record<string, number>;
  readonly alertsPerDay: Record<string, number>;
  readonly alerts: Record<string, number>;
  readonly readOnlySkipped: Record<string, number>;
  readonly notForwarded: Record<string, { count: number; eventIds: string[] }>;
  readonly skipped: {
    files: { file: string; reason: string }[];
    records: { file: string; where: string; reason: string }[];
  };
  readonly throughput: Record<string, number>;
}

interface MatchLine {
  readonly file: string;
  readonly eventId: string;
  readonly eventName: string;
  readonly account: string;
  readonly region: string;
  readonly time: string;
  readonly detections: string[];
}

/** Runs with --json and splits stdout into match lines and the summary (which must come last). */
async function runJson(argv: string[], io: Partial<ReplayIo> = {}) {
  const result = await run(['--json', ...argv], io);
  if (result.code !== 0) throw new Error(`replay exited with ${result.code}: ${result.err.join('\n')}`);
  const parsed = result.out.map((line) => JSON.parse(line) as Record<string, unknown>);
  const last = parsed.at(-1) as { summary: Summary };
  return { ...result, matches: parsed.slice(0, -1) as unknown as MatchLine[], summary: last.summary };
}

/** A minimal detection for catalog-shaped test data. */
function detection(id: string, eventSource: string, eventNames: string[], extra: Partial<Detection> = {}): Detection {
  const source = `aws.${eventSource.split('.')[0]}`;
  return {
    id,
    title: id,
    class: 'impairment',
    severity: 'low',
    rationale: 'test',
    compliance: {},
    forward: { kind: 'api', source, eventSource, eventNames },
    pattern: {
      source: [source],
      'detail-type': [API_CALL],
      detail: { eventSource: [eventSource], eventName: eventNames },
    },
    ...extra,
  };
}

/** A CloudTrail record shaped like the fixtures; `overrides` replace top-level fields. */
function record(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${PAYMENTS_STAGING}:assumed-role/app-runtime/s1`,
      accountId: PAYMENTS_STAGING,
    },
    eventTime: '2026-11-04T08:00:00Z',
    eventSource: 'secretsmanager.amazonaws.com',
    eventName: 'GetSecretValue',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '192.0.2.10',
    requestParameters: { secretId: 'payments/db' },
    responseElements: null,
    eventID: '00000000-0000-4000-8000-000000000001',
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: PAYMENTS_STAGING,
    eventCategory: 'Management',
    ...overrides,
  };
}

const envelope = (r: Record<string, unknown>): ReplayEvent => {
  const result = wrapCloudTrailRecord(r);
  if ('problem' in result) throw new Error(result.problem);
  return result.event;
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'replay-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a file under the temp dir and returns its absolute path. */
function put(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

describe('replay CLI', () => {
  it('replays a folder of CloudTrail log files, nested folders and .json.gz included', async () => {
    const { code, out } = await run([CLOUDTRAIL]);

    expect(code).toBe(0);
    const report = out.join('\n');
    // 2 gzipped + 2 plain log files read; the truncated log and the digest file skipped.
    expect(report).toMatch(/^Read 4 file\(s\) and 8 record\(s\)/m);
    expect(report).toMatch(/^Skipped 2 file\(s\), 1 record\(s\)/m);
    for (const id of [
      'signin-root-console-login-no-mfa',
      'root-activity',
      'iam-admin-policy-attached',
      'cloudtrail-logging-stopped',
      's3-bucket-public-access-block-deleted',
    ]) {
      // matches, alerts, alerts/day over the corpus span (1.93 days), digest, held back, dropped
      expect(report).toMatch(new RegExp(`^  ${id} +1 +1 +0\\.52 +0 +0 +0$`, 'm'));
    }
    // Samples name time, account, region, event, principal and file.
    expect(report).toContain(
      `2026-11-03T14:22:51Z  ${PAYMENTS_STAGING}  eu-west-1  StopLogging  ` +
        `arn:aws:iam::${PAYMENTS_STAGING}:user/mallory  ` +
        `${LOGS}/110000000008/CloudTrail/eu-west-1/2026/11/03/`,
    );
    expect(report).not.toContain('CATALOG BUG');
  });

  it('replays a folder of EventBridge event files: one event, an array, and JSON Lines', async () => {
    const { code, matches, summary } = await runJson([EVENTS]);

    expect(code).toBe(0);
    const byFile = (name: string) => matches.filter((m) => m.file.endsWith(name)).map((m) => m.detections);
    expect(byFile('stop-logging.json')).toEqual([expect.arrayContaining(['cloudtrail-logging-stopped'])]);
    // batch.json: a failed root sign-in, and a GuardDuty finding that no detection is about.
    expect(byFile('batch.json')).toEqual([expect.arrayContaining(['signin-root-console-login-failed'])]);
    expect(byFile('events.jsonl')).toEqual([
      expect.arrayContaining(['iam-admin-policy-attached']),
      expect.arrayContaining(['guardduty-detector-deleted']),
    ]);
    expect(summary).toMatchObject({ filesRead: 3, recordsRead: 6, eventsEvaluated: 5, recordsSkipped: 1 });
    expect(summary.skipped.records).toEqual([
      { file: `${EVENTS}/stream/events.jsonl`, where: 'line 2', reason: expect.stringMatching(/^invalid JSON/) },
    ]);
    expect(summary.notForwarded).toEqual({});
  });

  it('--json writes one parseable line per matched event and the summary last, nothing else', async () => {
    const { code, out, matches, summary, err } = await runJson([CLOUDTRAIL, EVENTS]);

    expect(code).toBe(0);
    expect(out.every((line) => line.startsWith('{'))).toBe(true);
    expect(matches.length).toBeGreaterThanOrEqual(9);
    for (const m of matches) {
      expect(Object.keys(m)).toEqual([
        'file',
        'eventId',
        'eventName',
        'account',
        'region',
        'time',
        'detections',
        'decisions',
      ]);
      expect(m.detections.length).toBeGreaterThan(0);
    }
    expect(matches.find((m) => m.eventName === 'ListBuckets')).toEqual({
      file: ROOT_LOG,
      eventId: '3f1c9a8e-1b2d-4c5e-9f00-0a1b2c3d4e02',
      eventName: 'ListBuckets',
      account: '110000000006',
      region: 'us-east-1',
      time: '2026-11-02T10:01:40Z',
      detections: expect.arrayContaining(['root-activity']),
      decisions: expect.arrayContaining([{ detection: 'root-activity', outcome: 'alerted', severity: 'critical' }]),
    });
    expect(Object.keys(summary)).toEqual(
      expect.arrayContaining(['perDetection', 'alertsPerDay', 'recordsRead', 'filesRead', 'skipped', 'throughput']),
    );
    expect(summary.perDetection['iam-admin-policy-attached']).toBe(2);
    expect(summary.throughput['recordsPerSecond']).toBeGreaterThan(0);
    // Skips are logged on stderr, never on stdout.
    expect(err.join('\n')).toContain(TRUNCATED_LOG);
  });

  it('reads gzip by content: a .json.gz log, a gzipped file without .gz, and a plain file named .gz', async () => {
    const log = readFileSync(join(ROOT, ROOT_LOG));
    put('a/renamed.json', log);
    // A record no detection matches (GetSecretValue counts toward secretsmanager-secrets-bulk-read).
    put('b/plain.json.gz', JSON.stringify({ Records: [record({ eventName: 'DescribeSecret' })] }));

    const fromFixture = await runJson([ROOT_LOG]);
    const fromTemp = await runJson([dir]);

    expect(fromFixture.matches.map((m) => m.eventName)).toEqual(['ConsoleLogin', 'ListBuckets']);
    expect(fromTemp.summary).toMatchObject({ filesRead: 2, filesSkipped: 0, recordsRead: 3 });
    expect(fromTemp.matches.map((m) => m.eventName)).toEqual(['ConsoleLogin', 'ListBuckets']);
  });

  it('skips a malformed file with the reason and goes on with the others', async () => {
    const { code, summary, err } = await runJson([CLOUDTRAIL]);

    expect(code).toBe(0);
    expect(summary.skipped.files).toEqual(
      expect.arrayContaining([{ file: TRUNCATED_LOG, reason: 'cannot read it (Z_BUF_ERROR: unexpected end of file)' }]),
    );
    expect(summary.skipped.records).toEqual([
      { file: MIXED_LOG, where: 'Records[2]', reason: 'CloudTrail record without eventSource, eventName' },
    ]);
    expect(summary.perDetection['s3-bucket-public-access-block-deleted']).toBe(1); // same file as the bad record
    expect(err).toContainEqual(
      `replay: skipped ${TRUNCATED_LOG}: cannot read it (Z_BUF_ERROR: unexpected end of file)`,
    );
  });

  it('skips a truncated .jsonl.gz and still replays the events read before the damage', async () => {
    const event = (i: number) => envelope(record({ eventID: `id-${i}` }));
    const gz = gzipSync(Array.from({ length: 3000 }, (_, i) => JSON.stringify(event(i))).join('\n'));
    put('cut.jsonl.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    put('fine.json', JSON.stringify({ Records: [record()] }));

    const { code, summary } = await runJson([dir]);

    expect(code).toBe(0);
    expect(summary.filesRead).toBe(1);
    expect(summary.skipped.files).toEqual([
      {
        file: join(dir, 'cut.jsonl.gz'),
        reason: expect.stringMatching(/^cannot read it \(.*unexpected end of file.*\); the \d+ value\(s\) before/i),
      },
    ]);
    const replayedBeforeError = Number(/the (\d+) value/.exec(summary.skipped.files[0]!.reason)![1]);
    expect(replayedBeforeError).toBeGreaterThan(100);
    expect(summary.eventsEvaluated).toBe(replayedBeforeError + 1);
  });

  it('does not replay read-only records to a detection whose member rule is ENABLED, and says so', async () => {
    const secrets = detection('secrets-read', 'secretsmanager.amazonaws.com', ['GetSecretValue']);
    put('reads.json', JSON.stringify({ Records: [record(), record({ eventID: 'w', readOnly: false })] }));

    const enabled = await runJson([dir], { catalog: [secrets] });
    const allEvents = await runJson([dir], { catalog: [{ ...secrets, readOnlyEvents: true }] });
    const human = await run([dir], { catalog: [secrets] });

    expect(enabled.summary.perDetection).toEqual({ 'secrets-read': 1 });
    expect(enabled.summary.readOnlySkipped).toEqual({ 'secrets-read': 1 });
    expect(allEvents.summary.perDetection).toEqual({ 'secrets-read': 2 });
    expect(allEvents.summary.readOnlySkipped).toEqual({});
    expect(human.out.join('\n')).toMatch(/Read-only management events not replayed[^\n]*\n {2}secrets-read: 1 event/);
  });

  it('lists events a central rule matches but no member rule forwards as a catalog bug', async () => {
    // The pattern takes DeleteTrail, the forward block does not.
    const buggy = detection('trail-changed', 'cloudtrail.amazonaws.com', ['StopLogging'], {
      pattern: {
        source: ['aws.cloudtrail'],
        detail: { eventSource: ['cloudtrail.amazonaws.com'], eventName: ['StopLogging', 'DeleteTrail'] },
      },
    });
    const write = { readOnly: false, eventSource: 'cloudtrail.amazonaws.com' };
    put(
      'trail.json',
      JSON.stringify({
        Records: [
          record({ ...write, eventName: 'StopLogging' }),
          record({ ...write, eventName: 'DeleteTrail', eventID: 'del-1' }),
        ],
      }),
    );

    const { summary } = await runJson([dir], { catalog: [buggy] });
    const human = await run([dir], { catalog: [buggy] });

    expect(summary.perDetection).toEqual({ 'trail-changed': 2 });
    expect(summary.notForwarded).toEqual({ 'trail-changed': { count: 1, eventIds: ['del-1'] } });
    expect(human.out.join('\n')).toMatch(/CATALOG BUG[^\n]*\n {2}trail-changed: 1 event\(s\), e\.g\.\n.*DeleteTrail/);
  });

  it('predicates see the inventory given with --inventory', async () => {
    const outsider = '999999999999';
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${outsider}:root` }, Action: 'sts:AssumeRole' }],
    });
    put(
      'trust.json',
      JSON.stringify({
        Records: [
          record({
            eventSource: 'iam.amazonaws.com',
            eventName: 'UpdateAssumeRolePolicy',
            awsRegion: 'us-east-1',
            readOnly: false,
            requestParameters: { roleName: 'vendor-access', policyDocument: trust },
          }),
        ],
      }),
    );
    const inventory = JSON.parse(readFileSync(join(ROOT, 'config/org.json'), 'utf8'));
    inventory.accounts.push({ id: outsider, name: 'acquired', ou: 'ou-k3m9-pr0d0001', tags: {} });
    const withOutsider = put('org.json', JSON.stringify(inventory));

    const orgJson = await runJson([join(dir, 'trust.json')]);
    const overridden = await runJson(['--inventory', withOutsider, join(dir, 'trust.json')]);

    // The central rule queues the event either way; triage's predicate decides with the inventory given.
    expect(orgJson.summary.alerts['iam-role-trust-allows-outside-org']).toBe(1);
    expect(overridden.summary.alerts['iam-role-trust-allows-outside-org']).toBe(0);
  });

  it('shows progress on stderr only with --progress or a terminal, and clears it at the end', async () => {
    let clock = 0;
    const now = () => (clock += 250);

    const quiet = await run([EVENTS], { now });
    const flagged = await run(['--progress', EVENTS], { now });
    const tty = await run([EVENTS], { now, stderrIsTTY: true });

    expect(quiet.progress).toEqual([]);
    expect(flagged.progress.length).toBeGreaterThan(1);
    expect(flagged.progress[0]).toMatch(/^replay: \d+\/3 files, [\d,]+ records/);
    expect(flagged.progress.at(-1)).toBe('');
    expect(tty.progress.length).toBeGreaterThan(1);
  });

  it('refreshes progress at most every 100 ms', async () => {
    const { progress } = await run(['--progress', CLOUDTRAIL], { now: () => 5 });

    expect(progress.filter((p) => p !== '').length).toBe(1);
  });

  it.each([
    ['no inputs', [], /name at least one/],
    ['an unknown flag', ['--jsn', EVENTS], /unknown option '--jsn'/],
    ['a path that does not exist', [`${EVENTS}/nope.json`], /no such file or folder: .*nope\.json \(check the path/],
    ['--inventory without a file', [EVENTS, '--inventory'], /--inventory needs a file/],
  ])('fails with exit code 2 and the usage for %s', async (_case, argv, message) => {
    const { code, out, err } = await run(argv);

    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(message);
    expect(err.join('\n')).toContain('Usage: npm run replay');
  });

  it('--help prints usage, inputs, options, exit codes and examples on stdout (exit 0)', async () => {
    const { code, out, err } = await run(['--help']);

    expect(code).toBe(0);
    expect(err).toEqual([]);
    const help = out.join('\n');
    expect(help).toMatch(/^Usage: npm run replay -- /);
    const sections = ['Inputs', 'Options:', 'Exit codes:', 'Examples:'].map((s) => help.indexOf(`\n${s}`));
    expect(sections.every((at) => at > 0)).toBe(true);
    expect([...sections].sort((a, b) => a - b)).toEqual(sections);
    expect(help).toMatch(/^ {2}2 {2}usage error/m);
  });

  it('lists the valid options with an unknown one, and the nearest as a suggestion', async () => {
    const { code, err } = await run(['--jsn', EVENTS]);

    expect(code).toBe(2);
    expect(err[0]).toBe(
      "replay: unknown option '--jsn' (did you mean --json?); valid options: --json, --inventory <file>, " +
        '--alerting <file>, --progress, --athena, --workers <n>, --verdicts <file>, -h, --help',
    );
  });

  it('lists every ignored file, by name and reason, in the report and in the --json summary', async () => {
    put('events.jsonl', JSON.stringify(envelope(record())));
    for (let i = 0; i < 60; i++) put(`notes/${String(i).padStart(2, '0')}.txt`, 'not an event');

    const human = await run([dir]);
    const json = await run(['--json', dir]);

    const report = human.out.join('\n');
    expect(report).toContain('Ignored 60 file(s) in the input folders (not read):');
    for (let i = 0; i < 60; i++) {
      expect(report).toContain(`  ignored ${join(dir, 'notes', `${String(i).padStart(2, '0')}.txt`)}: not .json`);
    }
    const summary = JSON.parse(json.out.at(-1)!).summary as { ignoredFiles: unknown[] };
    expect(summary.ignoredFiles).toHaveLength(60);
    expect(summary.ignoredFiles[0]).toEqual({
      file: join(dir, 'notes', '00.txt'),
      reason: 'not .json, .json.gz, .jsonl or .ndjson',
    });
  });

  it('names the file and line of a bad JSON Lines line on stderr, and what the line must hold', async () => {
    const file = put('events.jsonl', `${JSON.stringify(envelope(record()))}\n{"id": 1,,}\n`);

    const { code, err } = await run([file]);

    expect(code).toBe(0);
    expect(err).toEqual([
      `replay: skipped ${file}:2: invalid JSON at column 10: expected a property name in double quotes, found ','; ` +
        'each line of a JSON Lines file must hold one complete event or record',
    ]);
  });

  it('reads - from stdin, gzipped or not', async () => {
    const log = readFileSync(join(ROOT, ROOT_LOG));
    const stdin = () => Readable.from([log.subarray(0, 1), log.subarray(1)]);

    const { code, out } = await run(['--json', '-'], { stdin: stdin() });

    expect(code).toBe(0);
    const lines = out.map((l) => JSON.parse(l));
    expect(lines.slice(0, -1).map((m) => [m.file, m.eventName])).toEqual([
      ['-', 'ConsoleLogin'],
      ['-', 'ListBuckets'],
    ]);
    expect(lines.at(-1).summary).toMatchObject({ filesRead: 1, recordsRead: 2 });
  });

  it.each([
    ['an empty folder', [], /no input file was found/],
    ['a folder of files that are not events', ['notes.txt'], /no input file was found/],
    ['a folder of broken files', ['a.json'], /no event or record could be read/],
  ])('exits 2 when nothing could be read: %s', async (_case, names, message) => {
    for (const name of names) put(name, '{"not": "an event"}');
    mkdirSync(join(dir, 'empty'), { recursive: true });

    const { code, err } = await run([dir]);

    expect(code).toBe(2);
    expect(err.at(-1)).toMatch(message);
  });

  it('fails with exit code 2 when the inventory cannot be read', async () => {
    const { code, err } = await run(['--inventory', join(dir, 'missing.json'), EVENTS]);

    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/cannot read it/);
  });
});

describe('wrapCloudTrailRecord', () => {
  it('wraps a record into the envelope EventBridge delivers', () => {
    const r = record({ eventSource: 'ec2.amazonaws.com', eventName: 'CreateTags', readOnly: false });

    expect(wrapCloudTrailRecord(r)).toEqual({
      event: {
        version: '0',
        id: r['eventID'],
        'detail-type': 'AWS API Call via CloudTrail',
        source: 'aws.ec2',
        account: PAYMENTS_STAGING,
        time: r['eventTime'],
        region: 'eu-west-1',
        resources: [],
        detail: r,
      },
    });
  });

  it.each([
    ['AwsConsoleSignIn', 'signin.amazonaws.com', 'aws.signin', 'AWS Console Signin via CloudTrail'],
    ['AwsServiceEvent', 'kms.amazonaws.com', 'aws.kms', 'AWS Service Event via CloudTrail'],
    ['AwsConsoleAction', 'health.amazonaws.com', 'aws.health', 'AWS Console Action via CloudTrail'],
    ['AwsApiCall', 'ec2-instance-connect.amazonaws.com', 'aws.ec2-instance-connect', 'AWS API Call via CloudTrail'],
  ])('maps eventType %s from %s to source %s and detail-type %s', (eventType, eventSource, source, detailType) => {
    const event = envelope(record({ eventType, eventSource }));

    expect(event.source).toBe(source);
    expect(event['detail-type']).toBe(detailType);
  });

  it('fails when required fields are missing, naming them', () => {
    const result = wrapCloudTrailRecord(record({ eventSource: undefined, awsRegion: '' }));

    expect(result).toEqual({ problem: 'CloudTrail record without eventSource, awsRegion' });
  });
});

describe('compileCatalog', () => {
  const secrets = detection('secrets-read', 'secretsmanager.amazonaws.com', ['GetSecretValue']);
  const secretsAll = { ...secrets, id: 'secrets-read-all', readOnlyEvents: true };
  const iamDetection = detection('iam-changed', 'iam.amazonaws.com', ['CreateRole']);

  it.each([
    ['a read-only management event', {}, ['secrets-read-all'], ['secrets-read']],
    ['a read-only data event', { eventCategory: 'Data' }, ['secrets-read', 'secrets-read-all'], []],
    ['a write event', { readOnly: false }, ['secrets-read', 'secrets-read-all'], []],
  ])('delivers %s to the detections whose rule state receives it', (_case, overrides, matched, skipped) => {
    const runner = compileCatalog([secrets, secretsAll], PREDICATES);

    const verdict = runner.evaluate(envelope(record(overrides)));

    expect(verdict.matched).toEqual(matched);
    expect(verdict.readOnlySkipped).toEqual(skipped);
    expect(verdict.forwarded).toBe(true);
  });

  it('forwards global-service events from us-east-1 only', () => {
    const runner = compileCatalog([iamDetection], PREDICATES);
    const create = { eventSource: 'iam.amazonaws.com', eventName: 'CreateRole', readOnly: false };

    expect(runner.evaluate(envelope(record({ ...create, awsRegion: 'us-east-1' })))).toMatchObject({
      matched: ['iam-changed'],
      forwarded: true,
    });
    expect(runner.evaluate(envelope(record({ ...create, awsRegion: 'eu-west-1' })))).toMatchObject({
      matched: ['iam-changed'],
      forwarded: false,
    });
  });

  it('runs detections whose pattern does not pin eventSource/eventName on every event', () => {
    const anyRoot: Detection = {
      ...detection('any-root', 'x.amazonaws.com', ['X']),
      forward: { kind: 'pattern', key: 'root', pattern: { detail: { userIdentity: { type: ['Root'] } } } },
      pattern: { detail: { userIdentity: { type: ['Root'] } } },
    };
    const runner = compileCatalog([secrets, anyRoot], PREDICATES);

    const verdict = runner.evaluate(envelope(record({ readOnly: false, userIdentity: { type: 'Root' } })));

    expect(verdict.matched).toEqual(['secrets-read', 'any-root']);
  });

  it("queues on the pattern alone, as the central rules do: predicates are triage's", () => {
    const named = { ...secrets, predicate: 'onlyProd' };
    const runner = compileCatalog([named], { onlyProd: () => false });

    expect(runner.evaluate(envelope(record({ readOnly: false }))).matched).toEqual(['secrets-read']);
  });

  it('fails when a detection names an unknown predicate or has an invalid pattern', () => {
    const unknown = { ...secrets, predicate: 'noSuchPredicate' };
    const invalid = { ...iamDetection, pattern: { detail: { eventName: [] } } };

    expect(() => compileCatalog([unknown, invalid], PREDICATES)).toThrow(
      /noSuchPredicate[\s\S]*detection 'iam-changed'/,
    );
  });
});

describe('alerts per day', () => {
  it('divides the alerts by the days the whole corpus spans, at least one', () => {
    const stop = detection('stop', 'cloudtrail.amazonaws.com', ['StopLogging']);
    const quiet = { eventSource: 'cloudtrail.amazonaws.com', eventName: 'DescribeTrails', readOnly: false };
    const stopLogging = { eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', readOnly: false };
    const runner = compileCatalog([stop], PREDICATES);
    const tally = new ReplayTally([stop]);
    const events = [
      envelope(record({ ...quiet, eventID: 'q1', eventTime: '2026-11-01T00:00:00Z' })),
      envelope(record({ ...stopLogging, eventID: 's1', eventTime: '2026-11-02T00:00:00Z' })),
      envelope(record({ ...quiet, eventID: 'q2', eventTime: '2026-11-05T00:00:00Z' })),
    ];
    const alerted = { outcomes: [{ messageId: 'm', detectionId: 'stop', outcome: 'alerted' as const }] };
    for (const event of events) {
      const verdict = runner.evaluate(event);
      tally.addVerdict(event, verdict, 'f.json');
      if (verdict.matched.length > 0)
        tally.addOutcomes(event, { ...alerted, alerts: [], digest: [], remediation: [] }, 'f.json');
    }

    const summary = tally.summarize({ elapsedMs: 1, bytesRead: 0, bytesDecompressed: 0 });
    expect(summary.span).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-05T00:00:00.000Z', days: 4 });
    expect(summary.alertsPerDay).toEqual({ stop: 0.25 });
  });

  it('counts an eventID seen before as a repeat', () => {
    const stop = detection('stop', 'cloudtrail.amazonaws.com', ['StopLogging']);
    const runner = compileCatalog([stop], PREDICATES);
    const tally = new ReplayTally([stop]);
    const event = envelope(
      record({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', readOnly: false }),
    );
    tally.addVerdict(event, runner.evaluate(event), 'a.json');
    tally.addVerdict(event, runner.evaluate(event), 'b.json');

    const summary = tally.summarize({ elapsedMs: 1, bytesRead: 0, bytesDecompressed: 0 });
    expect(summary).toMatchObject({ eventsEvaluated: 2, duplicateEvents: 1, span: { days: 1 } });
  });
});

describe('readFiles', () => {
  const event = {
    version: '0',
    id: 'e1',
    'detail-type': API_CALL,
    source: 'aws.secretsmanager',
    account: PAYMENTS_STAGING,
    time: '2026-11-04T08:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: record(),
  };

  async function read(name: string, content: string | Buffer): Promise<ReadItem[]> {
    put(name, content);
    const listing = await listInputs([dir], ROOT);
    const items: ReadItem[] = [];
    for await (const item of readFiles(listing.files)) items.push(item);
    return items;
  }
  const summarize = (items: ReadItem[]) =>
    items.map((i) => {
      if (i.kind === 'records') return `${i.format}:${i.records.length}@${i.where(0)}`;
      if (i.kind === 'file-done') return 'done';
      return `${i.kind}:${'where' in i ? `${i.where}:` : ''}${i.reason}`;
    });

  it.each([
    [
      'a CloudTrail log on one line',
      'a.json',
      JSON.stringify({ Records: [record(), record()] }),
      ['cloudtrail:2@Records[0]', 'done'],
    ],
    [
      'a pretty-printed CloudTrail log',
      'a.json',
      JSON.stringify({ Records: [record()] }, null, 2),
      ['cloudtrail:1@Records[0]', 'done'],
    ],
    ['one pretty-printed event', 'a.json', JSON.stringify(event, null, 2), ['items:1@[0]', 'done']],
    ['an array of events', 'a.json', JSON.stringify([event, event], null, 2), ['items:2@[0]', 'done']],
    ['JSON Lines', 'a.jsonl', `${JSON.stringify(event)}\n\n${JSON.stringify(event)}\n`, ['items:2@line 1', 'done']],
    ['a byte-order mark', 'a.json', `\ufeff${JSON.stringify(event)}`, ['items:1@line 1', 'done']],
    [
      'JSON Lines with a broken first line',
      'a.jsonl',
      `{"version":\n${JSON.stringify(event)}\n`,
      ['record-skipped:line 1:invalid JSON', 'items:1@line 2', 'done'],
    ],
  ])('reads %s', async (_case, name, content, expected) => {
    const items = summarize(await read(name, content)).map((s) =>
      s.replace(/^(record-skipped:line 1:invalid JSON).*/, '$1'),
    );

    expect(items).toEqual(expected);
  });

  it.each([
    ['an empty file', '', 'empty file'],
    ['a number', '42', 'expected a JSON object or array, got a number'],
    ['an object that is neither a log nor an event', '{"name":"vigil"}', 'neither a CloudTrail log file'],
    ['a digest file', '{"digestStartTime":"x","logFiles":[]}', 'a CloudTrail digest file'],
    ['a truncated document', '{\n  "Records": [\n', 'invalid JSON'],
  ])('skips %s with the reason', async (_case, content, reason) => {
    const items = await read('a.json', content);

    expect(items).toEqual([
      { kind: 'file-skipped', file: expect.any(String), reason: expect.stringContaining(reason) },
    ]);
  });

  it('walks folders recursively in name order and ignores files that are not JSON', async () => {
    put('b/2.json.gz', gzipSync('{}'));
    put('b/a/1.json', '{}');
    put('a.jsonl', '{}');
    put('notes.txt', 'hello');

    const listing = await listInputs([dir], ROOT);

    expect(listing.files.map((f) => f.path.slice(dir.length + 1))).toEqual(['a.jsonl', 'b/2.json.gz', 'b/a/1.json']);
    expect(listing.ignored).toEqual([
      { file: join(dir, 'notes.txt'), reason: 'not .json, .json.gz, .jsonl or .ndjson' },
    ]);
  });
});

describe('replay --verdicts', () => {
  const verdict = (eventId: string, v: string, actor = 'slack:U1') =>
    JSON.stringify({
      detectionId: 'cloudtrail-logging-stopped',
      accountId: PAYMENTS_STAGING,
      eventId,
      verdict: v,
      actor,
      at: '2026-11-05T00:00:00.000Z',
    });

  it("reports precision per detection from the responders' verdicts and names the noisy ones", async () => {
    const file = put(
      'verdicts.jsonl',
      [verdict('e1', 'false-positive'), verdict('e2', 'false-positive'), verdict('e3', 'true-positive')].join('\n'),
    );

    const { code, out } = await run(['--verdicts', file, CLOUDTRAIL]);

    expect(code).toBe(0);
    const report = out.join('\n');
    expect(report).toMatch(/^ {2}cloudtrail-logging-stopped +1 +0 +2 +33% {2}NOISY$/m);
    expect(report).toMatch(
      /cloudtrail-logging-stopped: 0\.52 alert\(s\)\/day in this corpus, about 0\.35 of them false/,
    );
  });

  it('adds the verdicts to the --json summary', async () => {
    const file = put('verdicts.jsonl', verdict('e1', 'true-positive'));

    const { summary } = await runJson(['--verdicts', file, CLOUDTRAIL]);

    expect((summary as unknown as { verdicts: unknown }).verdicts).toEqual([
      {
        detectionId: 'cloudtrail-logging-stopped',
        counts: { 'true-positive': 1, 'expected-change': 0, 'false-positive': 0 },
        precision: 1,
        noisy: false,
      },
    ]);
  });

  it('exits 2 with the export command when the file cannot be read', async () => {
    const { code, err } = await run(['--verdicts', join(dir, 'missing.json'), CLOUDTRAIL]);

    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/cannot read the verdicts export[\s\S]*aws dynamodb scan/);
  });
});

describe('replay --alerting', () => {
  // Two StopLogging calls on the same trail ten minutes apart: one alert within the default 15-minute
  // repeat window, two when the org's window is shorter.
  const stops = () =>
    put(
      'stops.jsonl',
      ['00', '10']
        .map((minute, i) =>
          JSON.stringify(
            record({
              eventSource: 'cloudtrail.amazonaws.com',
              eventName: 'StopLogging',
              readOnly: false,
              eventID: `00000000-0000-4000-8000-00000000010${i}`,
              eventTime: `2026-11-04T08:${minute}:00Z`,
              requestParameters: { name: 'org-trail' },
            }),
          ),
        )
        .join('\n'),
    );
  const alerting = (repeatWindowSeconds: number) => {
    const config = JSON.parse(readFileSync(join(ROOT, 'config/alerting.json'), 'utf8'));
    return put('alerting.json', JSON.stringify({ ...config, repeatWindowSeconds }));
  };

  it("applies the org's repeat window, as triage does", async () => {
    const file = stops();

    const deployed = await runJson([file]);
    const shorter = await runJson(['--alerting', alerting(60), file]);

    expect(deployed.summary.alerts['cloudtrail-logging-stopped']).toBe(1);
    expect(shorter.summary.alerts['cloudtrail-logging-stopped']).toBe(2);
  });

  it('exits 2 naming the problem when the alerting config is invalid', async () => {
    const { code, err } = await run(['--alerting', alerting(-5), stops()]);

    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/repeatWindowSeconds/);
  });
});
