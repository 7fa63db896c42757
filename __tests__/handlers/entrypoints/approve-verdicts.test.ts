import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { makeVerdictStore } from '../../../handlers/adapters/verdict-store';
import type { VerdictRecord } from '../../../handlers/core/verdict';
import { VERDICT_ACTIONS } from '../../../handlers/core/verdict';
import { type ApproveDeps, createApproveHandler } from '../../../handlers/entrypoints/approve';
import { APPROVERS, LATER, memoryStore, SIGNING_SECRET, sampleRequest, slackClick } from '../../helpers/approvals';
import { type ScriptedServer, startScriptedServer } from '../../helpers/http-server';

const VALUE = 's3-bucket-policy-public 110000000006 0d3b9c2a-6f41-4e8b-b7a5-1c9e2d4f6a01';
const dynamodb = mockClient(DynamoDBClient);

let slack: ScriptedServer;
beforeEach(async () => {
  dynamodb.reset();
  slack = await startScriptedServer(Array.from({ length: 3 }, () => ({ status: 200, body: 'ok' })));
});
afterEach(async () => {
  await slack.close();
});

function setup(recordVerdict?: ApproveDeps['recordVerdict']) {
  const { store } = memoryStore([sampleRequest()]);
  const lines: string[] = [];
  const handle = createApproveHandler({
    store,
    approvers: APPROVERS,
    slackSigningSecret: async () => SIGNING_SECRET,
    execute: async () => undefined,
    audit: async () => undefined,
    now: () => LATER,
    write: (line) => lines.push(line),
    ...(recordVerdict ? { recordVerdict } : {}),
  });
  const click = (actionId: string, value = VALUE) =>
    handle(
      slackClick(actionId, LATER, {
        value,
        userId: 'U099OUTSIDE',
        responseUrl: `${slack.url}/actions/T0000000001/1/XXXX`,
      }),
    );
  return { click, lines };
}

describe('verdict buttons on alerts', () => {
  it('records the verdict of any responder (not only approvers), counts it and answers only the clicker', async () => {
    const recorded: VerdictRecord[] = [];
    const { click, lines } = setup(async (r) => {
      recorded.push(r);
    });

    const out = await click(VERDICT_ACTIONS['false-positive']);

    expect(out.statusCode).toBe(200);
    expect(recorded).toEqual([
      {
        detectionId: 's3-bucket-policy-public',
        accountId: '110000000006',
        eventId: '0d3b9c2a-6f41-4e8b-b7a5-1c9e2d4f6a01',
        verdict: 'false-positive',
        actor: 'slack:U099OUTSIDE',
        at: LATER.toISOString(),
      },
    ]);
    const metric = lines.map((l) => JSON.parse(l)).find((l) => l._aws);
    expect(metric).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Vigil', Dimensions: [['DetectionId', 'Verdict']] }] },
      DetectionId: 's3-bucket-policy-public',
      Verdict: 'false-positive',
      Verdicts: 1,
    });
    expect(slack.json(0)).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringContaining('Recorded: false positive for s3-bucket-policy-public'),
    });
  });

  it('answers 503 and asks to retry when the verdict cannot be stored', async () => {
    const { click } = setup(async () => {
      throw new Error('throttled');
    });

    const out = await click(VERDICT_ACTIONS['true-positive']);

    expect(out.statusCode).toBe(503);
    expect(slack.json(0).text).toMatch(/not recorded/);
  });

  it('answers 404 where verdicts are not recorded', async () => {
    const { click } = setup();

    const out = await click(VERDICT_ACTIONS['expected-change']);

    expect(out.statusCode).toBe(404);
    expect(slack.json(0).text).toMatch(/not recorded by this vigil deployment/);
  });

  it.each([
    ['a value with a bad account id', 's3-bucket-policy-public 1234 e1'],
    ['a value with extra parts', `${VALUE} extra`],
    ['an approval request id', '7d5c0a4e-1f7b-4a52-9d0e-3b6c2a1f0e9d'],
  ])('refuses %s as 400, records nothing', async (_case, value) => {
    const recorded: VerdictRecord[] = [];
    const { click } = setup(async (r) => {
      recorded.push(r);
    });

    const out = await click(VERDICT_ACTIONS['false-positive'], value);

    expect(out.statusCode).toBe(400);
    expect(recorded).toEqual([]);
  });
});

describe('makeVerdictStore', () => {
  const record: VerdictRecord = {
    detectionId: 'iam-policy-changed',
    accountId: '110000000006',
    eventId: 'e-1',
    verdict: 'expected-change',
    actor: 'slack:U04SECLEAD1',
    at: '2026-12-04T06:00:00.000Z',
  };

  it('appends one item per click under verdict#<detection>', async () => {
    dynamodb.on(PutItemCommand).resolves({});

    await makeVerdictStore({ client: new DynamoDBClient({}), tableName: 'vigil-remediation-audit' })(record);

    const input = dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      TableName: 'vigil-remediation-audit',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: { S: 'verdict#iam-policy-changed' },
        sk: { S: '2026-12-04T06:00:00.000Z#e-1#slack:U04SECLEAD1' },
        verdict: { S: 'expected-change' },
      },
    });
    expect(JSON.parse(input.Item!['record']!.S!)).toEqual(record);
  });

  it('treats the same click written twice as done, and lets other errors through', async () => {
    const store = makeVerdictStore({ client: new DynamoDBClient({}), tableName: 't' });
    dynamodb
      .on(PutItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }))
      .rejectsOnce(new Error('AccessDenied'));

    await expect(store(record)).resolves.toBeUndefined();
    await expect(store(record)).rejects.toThrow('AccessDenied');
  });
});
