/**
 * `npm run deploy -- --plan [--dir cdktf.out] [--stacks id,id] [--only-changed] [--parallelism 2] [--bin terraform|tofu] [--offline-check]`
 * `npm run deploy -- --apply [--yes] [same options]`
 * `npm run deploy -- (--plan | --apply [--yes]) --destroy --stacks member-<id>[,…] [--allow-central]`
 *
 * Deploys without the cdktf CLI: plain `terraform` (or `tofu`) over `cdktf.out/stacks/*`, in dependency
 * order (scripts/terraform/order.ts: security → log-archive → org-trail → member-*; the stacks of one
 * wave run in parallel, `--parallelism` at a time). Each stack: `init`, `plan -out`, and a summary of
 * its planned changes (add / change / destroy).
 *
 * Failures: a failed stack in a central wave stops the later waves (they depend on it) and nothing of
 * that wave is applied; the other stacks of its wave still plan. Member stacks depend on nothing but
 * security, so in the members' wave a member whose plan or apply failed does not stop the others.
 *
 * `--plan` plans only. `--apply` plans every stack of a wave, then applies those plans after a
 * confirmation (typed `apply`, or `--yes`), wave by wave. Apply needs real credentials for the deploy
 * role and cannot be tested here: it is kept deliberately small (saved plan, no retries).
 *
 * `--only-changed` skips the stacks whose synthesized JSON has not changed since their last successful
 * apply (recorded per stack in `.vigil/applied.json` next to the output folder, gitignored:
 * scripts/terraform/applied.ts); the others still run in order, also when an earlier wave is unchanged.
 *
 * `--destroy` plans (`plan -destroy`) and applies the destruction of the named `--stacks` only, in
 * reverse dependency order, after a typed `destroy` (or `--yes`). Central stacks are refused unless
 * `--allow-central`: destroying the security stack blinds every account. Used by `npm run offboard`.
 *
 * `--offline-check` plans a temporary copy of each stack with the compatibility edits of `npm run
 * tf:check` (mirrored provider, no backend, fake credentials): what the test suite runs against the
 * real binary. The copies are removed afterwards.
 *
 * Exit code: 0 when every stack planned (and applied) or was unchanged, 1 when one failed or the apply
 * was not confirmed, 2 for usage errors.
 */
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { snapshotStacks } from '../build/synth-summary';
import { stackIds } from '../config/naming';
import { runCli } from './run-cli';
import {
  AppliedRecordError,
  appliedRecordPath,
  readApplied,
  unchangedStacks,
  updateApplied,
} from './terraform/applied';
import { prepareStack, readStack, STACK_FILE } from './terraform/check';
import { deployWaves, LOCALLY_APPLIED_STACKS } from './terraform/order';
import { withScratchDir } from './terraform/scratch';
import { type ChangeSummary, formatDiagnostic, mapLimit, planMessages, runTerraform } from './terraform/run';
import { findToolchain, onPath, terraformEnv, toolchainProblems, writeCliConfig } from './terraform/toolchain';

const USAGE = `usage: npm run deploy -- (--plan | --apply [--yes]) [--dir cdktf.out] [--stacks id,id] [--only-changed]
                          [--parallelism 2] [--bin terraform|tofu] [--offline-check]
       npm run deploy -- (--plan | --apply [--yes]) --destroy --stacks member-<account id>[,…] [--allow-central]`;

/** Member stacks depend on security only, never on each other: one failing does not stop the others. */
const MEMBER_STACK = new RegExp(`^${stackIds.member('\\d{12}')}$`);

/** Whether `id` is a member stack (as opposed to a central one). */
export const isMemberStack = (id: string): boolean => MEMBER_STACK.test(id);

/** Parsed command line. */
export interface DeployOptions {
  readonly mode: 'plan' | 'apply';
  readonly dir: string;
  /** @default - every stack in `<dir>/stacks` */
  readonly stacks?: readonly string[];
  readonly parallelism: number;
  /** @default - `terraform` on PATH, else `tofu` */
  readonly bin?: string;
  readonly offlineCheck: boolean;
  readonly yes: boolean;
  /** Skip stacks whose JSON is unchanged since their last successful apply. */
  readonly onlyChanged: boolean;
  /** Plan / apply the destruction of `stacks`. */
  readonly destroy: boolean;
  /** Let `--destroy` name central stacks. */
  readonly allowCentral: boolean;
}

