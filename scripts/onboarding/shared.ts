/**
 * What `npm run onboard` and `npm run offboard` share: their command line, the config files they read
 * and rewrite, an in-process synth that reports which stacks changed, and deploy steps that print the
 * exact `npm run deploy` command before running it through the deploy code (no shell).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { formatSynthSummary, removeStaleStacks, snapshotStacks } from '../../build/synth-summary';
import { InventoryError } from '../../config/inventory';
import { loadConfig, type VigilConfig } from '../../config/load';
import { formatInventoryJson, type InventoryDocument } from '../../config/sync';
import { App } from '../../framework/cdktf';
import { stampingEnabled } from '../../build/member-stamps';
import { buildApp, synthApp } from '../../app';
import { type DeployIo, main as deploy } from '../deploy';
import { deployWaves } from '../terraform/order';

/** What the commands need from outside; tests replace all of it. */
export interface StepIo extends DeployIo {
  /** Resolves config files and `--dir`; shortens paths in messages. */
  readonly cwd: string;
}

export const defaultStepIo = (): StepIo => ({
  out: (line) => process.stdout.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  ask: async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
});

/** A command-line mistake or an unmet precondition: nothing was changed, exit code 2. */
export class StopError extends Error {
  override readonly name = 'StopError';
}

/** Parsed command line of onboard / offboard. */
export interface StepOptions {
  readonly accountId: string;
  readonly apply: boolean;
  readonly yes: boolean;
  readonly help: boolean;
  /** Output folder. @default 'cdktf.out' */
  readonly dir: string;
  /** Passed to deploy (`--bin`, `--parallelism`). */
  readonly deployArgs: readonly string[];
  /** onboard only: an inventory file to take the account from instead of AWS Organizations. */
  readonly fromFile?: string;
}

/** Parses `<account-id> [--apply] [--yes] [--dir d] [--bin b] [--parallelism n] [--from-file f]`. */
export function parseStepArgs(argv: readonly string[], usage: string, allowFromFile: boolean): StepOptions {
  let accountId: string | undefined;
  let apply = false;
  let yes = false;
  let help = false;
  let dir = 'cdktf.out';
  let fromFile: string | undefined;
  const deployArgs: string[] = [];
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new StopError(`${flag} needs a value\n${usage}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--apply') apply = true;
    else if (arg === '--yes') yes = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--dir') dir = value(++i, arg);
    else if (arg === '--bin' || arg === '--parallelism') deployArgs.push(arg, value(++i, arg));
    else if (arg === '--from-file' && allowFromFile) fromFile = value(++i, arg);
    else if (!arg.startsWith('-') && accountId === undefined) accountId = arg;
    else throw new StopError(`unknown argument '${arg}'\n${usage}`);
  }
  if (help) return { accountId: '', apply, yes, help, dir, deployArgs };
  if (accountId === undefined) throw new StopError(`name the account: a 12-digit account id\n${usage}`);
  if (!/^\d{12}$/.test(accountId)) {
    throw new StopError(`'${accountId}' is not an account id: expected 12 digits, e.g. 123456789012\n${usage}`);
  }
  if (yes && !apply) throw new StopError(`--yes only goes with --apply\n${usage}`);
  return { accountId, apply, yes, help, dir, deployArgs, ...(fromFile ? { fromFile } : {}) };
}

/** The config files synth reads (VIGIL_* overrides as in `npm run synth`), absolute. */
export function configFiles(io: Pick<StepIo, 'cwd' | 'env'>) {
  return {
    inventory: resolve(io.cwd, io.env['VIGIL_INVENTORY'] ?? 'config/org.json'),
    alerting: resolve(io.cwd, io.env['VIGIL_ALERTING'] ?? 'config/alerting.json'),
    remediation: resolve(io.cwd, io.env['VIGIL_REMEDIATION'] ?? 'config/remediation.json'),
  };
}

/** Path as shown to the user: relative to the working directory. */
export const shown = (io: Pick<StepIo, 'cwd'>, path: string): string => relative(io.cwd, path) || path;

/** Reads the inventory as a loosely typed document (it may not be valid yet). */
export function readInventoryDocument(file: string): { text: string; doc: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new StopError(
      `cannot read ${file} (${(err as Error).message}): run from the project root or set VIGIL_INVENTORY`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new StopError(
      `${file} is not valid JSON (${(err as Error).message}): fix it first (npm run doctor lists it)`,
    );
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new StopError(`${file} must contain a JSON object (the org inventory)`);
  }
  return { text, doc: doc as Record<string, unknown> };
}

/** Writes the inventory in org:sync's layout (write-then-rename). */
export function writeInventoryDocument(file: string, doc: InventoryDocument): void {
  const temp = `${file}.vigil.tmp`;
  writeFileSync(temp, formatInventoryJson(doc), 'utf8');
  renameSync(temp, file);
}

/** Accounts of a loosely typed inventory document. */
export function accountsOf(doc: InventoryDocument): Array<Record<string, unknown>> {
  const accounts = (doc as Record<string, unknown>)['accounts'];
  return Array.isArray(accounts) ? (accounts as Array<Record<string, unknown>>) : [];
}

/** Validates every config file like `npm run synth`; prints the problems and returns undefined when there are any. */
export function validateConfig(io: StepIo): VigilConfig | undefined {
  try {
    return loadConfig(configFiles(io), io.env);
  } catch (err) {
    if (!(err instanceof InventoryError)) throw err;
    io.out(err.message);
    return undefined;
  }
}

/** What an in-process synth changed. */
export interface SynthResult {
  /** Stacks that are new or whose `cdk.tf.json` changed, in deploy order. */
  readonly changed: readonly string[];
  /** Stack folders synth removed (accounts no longer in the inventory). */
  readonly removed: readonly string[];
  /** No stack existed in the folder before: nothing to compare with. */
  readonly first: boolean;
}

/**
 * Synthesizes like `npm run synth` (stale folders removed, summary printed) and reports the changed
 * stacks, in deploy order. `destroyed`: stacks already destroyed, whose removal needs no warning.
 */
export function synthesize(
  config: VigilConfig,
  outdir: string,
  io: StepIo,
  destroyed: readonly string[] = [],
): SynthResult {
  const before = snapshotStacks(outdir);
  const app = new App({ outdir, stackTraces: false });
  const removed = removeStaleStacks(outdir, synthApp(buildApp(app, config, { stampMembers: stampingEnabled() })));
  const after = snapshotStacks(outdir);
  const warnRemoved = removed.some((id) => !destroyed.includes(id));
  for (const line of formatSynthSummary(shown(io, outdir), before, after, removed)) {
    if (warnRemoved || !line.startsWith('a removed stack still exists')) io.out(`  ${line}`);
  }
  const changed = deployWaves([...after.keys()].filter((id) => before.get(id) !== after.get(id))).flat();
  return { changed, removed, first: before.size === 0 };
}

/** `npm run deploy -- <args>` as the user would type it. */
export const deployCommand = (args: readonly string[]): string => `npm run deploy -- ${args.join(' ')}`;

/** Prints the deploy command, then runs it in-process; returns deploy's exit code. */
export async function runDeploy(args: readonly string[], options: StepOptions, io: StepIo): Promise<number> {
  const dirArgs = options.dir === 'cdktf.out' ? [] : ['--dir', options.dir];
  io.out(`  $ ${deployCommand([...args, ...dirArgs])}`);
  return deploy([...args, '--dir', resolve(io.cwd, options.dir), ...options.deployArgs], io);
}
