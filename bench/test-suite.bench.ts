/**
 * The inner loop's wall time: `npm test` as a developer runs it (scripts/check.ts: typecheck, lint and the synth of
 * the example org side by side, then jest without coverage and without the suites that run external tools), with
 * each step's own time from its summary and the machine's load average before and after (other work on the machine
 * slows every step). Budget (issue #14): ≤ 60 s on the 2-core development machine. BENCH_RUNS (default 1) repeats
 * it and prints the median. The suites that run external tools (`npm run test:tools`: real Terraform, the cdktf
 * CLI) and coverage are part of `npm run test:all` (what CI runs), timed in BENCHMARKS.md on their own.
 *
 *   npx tsx bench/test-suite.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? '1');

function main(): void {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`test-suite benchmark: npm test, ${RUNS} run(s) (load average before: ${load()})`);
  const walls: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const run = spawnSync('npm', ['test', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.status !== 0) {
      console.error(run.stdout, run.stderr);
      throw new Error('npm test failed');
    }
    walls.push(seconds);
    // The runner's summary: one line per step with its own time.
    const summary = run.stdout.split('\n').filter((l) => /^ {2}[✓✗] /.test(l));
    console.log(`run ${i + 1}: ${seconds.toFixed(1)} s\n${summary.join('\n')}`);
  }
  const sorted = [...walls].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    `${'npm test'.padEnd(12)} ${median.toFixed(1).padStart(6)} s median (budget 60 s; load average after: ${load()})`,
  );
}

main();
