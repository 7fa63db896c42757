import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { makeCoverageStore } from '../../../handlers/adapters/coverage-store';
import type { CoverageState } from '../../../handlers/core/coverage';
import { ConfigurationError } from '../../../handlers/errors';

const dynamodb = mockClient(DynamoDBClient);
const TABLE = 'vigil-coverage';
const client = new DynamoDBClient({ region: 'eu-west-1' });

const cell = (accountId: string, region: string, path = 'regional') => ({
  pk: { S: `cell#${accountId}#${region}#${path}` },
  accountId: { S: accountId },
  region: { S: region },
  path: { S: path },
  eventTime: { S: '2026-12-04T09:58:00Z' },
  arrivedAt: { S: '2026-12-04T09:58:40.000Z' },
});

const STATE: CoverageState = {
  version: 1,
  evaluatedAt: '2026-12-04T09:55:00.000Z',
  cells: { '444444444444/eu-west-1': { alerted: true, silentStreak: 3, healthyStreak: 0 } },
  pipeline: { down: false, allSilentStreak: 0, liveStreak: 0 },
};

beforeEach(() => dynamodb.reset());

describe('makeCoverageStore cells', () => {
  it('reads every page of every segment, only cell items, projected, and reports unreadable ones', async () => {
    dynamodb
      .on(ScanCommand, { Segment: 0 })
      .resolvesOnce({ Items: [cell('444444444444', 'eu-west-1')], LastEvaluatedKey: { pk: { S: 'k1' } } })
      .resolvesOnce({ Items: [cell('444444444444', 'us-east-1', 'global')] });
    dynamodb
      .on(ScanCommand, { Segment: 1 })
      .resolves({ Items: [cell('111111111111', 'eu-west-1'), { pk: { S: 'cell#bad' }, accountId: { S: 'x' } }] });
    const { heartbeats, unreadable } = await makeCoverageStore(client, TABLE, { segments: 2 }).cells();

    expect(heartbeats.map((h) => `${h.accountId}/${h.region}/${h.path}`)).toEqual([
      '111111111111/eu-west-1/regional',
      '444444444444/eu-west-1/regional',
      '444444444444/us-east-1/global',
    ]);
    expect(unreadable).toEqual([expect.stringMatching(/^cell#bad: accountId: expected 12 digits/)]);
    const scans = dynamodb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(scans).toHaveLength(3);
    expect(scans.find((s) => s.ExclusiveStartKey)).toMatchObject({
      TableName: TABLE,
      TotalSegments: 2,
      FilterExpression: 'begins_with(pk, :cell) OR begins_with(pk, :seen) OR begins_with(pk, :regions)',
      ExpressionAttributeValues: { ':cell': { S: 'cell#' }, ':seen': { S: 'seen#' }, ':regions': { S: 'regions#' } },
      ExclusiveStartKey: { pk: { S: 'k1' } },
    });
  });

  it("reads triage's sightings and the cached opt-in regions next to the cells", async () => {
    const seen = (accountId: string, region: string) => ({
      pk: { S: `seen#${accountId}#${region}` },
      accountId: { S: accountId },
      region: { S: region },
    });
    dynamodb.on(ScanCommand, { Segment: 0 }).resolves({
      Items: [seen('888888888888', 'eu-west-1'), seen('888888888888', 'us-east-1'), seen('777777777777', 'eu-west-1')],
    });
    dynamodb.on(ScanCommand, { Segment: 1 }).resolves({
      Items: [
        {
          pk: { S: 'regions#444444444444' },
          accountId: { S: '444444444444' },
          regions: { L: [{ S: 'me-south-1' }, { S: 'ap-east-1' }] },
          checkedAt: { S: '2026-12-04T06:00:00.000Z' },
        },
        { pk: { S: 'regions#111111111111' }, accountId: { S: '111111111111' }, regions: { L: [] } },
        { pk: { S: 'seen#bad' }, accountId: { S: 'bad' } },
      ],
    });
    const cells = await makeCoverageStore(client, TABLE, { segments: 2 }).cells();

    expect(cells.heartbeats).toEqual([]);
    expect(cells.seenAccountIds).toEqual(['777777777777', '888888888888']);
    expect(cells.optInRegions).toEqual({
      '444444444444': {
        accountId: '444444444444',
        regions: ['ap-east-1', 'me-south-1'],
        checkedAt: '2026-12-04T06:00:00.000Z',
      },
    });
    expect(cells.unreadable).toEqual([
      'regions#111111111111: checkedAt: expected an ISO 8601 time',
      'seen#bad: accountId: expected a 12-digit account id',
    ]);
  });
});

describe('makeCoverageStore opt-in regions', () => {
  it("caches an account's opt-in regions in its own item, sorted, expiring a month after the check", async () => {
    dynamodb.on(PutItemCommand).resolves({});
    await makeCoverageStore(client, TABLE).putOptInRegions({
      accountId: '444444444444',
      regions: ['me-south-1', 'ap-east-1'],
      checkedAt: '2026-12-04T10:00:00Z',
    });
    expect(dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        pk: { S: 'regions#444444444444' },
        accountId: { S: '444444444444' },
        regions: { L: [{ S: 'ap-east-1' }, { S: 'me-south-1' }] },
        checkedAt: { S: '2026-12-04T10:00:00.000Z' },
        expiresAt: { N: String(Date.parse('2026-12-04T10:00:00Z') / 1000 + 30 * 86_400) },
      },
    });
  });
});

describe('makeCoverageStore state', () => {
  const store = makeCoverageStore(client, TABLE);

  it('starts at round 0 when there is no state item', async () => {
    dynamodb.on(GetItemCommand).resolves({});
    await expect(store.load()).resolves.toEqual({ rev: 0, notified: [], sent: [] });
    expect(dynamodb.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: 'state' } },
      ConsistentRead: true,
    });
  });

  it('writes the record gzip-compressed, conditional on the round and the lease, and reads it back', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    const record = {
      rev: 4,
      state: STATE,
      notified: ['unknown-account#999999999999'],
      sent: ['silent#444444444444/eu-west-1@default#slack'],
      lease: { runId: 'evt-1', until: 1_000_000 },
    };
    await expect(store.put(record, 4, 'evt-1', 900_000)).resolves.toBe(true);
    const input = dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe(
      '(#rev = :rev AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :now OR #runId = :runId))',
    );
    expect(input.ExpressionAttributeValues).toEqual({
      ':rev': { N: '4' },
      ':now': { N: '900000' },
      ':runId': { S: 'evt-1' },
    });
    expect(input.Item).toMatchObject({
      pk: { S: 'state' },
      rev: { N: '4' },
      runId: { S: 'evt-1' },
      leaseUntil: { N: '1000000' },
    });
    const body = input.Item!['body']!.B!;
    expect(JSON.parse(gunzipSync(body).toString('utf8'))).toEqual({
      state: STATE,
      notified: record.notified,
      sent: record.sent,
    });

    dynamodb.on(GetItemCommand).resolves({ Item: input.Item });
    await expect(store.load()).resolves.toEqual(record);
  });

  it('may create the item on the first round only', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    await store.put({ rev: 1, state: STATE, notified: [], sent: [] }, 0, 'evt-1', 1);
    const input = dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toMatch(/^attribute_not_exists\(pk\) OR \(#rev = :rev AND/);
    expect(input.Item!['runId']).toBeUndefined();
  });

  it('answers false when another run moved the round on or holds it, and throws other errors', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }))
      .rejectsOnce(new Error('throttled'));
    await expect(store.put({ rev: 5, notified: [], sent: [] }, 4, 'evt-2', 1)).resolves.toBe(false);
    await expect(store.put({ rev: 5, notified: [], sent: [] }, 4, 'evt-2', 1)).rejects.toThrow('throttled');
  });

  it('refuses a state item it cannot read, saying how to start over', async () => {
    dynamodb.on(GetItemCommand).resolves({
      Item: { pk: { S: 'state' }, rev: { N: '2' }, body: { B: gzipSync(JSON.stringify({ state: { version: 9 } })) } },
    });
    const err = await store.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(
      /state: version: expected 1.*deleting the item starts the coverage map over/s,
    );
  });
});
