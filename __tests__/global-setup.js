// One bundle cache for the whole test run (build/bundle.ts): the first test file that bundles a function
// builds it, every other file (each jest worker is its own process) reuses the bytes. The directory is
// the run's own, so no state leaks between runs; global-teardown.js removes it.
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async () => {
  if (!process.env.VIGIL_BUNDLE_CACHE) {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-test-bundles-'));
    process.env.VIGIL_BUNDLE_CACHE = dir;
    process.env.VIGIL_TEST_BUNDLE_CACHE = dir;
  }
};
