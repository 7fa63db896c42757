/**
 * Handler bundles: minified size of each Lambda bundle (against its budget, build/bundle-budget.ts), the time to build it (synth
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
import { bundleBudget } from '../build/bundle-budget';

const RUNS = 5;

function main(): void {
  const dir = join(__dirname, '..', 'handlers', 'entrypoints');
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const work = mkdtempSync(join(tmpdir(), 'vigil-bundles-'));
  console.log(`handler bundles (esbuild, minified, node20); load time = median of ${RUNS} fresh requires`);
  console.log('function                 size (KB)  budget (KB)  build (ms)  load (ms)');
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
    const budget = bundleBudget(name);
    const ok = code.length <= budget;
    if (!ok) over.push(file);
    const size = (code.length / 1024).toFixed(1);
    console.log(
      `${name.padEnd(24)} ${size.padStart(9)}  ${String(budget / 1024).padStart(6)} ${ok ? 'ok  ' : 'OVER'}  ${build.padStart(10)}  ${load}`,
    );
  }
  console.log(over.length === 0 ? 'all bundles within budget' : `${over.length} bundle(s) over budget`);
  synthBundling(dir, entries);
  for (const file of over) {
    console.log(`\n${file.replace(/\.ts$/, '')}: minified KB by package (project code by directory), ≥ 2 KB`);
    for (const [part, bytes] of bundleComposition(join(dir, file))) {
      if (bytes >= 2048) console.log(`  ${part.padEnd(50)} ${(bytes / 1024).toFixed(1).padStart(7)}`);
    }
  }
}

/**
 * What synth pays for the bundles: every entrypoint one builder process at a time (before), against one
 * builder process for all of them, built concurrently by esbuild (`prebundle`, what the security stack
 * does). Each run in a fresh process, so nothing is memoized; median of RUNS, alternating.
 */
function synthBundling(dir: string, entries: readonly string[]): void {
  const script = (batch: boolean) =>
    `const b=require(${JSON.stringify(join(__dirname, '..', 'build', 'bundle'))});` +
    `const e=${JSON.stringify(entries.map((f) => join(dir, f)))};const t=performance.now();` +
    `${batch ? 'b.prebundle(e)' : 'for (const x of e) b.bundleCode(x)'};console.log(performance.now()-t)`;
  const time = (batch: boolean) => {
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), '-e', script(batch)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr);
    return Number(run.stdout.trim().split('\n').pop());
  };
  const one: number[] = [];
  const all: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    one.push(time(false));
    all.push(time(true));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `\nsynth bundling of ${entries.length} functions: one at a time ${(median(one) / 1000).toFixed(2)} s, ` +
      `all at once ${(median(all) / 1000).toFixed(2)} s (median of ${RUNS})`,
  );
}

/** Environment the entrypoints expect at load time (values are never used: nothing is invoked). */
const PLACEHOLDER_ENV: Record<string, string> = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'placeholder',
  AWS_SECRET_ACCESS_KEY: 'placeholder',
};

if (require.main === module) main();