/** A command-line mistake: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses argv; throws a UsageError naming the problem. */
export function parseDeployArgs(argv: readonly string[]): DeployOptions {
  let mode: DeployOptions['mode'] | undefined;
  let dir = 'cdktf.out';
  let stacks: string[] | undefined;
  let parallelism = 2;
  let bin: string | undefined;
  let offlineCheck = false;
  let yes = false;
  let onlyChanged = false;
  let destroy = false;
  let allowCentral = false;
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--plan' || arg === '--apply') {
      const m = arg === '--plan' ? 'plan' : 'apply';
      if (mode && mode !== m) throw new UsageError(`choose one of --plan and --apply\n${USAGE}`);
      mode = m;
    } else if (arg === '--dir') dir = value(++i, arg);
    else if (arg === '--stacks') stacks = value(++i, arg).split(',').filter(Boolean);
    else if (arg === '--parallelism') {
      parallelism = Number(value(++i, arg));
      if (!Number.isInteger(parallelism) || parallelism < 1) {
        throw new UsageError(`--parallelism expects a whole number ≥ 1, got '${argv[i]}'`);
      }
    } else if (arg === '--bin') bin = value(++i, arg);
    else if (arg === '--offline-check') offlineCheck = true;
    else if (arg === '--yes') yes = true;
    else if (arg === '--only-changed') onlyChanged = true;
    else if (arg === '--destroy') destroy = true;
    else if (arg === '--allow-central') allowCentral = true;
    else if (arg === '--help' || arg === '-h') throw new UsageError(USAGE);
    else throw new UsageError(`unknown argument '${arg}'\n${USAGE}`);
  }
  if (!mode) throw new UsageError(`say what to do: --plan or --apply\n${USAGE}`);
  if (mode === 'apply' && offlineCheck) {
    throw new UsageError('--offline-check plans edited copies with fake credentials; they cannot be applied');
  }
  if (destroy && !stacks?.length) {
    throw new UsageError(
      '--destroy needs --stacks naming exactly the stacks to destroy, e.g. --destroy --stacks member-123456789012',
    );
  }
  if (destroy && onlyChanged) throw new UsageError('--only-changed does not apply to --destroy: leave it out');
  if (allowCentral && !destroy) throw new UsageError('--allow-central only goes with --destroy');
  if (destroy && !allowCentral) {
    const central = stacks!.filter((s) => !isMemberStack(s));
    if (central.length > 0) {
      throw new UsageError(
        `--destroy refuses central stacks (${central.join(', ')}): destroying them removes vigil for every account. ` +
          'Add --allow-central if that is really what you want',
      );
    }
  }
  return {
    mode,
    dir,
    ...(stacks ? { stacks } : {}),
    parallelism,
    ...(bin ? { bin } : {}),
    offlineCheck,
    yes,
    onlyChanged,
    destroy,
    allowCentral,
  };
}

/** Result of one stack. */
export interface StackResult {
  readonly id: string;
  /** `unchanged`: skipped by --only-changed; `skipped`: not run because an earlier wave failed or was not confirmed. */
  readonly result: 'planned' | 'applied' | 'destroyed' | 'unchanged' | 'failed' | 'skipped';
  readonly summary?: ChangeSummary;
  readonly seconds: number;
  /** Why it failed or was skipped. */
  readonly reason?: string;
}

/** The summary table: stack, result, planned changes, time. */
export function formatSummary(results: readonly StackResult[]): string[] {
  const width = Math.max(5, ...results.map((r) => r.id.length));
  return [
    `${'stack'.padEnd(width)}  result     add  change  destroy  time`,
    ...results.map((r) => {
      const s = r.summary;
      const n = (v: number | undefined) => String(v ?? '-');
      return (
        `${r.id.padEnd(width)}  ${r.result.padEnd(9)}  ${n(s?.add).padStart(3)}  ${n(s?.change).padStart(6)}  ` +
        `${n(s?.remove).padStart(7)}  ${r.seconds.toFixed(1)} s${r.reason ? `  ${r.reason}` : ''}`
      );
    }),
  ];
}

/** What `main` needs from outside; tests replace parts. */
export interface DeployIo {
  readonly out: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Asks for the apply confirmation; resolves to what was typed. */
  readonly ask: (question: string) => Promise<string>;
}

const defaultIo: DeployIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  env: process.env,
  ask: async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
};

/** Stack ids found in `<dir>/stacks` (folders with a synthesized stack file). */
export function synthesizedStacks(dir: string): string[] {
  const stacksDir = join(dir, 'stacks');
  try {
    return readdirSync(stacksDir)
      .filter((id) => statSync(join(stacksDir, id, STACK_FILE), { throwIfNoEntry: false })?.isFile())
      .sort();
  } catch {
    return [];
  }
}

