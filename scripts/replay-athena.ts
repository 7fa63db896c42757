/**
 * `npm run replay:athena -- --from <day> --to <day> [options]`: backtests the catalog over the organization trail's
 * whole history without downloading it (issue #17). Athena runs the catalog's forwarding layer, compiled to SQL
 * (scripts/athena/filter.ts), over vigil's table on the trail bucket (scripts/athena/table.ts) and returns only the
 * candidate records; they stream, in event-time order, into `npm run replay` itself (the same decision engine,
 * report, `--json` lines and `--verdicts`), so local work is proportional to the candidates, not to the history.
 *
 * Cost guardrails: `--dry-run` prints the query, the partitions it reads and an estimate of the bytes it scans (a
 * sample of the partitions listed in S3) and what that costs at Athena's rate, and runs nothing; `--max-scan-gb`
 * refuses to start above the budget and stops a running query that passes it. `--setup` creates the database and
 * table. `--lake <event data store>` prints the same filter as a CloudTrail Lake query.
 *
 * Exit codes: replay's (0 replayed, 1 catalog cannot compile, 2 bad arguments), and 3 when Athena or S3 fails or the
 * budget stops the query.
 */
import { Readable } from 'node:stream';
import { resolve } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { trailBucketName } from '../config/naming';
import { InventoryError, type OrgInventory } from '../config/inventory';
import { loadInventory } from '../config/load';
import { CATALOG } from '../rules/catalog';
import type { Detection } from '../rules/types';
import { candidateFilter } from './athena/filter';
import { athenaQuery, daysOf, lakeQuery, type QueryRange, rangeProblems, shiftDay } from './athena/query';
import { AthenaQueryError, costUsd, estimateScan, type Partition, resultRows, runQuery } from './athena/run';
import { createTableSql, recordFromRow, type TableSpec, trailRoot } from './athena/table';
import {
  type CommandSpec,
  errorMessage,
  formatHelp,
  parseCommandLine,
  reportUsageError,
  UsageError,
} from './cli/command';
import { main as replayMain, type ReplayIo } from './replay';
import { runCli } from './run-cli';

const DEFAULT_INVENTORY = 'config/org.json';

export const SPEC: CommandSpec = {
  name: 'replay:athena',
  synopsis: '--from <YYYY-MM-DD> --to <YYYY-MM-DD> [options]',
  description:
    "Backtests the catalog over the organization trail's history in S3: Athena returns only the records the\n" +
    "catalog's member forwarding rules could deliver (the filter never drops a record local replay would alert\n" +
    'on), and they run through npm run replay itself. --dry-run estimates the scan and its cost first.\n' +
    'Needs AWS credentials for the account that owns the Athena work group and can read the trail bucket.',
  inputs: 'No input files: the records come from the trail bucket through Athena.',
  options: [
    { flag: '--from', value: '<YYYY-MM-DD>', help: 'first day (UTC) of the backtest' },
    { flag: '--to', value: '<YYYY-MM-DD>', help: 'last day (UTC), included' },
    { flag: '--accounts', value: '<id,id,...>', help: 'only these accounts (default: every account)' },
    { flag: '--regions', value: '<r,r,...>', help: 'only these regions (default: every region)' },
    { flag: '--workgroup', value: '<name>', help: 'Athena work group (default: primary)' },
    { flag: '--output', value: '<s3://...>', help: "query result location (default: the work group's)" },
    { flag: '--database', value: '<name>', help: 'Glue database of the table (default: vigil)' },
    { flag: '--table', value: '<name>', help: 'table name (default: cloudtrail)' },
    {
      flag: '--since',
      value: '<YYYY-MM-DD>',
      help: 'with --setup: first day the table projects (default: 2020-01-01)',
    },
    { flag: '--max-scan-gb', value: '<n>', help: 'refuse to run (and stop a query) above this many GB scanned' },
    { flag: '--dry-run', help: 'print the query, partitions and the estimated scan and cost; run nothing' },
    { flag: '--setup', help: "create the database and vigil's table (partition projection), then exit" },
    {
      flag: '--lake',
      value: '<event data store id>',
      help: 'print the same filter as a CloudTrail Lake query, then exit',
    },
    { flag: '--inventory', value: '<file>', help: `org inventory (default: ${DEFAULT_INVENTORY})` },
    { flag: '--alerting', value: '<file>', help: 'passed to replay: the deployed repeat window' },
    { flag: '--verdicts', value: '<file>', help: 'passed to replay: responder verdicts export' },
    { flag: '--json', help: 'passed to replay: one JSON line per matched event, then the summary' },
    { flag: '--progress', help: 'passed to replay: progress on stderr even when it is not a terminal' },
  ],
  exitCodes: [
    [0, 'replayed (or --dry-run, --setup, --lake done)'],
    [1, 'the catalog cannot be compiled'],
    [2, 'usage error or unusable inventory'],
    [3, "Athena or S3 failed, the table is not vigil's, or the scan budget stopped the query"],
  ],
  examples: [
    'npm run replay:athena -- --setup',
    'npm run replay:athena -- --from 2026-01-01 --to 2026-12-31 --dry-run',
    'npm run replay:athena -- --from 2026-01-01 --to 2026-12-31 --max-scan-gb 500 --json > year.jsonl',
  ],
};

