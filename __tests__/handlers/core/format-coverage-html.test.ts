import { evaluateCoverage, type HeartbeatRecord } from '../../../handlers/core/coverage';
import { renderCoverageMapHtml } from '../../../handlers/core/format-coverage-html';

const NOW = new Date('2026-12-04T10:00:00Z');
const inventory = {
  regions: ['eu-west-1', 'us-east-1'],
  accounts: [
    { id: '111111111111', name: 'ok-<prod>', regions: ['eu-west-1', 'us-east-1'] },
    { id: '222222222222', name: 'broken', regions: ['eu-west-1', 'us-east-1'] },
    { id: '333333333333', name: 'also-ok', regions: ['eu-west-1', 'us-east-1'] },
  ],
};
const hb = (accountId: string, region: string, path: 'regional' | 'global', minutesAgo: number): HeartbeatRecord => ({
  accountId,
  region,
  path,
  eventTime: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
  arrivedAt: new Date(NOW.getTime() - minutesAgo * 60_000 + 30_000).toISOString(),
});
const fresh = (id: string) => [
  hb(id, 'eu-west-1', 'regional', 1),
  hb(id, 'us-east-1', 'regional', 1),
  hb(id, 'us-east-1', 'global', 1),
];

const result = evaluateCoverage({
  inventory,
  heartbeats: [
    ...fresh('111111111111'),
    ...fresh('333333333333'),
    hb('222222222222', 'eu-west-1', 'regional', 1),
    hb('222222222222', 'us-east-1', 'global', 1),
    hb('999999999999', 'eu-west-1', 'regional', 1),
  ],
  seenAccountIds: [],
  now: NOW,
});

describe('renderCoverageMapHtml', () => {
  it('draws accounts × regions and global, the account that needs attention first, with counts and legend', () => {
    const html = renderCoverageMapHtml(result);
    expect(html).toContain('<th>eu-west-1</th><th>us-east-1</th><th>global</th>');
    const rows = [...html.matchAll(/<tr><td>(\d{12}) /g)].map((m) => m[1]);
    expect(rows).toEqual(['222222222222', '111111111111', '333333333333']);
    expect(html).toContain('title="222222222222 us-east-1: silent"');
    expect(html).toMatch(/8 healthy, 0 late, 1 silent, 0 not deployed/);
    expect(html).toContain('Account 999999999999 sends heartbeat but is not in the inventory.');
  });

  it('escapes every value taken from the inventory', () => {
    const html = renderCoverageMapHtml(result);
    expect(html).toContain('ok-&lt;prod&gt;');
    expect(html).not.toContain('ok-<prod>');
  });

  it('bounds the rows and says how many more there are and whether they are healthy', () => {
    const html = renderCoverageMapHtml(result, 1);
    expect([...html.matchAll(/<tr><td>(\d{12}) /g)].map((m) => m[1])).toEqual(['222222222222']);
    expect(html).toContain('…and 2 more account(s), all healthy: <code>npm run coverage</code> shows every row.');
  });
});