/** Runs the deploy; returns the exit code. */
export async function main(argv: readonly string[], io: DeployIo = defaultIo): Promise<number> {
  let options: DeployOptions;
  try {
    options = parseDeployArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.out(err.message);
    return 2;
  }
  const outdir = resolve(options.dir);
  const found = synthesizedStacks(outdir);
  if (found.length === 0) {
    io.out(`no synthesized stacks in ${join(outdir, 'stacks')}: run \`npm run synth\` first (or pass --dir)`);
    return 2;
  }
  const unknown = (options.stacks ?? []).filter((s) => !found.includes(s));
  if (unknown.length > 0) {
    io.out(`--stacks names stacks that were not synthesized: ${unknown.join(', ')} (found: ${found.join(', ')})`);
    if (options.destroy) {
      io.out(
        'a stack folder disappears when its account leaves config/org.json: put the account back, ' +
          '`npm run synth`, destroy, then remove it (npm run offboard does it in that order)',
      );
    }
    return 2;
  }
  // bootstrap (management-account administrator credentials: it creates the deploy and CI roles) and
  // tfc (a Terraform Cloud token) are applied on their own, never with the CI identity's run.
  const separate = options.stacks ? [] : found.filter((s) => LOCALLY_APPLIED_STACKS.includes(s));
  if (separate.length > 0) {
    io.out(
      `not included: ${separate.join(', ')}: each is applied on its own with other credentials ` +
        `(npm run deploy -- --apply --stacks ${separate.join(' / --stacks ')}; see README: Getting it into your org)`,
    );
  }
  let waves: string[][];
  try {
    waves = deployWaves(options.stacks ?? found.filter((s) => !separate.includes(s)));
  } catch (err) {
    io.out((err as Error).message);
    return 2;
  }
  // Destruction runs against the dependencies: members before security before the trail.
  if (options.destroy) waves.reverse();

  const hashes = snapshotStacks(outdir);
  const recordFile = appliedRecordPath(outdir);
  let unchanged = new Set<string>();
  if (options.onlyChanged) {
    try {
      unchanged = unchangedStacks(readApplied(recordFile), hashes);
    } catch (err) {
      if (!(err instanceof AppliedRecordError)) throw err;
      io.out(err.message);
      return 2;
    }
  }

  const toolchain = options.offlineCheck ? findToolchain(io.env) : undefined;
  if (options.offlineCheck && !toolchain) {
    io.out('--offline-check needs terraform and the provider mirror:');
    for (const p of toolchainProblems(io.env)) io.out(`  - ${p}`);
    return 1;
  }
  const bin = toolchain?.terraform ?? options.bin ?? onPath('terraform', io.env) ?? onPath('tofu', io.env);
  if (!bin) {
    io.out('neither `terraform` nor `tofu` is on PATH: install one, or pass --bin <path>');
    return 1;
  }

  return withScratchDir(io.env['TMPDIR'] || tmpdir(), 'vigil-deploy-', async (work) => {
    const env = toolchain ? terraformEnv(writeCliConfig(work, toolchain.pluginDir), io.env) : io.env;
    const tf = (args: string[], cwd: string) => runTerraform(bin, args, cwd, env);
    const all = waves.flat();
    const skippedUnchanged = all.filter((id) => unchanged.has(id));
    const verb = options.destroy
      ? options.mode === 'plan'
        ? 'planning the destruction of'
        : 'destroying'
      : options.mode === 'plan'
        ? 'planning'
        : 'deploying';
    io.out(
      `${verb} ${all.length - skippedUnchanged.length} stacks with ${bin}` +
        `${options.offlineCheck ? ' (offline check: edited temporary copies, mirrored provider, fake credentials)' : ''}`,
    );
    if (options.onlyChanged) {
      io.out(
        skippedUnchanged.length > 0
          ? `unchanged since their last apply (${recordFile}), skipped: ${skippedUnchanged.join(', ')}`
          : `every stack changed since its last apply (${recordFile}), or was never applied from here`,
      );
    }
    io.out(`order: ${waves.map((w) => w.join(', ')).join(' → ')} (${options.parallelism} at a time within a step)`);

    const results: StackResult[] = [];
    let stopped: string | undefined;
    for (const [w, fullWave] of waves.entries()) {
      const wave = fullWave.filter((id) => !unchanged.has(id));
      const skipped = fullWave.filter((id) => unchanged.has(id));
      results.push(...skipped.map((id) => ({ id, result: 'unchanged' as const, seconds: 0 })));
      if (wave.length === 0) continue;
      if (stopped) {
        results.push(...wave.map((id) => ({ id, result: 'skipped' as const, seconds: 0, reason: stopped })));
        continue;
      }
      io.out(`step ${w + 1}/${waves.length}: ${wave.join(', ')}`);
      // The plugin cache is shared and not safe for concurrent use: an init that links the provider while
      // another stack plans can leave that plan without its provider ("Required plugins are not
      // installed"). So a wave's inits run one at a time, all before any of its plans.
      const inited: Array<{ id: string; cwd: string; started: number; failed?: string }> = [];
      for (const id of wave) {
        const started = Date.now();
        const source = join(outdir, 'stacks', id);
        let cwd = source;
        if (toolchain) {
          cwd = join(work, id);
          prepareStack(readStack(source), source, cwd, toolchain.mirrored);
        }
        const init = await tf(['init', '-input=false', '-no-color'], cwd);
        const failed =
          init.code === 0
            ? undefined
            : `init failed: ${(init.stderr || init.stdout).trim().split('\n').slice(-3).join(' ')}`;
        if (failed) io.out(`  ${id}: ${failed}`);
        inited.push({ id, cwd, started, ...(failed ? { failed } : {}) });
      }
      const planArgs = ['plan', ...(options.destroy ? ['-destroy'] : []), '-input=false', '-json', '-out=tfplan'];
      const planned = await mapLimit(inited, options.parallelism, async ({ id, cwd, started, failed }) => {
        const seconds = () => (Date.now() - started) / 1000;
        if (failed) return { id, cwd, result: 'failed' as const, seconds: seconds(), reason: failed };
        const plan = planMessages(await tf(planArgs, cwd));
        for (const d of plan.diagnostics) io.out(`  ${id}: ${formatDiagnostic(d)}`);
        const errors = plan.diagnostics.filter((d) => d.severity === 'error');
        if (errors.length > 0 || !plan.summary) {
          return {
            id,
            cwd,
            result: 'failed' as const,
            seconds: seconds(),
            reason: `plan failed (${errors.length} error(s))`,
          };
        }
        const s = plan.summary;
        io.out(`  ${id}: ${s.add} to add, ${s.change} to change, ${s.remove} to destroy`);
        return { id, cwd, result: 'planned' as const, summary: s, seconds: seconds() };
      });

      let waveResults: StackResult[] = planned.map(({ cwd: _cwd, ...r }) => r);
      // A central wave is all or nothing (later waves depend on each of its stacks); the members' wave
      // applies every member that planned, whatever happened to the others.
      const independent = wave.every(isMemberStack);
      const ready = planned.filter((p) => p.result === 'planned');
      const notReady = planned.filter((p) => p.result !== 'planned').map((p) => p.id);
      if (options.mode === 'apply' && ready.length > 0 && (independent || notReady.length === 0)) {
        const word = options.destroy ? 'destroy' : 'apply';
        const answer = options.yes
          ? word
          : await io.ask(
              `${word} ${ready.map((p) => p.id).join(', ')}` +
                `${notReady.length > 0 ? ` (not ${notReady.join(', ')}: plan failed)` : ''}? type '${word}' to continue: `,
            );
        if (answer.trim() !== word) {
          stopped = 'not confirmed';
          waveResults = waveResults.map((r) =>
            r.result === 'planned' ? { ...r, result: 'skipped', reason: 'not confirmed' } : r,
          );
        } else {
          const applied = await mapLimit(ready, options.parallelism, async ({ cwd, ...r }) => {
            const started = Date.now();
            const run = await tf(['apply', '-input=false', '-no-color', 'tfplan'], cwd);
            const seconds = r.seconds + (Date.now() - started) / 1000;
            if (run.code !== 0) {
              io.out(`  ${r.id}: ${word} failed:\n${(run.stderr || run.stdout).trim()}`);
              return { ...r, result: 'failed' as const, seconds, reason: `${word} failed` };
            }
            // Recorded as soon as it succeeds: a later failure must not make this stack count as changed.
            if (options.destroy) updateApplied(recordFile, { destroyed: [r.id] });
            else updateApplied(recordFile, { applied: new Map([[r.id, hashes.get(r.id)!]]) });
            return { ...r, result: options.destroy ? ('destroyed' as const) : ('applied' as const), seconds };
          });
          const byId = new Map(applied.map((r) => [r.id, r]));
          waveResults = waveResults.map((r) => byId.get(r.id) ?? r);
        }
      }
      results.push(...waveResults);
      const failed = waveResults.filter((r) => r.result === 'failed').map((r) => r.id);
      if (failed.length > 0) stopped = `${failed.join(', ')} failed`;
    }

    io.out('');
    for (const line of formatSummary(results)) io.out(line);
    const ok = new Set<StackResult['result']>(['planned', 'applied', 'destroyed', 'unchanged']);
    return results.every((r) => ok.has(r.result)) ? 0 : 1;
  });
}

if (require.main === module) runCli('deploy', (argv) => main(argv), 1);
