/**
 * `npm run replay --workers N` spreads files over worker threads; the output must not depend on N: the same match
 * lines in the same order and the same summary (but for the measured throughput).
 */
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCorpus } from '../../bench/replay.bench';
import { main } from '../../scripts/replay';

const ROOT = resolve(__dirname, '../..');

async function replay(dir: string, workers: string): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['--json', '--workers', workers, dir], {
    stdout: (text) => out.push(...text.split('\n')),
    stderr: (line) => err.push(line),
    stderrIsTTY: false,
    cwd: ROOT,
  });
  // Throughput is measured, not computed: the one part of the output that may differ.
  const last = JSON.parse(out.pop()!) as { summary: Record<string, unknown> };
  delete last.summary['throughput'];
  return { code, out: [...out, JSON.stringify(last)], err };
}

describe('replay --workers', () => {
  it('gives identical output with 1, 2 and 3 workers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-workers-'));
    mkdirSync(join(dir, 'bench'));
    generateCorpus(join(dir, 'bench'), 6000, 7, 'findings');
    // The fixture corpus too: skipped records, a truncated file, a digest file, event files.
    cpSync(join(ROOT, '__tests__/fixtures/replay'), join(dir, 'fixtures'), { recursive: true });
    const one = await replay(dir, '1');
    const two = await replay(dir, '2');
    // Three readers: this thread and two worker threads.
    const three = await replay(dir, '3');
    expect(one.code).toBe(0);
    expect(one.out.length).toBeGreaterThan(100);
    expect(two).toEqual(one);
    expect(three).toEqual(one);
  }, 60_000);

  it('refuses a number of workers that is not a positive integer', async () => {
    const err: string[] = [];
    const code = await main(['--workers', '0', '.'], {
      stderr: (l) => err.push(l),
      stdout: () => undefined,
      cwd: ROOT,
    });
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('--workers');
  });
});
