/**
 * `npm run tfc:upload -- [--dir cdktf.out] [--stacks id,id] [--organization org] [--workspace-pattern 'vigil-{stack}']
 *   [--hostname app.terraform.io] [--speculative | --no-queue] [--parallelism 4] [--dry-run]`
 *
 * Terraform Cloud / Enterprise, API-driven: uploads each synthesized stack folder (`<dir>/stacks/<id>`)
 * as a new configuration version of its workspace (one workspace per stack, named by the backend's
 * `workspacePattern`), in deploy order (scripts/terraform/order.ts). By default the upload queues a run
 * (plan, then apply as the workspace's auto-apply setting says); `--speculative` queues a plan-only run
 * (pull requests); `--no-queue` only uploads. `cdktf.out` is build output, so VCS-driven workspaces
 * cannot read it: this command (or `terraform` with the `cloud` block, which `npm run deploy` runs)
 * is how the synthesized JSON reaches the workspaces.
 *
 * Organization, pattern and hostname come from `config/org.json` (`backend.type: "tfc"`) unless given.
 * The token is `TFE_TOKEN`, else Terraform's own `TF_TOKEN_<hostname>` (dots as `_`, dashes as `__`).
 * Local leftovers (`.terraform/`, state files, saved plans) are never uploaded. The `tfc` and `bootstrap`
 * stacks are skipped with a note: their workspaces run locally (scripts/terraform/order.ts
 * `LOCALLY_APPLIED_STACKS`), so `npm run deploy -- --apply --stacks <id>` applies them.
 *
 * Exit code: 0 when every stack uploaded, 1 when one failed (the others still run), 2 for usage errors.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadInventory } from '../config/load';
import { runCli } from './run-cli';
import { deployWaves, LOCALLY_APPLIED_STACKS } from './terraform/order';
import { mapLimit } from './terraform/run';
import {
  createConfigurationVersion,
  readConfigurationVersion,
  type TfcRuntime,
  type TfcTarget,
  uploadArchive,
  workspaceId,
} from './tfc/api';
import { packedFiles, tarGzFolder } from './tfc/tar';

const USAGE =
  'usage: npm run tfc:upload -- [--dir cdktf.out] [--stacks id,id] [--organization org] ' +
  "[--workspace-pattern 'vigil-{stack}'] [--hostname app.terraform.io] [--speculative | --no-queue] " +
  '[--parallelism 4] [--dry-run]';

/** Parsed command line. */
export interface UploadOptions {
  readonly dir: string;
  readonly stacks?: readonly string[];
  readonly organization?: string;
  readonly workspacePattern?: string;
  readonly hostname?: string;
  readonly run: 'apply' | 'speculative' | 'none';
  readonly parallelism: number;
  readonly dryRun: boolean;
}

/** A command-line mistake: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses argv; throws a UsageError naming the problem. */
export function parseUploadArgs(argv: readonly string[]): UploadOptions {
  const opts: {
    dir: string;
    stacks?: string[];
    organization?: string;
    workspacePattern?: string;
    hostname?: string;
    run: UploadOptions['run'];
    parallelism: number;
    dryRun: boolean;
  } = { dir: 'cdktf.out', run: 'apply', parallelism: 4, dryRun: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  let runFlag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--dir') opts.dir = value(++i, arg);
    else if (arg === '--stacks') opts.stacks = value(++i, arg).split(',').filter(Boolean);
    else if (arg === '--organization') opts.organization = value(++i, arg);
    else if (arg === '--workspace-pattern') opts.workspacePattern = value(++i, arg);
    else if (arg === '--hostname') opts.hostname = value(++i, arg);
    else if (arg === '--speculative' || arg === '--no-queue') {
      if (runFlag && runFlag !== arg) throw new UsageError(`choose one of --speculative and --no-queue\n${USAGE}`);
      runFlag = arg;
      opts.run = arg === '--speculative' ? 'speculative' : 'none';
    } else if (arg === '--parallelism') {
      opts.parallelism = Number(value(++i, arg));
      if (!Number.isInteger(opts.parallelism) || opts.parallelism < 1) {
        throw new UsageError(`--parallelism expects a whole number ≥ 1, got '${argv[i]}'`);
      }
    } else if (arg === '--dry-run') opts.dryRun = true;
    else if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    else throw new UsageError(`unknown argument '${arg}'\n${USAGE}`);
  }
  if (opts.workspacePattern !== undefined && !opts.workspacePattern.includes('{stack}')) {
    throw new UsageError(`--workspace-pattern must contain {stack}, got '${opts.workspacePattern}'`);
  }
  return opts;
}

