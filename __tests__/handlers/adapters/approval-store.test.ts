import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { makeApprovalStore } from '../../../handlers/adapters/approval-store';
import { ApprovalConflictError } from '../../../handlers/errors';
import { AFTER_EXPIRY, approvalItem, LATER, REQUEST_ID, sampleRequest } from '../../helpers/approvals';
import 'aws-sdk-client-mock-jest';

const ddb = mockClient(DynamoDBClient);
const TABLE = 'vigil-approvals';
const store = makeApprovalStore({ tableName: TABLE, client: new DynamoDBClient({ region: 'eu-west-1' }) });

beforeEach(() => ddb.reset());

/** The item the store writes for the sample request, as DynamoDB would return it. */
function conditionalFailure(item?: Record<string, unknown>) {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: item as never } : {}),
  });
}

describe('makeApprovalStore', () => {
  it('puts a new request once, with the expiry as a number and a TTL 30 days after it', async () => {
    ddb.on(PutItemCommand).resolves({});

    await store.put(sampleRequest());

    expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': 'id' },
      Item: expect.objectContaining({
        id: { S: REQUEST_ID },
        status: { S: 'pending' },
        expiresAt: { N: String(Date.parse('2024-05-02T11:20:00.000Z')) },
        ttl: { N: String(Date.parse('2024-05-02T11:20:00.000Z') / 1000 + 30 * 86_400) },
      }),
    });
  });

  it('reads a request back, strongly consistent, exactly as it was put', async () => {
    let written: Record<string, unknown> = {};
    ddb.on(PutItemCommand).callsFake((input) => {
      written = input.Item;
      return {};
    });
    await store.put(sampleRequest());
    ddb.on(GetItemCommand).callsFake(() => ({ Item: written }));

    expect(await store.get(REQUEST_ID)).toEqual(sampleRequest());
    expect(ddb).toHaveReceivedCommandWith(GetItemCommand, { ConsistentRead: true, Key: { id: { S: REQUEST_ID } } });
  });

  it('reads nothing for an unknown request', async () => {
    ddb.on(GetItemCommand).resolves({});
    expect(await store.get(REQUEST_ID)).toBeUndefined();
  });

  it('fails before any call when the id is not a request id (e.g. a nonce key)', async () => {
    await expect(store.get('nonce#abcdefghijklmnop')).rejects.toThrow(/not an approval request id/);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('decides with one conditional write: still pending and not yet expired', async () => {
    ddb.on(UpdateItemCommand).resolves({
      Attributes: approvalItem({
        status: { S: 'approved' },
        decidedBy: { S: 'slack:U04SECLEAD1' },
        decidedAt: { S: LATER.toISOString() },
      }),
    });

    const decided = await store.decide(REQUEST_ID, { to: 'approved', decidedBy: 'slack:U04SECLEAD1', now: LATER });

    expect(decided).toMatchObject({ status: 'approved', decidedBy: 'slack:U04SECLEAD1' });
    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: { id: { S: REQUEST_ID } },
      ConditionExpression: 'attribute_exists(#id) AND #status = :from AND #expiresAt > :now',
      UpdateExpression: 'SET #status = :to, #decidedBy = :decidedBy, #decidedAt = :decidedAt',
      ExpressionAttributeNames: {
        '#id': 'id',
        '#status': 'status',
        '#expiresAt': 'expiresAt',
        '#decidedBy': 'decidedBy',
        '#decidedAt': 'decidedAt',
      },
      ExpressionAttributeValues: {
        ':from': { S: 'pending' },
        ':to': { S: 'approved' },
        ':now': { N: String(LATER.getTime()) },
        ':decidedBy': { S: 'slack:U04SECLEAD1' },
        ':decidedAt': { S: LATER.toISOString() },
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('maps a failed condition on a decided request to "already decided", naming who decided', async () => {
    ddb
      .on(UpdateItemCommand)
      .rejects(conditionalFailure(approvalItem({ status: { S: 'approved' }, decidedBy: { S: 'slack:U04SECONCALL' } })));

    const error = await store
      .decide(REQUEST_ID, { to: 'approved', decidedBy: 'slack:U04SECLEAD1', now: LATER })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApprovalConflictError);
    expect(error).toMatchObject({
      conflict: 'already-decided',
      currentStatus: 'approved',
      decidedBy: 'slack:U04SECONCALL',
      requestId: REQUEST_ID,
    });
  });

  it('maps a failed condition on a pending request to "expired"', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionalFailure(approvalItem()));

    await expect(
      store.decide(REQUEST_ID, { to: 'rejected', decidedBy: 'slack:U04SECLEAD1', now: AFTER_EXPIRY }),
    ).rejects.toMatchObject({ name: 'ApprovalConflictError', conflict: 'expired', currentStatus: 'pending' });
  });

  it('maps a failed condition without an item to "not found"', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionalFailure());

    await expect(
      store.decide(REQUEST_ID, { to: 'approved', decidedBy: 'slack:U04SECLEAD1', now: LATER }),
    ).rejects.toMatchObject({ conflict: 'not-found' });
  });

  it('lets other DynamoDB errors through unchanged', async () => {
    ddb.on(UpdateItemCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(
      store.decide(REQUEST_ID, { to: 'approved', decidedBy: 'slack:U04SECLEAD1', now: LATER }),
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('settles a timeout only once the request has expired, as approved by the timeout policy', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: { S: 'approved' } }) });

    await store.settleTimeout(REQUEST_ID, { to: 'approved', now: AFTER_EXPIRY });

    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      ConditionExpression: 'attribute_exists(#id) AND #status = :from AND #expiresAt <= :now',
      ExpressionAttributeValues: expect.objectContaining({
        ':to': { S: 'approved' },
        ':decidedBy': { S: 'timeout-policy' },
        ':now': { N: String(AFTER_EXPIRY.getTime()) },
      }),
    });
  });

  it('marks an expired request without naming a decider', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: { S: 'expired' } }) });

    await store.settleTimeout(REQUEST_ID, { to: 'expired', now: AFTER_EXPIRY });

    const input = ddb.commandCalls(UpdateItemCommand)[0].args[0].input;
    expect(input.UpdateExpression).toBe('SET #status = :to');
    expect(input.ExpressionAttributeValues).not.toHaveProperty(':decidedBy');
  });

  it('maps a timeout write on a request that is not yet expired to "not-expired"', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionalFailure(approvalItem()));
    await expect(store.settleTimeout(REQUEST_ID, { to: 'expired', now: LATER })).rejects.toMatchObject({
      conflict: 'not-expired',
    });
  });

  it("reverts only the decider's own approval, back to pending", async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem() });

    await store.revert(REQUEST_ID, { from: 'approved', decidedBy: 'slack:U04SECLEAD1' });

    expect(ddb).toHaveReceivedCommandWith(UpdateItemCommand, {
      ConditionExpression: 'attribute_exists(#id) AND #status = :from AND #decidedBy = :by',
      UpdateExpression: 'SET #status = :to REMOVE #decidedBy, #decidedAt',
      ExpressionAttributeValues: {
        ':from': { S: 'approved' },
        ':to': { S: 'pending' },
        ':by': { S: 'slack:U04SECLEAD1' },
      },
    });
  });

  it('marks executed and undone from the states that allow it', async () => {
    ddb.on(UpdateItemCommand).resolves({ Attributes: approvalItem({ status: { S: 'executed' } }) });

    await store.markExecuted(REQUEST_ID, { outcome: 'fixed', now: AFTER_EXPIRY });
    await store.markUndone(REQUEST_ID, { undoneBy: 'slack:U04SECLEAD1', now: AFTER_EXPIRY });

    const [executed, undone] = ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);
    expect(executed.ExpressionAttributeValues).toMatchObject({ ':from': { S: 'approved' }, ':to': { S: 'executed' } });
    expect(undone.ExpressionAttributeValues).toMatchObject({ ':from': { S: 'executed' }, ':to': { S: 'undone' } });
  });

  it('records a link nonce once; the second use is "token-used"', async () => {
    ddb.on(PutItemCommand).resolvesOnce({}).rejectsOnce(conditionalFailure());
    const write = { requestId: REQUEST_ID, expiresAt: AFTER_EXPIRY, now: LATER };

    await store.useNonce('bm9uY2Utb2YtMTYtYnl0ZXM', write);
    await expect(store.useNonce('bm9uY2Utb2YtMTYtYnl0ZXM', write)).rejects.toMatchObject({
      name: 'ApprovalConflictError',
      conflict: 'token-used',
    });
    expect(ddb).toHaveReceivedCommandWith(PutItemCommand, {
      ConditionExpression: 'attribute_not_exists(#id)',
      Item: expect.objectContaining({ id: { S: 'nonce#bm9uY2Utb2YtMTYtYnl0ZXM' }, requestId: { S: REQUEST_ID } }),
    });
  });

  it('fails when a nonce is malformed, without a call', async () => {
    await expect(
      store.useNonce('short', { requestId: REQUEST_ID, expiresAt: AFTER_EXPIRY, now: LATER }),
    ).rejects.toBeInstanceOf(ApprovalConflictError);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('lists expired pending requests from the status index, page by page, up to the limit', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [approvalItem()], LastEvaluatedKey: { id: { S: REQUEST_ID } } })
      .resolvesOnce({ Items: [approvalItem({ id: { S: 'second-request-0001' } })] });

    const found = await store.listExpiredPending(AFTER_EXPIRY, 10);

    expect(found.map((r) => r.id)).toEqual([REQUEST_ID, 'second-request-0001']);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(ddb).toHaveReceivedNthSpecificCommandWith(1, QueryCommand, {
      IndexName: 'status-expiresAt',
      KeyConditionExpression: '#status = :pending AND #expiresAt <= :now',
      ExpressionAttributeValues: { ':pending': { S: 'pending' }, ':now': { N: String(AFTER_EXPIRY.getTime()) } },
      Limit: 10,
    });
    expect(ddb).toHaveReceivedNthSpecificCommandWith(2, QueryCommand, {
      ExclusiveStartKey: { id: { S: REQUEST_ID } },
      Limit: 9,
    });
  });

  it('skips an item that cannot be read as a request, reports it, and lists the others', async () => {
    ddb.on(QueryCommand).resolvesOnce({
      Items: [
        approvalItem({ id: { S: 'broken-request-000001' }, plan: { S: '{not json' } }),
        approvalItem({ id: { S: 'second-request-0001' } }),
      ],
    });
    const malformed: unknown[] = [];

    const found = await store.listExpiredPending(AFTER_EXPIRY, 10, (m) => malformed.push(m));

    expect(found.map((r) => r.id)).toEqual(['second-request-0001']);
    expect(malformed).toEqual([{ id: 'broken-request-000001', reason: expect.stringMatching(/JSON/) }]);
  });

  it('fails on such an item when no one takes the report', async () => {
    ddb.on(QueryCommand).resolvesOnce({ Items: [approvalItem({ plan: undefined })] });

    await expect(store.listExpiredPending(AFTER_EXPIRY, 10)).rejects.toThrow(/has no string 'plan'/);
  });
});
