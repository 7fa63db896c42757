/**
 * `npm run tf:check [-- --org example|generated] [--validate-only] [--parallelism 2]`
 *
 * Real Terraform over every synthesized stack, offline: synthesizes the example org and a generated
 * 3-account × 5-region org into a temporary folder, copies each stack, applies the documented
 * compatibility edits for the mirrored AWS provider (scripts/terraform/compat.ts; printed), then runs
 * `terraform init` (from the filesystem mirror), `validate -json`, `plan -out` and `show -json`.
 * No AWS credentials, no network. Temporary folders are removed, also on Ctrl-C.
 *
 * Exit code: 0 when every stack validates and plans without an error or an unlisted warning; 1 when
 * one does not, or when terraform or the mirror is missing and CI=true (locally that is a skip, with
 * a message, exit 0); 2 for usage errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './run-cli';
import { checkStacks, type StackCheck, type StackSource } from './terraform/check';
import { type CheckedOrg, exampleOrg, generatedOrg, synthOrg } from './terraform/orgs';
import { withScratchDir } from './terraform/scratch';
import { findToolchain, type Toolchain, toolchainProblems } from './terraform/toolchain';

const USAGE = 'usage: npm run tf:check -- [--org example|generated] [--validate-only] [--parallelism N]';

/** Parsed command line of `npm run tf:check`. */
export interface Options {
  readonly orgs: ReadonlyArray<() => CheckedOrg>;
  readonly validateOnly: boolean;
  readonly parallelism: number;
}

/** Parses argv; throws a usage message naming the problem. */
export function parseArgs(argv: readonly string[]): Options {
  const orgs: Array<() => CheckedOrg> = [];
  let validateOnly = false;
  let parallelism = 2;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--validate-only') validateOnly = true;
    else if (arg === '--org') {
      const org = argv[++i];
      if (org === 'example') orgs.push(exampleOrg);
      else if (org === 'generated') orgs.push(() => generatedOrg());
      else throw new Error(`--org expects 'example' or 'generated', got ${JSON.stringify(org)}\n${USAGE}`);
    } else if (arg === '--parallelism') {
      parallelism = Number(argv[++i]);
      if (!Number.isInteger(parallelism) || parallelism < 1) {
        throw new Error(`--parallelism expects a whole number ≥ 1, got ${JSON.stringify(argv[i])}\n${USAGE}`);
      }
    } else throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return { orgs: orgs.length > 0 ? orgs : [exampleOrg, () => generatedOrg()], validateOnly, parallelism };
}

/** One line per stack: result, planned changes, time; then its problems indented. */
export function formatStackLine(check: StackCheck): string {
  const s = check.plan?.summary;
  const planned = s ? `${s.add} to add, ${s.change} to change, ${s.remove} to destroy` : 'not planned';
  const head = `${check.problems.length === 0 ? 'ok  ' : 'FAIL'} ${check.source.org}/${check.source.id}: ${planned} (${check.seconds.toFixed(1)} s)`;
  return [head, ...check.problems.map((p) => `       ${p}`)].join('\n');
}

/** What a check run found: the orgs it synthesized and one result per stack. */
export interface CheckRun {
  readonly orgs: readonly CheckedOrg[];
  readonly checks: readonly StackCheck[];
}

/**
 * Synthesizes the orgs into a temporary folder, checks every stack and prints what was validated
 * (terraform and provider versions, the edits) and one line per stack. The folder is removed
 * afterwards, also on Ctrl-C.
 */
