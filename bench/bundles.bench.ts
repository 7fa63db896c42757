/**
 * Handler bundles: minified size of each Lambda bundle (budget 500 KB) and its module load time
 * (a cold start's share spent requiring the code), measured in fresh child processes.
 *
 *   npx tsx bench/bundles.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleCode } from '../constructs/bundle';

const BUDGET = 500 * 1024;
const RUNS = 5;

function main(): void {
  const dir = join(__dirname, '..', 'handlers', 'entrypoints');
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const work = mkdtempSync(join(tmpdir(), 'vigil-bundles-'));
  console.log(`handler bundles (esbuild, minified, node20); load time = median of ${RUNS} fresh requires`);
  console.log('function                 size (KB)  budget  load (ms)');
  let over = 0;
  for (const file of entries) {
    const name = file.replace(/\.ts$/, '');
    const code = bundleCode(join(dir, file));
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
    if (!ok) over += 1;
    console.log(
      `${name.padEnd(24)} ${(code.length / 1024).toFixed(1).padStart(9)}  ${ok ? '  ok  ' : ' OVER '}  ${load}`,
    );
  }
  console.log(over === 0 ? 'all bundles within 500 KB' : `${over} bundle(s) over 500 KB`);
}

/** Environment the entrypoints expect at load time (values are never used: nothing is invoked). */
const PLACEHOLDER_ENV: Record<string, string> = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'placeholder',
  AWS_SECRET_ACCESS_KEY: 'placeholder',
};

if (require.main === module) main();
