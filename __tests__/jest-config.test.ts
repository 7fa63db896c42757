/**
 * The node settings jest.config.js gives the worker processes that run the test files (measured in BENCHMARKS.md,
 * "The test suite"): they are what makes the suite's time, so a lost line should fail a test, not only slow it down.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CONFIG = join(__dirname, '..', 'jest.config.js');

/** What a worker would start with after jest (started with `nodeArgs`, NODE_OPTIONS `nodeOptions`) read the config. */
function workerSettings(nodeArgs: readonly string[], nodeOptions?: string) {
  const { NODE_OPTIONS: _inherited, ...env } = process.env;
  const script = join(mkdtempSync(join(tmpdir(), 'vigil-jest-config-')), 'read-config.js');
  writeFileSync(
    script,
    `require(${JSON.stringify(CONFIG)});\n` +
      'console.log(JSON.stringify({ execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS }));\n',
  );
  const run = spawnSync(process.execPath, [...nodeArgs, script], {
    encoding: 'utf8',
    env: nodeOptions === undefined ? env : { ...env, NODE_OPTIONS: nodeOptions },
  });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { execArgv: string[]; nodeOptions: string };
}

describe("jest.config.js's worker settings", () => {
  it('start workers with a 64 MB young generation and without the optimizing compiler', () => {
    expect(workerSettings([])).toEqual({ execArgv: ['--max-opt=1'], nodeOptions: '--max-semi-space-size=64' });
  });

  it('leave a setting of one’s own alone, and add to NODE_OPTIONS', () => {
    expect(workerSettings(['--max-opt=3'], '--max-semi-space-size=32')).toEqual({
      execArgv: ['--max-opt=3'],
      nodeOptions: '--max-semi-space-size=32',
    });
    expect(workerSettings(['--stack-size=2000'], '--enable-source-maps')).toEqual({
      execArgv: ['--stack-size=2000', '--max-opt=1'],
      nodeOptions: '--enable-source-maps --max-semi-space-size=64',
    });
  });
});
