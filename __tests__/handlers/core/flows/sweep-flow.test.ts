/**
 * The trail-log sweep end to end in process (issue #12 "Done when"): a mocked S3 serves the replay fixtures' real
 * `.json.gz` log files and digests signed in the test; the sweep runs the deployed catalog and the triage workflow in
 * sweep mode over them, with the in-memory dedupe store real time shares and the in-memory ledger.
 */
import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MemorySweepLedger } from '../../../../handlers/adapters/sweep/ledger';
import { makeTrailObjects } from '../../../../handlers/adapters/sweep/trail-objects';
import { LATE_MARKER, LATE_MARKER_ASCII } from '../../../../handlers/core/alert';
import { formatEmail } from '../../../../handlers/core/format-email';
import { formatPagerDutyTrigger } from '../../../../handlers/core/format-pagerduty';
import { formatSlackMessage } from '../../../../handlers/core/format-slack';
import { createSweepFlow, type SweepFlowDeps } from '../../../../handlers/core/flows/sweep-flow';
import type { SweepOutcome } from '../../../../handlers/core/flows/sweep-ports';
import { createTriageFlow, type RemediationWork } from '../../../../handlers/core/flows/triage-flow';
import type { TriageOutcome } from '../../../../handlers/core/flows/triage-ports';
import { toHandlerInventory } from '../../../../handlers/core/inventory-view';
import { compileCatalog } from '../../../../handlers/core/sweep/catalog-runner';
import { wrapCloudTrailRecord } from '../../../../handlers/core/sweep/to-event';
import { makeTriageContext } from '../../../../handlers/core/triage';
import { CATALOG } from '../../../../rules/catalog';
import { PREDICATES } from '../../../../rules/predicates';
import { BUCKET, logKey, ORG, signedDigest, trailKeys } from '../../../helpers/cloudtrail-digests';
import { FakeClock, FakeDedupeStore, FakeNotifier, LogCapture } from '../../../helpers/triage-fakes';

const ROOT = join(__dirname, '../../../..');
const INVENTORY = toHandlerInventory(JSON.parse(readFileSync(join(ROOT, 'config/org.json'), 'utf8')));
const FIXTURE_KEY =
  'AWSLogs/o-k3m9x2p7qa/110000000007/CloudTrail/us-east-1/2026/11/02/110000000007_CloudTrail_us-east-1_20261102T1010Z_R8wYh2JsQ5nFz1Ke.json.gz';
const FIXTURE = readFileSync(join(ROOT, '__tests__/fixtures/replay/cloudtrail', FIXTURE_KEY));
/** The fixture's AttachRolePolicy of AdministratorAccess, at 2026-11-02T10:05:03Z. */
const EVENT_ID = '3f1c9a8e-1b2d-4c5e-9f00-0a1b2c3d4e03';
const AFTER_GRACE = Date.parse('2026-11-02T11:00:00Z');

const s3 = mockClient(S3Client);
const cloudTrail = mockClient(CloudTrailClient);
const objects = new Map<string, { bytes: Uint8Array; metadata?: Record<string, string> }>();

function serve() {
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string }) => {
    const found = objects.get(input.Key);
    if (!found) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    const bytes = found.bytes;
    return {
      Body: Object.assign(Readable.from([Buffer.from(bytes)]), {
        transformToByteArray: async () => Buffer.from(bytes),
      }),
      ETag: '"etag"',
      LastModified: new Date('2026-11-02T10:10:30Z'),
      Metadata: found.metadata ?? {},
    };
  });
}

beforeEach(() => {
  s3.reset();
  cloudTrail.reset();
  objects.clear();
  serve();
});

/** An SQS message with the S3 notification for `key` (URL-encoded, as S3 writes it). */
const notification = (key: string, messageId = 'm-1') => ({
  messageId,
  body: JSON.stringify({
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: BUCKET }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), eTag: 'etag' } },
      },
    ],
  }),
});

function setup(o: { now?: number } = {}) {
  const clock = new FakeClock(o.now ?? AFTER_GRACE);
  const store = new FakeDedupeStore();
  const notifier = new FakeNotifier();
  const logs = new LogCapture();
  const ledger = new MemorySweepLedger();
  const remediation: RemediationWork[] = [];
  const findings: TriageOutcome[] = [];
  const outcomes: SweepOutcome[] = [];
  const deferred: Array<[string, number]> = [];
  const triageDeps = {
    context: makeTriageContext(INVENTORY, CATALOG, PREDICATES),
    store,
    tags: { read: async () => ({ status: 'not-applicable' as const }) },
    notifier,
    routing: { default: { slackChannel: '#sec' } },
    now: clock.now,
    write: logs.write,
    requestRemediation: async (work: RemediationWork) => {
      remediation.push(work);
    },
  };
  const deps: SweepFlowDeps = {
    triage: triageDeps,
    catalog: compileCatalog(CATALOG, PREDICATES),
    objects: makeTrailObjects({
      s3: new S3Client({ region: 'us-east-1' }),
      cloudTrail: () => new CloudTrailClient({ region: 'eu-west-1' }),
    }),
    ledger,
    layout: { organizationId: INVENTORY.organizationId, managementAccountId: INVENTORY.managementAccountId },
    defer: async (id, seconds) => {
      deferred.push([id, seconds]);
    },
    observe: (x) => outcomes.push(x),
    observeFinding: (x) => findings.push(x),
  };
  const sweep = createSweepFlow(deps);
  const realTime = createTriageFlow(triageDeps);
  return { clock, store, notifier, logs, ledger, remediation, findings, outcomes, deferred, sweep, realTime };
}