/** What main() needs from the outside world; tests replace parts of it. */
export interface AthenaReplayIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (line: string) => void;
  readonly cwd: string;
  readonly athena: AthenaClient;
  readonly s3: S3Client;
  readonly catalog: readonly Detection[];
  /** Passed to replay (tests silence its progress and clock). */
  readonly replayIo?: Partial<ReplayIo>;
  /** Athena polling. @default 2000 */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const list = (v: string | true | undefined): string[] | undefined =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : undefined;
const str = (v: string | true | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** Runs the command; resolves to the exit code. */
export async function main(argv: readonly string[], io: Partial<AthenaReplayIo> = {}): Promise<number> {
  const d: AthenaReplayIo = { ...defaultIo(), ...io };
  let line: ReturnType<typeof parseCommandLine>;
  try {
    line = parseCommandLine(SPEC, argv);
    if (line.positionals.length > 0) throw new UsageError(`unexpected argument '${line.positionals[0]}'`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return reportUsageError(SPEC, d.stderr, error.message);
  }
  if (line.help) {
    d.stdout(formatHelp(SPEC));
    return 0;
  }
  const o = line.options;
  let inventory: OrgInventory;
  try {
    inventory = loadInventory(resolve(d.cwd, str(o.get('--inventory')) ?? DEFAULT_INVENTORY));
  } catch (error) {
    if (!(error instanceof InventoryError)) throw error;
    d.stderr(`replay:athena: ${error.message}`);
    return 2;
  }
  const since = str(o.get('--since')) ?? '2020-01-01';
  const spec: TableSpec = {
    database: str(o.get('--database')) ?? 'vigil',
    table: str(o.get('--table')) ?? 'cloudtrail',
    bucket: trailBucketName(inventory),
    prefix: '',
    orgId: inventory.organizationId,
    accounts: inventory.accounts.map((a) => a.id),
    regions: inventory.regions,
    since: since.replaceAll('-', '/'),
  };
  const workGroup = str(o.get('--workgroup')) ?? 'primary';
  const output = str(o.get('--output'));
  const problems: string[] = [];
  if (output !== undefined && !/^s3:\/\/[a-z0-9][a-z0-9.-]+[a-z0-9](\/.*)?$/.test(output)) {
    problems.push(`--output '${output}' is not an s3:// location`);
  }

  if (o.has('--setup')) {
    if (problems.length > 0) return reportUsageError(SPEC, d.stderr, problems.join('; '));
    try {
      const sql = createTableSql(spec);
      for (const statement of [`CREATE DATABASE IF NOT EXISTS \`${spec.database}\``, sql]) {
        await runQuery({
          athena: d.athena,
          sql: statement,
          workGroup,
          ...(output ? { outputLocation: output } : {}),
          ...poll(d),
        });
      }
      d.stdout(
        `created ${spec.database}.${spec.table} over ${trailRoot(spec)} (partition projection since ${spec.since})`,
      );
      return 0;
    } catch (error) {
      d.stderr(`replay:athena: setup failed: ${errorMessage(error)}`);
      return error instanceof AthenaQueryError ? 3 : 2;
    }
  }

  const from = str(o.get('--from'));
  const to = str(o.get('--to'));
  if (from === undefined || to === undefined) problems.push('give both --from and --to (YYYY-MM-DD, UTC)');
  const accounts = list(o.get('--accounts'));
  const regions = list(o.get('--regions'));
  const range: QueryRange = {
    from: from ?? '',
    to: to ?? '',
    ...(accounts ? { accounts } : {}),
    ...(regions ? { regions } : {}),
  };
  if (from !== undefined && to !== undefined) problems.push(...rangeProblems(range));
  const unknownAccounts = (accounts ?? []).filter((a) => /^\d{12}$/.test(a) && !spec.accounts.includes(a));
  if (unknownAccounts.length > 0) problems.push(`--accounts not in the inventory: ${unknownAccounts.join(', ')}`);
  const unknownRegions = (regions ?? []).filter((r) => !spec.regions.includes(r));
  if (unknownRegions.length > 0) problems.push(`--regions not in the inventory: ${unknownRegions.join(', ')}`);
  const maxGb = str(o.get('--max-scan-gb'));
  const maxScanBytes = maxGb === undefined ? undefined : Number(maxGb) * 1e9;
  if (maxScanBytes !== undefined && !(maxScanBytes > 0))
    problems.push(`--max-scan-gb '${maxGb}' must be a positive number`);
  if (problems.length > 0) return reportUsageError(SPEC, d.stderr, problems.join('\nreplay:athena: '));

  const filter = candidateFilter(d.catalog);
  const lake = str(o.get('--lake'));
  if (lake !== undefined) {
    try {
      d.stdout(lakeQuery(lake, range, filter));
    } catch (error) {
      return reportUsageError(SPEC, d.stderr, errorMessage(error));
    }
    return 0;
  }
  const sql = athenaQuery(spec, range, filter);

  // Partitions read: the range's days and one on each side (athenaQuery), per account and region.
  const partitions: Partition[] = [];
  for (const account of accounts ?? spec.accounts) {
    for (const region of regions ?? spec.regions) {
      for (const day of daysOf({ from: shiftDay(range.from, -1), to: shiftDay(range.to, 1) })) {
        partitions.push({ account, region, day });
      }
    }
  }
  const needEstimate = o.has('--dry-run') || maxScanBytes !== undefined;
  if (needEstimate) {
    let estimate: Awaited<ReturnType<typeof estimateScan>>;
    try {
      estimate = await estimateScan({
        s3: d.s3,
        bucket: spec.bucket,
        root: `${spec.prefix}AWSLogs/${spec.orgId}/`,
        partitions,
      });
    } catch (error) {
      d.stderr(`replay:athena: cannot list s3://${spec.bucket} to estimate the scan: ${errorMessage(error)}`);
      return 3;
    }
    const summary =
      `estimated scan: ${(estimate.bytes / 1e9).toFixed(2)} GB over ${estimate.partitions.toLocaleString('en-US')} ` +
      `partitions (from ${estimate.sampled} sampled), about $${costUsd(estimate.bytes).toFixed(2)} at $5/TB`;
    if (o.has('--dry-run')) {
      d.stdout(sql);
      d.stdout(summary);
      return 0;
    }
    d.stderr(`replay:athena: ${summary}`);
    if (maxScanBytes !== undefined && estimate.bytes > maxScanBytes) {
      d.stderr(
        `replay:athena: refusing to run: the estimate is over --max-scan-gb ${maxGb}; narrow the range, accounts or regions`,
      );
      return 3;
    }
  }

  let done: Awaited<ReturnType<typeof runQuery>>;
  try {
    done = await runQuery({
      athena: d.athena,
      sql,
      workGroup,
      ...(output ? { outputLocation: output } : {}),
      ...(maxScanBytes !== undefined ? { maxScanBytes } : {}),
      onProgress: (p) =>
        d.stderr(`replay:athena: ${p.state.toLowerCase()}, ${(p.scannedBytes / 1e9).toFixed(2)} GB scanned`),
      ...poll(d),
    });
  } catch (error) {
    d.stderr(`replay:athena: ${errorMessage(error)}`);
    return 3;
  }
  d.stderr(
    `replay:athena: query ${done.queryExecutionId} scanned ${(done.scannedBytes / 1e9).toFixed(2)} GB ` +
      `($${costUsd(done.scannedBytes).toFixed(2)}); replaying its candidates`,
  );

  let failure: unknown;
  const rows = resultRows(d.athena, done.queryExecutionId);
  let first: IteratorResult<(string | undefined)[]>;
  try {
    first = await rows.next();
  } catch (error) {
    d.stderr(`replay:athena: reading the results failed: ${errorMessage(error)}`);
    return 3;
  }
  if (first.done) {
    d.stdout('no candidate records in the range: no detection of the catalog can alert on it');
    return 0;
  }
  async function* all(): AsyncGenerator<(string | undefined)[]> {
    yield first.value as (string | undefined)[];
    yield* rows;
  }
  async function* lines(): AsyncGenerator<Buffer> {
    try {
      for await (const values of all()) {
        const result = recordFromRow(values);
        if ('problem' in result) throw new AthenaQueryError(result.problem);
        yield Buffer.from(`${JSON.stringify(result.record)}\n`);
      }
    } catch (error) {
      failure = error;
    }
  }
  const replayArgs = ['-'];
  for (const flag of ['--json', '--progress']) if (o.has(flag)) replayArgs.push(flag);
  for (const flag of ['--inventory', '--alerting', '--verdicts']) {
    const v = str(o.get(flag));
    if (v !== undefined) replayArgs.push(flag, v);
  }
  const code = await replayMain(replayArgs, {
    stdout: d.stdout,
    stderr: d.stderr,
    cwd: d.cwd,
    catalog: d.catalog,
    ...d.replayIo,
    stdin: Readable.from(lines()),
  });
  if (failure !== undefined) {
    d.stderr(`replay:athena: reading the results failed, the report above is incomplete: ${errorMessage(failure)}`);
    return 3;
  }
  return code;
}

const poll = (d: AthenaReplayIo) => ({
  ...(d.pollMs !== undefined ? { pollMs: d.pollMs } : {}),
  ...(d.sleep ? { sleep: d.sleep } : {}),
});

function defaultIo(): AthenaReplayIo {
  return {
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (text) => process.stderr.write(`${text}\n`),
    cwd: process.cwd(),
    athena: new AthenaClient({}),
    s3: new S3Client({}),
    catalog: CATALOG,
  };
}

if (require.main === module) runCli('replay:athena', (argv) => main(argv), 1);
