/**
 * The findings pipeline of issue #15: producers put records on the findings FIFO queue (one message per
 * record, group = finding id, deduplication id = hash of the body), the findings function exports them to
 * Security Hub and the findings stream. SQS is simulated here as FIFO does it: messages in send order, a
 * repeated deduplication id dropped.
 */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { BatchImportFindingsCommand, BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { makeFindingsPort } from '../../../handlers/adapters/findings/port';
import { makeFindingsQueuePort } from '../../../handlers/adapters/findings/queue';
import { type FindingRecord, findingUpdate } from '../../../handlers/core/findings/finding';
import {
  FINDING_MESSAGE_VERSION,
  findingMessage,
  parseFindingMessage,
} from '../../../handlers/core/findings/queue-message';
import { createFindingsFlow, FINDINGS_METRICS, type FifoSqsRecord } from '../../../handlers/core/flows/findings-flow';
import { makeJsonLogger } from '../../../handlers/core/lambda-io';
import { handlerFromEnvironment } from '../../../handlers/entrypoints/findings';
import { createHandler as createTriageHandler } from '../../../handlers/entrypoints/triage';
import { readFindingsQueueUrl } from '../../../handlers/functions/findings';
import { CATALOG } from '../../../rules/catalog';
import { fixtureRecord, triageContext } from '../../fixtures/triage';
import { FakeClock, FakeDedupeStore, FakeNotifier, FakeTags, LogCapture } from '../../helpers/triage-fakes';
import { sampleFinding } from '../core/findings/sample';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/333333333333/vigil-findings.fifo';
const TARGET = { accountId: '333333333333', region: 'eu-west-1' };
const noWait = { now: () => 0, sleep: async () => undefined, random: () => 0 };
const throttled = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' as const });

const sqs = mockClient(SQSClient);
const hub = mockClient(SecurityHubClient);
const firehose = mockClient(FirehoseClient);
afterAll(() => {
  sqs.restore();
  hub.restore();
  firehose.restore();
});
beforeEach(() => {
  sqs.reset();
  hub.reset();
  firehose.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
  hub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
  firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
});

/** What SQS FIFO would deliver from the sends so far: in order, one message per deduplication id. */
function queued(): FifoSqsRecord[] {
  const seen = new Set<string>();
  const out: FifoSqsRecord[] = [];
  for (const call of sqs.commandCalls(SendMessageCommand)) {
    const input = call.args[0].input as SendMessageCommandInput;
    if (seen.has(input.MessageDeduplicationId!)) continue;
    seen.add(input.MessageDeduplicationId!);
    out.push({
      messageId: `m-${out.length + 1}`,
      body: input.MessageBody!,
      attributes: { MessageGroupId: input.MessageGroupId! },
    });
  }
  return out;
}

const finding = sampleFinding();
const detection = CATALOG.find((d) => d.id === 'cloudtrail-logging-stopped')!;
const subject = { detection, accountId: finding.account.id, eventId: finding.event.eventId };
const update = (status: 'approved' | 'remediated' | 'verified', at: string): FindingRecord => ({
  kind: 'update',
  update: findingUpdate(subject, status, { at, actor: 'vigil' }),
});
const other = sampleFinding('root-create-key-pair');

function exporter(log = new LogCapture()) {
  const port = makeFindingsPort(
    { securityHub: TARGET, streamName: 'vigil-findings' },
    { securityHub: (region) => new SecurityHubClient({ region }), firehose: () => new FirehoseClient({}) },
    noWait,
  )!;
  return { run: createFindingsFlow({ port, logger: makeJsonLogger('vigil-findings', log.write), now: () => 0 }), log };
}

describe('the queue message contract', () => {
  it('groups by finding id and deduplicates by the hash of the body', () => {
    const a = findingMessage({ kind: 'finding', finding });
    const u = findingMessage(update('verified', '2025-07-01T01:20:00Z'));

    expect(a.groupId).toBe(finding.id);
    expect(u.groupId).toBe(finding.id);
    expect(a.deduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(findingMessage({ kind: 'finding', finding }).deduplicationId).toBe(a.deduplicationId);
    expect(u.deduplicationId).not.toBe(a.deduplicationId);
    expect(JSON.parse(a.body)).toEqual({ v: FINDING_MESSAGE_VERSION, record: { kind: 'finding', finding } });
    expect(parseFindingMessage(a.body)).toEqual({ ok: true, record: { kind: 'finding', finding } });
    expect(parseFindingMessage(u.body)).toEqual({ ok: true, record: update('verified', '2025-07-01T01:20:00Z') });
  });

  it('names every problem of a malformed body', () => {
    expect(parseFindingMessage('{')).toEqual({ ok: false, problems: ['the body is not JSON'] });
    expect(parseFindingMessage('[]')).toEqual({ ok: false, problems: ['the body is not a JSON object'] });
    expect(parseFindingMessage('{"v":2,"record":{}}')).toEqual({
      ok: false,
      problems: ['version 2 is not 1 (sent by another vigil release?)'],
    });
    expect(parseFindingMessage('{"v":1,"record":{"kind":"x"}}')).toEqual({
      ok: false,
      problems: ['record.kind "x" is neither "finding" nor "update"'],
    });
    const broken = { ...finding, id: 'vigil-nothex', severity: 'urgent', account: { ...finding.account, id: '12' } };
    const { event: _dropped, ...noEvent } = broken;
    expect(parseFindingMessage(JSON.stringify({ v: 1, record: { kind: 'finding', finding: noEvent } }))).toEqual({
      ok: false,
      problems: [
        "finding.id 'vigil-nothex' is malformed",
        'finding.severity "urgent" is not one of info, low, medium, high, critical',
        "finding.account.id '12' is malformed",
        'finding.event is not an object',
        'finding.event.eventId is not a non-empty string',
        'finding.event.eventName is not a non-empty string',
        'finding.event.eventSource is not a non-empty string',
        'finding.event.awsRegion is not a non-empty string',
        'finding.event.eventTime is not an ISO 8601 time',
        'finding.event.userIdentity is not an object',
        'finding.event.userIdentity.type is not a non-empty string',
      ],
    });
    const badUpdate = { ...update('verified', 'yesterday'), update: { status: 'closed', at: 'yesterday' } };
    expect(parseFindingMessage(JSON.stringify({ v: 1, record: badUpdate }))).toEqual({
      ok: false,
      problems: expect.arrayContaining([
        'update.findingId is not a non-empty string',
        expect.stringMatching(/^update\.status "closed" is not one of notified, /),
        'update.at is not an ISO 8601 time',
        'update.detection is not an object',
      ]),
    });
  });
});

describe('the producers’ queue port', () => {
  it('is off without a queue URL, and the URL must be a FIFO queue’s', () => {
    expect(makeFindingsQueuePort(undefined, () => new SQSClient({}))).toBeUndefined();
    expect(readFindingsQueueUrl({ FINDINGS_QUEUE_URL: QUEUE_URL }, 'triage')).toBe(QUEUE_URL);
    expect(readFindingsQueueUrl({}, 'triage')).toBeUndefined();
    expect(() => readFindingsQueueUrl({ FINDINGS_QUEUE_URL: QUEUE_URL.replace('.fifo', '') }, 'remediate')).toThrow(
      /remediate handler configuration has 1 problem[\s\S]*FINDINGS_QUEUE_URL: expected the URL of a FIFO queue/,
    );
  });

  it('sends one message per record, in order, grouped by finding', async () => {
    const port = makeFindingsQueuePort(QUEUE_URL, () => new SQSClient({}), noWait)!;
    const records = [{ kind: 'finding', finding } as const, update('remediated', '2025-07-01T01:14:00Z')];

    expect(await port.publish(records)).toEqual({ ok: true });

    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent.map((m) => [m.QueueUrl, m.MessageGroupId])).toEqual([
      [QUEUE_URL, finding.id],
      [QUEUE_URL, finding.id],
    ]);
    expect(sent.map((m) => m.MessageDeduplicationId)).toEqual(records.map((r) => findingMessage(r).deduplicationId));
  });

  it('retries a throttled send; what was already enqueued is deduplicated, so the queue holds each record once, in order', async () => {
    sqs.reset();
    sqs.on(SendMessageCommand).resolvesOnce({ MessageId: '1' }).rejectsOnce(throttled()).resolves({ MessageId: 'n' });
    const port = makeFindingsQueuePort(QUEUE_URL, () => new SQSClient({}), noWait)!;
    const records = [
      { kind: 'finding', finding } as const,
      update('remediated', '2025-07-01T01:14:00Z'),
      update('verified', '2025-07-01T01:15:00Z'),
    ];

    expect(await port.publish(records)).toEqual({ ok: true });

    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(5);
    expect(queued().map((m) => parseFindingMessage(m.body))).toEqual(records.map((record) => ({ ok: true, record })));
  });

  it('reports a send that keeps failing, without throwing', async () => {
    sqs.reset();
    sqs
      .on(SendMessageCommand)
      .rejects(Object.assign(new Error('no such queue'), { name: 'QueueDoesNotExist', $fault: 'client' as const }));
    const port = makeFindingsQueuePort(QUEUE_URL, () => new SQSClient({}), noWait)!;

    expect(await port.publish([{ kind: 'finding', finding }])).toEqual({
      ok: false,
      failures: [
        expect.objectContaining({
          sink: 'findings-queue',
          records: 1,
          permanent: true,
          error: expect.stringMatching(/no such queue/),
        }),
      ],
    });
  });
});

describe('the findings function', () => {
  it('imports each finding, then applies its updates in queue order; every record goes on the stream', async () => {
    const port = makeFindingsQueuePort(QUEUE_URL, () => new SQSClient({}), noWait)!;
    await port.publish([{ kind: 'finding', finding }]);
    await port.publish([{ kind: 'finding', finding: other }]);
    await port.publish([update('remediated', '2025-07-01T01:14:00Z'), update('verified', '2025-07-01T01:15:00Z')]);
    const { run, log } = exporter();

    expect(await run({ Records: queued() })).toEqual({ batchItemFailures: [] });

    const imported = hub.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings ?? []);
    expect(imported.map((f) => f.Id).sort()).toEqual([finding.id, other.id].sort());
    expect(hub.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input.Workflow?.Status)).toEqual([
      'NOTIFIED',
      'RESOLVED',
    ]);
    const lines = firehose
      .commandCalls(PutRecordBatchCommand)
      .flatMap((c) => c.args[0].input.Records ?? [])
      .map((r) => JSON.parse(new TextDecoder().decode(r.Data)));
    expect(lines).toHaveLength(4);
    expect(log.metrics).toEqual([
      expect.objectContaining({
        [FINDINGS_METRICS.exported]: 4,
        [FINDINGS_METRICS.notExported]: 0,
        [FINDINGS_METRICS.malformed]: 0,
      }),
    ]);
  });

  it('returns every record of a finding whose export keeps failing, and only those', async () => {
    hub.on(BatchImportFindingsCommand).callsFake((input) => ({
      FailedCount: 0,
      FailedFindings: input.Findings.filter((f: { Id: string }) => f.Id === finding.id).map((f: { Id: string }) => ({
        Id: f.Id,
        ErrorCode: 'InvalidInput',
        ErrorMessage: 'bad',
      })),
    }));
    const port = makeFindingsQueuePort(QUEUE_URL, () => new SQSClient({}), noWait)!;
    await port.publish([{ kind: 'finding', finding }]);
    await port.publish([{ kind: 'finding', finding: other }]);
    await port.publish([update('verified', '2025-07-01T01:15:00Z')]);
    const { run, log } = exporter();

    expect(await run({ Records: queued() })).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-3' }],
    });
    expect(log.logs).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'findings not exported',
        findingId: finding.id,
        messageIds: ['m-1', 'm-3'],
        outcome: 'retry',
        failures: [expect.objectContaining({ sink: 'securityhub', permanent: true })],
      }),
    ]);
    expect(log.metrics).toEqual([
      expect.objectContaining({ [FINDINGS_METRICS.exported]: 1, [FINDINGS_METRICS.notExported]: 2 }),
    ]);
  });

  it('reports a malformed message and exports nothing of it; the rest of its group goes on', async () => {
    const port = makeFindingsQueuePort(QUEUE_URL, () => new SQSClient({}), noWait)!;
    await port.publish([{ kind: 'finding', finding }]);
    const good = queued();
    const records: FifoSqsRecord[] = [
      {
        messageId: 'bad',
        body: '{"v":1,"record":{"kind":"update","update":{}}}',
        attributes: { MessageGroupId: finding.id },
      },
      ...good,
    ];
    const { run, log } = exporter();

    expect(await run({ Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
    expect(hub.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(0);
    expect(log.logs).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'malformed finding message',
        messageId: 'bad',
        group: finding.id,
        problems: expect.arrayContaining(['update.findingId is not a non-empty string']),
      }),
    ]);
    expect(log.metrics).toEqual([
      expect.objectContaining({ [FINDINGS_METRICS.malformed]: 1, [FINDINGS_METRICS.exported]: 1 }),
    ]);
  });

  it('will not start without a destination', () => {
    expect(() => handlerFromEnvironment({})).toThrow(/findings handler configuration[\s\S]*no destination/);
  });
});

