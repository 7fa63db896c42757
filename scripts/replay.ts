/**
 * `npm run replay -- [--json] [--inventory <file>] [--progress] <files, folders or ->`: the sandbox for tuning
 * detections before deploying them. Reads its inputs with the shared CLI reader (scripts/cli/inputs.ts: CloudTrail
 * log files as delivered to S3, `.json` or `.json.gz`; EventBridge events, arrays, JSON Lines; folders; stdin), runs
 * the central rules over each event the way the deployed rules would (read-only management events only for
 * detections whose member rule receives them; member forwarding rules of the event's region) and hands what they
 * queue to the deployed triage workflow itself (scripts/replay/engine.ts), so the alerts, digest entries and drops
 * it reports are production's. It reports matches, alerts and alerts per day of the corpus span, digest entries,
 * what triage held back or dropped and why, samples, events the member rules would not forward (catalog bugs),
 * every file it skipped or ignored and the records it skipped. Read-only: it never calls AWS and writes nothing
 * but its report.
 *
 * Exit codes (see SPEC, shown by --help): 0 replayed (even when some files or records were skipped; they are
 * reported); 1 the catalog cannot be compiled (an invalid pattern or an unknown predicate); 2 bad arguments, a
 * missing input, an unusable inventory file, or no event could be read from the inputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { InventoryError, type OrgInventory } from '../config/inventory';
import { toHandlerInventory } from '../handlers/core/inventory-view';
import { loadAlerting, loadInventory } from '../config/load';
import { CATALOG } from '../rules/catalog';
import { PREDICATES, type Predicate } from '../rules/predicates';
import type { Detection } from '../rules/types';
import {
  CatalogError,
  type CatalogRunner,
  compileCatalog,
  formatSummary,
  matchLine,
  ReplayTally,
  summaryLine,
} from './replay/core';
import { fileTaskContext, runFiles } from './replay/pool';
import { makeReplayEngine } from './replay/engine';
import { formatVerdicts, parseVerdictExport, summarizeVerdicts, type VerdictSummary } from './replay/verdicts';
import {
  type CommandSpec,
  formatHelp,
  formatIgnored,
  nothingReadMessage,
  parseCommandLine,
  reportUsageError,
  UsageError,
} from './cli/command';
import { INPUTS_HELP, listInputs, locate, missingInputHint, type ReadOptions } from './cli/inputs';
import { runCli } from './run-cli';

const DEFAULT_INVENTORY = 'config/org.json';
const DEFAULT_ALERTING = 'config/alerting.json';

/** The command line and `--help` of replay. */
export const SPEC: CommandSpec = {
  name: 'replay',
  synopsis: '[options] <file, folder or ->...',
  description:
    'Replays CloudTrail logs and EventBridge events the way the deployed rules would (member forwarding, rule\n' +
    'state, central patterns) and through the deployed triage workflow itself (loop guard, predicates, supersession,\n' +
    'severity, dedupe, repeat window, bursts, digest), and reports per detection matches, alerts, alerts/day over the\n' +
    'corpus span, digest entries, what triage held back or dropped and why, samples, catalog bugs, and every file\n' +
    'or record it skipped or ignored. With --verdicts, also what your responders said of each detection.\n' +
    'Read-only: never calls AWS.',
  inputs: INPUTS_HELP,
  options: [
    { flag: '--json', help: 'one JSON line per matched event, then one {"summary": ...} line; nothing else on stdout' },
    {
      flag: '--inventory',
      value: '<file>',
      help: `org inventory whose account ids the predicates use (default: ${DEFAULT_INVENTORY})`,
    },
    {
      flag: '--alerting',
      value: '<file>',
      help: `alerting config whose repeat window triage applies (default: ${DEFAULT_ALERTING} when it exists, else 900 s)`,
    },
    { flag: '--progress', help: 'show progress on stderr even when it is not a terminal' },
    {
      flag: '--athena',
      help: 'backtest the trail bucket through Athena instead of files (= npm run replay:athena; see its --help)',
    },
    {
      flag: '--workers',
      value: '<n>',
      help: 'threads reading files (default: min(2, CPUs) for inputs over 16 MB, else 1); the output does not depend on it',
    },
    {
      flag: '--verdicts',
      value: '<file>',
      help: 'responder verdicts exported from the audit table (aws dynamodb scan JSON, or JSON Lines): precision per detection and the noisy ones',
    },
  ],
  exitCodes: [
    [0, 'replayed (skipped and ignored files and records are listed in the summary, and do not change the code)'],
    [1, 'the catalog cannot be compiled (an invalid pattern or an unknown predicate)'],
    [2, 'usage error, missing input, unusable inventory, or no event could be read from the inputs'],
  ],
  examples: [
    'npm run replay -- ~/cloudtrail/AWSLogs/o-abc123/110000000006/CloudTrail/eu-west-1/2026/11',
    'npm run replay -- --json ./logs > matches.jsonl',
    'aws s3 cp s3://<trail bucket>/<key>.json.gz - | npm run replay -- -',
  ],
};

