import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { digestExpiresAt, makeDigestStore } from '../../../handlers/adapters/digest-store';
import type { DigestEntry } from '../../../handlers/core/flows/digest-ports';
import 'aws-sdk-client-mock-jest';

const dynamodb = mockClient(DynamoDBClient);
const TABLE = 'vigil-digest';
const store = makeDigestStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);

const ENTRY: DigestEntry = {
  day: '2026-12-03',
  owner: 'payments-team',
  detectionId: 'ec2-security-group-changed',
  title: 'Security group changed',
  accountId: '444444444444',
  accountName: 'prod-payments',
  region: 'eu-west-1',
  eventId: '6f0b2c1e-1111-4a5b-9c3d-0e1f2a3b4c5d',
  eventName: 'AuthorizeSecurityGroupIngress',
  eventTime: '2026-12-03T10:15:00Z',
  principal: 'arn:aws:sts::444444444444:assumed-role/Admin/alice',
  resources: ['sg-0123456789abcdef0'],
};
/** 2026-12-03T00:00:00Z + 14 days, epoch seconds. */
const EXPIRES = String(Date.UTC(2026, 11, 17) / 1000);

/** The item `record` writes for ENTRY, as a Query returns it. */
const entryItem = (over: Partial<DigestEntry> = {}) => {
  const e = { ...ENTRY, ...over };
  return {
    day: { S: e.day },
    entry: { S: `${e.owner}#${e.detectionId}#${e.eventId}` },
    kind: { S: 'entry' },
    owner: { S: e.owner },
    detectionId: { S: e.detectionId },
    title: { S: e.title },
    accountId: { S: e.accountId },
    accountName: { S: e.accountName },
    region: { S: e.region },
    eventId: { S: e.eventId },
    eventName: { S: e.eventName },
    eventTime: { S: e.eventTime },
    principal: { S: e.principal },
    resources: { L: e.resources.map((r) => ({ S: r })) },
    expiresAt: { N: EXPIRES },
  };
};

beforeEach(() => dynamodb.reset());

describe('digestExpiresAt', () => {
  it('is the day plus 14 days', () => {
    expect(String(digestExpiresAt('2026-12-03'))).toBe(EXPIRES);
  });

  it('fails when the day is not YYYY-MM-DD', () => {
    expect(() => digestExpiresAt('03/12/2026')).toThrow(/YYYY-MM-DD/);
  });
});

describe('record', () => {
  it('puts one item per owner, detection and event, expiring 14 days after its day', async () => {
    dynamodb.on(PutItemCommand).resolves({});

    await store.record(ENTRY);

    expect(dynamodb).toHaveReceivedCommandWith(PutItemCommand, { TableName: TABLE, Item: entryItem() });
    expect(dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input.ConditionExpression).toBeUndefined();
  });

  it('lets DynamoDB errors propagate (triage retries the message)', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    await expect(store.record(ENTRY)).rejects.toThrow('slow down');
  });
});

describe('entriesOf', () => {
  it('reads every page of the day, separating entries from sent markers', async () => {
    const second = { ...ENTRY, owner: 'platform-team', eventId: 'e2', resources: [] };
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({ Items: [entryItem()], LastEvaluatedKey: { day: { S: ENTRY.day }, entry: { S: 'x' } } })
      .resolvesOnce({
        Items: [
          entryItem(second),
          {
            day: { S: ENTRY.day },
            entry: { S: 'sent#slack#payments-team' },
            kind: { S: 'sent' },
            owner: { S: 'payments-team' },
            channel: { S: 'slack' },
          },
        ],
      });

    const day = await store.entriesOf(ENTRY.day);

    expect(day.entries).toEqual([ENTRY, second]);
    expect(day.sent).toEqual(new Map([['payments-team', new Set(['slack'])]]));
    expect(day.unreadable).toEqual([]);
    const calls = dynamodb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toEqual({
      TableName: TABLE,
      KeyConditionExpression: '#day = :day',
      ExpressionAttributeNames: { '#day': 'day' },
      ExpressionAttributeValues: { ':day': { S: ENTRY.day } },
    });
    expect(calls[1]!.ExclusiveStartKey).toEqual({ day: { S: ENTRY.day }, entry: { S: 'x' } });
  });

  it('reports items it cannot read instead of failing the day', async () => {
    const { title: _title, ...noTitle } = entryItem();
    dynamodb.on(QueryCommand).resolves({
      Items: [noTitle, { day: { S: ENTRY.day }, entry: { S: 'sent#pager#x' }, kind: { S: 'sent' } }, entryItem()],
    });

    const day = await store.entriesOf(ENTRY.day);

    expect(day.entries).toEqual([ENTRY]);
    expect(day.unreadable).toEqual([`payments-team#${ENTRY.detectionId}#${ENTRY.eventId}`, 'sent#pager#x']);
  });
});

describe('markSent', () => {
  it('writes the marker only if it does not exist yet', async () => {
    dynamodb.on(PutItemCommand).resolves({});

    await expect(store.markSent('2026-12-03', 'payments-team', 'email')).resolves.toBe(true);

    expect(dynamodb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: {
        day: { S: '2026-12-03' },
        entry: { S: 'sent#email#payments-team' },
        kind: { S: 'sent' },
        owner: { S: 'payments-team' },
        channel: { S: 'email' },
        expiresAt: { N: EXPIRES },
      },
      ConditionExpression: 'attribute_not_exists(#entry)',
      ExpressionAttributeNames: { '#entry': 'entry' },
    });
  });

  it('answers false when another run already marked it', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    await expect(store.markSent('2026-12-03', 'payments-team', 'slack')).resolves.toBe(false);
  });

  it('lets other errors propagate', async () => {
    dynamodb.on(PutItemCommand).rejects(new Error('AccessDeniedException'));

    await expect(store.markSent('2026-12-03', 'payments-team', 'slack')).rejects.toThrow('AccessDeniedException');
  });
});
