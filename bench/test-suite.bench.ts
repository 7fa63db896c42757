/**
 * The inner loop's wall time: `npm test` as a developer runs it (scripts/check.ts: typecheck, lint and the bundle
 * step side by side, then jest without coverage and without the suites that run external tools, and synth of the
 * example org), with each step's own time from its summary and the machine's load average before and after (other
 * work on the machine slows every step). Budget (issue #14): ≤ 60 s on the 2-core development machine.
 *
 * Three situations, because the caches make them differ:
 * - nothing changed since the last run (tsc --build is up to date, every bundle comes from the cache);
 * - a test file edited (a comment line appended, then removed): tsc re-checks, bundles still cached;
 * - a handler file edited the same way: tsc re-checks and every function that includes it is bundled again.
 * BENCH_RUNS (default 1) repeats each and prints the median. The suites that run external tools
 * (`npm run test:tools`: real Terraform, the cdktf CLI) and coverage are part of `npm run test:all` (what CI runs),
 * timed in BENCHMARKS.md on their own.
 *
 *   npx tsx bench/test-suite.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? '1');
const SITUATIONS: readonly { readonly name: string; readonly edit?: string }[] = [
  { name: 'unchanged' },
  { name: 'test file edited', edit: '__tests__/rules/catalog.test.ts' },
  { name: 'handler file edited', edit: 'handlers/core/triage.ts' },
];

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** One `npm test`, with `edit` (if any) carrying an extra comment line while it runs. */
function runOnce(edit: string | undefined): { seconds: number; summary: string[] } {
  const file = edit ? join(ROOT, edit) : undefined;
  const original = file ? readFileSync(file) : undefined;
  if (file) writeFileSync(file, `${original}\n// bench edit ${Date.now()}\n`);
  try {
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
    // The runner's summary: one line per step with its own time.
    return { seconds, summary: run.stdout.split('\n').filter((l) => /^ {2}[✓✗] /.test(l)) };
  } finally {
    if (file && original) writeFileSync(file, original);
  }
}

function main(): void {
  console.log(`test-suite benchmark: npm test, ${RUNS} run(s) per situation (load average before: ${load()})`);
  // A first run brings every cache up to date, so "unchanged" means unchanged.
  runOnce(undefined);
  for (const situation of SITUATIONS) {
    const walls: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { seconds, summary } = runOnce(situation.edit);
      walls.push(seconds);
      console.log(`${situation.name}, run ${i + 1}: ${seconds.toFixed(1)} s (load ${load()})\n${summary.join('\n')}`);
    }
    const median = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)]!;
    console.log(`npm test, ${situation.name}: ${median.toFixed(1)} s median (budget 60 s)`);
  }
  // The last edit is reverted: bring the bundle cache back in step with the tree.
  spawnSync('npm', ['run', '--silent', 'bundle'], { cwd: ROOT, stdio: 'ignore' });
  console.log(`load average after: ${load()}`);
}

main();
