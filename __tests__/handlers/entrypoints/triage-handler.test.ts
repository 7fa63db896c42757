import { createHandler, type SqsEvent, type TriageHandlerDeps } from '../../../handlers/entrypoints/triage';
import type { RoutingConfig } from '../../../handlers/core/triage';
import { CATALOG } from '../../../rules/catalog';
import {
  anotherCall,
  fixtureRecord,
  loadTriageEvent,
  messageBody,
  sqsRecord,
  triageContext,
} from '../../fixtures/triage';
import { FakeClock, FakeDedupeStore, FakeNotifier, FakeTags, LogCapture } from '../../helpers/triage-fakes';

const ROUTING: RoutingConfig = {
  default: {
    slackChannel: '#security-alerts',
    slackWebhookRef: 'secretsmanager:vigil/slack/security',
    pagerdutyRoutingKeyRef: 'ssm:/vigil/pagerduty/security',
  },
  byOwner: {
    'payments-team': { slackChannel: '#payments-sec', slackWebhookRef: 'secretsmanager:vigil/slack/payments' },
  },
};
const TRAIL = 'arn:aws:cloudtrail:eu-west-1:110000000006:trail/payments-audit';

/** A handler over fakes; the clock starts 20 s after the StopLogging fixture's eventTime. */
function setup(overrides: Partial<TriageHandlerDeps> = {}) {
  const store = new FakeDedupeStore();
  const notifier = new FakeNotifier();
  const tags = new FakeTags();
  const clock = new FakeClock(Date.parse('2025-07-01T01:13:05Z'));
  const log = new LogCapture();
  const handler = createHandler({
    context: triageContext(),
    store,
    tags,
    notifier,
    routing: ROUTING,
    now: clock.now,
    write: log.write,
    ...overrides,
  });
  return { handler, store, notifier, tags, clock, log };
}

const batch = (...records: Array<{ messageId: string; body: string }>): SqsEvent => ({ Records: records });
const detection = (id: string) => CATALOG.find((d) => d.id === id)!;

