/**
 * `npm run sweep -- --from <date> --to <date> <synced bucket folder> [--dedupe <export>] [--public-keys <file>]
 * [--json]`: the trail-log sweep's backfill, for incident review (issue #12, docs/sweep.md). Runs the deployed sweep
 * workflow (scripts/sweep/backfill.ts) over a local copy of the log-archive bucket for a window of event times,
 * validates the digests with the same code, and reconciles every finding with an export of the triage state table:
 * confirmed (real time handled it), late (real time missed it), with the gap by detection, account, region and
 * delay. Local and read-only: it sends no alert, requests no remediation, and calls no AWS API.
 *
 * Exit codes (SPEC, shown by --help): 0 nothing missed and no integrity problem; 1 late findings or trail-integrity
 * problems found; 2 bad arguments, unusable input (folder, dates, export, keys, inventory) or no log file in the
 * window; 3 the catalog cannot be compiled.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InventoryError, type OrgInventory } from '../config/inventory';
import { loadAlerting, loadInventory } from '../config/load';
import { tableNames } from '../config/naming';
import { toHandlerInventory } from '../handlers/core/inventory-view';
import { CatalogError, type CatalogRunner, compileCatalog } from '../handlers/core/sweep/catalog-runner';
import type { DigestPublicKey } from '../handlers/core/sweep/digest-validation';
import { CATALOG } from '../rules/catalog';
import { PREDICATES, type Predicate } from '../rules/predicates';
import type { Detection } from '../rules/types';
import { type CommandSpec, formatHelp, parseCommandLine, reportUsageError, UsageError } from './cli/command';
import { runCli } from './run-cli';
import { runBackfill } from './sweep/backfill';
import { type DedupeExport, DedupeExportError, readDedupeExport } from './sweep/dedupe-export';
import { DAY_MS, parsePublicKeys, sweepWindow } from './sweep/local-trail';
import { formatReport, gapStats, reportJson } from './sweep/report';

const DEFAULT_INVENTORY = 'config/org.json';
const DEFAULT_ALERTING = 'config/alerting.json';

export const SPEC: CommandSpec = {
  name: 'sweep',
  synopsis: '--from <date> --to <date> [options] <synced bucket folder>',
  description:
    'Backfill of the trail-log sweep: runs the deployed sweep workflow (same catalog, predicates, loop guard,\n' +
    'severities and dedupe keys as triage, in sweep mode) over a local copy of the log-archive bucket for the\n' +
    'events of --from to --to, validates the digest files with the same code, and reconciles each finding with an\n' +
    'export of the triage state table: confirmed (real time handled it) or late (missed by real time), with the gap\n' +
    'by detection, account, region and delay. Local and read-only: sends no alert, remediates nothing, calls no AWS API.',
  inputs:
    'Input: the folder the bucket was synced into, holding AWSLogs/<org id>/<account>/CloudTrail/<region>/YYYY/MM/DD/\n' +
    '*.json.gz (and CloudTrail-Digest/ for the digests), e.g.\n' +
    '  aws s3 sync s3://<trail bucket>/AWSLogs/<org id>/ ./trail/AWSLogs/<org id>/ --exclude "*" --include "*/2026/11/0[2-5]/*"\n' +
    'Log files are chosen by their folder date, from --from to the day after --to (files are dated by delivery, after\n' +
    'their events: sync that day too); records by eventTime.',
  options: [
    { flag: '--from', value: '<date>', help: 'first day (YYYY-MM-DD, UTC) or time (ISO 8601) of the events to sweep' },
    { flag: '--to', value: '<date>', help: 'last day (inclusive) or time (exclusive) of the events to sweep' },
    {
      flag: '--dedupe',
      value: '<export>',
      help: 'the triage state table: aws dynamodb scan --output json, or a DynamoDB export to S3 (DYNAMODB_JSON) folder',
    },
    {
      flag: '--public-keys',
      value: '<file>',
      help: 'aws cloudtrail list-public-keys output (one per region, concatenated); without it digests are not validated',
    },
    { flag: '--json', help: 'the report as one JSON document on stdout' },
    { flag: '--inventory', value: '<file>', help: `org inventory (default: ${DEFAULT_INVENTORY})` },
    {
      flag: '--alerting',
      value: '<file>',
      help: `alerting config whose repeat window triage applies (default: ${DEFAULT_ALERTING} when it exists)`,
    },
    {
      flag: '--grace',
      value: '<seconds>',
      help: 'grace period before a finding counts as late (default: 900, as deployed)',
    },
  ],
  exitCodes: [
    [0, 'swept: nothing missed by real time, no trail-integrity problem'],
    [1, 'swept: late findings (missed by real time) or trail-integrity problems found'],
    [2, 'usage error, unusable input (folder, dates, export, public keys, inventory), or no log file in the window'],
    [3, 'the catalog cannot be compiled'],
  ],
  examples: [
    'npm run sweep -- --from 2026-11-02 --to 2026-11-04 ./trail --dedupe dedupe.json',
    'npm run sweep -- --from 2026-11-02T10:00:00Z --to 2026-11-02T12:00:00Z ./trail --dedupe ./ddb-export --public-keys keys.json --json',
  ],
};

export const USAGE = formatHelp(SPEC);

export interface SweepIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (line: string) => void;
  readonly cwd: string;
  /** Real time, epoch ms (the simulated clock never passes it). @default Date.now */
  readonly now: () => number;
  readonly catalog: readonly Detection[];
  readonly predicates: Readonly<Record<string, Predicate>>;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** A `--from`/`--to` value as epoch ms: a day's start (or, for `--to`, the next day's start), or the time given. */