/** What `main` needs from outside; tests replace parts. */
export interface UploadIo extends TfcRuntime {
  readonly out: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: UploadIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  env: process.env,
  fetch: (...args) => fetch(...args),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Result of one stack. */
export interface UploadResult {
  readonly id: string;
  readonly workspace: string;
  readonly result: 'uploaded' | 'failed' | 'dry-run';
  readonly configurationVersion?: string;
  readonly detail?: string;
}

/** `TF_TOKEN_<host>` as Terraform names it: dots → `_`, dashes → `__`. */
export const tokenVariable = (hostname: string) => `TF_TOKEN_${hostname.replace(/-/g, '__').replace(/\./g, '_')}`;

/** Upload settings: command line over `config/org.json`'s backend; a usage error lists what is missing. */
function settings(options: UploadOptions, env: NodeJS.ProcessEnv) {
  let organization = options.organization;
  let pattern = options.workspacePattern;
  let hostname = options.hostname;
  if (!organization || !pattern) {
    const file = env['VIGIL_INVENTORY'] ?? 'config/org.json';
    const backend = loadInventory(file).backend;
    if (backend.type !== 'tfc') {
      throw new UsageError(
        `${file} has backend type '${backend.type}', not 'tfc': set "backend": {"type": "tfc", "organization": …, ` +
          '"workspacePattern": "vigil-{stack}"} and synth again, or pass --organization and --workspace-pattern',
      );
    }
    organization ??= backend.organization;
    pattern ??= backend.workspacePattern;
    hostname ??= backend.hostname;
  }
  hostname ??= 'app.terraform.io';
  const baseUrl = /^https?:\/\//.test(hostname) ? hostname.replace(/\/+$/, '') : `https://${hostname}`;
  const host = baseUrl.replace(/^https?:\/\//, '').replace(/[:/].*$/, '');
  return { organization, pattern, baseUrl, tokenVar: tokenVariable(host) };
}

/** The summary table. */
export function formatUploadSummary(results: readonly UploadResult[]): string[] {
  const w = Math.max(5, ...results.map((r) => r.id.length));
  const ww = Math.max(9, ...results.map((r) => r.workspace.length));
  return [
    `${'stack'.padEnd(w)}  ${'workspace'.padEnd(ww)}  result    configuration version`,
    ...results.map(
      (r) =>
        `${r.id.padEnd(w)}  ${r.workspace.padEnd(ww)}  ${r.result.padEnd(8)}  ${r.configurationVersion ?? '-'}` +
        `${r.detail ? `  ${r.detail}` : ''}`,
    ),
  ];
}

/** Polls a configuration version until it is `uploaded` (or `errored`, or 60 polls have passed). */
async function waitUploaded(target: TfcTarget, io: UploadIo, id: string): Promise<void> {
  for (let poll = 0; poll < 60; poll++) {
    const cv = await readConfigurationVersion(target, io, id);
    if (cv.status === 'uploaded') return;
    if (cv.status === 'errored')
      throw new Error(`configuration version ${id} errored: ${cv.errorMessage ?? 'no message'}`);
    await io.sleep(1000);
  }
  throw new Error(`configuration version ${id} is still not uploaded after 60 polls; look at the workspace`);
}

export async function main(argv: readonly string[], io: UploadIo = defaultIo): Promise<number> {
  let options: UploadOptions;
  let s: ReturnType<typeof settings>;
  try {
    options = parseUploadArgs(argv);
    s = settings(options, io.env);
  } catch (err) {
    if (err instanceof UsageError || (err as Error).name === 'InventoryError') {
      io.out((err as Error).message);
      return 2;
    }
    throw err;
  }
  const stacksDir = resolve(options.dir, 'stacks');
  if (!existsSync(stacksDir)) {
    io.out(`no synthesized stacks in ${stacksDir}: run \`npm run synth\` first (or pass --dir)`);
    return 1;
  }
  const present = readdirSync(stacksDir).filter((d) => statSync(join(stacksDir, d)).isDirectory());
  const missing = (options.stacks ?? []).filter((id) => !present.includes(id));
  if (missing.length > 0) {
    io.out(`not synthesized: ${missing.join(', ')} (present: ${present.join(', ') || 'none'})`);
    return 1;
  }
  // The tfc and bootstrap workspaces run locally (Terraform Cloud keeps only their state): a configuration
  // version there would queue a run the workspace refuses.
  const ordered = deployWaves(options.stacks ?? present).flat();
  const ids = ordered.filter((id) => !LOCALLY_APPLIED_STACKS.includes(id));
  for (const id of ordered.filter((id) => LOCALLY_APPLIED_STACKS.includes(id))) {
    io.out(
      `${id}: not uploaded: its workspace runs locally (Terraform Cloud keeps only its state); ` +
        `apply it with npm run deploy -- --apply --stacks ${id}`,
    );
  }
  const workspace = (id: string) => s.pattern.replace(/\{stack\}/g, id);

  if (options.dryRun) {
    for (const id of ids) {
      io.out(`${id} → ${s.organization}/${workspace(id)}: ${packedFiles(join(stacksDir, id)).join(', ')}`);
    }
    return 0;
  }
  const token = io.env['TFE_TOKEN'] || io.env[s.tokenVar];
  if (!token) {
    io.out(`no API token: set TFE_TOKEN (or ${s.tokenVar}) to a team or user token that may queue plans`);
    return 2;
  }
  const target: TfcTarget = { baseUrl: s.baseUrl, token };
  io.out(
    `uploading ${ids.length} stack(s) to ${s.baseUrl} organization ${s.organization} ` +
      `(${options.run === 'apply' ? 'queues a run' : options.run === 'speculative' ? 'speculative plan' : 'no run'})`,
  );
  const results = await mapLimit(ids, options.parallelism, async (id): Promise<UploadResult> => {
    const name = workspace(id);
    let cvId: string | undefined;
    try {
      const ws = await workspaceId(target, io, s.organization, name);
      const cv = await createConfigurationVersion(target, io, ws, {
        autoQueueRuns: options.run !== 'none',
        speculative: options.run === 'speculative',
      });
      cvId = cv.id;
      if (!cv.uploadUrl) throw new Error(`configuration version ${cv.id} came without an upload-url`);
      await uploadArchive(io, cv.uploadUrl, tarGzFolder(join(stacksDir, id)));
      await waitUploaded(target, io, cv.id);
      io.out(`  ${id}: uploaded to ${name} (${cv.id})`);
      return { id, workspace: name, result: 'uploaded', configurationVersion: cv.id };
    } catch (err) {
      const detail = (err as Error).message;
      io.out(`  ${id}: ${detail}`);
      return { id, workspace: name, result: 'failed', ...(cvId ? { configurationVersion: cvId } : {}), detail };
    }
  });
  io.out('');
  for (const line of formatUploadSummary(results)) io.out(line);
  return results.every((r) => r.result === 'uploaded') ? 0 : 1;
}

if (require.main === module) runCli('tfc:upload', (argv) => main(argv), 1);