describe('triage → findings queue → Security Hub and the stream', () => {
  it('exports exactly one finding per alert decision, none for a duplicate delivery', async () => {
    const triage = createTriageHandler({
      context: triageContext(),
      store: new FakeDedupeStore(),
      tags: new FakeTags(),
      notifier: new FakeNotifier(),
      routing: {
        default: { slackChannel: '#security-alerts', slackWebhookRef: 'secretsmanager:vigil/slack/security' },
      },
      now: new FakeClock(Date.parse('2025-07-01T01:13:05Z')).now,
      write: new LogCapture().write,
      requestRemediation: async () => undefined,
      findings: makeFindingsQueuePort(QUEUE_URL, () => new SQSClient({}), noWait)!,
    });
    const record = fixtureRecord('stop-logging-prod');

    await triage({ Records: [record, fixtureRecord('root-create-key-pair')] });
    await triage({ Records: [{ ...record, messageId: 'copy' }] });
    const { run } = exporter();
    expect(await run({ Records: queued() })).toEqual({ batchItemFailures: [] });

    const imported = hub.commandCalls(BatchImportFindingsCommand).flatMap((c) => c.args[0].input.Findings ?? []);
    expect(imported.map((f) => f.GeneratorId).sort()).toEqual([
      'vigil/cloudtrail-logging-stopped',
      'vigil/root-activity',
    ]);
    expect(imported.every((f) => f.AwsAccountId === '333333333333')).toBe(true);
    const lines = firehose
      .commandCalls(PutRecordBatchCommand)
      .flatMap((c) => c.args[0].input.Records ?? [])
      .map((r) => JSON.parse(new TextDecoder().decode(r.Data)));
    expect(lines.map((l) => [l.class_uid, l.activity_id, l.unmapped.detection_id]).sort()).toEqual([
      [2004, 1, 'cloudtrail-logging-stopped'],
      [2004, 1, 'root-activity'],
    ]);
  });
});
