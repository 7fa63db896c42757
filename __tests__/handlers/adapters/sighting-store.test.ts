import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { makeSightingStore, SIGHTING_WRITE_INTERVAL_MS } from '../../../handlers/adapters/sighting-store';

const dynamodb = mockClient(DynamoDBClient);
const TABLE = 'vigil-coverage';
const client = new DynamoDBClient({ region: 'eu-west-1' });

beforeEach(() => dynamodb.reset());

describe('sighting store', () => {
  it('writes one item per account × region, only when newer than the stored sighting, expiring a week later', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    await makeSightingStore(client, TABLE, () => 0).note('888888888888', 'eu-west-1', '2026-12-04T10:00:00Z');

    expect(dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Item: {
        pk: { S: 'seen#888888888888#eu-west-1' },
        accountId: { S: '888888888888' },
        region: { S: 'eu-west-1' },
        seenAt: { S: '2026-12-04T10:00:00.000Z' },
        expiresAt: { N: String(Date.parse('2026-12-04T10:00:00Z') / 1000 + 7 * 86_400) },
      },
      ConditionExpression: 'attribute_not_exists(pk) OR seenAt < :seenAt',
      ExpressionAttributeValues: { ':seenAt': { S: '2026-12-04T10:00:00.000Z' } },
    });
  });

  it('writes at most once per account × region per interval from one container', async () => {
    dynamodb.on(PutItemCommand).resolves({});
    let now = 0;
    const store = makeSightingStore(client, TABLE, () => now);
    await store.note('888888888888', 'eu-west-1', '2026-12-04T10:00:00Z');
    await store.note('888888888888', 'eu-west-1', '2026-12-04T10:00:01Z');
    await store.note('888888888888', 'us-east-1', '2026-12-04T10:00:01Z');
    now = SIGHTING_WRITE_INTERVAL_MS;
    await store.note('888888888888', 'eu-west-1', '2026-12-04T10:05:00Z');

    expect(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item?.['pk']?.S)).toEqual([
      'seen#888888888888#eu-west-1',
      'seen#888888888888#us-east-1',
      'seen#888888888888#eu-west-1',
    ]);
  });

  it('treats an older sighting as done, retries other failures on the next event, and refuses a bad time', async () => {
    const store = makeSightingStore(client, TABLE, () => 0);
    dynamodb
      .on(PutItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'newer', $metadata: {} }))
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }))
      .resolves({});
    await expect(store.note('888888888888', 'eu-west-1', '2026-12-04T10:00:00Z')).resolves.toBeUndefined();
    await expect(store.note('777777777777', 'eu-west-1', '2026-12-04T10:00:00Z')).rejects.toThrow('throttled');
    // The failed write was not counted: the next event from that account writes again.
    await expect(store.note('777777777777', 'eu-west-1', '2026-12-04T10:00:01Z')).resolves.toBeUndefined();
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(3);
    await expect(store.note('666666666666', 'eu-west-1', 'yesterday')).rejects.toThrow(/expected an ISO 8601 time/);
  });
});
