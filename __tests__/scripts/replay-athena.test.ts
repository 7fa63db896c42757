import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { CATALOG } from '../../rules/catalog';
import { admits, candidateFilter } from '../../scripts/athena/filter';
import { COLUMNS } from '../../scripts/athena/table';
import { main, SPEC } from '../../scripts/replay-athena';
import { main as replay } from '../../scripts/replay';
import { type Json, RECORDS, rowOf } from './athena/rows';
import 'aws-sdk-client-mock-jest';

const ROOT = resolve(__dirname, '../..');
const athena = mockClient(AthenaClient);
const s3 = mockClient(S3Client);
beforeEach(() => {
  athena.reset();
  s3.reset();
});

const QUIET = { stderrIsTTY: false, progress: () => undefined };
const HEADER = { Data: COLUMNS.map((c) => ({ VarCharValue: c.field.toLowerCase() })) };
const asRow = (values: (string | undefined)[]) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});

/** The candidates Athena returns, in its ORDER BY: fixture records the filter admits, by event time then id. */
const CANDIDATES = RECORDS.filter((r) => admits(candidateFilter(CATALOG), r)).sort(
  (a, b) =>
    String(a['eventTime']).localeCompare(String(b['eventTime'])) ||
    String(a['eventID']).localeCompare(String(b['eventID'])),
);

/** Serves `rows` as GetQueryResults pages of `size` rows (the header first, as Athena does). */
function serve(rows: (string | undefined)[][], size = 1000): void {
  const all = [HEADER, ...rows.map(asRow)];
  const pages = Math.max(1, Math.ceil(all.length / size));
  for (let p = 0; p < pages; p++) {
    const page = {
      ResultSet: { Rows: all.slice(p * size, (p + 1) * size) },
      ...(p < pages - 1 ? { NextToken: `t${p + 1}` } : {}),
    };
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', ...(p === 0 ? {} : { NextToken: `t${p}` }) })
      .resolves(page);
  }
}

function succeeds(scanned = 42e9): void {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena
    .on(GetQueryExecutionCommand)
    .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' }, Statistics: { DataScannedInBytes: 1e9 } } })
    .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: scanned } } });
}

/** Output lines with the summary's throughput (a timing) removed. */
function withoutThroughput(lines: string[]): unknown[] {
  return lines.map((l) => {
    if (!l.startsWith('{"summary"')) return l;
    const { summary } = JSON.parse(l) as { summary: Record<string, unknown> };
    const { throughput: _, ...rest } = summary;
    return rest;
  });
}

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

async function run(argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdout: (t) => out.push(...t.split('\n')),
    stderr: (l) => err.push(l),
    cwd: ROOT,
    athena: new AthenaClient({ region: 'eu-west-1' }),
    s3: new S3Client({ region: 'eu-west-1' }),
    replayIo: QUIET,
    sleep: async () => undefined,
  });
  return { code, out, err };
}

/** npm run replay on the records as JSON Lines on stdin: what local replay says of them. */
async function localReplay(records: readonly Json[], extra: string[] = []): Promise<string[]> {
  const out: string[] = [];
  const code = await replay(['-', '--json', ...extra], {
    ...QUIET,
    stdout: (t) => out.push(...t.split('\n')),
    stderr: () => undefined,
    cwd: ROOT,
    stdin: Readable.from([Buffer.from(records.map((r) => JSON.stringify(r)).join('\n'))]),
  });
  expect(code).toBe(0);
  return out;
}

