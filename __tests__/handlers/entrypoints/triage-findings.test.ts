import type { FindingRecord } from '../../../handlers/core/findings/finding';
import type { FindingsOutcome, FindingsPort } from '../../../handlers/core/findings/ports';
import type { RoutingConfig } from '../../../handlers/core/triage';
import { createHandler, type SqsEvent, type TriageHandlerDeps } from '../../../handlers/entrypoints/triage';
import { anotherCall, fixtureRecord, loadTriageEvent, sqsRecord, triageContext } from '../../fixtures/triage';
import { FakeClock, FakeDedupeStore, FakeNotifier, FakeTags, LogCapture } from '../../helpers/triage-fakes';

const ROUTING: RoutingConfig = {
  default: { slackChannel: '#security-alerts', slackWebhookRef: 'secretsmanager:vigil/slack/security' },
};
const FAILED: FindingsOutcome = {
  ok: false,
  failures: [{ sink: 'firehose', records: 1, permanent: false, error: 'ServiceUnavailableException' }],
};

/** A findings port that records what it is given and answers `outcomes` in turn (then ok). */
function fakeFindings(...outcomes: FindingsOutcome[]) {
  const published: FindingRecord[][] = [];
  const port: FindingsPort = {
    publish: async (records) => {
      published.push([...records]);
      return outcomes.shift() ?? { ok: true };
    },
  };
  return { port, published };
}

function setup(overrides: Partial<TriageHandlerDeps> = {}) {
  const store = new FakeDedupeStore();
  const notifier = new FakeNotifier();
  const log = new LogCapture();
  const requests: unknown[] = [];
  const handler = createHandler({
    context: triageContext(),
    store,
    tags: new FakeTags(),
    notifier,
    routing: ROUTING,
    now: new FakeClock(Date.parse('2025-07-01T01:13:05Z')).now,
    write: log.write,
    requestRemediation: async (work) => {
      requests.push(work);
    },
    ...overrides,
  });
  return { handler, store, notifier, log, requests };
}

const batch = (...records: Array<{ messageId: string; body: string }>): SqsEvent => ({ Records: records });

describe('triage exports one finding per alert decision', () => {
  it('publishes exactly one finding for an alert, none for a duplicate delivery', async () => {
    const findings = fakeFindings();
    const { handler } = setup({ findings: findings.port });
    const record = fixtureRecord('stop-logging-prod');

    await handler(batch(record));
    await handler(batch({ ...record, messageId: 'copy' }));

    expect(findings.published).toHaveLength(1);
    expect(findings.published[0]).toEqual([
      {
        kind: 'finding',
        finding: expect.objectContaining({
          detection: expect.objectContaining({ id: 'cloudtrail-logging-stopped' }),
          severity: 'critical',
          owner: 'payments-team',
          status: 'notified',
          remediation: expect.objectContaining({ state: 'requested' }),
          createdAt: '2025-07-01T01:13:05.000Z',
        }),
      },
    ]);
  });

  it('publishes one finding per event of a batch, and none for a dropped event or a repeat', async () => {
    const findings = fakeFindings();
    const { handler } = setup({ findings: findings.port });
    const event = loadTriageEvent('sg-ingress-ssh-world');
    const detectionId = 'ec2-security-group-world-open-ingress';

    await handler(
      batch(
        fixtureRecord('stop-logging-prod'),
        fixtureRecord('root-create-key-pair'),
        fixtureRecord('revoke-ingress-by-remediation'),
        sqsRecord('sg-1', detectionId, event),
      ),
    );
    await handler(batch(sqsRecord('sg-2', detectionId, anotherCall(event, 2))));

    const ids = findings.published.flat().map((r) => (r.kind === 'finding' ? r.finding.detection.id : r.kind));
    expect(ids.sort()).toEqual(['cloudtrail-logging-stopped', detectionId, 'root-activity'].sort());
  });

  it('fails open: a failed export keeps the alert and the remediation, returns the message, and the redelivery only exports', async () => {
    const findings = fakeFindings(FAILED);
    const { handler, notifier, requests, log } = setup({ findings: findings.port });
    const record = fixtureRecord('stop-logging-prod');

    const first = await handler(batch(record));

    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(notifier.sent).toHaveLength(1);
    expect(requests).toHaveLength(1);
    expect(log.metrics).toEqual(
      expect.arrayContaining([expect.objectContaining({ FindingExportFailed: 1, AlertsSent: 1 })]),
    );
    expect(log.logs).toContainEqual(
      expect.objectContaining({ level: 'error', outcome: 'retry', failures: FAILED.failures }),
    );

    const second = await handler(batch(record));

    expect(second).toEqual({ batchItemFailures: [] });
    expect(findings.published).toHaveLength(2);
    expect(findings.published[1]).toEqual(findings.published[0]);
    expect(notifier.sent[1]!.skip.sort()).toEqual(['email', 'pagerduty', 'slack']);
    expect(requests).toHaveLength(1);
    expect(log.metrics.filter((m) => m.AlertsSent === 1)).toHaveLength(1);
  });
});
