/**
 * `npm run sweep` (the sweep's backfill) end to end over a synced-bucket folder written into this file's temp root:
 * the replay fixtures' real `.json.gz` log files, plus an account whose log files are listed by a chain of digests
 * signed in the test (__tests__/helpers/cloudtrail-digests.ts), and exports of the triage state table in the two
 * formats a user can produce (aws dynamodb scan JSON, and a DynamoDB export to S3 in DYNAMODB_JSON).
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../scripts/sweep';
import { jsonDocuments, readDedupeExport } from '../../scripts/sweep/dedupe-export';
import { gapStats } from '../../scripts/sweep/report';
import { ACCOUNT, logKey, REGION, type SignedDigest, signedDigest, trailKeys } from '../helpers/cloudtrail-digests';

const ROOT = resolve(__dirname, '../..');
const FIXTURE_LOGS = join(ROOT, '__tests__/fixtures/replay/cloudtrail/AWSLogs/o-k3m9x2p7qa');
/** In the fixtures: root console sign-in without MFA (09:58:12), a root ListBuckets (10:01:40), both in one file. */
const SIGNIN = '3f1c9a8e-1b2d-4c5e-9f00-0a1b2c3d4e01';
const ROOT_CALL = '3f1c9a8e-1b2d-4c5e-9f00-0a1b2c3d4e02';
/** AttachRolePolicy of AdministratorAccess at 10:05:03, in the file delivered at 10:10. */
const ADMIN_ATTACH = '3f1c9a8e-1b2d-4c5e-9f00-0a1b2c3d4e03';
const NOW = Date.parse('2026-12-01T00:00:00Z');
const KEYS = trailKeys();

