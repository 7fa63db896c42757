import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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
        lib: ['ES5'],
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

// Each tsc run costs ~0.7 s (loading TypeScript), so the cases share the project and run it as few times as they can.
describe('npm run typecheck', () => {
  it('after tsconfig.json is saved again unchanged, checks once more and stamps the build info: then up to date', () => {
    expect(typecheck().status).toBe(0);
    // tsc checks the whole program, finds nothing new and does not rewrite its build info, so tsc alone would stay
    // out of date for good; the script stamps it.
    age(join(dir, 'a.ts'), -90);
    age(INFO(), -60);
    age(join(dir, 'tsconfig.json'), -30);
    const before = statSync(INFO()).mtimeMs;
    expect(typecheck().status).toBe(0);
    expect(statSync(INFO()).mtimeMs).toBeGreaterThan(before);
    expect(status()).toMatch(/is up to date/);
  });

  it("fails with tsc's report when the check fails", () => {
    writeFileSync(join(dir, 'b.ts'), 'export const b: number = "not a number";\n');
    const failed = typecheck();
    rmSync(join(dir, 'b.ts'));
    expect(failed.status).not.toBe(0);
    expect(failed.stdout).toMatch(/b\.ts.*TS2322/s);
  });

  it('says how to fix a project that does not exist', () => {
    const missing = spawnSync(process.execPath, [SCRIPT, join(dir, 'nowhere')], { encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/nowhere\/tsconfig\.json does not exist; run it in the repository/);
  });
});
