/**
 * Replay throughput: generates a CloudTrail corpus in a temp folder (default 1,000,000 records in 200 log files,
 * every other one gzipped as CloudTrail delivers them, the rest plain JSON) and replays it through the full catalog
 * with `main()` of scripts/replay.ts, in-process. In the same run it times a parse-only baseline over the same files
 * (read, gunzip, `JSON.parse`, nothing else: the floor a design that parses every record cannot pass), alternating
 * the two, and prints the median of BENCH_RUNS (default 5) of each, records/s and the ratio. Never asserts on timing.
 *
 *   npx tsx bench/replay.bench.ts
 *   BENCH_RECORDS=200000 BENCH_FILES=50 BENCH_PROFILE=findings npx tsx bench/replay.bench.ts
 *
 * The mix is modelled on a busy organization trail: mostly read-only Describe/Get/List calls, service-to-service
 * AssumeRole and data events, a few percent changes, and a handful of events that real detections match (root
 * activity, admin policy attachments, access-denied bursts, stopped trails), so the pre-filter, patterns,
 * predicates and forwarding checks all run. BENCH_PROFILE `org` (default) makes those rare, as on a real trail
 * (~0.07 % of records matched centrally); `findings` is the finding-heavy mix of earlier sessions (~17 %).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { main } from '../scripts/replay';
import { prng } from '../__tests__/helpers/prng';

const ACCOUNTS = ['110000000004', '110000000005', '110000000006', '110000000007', '110000000008', '110000000011'];
const REGIONS = ['us-east-1', 'eu-west-1', 'eu-central-1', 'us-west-2'];

type Rec = Record<string, unknown>;

/** How often the events detections care about occur. */
interface Profile {
  /** Share of calls made by root. */
  readonly root: number;
  /** Share of calls denied. */
  readonly denied: number;
  /** Share of assumed-role calls by vigil's remediation role. */
  readonly vigilRole: number;
  /** Multiplier on the weight of the change events detections look at. */
  readonly risky: number;
}

const PROFILES: Readonly<Record<string, Profile>> = {
  findings: { root: 0.02, denied: 0.01, vigilRole: 0.25, risky: 1 },
  org: { root: 0.0001, denied: 0.0002, vigilRole: 0.0001, risky: 0.008 },
};
let profile: Profile = PROFILES['org']!;

