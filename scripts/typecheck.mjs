// `npm run typecheck`: `tsc --build` of the project, plus one fix to how it decides it has nothing to do.
//
// tsc --build skips a project whose build info (tsconfig.json's `tsBuildInfoFile`) is newer than every input file
// and tsconfig.json. When tsconfig.json is newer (saved again, touched by a merge or a branch switch), tsc checks
// the whole program, and if that changes nothing in the program's state it passes without rewriting its build info:
// the build info stays older than tsconfig.json, and every later run parses and binds the whole program again
// (~5,000 files, ~9 s of CPU here) to find nothing again. (A source file saved again unchanged is not the problem:
// tsc compares its hash and only notes that timestamps are behind.) After a passing check this sets the
// build info's time to when the check started (less a second, for coarse file-system clocks), which is what it
// vouches for: a file changed after that is newer, and the next run checks again. A failing check leaves it alone.
//
//   node scripts/typecheck.mjs [project directory or tsconfig file]   (default: the current directory)

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const target = resolve(process.argv[2] ?? '.');
const config = target.endsWith('.json') ? target : join(target, 'tsconfig.json');
const require = createRequire(import.meta.url);

/** The build info file tsconfig.json names, or undefined (no incremental build info to stamp). */
function buildInfoFile() {
  try {
    const { compilerOptions = {} } = JSON.parse(readFileSync(config, 'utf8'));
    const file = compilerOptions.tsBuildInfoFile;
    return typeof file === 'string' ? resolve(dirname(config), file) : undefined;
  } catch {
    // A tsconfig.json with comments or one that does not parse: tsc reports what is wrong with it, nothing to stamp.
    return undefined;
  }
}

if (!existsSync(config)) {
  console.error(`typecheck: ${config} does not exist; run it in the repository or pass a project's directory.`);
  process.exit(2);
}

const vouchedFor = new Date(Date.now() - 1000);
const run = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '--build', config], {
  stdio: 'inherit',
});
if (run.error) {
  console.error(`typecheck: could not run tsc (${run.error.message}); run \`npm ci\` to install TypeScript.`);
  process.exit(1);
}
if (run.status === 0) {
  const info = buildInfoFile();
  try {
    if (info !== undefined && statSync(info).mtimeMs < vouchedFor.getTime()) utimesSync(info, vouchedFor, vouchedFor);
  } catch {
    // No build info written (a project without `incremental`): the next run simply checks everything again.
  }
}
process.exit(run.status ?? 1);
