/**
 * `npm run coverage [-- --file <export.json>] [options]`
 *
 * Live (the default): reads the coverage table (`<prefix>-coverage` in the home region, config/naming.ts)
 * with the caller's credentials. Offline and without credentials (`--file`): reads a JSON export of the coverage table (heartbeat records, optionally the
 * coverage function's previous state; format in scripts/coverage-map/export.ts) and the org inventory, computes
 * coverage with the same pure core the scheduled coverage function uses (handlers/core/coverage.ts), and prints
 * the accounts × regions map: one symbol per cell (healthy, late, silent, not deployed), coloured on a terminal
 * unless NO_COLOR is set, with a legend, totals, the cells that need attention, accounts and opt-in regions the
 * inventory does not cover, and the measured time to detect (p50/p90/p99 of heartbeat latency). `--json` prints
 * the computed result instead. Both inputs are a CoverageSource (scripts/coverage-map/export.ts, table.ts).
 * Exit codes: see SPEC.
 */
import { resolve } from 'node:path';
import { loadInventory } from '../config/load';
import { InventoryError, type OrgInventory } from '../config/inventory';
import { tableNames } from '../config/naming';
import { type CoverageResult, coverageInventory, evaluateCoverage } from '../handlers/core/coverage';
import { type CommandSpec, formatHelp, parseCommandLine, reportUsageError, UsageError } from './cli/command';
import { CoverageExportError, type CoverageSource, fileSource } from './coverage-map/export';
import { renderCoverageMap } from './coverage-map/render';
import { tableSource } from './coverage-map/table';
import { runCli } from './run-cli';

/** The command line and `--help` of coverage. */
export const SPEC: CommandSpec = {
  name: 'coverage',
  synopsis: '[--file <export.json>] [options]',
  description:
    'Prints the coverage map: for every inventory account × enabled region and the global-service path, whether\n' +
    "heartbeats arrive (healthy), arrive late, stopped (silent) or the cell's schedule is not deployed; then what\n" +
    'needs attention and the time to detect measured on the heartbeats. Reads the live coverage table with your\n' +
    'AWS credentials (security account, home region), or offline an export of it (--file).\n' +
    'docs/coverage.md explains each status and what to do.',
  inputs:
    'Input: the coverage table (dynamodb:Scan and GetItem on <prefix>-coverage), or a JSON export of it ({ "format": "vigil-coverage-export", "version": 1,\n' +
    '"exportedAt", "heartbeats": [{ accountId, region, path, eventTime, arrivedAt }], "previous"?,\n' +
    '"notDeployed"?, "seenAccountIds"?, "optInRegions"? }), and the org inventory.',
  options: [
    {
      flag: '--file',
      value: '<export.json>',
      help: 'read this export of the coverage table instead of the live table (offline)',
    },
    { flag: '--inventory', value: '<file>', help: 'org inventory (default: config/org.json)' },
    {
      flag: '--now',
      value: '<time>',
      help: "evaluate at this ISO 8601 time (default: the export's exportedAt, else the clock)",
    },
    { flag: '--interval', value: '<minutes>', help: 'heartbeat rate the schedules use (default: 5)' },
    { flag: '--json', help: 'print the computed result as JSON (cells, counts, transitions, latency, state)' },
  ],
  exitCodes: [
    [0, 'every deployed cell is healthy or late, and no account or opt-in region is uncovered'],
    [1, 'a cell is silent (or the whole pipeline is), or an account or opt-in region is not covered'],
    [2, 'usage error, or the export or the inventory cannot be read'],
  ],
  examples: [
    'AWS_PROFILE=security npm run coverage',
    'npm run coverage -- --file coverage-export.json',
    'npm run coverage -- --file coverage-export.json --json | jq .counts',
    'NO_COLOR=1 npm run coverage -- --file coverage-export.json --now 2026-12-04T10:00:00Z',
  ],
};

/** The `--help` text. */
export const USAGE = formatHelp(SPEC);

export { UsageError } from './cli/command';

/** Parsed command line. */
export interface CoverageCliOptions {
  readonly file?: string;
  readonly inventory: string;
  readonly now?: Date;
  readonly intervalMinutes?: number;
  readonly json: boolean;
  readonly help: boolean;
}