function identity(account: string, rnd: () => number): Rec {
  const r = rnd();
  if (r < profile.root)
    return { type: 'Root', principalId: account, arn: `arn:aws:iam::${account}:root`, accountId: account };
  if (r < profile.root + 0.08) {
    const user = ['ci-bot', 'mallory', 'reporting'][Math.floor(rnd() * 3)]!;
    return {
      type: 'IAMUser',
      principalId: `AIDAEXAMPLE${account.slice(-4)}`,
      arn: `arn:aws:iam::${account}:user/${user}`,
      accountId: account,
      accessKeyId: 'AKIAEXAMPLEKEY000001',
      userName: user,
    };
  }
  const role =
    rnd() < profile.vigilRole
      ? 'vigil-remediation'
      : ['platform-admin', 'app-runtime', 'AWSReservedSSO_ReadOnly_0123456789abcdef'][Math.floor(rnd() * 3)]!;
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE${account.slice(-4)}:session-${Math.floor(rnd() * 50)}`,
    arn: `arn:aws:sts::${account}:assumed-role/${role}/session-${Math.floor(rnd() * 50)}`,
    accountId: account,
    accessKeyId: 'ASIAEXAMPLEKEY000002',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: `AROAEXAMPLE${account.slice(-4)}`,
        arn: `arn:aws:iam::${account}:role/${role}`,
        accountId: account,
        userName: role,
      },
      attributes: { creationDate: '2026-11-01T00:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

/** [eventSource, eventName, readOnly, requestParameters] by weight. */
const MIX: readonly [number, string, string, boolean, (rnd: () => number) => Rec | null][] = [
  [18, 'ec2.amazonaws.com', 'DescribeInstances', true, () => ({ instancesSet: {}, filterSet: {} })],
  [8, 'ec2.amazonaws.com', 'DescribeSecurityGroups', true, () => ({ securityGroupSet: {}, filterSet: {} })],
  [10, 's3.amazonaws.com', 'GetObject', true, (r) => ({ bucketName: 'app-data', key: `k/${Math.floor(r() * 1e6)}` })],
  [6, 's3.amazonaws.com', 'PutObject', false, (r) => ({ bucketName: 'app-data', key: `k/${Math.floor(r() * 1e6)}` })],
  [8, 'kms.amazonaws.com', 'Decrypt', true, () => ({ encryptionAlgorithm: 'SYMMETRIC_DEFAULT' })],
  [
    12,
    'sts.amazonaws.com',
    'AssumeRole',
    false,
    (r) => ({ roleArn: 'arn:aws:iam::110000000004:role/app-runtime', roleSessionName: `s${Math.floor(r() * 100)}` }),
  ],
  [6, 'iam.amazonaws.com', 'GetRole', true, () => ({ roleName: 'app-runtime' })],
  [
    5,
    'logs.amazonaws.com',
    'CreateLogStream',
    false,
    () => ({ logGroupName: '/aws/lambda/app', logStreamName: '2026/11/01' }),
  ],
  [5, 'lambda.amazonaws.com', 'ListFunctions20150331', true, () => null],
  [4, 'ec2.amazonaws.com', 'CreateTags', false, () => ({ resourcesSet: { items: [{ resourceId: 'i-0abc' }] } })],
  [3, 'cloudtrail.amazonaws.com', 'LookupEvents', true, () => ({ maxResults: 50 })],
  [
    2,
    'ec2.amazonaws.com',
    'AuthorizeSecurityGroupIngress',
    false,
    (r) => ({
      groupId: 'sg-0123',
      ipPermissions: {
        items: [
          {
            ipProtocol: 'tcp',
            fromPort: r() < 0.1 ? 22 : 443,
            toPort: r() < 0.1 ? 22 : 443,
            ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
          },
        ],
      },
    }),
  ],
  [
    1,
    'iam.amazonaws.com',
    'AttachRolePolicy',
    false,
    (r) => ({
      roleName: 'ci-deployer',
      policyArn: r() < 0.3 ? 'arn:aws:iam::aws:policy/AdministratorAccess' : 'arn:aws:iam::aws:policy/ReadOnlyAccess',
    }),
  ],
  [
    1,
    'iam.amazonaws.com',
    'PutRolePolicy',
    false,
    (r) => ({
      roleName: 'ci-deployer',
      policyName: 'inline',
      policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: r() < 0.2 ? '*' : 's3:GetObject', Resource: '*' }],
      }),
    }),
  ],
  [0.2, 'cloudtrail.amazonaws.com', 'StopLogging', false, () => ({ name: 'team-trail' })],
  [
    0.5,
    's3.amazonaws.com',
    'PutBucketPolicy',
    false,
    () => ({
      bucketName: 'app-data',
      bucketPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::app-data/*' }],
      },
    }),
  ],
];
/** Events at least one detection looks at (their weight is scaled by the profile). */
const RISKY = new Set([
  'AuthorizeSecurityGroupIngress',
  'AttachRolePolicy',
  'PutRolePolicy',
  'StopLogging',
  'PutBucketPolicy',
]);
const weight = (m: (typeof MIX)[number]) => (RISKY.has(m[2]) ? m[0] * profile.risky : m[0]);

function record(rnd: () => number, account: string, region: string, ms: number, n: number): Rec {
  let pick = rnd() * MIX.reduce((s, m) => s + weight(m), 0);
  let entry = MIX[0]!;
  for (const m of MIX) {
    pick -= weight(m);
    if (pick <= 0) {
      entry = m;
      break;
    }
  }
  const [, eventSource, eventName, readOnly, params] = entry;
  const global = eventSource === 'iam.amazonaws.com' || eventSource === 'sts.amazonaws.com';
  const denied = rnd() < profile.denied;
  const data = eventName === 'GetObject' || eventName === 'PutObject';
  return {
    eventVersion: '1.09',
    userIdentity: identity(account, rnd),
    eventTime: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource,
    eventName,
    awsRegion: global ? 'us-east-1' : region,
    sourceIPAddress: `198.51.100.${Math.floor(rnd() * 255)}`,
    userAgent: 'aws-sdk-js/3.700.0 ua/2.1 os/linux#6.8 lang/js md/nodejs#20.18.0 api/ec2#3.700.0',
    requestParameters: params(rnd),
    responseElements: null,
    ...(denied ? { errorCode: 'AccessDenied', errorMessage: 'User is not authorized to perform this operation' } : {}),
    requestID: `req-${n.toString(16).padStart(12, '0')}`,
    eventID: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: !data,
    recipientAccountId: account,
    eventCategory: data ? 'Data' : 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${eventSource}`,
    },
  };
}