/** A harmless log file of the digest-listed account (read-only calls, no detection). */
const listedLog = (n: number) =>
  JSON.stringify({
    Records: [
      {
        eventVersion: '1.09',
        userIdentity: { type: 'AssumedRole', accountId: ACCOUNT, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/app/x` },
        eventTime: `2026-11-02T10:4${n}:00Z`,
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        awsRegion: REGION,
        readOnly: true,
        eventID: `00000000-0000-4000-8000-00000000000${n}`,
        eventType: 'AwsApiCall',
        recipientAccountId: ACCOUNT,
      },
    ],
  });

interface Trail {
  readonly dir: string;
  readonly logs: readonly { key: string; content: string }[];
  readonly digests: readonly SignedDigest[];
  readonly keysFile: string;
}

/** Writes a synced-bucket folder: the fixtures' gzipped logs, two signed log files and a chain of two digests. */
function writeTrail(tamper: { digest?: boolean; log?: boolean } = {}): Trail {
  const dir = mkdtempSync(join(tmpdir(), 'trail-'));
  cpSync(FIXTURE_LOGS, join(dir, 'AWSLogs/o-k3m9x2p7qa'), {
    recursive: true,
    // Only the trail's own gzipped files (the fixtures also hold plain .json and a truncated download).
    filter: (src) => !src.includes('110000000008'),
  });
  const logs = [1, 2].map((n) => ({ key: logKey(`20261102T104${n}Z`, `Ab${n}cDeFgHiJkLmNo`), content: listedLog(n) }));
  const first = signedDigest(KEYS, '20261102T110000Z', [logs[0]!]);
  const second = signedDigest(KEYS, '20261102T120000Z', [logs[1]!], first);
  const put = (key: string, content: string | Uint8Array) => {
    mkdirSync(dirname(join(dir, key)), { recursive: true });
    writeFileSync(join(dir, key), gzipSync(content));
  };
  for (const l of logs)
    put(l.key, tamper.log && l === logs[0] ? l.content.replace('DescribeInstances', 'DescribeVpcs') : l.content);
  put(
    first.key,
    tamper.digest ? Buffer.from(first.content.toString().replace('"logFiles"', '"logFiles" ')) : first.content,
  );
  put(second.key, second.content);
  const keysFile = join(dir, 'keys.json');
  writeFileSync(
    keysFile,
    // Two regions' `aws cloudtrail list-public-keys` output, concatenated as a shell loop writes them.
    `${JSON.stringify({ PublicKeyList: [] }, null, 4)}\n${JSON.stringify(
      {
        PublicKeyList: [
          {
            ValidityStartTime: 1_793_000_000,
            ValidityEndTime: 1_796_000_000,
            Value: Buffer.from(KEYS.publicKey.value).toString('base64'),
            Fingerprint: KEYS.publicKey.fingerprint,
          },
        ],
      },
      null,
      4,
    )}\n`,
  );
  return { dir, logs, digests: [first, second], keysFile };
}

const S = (s: string) => ({ S: s });
/** The triage state table's items: the sign-in alerted by real time, the root call caught by the deployed sweep. */
const ITEMS = [
  {
    pk: S(`event#signin-root-console-login-no-mfa#${SIGNIN}`),
    status: S('sent'),
    owner: S('5d1e…-real-time'),
    expiresAt: { N: '1793000000' },
  },
  {
    pk: S(`event#root-activity#${ROOT_CALL}`),
    status: S('sent'),
    owner: S('7a2b9c/0#1'),
    expiresAt: { N: '1793000000' },
  },
  { pk: S('resource#iam-admin-policy-attached#110000000007#us-east-1#abc'), status: S('sent'), owner: S('x') },
];

function scanExport(dir: string): string {
  const file = join(dir, 'dedupe.json');
  writeFileSync(
    file,
    JSON.stringify({ Items: ITEMS, Count: ITEMS.length, ScannedCount: 40, ConsumedCapacity: null }, null, 4),
  );
  return file;
}

/** A DynamoDB export to S3 (DYNAMODB_JSON), synced: manifests and gzipped data files of `{"Item": …}` lines. */
function s3Export(dir: string, format = 'DYNAMODB_JSON'): string {
  const root = join(dir, 'ddb');
  const exp = join(root, 'AWSDynamoDB/01764000000000-a1b2c3d4');
  mkdirSync(join(exp, 'data'), { recursive: true });
  writeFileSync(
    join(exp, 'manifest-summary.json'),
    JSON.stringify({ version: '2020-06-30', outputFormat: format, itemCount: 3 }),
  );
  const files = [
    ['aaaa1111.json.gz', ITEMS.slice(0, 1)],
    ['bbbb2222.json.gz', ITEMS.slice(1)],
  ] as const;
  writeFileSync(
    join(exp, 'manifest-files.json'),
    files
      .map(([name, items]) =>
        JSON.stringify({
          itemCount: items.length,
          md5Checksum: 'x',
          etag: 'y',
          dataFileS3Key: `exports/AWSDynamoDB/01764000000000-a1b2c3d4/data/${name}`,
        }),
      )
      .join('\n'),
  );
  for (const [name, items] of files) {
    writeFileSync(join(exp, 'data', name), gzipSync(items.map((Item) => JSON.stringify({ Item })).join('\n')));
  }
  writeFileSync(join(exp, '_started'), '');
  return root;
}

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdout: (t) => out.push(...t.split('\n')),
    stderr: (l) => err.push(l),
    cwd: ROOT,
    now: () => NOW,
  });
  return { code, out, err, text: out.join('\n'), errText: err.join('\n') };
}

async function runJson(argv: string[]) {
  const r = await run([...argv, '--json']);
  return { ...r, report: JSON.parse(r.text) };
}

const byEvent = (findings: Array<{ eventId: string; status: string }>) =>
  Object.fromEntries(findings.map((f) => [f.eventId, f.status]));

