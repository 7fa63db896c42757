/**
 * The coverage run over in-memory ports: transitions become messages to the right recipients and
 * channels, metrics are written, the state is committed only after every delivery, and sends are
 * idempotent per transition across retries and overlapping runs.
 */
import type { AlertRouting } from '../../../../handlers/core/alert';
import type { CoverageState, HeartbeatRecord } from '../../../../handlers/core/coverage';
import {
  type CoverageFlowDeps,
  CoverageRunError,
  coverageDeliveries,
  createCoverageFlow,
} from '../../../../handlers/core/flows/coverage-flow';
import type {
  CoverageChannel,
  CoverageMessage,
  CoverageRecord,
  CoverageStore,
  OptInRegionsEntry,
} from '../../../../handlers/core/flows/coverage-ports';
import { toHandlerInventory } from '../../../../handlers/core/inventory-view';
import type { RoutingConfig } from '../../../../handlers/core/triage-alert';
import { TEST_INVENTORY } from '../../../fixtures/inventory';

const VIEW = toHandlerInventory(TEST_INVENTORY);
const T0 = Date.parse('2026-12-04T10:00:00.000Z');
const MIN = 60_000;
const PAYMENTS = '444444444444';

const ROUTING: RoutingConfig = {
  default: {
    slackChannel: '#security',
    slackWebhookRef: 'secretsmanager:vigil/slack/security',
    pagerdutyRoutingKeyRef: 'ssm:/vigil/pagerduty/security',
    emailTopicArn: 'arn:aws:sns:eu-west-1:333333333333:vigil-alerts',
  },
  byOwner: { payments: { slackChannel: '#payments', slackWebhookRef: 'secretsmanager:vigil/slack/payments' } },
};

/** Every deployed cell of TEST_INVENTORY: accounts × their regions, plus each account's global path. */
function cells(): { accountId: string; column: string }[] {
  return Object.entries(VIEW.accounts).flatMap(([accountId, a]) => [
    ...a.regions.map((column) => ({ accountId, column })),
    { accountId, column: 'global' },
  ]);
}

function heartbeats(nowMs: number, silent: (c: { accountId: string; column: string }) => boolean): HeartbeatRecord[] {
  return cells()
    .filter((c) => !silent(c))
    .map((c) => ({
      accountId: c.accountId,
      region: c.column === 'global' ? 'us-east-1' : c.column,
      path: c.column === 'global' ? 'global' : 'regional',
      eventTime: new Date(nowMs - MIN).toISOString(),
      arrivedAt: new Date(nowMs - MIN + 30_000).toISOString(),
    }));
}

/** The state item in memory, with DynamoDB's conditional PutItem semantics. */
class MemoryStore implements CoverageStore {
  record: CoverageRecord = { rev: 0, notified: [], sent: [] };
  hbs: HeartbeatRecord[] = [];
  seen: string[] = [];
  optIn: Record<string, OptInRegionsEntry> = {};
  puts: CoverageRecord[] = [];
  async cells() {
    return { heartbeats: this.hbs, unreadable: [], seenAccountIds: this.seen, optInRegions: { ...this.optIn } };
  }
  async putOptInRegions(entry: OptInRegionsEntry) {
    this.optIn[entry.accountId] = entry;
  }
  async load() {
    return structuredClone(this.record);
  }
  async put(next: CoverageRecord, expectedRev: number, runId: string, nowMs: number) {
    const r = this.record;
    const leaseFree = !r.lease || r.lease.until < nowMs || r.lease.runId === runId;
    if (r.rev !== expectedRev || !leaseFree) return false;
    this.record = structuredClone(next);
    this.puts.push(this.record);
    return true;
  }
}

interface Sent {
  readonly channel: CoverageChannel;
  readonly routing: AlertRouting;
  readonly message: CoverageMessage;
}

function setup(options: { fail?: (s: Sent) => boolean; optInRegions?: CoverageFlowDeps['optInRegions'] } = {}) {
  const store = new MemoryStore();
  const sent: Sent[] = [];
  const lines: string[] = [];
  let now = T0;
  const deps: CoverageFlowDeps = {
    store,
    sender: {
      async send(channel, routing, message) {
        if (options.fail?.({ channel, routing, message })) throw new Error(`${channel} refused`);
        sent.push({ channel, routing, message });
      },
    },
    inventory: VIEW,
    routing: ROUTING,
    now: () => new Date(now),
    write: (line) => lines.push(line),
    ...(options.optInRegions ? { optInRegions: options.optInRegions } : {}),
  };
  const run = createCoverageFlow(deps);
  /** One scheduled run `minutes` after the previous one, with `silent` cells silent since long ago. */
  const tick = async (silent: (c: { accountId: string; column: string }) => boolean, id = `evt-${now}`) => {
    store.hbs = heartbeats(now, silent);
    const report = await run({ id, time: new Date(now).toISOString() });
    now += 5 * MIN;
    return report;
  };
  return { store, sent, lines, tick, run, advance: (ms: number) => (now += ms) };
}