/** The `--help` text. */
export const USAGE = formatHelp(SPEC);

/** What main() needs from the outside world; tests replace parts of it. */
export interface ReplayIo {
  /** Writes `text` and a newline to stdout (`text` may hold several lines). @default - process.stdout */
  readonly stdout: (text: string) => void;
  /** Writes one line to stderr. @default - process.stderr */
  readonly stderr: (line: string) => void;
  /** Replaces the progress status on stderr; `''` clears it. @default - `\r` + status on process.stderr */
  readonly progress: (status: string) => void;
  /** Whether stderr is a terminal (progress is shown by default only then). @default process.stderr.isTTY */
  readonly stderrIsTTY: boolean;
  /** Monotonic milliseconds, for throughput and progress. @default performance.now */
  readonly now: () => number;
  /** Resolves relative input and inventory paths. @default process.cwd() */
  readonly cwd: string;
  /** The detections to replay. @default CATALOG */
  readonly catalog: readonly Detection[];
  /** Predicates by name. @default PREDICATES */
  readonly predicates: Readonly<Record<string, Predicate>>;
  /** What `-` reads. @default process.stdin */
  readonly stdin?: ReadOptions['stdin'];
}

export { UsageError } from './cli/command';

/** Parsed command line. */
export interface ReplayOptions {
  readonly inputs: readonly string[];
  readonly json: boolean;
  /** @default - config/org.json */
  readonly inventory?: string;
  readonly progress: boolean;
  readonly help: boolean;
  /** Export of responder verdicts. @default - none */
  readonly verdicts?: string;
  /** @default - config/alerting.json when it exists */
  readonly alerting?: string;
  /** Worker threads reading files. @default - min(2, CPUs) when the inputs exceed 16 MB, else 1 */
  readonly workers?: number;
}

/** Parses the command line; throws UsageError for unknown flags, a flag without its value, or no inputs. */
export function parseArgs(argv: readonly string[]): ReplayOptions {
  const line = parseCommandLine(SPEC, argv);
  const inventory = line.options.get('--inventory');
  const verdicts = line.options.get('--verdicts');
  const alerting = line.options.get('--alerting');
  const workers = line.options.get('--workers');
  if (typeof workers === 'string' && !/^[1-9]\d{0,2}$/.test(workers)) {
    throw new UsageError(`--workers takes a number of threads from 1 to 999, got '${workers}'`);
  }
  if (line.positionals.length === 0 && !line.help) {
    throw new UsageError('name at least one CloudTrail log or event file, folder, or - for stdin');
  }
  return {
    inputs: line.positionals,
    json: line.options.has('--json'),
    progress: line.options.has('--progress'),
    help: line.help,
    ...(typeof inventory === 'string' ? { inventory } : {}),
    ...(typeof verdicts === 'string' ? { verdicts } : {}),
    ...(typeof alerting === 'string' ? { alerting } : {}),
    ...(typeof workers === 'string' ? { workers: Number(workers) } : {}),
  };
}

/** Inputs smaller than this are read in process by default: starting a worker costs more than it saves. */
const WORKERS_FROM_BYTES = 16e6;

/** Skipped records echoed to stderr as they happen; the summary counts all of them. */
const RECORD_SKIPS_LOGGED = 20;
/** Matched-event lines buffered before writing in --json mode. */
const JSON_LINES_PER_WRITE = 512;
/** Progress refreshes at most this often. */
const PROGRESS_INTERVAL_MS = 100;