describe('npm run sweep: reconciliation with the dedupe export', () => {
  it('tells confirmed from late, with the gap by detection, account, region and delay (aws dynamodb scan JSON)', async () => {
    const t = writeTrail();
    const r = await runJson([
      '--from',
      '2026-11-02',
      '--to',
      '2026-11-02',
      t.dir,
      '--dedupe',
      scanExport(t.dir),
      '--public-keys',
      t.keysFile,
    ]);
    expect(r.code).toBe(1);
    expect(byEvent(r.report.findings)).toEqual({
      [SIGNIN]: 'confirmed',
      [ROOT_CALL]: 'late-caught',
      [ADMIN_ATTACH]: 'late',
    });
    const late = r.report.findings.find((f: { eventId: string }) => f.eventId === ADMIN_ATTACH);
    // Delivered at 10:10, alerted after the 15-minute grace: 10:25:00 − 10:05:03.
    expect(late).toMatchObject({
      detectionId: 'iam-admin-policy-attached',
      severity: 'critical',
      account: '110000000007',
      region: 'us-east-1',
      delaySeconds: 1197,
      remediation: 'requested',
    });
    expect(r.report.gaps).toEqual({
      late: 2,
      byDetection: { 'iam-admin-policy-attached': 1, 'root-activity': 1 },
      byAccount: { '110000000006': 1, '110000000007': 1 },
      byRegion: { 'us-east-1': 2 },
      delaySeconds: { p50: 1197, p90: 1197, max: 1197 },
    });
    expect(r.report.readOnly).toMatch(/read-only: no alert was sent, nothing was remediated, no AWS API was called/);
    expect(r.report.integrity).toEqual([]);
    // The first digest gets its signature from the second; the second, newest of its chain, cannot be verified.
    expect(r.report.digests).toEqual({ validated: 1, unverifiable: [t.digests[1]!.key], skipped: 0 });
    expect(r.report.logFiles).toBe(4);
  });

  it('reads a DynamoDB export to S3 (DYNAMODB_JSON data files named by manifest-files.json) the same way', async () => {
    const t = writeTrail();
    const r = await runJson(['--from', '2026-11-02', '--to', '2026-11-02', t.dir, '--dedupe', s3Export(t.dir)]);
    expect(byEvent(r.report.findings)).toEqual({
      [SIGNIN]: 'confirmed',
      [ROOT_CALL]: 'late-caught',
      [ADMIN_ATTACH]: 'late',
    });
    expect(r.report.dedupe).toMatch(/export to S3, 2 data file\(s\), 2 event item\(s\)/);
  });

  it('prints a human report that says it is read-only and lists each finding and the gap', async () => {
    const t = writeTrail();
    const r = await run(['--from', '2026-11-02', '--to', '2026-11-02', t.dir, '--dedupe', scanExport(t.dir)]);
    expect(r.code).toBe(1);
    expect(r.out[0]).toMatch(/^Local and read-only: no alert was sent, nothing was remediated/);
    expect(r.text).toMatch(
      /late\s+critical\s+iam-admin-policy-attached\s+110000000007 us-east-1\s+2026-11-02T10:05:03Z/,
    );
    expect(r.text).toMatch(/Real-time gap: 2 finding\(s\) missed/);
    expect(r.text).toMatch(/delay \(event → sweep alert\): p50 19 min/);
    expect(r.text).toMatch(/digests not validated: pass --public-keys/);
    expect(r.text).toMatch(/Nothing was sent\.$/);
  });

  it('sweeps only the events of the window, by eventTime', async () => {
    const t = writeTrail();
    const r = await runJson([
      '--from',
      '2026-11-02T10:03:00Z',
      '--to',
      '2026-11-02T11:00:00Z',
      t.dir,
      '--dedupe',
      scanExport(t.dir),
    ]);
    expect(byEvent(r.report.findings)).toEqual({ [ADMIN_ATTACH]: 'late' });
  });

  it('without an export, reports findings unreconciled and exits 0 when the trail is intact', async () => {
    const t = writeTrail();
    const r = await runJson(['--from', '2026-11-02', '--to', '2026-11-02', t.dir, '--public-keys', t.keysFile]);
    expect([r.code, new Set(r.report.findings.map((f: { status: string }) => f.status))]).toEqual([
      0,
      new Set(['found']),
    ]);
  });
});