describe('triage handler', () => {
  describe('a valid event', () => {
    it('alerts the owner once, with account facts, prod severity and routing', async () => {
      const { handler, notifier } = setup();

      const out = await handler(batch(fixtureRecord('stop-logging-prod')));

      expect(out).toEqual({ batchItemFailures: [] });
      expect(notifier.sent).toHaveLength(1);
      expect(notifier.sent[0]!.alert).toMatchObject({
        detection: { id: 'cloudtrail-logging-stopped', severity: 'critical' },
        event: {
          eventName: 'StopLogging',
          account: { id: '110000000006', name: 'payments-prod', ouName: 'Workloads/Prod', environment: 'prod' },
          resources: [TRAIL],
        },
        owner: 'payments-team',
        routing: { slackChannel: '#payments-sec', pagerdutyRoutingKeyRef: 'ssm:/vigil/pagerduty/security' },
      });
    });

    it('emits AlertsSent and the detection latency per detection and severity', async () => {
      const { handler, log } = setup();

      await handler(batch(fixtureRecord('stop-logging-prod')));

      expect(log.metrics).toEqual([
        expect.objectContaining({
          DetectionId: 'cloudtrail-logging-stopped',
          Severity: 'critical',
          AlertsSent: 1,
          DetectionLatencyMs: 20_000,
          _aws: expect.objectContaining({
            CloudWatchMetrics: [
              expect.objectContaining({ Namespace: 'Vigil', Dimensions: [['DetectionId', 'Severity'], []] }),
            ],
          }),
        }),
      ]);
      expect(log.logs).toContainEqual(
        expect.objectContaining({ level: 'info', outcome: 'sent', ownerSource: 'account-tag' }),
      );
    });

    it('records the event as sent and starts the repeat window', async () => {
      const { handler, store, clock } = setup();

      await handler(batch(fixtureRecord('stop-logging-prod')));

      const now = Math.floor(clock.ms / 1000);
      expect(store.withPrefix('event#')).toEqual([
        [expect.any(String), { status: 'sent', owner: 'msg-stop-logging-prod', expiresAt: now + 86_400 }],
      ]);
      expect(store.withPrefix('resource#')).toEqual([
        [expect.any(String), expect.objectContaining({ status: 'sent', expiresAt: now + 900 })],
      ]);
    });

    it("takes the owner from the resource's tag when it has one", async () => {
      const tags = new FakeTags(() => ({ status: 'found', tags: { [TRAIL]: { owner: 'audit-team' } }, arns: [TRAIL] }));
      const { handler, notifier } = setup({ tags });

      await handler(batch(fixtureRecord('stop-logging-prod')));

      expect(tags.lookups).toEqual([{ accountId: '110000000006', region: 'eu-west-1', arns: [TRAIL] }]);
      expect(notifier.sent[0]!.alert.owner).toBe('audit-team');
      expect(notifier.sent[0]!.alert.routing.slackChannel).toBe('#security-alerts');
    });
  });

  describe('duplicates', () => {
    it('alerts once for the same event delivered by two forwarding paths in one batch', async () => {
      const { handler, notifier, log } = setup();
      const event = loadTriageEvent('stop-logging-prod');

      const out = await handler(
        batch(
          sqsRecord('m-1', 'cloudtrail-logging-stopped', event),
          sqsRecord('m-2', 'cloudtrail-logging-stopped', event),
        ),
      );

      expect(out.batchItemFailures).toEqual([]);
      expect(notifier.sent).toHaveLength(1);
      expect(log.total('Deduplicated', 'cloudtrail-logging-stopped')).toBe(1);
    });

    it('alerts once when SQS redelivers a message that was already handled', async () => {
      const { handler, notifier } = setup();

      await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));
      await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));

      expect(notifier.sent).toHaveLength(1);
    });

    it('suppresses another call on the same resource within the repeat window, then alerts again', async () => {
      const { handler, notifier, clock, log } = setup();
      const first = loadTriageEvent('stop-logging-prod');

      await handler(batch(sqsRecord('m-1', 'cloudtrail-logging-stopped', first)));
      clock.advance(600);
      await handler(batch(sqsRecord('m-2', 'cloudtrail-logging-stopped', anotherCall(first, 2))));
      clock.advance(400); // 1,000 s after the first alert: the 15-minute window is over
      await handler(batch(sqsRecord('m-3', 'cloudtrail-logging-stopped', anotherCall(first, 3))));

      expect(notifier.sent.map((s) => s.alert.event.eventId)).toEqual([
        first.detail.eventID,
        anotherCall(first, 3).detail.eventID,
      ]);
      expect(log.logs).toContainEqual(expect.objectContaining({ outcome: 'suppressed', windowSeconds: 900 }));
    });

    it('alerts on another resource within the window', async () => {
      const { handler, notifier } = setup();
      const other = anotherCall(loadTriageEvent('stop-logging-prod'), 2);
      other.detail.requestParameters.name = 'arn:aws:cloudtrail:eu-west-1:110000000006:trail/payments-archive';
      other.detail.resources = [];

      await handler(batch(fixtureRecord('stop-logging-prod'), sqsRecord('m-2', 'cloudtrail-logging-stopped', other)));

      expect(notifier.sent).toHaveLength(2);
    });
  });

  describe('bursts', () => {
    const burstDetection = detection('api-access-denied-burst');
    const { threshold } = burstDetection.aggregate!;
    const denied = loadTriageEvent('describe-instances-denied');
    /** `n` denied calls by the fixture's principal, one second apart, in one window. */
    const calls = (n: number, from = 0) =>
      Array.from({ length: n }, (_, i) =>
        sqsRecord(
          `m-${from + i}`,
          burstDetection.id,
          anotherCall(
            denied,
            from + i,
            new Date(Date.parse(denied.detail.eventTime) + (from + i) * 1000).toISOString(),
          ),
        ),
      );

    it(`sends one alert when ${threshold} denied calls of one principal fall into one window`, async () => {
      const { handler, notifier, log } = setup();

      const out = await handler(batch(...calls(threshold)));

      expect(out.batchItemFailures).toEqual([]);
      expect(notifier.sent).toHaveLength(1);
      expect(notifier.sent[0]!.alert.detection.title).toContain(`${threshold} events within`);
      expect(log.total('Aggregated', burstDetection.id)).toBe(threshold - 1);
      expect(log.total('AlertsSent', burstDetection.id)).toBe(1);
    });

    it('sends nothing below the threshold', async () => {
      const { handler, notifier } = setup();

      await handler(batch(...calls(threshold - 1)));

      expect(notifier.sent).toHaveLength(0);
    });

    it('folds the rest of the burst into the one alert, across invocations', async () => {
      const { handler, notifier } = setup();

      await handler(batch(...calls(threshold)));
      await handler(batch(...calls(threshold, threshold)));

      expect(notifier.sent).toHaveLength(1);
    });

    it('alerts on the first root call of the hour and folds the next ones', async () => {
      const { handler, notifier, log } = setup();
      const root = loadTriageEvent('root-create-key-pair');

      await handler(
        batch(
          sqsRecord('r-1', 'root-activity', root),
          sqsRecord('r-2', 'root-activity', anotherCall(root, 2)),
          sqsRecord('r-3', 'root-activity', anotherCall(root, 3)),
        ),
      );

      expect(notifier.sent).toHaveLength(1);
      expect(log.total('Aggregated', 'root-activity')).toBe(2);
    });

    it('does not count a redelivered event twice', async () => {
      const { handler, notifier } = setup();
      const [first, ...rest] = calls(threshold - 1);

      await handler(batch(first!, first!, ...rest));

      expect(notifier.sent).toHaveLength(0);
    });
  });

  describe('invalid messages are dropped, acknowledged and counted', () => {
    const dropped = async (record: { messageId: string; body: string }) => {
      const s = setup();
      const out = await s.handler(batch(record));
      expect(out).toEqual({ batchItemFailures: [] });
      expect(s.notifier.attempts).toHaveLength(0);
      expect(s.store.calls).toEqual([]);
      return s;
    };

    it('drops an event whose recipientAccountId disagrees with its account', async () => {
      const event = loadTriageEvent('stop-logging-prod');
      event.detail.recipientAccountId = '999999999999';

      const { log } = await dropped(sqsRecord('m-1', 'cloudtrail-logging-stopped', event));

      expect(log.logs).toContainEqual(
        expect.objectContaining({ level: 'warn', outcome: 'invalid', code: 'account-mismatch', messageId: 'm-1' }),
      );
      expect(log.metrics).toEqual([
        expect.objectContaining({ DetectionId: 'cloudtrail-logging-stopped', Severity: 'critical', DroppedInvalid: 1 }),
      ]);
    });

    it('drops a spoofed custom source', async () => {
      const event = loadTriageEvent('root-create-key-pair');
      event.source = 'custom.app';

      const { log } = await dropped(sqsRecord('m-1', 'root-activity', event));

      expect(log.logs[0]).toMatchObject({ code: 'spoofed-source' });
    });

    it('drops an event whose recipientAccountId contradicts its account', async () => {
      const event = loadTriageEvent('stop-logging-prod');
      event.detail.recipientAccountId = '110000000001';

      const { log } = await dropped(sqsRecord('m-1', 'cloudtrail-logging-stopped', event));

      expect(log.logs[0]).toMatchObject({ code: 'account-mismatch' });
    });

    it('drops a truncated detail', async () => {
      const event = loadTriageEvent('stop-logging-prod');
      event.detail = { eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' };

      const { log } = await dropped(sqsRecord('m-1', 'cloudtrail-logging-stopped', event));

      expect(log.logs[0]).toMatchObject({ code: 'missing-field', reason: expect.stringContaining('detail.eventTime') });
    });

    it('drops a body that is not JSON', async () => {
      const { log } = await dropped({ messageId: 'm-1', body: 'not json' });

      expect(log.metrics[0]).toMatchObject({ DetectionId: 'unknown', Severity: 'unknown', DroppedInvalid: 1 });
    });

    it('drops an unknown detection id without creating a metric for it', async () => {
      const { log } = await dropped(sqsRecord('m-1', 'made-up-detection', loadTriageEvent('stop-logging-prod')));

      expect(log.logs[0]).toMatchObject({ outcome: 'invalid', reason: expect.stringContaining('not in the catalog') });
      expect(log.metrics[0]).toMatchObject({ DetectionId: 'unknown', DroppedInvalid: 1 });
    });

    it('drops an event that does not match the detection it claims', async () => {
      const { log } = await dropped(
        sqsRecord('m-1', 'iam-admin-policy-attached', loadTriageEvent('stop-logging-prod')),
      );

      expect(log.metrics[0]).toMatchObject({ DetectionId: 'iam-admin-policy-attached', DroppedInvalid: 1 });
    });
  });

  it("never alerts on vigil's own remediation and counts it", async () => {
    const { handler, notifier, log } = setup();

    const out = await handler(batch(fixtureRecord('revoke-ingress-by-remediation')));

    expect(out.batchItemFailures).toEqual([]);
    expect(notifier.attempts).toHaveLength(0);
    expect(log.metrics[0]).toMatchObject({ DetectionId: 'ec2-security-group-changed', LoopGuarded: 1 });
  });

  it('does not alert on a failed call', async () => {
    const { handler, notifier, log } = setup();
    const event = loadTriageEvent('stop-logging-prod');
    event.detail.errorCode = 'AccessDenied';

    await handler(batch(sqsRecord('m-1', 'cloudtrail-logging-stopped', event)));

    expect(notifier.attempts).toHaveLength(0);
    expect(log.metrics[0]).toMatchObject({ Ignored: 1 });
    expect(log.logs[0]).toMatchObject({ outcome: 'failed-call' });
  });

  it('handles a 200 KB event and sends a bounded alert', async () => {
    const { handler, notifier } = setup();
    const event = loadTriageEvent('sg-ingress-ssh-world');
    const ranges = event.detail.requestParameters.ipPermissions.items[0].ipRanges.items;
    for (let i = 0; i < 4000; i++) ranges.push({ cidrIp: `10.${i >> 8}.${i & 255}.0/24`, description: `office ${i}` });
    const record = sqsRecord('m-big', 'ec2-security-group-world-open-ingress', event);
    expect(record.body.length).toBeGreaterThan(200_000);

    const out = await handler(batch(record));

    expect(out.batchItemFailures).toEqual([]);
    expect(notifier.sent).toHaveLength(1);
    expect(JSON.stringify(notifier.sent[0]!.alert).length).toBeLessThan(12_000);
  });

  describe('notification failures', () => {
    it('reports a transient failure as a batch item failure so SQS retries it', async () => {
      const { handler, notifier, log } = setup();
      notifier.failNext();

      const out = await handler(
        batch(fixtureRecord('stop-logging-prod', 'm-1'), fixtureRecord('delete-bucket-pab-sandbox', 'm-2')),
      );

      expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
      expect(log.metrics).toContainEqual(
        expect.objectContaining({ DetectionId: 'cloudtrail-logging-stopped', NotificationFailed: 1 }),
      );
      expect(log.logs).toContainEqual(expect.objectContaining({ level: 'error', outcome: 'retry', permanent: false }));
    });

    it('does not treat the retry of a failed notification as a duplicate', async () => {
      const { handler, notifier, clock } = setup();
      notifier.failNext();

      await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));
      clock.advance(360); // the queue's visibility timeout
      const retry = await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));

      expect(retry).toEqual({ batchItemFailures: [] });
      expect(notifier.attempts).toHaveLength(2);
      expect(notifier.sent).toHaveLength(1);
    });

    it('does not suppress the retry as a repeat on the same resource', async () => {
      const { handler, notifier, store } = setup();
      notifier.failNext();

      await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));

      expect(store.withPrefix('resource#')).toEqual([]);
      await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));
      expect(notifier.sent).toHaveLength(1);
    });

    it('lets another copy of the event alert after the first copy failed', async () => {
      const { handler, notifier } = setup();
      notifier.failNext();

      await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));
      await handler(batch(fixtureRecord('stop-logging-prod', 'm-2')));

      expect(notifier.sent).toHaveLength(1);
    });

    it('skips on retry the channels that already accepted the alert', async () => {
      const { handler, notifier } = setup();
      notifier.failNext({ delivered: ['slack'] });

      await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));
      await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));

      expect(notifier.attempts.map((a) => a.skip)).toEqual([[], ['slack']]);
    });

    it('keeps a burst alert for its retry: the counter is not consumed by the failure', async () => {
      const { handler, notifier } = setup();
      const root = loadTriageEvent('root-create-key-pair');
      notifier.failNext();

      const first = await handler(batch(sqsRecord('r-1', 'root-activity', root)));
      await handler(batch(sqsRecord('r-2', 'root-activity', anotherCall(root, 2))));
      await handler(batch(sqsRecord('r-1', 'root-activity', root)));

      expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'r-1' }]);
      expect(notifier.sent.map((s) => s.alert.event.eventId)).toEqual([root.detail.eventID]);
    });

    it('reports a permanent failure too, so the alert waits in the DLQ, and says a human must act', async () => {
      const { handler, notifier, log } = setup();
      notifier.failNext({ permanent: true });

      const out = await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));

      expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
      expect(log.logs).toContainEqual(
        expect.objectContaining({
          level: 'error',
          permanent: true,
          message: expect.stringContaining('redrive the DLQ'),
        }),
      );
    });
  });

  describe('tag lookup failure', () => {
    it('still alerts, with the account owner, and says the owner is a fallback', async () => {
      const tags = new FakeTags(() => ({ status: 'unavailable', reason: 'AccessDenied: sts:AssumeRole' }));
      const { handler, notifier, log } = setup({ tags });

      const out = await handler(batch(fixtureRecord('stop-logging-prod')));

      expect(out.batchItemFailures).toEqual([]);
      expect(notifier.sent[0]!.alert.owner).toBe(
        'payments-team (resource tags unavailable (AccessDenied: sts:AssumeRole); owner from the account tag)',
      );
      expect(log.logs).toContainEqual(
        expect.objectContaining({ outcome: 'sent', ownerCaveat: expect.stringContaining('AccessDenied') }),
      );
    });
  });

  describe('dedupe store failures', () => {
    it('retries the message when the store cannot claim the event, and sends nothing', async () => {
      const { handler, notifier, store } = setup();
      store.failWith('claimEvent', new Error('ProvisionedThroughputExceededException'));

      const out = await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));

      expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
      expect(notifier.attempts).toHaveLength(0);
    });

    it('gives the claim back when a later store call fails, so the retry is not a duplicate', async () => {
      const { handler, notifier, store } = setup();
      store.failWith('claimResource', new Error('InternalServerError'));

      const first = await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));
      const retry = await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));

      expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
      expect(retry.batchItemFailures).toEqual([]);
      expect(notifier.sent).toHaveLength(1);
    });

    it('does not retry a sent alert when recording it fails', async () => {
      const { handler, notifier, store, log } = setup();
      store.failWith('finishEvent', new Error('InternalServerError'));

      const out = await handler(batch(fixtureRecord('stop-logging-prod', 'm-1')));

      expect(out.batchItemFailures).toEqual([]);
      expect(notifier.sent).toHaveLength(1);
      expect(log.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          outcome: 'sent',
          bookkeeping: expect.stringContaining('InternalServerError'),
        }),
      );
    });
  });

  describe('remediation requests', () => {
    it('hands a detection with a remediation to the remediation queue, with the alert and when it was sent', async () => {
      const requests: unknown[] = [];
      const { handler } = setup({ requestRemediation: async (w) => void requests.push(w) });

      await handler(batch(fixtureRecord('stop-logging-prod')));

      expect(requests).toEqual([
        {
          detectionId: 'cloudtrail-logging-stopped',
          event: expect.objectContaining({ detail: expect.objectContaining({ eventName: 'StopLogging' }) }),
          alertRef: {
            sentAt: '2025-07-01T01:13:05.000Z',
            alert: expect.objectContaining({ remediation: expect.objectContaining({ state: 'in-progress' }) }),
          },
        },
      ]);
    });

    it('passes the Slack message reference of a Web API post on, so remediation can edit the alert', async () => {
      const requests: unknown[] = [];
      const { handler, notifier } = setup({ requestRemediation: async (w) => void requests.push(w) });
      notifier.outcomes = [
        {
          channel: 'slack',
          status: 'sent',
          attempts: 1,
          target: '#security-alerts',
          slack: { channel: 'C0123ABCD', ts: '1405894322.002768' },
        },
        { channel: 'pagerduty', status: 'skipped', reason: 'not in the routing' },
      ];

      await handler(batch(fixtureRecord('stop-logging-prod')));

      expect(requests).toEqual([
        expect.objectContaining({
          alertRef: {
            sentAt: '2025-07-01T01:13:05.000Z',
            alert: expect.any(Object),
            slack: { channel: 'C0123ABCD', ts: '1405894322.002768' },
          },
        }),
      ]);
    });

    it('requests nothing for a notify-only detection', async () => {
      const requests: unknown[] = [];
      const { handler, notifier } = setup({ requestRemediation: async (w) => void requests.push(w) });

      await handler(batch(fixtureRecord('root-create-key-pair')));

      expect(notifier.sent.length).toBeGreaterThan(0);
      expect(detection(notifier.sent[0]!.alert.detection.id).remediation).toBeUndefined();
      expect(requests).toEqual([]);
    });

    /** A hand-off that fails `failures` times (with `error`), then succeeds; and the waits it was made to sleep. */
    function flakyHandOff(
      failures: number,
      error: unknown = Object.assign(new Error('Service unavailable'), { $fault: 'server' }),
    ) {
      const requests: unknown[] = [];
      const waits: number[] = [];
      let left = failures;
      return {
        requests,
        waits,
        deps: {
          requestRemediation: async (w: unknown) => {
            requests.push(w);
            if (left-- > 0) throw error;
          },
          handOffRetry: {
            runtime: { now: () => 0, sleep: async (ms: number) => void waits.push(ms), random: () => 0.5 },
          },
        } satisfies Partial<TriageHandlerDeps>,
      };
    }

    it('retries a failed hand-off with back-off, without real waits, and then succeeds', async () => {
      const flaky = flakyHandOff(2);
      const { handler, notifier } = setup(flaky.deps);

      const out = await handler(batch(fixtureRecord('stop-logging-prod')));

      expect(out).toEqual({ batchItemFailures: [] });
      expect(flaky.requests).toHaveLength(3);
      expect(flaky.waits).toEqual([125, 250]);
      expect(notifier.sent).toHaveLength(1);
    });

    it('returns the message to the queue when the hand-off still fails, and the redelivery hands off without re-sending the alert', async () => {
      const flaky = flakyHandOff(4);
      const { handler, notifier, log, store } = setup(flaky.deps);
      const record = fixtureRecord('stop-logging-prod');

      const first = await handler(batch(record));

      expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
      expect(flaky.requests).toHaveLength(4);
      expect(notifier.sent).toHaveLength(1);
      expect(log.metrics).toEqual(expect.arrayContaining([expect.objectContaining({ RemediationRequestFailed: 1 })]));
      expect(log.logs.filter((l) => l.message === 'alert sent')).toHaveLength(0);

      const second = await handler(batch(record));

      expect(second).toEqual({ batchItemFailures: [] });
      expect(flaky.requests).toHaveLength(5);
      expect(notifier.sent).toHaveLength(2);
      expect(notifier.sent[1]!.skip.sort()).toEqual(['email', 'pagerduty', 'slack']);
      expect(log.metrics.filter((m) => m.AlertsSent === 1)).toHaveLength(1);
      expect([...store.items].find(([key]) => key.startsWith('event#'))?.[1]).toMatchObject({ status: 'sent' });
    });

    it('does not retry in place a hand-off refused for good, but still returns the message', async () => {
      const denied = Object.assign(new Error('not authorized to perform sqs:SendMessage'), {
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      });
      const flaky = flakyHandOff(10, denied);
      const { handler, log } = setup(flaky.deps);
      const record = fixtureRecord('stop-logging-prod');

      const out = await handler(batch(record));

      expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
      expect(flaky.requests).toHaveLength(1);
      expect(log.logs).toEqual(
        expect.arrayContaining([expect.objectContaining({ outcome: 'retry', permanent: true, attempts: 1 })]),
      );
    });

    it('alerts on an event nested thousands of levels deep with what it could read, and requests no remediation', async () => {
      const requests: unknown[] = [];
      const { handler, notifier, log } = setup({ requestRemediation: async (w) => void requests.push(w) });
      const event = loadTriageEvent('stop-logging-prod');
      event.detail.requestParameters.tagsList = '__DEEP__';
      // Written as text: JSON.stringify itself cannot serialise a value this deep.
      const deep = `${'{"a":'.repeat(20_000)}"x"${'}'.repeat(20_000)}`;
      const body = messageBody('cloudtrail-logging-stopped', event).replace('"__DEEP__"', deep);

      const out = await handler(batch({ messageId: 'msg-deep', body }));

      expect(out).toEqual({ batchItemFailures: [] });
      expect(notifier.sent).toHaveLength(1);
      expect(notifier.sent[0]!.alert.event.requestParameters['tagsList']).toMatch(/^\{"a":\{"a":.*…/);
      expect(notifier.sent[0]!.alert.remediation).toMatchObject({
        state: 'none',
        detail: expect.stringMatching(/^not requested: the event nests deeper than 64 levels/),
      });
      expect(requests).toEqual([]);
      expect(log.logs).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            message: 'remediation not requested',
            reason: expect.stringMatching(/nests deeper than 64 levels/),
          }),
        ]),
      );
    });
  });

  it('answers an empty batch with no failures', async () => {
    const { handler } = setup();

    expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});
