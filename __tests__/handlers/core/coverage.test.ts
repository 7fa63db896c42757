import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrgInventory } from '../../../config/inventory';
import {
  type CellRef,
  type CoverageInput,
  type CoverageInventory,
  type CoverageState,
  coverageInventory,
  coverageInventoryFromView,
  coverageThresholds,
  DEFAULT_COVERAGE_OPTIONS,
  evaluateCoverage,
  type HeartbeatRecord,
  latencyPercentiles,
  parseCoverageState,
  parseHeartbeatRecord,
  percentile,
  resolveCoverageOptions,
} from '../../../handlers/core/coverage';
import { toHandlerInventory } from '../../../handlers/core/inventory-view';

const NOW = new Date('2026-12-04T10:00:00.000Z');
const MIN = 60_000;
const A = '110000000001';
const B = '110000000002';

const INVENTORY: CoverageInventory = {
  regions: ['us-east-1', 'eu-west-1'],
  accounts: [
    { id: B, name: 'bravo', regions: ['us-east-1'] },
    { id: A, name: 'alpha', regions: ['eu-west-1', 'us-east-1'] },
  ],
};

/** A heartbeat whose call happened `minutesAgo` before NOW and took `latencySeconds` to arrive. */
function hb(accountId: string, column: string, minutesAgo: number, latencySeconds = 60): HeartbeatRecord {
  const event = NOW.getTime() - minutesAgo * MIN;
  return {
    accountId,
    region: column === 'global' ? 'us-east-1' : column,
    path: column === 'global' ? 'global' : 'regional',
    eventTime: new Date(event).toISOString().replace('.000Z', 'Z'),
    arrivedAt: new Date(event + latencySeconds * 1000).toISOString(),
  };
}

/** Every deployed cell of INVENTORY with a fresh heartbeat. */
const ALL_FRESH = [
  hb(A, 'eu-west-1', 1),
  hb(A, 'us-east-1', 1),
  hb(A, 'global', 1),
  hb(B, 'us-east-1', 1),
  hb(B, 'global', 1),
];

const evaluate = (input: Partial<CoverageInput> = {}) =>
  evaluateCoverage({ inventory: INVENTORY, heartbeats: ALL_FRESH, now: NOW, ...input });

const statusOf = (result: ReturnType<typeof evaluate>, accountId: string, column: string) =>
  result.cells.find((c) => c.accountId === accountId && c.column === column)?.status;

/** Runs evaluations in sequence, each at NOW + i × 5 min with its own heartbeats; returns every result. */
function run(steps: readonly (readonly HeartbeatRecord[])[], input: Partial<CoverageInput> = {}) {
  const results: ReturnType<typeof evaluate>[] = [];
  let previous: CoverageState | undefined;
  steps.forEach((heartbeats, i) => {
    const r = evaluateCoverage({
      inventory: INVENTORY,
      heartbeats,
      now: new Date(NOW.getTime() + i * 5 * MIN),
      ...input,
      ...(previous ? { previous } : {}),
    });
    results.push(r);
    previous = r.state;
  });
  return results;
}

/** ALL_FRESH, but the eu-west-1 cell of A last heard from `minutesAgo` before NOW. */
const withAEuWest = (minutesAgo: number | undefined) => [
  ...ALL_FRESH.filter((h) => !(h.accountId === A && h.region === 'eu-west-1')),
  ...(minutesAgo === undefined ? [] : [hb(A, 'eu-west-1', minutesAgo)]),
];
const SILENT = withAEuWest(undefined);
/** A's eu-west-1 is fresh relative to step i of `run` (5 minutes per step). */
const freshAt = (step: number) => withAEuWest(-step * 5 + 1);
const A_EU: CellRef = { accountId: A, column: 'eu-west-1' };

