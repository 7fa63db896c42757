/**
 * vigil's heartbeat through the whole triage flow (issue #11): a heartbeat of the exact heartbeat role is
 * recorded in the coverage table's port, logged as outcome `heartbeat` and counted (Heartbeats,
 * HeartbeatLatencyMs by Region), never alerted, digested or remediated; a look-alike alerts as
 * vigil-heartbeat-tampered; a failed write returns the message to SQS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeartbeatEntry, HeartbeatLog, TriageOutcome } from '../../../handlers/core/flows/triage-ports';
import { createHandler, type SqsEvent } from '../../../handlers/entrypoints/triage';
import { sqsRecord, triageContext } from '../../fixtures/triage';
import { FakeClock, FakeDedupeStore, FakeNotifier, FakeTags, LogCapture } from '../../helpers/triage-fakes';

const EVENTS = join(__dirname, '..', '..', 'fixtures', 'events');
const load = (path: string) => JSON.parse(readFileSync(join(EVENTS, path), 'utf8'));
const REGIONAL = 'vigil-heartbeat/positive-scheduler-put-parameter.json';
const GLOBAL = 'vigil-heartbeat-global/positive-scheduler-tag-role.json';

class FakeHeartbeats implements HeartbeatLog {
  readonly entries: HeartbeatEntry[] = [];
  failNext = false;
  async record(entry: HeartbeatEntry): Promise<boolean> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('ProvisionedThroughputExceededException');
    }
    this.entries.push(entry);
    return true;
  }
}

function setup() {
  const heartbeats = new FakeHeartbeats();
  const notifier = new FakeNotifier();
  const store = new FakeDedupeStore();
  const log = new LogCapture();
  const outcomes: TriageOutcome[] = [];
  const digested: unknown[] = [];
  const remediation: unknown[] = [];
  // 42 s after the fixtures' eventTime (2026-12-04T08:50:00Z).
  const clock = new FakeClock(Date.parse('2026-12-04T08:50:42Z'));
  const handler = createHandler({
    context: triageContext(),
    store,
    tags: new FakeTags(),
    notifier,
    routing: { default: { emailTopicArn: 'arn:aws:sns:eu-west-1:110000000003:vigil-alerts' }, byOwner: {} },
    now: clock.now,
    write: log.write,
    heartbeats,
    digest: { record: async (e) => void digested.push(e) },
    requestRemediation: async (w) => void remediation.push(w),
    observe: (o) => outcomes.push(o),
  });
  return { handler, heartbeats, notifier, store, log, outcomes, digested, remediation };
}

const batch = (...records: Array<{ messageId: string; body: string }>): SqsEvent => ({ Records: records });

describe('triage of heartbeats', () => {
  it('records the regional and the global heartbeat, and alerts, digests and remediates nothing', async () => {
    const t = setup();

    const out = await t.handler(
      batch(
        sqsRecord('m1', 'vigil-heartbeat', load(REGIONAL)),
        sqsRecord('m2', 'vigil-heartbeat-global', load(GLOBAL)),
      ),
    );

    expect(out).toEqual({ batchItemFailures: [] });
    expect([...t.heartbeats.entries].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      {
        accountId: '110000000006',
        region: 'us-east-1',
        path: 'global',
        eventTime: '2026-12-04T08:50:00Z',
        arrivedAt: '2026-12-04T08:50:42.000Z',
        eventId: '2b3c4d5e-6f70-4819-9a2b-000000000201',
      },
      {
        accountId: '110000000006',
        region: 'eu-west-1',
        path: 'regional',
        eventTime: '2026-12-04T08:50:00Z',
        arrivedAt: '2026-12-04T08:50:42.000Z',
        eventId: '2b3c4d5e-6f70-4819-9a2b-000000000101',
      },
    ]);
    expect(t.notifier.attempts).toEqual([]);
    expect(t.digested).toEqual([]);
    expect(t.remediation).toEqual([]);
    expect(t.store.calls).toEqual([]);
    expect(t.outcomes.map((o) => o.outcome)).toEqual(['heartbeat', 'heartbeat']);
    expect(t.log.logs.filter((l) => l.outcome === 'heartbeat')).toHaveLength(2);
  });

  it('counts Heartbeats and HeartbeatLatencyMs by Region and org-wide', async () => {
    const t = setup();

    await t.handler(batch(sqsRecord('m1', 'vigil-heartbeat', load(REGIONAL))));

    expect(t.log.metrics).toEqual([
      expect.objectContaining({
        Region: 'eu-west-1',
        Heartbeats: 1,
        HeartbeatLatencyMs: 42_000,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            {
              Namespace: 'Vigil',
              Dimensions: [['Region'], []],
              Metrics: [
                { Name: 'Heartbeats', Unit: 'Count' },
                { Name: 'HeartbeatLatencyMs', Unit: 'Milliseconds' },
              ],
            },
          ],
        }),
      }),
    ]);
  });

  it('alerts a heartbeat whose issuer is the heartbeat role of another account as tampering', async () => {
    const t = setup();
    const event = load(REGIONAL);
    event.detail.userIdentity.sessionContext.sessionIssuer.arn = 'arn:aws:iam::110000000007:role/vigil-heartbeat';
    event.detail.userIdentity.sessionContext.sessionIssuer.accountId = '110000000007';

    const out = await t.handler(batch(sqsRecord('m1', 'vigil-heartbeat', event)));

    expect(out).toEqual({ batchItemFailures: [] });
    expect(t.heartbeats.entries).toEqual([]);
    expect(t.notifier.sent).toHaveLength(1);
    expect(t.notifier.sent[0]!.alert.detection.id).toBe('vigil-heartbeat-tampered');
    expect(JSON.stringify(t.notifier.sent[0]!.alert)).toContain('arn:aws:iam::110000000006:role/vigil-heartbeat');
  });

  it('alerts a write of the heartbeat parameter by anyone else (its own central rule)', async () => {
    const t = setup();

    await t.handler(
      batch(
        sqsRecord('m1', 'vigil-heartbeat-tampered', load('vigil-heartbeat-tampered/positive-admin-put-parameter.json')),
      ),
    );

    expect(t.notifier.sent.map((s) => s.alert.detection.id)).toEqual(['vigil-heartbeat-tampered']);
    expect(t.heartbeats.entries).toEqual([]);
  });

  it('returns the message to SQS when the coverage table write fails', async () => {
    const t = setup();
    t.heartbeats.failNext = true;

    const out = await t.handler(batch(sqsRecord('m1', 'vigil-heartbeat', load(REGIONAL))));

    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(t.notifier.attempts).toEqual([]);
  });
});