export function parseWhen(flag: string, value: string, end: boolean): number {
  const fix = 'use YYYY-MM-DD (a UTC day) or an ISO 8601 time with its zone, e.g. 2026-11-02T10:00:00Z';
  if (DATE_ONLY.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
      throw new UsageError(`${flag} '${value}' is not a date: ${fix}`);
    }
    return end ? ms + DAY_MS : ms;
  }
  const ms = DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new UsageError(`${flag} '${value}' is not a date or time: ${fix}`);
  return ms;
}

export interface SweepOptions {
  readonly help: boolean;
  readonly json: boolean;
  readonly fromMs: number;
  readonly toMs: number;
  readonly from: string;
  readonly to: string;
  readonly folder: string;
  readonly dedupe?: string;
  readonly publicKeys?: string;
  readonly inventory?: string;
  readonly alerting?: string;
  readonly graceSeconds?: number;
}

/** Parses and checks the command line; throws UsageError naming the problem and the fix. */
export function parseArgs(argv: readonly string[]): SweepOptions {
  const line = parseCommandLine(SPEC, argv);
  const opt = (flag: string) => {
    const v = line.options.get(flag);
    return typeof v === 'string' ? v : undefined;
  };
  const base = { help: line.help, json: line.options.has('--json') };
  if (line.help) return { ...base, fromMs: 0, toMs: 0, from: '', to: '', folder: '' };
  const from = opt('--from');
  const to = opt('--to');
  if (from === undefined || to === undefined) {
    throw new UsageError('give the window of event times to sweep: --from <date> --to <date> (YYYY-MM-DD, UTC)');
  }
  const fromMs = parseWhen('--from', from, false);
  const toMs = parseWhen('--to', to, true);
  if (toMs <= fromMs) throw new UsageError(`--to ${to} is not after --from ${from}: the window is empty`);
  if (line.positionals.length !== 1) {
    throw new UsageError(
      line.positionals.length === 0
        ? 'name the folder the trail bucket was synced into (the one holding AWSLogs/)'
        : `name one folder, got ${line.positionals.length}: ${line.positionals.join(' ')}`,
    );
  }
  const grace = opt('--grace');
  const graceSeconds = grace === undefined ? undefined : Number(grace);
  if (graceSeconds !== undefined && !(Number.isInteger(graceSeconds) && graceSeconds >= 0)) {
    throw new UsageError(`--grace '${grace}' is not a whole number of seconds`);
  }
  const dedupe = opt('--dedupe');
  const publicKeys = opt('--public-keys');
  const inventory = opt('--inventory');
  const alerting = opt('--alerting');
  return {
    ...base,
    fromMs,
    toMs,
    from,
    to,
    folder: line.positionals[0]!,
    ...(dedupe === undefined ? {} : { dedupe }),
    ...(publicKeys === undefined ? {} : { publicKeys }),
    ...(inventory === undefined ? {} : { inventory }),
    ...(alerting === undefined ? {} : { alerting }),
    ...(graceSeconds === undefined ? {} : { graceSeconds }),
  };
}