describe('evaluateCoverage', () => {
  it('lays out every account (by id) × the org regions (sorted) and the global path', () => {
    const r = evaluate();

    expect(r.columns).toEqual(['eu-west-1', 'us-east-1', 'global']);
    expect(r.accounts).toEqual([
      { id: A, name: 'alpha' },
      { id: B, name: 'bravo' },
    ]);
    expect(r.cells.map((c) => `${c.accountId}/${c.column}`)).toEqual([
      `${A}/eu-west-1`,
      `${A}/us-east-1`,
      `${A}/global`,
      `${B}/eu-west-1`,
      `${B}/us-east-1`,
      `${B}/global`,
    ]);
  });

  it('marks fresh cells healthy with their newest heartbeat and its age', () => {
    const r = evaluate({ heartbeats: [...ALL_FRESH, hb(A, 'eu-west-1', 4)] });

    expect(r.cells.find((c) => c.accountId === A && c.column === 'eu-west-1')).toEqual({
      accountId: A,
      column: 'eu-west-1',
      path: 'regional',
      region: 'eu-west-1',
      status: 'healthy',
      lastEventTime: '2026-12-04T09:59:00Z',
      lastArrivedAt: '2026-12-04T10:00:00.000Z',
      ageMs: MIN,
    });
    expect(r.counts).toEqual({ healthy: 5, late: 0, silent: 0, notDeployed: 1, deployed: 5 });
  });

  it('derives late and silent ages from the interval and the delivery delay: 25 and 45 minutes by default', () => {
    expect(coverageThresholds(DEFAULT_COVERAGE_OPTIONS)).toEqual({ lateAfterMs: 25 * MIN, silentAfterMs: 45 * MIN });
    expect(coverageThresholds(resolveCoverageOptions({ intervalMinutes: 1, maxDeliveryDelayMinutes: 10 }))).toEqual({
      lateAfterMs: 12 * MIN,
      silentAfterMs: 16 * MIN,
    });
  });

  it.each([
    [25, 'healthy'],
    [25.01, 'late'],
    [45, 'late'],
    [45.01, 'silent'],
    [-3, 'healthy'], // an eventTime ahead of the clock (skew) is fresh
  ])('a cell last heard from %d minutes ago is %s', (minutesAgo, status) => {
    expect(statusOf(evaluate({ heartbeats: withAEuWest(minutesAgo) }), A, 'eu-west-1')).toBe(status);
  });

  it('marks a deployed cell that never sent a heartbeat silent', () => {
    const r = evaluate({ heartbeats: SILENT });

    expect(statusOf(r, A, 'eu-west-1')).toBe('silent');
    expect(r.cells.find((c) => c.accountId === A && c.column === 'eu-west-1')).not.toHaveProperty('ageMs');
  });

  it('judges a cell by its newest eventTime, not by the order of the records', () => {
    const r = evaluate({ heartbeats: [hb(A, 'eu-west-1', 1, 30), ...withAEuWest(50), hb(A, 'eu-west-1', 1, 10)] });

    expect(statusOf(r, A, 'eu-west-1')).toBe('healthy');
    expect(r.cells.find((c) => c.column === 'eu-west-1' && c.accountId === A)?.lastArrivedAt).toBe(
      '2026-12-04T09:59:30.000Z',
    );
  });

  it('marks regions an account does not forward from, and undeployed schedules, not-deployed (never silent)', () => {
    const r = evaluate({ heartbeats: [], deployed: (c) => !(c.accountId === A && c.column === 'global') });

    expect(statusOf(r, B, 'eu-west-1')).toBe('not-deployed');
    expect(statusOf(r, A, 'global')).toBe('not-deployed');
    expect(r.counts).toEqual({ healthy: 0, late: 0, silent: 4, notDeployed: 2, deployed: 4 });
  });

  it('marks the global path not-deployed for an account that does not forward from us-east-1', () => {
    const inventory = { regions: ['eu-west-1'], accounts: [{ id: A, name: 'alpha', regions: ['eu-west-1'] }] };
    const r = evaluateCoverage({ inventory, heartbeats: [hb(A, 'eu-west-1', 1)], now: NOW });

    expect(r.cells.map((c) => [c.column, c.status])).toEqual([
      ['eu-west-1', 'healthy'],
      ['global', 'not-deployed'],
    ]);
  });

  it('keeps the global path apart from the us-east-1 regional cell', () => {
    const r = evaluate({ heartbeats: [...ALL_FRESH.filter((h) => h.path !== 'global'), hb(A, 'global', 30)] });

    expect(statusOf(r, A, 'us-east-1')).toBe('healthy');
    expect(statusOf(r, A, 'global')).toBe('late');
    expect(statusOf(r, B, 'global')).toBe('silent');
    expect(r.cells.find((c) => c.accountId === A && c.column === 'global')).toMatchObject({
      path: 'global',
      region: 'us-east-1',
    });
  });

  it('uses the inventory globalRegion for the global path', () => {
    const r = evaluate({ inventory: { ...INVENTORY, globalRegion: 'eu-west-1' } });

    expect(statusOf(r, B, 'global')).toBe('not-deployed');
    expect(r.cells.find((c) => c.accountId === A && c.column === 'global')?.region).toBe('eu-west-1');
  });

  it('leaves out heartbeats whose times do not parse', () => {
    const broken = { ...hb(A, 'eu-west-1', 1), eventTime: 'yesterday' };

    expect(statusOf(evaluate({ heartbeats: [...SILENT, broken] }), A, 'eu-west-1')).toBe('silent');
  });

  describe('new accounts and regions', () => {
    it('reports accounts seen in heartbeats or events that the inventory lacks', () => {
      const r = evaluate({
        heartbeats: [
          ...ALL_FRESH,
          hb('999999999999', 'eu-west-1', 10),
          hb('999999999999', 'global', 2),
          hb('888888888888', 'ap-south-1', 3),
        ],
        seenAccountIds: ['999999999999', '777777777777', A],
      });

      expect(r.unknownAccounts).toEqual([
        { accountId: '777777777777', seenIn: ['event'], regions: [] },
        {
          accountId: '888888888888',
          seenIn: ['heartbeat'],
          regions: ['ap-south-1'],
          lastArrivedAt: '2026-12-04T09:58:00.000Z',
        },
        {
          accountId: '999999999999',
          seenIn: ['event', 'heartbeat'],
          regions: ['eu-west-1', 'us-east-1'],
          lastArrivedAt: '2026-12-04T09:59:00.000Z',
        },
      ]);
      expect(r.cells.some((c) => c.accountId === '999999999999')).toBe(false);
    });

    it('reports opt-in regions enabled in an account that vigil does not forward from', () => {
      const r = evaluate({ optInRegions: { [A]: ['me-south-1', 'eu-west-1'], [B]: ['eu-west-1', 'af-south-1'] } });

      expect(r.uncoveredRegions).toEqual([
        { accountId: A, region: 'me-south-1', reason: 'not-in-inventory' },
        { accountId: B, region: 'af-south-1', reason: 'not-in-inventory' },
        { accountId: B, region: 'eu-west-1', reason: 'not-forwarded' },
      ]);
    });

    it('reports no uncovered region when the enabled regions are unknown', () => {
      expect(evaluate().uncoveredRegions).toEqual([]);
    });
  });

  describe('transitions and flapping suppression', () => {
    it('alerts once, after two silent evaluations in a row', () => {
      const [first, second, third] = run([SILENT, SILENT, SILENT]);

      expect(first!.transitions.newlySilent).toEqual([]);
      expect(second!.transitions.newlySilent).toEqual([A_EU]);
      expect(third!.transitions.newlySilent).toEqual([]);
      expect(third!.state.cells[`${A}/eu-west-1`]).toEqual({ alerted: true, silentStreak: 3, healthyStreak: 0 });
    });

    it('does not alert for a cell that goes silent and comes back at the next evaluation (down-flap)', () => {
      const results = run([SILENT, freshAt(1), SILENT.map((h) => h), freshAt(3), SILENT]);

      expect(results.flatMap((r) => r.transitions.newlySilent)).toEqual([]);
      expect(results.at(-1)!.state.cells[`${A}/eu-west-1`]).toEqual({
        alerted: false,
        silentStreak: 1,
        healthyStreak: 0,
      });
    });

    it('keeps the silent streak through a late evaluation: a delayed heartbeat is no proof of health', () => {
      // step 1: A's eu-west-1 heard from 30 minutes before that step's clock → late
      const results = run([SILENT, withAEuWest(30 - 5), SILENT]);

      expect(statusOf(results[1]!, A, 'eu-west-1')).toBe('late');
      expect(results.map((r) => r.transitions.newlySilent)).toEqual([[], [], [A_EU]]);
    });

    it('sends one recovery message after two healthy evaluations in a row', () => {
      const results = run([SILENT, SILENT, freshAt(2), freshAt(3), freshAt(4)]);

      expect(results.map((r) => r.transitions.recovered)).toEqual([[], [], [], [A_EU], []]);
      expect(results.at(-1)!.state.cells).toEqual({});
    });

    it('does not recover a cell that comes back for one evaluation only (up-flap), nor alert it twice', () => {
      const results = run([SILENT, SILENT, freshAt(2), SILENT, freshAt(4), SILENT]);

      expect(results.flatMap((r) => r.transitions.recovered)).toEqual([]);
      expect(results.flatMap((r) => r.transitions.newlySilent)).toEqual([A_EU]);
    });

    it('resets the recovery count on a late evaluation', () => {
      const results = run([SILENT, SILENT, freshAt(2), withAEuWest(30 - 15), freshAt(4), freshAt(5)]);

      expect(results.map((r) => r.transitions.recovered.length)).toEqual([0, 0, 0, 0, 0, 1]);
    });

    it('follows the configured counts', () => {
      const options = { silentEvaluationsToAlert: 1, healthyEvaluationsToRecover: 3 };
      const results = run([SILENT, freshAt(1), freshAt(2), freshAt(3)], { options });

      expect(results.map((r) => r.transitions.newlySilent.length)).toEqual([1, 0, 0, 0]);
      expect(results.map((r) => r.transitions.recovered.length)).toEqual([0, 0, 0, 1]);
    });

    it('retires the alert of a cell that left the map', () => {
      const bothSilent = SILENT.filter((h) => !(h.accountId === A && h.path === 'global'));
      const [, second, third] = run([bothSilent, bothSilent, bothSilent]);
      const gone = evaluateCoverage({
        inventory: { ...INVENTORY, accounts: INVENTORY.accounts.filter((a) => a.id !== A) },
        heartbeats: ALL_FRESH,
        now: NOW,
        previous: third!.state,
      });

      expect(second!.transitions.newlySilent).toEqual([A_EU, { accountId: A, column: 'global' }]);
      expect(gone.transitions.retired).toEqual([A_EU, { accountId: A, column: 'global' }]);
      expect(gone.state.cells).toEqual({});
    });
  });

  describe('pipeline down', () => {
    it('pages once when every deployed cell is silent, with no per-cell alert', () => {
      const results = run([[], [], [], []]);

      expect(results.map((r) => r.allSilent)).toEqual([true, true, true, true]);
      expect(results.map((r) => r.transitions.pipelineDown)).toEqual([false, true, false, false]);
      expect(results.map((r) => r.pipelineDown)).toEqual([false, true, true, true]);
      expect(results.flatMap((r) => r.transitions.newlySilent)).toEqual([]);
    });

    it('holds per-cell alerts while the pipeline comes back, then lets the still-silent cells alert', () => {
      // After the outage A's eu-west-1 stays silent; every other cell is back from step 2 on.
      const back = (step: number) =>
        SILENT.map((h) => hb(h.accountId, h.path === 'global' ? 'global' : h.region, -step * 5 + 1));
      const results = run([[], [], back(2), back(3), back(4)]);

      // The cell's own alert goes out with the pipeline's recovery message: "back, except this cell".
      expect(results.map((r) => r.transitions.pipelineRecovered)).toEqual([false, false, false, true, false]);
      expect(results.map((r) => r.transitions.newlySilent)).toEqual([[], [], [], [A_EU], []]);
    });

    it('freezes the cells’ memory while everything is silent, so the stored state does not grow', () => {
      const results = run([SILENT, [], [], []]);

      expect(results.map((r) => Object.keys(r.state.cells))).toEqual([
        [`${A}/eu-west-1`],
        [`${A}/eu-west-1`],
        [`${A}/eu-west-1`],
        [`${A}/eu-west-1`],
      ]);
      expect(results.at(-1)!.state.cells[`${A}/eu-west-1`]).toEqual({
        alerted: false,
        silentStreak: 1,
        healthyStreak: 0,
      });
    });

    it('does not page when a single cell is deployed and healthy, nor for an empty map', () => {
      expect(evaluate().allSilent).toBe(false);
      expect(evaluate({ heartbeats: [], deployed: () => false }).allSilent).toBe(false);
    });

    it('keeps cells alerted before the outage alerted, and recovers them afterwards', () => {
      const fresh = (step: number) =>
        ALL_FRESH.map((h) => hb(h.accountId, h.path === 'global' ? 'global' : h.region, -step * 5 + 1));
      const results = run([SILENT, SILENT, [], [], fresh(4), fresh(5), fresh(6)]);

      expect(results.map((r) => r.transitions.newlySilent.length)).toEqual([0, 1, 0, 0, 0, 0, 0]);
      expect(results.map((r) => r.transitions.pipelineDown)).toEqual([false, false, false, true, false, false, false]);
      expect(results.map((r) => r.transitions.recovered)).toEqual([[], [], [], [], [], [A_EU], []]);
      expect(results.map((r) => r.transitions.pipelineRecovered)).toEqual([
        false,
        false,
        false,
        false,
        false,
        true,
        false,
      ]);
    });
  });

  describe('latency', () => {
    it('gives p50/p90/p99 per column and org-wide over the heartbeats that arrived within the window', () => {
      const r = evaluate({
        heartbeats: [
          hb(A, 'eu-west-1', 10, 30),
          hb(A, 'eu-west-1', 5, 90),
          hb(A, 'eu-west-1', 1, 60),
          hb(B, 'global', 2, 120),
          hb(B, 'us-east-1', 2000, 5), // arrived more than a day ago: outside the window
          hb(B, 'us-east-1', -10, 5), // arrives after `now`: not yet
        ],
      });

      expect(r.latency).toEqual({
        orgWide: { count: 4, p50: 60_000, p90: 120_000, p99: 120_000 },
        byColumn: {
          'eu-west-1': { count: 3, p50: 60_000, p90: 90_000, p99: 90_000 },
          global: { count: 1, p50: 120_000, p90: 120_000, p99: 120_000 },
        },
      });
    });

    it('counts a heartbeat that seems to arrive before it happened as zero latency', () => {
      const r = evaluate({ heartbeats: [hb(A, 'eu-west-1', 1, -0.5)] });

      expect(r.latency.orgWide).toEqual({ count: 1, p50: 0, p90: 0, p99: 0 });
    });

    it('has no org-wide percentiles without heartbeats', () => {
      expect(evaluate({ heartbeats: [] }).latency).toEqual({ byColumn: {} });
    });
  });
});

