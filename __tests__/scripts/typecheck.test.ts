import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// scripts/typecheck.mjs (`npm run typecheck`) on a one-file project: tsc --build, and a build info stamped when
// tsc passed without rewriting it, so the next run is skipped instead of parsing everything again.
const SCRIPT = resolve(__dirname, '..', '..', 'scripts', 'typecheck.mjs');
const TSC = require.resolve('typescript/bin/tsc');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-typecheck-'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        incremental: true,
        types: [],
        lib: ['ES2022'],
        tsBuildInfoFile: './cache/tsc.tsbuildinfo',
      },
      include: ['*.ts'],
    }),
  );
  writeFileSync(join(dir, 'a.ts'), 'export const a: number = 1;\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const typecheck = () => spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' });
/** What tsc --build --verbose says about the project (without building it: --dry). */
const status = () =>
  spawnSync(process.execPath, [TSC, '--build', '--verbose', '--dry', join(dir, 'tsconfig.json')], {
    encoding: 'utf8',
  }).stdout;
const INFO = () => join(dir, 'cache', 'tsc.tsbuildinfo');
/** Sets a file's time `seconds` from now. */
const age = (file: string, seconds: number) => {
  const t = new Date(Date.now() + seconds * 1000);
  utimesSync(file, t, t);
};

describe('npm run typecheck', () => {
  it('checks, then is up to date; after tsconfig.json is saved again unchanged, checks once more, then is up to date', () => {
    expect(typecheck().status).toBe(0);
    expect(status()).toMatch(/is up to date/);

    // tsconfig.json saved again, unchanged, after the build info: tsc checks the whole program, finds nothing new
    // and does not rewrite the build info, which this script then stamps. (tsc alone stays out of date for good.)
    age(join(dir, 'a.ts'), -90);
    age(INFO(), -60);
    age(join(dir, 'tsconfig.json'), -30);
    expect(status()).toMatch(/out of date because output '.*tsc\.tsbuildinfo' is older than input '.*tsconfig\.json'/);
    const before = statSync(INFO()).mtimeMs;
    expect(typecheck().status).toBe(0);
    expect(statSync(INFO()).mtimeMs).toBeGreaterThan(before);
    expect(status()).toMatch(/is up to date/);
  });

  it('leaves the build info alone when the check fails, so the next run reports the error again', () => {
    writeFileSync(join(dir, 'b.ts'), 'export const b: number = "not a number";\n');
    const failed = typecheck();
    expect(failed.status).not.toBe(0);
    expect(failed.stdout).toMatch(/b\.ts.*TS2322/s);
    expect(status()).not.toMatch(/is up to date/);
    const again = typecheck();
    expect(again.status).not.toBe(0);
    expect(again.stdout).toMatch(/b\.ts.*TS2322/s);
    rmSync(join(dir, 'b.ts'));
  });

  it('leaves the build info alone when tsconfig.json is wrong, so the next run reports it again', () => {
    const config = readFileSync(join(dir, 'tsconfig.json'), 'utf8');
    expect(typecheck().status).toBe(0);
    age(INFO(), -60);
    writeFileSync(join(dir, 'tsconfig.json'), config.replace('"strict":true', '"strictest":true'));
    for (const attempt of [typecheck(), typecheck()]) {
      expect(attempt.status).not.toBe(0);
      expect(attempt.stdout).toMatch(/Unknown compiler option 'strictest'/);
    }
    writeFileSync(join(dir, 'tsconfig.json'), config);
  });

  it('says how to fix a project that does not exist', () => {
    const missing = spawnSync(process.execPath, [SCRIPT, join(dir, 'nowhere')], { encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(missing.stdout + missing.stderr).toMatch(/nowhere.*tsconfig\.json/s);
  });
});
