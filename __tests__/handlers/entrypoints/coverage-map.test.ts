/**
 * The coverage map widget's function: the same evaluation as the coverage function, over the same
 * table, rendered as HTML; read-only ports only (the store it gets has no put).
 */
import { toHandlerInventory } from '../../../handlers/core/inventory-view';
import { createCoverageMap } from '../../../handlers/entrypoints/coverage-map';
import { TEST_INVENTORY } from '../../fixtures/inventory';

const VIEW = toHandlerInventory(TEST_INVENTORY);
const NOW = new Date('2026-12-04T10:00:00Z');
const PAYMENTS = '444444444444';

function store(silent: (accountId: string, column: string) => boolean) {
  const heartbeats = Object.entries(VIEW.accounts).flatMap(([accountId, a]) =>
    [...a.regions, 'global']
      .filter((column) => !silent(accountId, column))
      .map((column) => ({
        accountId,
        region: column === 'global' ? 'us-east-1' : column,
        path: column === 'global' ? ('global' as const) : ('regional' as const),
        eventTime: '2026-12-04T09:59:00Z',
        arrivedAt: '2026-12-04T09:59:30.000Z',
      })),
  );
  return {
    cells: async () => ({ heartbeats, unreadable: [], seenAccountIds: ['888888888888'], optInRegions: {} }),
    load: async () => ({ rev: 3, notified: [], sent: [] }),
  };
}

describe('the coverage map widget', () => {
  it('renders the map the coverage function would evaluate, silent account first', async () => {
    const map = createCoverageMap({
      store: store((a, c) => a === PAYMENTS && c === 'eu-west-1'),
      inventory: async () => VIEW,
      now: () => NOW,
      intervalMinutes: 5,
    });
    const html = await map({ widgetContext: { dashboardName: 'vigil-kpis' } });
    expect([...html.matchAll(/<tr><td>(\d{12}) /g)][0]![1]).toBe(PAYMENTS);
    expect(html).toContain(`title="${PAYMENTS} eu-west-1: silent"`);
    expect(html).toContain('Account 888888888888 sends event but is not in the inventory.');
  });

  it("takes the row bound from the widget's params", async () => {
    const map = createCoverageMap({
      store: store(() => false),
      inventory: async () => VIEW,
      now: () => NOW,
      intervalMinutes: 5,
    });
    const html = await map({ maxRows: 2, widgetContext: {} });
    expect([...html.matchAll(/<tr><td>\d{12} /g)]).toHaveLength(2);
    expect(html).toMatch(/…and \d+ more account\(s\), all healthy/);
  });
});