describe('percentile', () => {
  it.each([
    [50, 50],
    [90, 90],
    [99, 99],
    [100, 100],
    [0, 1],
    [0.5, 1],
    [1, 1],
    [1.5, 2],
  ])('gives the nearest-rank p%d of 1..100 as %d', (p, expected) => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);

    expect(percentile(values, p)).toBe(expected);
  });

  it('gives exact values on a small list', () => {
    expect(latencyPercentiles([15, 20, 35, 40, 50])).toEqual({ count: 5, p50: 35, p90: 50, p99: 50 });
    expect(latencyPercentiles([7])).toEqual({ count: 1, p50: 7, p90: 7, p99: 7 });
    expect(latencyPercentiles([])).toBeUndefined();
  });

  it.each([
    [[], 50, /empty/],
    [[1], -1, /within \[0, 100\]/],
    [[1], 101, /within \[0, 100\]/],
    [[1], Number.NaN, /within \[0, 100\]/],
  ])('fails when the list is empty or p is out of range (%j, %d)', (values, p, message) => {
    expect(() => percentile(values, p)).toThrow(message);
  });

  it('is one of the values, at least p % of the values are ≤ it, and fewer than p % are < it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (values, p) => {
          const v = percentile(values, p);
          const atMost = values.filter((x) => x <= v).length;
          const below = values.filter((x) => x < v).length;
          expect(values).toContain(v);
          expect(atMost / values.length).toBeGreaterThanOrEqual(p / 100);
          expect(below / values.length < p / 100 || below === 0).toBe(true);
        },
      ),
    );
  });

  it('is monotonic in p and does not depend on the order of the values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 50 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (values, p, q) => {
          const [lo, hi] = p <= q ? [p, q] : [q, p];
          expect(percentile(values, lo)).toBeLessThanOrEqual(percentile(values, hi));
          expect(percentile([...values].reverse(), lo)).toBe(percentile(values, lo));
        },
      ),
    );
  });
});

