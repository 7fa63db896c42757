const { cdktfModuleNameMapper } = require('./__tests__/cdktf-bundle');

// Jest's worker processes inherit this environment: each gets a 64 MB young generation (V8's semi-space; 16 MB by
// default on 64-bit). Every test file loads its modules afresh and drops them at its end, so most of what the workers
// allocate dies young, and a larger young generation collects it in fewer scavenges. BENCHMARKS.md ("The test
// suite", session 14) has the measurements; 128 MB was slower. A setting of the variable's own wins.
if (!/--max-semi-space-size\b/.test(process.env.NODE_OPTIONS ?? '')) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim();
}

/** @type {import('jest').Config} */
module.exports = {
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  testEnvironment: 'node',
  // Type checking is `npm run typecheck`'s job; tests transpile only, which keeps them fast.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // cdktf loads as one pre-built file (__tests__/cdktf-bundle.js; built on the first run after an install, then
  // reused): each test file that builds stacks loads it instead of ~370 modules, ~85 ms less each. The private modules
  // framework/synth-performance.ts patches map to the bundle's own copies; any other `cdktf/lib/…` fails to resolve
  // until it is added to INTERNALS there. `VIGIL_JEST_CDKTF_BUNDLE=off` loads cdktf's files as node does (to step
  // through them, or to compare); the tests pass either way.
  moduleNameMapper: cdktfModuleNameMapper(),
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
