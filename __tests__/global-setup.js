// One bundle cache for the whole test run (build/bundle.ts): the first test file that bundles a function
// builds it, every other file (each jest worker is its own process) reuses the bytes. The directory is
// the run's own, so a run never writes the project's cache; global-teardown.js removes it.
//
// It starts with the project's current entries (`node_modules/.cache/vigil-bundles`, which `npm run synth`
// keeps up to date): one manifest per function and the bundle it names. Before any test file runs, every
// entry is checked against the hashes of its inputs and the build environment, and what is missing or stale
// is built (verifyAll below), so an entry from older code is only a miss and the test files need not check
// again. A warm start saves the run ~10 s of bundling (BENCHMARKS.md, "The test suite").
// `VIGIL_TEST_COLD_BUNDLES=1` starts empty, as CI on a fresh clone does.
const { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const PROJECT_CACHE = join(__dirname, '..', 'node_modules', '.cache', 'vigil-bundles');

/**
 * Copies each manifest of `from`, the bundle it names and that bundle deflated for its zip (when stored) into `to`;
 * skips what cannot be read.
 */
function seed(from, to) {
  if (!existsSync(from)) return 0;
  let copied = 0;
  const files = readdirSync(from);
  for (const name of files.filter((n) => n.endsWith('.json'))) {
    try {
      const { code } = JSON.parse(readFileSync(join(from, name), 'utf8'));
      if (typeof code !== 'string' || !/^[0-9a-f]{64}$/.test(code)) continue;
      copyFileSync(join(from, `${code}.js`), join(to, `${code}.js`));
      for (const deflated of files.filter((n) => n.startsWith(`${code}.zlib-`) && n.endsWith('.deflate'))) {
        copyFileSync(join(from, deflated), join(to, deflated));
      }
      copyFileSync(join(from, name), join(to, name));
      copied++;
    } catch {
      // A half-written or foreign file: the run builds that function itself.
    }
  }
  return copied;
}

module.exports = async () => {
  if (!process.env.VIGIL_BUNDLE_CACHE) {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-test-bundles-'));
    if (process.env.VIGIL_TEST_COLD_BUNDLES !== '1') seed(PROJECT_CACHE, dir);
    process.env.VIGIL_BUNDLE_CACHE = dir;
    process.env.VIGIL_TEST_BUNDLE_CACHE = dir;
    verifyAll(dir);
  }
};

/**
 * Checks every function's entry in the run's cache against its inputs once, building what is missing or stale (all
 * ten, concurrently, on a cold start), and its deflated bundle (deflating what is missing or does not inflate back),
 * and then tells build/bundle.ts (`VIGIL_BUNDLE_CACHE_VERIFIED`) that the test files need not check again. A function
 * that does not build is left to the tests that bundle it, which report it.
 */
function verifyAll(dir) {
  const { functionEntrypoints, prebundle, predeflate } = require('../build/bundle');
  try {
    prebundle(functionEntrypoints());
    predeflate(functionEntrypoints());
  } catch {
    return;
  }
  process.env.VIGIL_BUNDLE_CACHE_VERIFIED = dir;
}

module.exports.seed = seed;