describe('flapping state machine (property)', () => {
  it('alternates alerts and recoveries per cell, and never alerts while the pipeline is down', () => {
    // Each step: which of the 5 deployed cells are fresh (bit set) or silent.
    const cells = ALL_FRESH.map((h) => [h.accountId, h.path === 'global' ? 'global' : h.region] as const);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 1, maxLength: 40 }), (masks) => {
        const steps = masks.map((mask, i) =>
          cells.filter((_, bit) => mask & (1 << bit)).map(([id, column]) => hb(id, column, -i * 5 + 1)),
        );
        const results = run(steps);
        const open = new Set<string>();
        for (const r of results) {
          for (const c of r.transitions.newlySilent) {
            expect(open.has(`${c.accountId}/${c.column}`)).toBe(false);
            open.add(`${c.accountId}/${c.column}`);
          }
          for (const c of r.transitions.recovered) {
            expect(open.delete(`${c.accountId}/${c.column}`)).toBe(true);
          }
          expect(r.pipelineDown && r.transitions.newlySilent.length > 0).toBe(false);
          expect(r.allSilent && r.transitions.newlySilent.length > 0).toBe(false);
        }
        const last = results.at(-1)!;
        expect(
          new Set(
            Object.entries(last.state.cells)
              .filter(([, s]) => s.alerted)
              .map(([k]) => k),
          ),
        ).toEqual(open);
      }),
    );
  });
});