/** Runs the command; resolves to the exit code instead of exiting, so tests can call it. */
export async function main(argv: readonly string[], io: Partial<ReplayIo> = {}): Promise<number> {
  const d: ReplayIo = { ...defaultIo(), ...io };
  // `npm run replay -- --athena --from … --to …` is `npm run replay:athena` (scripts/replay-athena.ts), which
  // streams Athena's candidate records back into this command.
  if (argv.includes('--athena')) {
    const athena = await import('./replay-athena');
    return athena.main(
      argv.filter((a) => a !== '--athena'),
      { stdout: d.stdout, stderr: d.stderr, cwd: d.cwd, catalog: d.catalog },
    );
  }

  let options: ReplayOptions;
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

  const listing = await listInputs(options.inputs, d.cwd);
  if (listing.missing.length > 0) {
    return reportUsageError(SPEC, d.stderr, listing.missing.map((m) => missingInputHint(m, d.cwd)).join('\nreplay: '));
  }

  let inventory: OrgInventory;
  const inventoryFile = resolve(d.cwd, options.inventory ?? DEFAULT_INVENTORY);
  try {
    inventory = loadInventory(inventoryFile);
  } catch (error) {
    if (!(error instanceof InventoryError)) throw error;
    d.stderr(`replay: ${error.message}`);
    if (options.inventory === undefined) d.stderr('Run from the project root, or pass --inventory <file>.');
    return 2;
  }

  // The repeat window as deployed: triage suppresses repeats for alerting.repeatWindowSeconds.
  let repeatWindowSeconds: number | undefined;
  const alertingFile = resolve(d.cwd, options.alerting ?? DEFAULT_ALERTING);
  if (options.alerting !== undefined || existsSync(alertingFile)) {
    try {
      repeatWindowSeconds = loadAlerting(alertingFile).repeatWindowSeconds;
    } catch (error) {
      if (!(error instanceof InventoryError)) throw error;
      d.stderr(`replay: ${error.message}`);
      return 2;
    }
  }

  let verdicts: VerdictSummary[] | undefined;
  if (options.verdicts !== undefined) {
    const file = resolve(d.cwd, options.verdicts);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      d.stderr(`replay: cannot read the verdicts export ${options.verdicts}: ${(error as Error).message}`);
      d.stderr(
        'Export them with: aws dynamodb scan --table-name <prefix>-remediation-audit ' +
          `--filter-expression 'begins_with(pk, :v)' --expression-attribute-values '{":v":{"S":"verdict#"}}' > verdicts.json`,
      );
      return 2;
    }
    const parsed = parseVerdictExport(text, options.verdicts);
    for (const problem of parsed.problems) d.stderr(`replay: skipped verdict ${problem}`);
    verdicts = summarizeVerdicts(parsed.records);
  }

  let runner: CatalogRunner;
  try {
    runner = compileCatalog(d.catalog, d.predicates);
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    d.stderr(`replay: ${error.message}`);
    return 1;
  }
  // Triage as deployed: the same workflow, on an in-memory dedupe store, with the clock at each event's time.
  const engine = makeReplayEngine({
    inventory: toHandlerInventory(inventory),
    catalog: d.catalog,
    predicates: d.predicates,
    ...(repeatWindowSeconds === undefined ? {} : { repeatWindowSeconds }),
  });

  const tally = new ReplayTally(d.catalog);
  const totalBytes = listing.files.reduce((sum, f) => sum + f.size, 0);
  let bytesRead = 0;
  let bytesDecompressed = 0;
  let filesDone = 0;
  let records = 0;
  /** Records that became events: none means nothing could be read (exit code 2). */
  let evaluated = 0;
  let recordSkipsLogged = 0;
  const jsonLines: string[] = [];
  const started = d.now();

  const showProgress = options.progress || d.stderrIsTTY;
  let lastProgress = Number.NEGATIVE_INFINITY;
  let progressShown = false;
  const progress = (force = false) => {
    if (!showProgress) return;
    const now = d.now();
    if (!force && now - lastProgress < PROGRESS_INTERVAL_MS) return;
    lastProgress = now;
    const seconds = (now - started) / 1000;
    const pct = totalBytes > 0 ? ` (${Math.min(100, Math.floor((bytesRead / totalBytes) * 100))}%)` : '';
    const rate = seconds > 0 ? `, ${Math.round(records / seconds).toLocaleString('en-US')} records/s` : '';
    d.progress(
      `replay: ${filesDone}/${listing.files.length} files, ${records.toLocaleString('en-US')} records, ` +
        `${(bytesRead / 1e6).toFixed(1)}/${(totalBytes / 1e6).toFixed(1)} MB${pct}${rate}`,
    );
    progressShown = true;
  };
  const log = (line: string) => {
    if (progressShown) {
      d.progress('');
      progressShown = false;
    }
    d.stderr(line);
  };
  const flushJson = () => {
    if (jsonLines.length > 0) d.stdout(jsonLines.splice(0).join('\n'));
  };

  tally.addIgnoredFiles(listing.ignored.length);
  for (const u of listing.unreadable) {
    tally.addFileSkip(u);
    log(`replay: skipped ${u.file}: ${u.reason}`);
  }

  const logRecordSkip = (skip: { file: string; where: string; reason: string }) => {
    tally.addRecordSkip(skip);
    if (recordSkipsLogged++ < RECORD_SKIPS_LOGGED)
      log(`replay: skipped ${locate(skip.file, skip.where)}: ${skip.reason}`);
  };
  const context = fileTaskContext(runner, d.catalog);
  const stdin = d.stdin ? { stdin: d.stdin } : {};
  const workers = options.workers ?? (totalBytes >= WORKERS_FROM_BYTES ? Math.min(2, availableParallelism()) : 1);
  const pool = { workers, catalog: d.catalog, predicateNames: Object.keys(d.predicates) };
  for await (const outcome of runFiles(listing.files, context, pool, stdin)) {
    const file = outcome.file;
    for (const entry of outcome.entries) {
      if (entry.kind === 'skip') {
        logRecordSkip({ file, where: entry.where, reason: entry.reason });
        continue;
      }
      if (entry.kind === 'file-skipped') {
        tally.addFileSkip({ file, reason: entry.reason });
        log(`replay: skipped ${file}: ${entry.reason}`);
        continue;
      }
      const { event, verdict } = entry;
      evaluated++;
      tally.addVerdict(event, verdict, file);
      if (!verdict.forwarded) continue;
      const triaged = await engine.triage(event, verdict.matched);
      tally.addOutcomes(event, triaged, file);
      if (options.json) {
        jsonLines.push(matchLine(event, verdict, file, triaged));
        if (jsonLines.length >= JSON_LINES_PER_WRITE) flushJson();
      }
    }
    evaluated += outcome.unmatched;
    tally.addUnmatched(outcome.unmatched, outcome.fromMs, outcome.toMs, outcome.readOnlySkipped);
    records += outcome.records;
    bytesRead += outcome.bytesRead;
    filesDone++;
    if (outcome.done) {
      bytesDecompressed += outcome.done.bytesDecompressed;
      tally.addFileRead();
    }
    progress();
  }
  if (recordSkipsLogged > RECORD_SKIPS_LOGGED) {
    log(`replay: ${recordSkipsLogged - RECORD_SKIPS_LOGGED} more skipped record(s) not shown here; see the summary`);
  }
  flushJson();
  const summary = tally.summarize({ elapsedMs: d.now() - started, bytesRead, bytesDecompressed });
  if (progressShown) d.progress('');
  // Every ignored file is listed, not a sample: a file a user expected to be read must be findable.
  const ignoredFiles = listing.ignored.map((f) => ({ file: f.file, reason: f.reason }));
  if (options.json) {
    const line = JSON.parse(summaryLine(summary)) as { summary: Record<string, unknown> };
    d.stdout(JSON.stringify({ summary: { ...line.summary, ignoredFiles, ...(verdicts ? { verdicts } : {}) } }));
  } else {
    const lines = formatSummary(summary);
    if (verdicts) lines.push('', ...formatVerdicts(verdicts, summary));
    if (ignoredFiles.length > 0) {
      lines.push(
        '',
        `Ignored ${ignoredFiles.length} file(s) in the input folders (not read):`,
        ...formatIgnored(ignoredFiles),
      );
    }
    d.stdout(lines.join('\n'));
  }
  if (evaluated === 0) {
    d.stderr(
      nothingReadMessage('replay', {
        items: 0,
        filesRead: summary.filesRead,
        filesSkipped: summary.skipped.files,
        recordsSkipped: [],
        ignored: ignoredFiles,
      }),
    );
    return 2;
  }
  return 0;
}

function defaultIo(): ReplayIo {
  return {
    stdout: (text) => process.stdout.write(`${text}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    // \r returns to the start of the line, \x1b[K erases what a longer previous status left behind.
    progress: (status) => process.stderr.write(`\r${status}\x1b[K`),
    stderrIsTTY: process.stderr.isTTY === true,
    now: () => performance.now(),
    cwd: process.cwd(),
    catalog: CATALOG,
    predicates: PREDICATES,
  };
}

if (require.main === module) runCli('replay', (argv) => main(argv), 1);
