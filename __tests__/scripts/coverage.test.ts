import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OrgInventory } from '../../config/inventory';
import type { CoverageResult, HeartbeatRecord } from '../../handlers/core/coverage';
import { main, parseArgs, USAGE } from '../../scripts/coverage';
import { CoverageExportError, parseCoverageExport } from '../../scripts/coverage-map/export';
import { duration, renderCoverageMap } from '../../scripts/coverage-map/render';

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join('__tests__', 'fixtures', 'coverage', 'export.json');
const ORG = JSON.parse(readFileSync(join(ROOT, 'config', 'org.json'), 'utf8')) as OrgInventory;

/** Runs the command from the project root; returns the exit code and what it printed. */
async function runCoverage(argv: readonly string[], io: Parameters<typeof main>[1] = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    stdout: (t) => out.push(t),
    stderr: (l) => err.push(l),
    color: false,
    now: () => new Date('2026-12-04T12:00:00Z'),
    cwd: ROOT,
    ...io,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Writes an export to a temp file and returns its path. */
function writeExport(doc: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'coverage-')), 'export.json');
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

/** A fresh heartbeat for every account × region and global path of config/org.json. */
function allFresh(): HeartbeatRecord[] {
  return ORG.accounts.flatMap((a) =>
    [...(a.regions ?? ORG.regions), 'global'].map((column) => ({
      accountId: a.id,
      region: column === 'global' ? 'us-east-1' : column,
      path: column === 'global' ? ('global' as const) : ('regional' as const),
      eventTime: '2026-12-04T09:58:00Z',
      arrivedAt: '2026-12-04T09:59:10.000Z',
    })),
  );
}
const exportOf = (heartbeats: unknown[], extra: Record<string, unknown> = {}) => ({
  format: 'vigil-coverage-export',
  version: 1,
  exportedAt: '2026-12-04T10:00:00Z',
  heartbeats,
  ...extra,
});

