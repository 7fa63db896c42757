/**
 * What `npm run replay`, `npm run plan` and `npm run undo` share besides their inputs: one command-line parser (unknown
 * options are errors that list the valid ones), one `--help` layout (usage, what it does, inputs, options, exit
 * codes, examples), one way to report a usage error, and one read summary.
 */
import { type InputProblem, locate } from './inputs';

/** Bad command-line arguments (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One option of a command. */
export interface OptionSpec {
  /** The long form, e.g. `--json`. */
  readonly flag: string;
  /** @default - no short form */
  readonly short?: string;
  /** The value's placeholder (`<file>`); options without one are switches. @default - a switch */
  readonly value?: string;
  /** One line: what it does, and its default. */
  readonly help: string;
}

/** Everything `--help` shows, in the order it shows it. */
export interface CommandSpec {
  /** The npm script: `replay`, `plan`, `undo`. */
  readonly name: string;
  /** What follows `npm run <name> --`, e.g. `[options] <file, folder or ->...`. */
  readonly synopsis: string;
  /** A short paragraph: what the command does. */
  readonly description: string;
  /** The inputs section (usually `INPUTS_HELP`). */
  readonly inputs: string;
  /** The options; `-h, --help` is added. */
  readonly options: readonly OptionSpec[];
  /** Exit codes and what each means for this command. */
  readonly exitCodes: readonly (readonly [number, string])[];
  readonly examples: readonly string[];
}

const HELP: OptionSpec = { flag: '--help', short: '-h', help: 'show this help' };

/** The parsed command line: option values by long flag (`true` for switches), and the positional arguments. */
export interface CommandLine {
  readonly options: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/**
 * Parses `argv` against the spec: `--flag value`, `--flag=value`, switches, `--` ends the options, `-` is a
 * positional (stdin). Throws UsageError naming the problem and, for an unknown option, the valid ones.
 */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): CommandLine {
  const all = [...spec.options, HELP];
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  let ended = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (ended || !arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      ended = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const spec = all.find((o) => o.flag === name || o.short === name);
    if (!spec) throw new UsageError(unknownOption(name, all));
    if (spec.value === undefined) {
      if (eq !== -1) throw new UsageError(`${spec.flag} takes no value, got '${arg}'`);
      options.set(spec.flag, true);
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '' || (value.startsWith('-') && value !== '-')) {
      throw new UsageError(`${spec.flag} needs ${article(spec.value)} (${spec.flag} ${spec.value})`);
    }
    options.set(spec.flag, value);
  }
  return { options, positionals, help: options.has(HELP.flag) };
}

/** `<file>` → `a file`, `<audit table>` → `an audit table`. */
function article(placeholder: string): string {
  const words = placeholder.replace(/^<|>$/g, '');
  return `${/^[aeiou]/i.test(words) ? 'an' : 'a'} ${words}`;
}

function unknownOption(name: string, all: readonly OptionSpec[]): string {
  const valid = all.map((o) => `${o.short ? `${o.short}, ` : ''}${o.flag}${o.value ? ` ${o.value}` : ''}`);
  const near = all
    .map((o) => ({ flag: o.flag, d: distance(name.replace(/^-+/, ''), o.flag.replace(/^-+/, '')) }))
    .sort((a, b) => a.d - b.d)[0];
  const hint = near && near.d <= 2 ? ` (did you mean ${near.flag}?)` : '';
  return `unknown option '${name}'${hint}; valid options: ${valid.join(', ')}`;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** The first line of the help, also shown after a usage error. */
export function usageLine(spec: CommandSpec): string {
  return `Usage: npm run ${spec.name} -- ${spec.synopsis}`;
}

/** The `--help` text: usage, description, inputs, options, exit codes, examples. */
export function formatHelp(spec: CommandSpec): string {
  const rows = [...spec.options, HELP].map((o) => ({
    left: `${o.short ? `${o.short}, ` : ''}${o.flag}${o.value ? ` ${o.value}` : ''}`,
    help: o.help,
  }));
  const width = Math.max(...rows.map((r) => r.left.length));
  return [
    usageLine(spec),
    '',
    spec.description,
    '',
    spec.inputs,
    '',
    'Options:',
    ...rows.map((r) => `  ${r.left.padEnd(width)}  ${r.help}`),
    '',
    'Exit codes:',
    ...spec.exitCodes.map(([code, meaning]) => `  ${code}  ${meaning}`),
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
  ].join('\n');
}

/** Reports a usage error the same way in every command and returns its exit code (2). */
export function reportUsageError(spec: CommandSpec, stderr: (line: string) => void, message: string): number {
  stderr(`${spec.name}: ${message}`);
  stderr(usageLine(spec));
  stderr(`Run 'npm run ${spec.name} -- --help' for the inputs, options and exit codes.`);
  return 2;
}

/** The message for an error a command expects (no stack trace): the message, and the cause's if any. */
export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

/** What the input reader delivered, for the summary every command prints at the end. */
export interface ReadCounts {
  /** Events and records read and handed to the command. */
  readonly items: number;
  readonly filesRead: number;
  readonly filesSkipped: readonly InputProblem[];
  readonly recordsSkipped: readonly (InputProblem & { readonly where: string })[];
  readonly ignored: readonly InputProblem[];
}

/** Counts read items as they come, for {@link formatReadSummary}. */
export class ReadTally implements ReadCounts {
  items = 0;
  filesRead = 0;
  readonly filesSkipped: InputProblem[] = [];
  readonly recordsSkipped: (InputProblem & { where: string })[] = [];
  readonly ignored: InputProblem[] = [];
}

/**
 * The end-of-run summary of plan and undo: items and files read, then every skipped file, skipped record and
 * ignored file with its reason (replay prints its own report, and the ignored files with {@link formatIgnored}).
 */
export function formatReadSummary(c: ReadCounts, noun: string): string[] {
  const lines = [
    `Read ${c.items} ${noun}(s) from ${c.filesRead} file(s)` +
      (c.filesSkipped.length + c.recordsSkipped.length + c.ignored.length > 0
        ? `; skipped ${c.filesSkipped.length} file(s) and ${c.recordsSkipped.length} record(s), ` +
          `ignored ${c.ignored.length} file(s):`
        : '.'),
  ];
  for (const f of c.filesSkipped) lines.push(`  skipped ${f.file}: ${f.reason}`);
  for (const r of c.recordsSkipped) lines.push(`  skipped ${locate(r.file, r.where)}: ${r.reason}`);
  lines.push(...formatIgnored(c.ignored));
  return lines;
}

/** Every ignored file, one line each. */
export function formatIgnored(ignored: readonly InputProblem[]): string[] {
  return ignored.map((f) => `  ignored ${f.file}: ${f.reason}`);
}

/** The message when no input item could be read at all (exit code 2). */
export function nothingReadMessage(name: string, c: ReadCounts): string {
  const why =
    c.filesRead + c.filesSkipped.length === 0
      ? 'no input file was found (folders are searched for .json, .json.gz, .jsonl and .ndjson files)'
      : 'no event or record could be read from the inputs (see the reasons above)';
  return `${name}: ${why}`;
}