describe('npm run sweep: what the deployed sweep would not have decided yet', () => {
  it('files with findings younger than the grace period are listed as deferred, not reported late', async () => {
    const t = writeTrail();
    const out: string[] = [];
    const code = await main(
      ['--from', '2026-11-02', '--to', '2026-11-02', t.dir, '--dedupe', scanExport(t.dir), '--json'],
      {
        stdout: (text) => out.push(text),
        stderr: () => undefined,
        cwd: ROOT,
        now: () => Date.parse('2026-11-02T10:15:00Z'),
      },
    );
    const report = JSON.parse(out.join('\n'));
    expect([code, report.findings, report.notSwept.map((n: { status: string }) => n.status)]).toEqual([
      0,
      [],
      ['deferred', 'deferred'],
    ]);
  });

  it('an event real time held in flight when the table was exported is reported in flight', async () => {
    const t = writeTrail();
    const file = join(t.dir, 'pending.json');
    const pending = { pk: S(`event#iam-admin-policy-attached#${ADMIN_ATTACH}`), status: S('pending'), owner: S('m') };
    writeFileSync(file, JSON.stringify({ Items: [...ITEMS, pending] }));
    const r = await runJson(['--from', '2026-11-02', '--to', '2026-11-02', t.dir, '--dedupe', file]);
    expect(byEvent(r.report.findings)[ADMIN_ATTACH]).toBe('in-flight');
  });

  it('a window without log files is an error naming the dates', async () => {
    const t = writeTrail();
    const r = await run(['--from', '2025-01-01', '--to', '2025-01-02', t.dir]);
    expect([r.code, r.errText]).toEqual([
      2,
      expect.stringMatching(/no log file in .* for 2025-01-01T00:00:00.000Z to/),
    ]);
  });
});

describe('npm run sweep: trail integrity with the deployed digest validation', () => {
  it('a tampered digest fails validation', async () => {
    const t = writeTrail({ digest: true });
    const r = await runJson(['--from', '2026-11-02', '--to', '2026-11-02', t.dir, '--public-keys', t.keysFile]);
    expect(r.code).toBe(1);
    expect(r.report.integrity).toEqual([
      expect.objectContaining({
        failure: 'invalid-digest',
        key: t.digests[0]!.key,
        reason: expect.stringMatching(/^bad-signature/),
      }),
    ]);
  });

  it('a log file modified after delivery no longer matches its digest', async () => {
    const t = writeTrail({ log: true });
    const r = await runJson(['--from', '2026-11-02', '--to', '2026-11-02', t.dir, '--public-keys', t.keysFile]);
    expect(r.report.integrity).toEqual([expect.objectContaining({ failure: 'modified', key: t.logs[0]!.key })]);
  });
});

