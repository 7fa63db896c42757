/**
 * `npm run doctor`: is this checkout ready to synthesize, test and deploy vigil? Each check prints ✓, !
 * (works, but worth fixing) or ✗ (blocks something), with the fix. Offline and read-only: it never calls
 * AWS and changes nothing.
 *
 * Checks: the Node.js version (≥ 20 to run, 22 recommended: Lambda runs nodejs22.x and AWS SDK releases
 * after January 2027 need it), installed dependencies, the three config files (every problem listed), a
 * Terraform or OpenTofu binary for `npm run deploy`, the provider mirror `npm test` plans against, whether
 * `cdktf.out` is older than the config (synth again before deploying), and AWS credentials in the
 * environment for deploy and `org:sync`.
 *
 * Exit code: 0 when nothing is ✗, 1 otherwise.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InventoryError } from '../config/inventory';
import { loadConfig } from '../config/load';
import { runCli } from './run-cli';
import { DEFAULT_PLUGIN_DIR, mirroredVersions, onPath } from './terraform/toolchain';

export type Verdict = 'ok' | 'warn' | 'fail';

export interface Check {
  readonly name: string;
  readonly verdict: Verdict;
  readonly detail: string;
}

export interface DoctorIo {
  readonly stdout: (line: string) => void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** e.g. `v20.20.2` */
  readonly nodeVersion: string;
}

const MARK: Readonly<Record<Verdict, string>> = { ok: '✓', warn: '!', fail: '✗' };

/** Every check, in the order a new user meets them. */
export function runChecks(io: Omit<DoctorIo, 'stdout'>): Check[] {
  const { cwd, env } = io;
  const checks: Check[] = [];
  const add = (name: string, verdict: Verdict, detail: string) => checks.push({ name, verdict, detail });

  const major = Number(/^v?(\d+)/.exec(io.nodeVersion)?.[1] ?? 0);
  if (major < 20) add('Node.js', 'fail', `${io.nodeVersion}: vigil needs Node.js ≥ 20 (22 recommended)`);
  else if (major < 22) {
    add(
      'Node.js',
      'warn',
      `${io.nodeVersion}: works; Node.js 22 is recommended (Lambda runs nodejs22.x, and AWS SDK releases after January 2027 need it)`,
    );
  } else add('Node.js', 'ok', io.nodeVersion);

  add(
    'dependencies',
    existsSync(join(cwd, 'node_modules', 'cdktf')) ? 'ok' : 'fail',
    existsSync(join(cwd, 'node_modules', 'cdktf')) ? 'installed' : 'not installed: run `npm ci`',
  );

  const files = {
    inventory: join(cwd, env['VIGIL_INVENTORY'] ?? 'config/org.json'),
    alerting: join(cwd, env['VIGIL_ALERTING'] ?? 'config/alerting.json'),
    remediation: join(cwd, env['VIGIL_REMEDIATION'] ?? 'config/remediation.json'),
  };
  try {
    const config = loadConfig(files, {});
    add(
      'config',
      'ok',
      `${config.inventory.accounts.length} accounts, ${config.inventory.organizationalUnits.length} OUs; alerting and remediation valid`,
    );
  } catch (error) {
    if (!(error instanceof InventoryError)) throw error;
    add('config', 'fail', `${error.message}\n    fix each problem above; \`npm run synth\` lists the same`);
  }

  const binary = onPath('terraform', env) ?? onPath('tofu', env);
  add(
    'terraform',
    binary ? 'ok' : 'warn',
    binary
      ? `${binary} (npm run deploy, npm run tf:check)`
      : 'no `terraform` or `tofu` on PATH: synth and most tests work without it; install Terraform ≥ 1.10 or OpenTofu to deploy and to run the Terraform tests',
  );

  const pluginDir = env['VIGIL_TF_PLUGIN_DIR'] ?? DEFAULT_PLUGIN_DIR;
  const mirrored = mirroredVersions(pluginDir);
  add(
    'provider mirror',
    mirrored.length > 0 ? 'ok' : 'warn',
    mirrored.length > 0
      ? `hashicorp/aws ${mirrored.join(', ')} in ${pluginDir} (offline plans in npm test)`
      : `none in ${pluginDir}: the offline Terraform plans of npm test need it; fill it with \`terraform providers mirror ${pluginDir}\` on a connected machine, or set VIGIL_TF_PLUGIN_DIR`,
  );

  const manifest = join(cwd, 'cdktf.out', 'manifest.json');
  if (!existsSync(manifest)) {
    add('synth output', 'warn', 'no cdktf.out yet: run `npm run synth` before deploying');
  } else {
    const newest = Math.max(...Object.values(files).map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
    const stale = statSync(manifest).mtimeMs < newest;
    add(
      'synth output',
      stale ? 'warn' : 'ok',
      stale
        ? 'cdktf.out is older than the config: run `npm run synth` before deploying (it also removes stale stacks)'
        : 'cdktf.out is newer than the config',
    );
  }

  const credentials =
    (env['AWS_ACCESS_KEY_ID'] && env['AWS_SECRET_ACCESS_KEY']) ||
    env['AWS_PROFILE'] ||
    env['AWS_WEB_IDENTITY_TOKEN_FILE'] ||
    env['AWS_CONTAINER_CREDENTIALS_FULL_URI'];
  add(
    'AWS credentials',
    credentials ? 'ok' : 'warn',
    credentials
      ? 'found in the environment (deploy and org:sync use them; this check does not call AWS)'
      : 'none in the environment: synth and tests need none; deploy needs the deploy role, org:sync the management account (README, Deploying)',
  );
  return checks;
}

export async function main(_argv: readonly string[], partial: Partial<DoctorIo> = {}): Promise<number> {
  const io: DoctorIo = {
    stdout: (line) => process.stdout.write(`${line}\n`),
    cwd: process.cwd(),
    env: process.env,
    nodeVersion: process.version,
    ...partial,
  };
  const checks = runChecks(io);
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) io.stdout(`${MARK[c.verdict]} ${c.name.padEnd(width)}  ${c.detail}`);
  const failed = checks.filter((c) => c.verdict === 'fail').length;
  const warned = checks.filter((c) => c.verdict === 'warn').length;
  io.stdout('');
  io.stdout(
    failed > 0
      ? `${failed} problem(s) block vigil here; fix the ✗ lines.`
      : `ready${warned > 0 ? ` (${warned} note(s) above)` : ''}: npm run synth, npm test, npm run deploy -- --plan`,
  );
  return failed > 0 ? 1 : 0;
}

if (require.main === module) runCli('doctor', (argv) => main(argv), 1);