/** Parses the command line; throws UsageError for unknown flags, bad values or a missing --file. */
export function parseArgs(argv: readonly string[]): CoverageCliOptions {
  const line = parseCommandLine(SPEC, argv);
  const get = (flag: string) => {
    const v = line.options.get(flag);
    return typeof v === 'string' ? v : undefined;
  };
  if (line.positionals.length > 0) {
    throw new UsageError(`unexpected argument '${line.positionals[0]}'; give an export with --file <export.json>`);
  }
  const file = get('--file');
  const nowText = get('--now');
  const now = nowText === undefined ? undefined : new Date(nowText);
  if (now !== undefined && !Number.isFinite(now.getTime())) {
    throw new UsageError(`--now needs an ISO 8601 time such as 2026-12-04T10:00:00Z, got '${nowText}'`);
  }
  const intervalText = get('--interval');
  const intervalMinutes = intervalText === undefined ? undefined : Number(intervalText);
  if (intervalMinutes !== undefined && !(Number.isFinite(intervalMinutes) && intervalMinutes > 0)) {
    throw new UsageError(`--interval needs a number of minutes above 0, got '${intervalText}'`);
  }
  return {
    inventory: get('--inventory') ?? 'config/org.json',
    json: line.options.has('--json'),
    help: line.help,
    ...(file === undefined ? {} : { file }),
    ...(now === undefined ? {} : { now }),
    ...(intervalMinutes === undefined ? {} : { intervalMinutes }),
  };
}

/** What main() needs from the outside world; tests replace parts of it. */
export interface CoverageIo {
  /** Writes `text` and a newline to stdout. @default - process.stdout */
  readonly stdout: (text: string) => void;
  /** Writes one line to stderr. @default - process.stderr */
  readonly stderr: (line: string) => void;
  /** Colour the map. @default - stdout is a terminal and NO_COLOR is unset or empty */
  readonly color: boolean;
  /** The clock, when neither --now nor the export says when. @default - the current time */
  readonly now: () => Date;
  /** Resolves relative paths. @default process.cwd() */
  readonly cwd: string;
  /** Where heartbeats come from. @default - the --file export, else the live coverage table */
  readonly source?: (options: CoverageCliOptions, cwd: string, inventory: OrgInventory) => CoverageSource;
}

/** Runs the command; resolves to the exit code instead of exiting, so tests can call it. */
export async function main(argv: readonly string[], io: Partial<CoverageIo> = {}): Promise<number> {
  const d: CoverageIo = { ...defaultIo(), ...io };
  let options: CoverageCliOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return reportUsageError(SPEC, d.stderr, error.message);
  }
  if (options.help) {
    d.stdout(USAGE);
    return 0;
  }

  let inventory: ReturnType<typeof loadInventory>;
  try {
    inventory = loadInventory(resolve(d.cwd, options.inventory));
  } catch (error) {
    if (!(error instanceof InventoryError)) throw error;
    d.stderr(`coverage: ${error.message}`);
    return 2;
  }

  const source = (d.source ?? defaultSource)(options, d.cwd, inventory);
  let snapshot: Awaited<ReturnType<CoverageSource['read']>>;
  try {
    snapshot = await source.read();
  } catch (error) {
    if (!(error instanceof CoverageExportError)) throw error;
    d.stderr(`coverage: ${error.message}`);
    return 2;
  }
  for (const s of snapshot.skipped) d.stderr(`coverage: skipped ${s}`);

  const now = options.now ?? (snapshot.exportedAt === undefined ? d.now() : new Date(snapshot.exportedAt));
  const result = evaluateCoverage({
    inventory: coverageInventory(inventory),
    heartbeats: snapshot.heartbeats,
    now,
    ...(snapshot.previous ? { previous: snapshot.previous } : {}),
    ...(snapshot.deployed ? { deployed: snapshot.deployed } : {}),
    ...(snapshot.seenAccountIds ? { seenAccountIds: snapshot.seenAccountIds } : {}),
    ...(snapshot.optInRegions ? { optInRegions: snapshot.optInRegions } : {}),
    ...(options.intervalMinutes === undefined ? {} : { options: { intervalMinutes: options.intervalMinutes } }),
  });

  if (options.json) d.stdout(JSON.stringify(result, null, 2));
  else d.stdout(renderCoverageMap(result, { color: d.color }).join('\n'));
  return exitCode(result);
}

/** 1 when something is dark or uncovered; late cells alone are a warning (0). */
export function exitCode(result: CoverageResult): number {
  const dark = result.counts.silent > 0 || result.unknownAccounts.length > 0 || result.uncoveredRegions.length > 0;
  return dark ? 1 : 0;
}

function defaultSource(options: CoverageCliOptions, cwd: string, inventory: OrgInventory): CoverageSource {
  const file = options.file;
  if (file === undefined) return tableSource(tableNames(inventory).coverage, inventory.homeRegion);
  return fileSource(file, resolve(cwd, file));
}

function defaultIo(): CoverageIo {
  return {
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    // https://no-color.org: any non-empty NO_COLOR turns colour off.
    color: process.stdout.isTTY === true && !process.env['NO_COLOR'],
    now: () => new Date(),
    cwd: process.cwd(),
  };
}

if (require.main === module) runCli('coverage', (argv) => main(argv), 1);