describe('the sweep over a delivered log file', () => {
  beforeEach(() => objects.set(FIXTURE_KEY, { bytes: FIXTURE }));

  it('alerts a finding real time missed once, late, in every channel, and requests remediation as triage would', async () => {
    const t = setup();
    const response = await t.sweep({ Records: [notification(FIXTURE_KEY)] });

    expect(response.batchItemFailures).toEqual([]);
    expect(t.notifier.sent.map((s) => s.alert.detection.id)).toEqual(['iam-admin-policy-attached']);
    const alert = t.notifier.sent[0]!.alert;
    expect(alert.late).toEqual({ caughtBy: 'sweep', delaySeconds: 3297 });
    expect(alert.event.eventId).toBe(EVENT_ID);
    const now = new Date(AFTER_GRACE);
    expect(JSON.stringify(formatSlackMessage(alert, { now }))).toContain(LATE_MARKER);
    expect(formatPagerDutyTrigger(alert, 'rk', { now }).payload.summary).toContain(LATE_MARKER);
    const email = formatEmail(alert, { now });
    expect(email.subject).toContain(LATE_MARKER_ASCII);
    expect(email.body).toContain(LATE_MARKER);
    expect(t.remediation.map((w) => w.detectionId)).toEqual(['iam-admin-policy-attached']);
    expect(t.findings.filter((f) => f.late).map((f) => [f.detectionId, f.outcome])).toEqual([
      ['iam-admin-policy-attached', 'alerted'],
    ]);
    const late = t.logs.metrics.filter((m) => 'SweepLateFindings' in m);
    expect(late.map((m) => [m.Severity, m.account, m.region, m.delaySeconds])).toEqual([
      // high in the catalog, raised to critical: the account is production.
      ['critical', '110000000007', 'us-east-1', 3297],
    ]);
    expect(t.logs.metrics.filter((m) => 'SweepFiles' in m).map((m) => [m.SweepRecords, m.SweepLagSeconds])).toEqual([
      [2, 2970],
    ]);
  });

  it('only confirms a finding real time already alerted', async () => {
    const t = setup();
    const record = JSON.parse(gunzipSync(FIXTURE).toString('utf8')).Records[0];
    const wrapped = wrapCloudTrailRecord(record);
    if (!('event' in wrapped)) throw new Error(wrapped.problem);
    await t.realTime({
      Records: [
        { messageId: 'rt-1', body: JSON.stringify({ detectionId: 'iam-admin-policy-attached', event: wrapped.event }) },
      ],
    });
    expect(t.notifier.sent).toHaveLength(1);

    const response = await t.sweep({ Records: [notification(FIXTURE_KEY)] });

    expect(response.batchItemFailures).toEqual([]);
    expect(t.notifier.sent).toHaveLength(1);
    expect(t.notifier.sent[0]!.alert.late).toBeUndefined();
    expect(t.remediation).toHaveLength(1);
    expect(t.findings.filter((f) => f.detectionId === 'iam-admin-policy-attached').map((f) => f.outcome)).toEqual([
      'confirmed',
    ]);
    expect(t.logs.metrics.filter((m) => 'SweepConfirmed' in m).map((m) => m.DetectionId)).toEqual([
      'iam-admin-policy-attached',
    ]);
    expect(t.logs.metrics.filter((m) => 'SweepLateFindings' in m)).toEqual([]);
  });

  it('does nothing twice for a redelivered notification', async () => {
    const t = setup();
    await t.sweep({ Records: [notification(FIXTURE_KEY, 'm-1')] });
    const findings = t.findings.length;
    const reads = s3.commandCalls(GetObjectCommand).length;

    const again = await t.sweep({ Records: [notification(FIXTURE_KEY, 'm-2')] });

    expect(again.batchItemFailures).toEqual([]);
    expect(t.notifier.sent).toHaveLength(1);
    expect(t.remediation).toHaveLength(1);
    expect(t.findings).toHaveLength(findings);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(reads);
    expect(t.logs.parsed.filter((l) => l.outcome === 'duplicate').map((l) => l.key)).toEqual([FIXTURE_KEY]);
  });

  it('defers a file whose finding is younger than the grace period, claiming nothing', async () => {
    const t = setup({ now: Date.parse('2026-11-02T10:11:00Z') });

    const response = await t.sweep({ Records: [notification(FIXTURE_KEY)] });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    // 10:05:03 + 15 min = 10:20:03, 543 s from 10:11:00, plus 30 s of margin.
    expect(t.deferred).toEqual([['m-1', 573]]);
    expect(t.notifier.sent).toEqual([]);
    expect(t.store.items.size).toBe(0);
    expect(t.ledger.items.size).toBe(0);

    t.clock.ms = AFTER_GRACE;
    expect((await t.sweep({ Records: [notification(FIXTURE_KEY)] })).batchItemFailures).toEqual([]);
    expect(t.notifier.sent).toHaveLength(1);
  });

  it('alerts an object in the trail prefix the trail did not write', async () => {
    const t = setup();
    const key = `AWSLogs/${ORG}/110000000007/CloudTrail/us-east-1/2026/11/02/planted.json.gz`;
    objects.set(key, { bytes: gzipSync('{}') });

    await t.sweep({ Records: [notification(key)] });

    expect(t.notifier.sent.map((s) => [s.alert.detection.id, s.alert.detection.severity])).toEqual([
      ['sweep-foreign-object', 'critical'],
    ]);
    expect(t.logs.metrics.filter((m) => 'DigestFailures' in m).map((m) => m.Failure)).toEqual(['foreign-object']);
  });
});

