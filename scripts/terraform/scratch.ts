/**
 * A scratch folder for one run of a Terraform command line (tf:check, deploy): created under `base`,
 * removed when the run ends, and also when it is interrupted (Ctrl-C, SIGTERM from CI), so an aborted
 * plan leaves no copies of stacks or provider configurations behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Runs `run` with a fresh folder `<base>/<prefix>XXXXXX`, removed afterwards or on SIGINT/SIGTERM. */
export async function withScratchDir<T>(base: string, prefix: string, run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(base, prefix));
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    cleanUp();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await run(dir);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanUp();
  }
}
