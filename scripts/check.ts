/**
 * `npm test` and `npm run test:all`: typecheck, lint, jest and the synth of the example org, side by side.
 *
 * Run one after another they left a core idle: tsc and synth are single-threaded, and jest waited for them.
 * Here typecheck, lint and `npm run bundle` start at once, then jest and synth as soon as the bundle cache is
 * fresh (build/bundle.ts; a second or two when no handler changed): after a handler change the ten functions are
 * bundled once, instead of by synth and again by jest's run. Jest's output streams as it runs, the others' is
 * held and printed when all are done (a step that fails prints everything it wrote; one that passes, its last
 * lines), then a summary with each step's time. Every step runs to its end, so one run reports every kind of failure; the exit
 * code is 1 when any step failed.
 *
 *   npm test                      typecheck, lint, jest without coverage and without the external-tool suites, synth
 *   npm test -- __tests__/rules   the same, with only the jest files those arguments select
 *   npm run test:all              every jest suite with the coverage threshold (what CI runs)
 *
 * Each step is the package.json script of the same name (`typecheck`, `lint`, `bundle`, `test:jest` or
 * `test:jest:all`, `synth`), so package.json stays the one definition of what a step runs.
 */
import { spawn } from 'node:child_process';
import { runCli } from './run-cli';

export interface Step {
  readonly name: string;
  /** Program and arguments. */
  readonly command: readonly [string, ...string[]];
  /** Stream the output as it comes (one step at most: jest) instead of holding it until that step is done. */
  readonly live?: boolean;
  /** Start when this earlier step has ended (passed or not) instead of at once. */
  readonly after?: string;
}

export interface StepResult {
  readonly name: string;
  readonly code: number;
  readonly seconds: number;
  readonly output: string;
}

export interface CheckIo {
  /** Where held output and the summary go. */
  readonly out: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Lines of a passing step's output shown in the report (the summary line of synth, lint's count). */
const PASSING_TAIL = 3;

function runStep(step: Step, io: CheckIo): Promise<StepResult> {
  const started = process.hrtime.bigint();
  return new Promise((resolvePromise) => {
    const chunks: Buffer[] = [];
    const [program, ...args] = step.command;
    const child = spawn(program, args, {
      cwd: io.cwd,
      env: io.env,
      stdio: step.live ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
    const finish = (code: number, extra = '') =>
      resolvePromise({
        name: step.name,
        code,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        output: Buffer.concat(chunks).toString('utf8') + extra,
      });
    child.on('error', (error) => finish(127, `could not start ${program}: ${error.message}\n`));
    child.on('close', (code, signal) => finish(code ?? 1, signal ? `${step.name} ended by ${signal}\n` : ''));
  });
}

/** The report of held output: all of a failed step's, the last lines of a passing one's. */
function report(result: StepResult): string {
  const lines = result.output.replace(/\s+$/, '').split('\n').filter(Boolean);
  const shown = result.code === 0 ? lines.slice(-PASSING_TAIL) : lines;
  const head = `── ${result.name} ${result.code === 0 ? 'passed' : `FAILED (exit ${result.code})`}`;
  return `${[head, ...shown.map((l) => `   ${l}`)].join('\n')}\n`;
}

/**
 * Runs the steps side by side, each at once or when the step it waits for has ended; returns each result in the
 * order given, after printing the report and summary.
 */
export async function runChecks(steps: readonly Step[], io: CheckIo): Promise<StepResult[]> {
  if (steps.filter((s) => s.live).length > 1) throw new Error('runChecks: at most one step can stream its output');
  if (new Set(steps.map((s) => s.name)).size !== steps.length) throw new Error('runChecks: step names must differ');
  const started = process.hrtime.bigint();
  const running = new Map<string, Promise<StepResult>>();
  for (const step of steps) {
    const before = step.after === undefined ? Promise.resolve() : running.get(step.after);
    if (!before)
      throw new Error(`runChecks: step '${step.name}' waits for '${step.after}', which is not an earlier step`);
    running.set(
      step.name,
      before.then(() => runStep(step, io)),
    );
  }
  const results = await Promise.all(running.values());
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  for (const [i, result] of results.entries()) if (!steps[i]!.live || result.code !== 0) io.out(report(result));
  const width = Math.max(...results.map((r) => r.name.length));
  const rows = results.map(
    (r, i) =>
      `  ${r.code === 0 ? '✓' : '✗'} ${r.name.padEnd(width)} ${r.seconds.toFixed(1).padStart(6)} s` +
      (steps[i]!.after ? ` (after ${steps[i]!.after})` : ''),
  );
  const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
  io.out(
    `\n${rows.join('\n')}\n  ${failed.length ? `FAILED: ${failed.join(', ')}` : 'all passed'} in ${wall.toFixed(1)} s (side by side)\n`,
  );
  return results;
}

/** The steps of `npm test` (or of `test:all` with `--all`); other arguments go to jest. */
export function checkSteps(argv: readonly string[]): Step[] {
  const all = argv.includes('--all');
  const jestArgs = argv.filter((a) => a !== '--all');
  const npm = (script: string, extra: readonly string[] = []): [string, ...string[]] => [
    'npm',
    'run',
    '--silent',
    script,
    ...(extra.length ? ['--', ...extra] : []),
  ];
  return [
    { name: 'typecheck', command: npm('typecheck') },
    { name: 'lint', command: npm('lint') },
    { name: 'bundle', command: npm('bundle') },
    {
      name: all ? 'jest (all suites, coverage)' : 'jest',
      command: npm(all ? 'test:jest:all' : 'test:jest', jestArgs),
      live: true,
      after: 'bundle',
    },
    { name: 'synth', command: npm('synth'), after: 'bundle' },
  ];
}

export async function main(
  argv: string[],
  io: CheckIo = {
    out: (t) => process.stdout.write(t),
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    cwd: process.cwd(),
  },
): Promise<number> {
  const results = await runChecks(checkSteps(argv), io);
  return results.every((r) => r.code === 0) ? 0 : 1;
}

if (require.main === module) runCli('check', main, 1);
