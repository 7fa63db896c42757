import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { BatchImportFindingsCommand, BatchUpdateFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { makeFirehoseSink } from '../../../../handlers/adapters/findings/firehose';
import { makeFindingsPort } from '../../../../handlers/adapters/findings/port';
import { findingsEnvironment, readFindingsSettings } from '../../../../handlers/functions/findings';
import { makeSecurityHubSink } from '../../../../handlers/adapters/findings/security-hub';
import { type FindingRecord, findingUpdate } from '../../../../handlers/core/findings/finding';
import { findingsPublisher } from '../../../../handlers/core/findings/ports';
import { CATALOG } from '../../../../rules/catalog';
import { sampleFinding } from '../../core/findings/sample';

const TARGET = { accountId: '222222222222', region: 'eu-west-1' };
const detection = CATALOG.find((d) => d.id === 'cloudtrail-logging-stopped')!;
const finding = sampleFinding();
const subject = { detection, accountId: '110000000006', eventId: finding.event.eventId };
const update = (status: 'remediated' | 'verified', at: string): FindingRecord => ({
  kind: 'update',
  update: findingUpdate(subject, status, { at, actor: 'vigil' }),
});
const noWait = { now: () => 0, sleep: async () => undefined, random: () => 0 };
const throttled = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' as const });

const hub = mockClient(SecurityHubClient);
const firehose = mockClient(FirehoseClient);
beforeEach(() => {
  hub.reset();
  firehose.reset();
});

function publisher() {
  return findingsPublisher(
    [
      makeSecurityHubSink(new SecurityHubClient({ region: TARGET.region }), TARGET),
      makeFirehoseSink(new FirehoseClient({}), 'vigil-findings'),
    ],
    { runtime: noWait },
  );
}

describe('the findings port over Security Hub and Firehose', () => {
  it('imports one finding in ASFF and puts one OCSF line', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'r' }] });

    expect(await publisher().publish([{ kind: 'finding', finding }])).toEqual({ ok: true });

    const imported = hub.commandCalls(BatchImportFindingsCommand);
    expect(imported).toHaveLength(1);
    expect(imported[0]!.args[0].input.Findings).toEqual([
      expect.objectContaining({ Id: finding.id, AwsAccountId: '222222222222', SchemaVersion: '2018-10-08' }),
    ]);
    const put = firehose.commandCalls(PutRecordBatchCommand);
    expect(put).toHaveLength(1);
    expect(put[0]!.args[0].input.DeliveryStreamName).toBe('vigil-findings');
    const lines = put[0]!.args[0].input.Records!.map((r) => JSON.parse(new TextDecoder().decode(r.Data)));
    expect(lines).toEqual([
      expect.objectContaining({ class_uid: 2004, finding_info: expect.objectContaining({ uid: finding.id }) }),
    ]);
  });

  it('sends updates in order: BatchUpdateFindings per update, RESOLVED last', async () => {
    hub.on(BatchUpdateFindingsCommand).resolves({ ProcessedFindings: [], UnprocessedFindings: [] });
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{}, {}] });

    await publisher().publish([
      update('remediated', '2025-07-01T02:00:00Z'),
      update('verified', '2025-07-01T02:01:00Z'),
    ]);

    expect(hub.commandCalls(BatchUpdateFindingsCommand).map((c) => c.args[0].input.Workflow?.Status)).toEqual([
      'NOTIFIED',
      'RESOLVED',
    ]);
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(0);
    const lines = firehose
      .commandCalls(PutRecordBatchCommand)[0]!
      .args[0].input.Records!.map((r) => JSON.parse(new TextDecoder().decode(r.Data)).unmapped.vigil_status);
    expect(lines).toEqual(['remediated', 'verified']);
  });

  it('retries a throttled call, and only the records Firehose failed', async () => {
    hub.on(BatchImportFindingsCommand).rejectsOnce(throttled()).resolves({ FailedCount: 0, SuccessCount: 1 });
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 1,
        RequestResponses: [{ RecordId: 'a' }, { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'slow down' }],
      })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: 'b' }] });
    const second = sampleFinding('root-create-key-pair');

    const out = await publisher().publish([
      { kind: 'finding', finding },
      { kind: 'finding', finding: second },
    ]);

    expect(out).toEqual({ ok: true });
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(2);
    const puts = firehose.commandCalls(PutRecordBatchCommand);
    expect(puts.map((c) => c.args[0].input.Records!.length)).toEqual([2, 1]);
    const retried = JSON.parse(new TextDecoder().decode(puts[1]!.args[0].input.Records![0]!.Data));
    expect(retried.finding_info.uid).toBe(second.id);
  });

  it('reports what still fails, per sink, without throwing', async () => {
    hub.on(BatchImportFindingsCommand).resolves({
      FailedCount: 1,
      FailedFindings: [{ Id: finding.id, ErrorCode: 'InvalidInput', ErrorMessage: 'bad' }],
    });
    firehose.on(PutRecordBatchCommand).rejects(throttled());

    const out = await publisher().publish([{ kind: 'finding', finding }]);

    expect(out).toEqual({
      ok: false,
      failures: [
        expect.objectContaining({ sink: 'securityhub', records: 1, permanent: true }),
        expect.objectContaining({ sink: 'firehose', records: 1, permanent: false }),
      ],
    });
    // A permanent rejection is not retried; throttling is, up to the policy's four attempts.
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(4);
  });

  it('does not call anything for an empty batch', async () => {
    expect(await publisher().publish([])).toEqual({ ok: true });
    expect(hub.calls().length + firehose.calls().length).toBe(0);
  });
});

describe('makeFindingsPort and its settings', () => {
  const regions: string[] = [];
  const clients = {
    securityHub: (region: string) => {
      regions.push(region);
      return new SecurityHubClient({ region });
    },
    firehose: () => new FirehoseClient({}),
  };

  it('is undefined when no destination is configured, and reads both destinations from the environment', () => {
    expect(makeFindingsPort({}, clients)).toBeUndefined();
    const env = findingsEnvironment({ securityHub: TARGET, streamName: 'vigil-findings' });
    expect(readFindingsSettings(env, 'findings')).toEqual({ securityHub: TARGET, streamName: 'vigil-findings' });
    expect(makeFindingsPort(readFindingsSettings(env, 'findings'), clients)).toBeDefined();
    expect(regions).toEqual(['eu-west-1']);
  });

  it('names every mistake in the findings settings, a missing destination included', () => {
    expect(() => readFindingsSettings({ FINDINGS_SECURITY_HUB_ACCOUNT: '12' }, 'findings')).toThrow(
      /FINDINGS_SECURITY_HUB_ACCOUNT: expected a 12-digit account id[\s\S]*set both/,
    );
    expect(() => readFindingsSettings({}, 'findings')).toThrow(/no destination: set FINDINGS_SECURITY_HUB_ACCOUNT/);
  });

  it('exports through the clients it is given', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0 });
    const port = makeFindingsPort({ securityHub: TARGET }, clients, noWait)!;

    expect(await port.publish([{ kind: 'finding', finding }])).toEqual({ ok: true });
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
  });
});
