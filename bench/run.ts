/** `npm run bench`: every benchmark in turn, each printing its own figures. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const BENCHES = [
  'synth.ts',
  'event-pattern.bench.ts',
  'replay.bench.ts',
  'sweep.bench.ts',
  'bundles.bench.ts',
  'inventory.bench.ts',
  'powertools.bench.ts',
  'forwarding-limits.bench.ts',
  'test-suite.bench.ts',
];

let failed = 0;
for (const file of BENCHES) {
  const path = join(__dirname, file);
  if (!existsSync(path)) continue;
  console.log(`\n=== ${file} ===`);
  const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), path], { stdio: 'inherit' });
  if (run.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
