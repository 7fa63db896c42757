/**
 * The local Terraform toolchain: the binary on PATH and the filesystem mirror of the AWS provider.
 * Nothing here downloads anything: `init` is pointed at the mirror by a throwaway CLI config, and
 * direct installation from the registry is switched off so a missing provider fails instead of
 * reaching for the network.
 */
import { accessSync, constants, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Registry address of the only provider vigil's stacks use. */
export const AWS_PROVIDER = 'registry.terraform.io/hashicorp/aws';

/** Where this project's machines (and CI) keep the provider mirror. @see README "Development" */
export const DEFAULT_PLUGIN_DIR = '/opt/tf-plugins';

/** The binary and mirror a check runs with. */
export interface Toolchain {
  /** Absolute path of the `terraform` binary. */
  readonly terraform: string;
  /** Filesystem mirror root (`<dir>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/…`). */
  readonly pluginDir: string;
  /** AWS provider versions the mirror holds, newest first. */
  readonly mirrored: readonly string[];
}

/** Absolute path of `name` on PATH, or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** Compares dotted numeric versions (`5.100.0` < `6.25.0`); pre-release suffixes are not used by the mirror. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Major version of a dotted version string. */
export const majorOf = (version: string): number => Number(version.split('.')[0]);

/**
 * AWS provider versions in an unpacked filesystem mirror that hold a binary for this platform, newest
 * first. Read at run time: a machine that gains a 6.x mirror validates without the `region` edit.
 */
export function mirroredVersions(pluginDir: string, platform = currentPlatform()): string[] {
  const root = join(pluginDir, ...AWS_PROVIDER.split('/'));
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v) && existsSync(join(root, v, platform)))
    .sort((a, b) => compareVersions(b, a));
}

/** Terraform's `<os>_<arch>` for this machine. */
export function currentPlatform(): string {
  const arch = ({ x64: 'amd64', arm64: 'arm64', ia32: '386' } as Record<string, string>)[process.arch] ?? process.arch;
  return `${process.platform}_${arch}`;
}

/**
 * What is missing for an offline check, phrased with the fix; empty when the toolchain is complete.
 */
export function toolchainProblems(
  env: NodeJS.ProcessEnv = process.env,
  pluginDir = env['VIGIL_TF_PLUGIN_DIR'] ?? DEFAULT_PLUGIN_DIR,
): string[] {
  const problems: string[] = [];
  if (!onPath('terraform', env)) {
    problems.push('no `terraform` binary on PATH: install Terraform ≥ 1.10 (this project checks with 1.11.4)');
  }
  if (mirroredVersions(pluginDir).length === 0) {
    problems.push(
      `no ${AWS_PROVIDER} provider for ${currentPlatform()} in the mirror ${pluginDir}: ` +
        `fill it with \`terraform providers mirror ${pluginDir}\` on a connected machine, or set VIGIL_TF_PLUGIN_DIR`,
    );
  }
  return problems;
}

/** The toolchain of this machine, or undefined when `toolchainProblems` reports something missing. */
export function findToolchain(env: NodeJS.ProcessEnv = process.env): Toolchain | undefined {
  const pluginDir = env['VIGIL_TF_PLUGIN_DIR'] ?? DEFAULT_PLUGIN_DIR;
  const terraform = onPath('terraform', env);
  const mirrored = mirroredVersions(pluginDir);
  return terraform && mirrored.length > 0 ? { terraform, pluginDir, mirrored } : undefined;
}

/**
 * Writes a CLI config that installs the AWS provider from the mirror only (`direct` excludes every
 * registry provider, so nothing is downloaded) and shares one plugin cache, so each stack's
 * `.terraform` holds a symlink instead of a 700 MB copy of the provider. Returns the file's path.
 */
export function writeCliConfig(dir: string, pluginDir: string): string {
  const file = join(dir, 'terraform.tfrc');
  mkdirSync(join(dir, 'plugin-cache'), { recursive: true });
  writeFileSync(
    file,
    [
      `plugin_cache_dir = ${JSON.stringify(join(dir, 'plugin-cache'))}`,
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(pluginDir)}`,
      `    include = [${JSON.stringify(AWS_PROVIDER)}]`,
      '  }',
      '  direct {',
      '    exclude = ["registry.terraform.io/*/*"]',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * Environment for every terraform process: the throwaway CLI config, no prompts, no update check,
 * and none of the caller's AWS_* variables, so no real credentials or profile can take part.
 */
export function terraformEnv(cliConfigFile: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('AWS_') && !k.startsWith('TF_')) clean[k] = v;
  return {
    ...clean,
    TF_CLI_CONFIG_FILE: cliConfigFile,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
  };
}
