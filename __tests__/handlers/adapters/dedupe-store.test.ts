import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { makeDedupeStore } from '../../../handlers/adapters/dedupe-store';
import 'aws-sdk-client-mock-jest';

const dynamodb = mockClient(DynamoDBClient);
const TABLE = 'vigil-triage-dedupe';
const store = makeDedupeStore(new DynamoDBClient({ region: 'eu-west-1' }), TABLE);
const KEY = 'event#cloudtrail-logging-stopped#0d3b9c2a-6f41-4e8b-b7a5-1c9e2d4f6a01';
const NOW = 1_751_332_385;

/** The error DynamoDB returns for a failed condition, with the item when ALL_OLD was asked for. */
const conditionFailed = (item?: Record<string, any>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: item });

beforeEach(() => dynamodb.reset());

describe('claimEvent', () => {
  it('claims a new event with a conditional put and a lease', async () => {
    dynamodb.on(PutItemCommand).resolves({});

    const claim = await store.claimEvent(KEY, { owner: 'msg-1', now: NOW, leaseSeconds: 300 });

    expect(claim).toEqual({ claimed: true, delivered: [] });
    expect(dynamodb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: { pk: { S: KEY }, status: { S: 'pending' }, owner: { S: 'msg-1' }, expiresAt: { N: String(NOW + 300) } },
      ConditionExpression: expect.stringContaining('attribute_not_exists(pk)'),
      ExpressionAttributeValues: expect.objectContaining({ ':now': { N: String(NOW) } }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('allows a claim over an expired item that TTL has not deleted yet', async () => {
    dynamodb.on(PutItemCommand).resolves({});

    await store.claimEvent(KEY, { owner: 'msg-1', now: NOW, leaseSeconds: 300 });

    const input = dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toContain('expiresAt < :now');
  });

  it('reports a duplicate when the event was already sent', async () => {
    dynamodb.on(PutItemCommand).rejects(conditionFailed({ pk: { S: KEY }, status: { S: 'sent' } }));

    expect(await store.claimEvent(KEY, { owner: 'msg-2', now: NOW, leaseSeconds: 300 })).toEqual({
      claimed: false,
      status: 'sent',
    });
  });

  it('reports a copy in flight under another message', async () => {
    dynamodb.on(PutItemCommand).rejects(conditionFailed({ status: { S: 'pending' }, owner: { S: 'msg-1' } }));

    expect(await store.claimEvent(KEY, { owner: 'msg-2', now: NOW, leaseSeconds: 300 })).toEqual({
      claimed: false,
      status: 'pending',
    });
  });

  it('reclaims an event whose notification failed, with the channels that already have it', async () => {
    // The condition admits `failed`; DynamoDB returns the replaced item (ReturnValues ALL_OLD).
    dynamodb.on(PutItemCommand).resolves({
      Attributes: {
        status: { S: 'failed' },
        owner: { S: 'msg-1' },
        expiresAt: { N: String(NOW + 3600) },
        delivered: { L: [{ S: 'slack' }] },
      },
    });

    const claim = await store.claimEvent(KEY, { owner: 'msg-1', now: NOW, leaseSeconds: 300 });

    expect(claim).toEqual({ claimed: true, delivered: ['slack'] });
    const input = dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toContain('#status = :failed');
    expect(input.ReturnValues).toBe('ALL_OLD');
  });

  it('ignores the delivered channels of an expired failure', async () => {
    dynamodb.on(PutItemCommand).resolves({
      Attributes: { status: { S: 'failed' }, expiresAt: { N: String(NOW - 1) }, delivered: { L: [{ S: 'slack' }] } },
    });

    expect(await store.claimEvent(KEY, { owner: 'msg-9', now: NOW, leaseSeconds: 300 })).toEqual({
      claimed: true,
      delivered: [],
    });
  });

  it('lets the same message reclaim its own pending claim (its previous attempt died)', async () => {
    dynamodb.on(PutItemCommand).resolves({});

    await store.claimEvent(KEY, { owner: 'msg-1', now: NOW, leaseSeconds: 300 });

    const input = dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toContain('(#status = :pending AND #owner = :owner)');
    expect(input.ExpressionAttributeValues?.[':owner']).toEqual({ S: 'msg-1' });
  });

  it('lets other DynamoDB errors propagate so SQS retries', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));

    await expect(store.claimEvent(KEY, { owner: 'msg-1', now: NOW, leaseSeconds: 300 })).rejects.toThrow('slow down');
  });
});

describe('finishEvent', () => {
  it('records the outcome under the claim and keeps it for the dedupe period', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});

    expect(await store.finishEvent(KEY, { owner: 'msg-1', status: 'sent', now: NOW, ttlSeconds: 86_400 })).toBe(true);
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: { pk: { S: KEY } },
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeValues: {
        ':status': { S: 'sent' },
        ':exp': { N: String(NOW + 86_400) },
        ':owner': { S: 'msg-1' },
      },
    });
  });

  it('answers false when another attempt took the claim over', async () => {
    dynamodb.on(UpdateItemCommand).rejects(conditionFailed());

    expect(await store.finishEvent(KEY, { owner: 'msg-1', status: 'sent', now: NOW, ttlSeconds: 60 })).toBe(false);
  });
});

