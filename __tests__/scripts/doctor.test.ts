import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Check, main, runChecks } from '../../scripts/doctor';
import { currentPlatform } from '../../scripts/terraform/toolchain';

const ROOT = resolve(__dirname, '../..');

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'doctor-test-'));
  mkdirSync(join(dir, 'project', 'config'), { recursive: true });
  for (const f of ['org.json', 'alerting.json', 'remediation.json']) {
    copyFileSync(join(ROOT, 'config', f), join(dir, 'project', 'config', f));
  }
  mkdirSync(join(dir, 'project', 'node_modules', 'cdktf'), { recursive: true });
  // A terraform binary on PATH and a provider mirror, both fake.
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'terraform'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(dir, 'bin', 'terraform'), 0o755);
  const provider = join(dir, 'mirror', 'registry.terraform.io', 'hashicorp', 'aws', '5.100.0', currentPlatform());
  mkdirSync(provider, { recursive: true });
  writeFileSync(join(provider, 'terraform-provider-aws_v5.100.0_x5'), '');
  env = { PATH: join(dir, 'bin'), VIGIL_TF_PLUGIN_DIR: join(dir, 'mirror'), AWS_PROFILE: 'deploy' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cwd = () => join(dir, 'project');
const verdicts = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.name, c.verdict]));

function synthAt(seconds: number) {
  mkdirSync(join(cwd(), 'cdktf.out'), { recursive: true });
  writeFileSync(join(cwd(), 'cdktf.out', 'manifest.json'), '{}');
  utimesSync(join(cwd(), 'cdktf.out', 'manifest.json'), seconds, seconds);
}

describe('npm run doctor', () => {
  it('passes a ready checkout, and says what to run', async () => {
    synthAt(Date.now() / 1000 + 60);
    const out: string[] = [];

    const code = await main([], { cwd: cwd(), env, nodeVersion: 'v22.12.0', stdout: (l) => out.push(l) });

    expect(code).toBe(0);
    expect(out.filter((l) => /^[✓!✗]/.test(l)).map((l) => l[0])).toEqual(['✓', '✓', '✓', '✓', '✓', '✓', '✓']);
    expect(out.at(-1)).toBe('ready: npm run synth, npm test, npm run deploy -- --plan');
  });

  it.each([
    ['v18.19.0', 'fail'],
    ['v20.20.2', 'warn'],
    ['v22.12.0', 'ok'],
  ])('judges Node.js %s as %s', (nodeVersion, verdict) => {
    expect(verdicts(runChecks({ cwd: cwd(), env, nodeVersion }))['Node.js']).toBe(verdict);
  });

  it('fails on missing dependencies and an invalid config, naming every problem, and exits 1', async () => {
    rmSync(join(cwd(), 'node_modules'), { recursive: true });
    writeFileSync(join(cwd(), 'config', 'alerting.json'), JSON.stringify({ repeatWindowSeconds: -1 }));
    const out: string[] = [];

    const code = await main([], { cwd: cwd(), env, nodeVersion: 'v22.12.0', stdout: (l) => out.push(l) });

    expect(code).toBe(1);
    const text = out.join('\n');
    expect(text).toMatch(/✗ dependencies +not installed: run `npm ci`/);
    expect(text).toMatch(/✗ config[\s\S]*alerting\.json: repeatWindowSeconds/);
    expect(out.at(-1)).toBe('2 problem(s) block vigil here; fix the ✗ lines.');
  });

  it('notes what only deploying needs: terraform, the mirror, a fresh synth, credentials', () => {
    synthAt(1);

    const bare = { PATH: join(dir, 'nothing'), VIGIL_TF_PLUGIN_DIR: join(dir, 'no-mirror') };
    const checks = runChecks({ cwd: cwd(), env: bare, nodeVersion: 'v22.12.0' });

    expect(verdicts(checks)).toMatchObject({
      terraform: 'warn',
      'provider mirror': 'warn',
      'synth output': 'warn',
      'AWS credentials': 'warn',
    });
    expect(checks.find((c) => c.name === 'synth output')!.detail).toMatch(/older than the config: run `npm run synth`/);
  });
});