const paymentsEu = (c: { accountId: string; column: string }) => c.accountId === PAYMENTS && c.column === 'eu-west-1';
const none = () => false;
const all = () => true;

describe('createCoverageFlow', () => {
  it('alerts a newly silent cell once, to the owner and the default route, without paging', async () => {
    const { tick, sent } = setup();
    await tick(paymentsEu); // streak 1: nothing yet (flapping suppression)
    expect(sent).toEqual([]);
    await tick(paymentsEu); // streak 2: the alert
    await tick(paymentsEu); // still silent: nothing more

    expect(sent.map((s) => [s.message.id, s.routing.slackChannel ?? s.routing.emailTopicArn, s.channel])).toEqual([
      [`silent#${PAYMENTS}/eu-west-1`, '#payments', 'slack'],
      [`silent#${PAYMENTS}/eu-west-1`, '#payments', 'email'],
      [`silent#${PAYMENTS}/eu-west-1`, '#security', 'slack'],
      [`silent#${PAYMENTS}/eu-west-1`, '#security', 'email'],
    ]);
    expect(sent.every((s) => s.channel !== 'pagerduty')).toBe(true);
    const text = sent[0]!.message.email.body;
    expect(text).toContain('payments-prod (444444444444) in eu-west-1');
    expect(text).toContain('forwarding rules (vigil-fwd-*)');
    expect(text).toContain('npm run coverage');
  });

  it('sends one recovery message after the cell is healthy long enough', async () => {
    const { tick, sent } = setup();
    await tick(paymentsEu);
    await tick(paymentsEu);
    sent.length = 0;
    await tick(none); // healthy 1
    expect(sent).toEqual([]);
    await tick(none); // healthy 2: recovered
    await tick(none);
    expect([...new Set(sent.map((s) => s.message.id))]).toEqual([`recovered#${PAYMENTS}/eu-west-1`]);
    expect(sent.map((s) => s.message.email.subject)).toContain('[vigil] Coverage restored: payments-prod eu-west-1');
  });

  it('pages once when every cell is silent, holds per-cell alerts, and resolves the page when it is back', async () => {
    const { tick, sent } = setup();
    await tick(all);
    await tick(all);
    await tick(all);
    const pages = sent.filter((s) => s.channel === 'pagerduty');
    expect(pages.map((p) => p.message.pagerduty)).toEqual([
      expect.objectContaining({ action: 'trigger', dedupKey: 'vigil/coverage/pipeline-down', severity: 'critical' }),
    ]);
    expect(sent.every((s) => s.message.id === 'pipeline-down')).toBe(true);
    sent.length = 0;
    await tick(none);
    await tick(none);
    expect(sent.filter((s) => s.channel === 'pagerduty').map((p) => p.message.pagerduty)).toEqual([
      expect.objectContaining({ action: 'resolve', dedupKey: 'vigil/coverage/pipeline-down' }),
    ]);
  });

  it('publishes the counts as EMF, dimensionless and per Region', async () => {
    const { tick, lines } = setup();
    await tick(paymentsEu);
    const emf = lines.map((l) => JSON.parse(l)).filter((o) => o._aws);
    const total = emf.find((o) => o._aws.CloudWatchMetrics[0].Dimensions[0].length === 0);
    expect(total).toMatchObject({ CoverageSilentCells: 1, CoverageLateCells: 0 });
    expect(total.CoverageHealthyCells + 1 + total.CoverageNotDeployedCells).toBe(cells().length + 2 * 1);
    const eu = emf.find((o) => o.Region === 'eu-west-1');
    expect(eu).toMatchObject({ CoverageSilentCells: 1 });
    expect(eu._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'Vigil',
      Dimensions: [['Region']],
      Metrics: ['CoverageHealthyCells', 'CoverageLateCells', 'CoverageSilentCells', 'CoverageNotDeployedCells'].map(
        (Name) => ({ Name, Unit: 'Count' }),
      ),
    });
    expect(emf.map((o) => o.Region ?? 'total').sort()).toEqual(
      ['eu-west-1', 'global', 'total', 'us-east-1', 'us-west-2'].sort(),
    );
  });

  it('commits the state only after every delivery, and a retry sends only what failed', async () => {
    let slackDown = true;
    const { store, sent, run, tick, advance } = setup({
      fail: (s) => slackDown && s.channel === 'slack' && s.routing.slackChannel === '#security',
    });
    await tick(paymentsEu);
    const before = store.record;
    store.hbs = heartbeats(T0 + 5 * MIN, paymentsEu);
    await expect(run({ id: 'evt-2' })).rejects.toThrow(CoverageRunError);
    // Not committed: same round, previous state; the lease is released; what went out is marked.
    expect(store.record.rev).toBe(before.rev);
    expect(store.record.state).toEqual(before.state);
    expect(store.record.lease).toBeUndefined();
    expect(store.record.sent).toEqual([
      `silent#${PAYMENTS}/eu-west-1@default#email`,
      `silent#${PAYMENTS}/eu-west-1@payments#email`,
      `silent#${PAYMENTS}/eu-west-1@payments#slack`,
    ]);
    expect(sent).toHaveLength(3);

    slackDown = false;
    advance(60_000); // Lambda's retry, a minute later
    const report = await run({ id: 'evt-2' });
    expect(report).toMatchObject({ sent: 1, alreadySent: 3 });
    expect(sent).toHaveLength(4);
    expect(sent[3]).toMatchObject({ channel: 'slack', routing: { slackChannel: '#security' } });
    expect(store.record).toMatchObject({ rev: before.rev + 1, sent: [] });
    expect(store.record.state?.cells[`${PAYMENTS}/eu-west-1`]).toMatchObject({ alerted: true });
  });

  it('never lets two overlapping runs both send: the second stops while the first holds the round', async () => {
    const { store, sent, run } = setup();
    const previous: CoverageState = {
      version: 1,
      evaluatedAt: new Date(T0 - 5 * MIN).toISOString(),
      cells: { [`${PAYMENTS}/eu-west-1`]: { alerted: false, silentStreak: 1, healthyStreak: 0 } },
      pipeline: { down: false, allSilentStreak: 0, liveStreak: 0 },
    };
    store.record = { rev: 7, state: previous, notified: [], sent: [], lease: { runId: 'other', until: T0 + MIN } };
    store.hbs = heartbeats(T0, paymentsEu);
    const report = await run({ id: 'mine' });
    expect(report.skipped).toContain('run other holds round 7');
    expect(sent).toEqual([]);
    expect(store.puts).toEqual([]);
  });

  it('stops without sending when another run takes the round between its read and its claim', async () => {
    const { store, sent, run } = setup();
    store.record = {
      rev: 3,
      state: {
        version: 1,
        evaluatedAt: new Date(T0 - 5 * MIN).toISOString(),
        cells: { [`${PAYMENTS}/eu-west-1`]: { alerted: false, silentStreak: 1, healthyStreak: 0 } },
        pipeline: { down: false, allSilentStreak: 0, liveStreak: 0 },
      },
      notified: [],
      sent: [],
    };
    store.hbs = heartbeats(T0, paymentsEu);
    const load = store.load.bind(store);
    store.load = async () => {
      const r = await load();
      store.record = { ...store.record, rev: 4 }; // the other run committed meanwhile
      return r;
    };
    const report = await run({ id: 'late' });
    expect(report.skipped).toContain('taken by another run');
    expect(sent).toEqual([]);
  });

  it('alerts an account seen in heartbeats but not in the inventory once, until it goes away', async () => {
    const { store, sent, run } = setup();
    const stranger: HeartbeatRecord = {
      accountId: '999999999999',
      region: 'eu-west-1',
      path: 'regional',
      eventTime: new Date(T0 - MIN).toISOString(),
      arrivedAt: new Date(T0 - 30_000).toISOString(),
    };
    store.hbs = [...heartbeats(T0, none), stranger];
    await run({ id: 'a' });
    await run({ id: 'b' });
    expect([...new Set(sent.map((s) => s.message.id))]).toEqual(['unknown-account#999999999999']);
    expect(sent.map((s) => s.channel)).toEqual(['slack', 'email']);
    expect(sent[0]!.message.email.body).toContain('npm run org:sync');
    expect(store.record.notified).toEqual(['unknown-account#999999999999']);
    store.hbs = heartbeats(T0, none);
    await run({ id: 'c' });
    expect(store.record.notified).toEqual([]);
  });

  it('alerts an account seen only in events (a sighting triage noted) once', async () => {
    const { store, sent, run } = setup();
    store.hbs = heartbeats(T0, none);
    store.seen = ['888888888888', ...Object.keys(VIEW.accounts)];
    await run({ id: 'a' });
    await run({ id: 'b' });
    expect([...new Set(sent.map((s) => s.message.id))]).toEqual(['unknown-account#888888888888']);
    expect(sent[0]!.message.email.body).toContain('vigil saw account 888888888888 in event,');
  });

  describe('opt-in regions', () => {
    const ids = Object.keys(VIEW.accounts).sort();
    const reader = (answers: Record<string, readonly string[] | Error>) => {
      const calls: string[] = [];
      return {
        calls,
        reader: {
          async list(accountId: string) {
            calls.push(accountId);
            const a = answers[accountId] ?? [];
            if (a instanceof Error) throw a;
            return a;
          },
        },
      };
    };

    it('reports an enabled opt-in region the account does not forward from, once, and caches the answer', async () => {
      const r = reader({ [PAYMENTS]: ['ap-east-1', 'ap-east-1'] });
      const { store, sent, run } = setup({ optInRegions: { reader: r.reader } });
      store.hbs = heartbeats(T0, none);
      await run({ id: 'a' });
      await run({ id: 'b' });
      expect([...new Set(sent.map((s) => s.message.id))]).toEqual([`uncovered-region#${PAYMENTS}/ap-east-1`]);
      expect(sent[0]!.message.email.body).toContain("add ap-east-1 to the inventory's regions");
      // Every account read once on the first run; the second run used the cache.
      expect(r.calls.sort()).toEqual(ids);
      expect(store.optIn[PAYMENTS]).toEqual({
        accountId: PAYMENTS,
        regions: ['ap-east-1'],
        checkedAt: new Date(T0).toISOString(),
      });
    });

    it('re-reads the stalest accounts first, at most perRun per run, and skips the accounts it cannot ask about', async () => {
      const r = reader({});
      const { store, run, advance } = setup({
        optInRegions: { reader: r.reader, perRun: 2, maxAgeMinutes: 60, skip: [ids[0]!] },
      });
      store.hbs = heartbeats(T0, none);
      await run({ id: 'a' });
      expect(r.calls).toEqual([ids[1], ids[2]]);
      r.calls.length = 0;
      advance(5 * MIN);
      await run({ id: 'b' });
      // ids[1] and ids[2] are fresh: the next two never-read accounts come next.
      expect(r.calls).toEqual(ids.slice(3, 5));
      expect(r.calls).not.toContain(ids[0]);
    });

    it('fails open: an account whose regions cannot be read is unknown, logged with the fix, and the run goes on', async () => {
      const denied = Object.assign(new Error('not authorized to perform account:ListRegions'), {
        name: 'AccessDeniedException',
      });
      const r = reader(Object.fromEntries(ids.map((id) => [id, denied])));
      const { store, sent, lines, run } = setup({ optInRegions: { reader: r.reader } });
      store.hbs = heartbeats(T0, none);
      const report = await run({ id: 'a' });
      expect(report.skipped).toBeUndefined();
      expect(sent).toEqual([]);
      expect(store.optIn).toEqual({});
      const warnings = lines
        .map((l) => JSON.parse(l))
        .filter((l) => l.message?.startsWith('could not read the opt-in'));
      expect(warnings).toHaveLength(ids.length);
      expect(warnings[0].fix).toContain('delegated administrator of Account Management');
    });
  });

  it('writes the state of a quiet round without taking a lease', async () => {
    const { store, tick } = setup();
    await tick(none);
    expect(store.puts).toEqual([{ rev: 1, state: expect.objectContaining({ version: 1 }), notified: [], sent: [] }]);
  });
});

describe('coverageDeliveries', () => {
  it('sends a cell message once to the default route when the owner has no route of its own', () => {
    const message = { id: 'silent#111111111111/eu-west-1', kind: 'silent' } as CoverageMessage;
    const deliveries = coverageDeliveries([{ message, owner: 'platform' }], ROUTING);
    expect(deliveries.map((d) => [d.to, d.channel])).toEqual([
      ['default', 'slack'],
      ['default', 'email'],
    ]);
  });
});