describe('npm run coverage', () => {
  it('renders the map of the example org from the fixture', async () => {
    const { code, stdout, stderr } = await runCoverage(['--file', FIXTURE]);

    expect(stdout).toMatchSnapshot();
    expect(stdout).not.toContain('\x1b[');
    expect(stderr).toBe('');
    expect(code).toBe(1);
  });

  it('puts one symbol per status where the fixture has it', async () => {
    const { stdout } = await runCoverage(['--file', FIXTURE]);
    const lines = stdout.split('\n');
    const header = lines.find((l) => l.startsWith('account'))!;
    const symbolAt = (name: string, column: string) => {
      const line = lines.find((l) => l.includes(` ${name} `))!;
      const start = header.indexOf(column);
      return line.slice(start, start + column.length).trim();
    };

    expect(symbolAt('checkout-dev', 'eu-west-1')).toBe('✕');
    expect(symbolAt('payments-prod', 'eu-central-1')).toBe('✕');
    expect(symbolAt('network-hub', 'us-west-2')).toBe('◐');
    expect(symbolAt('checkout-prod', 'global')).toBe('◐');
    expect(symbolAt('data-analytics-prod', 'us-west-2')).toBe('·');
    expect(symbolAt('sandbox-bob', 'global')).toBe('·');
    expect(symbolAt('management', 'global')).toBe('●');
  });

  it('prints the computed result with --json', async () => {
    const { code, stdout } = await runCoverage(['--file', FIXTURE, '--json']);
    const result = JSON.parse(stdout) as CoverageResult;

    expect(code).toBe(1);
    expect(result.evaluatedAt).toBe('2026-12-04T10:00:00.000Z');
    expect(result.counts).toEqual({ healthy: 50, late: 2, silent: 2, notDeployed: 6, deployed: 54 });
    expect(result.transitions).toEqual({
      newlySilent: [{ accountId: '110000000009', column: 'eu-west-1' }],
      recovered: [{ accountId: '110000000008', column: 'us-west-2' }],
      retired: [],
      pipelineDown: false,
      pipelineRecovered: false,
    });
    expect(result.unknownAccounts.map((u) => u.accountId)).toEqual(['110000000013', '110000000014']);
    expect(result.uncoveredRegions).toEqual([
      { accountId: '110000000011', region: 'me-south-1', reason: 'not-in-inventory' },
    ]);
    expect(result.latency.orgWide?.count).toBe(164);
    expect(Object.keys(result.state.cells)).toEqual(['110000000006/eu-central-1', '110000000009/eu-west-1']);
  });

  it('colours the symbols when asked, with the same layout', async () => {
    const plain = (await runCoverage(['--file', FIXTURE])).stdout;
    const coloured = (await runCoverage(['--file', FIXTURE], { color: true })).stdout;

    expect(coloured).toContain('\x1b[32m●\x1b[0m');
    expect(coloured).toContain('\x1b[1;31m✕\x1b[0m');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes is the point
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
  });

  it('exits 0 when every deployed cell is healthy and nothing is uncovered', async () => {
    const { code, stdout } = await runCoverage(['--file', writeExport(exportOf(allFresh()))]);

    expect(stdout).toContain('Cells: 59 healthy, 0 late, 0 silent of 59 deployed; 1 not deployed.');
    expect(stdout).not.toContain('Needs attention');
    expect(code).toBe(0);
  });

  it('shows one pipeline-down verdict when every deployed cell is silent', async () => {
    const { code, stdout } = await runCoverage(['--file', writeExport(exportOf([]))]);

    expect(stdout).toContain('PIPELINE DOWN: every deployed cell is silent');
    expect(stdout).toContain('no heartbeat arrived in the window');
    expect(stdout).not.toContain('Messages due');
    expect(code).toBe(1);
  });

  it('evaluates at --now, else at the export time, else at the clock', async () => {
    const file = writeExport(exportOf(allFresh()));
    const noTime = writeExport({ ...exportOf(allFresh()), exportedAt: undefined });

    const at = async (argv: string[]) =>
      (JSON.parse((await runCoverage([...argv, '--json'])).stdout) as CoverageResult).evaluatedAt;
    expect(await at(['--file', file, '--now', '2026-12-04T11:00:00Z'])).toBe('2026-12-04T11:00:00.000Z');
    expect(await at(['--file', file])).toBe('2026-12-04T10:00:00.000Z');
    expect(await at(['--file', noTime])).toBe('2026-12-04T12:00:00.000Z');
  });

  it('uses --interval for the thresholds', async () => {
    const { stdout } = await runCoverage(['--file', FIXTURE, '--interval', '1']);

    expect(stdout).toContain('Heartbeat every 1 min; late after 17 min, silent after 21 min without one.');
  });

  it('skips unreadable heartbeats and says where', async () => {
    const file = writeExport(exportOf([...allFresh(), { accountId: 'x' }]));
    const { code, stderr } = await runCoverage(['--file', file]);

    expect(stderr).toMatch(/^coverage: skipped heartbeats\[59\]: accountId: expected 12 digits/);
    expect(code).toBe(0);
  });

  it('reads heartbeats from an injected source (the live table plugs in there)', async () => {
    const { code, stdout } = await runCoverage(['--file', 'unused.json', '--json'], {
      source: () => ({
        name: 'table',
        read: async () => ({ exportedAt: '2026-12-04T10:00:00Z', heartbeats: allFresh(), skipped: [] }),
      }),
    });

    expect((JSON.parse(stdout) as CoverageResult).counts.healthy).toBe(59);
    expect(code).toBe(0);
  });

  it('prints the help', async () => {
    const { code, stdout } = await runCoverage(['--help']);

    expect(stdout).toBe(USAGE);
    expect(USAGE).toMatch(/^Usage: npm run coverage -- \[--file <export.json>\] \[options\]/);
    expect(code).toBe(0);
  });

  it.each([
    [['extra'], /unexpected argument 'extra'; give an export with --file/],
    [['--file', FIXTURE, 'extra'], /unexpected argument 'extra'/],
    [['--file', FIXTURE, '--now', 'later'], /--now needs an ISO 8601 time/],
    [['--file', FIXTURE, '--interval', '0'], /--interval needs a number of minutes above 0/],
    [['--fil', FIXTURE], /unknown option '--fil' \(did you mean --file\?\)/],
  ])('fails with a usage error (exit 2) for %j', async (argv, message) => {
    const { code, stderr } = await runCoverage(argv);

    expect(stderr).toMatch(message);
    expect(stderr).toContain('Usage: npm run coverage');
    expect(code).toBe(2);
  });

  it.each([
    ['a missing export', () => 'nope/export.json', /coverage: cannot read nope\/export.json/],
    ['an export that is not JSON', () => writeExport('{"format": '), /invalid JSON at line 1 column 12/],
    ['another kind of file', () => writeExport({ Records: [] }), /not a coverage export/],
  ])('fails with exit 2 for %s', async (_case, file, message) => {
    const { code, stderr } = await runCoverage(['--file', file()]);

    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });

  it('fails with exit 2 when the inventory is invalid', async () => {
    const inventory = writeExport({ organizationId: 'nope' });
    const { code, stderr } = await runCoverage(['--file', FIXTURE, '--inventory', inventory]);

    expect(stderr).toMatch(/^coverage: .*organizationId/s);
    expect(code).toBe(2);
  });

  it('writes to the process streams and reads the clock by default', async () => {
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const noTime = writeExport({ ...exportOf(allFresh()), exportedAt: undefined });
      const code = await main(['--file', noTime, '--json']);
      const usage = await main(['extra']);

      const evaluatedAt = Date.parse((JSON.parse(String(out.mock.calls[0]![0])) as CoverageResult).evaluatedAt);
      expect(Math.abs(evaluatedAt - Date.now())).toBeLessThan(60_000);
      expect(out).toHaveBeenCalledTimes(1);
      expect([0, 1]).toContain(code); // which one depends on today's clock
      expect(usage).toBe(2);
      expect(String(err.mock.calls[0]![0])).toMatch(/^coverage: unexpected argument 'extra'/);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  it('defaults the inventory to config/org.json', () => {
    expect(parseArgs(['--file', 'x.json'])).toEqual({
      file: 'x.json',
      inventory: 'config/org.json',
      json: false,
      help: false,
    });
  });
});

describe('parseCoverageExport', () => {
  const parse = (doc: unknown) => () => parseCoverageExport(JSON.stringify(doc), 'e.json');

  it.each([
    ['another version', { ...exportOf([]), version: 2 }, /export version 2 is not supported/],
    ['heartbeats that are not a list', { ...exportOf([]), heartbeats: {} }, /"heartbeats" must be an array/],
    ['a bad export time', exportOf([], { exportedAt: 'noon' }), /"exportedAt" must be an ISO 8601 time/],
    ['a bad previous state', exportOf([], { previous: { version: 9 } }), /"previous": version: expected 1, got 9/],
    ['a bad undeployed cell', exportOf([], { notDeployed: ['110000000001'] }), /'110000000001' is not <accountId>/],
    ['undeployed cells that are not strings', exportOf([], { notDeployed: [1] }), /"notDeployed" must be a list/],
    ['bad opt-in regions', exportOf([], { optInRegions: { '110000000001': 'me-south-1' } }), /"optInRegions" must map/],
  ])('fails when the export has %s', (_case, doc, message) => {
    expect(parse(doc)).toThrow(CoverageExportError);
    expect(parse(doc)).toThrow(message);
  });

  it('turns notDeployed into a predicate over cells and whole accounts', () => {
    const snapshot = parseCoverageExport(
      JSON.stringify(exportOf([], { notDeployed: ['110000000001/global', '110000000002/*'] })),
      'e.json',
    );

    expect(snapshot.deployed?.({ accountId: '110000000001', column: 'global' })).toBe(false);
    expect(snapshot.deployed?.({ accountId: '110000000001', column: 'eu-west-1' })).toBe(true);
    expect(snapshot.deployed?.({ accountId: '110000000002', column: 'eu-west-1' })).toBe(false);
  });
});

describe('renderCoverageMap', () => {
  it('names cells of accounts the inventory lacks in the messages', async () => {
    const { stdout } = await runCoverage(['--file', FIXTURE, '--json']);
    const result = JSON.parse(stdout) as CoverageResult;
    const text = renderCoverageMap({
      ...result,
      transitions: {
        ...result.transitions,
        pipelineDown: true,
        pipelineRecovered: true,
        retired: [{ accountId: '110000000099', column: 'eu-west-1' }],
        newlySilent: [{ accountId: '110000000099', column: 'global' }],
      },
      options: { ...result.options, latencyWindowMinutes: 90 },
    }).join('\n');

    expect(text).toContain('pipeline down: page sent');
    expect(text).toContain('pipeline recovered');
    expect(text).toContain('newly silent: 110000000099 (not in the inventory) global');
    expect(text).toContain('alert closed, cell left the map: 110000000099/eu-west-1');
    expect(text).toContain('last 90 min:');
  });

  it.each([
    [0, '0s'],
    [42_400, '42s'],
    [185_000, '3m05s'],
    [7_800_000, '2h10m'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});
