/**
 * `npm run bundle`: bundles every function (handlers/entrypoints/*.ts) into the bundle cache, as synth does first,
 * and says how many it built and how many the cache already held. `npm test` runs it before jest and synth, so after
 * a handler change the functions are bundled once, here, and both start from the cache (build/bundle.ts).
 */
import { bundleStats, functionEntrypoints, prebundle } from '../build/bundle';
import { runCli } from './run-cli';

export async function main(_argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const entries = functionEntrypoints();
  prebundle(entries);
  const { built, fromCache } = bundleStats();
  out(`${entries.length} functions: ${built} bundled, ${fromCache} from the bundle cache`);
  return 0;
}

if (require.main === module) runCli('bundle', main, 1);
