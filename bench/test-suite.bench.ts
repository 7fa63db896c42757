/**
 * The inner loop's wall time: each step of `npm test` (typecheck, lint, jest without coverage and without the suites
 * that run external tools, synth of the example org), run as `npm test` runs it, timed one by one, with the machine's load average before and
 * after (other work on the machine slows every step). Budget (issue #14): ≤ 60 s on the 2-core development machine.
 * The suites that run external tools (`npm run test:tools`: real Terraform, the cdktf CLI) and coverage are part of
 * `npm run test:all` (what CI runs), timed in BENCHMARKS.md on their own: their floor is the tools themselves.
 *
 *   npx tsx bench/test-suite.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const STEPS: readonly { readonly name: string; readonly script: string }[] = [
  { name: 'typecheck (tsc --incremental)', script: 'typecheck' },
  { name: 'lint (biome)', script: 'lint' },
  { name: 'jest, no external-tool suites', script: 'test:jest' },
  { name: 'synth of the example org', script: 'synth' },
];

function main(): void {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`test-suite benchmark: the steps of npm test, one after another (load average before: ${load()})`);
  let total = 0;
  for (const step of STEPS) {
    const started = process.hrtime.bigint();
    const run = spawnSync('npm', ['run', '--silent', step.script], {
      cwd: ROOT,
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.status !== 0) {
      console.error(run.stdout, run.stderr);
      throw new Error(`npm run ${step.script} failed`);
    }
    total += seconds;
    console.log(`${step.name.padEnd(40)} ${seconds.toFixed(1).padStart(6)} s`);
  }
  console.log(
    `${'npm test'.padEnd(40)} ${total.toFixed(1).padStart(6)} s (budget 60 s; load average after: ${load()})`,
  );
}

main();