describe('failEvent', () => {
  it('marks the event failed and remembers the channels that accepted it', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});

    await store.failEvent(KEY, {
      owner: 'msg-1',
      delivered: ['slack', 'email', 'slack'],
      now: NOW,
      ttlSeconds: 86_400,
    });

    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      UpdateExpression: expect.stringContaining('#status = :failed'),
      ExpressionAttributeValues: expect.objectContaining({
        ':failed': { S: 'failed' },
        ':delivered': { L: [{ S: 'email' }, { S: 'slack' }] },
      }),
    });
  });

  it('writes an empty list when nothing was delivered (a string set cannot be empty)', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});

    await store.failEvent(KEY, { owner: 'msg-1', delivered: [], now: NOW, ttlSeconds: 60 });

    const values = dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input.ExpressionAttributeValues!;
    expect(values[':delivered']).toEqual({ L: [] });
  });
});

describe('resource claims', () => {
  const RESOURCE = 'resource#cloudtrail-logging-stopped#110000000006#eu-west-1#fc5ccf4d';

  it('claims a resource nobody alerted on recently', async () => {
    dynamodb.on(PutItemCommand).resolves({});

    expect(await store.claimResource(RESOURCE, { owner: 'event-1', now: NOW, leaseSeconds: 300 })).toBe(true);
    expect(dynamodb).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({ pk: { S: RESOURCE }, owner: { S: 'event-1' } }),
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
    });
  });

  it('refuses while another alert on the resource is recent', async () => {
    dynamodb.on(PutItemCommand).rejects(conditionFailed());

    expect(await store.claimResource(RESOURCE, { owner: 'event-2', now: NOW, leaseSeconds: 300 })).toBe(false);
  });

  it('starts the window when the alert is sent', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});

    await store.confirmResource(RESOURCE, { owner: 'event-1', now: NOW, windowSeconds: 900 });

    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { pk: { S: RESOURCE } },
      ExpressionAttributeValues: {
        ':sent': { S: 'sent' },
        ':exp': { N: String(NOW + 900) },
        ':owner': { S: 'event-1' },
      },
    });
  });

  it('deletes its own claim when the alert could not be sent', async () => {
    dynamodb.on(DeleteItemCommand).resolves({});

    expect(await store.releaseResource(RESOURCE, { owner: 'event-1' })).toBe(true);
    expect(dynamodb).toHaveReceivedCommandWith(DeleteItemCommand, {
      Key: { pk: { S: RESOURCE } },
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeValues: { ':owner': { S: 'event-1' } },
    });
  });
});

describe('countBurst', () => {
  const PLAN = { key: 'burst#api-access-denied-burst#1753675200#3e4400a1', threshold: 3, expiresAt: 1_753_675_800 };
  const members = (...ids: string[]) => ({ Attributes: { members: { SS: ids } } });

  it('adds the event id to the window set with an atomic update and a TTL', async () => {
    dynamodb.on(UpdateItemCommand).resolves(members('e1'));

    expect(await store.countBurst(PLAN, 'e1')).toEqual({ status: 'below', count: 1 });
    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { pk: { S: PLAN.key } },
      UpdateExpression: 'ADD #members :member SET expiresAt = if_not_exists(expiresAt, :exp)',
      ConditionExpression: expect.stringContaining('size(#members) < :threshold OR contains(#members, :id)'),
      ExpressionAttributeValues: {
        ':member': { SS: ['e1'] },
        ':id': { S: 'e1' },
        ':threshold': { N: '3' },
        ':exp': { N: String(PLAN.expiresAt) },
      },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('raises the alert with the event that reaches the threshold', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .resolvesOnce(members('e1', 'e2', 'e3'))
      .resolvesOnce({});

    expect(await store.countBurst(PLAN, 'e3')).toEqual({ status: 'alert', count: 3 });
    expect(dynamodb).toHaveReceivedNthCommandWith(2, UpdateItemCommand, {
      UpdateExpression: 'SET alertedBy = :id',
      ConditionExpression: 'attribute_not_exists(alertedBy) OR alertedBy = :id',
      ExpressionAttributeValues: { ':id': { S: 'e3' } },
    });
  });

  it('folds an event once the window is full', async () => {
    dynamodb.on(UpdateItemCommand).rejects(conditionFailed({ members: { SS: ['e1', 'e2', 'e3'] } }));

    expect(await store.countBurst(PLAN, 'e4')).toEqual({ status: 'folded' });
  });

  it('folds the event when another one already raised the alert', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .resolves({ Attributes: { members: { SS: ['e1', 'e2', 'e3'] }, alertedBy: { S: 'e3' } } });

    expect(await store.countBurst(PLAN, 'e2')).toEqual({ status: 'folded' });
    expect(dynamodb).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
  });

  it('gives the alert back to the event that raised it when it is retried', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .resolves({ Attributes: { members: { SS: ['e1', 'e2', 'e3'] }, alertedBy: { S: 'e3' } } });

    expect(await store.countBurst(PLAN, 'e3')).toEqual({ status: 'alert', count: 3 });
  });

  it('folds when a concurrent event won the alert', async () => {
    dynamodb
      .on(UpdateItemCommand)
      .resolvesOnce(members('e1', 'e2', 'e3'))
      .rejectsOnce(conditionFailed());

    expect(await store.countBurst(PLAN, 'e2')).toEqual({ status: 'folded' });
  });
});
