const { cdktfModuleNameMapper } = require('./__tests__/cdktf-bundle');

// Settings of the node processes that run the test files (jest's workers), measured in BENCHMARKS.md ("The test suite",
// sessions 14 and 15). A setting of one's own wins: NODE_OPTIONS that name a young generation, a `node --max-opt=…`
// that starts jest.
//
// A 64 MB young generation (V8's semi-space; 16 MB by default on 64-bit), through NODE_OPTIONS, which the workers
// inherit: every test file loads its modules afresh and drops them at its end, so most of what the workers allocate
// dies young, and a larger young generation collects it in fewer scavenges. 128 MB was slower.
if (!/--max-semi-space-size\b/.test(process.env.NODE_OPTIONS ?? '')) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim();
}
// No optimizing compiler (`--max-opt=1`: interpreter and Sparkplug, V8's baseline compiler). Each test file runs its
// modules' code from a fresh compile, so TurboFan optimized the same hot functions again in every file, for code that
// then ran a few milliseconds: 14.5 % of the CPU of `npm test` was TurboFan's. V8 flags cannot go through
// NODE_OPTIONS; jest-worker starts each worker with this process's execArgv, which this file is read in time to extend.
// It holds for the whole worker (replay's worker threads too); processes the tests spawn (synth, the bundler, CLIs) do
// not inherit it. `jest -i` runs the files in this process, which started without it.
if (!process.execArgv.some((arg) => /^--max-opt\b/.test(arg))) process.execArgv.push('--max-opt=1');

/** @type {import('jest').Config} */
module.exports = {
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  testEnvironment: 'node',
  // Type checking is `npm run typecheck`'s job; tests transpile only, which keeps them fast.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // cdktf, and the AWS provider classes framework/aws.ts names, load as one pre-built file each
  // (__tests__/cdktf-bundle.js; built on the first run after an install or a change to that list, then reused): each
  // test file that builds stacks loads two bundles and a one-line module per provider class instead of ~410 modules,
  // and 1.5 MB of provider code instead of 7.9 MB.
  // The private modules framework/synth-performance.ts patches map to the cdktf bundle's own copies; any other
  // `cdktf/lib/…` fails to resolve until it is added to INTERNALS there. `VIGIL_JEST_CDKTF_BUNDLE=off` loads their files
  // as node does (to step through them, or to compare); the tests pass either way.
  moduleNameMapper: cdktfModuleNameMapper(),
  // Jest's module runtime, keeping each installed package's source and each module's wrapper text for the whole run
  // in a worker instead of per test file (__tests__/jest-runtime.js): 630 MB of source text copied per run, down to
  // the 31 MB of distinct files.
  runtime: '<rootDir>/__tests__/jest-runtime.js',
  setupFilesAfterEnv: ['<rootDir>/__tests__/setup.ts'],
  // One bundle cache per run, shared by the workers (build/bundle.ts): functions are bundled once, not per file.
  globalSetup: '<rootDir>/__tests__/global-setup.js',
  globalTeardown: '<rootDir>/__tests__/global-teardown.js',
  testTimeout: 30000,
  // Jest's default is one worker fewer than the cores: one worker on a 2-core machine. Test files are
  // independent (each has its own temp root, the bundle cache is written atomically), so use them all.
  maxWorkers: '100%',
  // Handler logs stay out of the test output (tests that care about a log line spy on console or inject
  // the writer). To see them while debugging: `npx jest --silent=false <file>`.
  silent: true,
  collectCoverageFrom: [
    '{handlers,rules,config,stacks,constructs,scripts,build,derive}/**/*.ts',
    'main.ts',
    'app.ts',
    '!**/*.d.ts',
  ],
  coverageReporters: ['text-summary'],
  // `npm run test:all` (what CI runs) measures coverage; `npm test`, the inner loop, does not (instrumentation
  // costs it about a third of its CPU). Measured 2026-12-04 on the final commit of the session: 93.8 / 83.3 /
  // 92.6 / 95.2 % without the Terraform suite, 93.9 / 83.3 / 92.9 / 95.3 % with it. A drop of more than
  // about a point fails the run, on machines with and without terraform.
  coverageThreshold: { global: { statements: 93, branches: 82, functions: 92, lines: 94 } },
};
