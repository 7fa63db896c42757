import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withScratchDir } from '../../scripts/terraform/scratch';

describe('withScratchDir', () => {
  const base = mkdtempSync(join(tmpdir(), 'vigil-scratch-'));

  it('gives the run a fresh folder under base and removes it with its contents afterwards', async () => {
    let seen = '';
    const result = await withScratchDir(base, 'run-', async (dir) => {
      seen = dir;
      writeFileSync(join(dir, 'cdk.tf.json'), '{}');
      return 7;
    });
    expect(result).toBe(7);
    expect(seen.startsWith(join(base, 'run-'))).toBe(true);
    expect(existsSync(seen)).toBe(false);
  });

  it('removes the folder when the run fails, and passes the failure on', async () => {
    let seen = '';
    await expect(
      withScratchDir(base, 'run-', async (dir) => {
        seen = dir;
        throw new Error('plan failed');
      }),
    ).rejects.toThrow('plan failed');
    expect(existsSync(seen)).toBe(false);
  });

  it('leaves no signal handlers behind', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    await withScratchDir(base, 'run-', async () => undefined);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });
});