/** Runs the command; resolves to the exit code. */
export async function main(argv: readonly string[], io: Partial<SweepIo> = {}): Promise<number> {
  const d: SweepIo = { ...defaultIo(), ...io };
  const fail = (message: string) => {
    d.stderr(`sweep: ${message}`);
    return 2;
  };
  let options: SweepOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return reportUsageError(SPEC, d.stderr, error.message);
  }
  if (options.help) {
    (options.json ? d.stderr : d.stdout)(USAGE);
    return 0;
  }

  const root = resolve(d.cwd, options.folder);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    return fail(
      `${options.folder} is not a folder. Sync the trail bucket first: aws s3 sync s3://<trail bucket>/AWSLogs/ ` +
        `${options.folder}/AWSLogs/ (with --exclude/--include for the days you need)`,
    );
  }
  if (!existsSync(join(root, 'AWSLogs'))) {
    return fail(
      `${options.folder} has no AWSLogs/ folder: name the folder you synced the bucket into (the one holding ` +
        'AWSLogs/<org id>/…), not a folder inside it',
    );
  }

  let inventory: OrgInventory;
  try {
    inventory = loadInventory(resolve(d.cwd, options.inventory ?? DEFAULT_INVENTORY));
  } catch (error) {
    if (!(error instanceof InventoryError)) throw error;
    return fail(
      `${error.message}${options.inventory === undefined ? '\nRun from the project root, or pass --inventory <file>.' : ''}`,
    );
  }
  let repeatWindowSeconds: number | undefined;
  const alertingFile = resolve(d.cwd, options.alerting ?? DEFAULT_ALERTING);
  if (options.alerting !== undefined || existsSync(alertingFile)) {
    try {
      repeatWindowSeconds = loadAlerting(alertingFile).repeatWindowSeconds;
    } catch (error) {
      if (!(error instanceof InventoryError)) throw error;
      return fail(error.message);
    }
  }

  let dedupe: DedupeExport | undefined;
  if (options.dedupe !== undefined) {
    try {
      dedupe = readDedupeExport(resolve(d.cwd, options.dedupe), tableNames(inventory).triageState);
    } catch (error) {
      if (!(error instanceof DedupeExportError)) throw error;
      return fail(error.message);
    }
  }

  let publicKeys: DigestPublicKey[] = [];
  if (options.publicKeys !== undefined) {
    try {
      publicKeys = parsePublicKeys(readFileSync(resolve(d.cwd, options.publicKeys), 'utf8'));
    } catch (error) {
      return fail(
        `cannot use the public keys ${options.publicKeys}: ${(error as Error).message}. Write them with: for r in ` +
          `${inventory.regions.join(' ')}; do aws cloudtrail list-public-keys --region $r --start-time ${options.from}; ` +
          `done > ${options.publicKeys}`,
      );
    }
  }

  let runner: CatalogRunner;
  try {
    runner = compileCatalog(d.catalog, d.predicates);
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    d.stderr(`sweep: ${error.message}`);
    return 3;
  }

  const started = performance.now();
  const report = await runBackfill({
    root,
    window: sweepWindow(options.fromMs, options.toMs),
    inventory: toHandlerInventory(inventory),
    catalog: d.catalog,
    predicates: d.predicates,
    runner,
    ...(dedupe === undefined ? {} : { dedupe }),
    publicKeys,
    ...(repeatWindowSeconds === undefined ? {} : { repeatWindowSeconds }),
    ...(options.graceSeconds === undefined ? {} : { graceSeconds: options.graceSeconds }),
    now: d.now,
  });
  const context = {
    from: new Date(options.fromMs).toISOString(),
    to: new Date(options.toMs).toISOString(),
    root: options.folder,
    ...(dedupe === undefined || options.dedupe === undefined
      ? {}
      : { dedupe: `${options.dedupe} (${dedupe.format}, ${dedupe.events.size} event item(s))` }),
    elapsedMs: performance.now() - started,
    publicKeys: publicKeys.length,
  };
  if (options.json) d.stdout(JSON.stringify(reportJson(report, context)));
  else d.stdout(formatReport(report, context).join('\n'));
  if (report.logFiles === 0) {
    d.stderr(
      `sweep: no log file in ${options.folder} for ${context.from} to ${context.to}: check the dates and that the ` +
        'folder holds AWSLogs/<org id>/<account>/CloudTrail/<region>/YYYY/MM/DD/ for them',
    );
    return 2;
  }
  return gapStats(report.findings).late > 0 || report.integrity.length > 0 ? 1 : 0;
}

function defaultIo(): SweepIo {
  return {
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    cwd: process.cwd(),
    now: () => Date.now(),
    catalog: CATALOG,
    predicates: PREDICATES,
  };
}

if (require.main === module) runCli('sweep', (argv) => main(argv), 3);
