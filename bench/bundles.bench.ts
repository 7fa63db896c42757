/**
 * Handler bundles: minified size of each Lambda bundle (budget 500 KB), the time to build it (synth
 * pays it once per function) and its module load time (a cold start's share spent requiring the
 * code), measured in fresh child processes. For a bundle over budget, what it is made of.
 *
 *   npx tsx bench/bundles.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleCode, bundleComposition } from '../build/bundle';

const BUDGET = 500 * 1024;
const RUNS = 5;

function main(): void {
  const dir = join(__dirname, '..', 'handlers', 'entrypoints');
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const work = mkdtempSync(join(tmpdir(), 'vigil-bundles-'));
  console.log(`handler bundles (esbuild, minified, node20); load time = median of ${RUNS} fresh requires`);
  console.log('function                 size (KB)  budget  build (ms)  load (ms)');
  const over: string[] = [];
  for (const file of entries) {
    const name = file.replace(/\.ts$/, '');
    const started = performance.now();
    const code = bundleCode(join(dir, file));
    const build = (performance.now() - started).toFixed(0);
    const path = join(work, `${name}.js`);
    writeFileSync(path, code);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Entry points read their settings at load; harmless placeholders keep them from failing fast.
      const run = spawnSync(
        process.execPath,
        [
          '-e',
          `const t=process.hrtime.bigint();require(${JSON.stringify(path)});console.log(Number(process.hrtime.bigint()-t)/1e6)`,
        ],
        { encoding: 'utf8', env: { ...process.env, ...PLACEHOLDER_ENV } },
      );
      const ms = Number(run.stdout.trim().split('\n').pop());
      if (run.status === 0 && Number.isFinite(ms)) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const load =
      times.length > 0 ? times[Math.floor(times.length / 2)]!.toFixed(1) : 'n/a (fails to load without AWS settings)';
    const ok = code.length <= BUDGET;
    if (!ok) over.push(file);
    const size = (code.length / 1024).toFixed(1);
    console.log(`${name.padEnd(24)} ${size.padStart(9)}  ${ok ? '  ok  ' : ' OVER '}  ${build.padStart(10)}  ${load}`);
  }
  console.log(over.length === 0 ? 'all bundles within 500 KB' : `${over.length} bundle(s) over 500 KB`);
  for (const file of over) {
    console.log(`\n${file.replace(/\.ts$/, '')}: minified KB by package (project code by directory), ≥ 2 KB`);
    for (const [part, bytes] of bundleComposition(join(dir, file))) {
      if (bytes >= 2048) console.log(`  ${part.padEnd(50)} ${(bytes / 1024).toFixed(1).padStart(7)}`);
    }
  }
}

/** Environment the entrypoints expect at load time (values are never used: nothing is invoked). */
const PLACEHOLDER_ENV: Record<string, string> = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'placeholder',
  AWS_SECRET_ACCESS_KEY: 'placeholder',
};

if (require.main === module) main();
