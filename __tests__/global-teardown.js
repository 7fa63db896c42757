// Removes the run's bundle cache that global-setup.js created (and only that one).
const { rmSync } = require('node:fs');

module.exports = async () => {
  const dir = process.env.VIGIL_TEST_BUNDLE_CACHE;
  if (dir) rmSync(dir, { recursive: true, force: true });
};
