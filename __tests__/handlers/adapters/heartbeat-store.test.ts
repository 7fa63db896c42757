import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  heartbeatCellKey,
  heartbeatExpiresAt,
  makeHeartbeatStore,
  normalisedTime,
} from '../../../handlers/adapters/heartbeat-store';
import type { HeartbeatEntry } from '../../../handlers/core/flows/triage-ports';

const dynamodb = mockClient(DynamoDBClient);
const TABLE = 'vigil-coverage';
const store = makeHeartbeatStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);

const ENTRY: HeartbeatEntry = {
  accountId: '110000000006',
  region: 'eu-west-1',
  path: 'regional',
  eventTime: '2026-12-04T08:50:00Z',
  arrivedAt: '2026-12-04T08:50:42.000Z',
  eventId: '2b3c4d5e-6f70-4819-9a2b-000000000101',
};

beforeEach(() => dynamodb.reset());

describe('heartbeat store', () => {
  it('writes the cell item of the contract, only when newer than the stored one', async () => {
    dynamodb.on(PutItemCommand).resolves({});

    await expect(store.record(ENTRY)).resolves.toBe(true);

    expect(dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        pk: { S: 'cell#110000000006#eu-west-1#regional' },
        accountId: { S: '110000000006' },
        region: { S: 'eu-west-1' },
        path: { S: 'regional' },
        eventTime: { S: '2026-12-04T08:50:00Z' },
        arrivedAt: { S: '2026-12-04T08:50:42.000Z' },
        eventId: { S: ENTRY.eventId },
        expiresAt: { N: String(Date.parse('2027-01-03T08:50:42Z') / 1000) },
      },
      ConditionExpression: 'attribute_not_exists(pk) OR eventTime < :eventTime',
      ExpressionAttributeValues: { ':eventTime': { S: '2026-12-04T08:50:00Z' } },
    });
  });

  it('answers false when the cell already holds a newer heartbeat', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    await expect(store.record(ENTRY)).resolves.toBe(false);
  });

  it('lets other failures through (the message returns to SQS)', async () => {
    dynamodb.on(PutItemCommand).rejects(new Error('throttled'));

    await expect(store.record(ENTRY)).rejects.toThrow('throttled');
  });

  it('keys the global path by us-east-1 and path, expires 30 days after arrival, normalises times', () => {
    expect(heartbeatCellKey({ accountId: '110000000006', region: 'us-east-1', path: 'global' })).toBe(
      'cell#110000000006#us-east-1#global',
    );
    expect(heartbeatExpiresAt('2026-12-04T00:00:00Z')).toBe(Date.parse('2027-01-03T00:00:00Z') / 1000);
    expect(normalisedTime('2026-12-04T09:50:00.250+01:00')).toBe('2026-12-04T08:50:00Z');
    expect(() => heartbeatExpiresAt('yesterday')).toThrow(/ISO 8601/);
  });
});