describe('resolveCoverageOptions', () => {
  it.each([
    [{ intervalMinutes: 0 }, /intervalMinutes must be a positive number/],
    [{ maxDeliveryDelayMinutes: -1 }, /maxDeliveryDelayMinutes must be zero or more/],
    [{ lateAfterIntervals: 3, silentAfterIntervals: 3 }, /silentAfterIntervals must be more than lateAfterIntervals/],
    [{ silentEvaluationsToAlert: 0 }, /silentEvaluationsToAlert must be a whole number/],
    [{ healthyEvaluationsToRecover: 1.5 }, /healthyEvaluationsToRecover must be a whole number/],
  ])('fails when an option is out of range (%j)', (options, message) => {
    expect(() => resolveCoverageOptions(options)).toThrow(message);
  });
});

describe('coverage inventories', () => {
  const org = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'config', 'org.json'), 'utf8')) as OrgInventory;

  it('takes each account’s own regions from the org inventory', () => {
    const inv = coverageInventory(org);

    expect(inv.regions).toEqual(['eu-central-1', 'eu-west-1', 'us-east-1', 'us-west-2']);
    expect(inv.accounts).toHaveLength(12);
    expect(inv.accounts.find((a) => a.name === 'data-analytics-prod')?.regions).toEqual([
      'eu-central-1',
      'eu-west-1',
      'us-east-1',
    ]);
  });

  it('builds the same from the handler view, which carries the regions', () => {
    const view = toHandlerInventory(org);
    const fromView = coverageInventoryFromView(view);
    const fromOrg = coverageInventory(org);

    expect(fromView.regions).toEqual(fromOrg.regions);
    expect([...fromView.accounts].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [...fromOrg.accounts].sort((a, b) => a.id.localeCompare(b.id)),
    );
  });
});