/** Writes the corpus and returns its size on disk. */
export function generateCorpus(dir: string, records: number, files: number, profileName = 'org'): number {
  profile = PROFILES[profileName] ?? profile;
  const rnd = prng(42);
  const perFile = Math.ceil(records / files);
  const start = Date.parse('2026-11-01T00:00:00Z');
  let bytes = 0;
  let n = 0;
  for (let f = 0; f < files; f++) {
    const account = ACCOUNTS[f % ACCOUNTS.length]!;
    const region = REGIONS[f % REGIONS.length]!;
    const list: Rec[] = [];
    for (let i = 0; i < perFile && n < records; i++, n++) {
      list.push(record(rnd, account, region, start + Math.floor((n / records) * 7 * 86_400_000), n));
    }
    const name = `${account}_CloudTrail_${region}_20261101T${String(f).padStart(4, '0')}Z_bench`;
    // CloudTrail writes each log file as one line of JSON.
    const text = JSON.stringify({ Records: list });
    const body = f % 2 === 0 ? gzipSync(text) : Buffer.from(text);
    writeFileSync(join(dir, f % 2 === 0 ? `${name}.json.gz` : `${name}.json`), body);
    bytes += body.length;
  }
  return bytes;
}

/** The parse-only baseline: read, gunzip and `JSON.parse` every file, one after the other; returns the records. */
function parseOnly(dir: string): number {
  let records = 0;
  for (const name of readdirSync(dir).sort()) {
    const raw = readFileSync(join(dir, name));
    const text = (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    records += (JSON.parse(text) as { Records: unknown[] }).Records.length;
  }
  return records;
}

interface ReplayRun {
  readonly seconds: number;
  readonly records: number;
  readonly matched: number;
  readonly megabytesPerSecond: number;
}

async function replayOnce(dir: string, extra: readonly string[]): Promise<ReplayRun> {
  let summaryLine = '';
  const started = performance.now();
  const code = await main(['--json', ...extra, dir], {
    stdout: (text) => {
      const last = text.slice(text.lastIndexOf('\n') + 1);
      if (last.startsWith('{"summary"')) summaryLine = last;
    },
    stderr: () => undefined,
    stderrIsTTY: false,
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0 || summaryLine === '') throw new Error(`replay exited with ${code}`);
  const { summary } = JSON.parse(summaryLine) as {
    summary: { recordsRead: number; matchedEvents: number; throughput: Record<string, number> };
  };
  return {
    seconds,
    records: summary.recordsRead,
    matched: summary.matchedEvents,
    megabytesPerSecond: summary.throughput['megabytesPerSecond']!,
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function run(): Promise<void> {
  const records = Number(process.env['BENCH_RECORDS'] ?? 1_000_000);
  const files = Number(process.env['BENCH_FILES'] ?? 200);
  const runs = Number(process.env['BENCH_RUNS'] ?? 5);
  const profileName = process.env['BENCH_PROFILE'] ?? 'org';
  if (!PROFILES[profileName]) throw new Error(`BENCH_PROFILE must be one of ${Object.keys(PROFILES).join(', ')}`);
  const extra = process.env['BENCH_REPLAY_ARGS']?.split(' ').filter((a) => a !== '') ?? [];
  const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-bench-'));
  const int = (n: number) => Math.round(n).toLocaleString('en-US');
  try {
    const onDisk = generateCorpus(dir, records, files, profileName);
    process.stdout.write(
      `corpus (${profileName}): ${int(records)} records in ${files} files (${Math.ceil(files / 2)} gzipped), ` +
        `${(onDisk / 1e6).toFixed(1)} MB on disk; median of ${runs} runs each, alternating\n`,
    );
    const parse: number[] = [];
    const replay: ReplayRun[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const n = parseOnly(dir);
      parse.push((performance.now() - started) / 1000);
      if (n !== records) throw new Error(`parse-only read ${n} records, expected ${records}`);
      replay.push(await replayOnce(dir, extra));
    }
    const parseSeconds = median(parse);
    const replaySeconds = median(replay.map((r) => r.seconds));
    const last = replay[replay.length - 1]!;
    const pct = ((last.matched / last.records) * 100).toFixed(3);
    process.stdout.write(
      `parse-only (read + gunzip + JSON.parse): ${parseSeconds.toFixed(2)} s, ${int(records / parseSeconds)} records/s\n` +
        `replay${extra.length > 0 ? ` ${extra.join(' ')}` : ''}: ${replaySeconds.toFixed(2)} s wall, ` +
        `${int(last.records / replaySeconds)} records/s, ${int(last.matched)} matched (${pct} %)\n` +
        `replay / parse-only: ${(replaySeconds / parseSeconds).toFixed(2)}× the time, ` +
        `${(parseSeconds / replaySeconds).toFixed(2)}× the record rate\n` +
        `runs (s): parse-only ${parse.map((x) => x.toFixed(2)).join(' ')}; replay ` +
        `${replay.map((r) => r.seconds.toFixed(2)).join(' ')}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