describe('npm run sweep: bad input is named, with the fix', () => {
  it.each([
    [['--from', '2026-13-01', '--to', '2026-11-02', '.'], /--from '2026-13-01' is not a date: use YYYY-MM-DD/],
    [['--from', 'yesterday', '--to', '2026-11-02', '.'], /--from 'yesterday' is not a date or time/],
    [['--from', '2026-11-03', '--to', '2026-11-02', '.'], /--to 2026-11-02 is not after --from 2026-11-03/],
    [['--to', '2026-11-02', '.'], /give the window of event times to sweep: --from <date> --to <date>/],
    [['--from', '2026-11-02', '--to', '2026-11-02'], /name the folder the trail bucket was synced into/],
  ])('%j', async (argv, message) => {
    const r = await run(argv);
    expect([r.code, r.errText]).toEqual([2, expect.stringMatching(message)]);
  });

  it('a missing folder, or one without AWSLogs/', async () => {
    const missing = await run(['--from', '2026-11-02', '--to', '2026-11-02', join(tmpdir(), 'nope')]);
    expect([missing.code, missing.errText]).toEqual([
      2,
      expect.stringMatching(/nope is not a folder\. Sync the trail bucket first: aws s3 sync/),
    ]);
    const t = writeTrail();
    const inside = await run(['--from', '2026-11-02', '--to', '2026-11-02', join(t.dir, 'AWSLogs')]);
    expect([inside.code, inside.errText]).toEqual([
      2,
      expect.stringMatching(/has no AWSLogs\/ folder: name the folder you synced the bucket into/),
    ]);
  });

  it('an unusable export names the problem and how to export the table', async () => {
    const t = writeTrail();
    const notJson = join(t.dir, 'bad.json');
    writeFileSync(notJson, '{"Items": [ {"pk": ');
    const wrongShape = join(t.dir, 'shape.json');
    writeFileSync(wrongShape, '{"Table": {"TableName": "vigil-triage-state"}}');
    const cases = [
      [notJson, /bad\.json is not a DynamoDB export: the text ends inside a JSON document/],
      [wrongShape, /document 1 has neither Items \(aws dynamodb scan\) nor Item \(export to S3\)/],
      [join(t.dir, 'missing.json'), /missing\.json does not exist/],
      [s3Export(mkdtempSync(join(tmpdir(), 'ion-')), 'ION'), /in the ION format; the backfill reads DYNAMODB_JSON/],
      [join(t.dir, 'AWSLogs'), /a folder with no DynamoDB export in it/],
    ] as const;
    for (const [file, message] of cases) {
      const r = await run(['--from', '2026-11-02', '--to', '2026-11-02', t.dir, '--dedupe', file]);
      expect([r.code, r.errText]).toEqual([
        2,
        expect.stringMatching(
          new RegExp(`${message.source}[\\s\\S]*aws dynamodb scan --table-name vigil-triage-state`),
        ),
      ]);
    }
  });

  it('unusable public keys name the command that writes them', async () => {
    const t = writeTrail();
    const keys = join(t.dir, 'k.json');
    writeFileSync(keys, '{"Keys": []}');
    const r = await run(['--from', '2026-11-02', '--to', '2026-11-02', t.dir, '--public-keys', keys]);
    expect([r.code, r.errText]).toEqual([
      2,
      expect.stringMatching(/without PublicKeyList[\s\S]*aws cloudtrail list-public-keys --region \$r/),
    ]);
  });
});

describe('the export reader and the report', () => {
  it('reads scan pages written one after another', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pages-'));
    const file = join(dir, 'pages.json');
    writeFileSync(
      file,
      `${JSON.stringify({ Items: ITEMS.slice(0, 1) })}\n${JSON.stringify({ Items: ITEMS.slice(1) })}`,
    );
    const read = readDedupeExport(file, 't');
    expect([read.items, [...read.events.keys()]]).toEqual([3, [ITEMS[0]!.pk.S, ITEMS[1]!.pk.S]]);
  });

  it('splits concatenated JSON documents, strings with braces included', () => {
    expect(jsonDocuments('{"a":"}{"}\n[1]{"b":{"c":"\\"}"}}')).toEqual([{ a: '}{' }, [1], { b: { c: '"}' } }]);
  });

  it('gap delays are nearest-rank percentiles of the late findings', () => {
    const f = (delaySeconds: number) =>
      ({ status: 'late', detectionId: 'd', account: 'a', region: 'r', delaySeconds }) as Parameters<
        typeof gapStats
      >[0][number];
    expect(gapStats([10, 20, 30, 40, 50, 60, 70, 80, 90, 1000].map(f)).delaySeconds).toEqual({
      p50: 50,
      p90: 90,
      max: 1000,
    });
  });
});