describe('parseHeartbeatRecord', () => {
  it('accepts a stored heartbeat', () => {
    expect(parseHeartbeatRecord(hb(A, 'global', 1))).toEqual({ record: hb(A, 'global', 1) });
  });

  it.each([
    ['a non-object', 'x', /expected an object/],
    ['a short account id', { ...hb(A, 'global', 1), accountId: '123' }, /accountId: expected 12 digits/],
    ['a bad region', { ...hb(A, 'global', 1), region: 'EU' }, /region: expected a region/],
    ['an unknown path', { ...hb(A, 'global', 1), path: 'both' }, /path: expected 'regional' or 'global'/],
    ['a bad time', { ...hb(A, 'global', 1), arrivedAt: 'soon' }, /arrivedAt: expected an ISO 8601 time/],
  ])('fails when given %s', (_case, raw, problem) => {
    expect(parseHeartbeatRecord(raw)).toEqual({ problem: expect.stringMatching(problem) });
  });
});

describe('parseCoverageState', () => {
  it('accepts the state an evaluation wrote', () => {
    const [, second] = run([SILENT, SILENT]);
    const stored = JSON.parse(JSON.stringify(second!.state));

    expect(parseCoverageState(stored)).toEqual({ state: second!.state });
  });

  it.each([
    ['a non-object', [], /expected an object/],
    ['another version', { version: 2 }, /version: expected 1, got 2/],
    [
      'bad cells and pipeline',
      { version: 1, evaluatedAt: 'x', cells: { nope: { alerted: 'yes' } }, pipeline: {} },
      /evaluatedAt.*cells\.nope: the key.*cells\.nope: expected.*pipeline: expected/,
    ],
    [
      'cells that are not an object',
      { version: 1, evaluatedAt: NOW.toISOString(), cells: [], pipeline: null },
      /cells:/,
    ],
  ])('fails when given %s', (_case, raw, problem) => {
    expect(parseCoverageState(raw)).toEqual({ problem: expect.stringMatching(problem) });
  });
});
