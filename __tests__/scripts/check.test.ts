import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSteps, runChecks, type Step } from '../../scripts/check';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-check-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const node = (name: string, script: string, options: { live?: boolean; after?: string } = {}): Step => ({
  name,
  command: [process.execPath, '-e', script],
  ...options,
});

async function run(steps: readonly Step[]) {
  const printed: string[] = [];
  const results = await runChecks(steps, { out: (t) => printed.push(t), env: process.env, cwd: dir });
  return { results, printed: printed.join('') };
}

describe('npm test (scripts/check.ts)', () => {
  it("runs every step to its end and reports each: a failed step's whole output, a passing step's last lines", async () => {
    const { results, printed } = await run([
      node('good', "for (let i = 1; i <= 5; i++) console.log('line ' + i);"),
      node('bad', "console.log('what it checked'); console.error('error: the problem'); process.exit(3);"),
      node('streamed', '', { live: true }),
    ]);

    expect(results.map((r) => [r.name, r.code])).toEqual([
      ['good', 0],
      ['bad', 3],
      ['streamed', 0],
    ]);
    expect(printed).toContain('── good passed\n   line 3\n   line 4\n   line 5\n');
    expect(printed).not.toContain('line 2');
    expect(printed).toContain('── bad FAILED (exit 3)\n   what it checked\n   error: the problem\n');
    expect(printed).not.toContain('── streamed');
    expect(printed).toMatch(/✓ good +\d+\.\d s\n +✗ bad +\d+\.\d s\n +✓ streamed +\d+\.\d s\n +FAILED: bad in /);
  });

  it('runs the steps side by side: two steps that each wait for the other both finish', async () => {
    // Each writes its flag, then waits up to 20 s for the other's: one after another, the first would time out.
    const waitFor = (mine: string, theirs: string) =>
      [
        `const fs = require('node:fs'); fs.writeFileSync(${JSON.stringify(join(dir, mine))}, '');`,
        `const until = Date.now() + 20000;`,
        `const poll = () => fs.existsSync(${JSON.stringify(join(dir, theirs))}) ? process.exit(0)`,
        `  : Date.now() > until ? process.exit(1) : setTimeout(poll, 10);`,
        'poll();',
      ].join('\n');

    const { results, printed } = await run([node('a', waitFor('a', 'b')), node('b', waitFor('b', 'a'))]);

    expect(results.map((r) => r.code)).toEqual([0, 0]);
    expect(printed).toContain('all passed in');
    expect([existsSync(join(dir, 'a')), existsSync(join(dir, 'b'))]).toEqual([true, true]);
  });

  it('starts a step that waits for another when that one has ended, failed or not', async () => {
    const flag = JSON.stringify(join(dir, 'first-done'));
    const { results, printed } = await run([
      node('first', `setTimeout(() => { require('node:fs').writeFileSync(${flag}, ''); process.exit(2); }, 200);`),
      node('second', `process.exit(require('node:fs').existsSync(${flag}) ? 0 : 1);`, { after: 'first' }),
    ]);

    expect(results.map((r) => [r.name, r.code])).toEqual([
      ['first', 2],
      ['second', 0],
    ]);
    expect(printed).toMatch(/✓ second +\d+\.\d s \(after first\)/);
    await expect(run([node('x', '', { after: 'later' }), node('later', '')])).rejects.toThrow(
      /'x' waits for 'later', which is not an earlier step/,
    );
  });

  it('reports a program that cannot start as a failed step', async () => {
    const { results, printed } = await run([{ name: 'missing', command: [join(dir, 'no-such-program')] }]);

    expect(results[0]!.code).toBe(127);
    expect(printed).toContain('── missing FAILED (exit 127)\n   could not start');
  });

  it('streams the output of one step at most', async () => {
    await expect(run([node('a', '', { live: true }), node('b', '', { live: true })])).rejects.toThrow(
      /at most one step/,
    );
  });

  it("runs the package.json scripts: jest and synth after bundle; test:all's every suite; extra arguments to jest", () => {
    const commands = (argv: string[]) => checkSteps(argv).map((s) => [s.name, s.command.join(' '), !!s.live]);

    expect(commands([])).toEqual([
      ['typecheck', 'npm run --silent typecheck', false],
      ['lint', 'npm run --silent lint', false],
      ['bundle', 'npm run --silent bundle', false],
      ['jest', 'npm run --silent test:jest', true],
      ['synth', 'npm run --silent synth', false],
    ]);
    // Jest and synth start from the bundles the bundle step has just refreshed.
    expect(checkSteps([]).map((s) => s.after)).toEqual([undefined, undefined, undefined, 'bundle', 'bundle']);
    expect(commands(['--all'])[3]).toEqual(['jest (all suites, coverage)', 'npm run --silent test:jest:all', true]);
    expect(commands(['__tests__/rules', '-t', 'x'])[3]).toEqual([
      'jest',
      'npm run --silent test:jest -- __tests__/rules -t x',
      true,
    ]);
  });
});