describe('digest validation', () => {
  const keys = trailKeys();
  const content = JSON.stringify({ Records: [] });
  const logA = logKey('20261104T0805Z', 'Aa1Bb2Cc3Dd4Ee5F');
  const logB = logKey('20261104T0810Z', 'Gg6Hh7Ii8Jj9Kk0L');

  function publish(digests: ReturnType<typeof signedDigest>[]) {
    for (const d of digests) {
      objects.set(d.key, {
        bytes: gzipSync(d.content),
        metadata: { signature: d.signature, 'signature-algorithm': 'SHA256withRSA' },
      });
    }
    cloudTrail.on(ListPublicKeysCommand).resolves({
      PublicKeyList: [{ Fingerprint: keys.publicKey.fingerprint, Value: keys.publicKey.value }],
    });
  }

  it('passes when every listed file was swept with the same hash and the chain links', async () => {
    const t = setup({ now: Date.parse('2026-11-04T10:00:00Z') });
    const first = signedDigest(keys, '20261104T080000Z', []);
    const second = signedDigest(
      keys,
      '20261104T090000Z',
      [
        { key: logA, content },
        { key: logB, content },
      ],
      first,
    );
    publish([first, second]);
    objects.set(logA, { bytes: gzipSync(content) });
    objects.set(logB, { bytes: gzipSync(content) });

    await t.sweep({ Records: [notification(logA, 'a'), notification(logB, 'b')] });
    await t.sweep({ Records: [notification(second.key, 'd')] });

    expect(t.notifier.sent).toEqual([]);
    expect(t.logs.metrics.filter((m) => 'DigestFailures' in m)).toEqual([]);
    expect(t.logs.parsed.find((l) => l.outcome === 'digest')).toMatchObject({ link: 'linked', listed: 2, problems: 0 });
  });

  it('fails a tampered log file: modified after delivery, or deleted', async () => {
    const t = setup({ now: Date.parse('2026-11-04T10:00:00Z') });
    const first = signedDigest(keys, '20261104T080000Z', []);
    const second = signedDigest(
      keys,
      '20261104T090000Z',
      [
        { key: logA, content },
        { key: logB, content },
      ],
      first,
    );
    publish([first, second]);
    // logA was rewritten after CloudTrail delivered it; logB was deleted.
    objects.set(logA, { bytes: gzipSync(JSON.stringify({ Records: [{ eventName: 'Nothing to see' }] })) });

    await t.sweep({ Records: [notification(second.key, 'd')] });

    expect(t.notifier.sent.map((s) => [s.alert.detection.id, s.alert.event.requestParameters['key']])).toEqual([
      ['sweep-modified', logA],
      ['sweep-missing', logB],
    ]);
    expect(t.logs.metrics.filter((m) => 'DigestFailures' in m).map((m) => m.Failure)).toEqual(['modified', 'missing']);
  });

  it('fails a digest whose signature does not verify, and a chain whose previous digest is gone', async () => {
    const t = setup({ now: Date.parse('2026-11-04T10:00:00Z') });
    const first = signedDigest(keys, '20261104T080000Z', []);
    const second = signedDigest(keys, '20261104T090000Z', [], first);
    publish([second]);
    const forged = signedDigest(keys, '20261104T100000Z', [], second);
    objects.set(forged.key, { bytes: gzipSync(forged.content), metadata: { signature: 'ab'.repeat(256) } });

    await t.sweep({ Records: [notification(second.key, 'd1'), notification(forged.key, 'd2')] });

    expect(
      t.logs.metrics
        .filter((m) => 'DigestFailures' in m)
        .map((m) => m.Failure)
        .sort(),
    ).toEqual(['chain-broken', 'invalid-digest']);
  });
});