export async function runCheck(
  options: Options,
  toolchain: Toolchain,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<CheckRun> {
  const version = spawnSync(toolchain.terraform, ['version', '-json'], { encoding: 'utf8' });
  const tfVersion = (JSON.parse(version.stdout || '{}') as { terraform_version?: string }).terraform_version ?? '?';
  const started = Date.now();
  return withScratchDir(tmpdir(), 'vigil-tf-', async (root) => {
    const orgs: CheckedOrg[] = [];
    const sources: StackSource[] = [];
    for (const make of options.orgs) {
      const org = make();
      orgs.push(org);
      const outdir = join(root, org.label);
      mkdirSync(outdir);
      const ids = synthOrg(org, outdir);
      out(`synthesized ${org.label}: ${ids.length} stacks`);
      for (const id of ids) sources.push({ org: org.label, id, dir: join(outdir, 'stacks', id) });
    }
    // Stacks may pin different provider versions (the security stack needs a newer one): the versions
    // and edits are printed once per distinct pin, before the first stack that has it.
    const printedPins = new Set<string>();
    const checks = await checkStacks(sources, {
      toolchain,
      parallelism: options.parallelism,
      validateOnly: options.validateOnly,
      tmpRoot: root,
      onSkip: (source, reason) => out(`skip ${source.org}/${source.id}: ${reason.replace('<id>', source.id)}`),
      onStack: (check) => {
        if (!printedPins.has(check.provider.pinned)) {
          const first = printedPins.size === 0;
          printedPins.add(check.provider.pinned);
          out(
            `${first ? `terraform ${tfVersion} (${toolchain.terraform}); ` : ''}AWS provider pinned ${check.provider.pinned}` +
              `${first ? '' : ` (${check.source.id} and any later stack pinning it)`}, ` +
              `mirrored ${toolchain.mirrored.join(', ')} (${toolchain.pluginDir}), used ${check.provider.used}`,
          );
          out(`edits applied to a temporary copy of ${first ? 'every stack' : 'these stacks'}:`);
          for (const e of check.edits) out(`  - ${e.description}`);
        }
        out(formatStackLine(check));
      },
    });
    const failed = checks.filter((c) => c.problems.length > 0);
    const planned = checks.reduce((n, c) => n + (c.plan?.summary?.add ?? 0), 0);
    out(
      `${checks.length} stacks: ${checks.length - failed.length} passed, ${failed.length} failed; ` +
        `${planned} resources planned; ${((Date.now() - started) / 1000).toFixed(1)} s wall, ` +
        `at most ${options.parallelism} terraform process(es) at a time`,
    );
    out(notValidated(checks));
    return { orgs, checks };
  });
}

/** The version caveat: which provider judged the stacks and what the edits kept from it. */
export function notValidated(checks: readonly StackCheck[]): string {
  const used = [...new Set(checks.map((c) => c.provider.used))].join(', ');
  const pinned = [...new Set(checks.map((c) => c.provider.pinned))].join(', ');
  const edited = [...new Set(checks.flatMap((c) => c.edits.map((e) => e.id)))];
  const unseen = [
    used !== pinned ? `provider ${pinned} itself (its schema and validations)` : undefined,
    edited.includes('region') ? 'the per-resource `region` placement' : undefined,
    'the backend, `assume_role` and `allowed_account_ids`',
    'anything AWS decides at apply (event pattern semantics, IAM policy grammar, quotas, names taken)',
  ].filter((s): s is string => s !== undefined);
  return `validated with provider ${used} (pinned ${pinned}); not validated: ${unseen.join('; ')}`;
}

/** Runs the check; returns the exit code. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(argv);
  } catch (err) {
    out((err as Error).message);
    return 2;
  }
  const toolchain = findToolchain(env);
  if (!toolchain) {
    const ci = env['CI'] === 'true';
    out(`terraform check ${ci ? 'FAILED' : 'skipped'}: this machine cannot run it offline:`);
    for (const p of toolchainProblems(env)) out(`  - ${p}`);
    if (ci) out('CI=true: CI must run the real Terraform check, so this is a failure.');
    return ci ? 1 : 0;
  }
  const { checks } = await runCheck(options, toolchain, out);
  return checks.some((c) => c.problems.length > 0) ? 1 : 0;
}

if (require.main === module) runCli('tf:check', (argv) => main(argv), 1);
