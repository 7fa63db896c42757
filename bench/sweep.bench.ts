/**
 * Sweep throughput and memory (issue #12 "Scale"): generates log files of a mid-size organization's day in a temp
 * folder, laid out as the trail writes them (default 50 accounts × 4 regions, each account-region's deliveries
 * spread over the day; files of 100 to 10,000 records, log-uniform; about 0.1 % of records matching a detection),
 * plus a set of 10,000-record files, and runs the sweep workflow itself (createSweepFlow: catalog, triage in sweep
 * mode, ledger) on each file in-process, one S3 notification at a time, as the function does. The files are read
 * by the deployed adapter's gunzip-and-split code (`gzippedLogItems`) from disk instead of S3: the figures are the
 * function's CPU, not S3's latency. Then replay (`npm run replay`) runs over the same day, for comparison.
 *
 * Prints files/s, records/s, the time of a 10,000-record file (p50, p99), RSS during the sweep, and the heap retained per file
 * (after a full GC, first file vs last: bounded memory means ~0). Never asserts on timing.
 *
 *   npx tsx bench/sweep.bench.ts
 *   BENCH_SWEEP_ACCOUNTS=50 BENCH_SWEEP_REGIONS=4 BENCH_SWEEP_DELIVERIES=2 BENCH_SWEEP_BIG=30 npx tsx bench/sweep.bench.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { MemorySweepLedger } from '../handlers/adapters/sweep/ledger';
import { MemoryDedupeStore } from '../handlers/core/flows/memory-dedupe-store';
import { createSweepFlow } from '../handlers/core/flows/sweep-flow';
import type { TriageOutcome } from '../handlers/core/flows/triage-ports';
import { toHandlerInventory } from '../handlers/core/inventory-view';
import { compileCatalog } from '../handlers/core/sweep/catalog-runner';
import { makeTriageContext } from '../handlers/core/triage';
import { loadInventory } from '../config/load';
import { CATALOG } from '../rules/catalog';
import { PREDICATES } from '../rules/predicates';
import { main as replay } from '../scripts/replay';
import { localTrailObjects, sweepWindow } from '../scripts/sweep/local-trail';
import { prng } from '../__tests__/helpers/prng';

const ORG = 'o-k3m9x2p7qa';
const BUCKET = 'vigil-org-trail-110000000002';
const ALL_REGIONS = ['us-east-1', 'eu-west-1', 'eu-central-1', 'us-west-2', 'ap-southeast-2', 'sa-east-1'];
const DAY = Date.parse('2026-11-02T00:00:00Z');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

type Rec = Record<string, unknown>;
/** Routine calls by an application role (no detection matches them). */
const ROUTINE: readonly [string, string, boolean, Rec | null][] = [
  ['ec2.amazonaws.com', 'DescribeInstances', true, { instancesSet: {}, filterSet: {} }],
  ['s3.amazonaws.com', 'GetBucketLocation', true, { bucketName: 'app-data' }],
  ['kms.amazonaws.com', 'Decrypt', true, { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }],
  ['sts.amazonaws.com', 'AssumeRole', false, { roleArn: 'arn:aws:iam::110000000004:role/app', roleSessionName: 's' }],
  ['logs.amazonaws.com', 'CreateLogStream', false, { logGroupName: '/aws/lambda/app', logStreamName: '2026/11/02' }],
  ['ec2.amazonaws.com', 'CreateTags', false, { resourcesSet: { items: [{ resourceId: 'i-0abc' }] } }],
  ['lambda.amazonaws.com', 'ListFunctions20150331', true, null],
];
/** Calls detections match: admin policy attached, trail stopped, bucket made public. */
const FINDINGS: readonly [string, string, Rec][] = [
  [
    'iam.amazonaws.com',
    'AttachRolePolicy',
    { roleName: 'ci', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
  ],
  ['cloudtrail.amazonaws.com', 'StopLogging', { name: 'team-trail' }],
  [
    's3.amazonaws.com',
    'PutBucketPolicy',
    {
      bucketName: 'app-data',
      bucketPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::app-data/*' }],
      },
    },
  ],
];

let serial = 0;
function record(rnd: () => number, account: string, region: string, ms: number, match: number): Rec {
  const finding = rnd() < match;
  const f = FINDINGS[Math.floor(rnd() * FINDINGS.length)]!;
  const [eventSource, eventName, readOnly, requestParameters]: readonly [string, string, boolean, Rec | null] = finding
    ? [f[0], f[1], false, f[2]]
    : ROUTINE[Math.floor(rnd() * ROUTINE.length)]!;
  const n = serial++;
  const role = 'app-runtime';
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE${account.slice(-4)}:s-${n % 50}`,
      arn: `arn:aws:sts::${account}:assumed-role/${role}/s-${n % 50}`,
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
        attributes: { creationDate: '2026-11-02T00:00:00Z', mfaAuthenticated: 'false' },
      },
    },
    eventTime: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource,
    eventName,
    awsRegion: eventSource === 'iam.amazonaws.com' || eventSource === 'sts.amazonaws.com' ? 'us-east-1' : region,
    sourceIPAddress: `198.51.100.${n % 255}`,
    userAgent: 'aws-sdk-js/3.700.0 ua/2.1 os/linux#6.8 lang/js md/nodejs#20.18.0',
    requestParameters,
    responseElements: null,
    requestID: `req-${n.toString(16).padStart(12, '0')}`,
    eventID: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: eventSource },
  };
}

interface Written {
  readonly key: string;
  readonly records: number;
}

/** Writes one gzipped log file with `count` records delivered at `deliveredMs`; returns its key. */
function writeLog(
  root: string,
  rnd: () => number,
  o: { account: string; region: string; deliveredMs: number; count: number; match: number; unique: string },
): Written {
  const d = new Date(o.deliveredMs).toISOString();
  const [y, m, day, hh, mm] = [d.slice(0, 4), d.slice(5, 7), d.slice(8, 10), d.slice(11, 13), d.slice(14, 16)];
  const key =
    `AWSLogs/${ORG}/${o.account}/CloudTrail/${o.region}/${y}/${m}/${day}/` +
    `${o.account}_CloudTrail_${o.region}_${y}${m}${day}T${hh}${mm}Z_${o.unique}.json.gz`;
  const list: Rec[] = [];
  for (let i = 0; i < o.count; i++) {
    list.push(record(rnd, o.account, o.region, o.deliveredMs - 300_000 + Math.floor((i / o.count) * 295_000), o.match));
  }
  mkdirSync(dirname(join(root, key)), { recursive: true });
  writeFileSync(join(root, key), gzipSync(JSON.stringify({ Records: list })));
  return { key, records: o.count };
}

const unique = (n: number) => `Bn${n.toString(36).padStart(14, '0')}`.slice(0, 16);

function generate(
  root: string,
  c: { accounts: number; regions: number; deliveries: number; big: number; match: number },
) {
  const rnd = prng(7);
  const day: Written[] = [];
  const big: Written[] = [];
  let n = 0;
  for (let a = 0; a < c.accounts; a++) {
    const account = String(110000000100 + a);
    for (let r = 0; r < c.regions; r++) {
      const region = ALL_REGIONS[r % ALL_REGIONS.length]!;
      for (let k = 0; k < c.deliveries; k++) {
        // Spread over the day; sizes log-uniform between 100 and 10,000 records.
        const deliveredMs = DAY + Math.floor(((k + rnd()) / c.deliveries) * 86_000_000) + 600_000;
        const count = Math.round(100 * 100 ** rnd());
        day.push(writeLog(root, rnd, { account, region, deliveredMs, count, match: c.match, unique: unique(n++) }));
      }
    }
  }
  for (let b = 0; b < c.big; b++) {
    const account = String(110000000100 + (b % c.accounts));
    big.push(
      writeLog(root, rnd, {
        account,
        region: 'eu-west-1',
        deliveredMs: DAY + 3_600_000 + b * 60_000,
        count: 10_000,
        match: c.match,
        unique: unique(n++),
      }),
    );
  }
  return { day, big };
}

const pct = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function run(): Promise<void> {
  const c = {
    accounts: Number(process.env['BENCH_SWEEP_ACCOUNTS'] ?? 50),
    regions: Number(process.env['BENCH_SWEEP_REGIONS'] ?? 4),
    deliveries: Number(process.env['BENCH_SWEEP_DELIVERIES'] ?? 2),
    big: Number(process.env['BENCH_SWEEP_BIG'] ?? 30),
    match: Number(process.env['BENCH_SWEEP_MATCH'] ?? 0.001),
  };
  const root = mkdtempSync(join(tmpdir(), 'vigil-sweep-bench-'));
  try {
    const genStart = performance.now();
    const { day, big } = generate(root, c);
    const dayRecords = day.reduce((s, f) => s + f.records, 0);
    process.stdout.write(
      `corpus: ${c.accounts} accounts × ${c.regions} regions × ${c.deliveries} deliveries = ${day.length} files, ` +
        `${int(dayRecords)} records (100–10,000 per file), ${c.match * 100} % matching; plus ${big.length} files of ` +
        `10,000 records; written in ${((performance.now() - genStart) / 1000).toFixed(1)} s\n`,
    );

    const inventory = loadInventory(join(__dirname, '..', 'config', 'org.json'));
    const outcomes: TriageOutcome[] = [];
    let clock = DAY + 2 * 86_400_000;
    const flow = createSweepFlow({
      triage: {
        context: makeTriageContext(toHandlerInventory(inventory), CATALOG, PREDICATES),
        store: new MemoryDedupeStore(),
        tags: { read: async () => ({ status: 'not-applicable' }) },
        notifier: { notify: async () => [] },
        requestRemediation: async () => undefined,
        routing: { default: { slackChannel: '#bench' } },
        now: () => new Date(clock),
        write: () => undefined,
      },
      catalog: compileCatalog(CATALOG, PREDICATES),
      objects: localTrailObjects({
        root,
        window: sweepWindow(DAY - 86_400_000, DAY + 2 * 86_400_000),
        publicKeys: [],
        signatures: new Map(),
      }),
      ledger: new MemorySweepLedger(),
      layout: { organizationId: ORG, managementAccountId: inventory.managementAccountId },
      observeFinding: (o) => outcomes.push(o),
    });
    const sweepOne = async (key: string, i: number) => {
      clock += 1;
      const body = JSON.stringify({
        Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: BUCKET }, object: { key } } }],
      });
      const out = await flow({ Records: [{ messageId: `m-${i}`, body }] });
      if (out.batchItemFailures.length > 0) throw new Error(`${key} was not swept`);
    };

    // Warm-up (JIT, catalog caches), then the heap after a full GC is the baseline.
    await sweepOne(big[0]!.key, -1);
    gc();
    const heapStart = process.memoryUsage().heapUsed;
    let heapPeak = heapStart;
    // Generation ran in this process: RSS is sampled from here on, not the process's lifetime peak.
    const rssStart = process.memoryUsage().rss;
    let rssPeak = rssStart;
    const started = performance.now();
    for (const [i, f] of day.entries()) {
      await sweepOne(f.key, i);
      if (i % 10 === 0) {
        const m = process.memoryUsage();
        heapPeak = Math.max(heapPeak, m.heapUsed);
        rssPeak = Math.max(rssPeak, m.rss);
      }
    }
    const daySeconds = (performance.now() - started) / 1000;
    const bigMs: number[] = [];
    for (const [i, f] of big.entries()) {
      const t = performance.now();
      await sweepOne(f.key, day.length + i);
      bigMs.push(performance.now() - t);
      const m = process.memoryUsage();
      heapPeak = Math.max(heapPeak, m.heapUsed);
      rssPeak = Math.max(rssPeak, m.rss);
    }
    gc();
    const heapEnd = process.memoryUsage().heapUsed;
    const files = day.length + big.length;
    const late = outcomes.filter((o) => o.late).length;
    bigMs.sort((a, b) => a - b);
    process.stdout.write(
      `sweep, a day: ${day.length} files in ${daySeconds.toFixed(1)} s: ${(day.length / daySeconds).toFixed(1)} files/s, ` +
        `${int(dayRecords / daySeconds)} records/s; ${outcomes.length} findings (${late} late: the store is empty)\n` +
        `sweep, a 10,000-record file (${bigMs.length} files): p50 ${bigMs.length ? pct(bigMs, 50).toFixed(0) : '-'} ms, ` +
        `p99 ${bigMs.length ? pct(bigMs, 99).toFixed(0) : '-'} ms\n` +
        `memory: RSS ${mib(rssStart)} MiB before the sweep, peak ${mib(rssPeak)} MiB during it; heap after GC ${mib(heapStart)} MiB before, ` +
        `${mib(heapEnd)} MiB after ${files} files (${int((heapEnd - heapStart) / files)} bytes retained per file: ` +
        `the ledger and dedupe entries), peak ${mib(heapPeak)} MiB\n`,
    );

    // Replay over the same day, for comparison (it also reads the 10,000-record files).
    let summary = '';
    const replayStart = performance.now();
    await replay(['--json', join(root, 'AWSLogs')], {
      stdout: (text) => {
        const last = text.slice(text.lastIndexOf('\n') + 1);
        if (last.startsWith('{"summary"')) summary = last;
      },
      stderr: () => undefined,
      stderrIsTTY: false,
    });
    const replaySeconds = (performance.now() - replayStart) / 1000;
    const s = JSON.parse(summary) as { summary: { recordsRead: number } };
    process.stdout.write(
      `replay, same folder: ${int(s.summary.recordsRead)} records in ${replaySeconds.toFixed(1)} s: ` +
        `${int(s.summary.recordsRead / replaySeconds)} records/s\n`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
