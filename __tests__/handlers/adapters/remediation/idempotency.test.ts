import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { makeIdempotencyStore } from '../../../../handlers/adapters/remediation/idempotency';
import 'aws-sdk-client-mock-jest';

const dynamo = mockClient(DynamoDBClient);
const NOW = new Date('2026-11-28T12:00:00.000Z');
const EPOCH = NOW.getTime() / 1000;
const store = () => makeIdempotencyStore({ client: new DynamoDBClient({}), tableName: 'vigil-remediation-state' });
const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: item as any } : {}),
  });

beforeEach(() => dynamo.reset());

describe('makeIdempotencyStore', () => {
  it('claims with a conditional PutItem that only the first caller passes, with a TTL', async () => {
    dynamo.on(PutItemCommand).resolves({});

    expect(await store().claim('evt-1:revoke-world-open-ingress', NOW)).toEqual({ claimed: true });

    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'vigil-remediation-state',
      Item: {
        pk: { S: 'idem#evt-1:revoke-world-open-ingress' },
        status: { S: 'in-progress' },
        startedAt: { S: NOW.toISOString() },
        lockExpiresAt: { N: String(EPOCH + 900) },
        expiresAt: { N: String(EPOCH + 7 * 86_400) },
      },
      ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND lockExpiresAt < :now)',
      ExpressionAttributeValues: { ':inProgress': { S: 'in-progress' }, ':now': { N: String(EPOCH) } },
    });
  });

  it('reports a duplicate, with the earlier outcome, when the condition fails', async () => {
    dynamo.on(PutItemCommand).rejects(conditionFailed({ status: { S: 'completed' }, outcome: { S: 'fixed' } }));

    expect(await store().claim('evt-1:revoke-world-open-ingress', NOW)).toEqual({
      claimed: false,
      status: 'completed',
      outcome: 'fixed',
    });
  });

  it('lets other DynamoDB errors through (the caller must not act without a claim)', async () => {
    dynamo
      .on(PutItemCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(store().claim('k', NOW)).rejects.toThrow('slow down');
  });

  it('completes a claim it holds', async () => {
    dynamo.on(UpdateItemCommand).resolves({});
    await store().complete('k', 'fixed', NOW);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { pk: { S: 'idem#k' } },
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: {
        ':completed': { S: 'completed' },
        ':outcome': { S: 'fixed' },
        ':at': { S: NOW.toISOString() },
      },
    });
  });

  it('releases only an unfinished claim', async () => {
    dynamo.on(DeleteItemCommand).resolves({});
    await store().release('k');
    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, {
      Key: { pk: { S: 'idem#k' } },
      ConditionExpression: '#status = :inProgress',
    });
  });
});
