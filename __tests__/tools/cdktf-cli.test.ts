/**
 * `npx cdktf synth` (the pinned cdktf-cli dev dependency, for those who prefer it) and `npm run synth`
 * (main.ts, no CLI) write the same Terraform: the synthesized JSON is the contract, whichever tool
 * produced it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App } from '../../framework/cdktf';
import { loadConfig } from '../../config/load';
import { buildApp } from '../../app';

const ROOT = join(__dirname, '..', '..');

/** Every file under `dir` (relative path → content). */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

describe('npx cdktf synth', () => {
  it('writes exactly what npm run synth writes', () => {
    const work = mkdtempSync(join(tmpdir(), 'vigil-cdktf-cli-'));
    const tfrc = join(work, 'terraformrc');
    writeFileSync(tfrc, '');
    const cli = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf'), 'synth', '--output', join(work, 'cli')],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1', TF_CLI_CONFIG_FILE: tfrc, FORCE_COLOR: '0' },
        timeout: 240_000,
      },
    );
    expect({ status: cli.status, stderr: cli.status === 0 ? '' : cli.stderr }).toEqual({ status: 0, stderr: '' });

    const lib = join(work, 'lib');
    buildApp(new App({ outdir: lib, stackTraces: false }), loadConfig()).synth();

    const fromCli = tree(join(work, 'cli'));
    const fromLib = tree(lib);
    expect([...fromCli.keys()]).toEqual([...fromLib.keys()]);
    expect([...fromCli.keys()].filter((f) => fromCli.get(f) !== fromLib.get(f))).toEqual([]);
  }, 300_000);
});