describe('npm run replay:athena', () => {
  it('replays the candidates through npm run replay itself: the same output as local replay of those records', async () => {
    succeeds();
    serve(CANDIDATES.map(rowOf), 100);
    const r = await run(['--from', '2025-01-01', '--to', '2026-12-31', '--json']);
    expect(r.code).toBe(0);
    expect(withoutThroughput(r.out)).toEqual(withoutThroughput(await localReplay(CANDIDATES)));
    expect(r.out.length).toBeGreaterThan(50);
    expect(r.err).toContain('replay:athena: query q-1 scanned 42.00 GB ($0.21); replaying its candidates');
    // Every page was read, in order.
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input.NextToken)).toEqual([
      undefined,
      ...Array.from({ length: Math.ceil((CANDIDATES.length + 1) / 100) - 1 }, (_, i) => `t${i + 1}`),
    ]);
    const sql = String(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.QueryString);
    expect(sql).toContain(`"timestamp" BETWEEN '2024/12/31' AND '2027/01/01'`);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.WorkGroup).toBe('primary');
  });

  it('loses no alert to the filter: replay of only the candidates equals replay of every record (fixtures, replay corpus)', async () => {
    const corpus = resolve(ROOT, '__tests__/fixtures/replay/cloudtrail');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(path);
      }
    };
    walk(corpus);
    const logRecords = files.flatMap((f) => {
      try {
        const bytes = readFileSync(f);
        const text = (bytes[0] === 0x1f ? gunzipSync(bytes) : bytes).toString('utf8');
        return ((JSON.parse(text) as { Records?: Json[] }).Records ?? []).filter((r) => typeof r === 'object');
      } catch {
        return []; // the corpus holds deliberately truncated files
      }
    });
    const every = [...RECORDS, ...logRecords];
    const filter = candidateFilter(CATALOG);
    const kept = every.filter((r) => admits(filter, r));
    expect(kept.length).toBeLessThan(every.length);
    const matches = (lines: string[]) => lines.filter((l) => l.startsWith('{') && !l.startsWith('{"summary"'));
    expect(matches(await localReplay(kept))).toEqual(matches(await localReplay(every)));
  });

  it('dry run: prints the query and the estimated scan and cost, runs nothing', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'a', Size: 3e6 },
        { Key: 'b', Size: 2e6 },
      ],
    });
    const r = await run(['--from', '2026-03-01', '--to', '2026-03-31', '--regions', 'eu-west-1', '--dry-run']);
    expect(r.code).toBe(0);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
    // 33 days (one each side) × 1 region × the inventory's accounts, each sampled partition holding 5 MB.
    const accounts = (JSON.parse(readFileSync(join(ROOT, 'config/org.json'), 'utf8')) as { accounts: unknown[] })
      .accounts;
    const partitions = 33 * accounts.length;
    expect(r.out.at(-1)).toBe(
      `estimated scan: ${((partitions * 5e6) / 1e9).toFixed(2)} GB over ${partitions} partitions (from 24 sampled), about $0.01 at $5/TB`,
    );
    expect(r.out[0]).toMatch(/^SELECT "eventversion"/);
    const prefixes = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix);
    expect(prefixes).toHaveLength(24);
    expect(prefixes[0]).toMatch(/^AWSLogs\/o-k3m9x2p7qa\/\d{12}\/CloudTrail\/eu-west-1\/2026\/0[23]\/\d\d\/$/);
  });

  it('refuses to start above --max-scan-gb, and stops a query that scans past it', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'a', Size: 5e9 }] });
    const refused = await run(['--from', '2026-03-01', '--to', '2026-03-02', '--max-scan-gb', '10']);
    expect(refused.code).toBe(3);
    expect(refused.err.at(-1)).toMatch(/refusing to run: the estimate is over --max-scan-gb 10/);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);

    s3.reset();
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'a', Size: 1 }] });
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { Status: { State: 'RUNNING' }, Statistics: { DataScannedInBytes: 11e9 } } });
    const stopped = await run(['--from', '2026-03-01', '--to', '2026-03-02', '--max-scan-gb', '10']);
    expect(stopped.code).toBe(3);
    expect(athena).toHaveReceivedCommandWith(StopQueryExecutionCommand, { QueryExecutionId: 'q-1' });
    expect(stopped.err.at(-1)).toBe(
      'replay:athena: query q-1 stopped: it scanned 11.00 GB, over the --max-scan-gb budget of 10.00 GB',
    );
  });

  it("fails loudly on a failed query, a table that is not vigil's, and foreign columns", async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND: vigil.cloudtrail' } },
    });
    const failed = await run(['--from', '2026-03-01', '--to', '2026-03-02']);
    expect([failed.code, failed.err.at(-1)]).toEqual([
      3,
      'replay:athena: query q-1 failed: TABLE_NOT_FOUND: vigil.cloudtrail',
    ]);

    athena.reset();
    succeeds();
    const struct = rowOf(CANDIDATES[0]!);
    struct[COLUMNS.findIndex((c) => c.field === 'userIdentity')] = '{type=Root}';
    serve([rowOf(CANDIDATES[1]!), struct]);
    const notOurs = await run(['--from', '2026-03-01', '--to', '2026-03-02']);
    expect(notOurs.code).toBe(3);
    expect(notOurs.err.at(-1)).toMatch(/the report above is incomplete: userIdentity is not JSON .*--setup/);

    athena.reset();
    succeeds();
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [{ Data: [{ VarCharValue: 'eventname' }] }] } });
    const foreign = await run(['--from', '2026-03-01', '--to', '2026-03-02']);
    expect([foreign.code, foreign.err.at(-1)]).toEqual([
      3,
      expect.stringMatching(
        /^replay:athena: reading the results failed: the query's columns are eventname; replay needs vigil's/,
      ),
    ]);
  });

  it('says so when nothing in the range can alert', async () => {
    succeeds(1e6);
    serve([]);
    const r = await run(['--from', '2026-03-01', '--to', '2026-03-02']);
    expect([r.code, r.out]).toEqual([
      0,
      ['no candidate records in the range: no detection of the catalog can alert on it'],
    ]);
  });

  it('lists every usage problem at once', async () => {
    const r = await run([
      '--from',
      '2026-02-30x',
      '--accounts',
      '999999999999,12',
      '--regions',
      'mars-1',
      '--max-scan-gb',
      '0',
      '--output',
      'bucket',
    ]);
    expect(r.code).toBe(2);
    const text = r.err.join('\n');
    for (const problem of [
      "--output 'bucket' is not an s3:// location",
      'give both --from and --to',
      '--accounts not in the inventory: 999999999999',
      '--regions not in the inventory: mars-1',
      "--max-scan-gb '0' must be a positive number",
    ]) {
      expect(text).toContain(problem);
    }
    expect((await run(['stray'])).err[0]).toContain("unexpected argument 'stray'");
  });

  it('is also npm run replay -- --athena', async () => {
    const out: string[] = [];
    const code = await replay(
      ['--athena', '--from', '2026-03-01', '--to', '2026-03-02', '--lake', 'EXAMPLEf852-4e8f'],
      {
        ...QUIET,
        stdout: (t) => out.push(...t.split('\n')),
        stderr: () => undefined,
        cwd: ROOT,
      },
    );
    expect([code, out[1]]).toEqual([0, 'FROM EXAMPLEf852-4e8f']);
  });

  it('--setup creates the database and the table; --lake prints the Lake query; --help shows the options', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    const setup = await run(['--setup', '--output', 's3://vigil-athena-results/backtest/']);
    expect(setup.code).toBe(0);
    const statements = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(statements.map((s) => String(s.QueryString).split('\n')[0])).toEqual([
      'CREATE DATABASE IF NOT EXISTS `vigil`',
      'CREATE EXTERNAL TABLE IF NOT EXISTS `vigil`.`cloudtrail` (',
    ]);
    expect(statements[0]!.ResultConfiguration).toEqual({ OutputLocation: 's3://vigil-athena-results/backtest/' });

    const lake = await run(['--from', '2026-03-01', '--to', '2026-03-02', '--lake', 'EXAMPLEf852-4e8f']);
    expect([lake.code, lake.out[1]]).toEqual([0, 'FROM EXAMPLEf852-4e8f']);
    const help = await run(['--help']);
    expect(help.out.join('\n')).toContain('--max-scan-gb');
    expect(SPEC.options.map((o) => o.flag)).toContain('--dry-run');
  });
});
