import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { makeBreakerCounter } from '../../../../handlers/adapters/remediation/breaker';
import { breakerDecision } from '../../../../handlers/core/remediation/guard';
import 'aws-sdk-client-mock-jest';

const dynamo = mockClient(DynamoDBClient);
const NOW = new Date('2026-11-28T12:34:56.000Z');
const counter = () =>
  makeBreakerCounter({ client: new DynamoDBClient({}), tableName: 'vigil-remediation-state', windowMinutes: 60 });

/** A fake table: atomic ADD per key, like DynamoDB's. */
function fakeCounters() {
  const counts = new Map<string, number>();
  dynamo.on(UpdateItemCommand).callsFake((input) => {
    const key = input.Key.pk.S as string;
    const next = (counts.get(key) ?? 0) + Number(input.ExpressionAttributeValues[':one'].N);
    counts.set(key, next);
    return { Attributes: { count: { N: String(next) } } };
  });
  return counts;
}

beforeEach(() => dynamo.reset());

describe('makeBreakerCounter', () => {
  it('adds one atomically to the account and the organization counters of the current window, with a TTL', async () => {
    fakeCounters();
    expect(await counter()('110000000011', NOW)).toEqual({ account: 1, org: 1 });
    const expiresAt = String(Date.parse('2026-11-28T14:00:00Z') / 1000);
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { pk: { S: 'breaker#account#110000000011#2026-11-28T12:00:00.000Z' } },
      UpdateExpression: 'ADD #count :one SET expiresAt = :expiresAt',
      ExpressionAttributeValues: { ':one': { N: '1' }, ':expiresAt': { N: expiresAt } },
      ReturnValues: 'UPDATED_NEW',
    });
    expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { pk: { S: 'breaker#org#2026-11-28T12:00:00.000Z' } },
    });
  });

  it('trips at N + 1 actions in one account and M + 1 in the organization', async () => {
    fakeCounters();
    const limits = { perAccount: 3, orgWide: 5, windowMinutes: 60 };
    const take = counter();
    const decisions = [];
    for (const account of [
      '110000000011',
      '110000000011',
      '110000000011',
      '110000000011',
      '110000000012',
      '110000000012',
    ]) {
      decisions.push(breakerDecision(account, await take(account, NOW), limits).tripped);
    }
    // Account ...11: 1, 2, 3 allowed, 4th trips; org: 5th allowed (account ...12: 1), 6th trips (org 6 > 5).
    expect(decisions).toEqual([false, false, false, true, false, true]);
  });

  it('starts over in the next window', async () => {
    fakeCounters();
    const take = counter();
    await take('110000000011', NOW);
    expect(await take('110000000011', new Date('2026-11-28T13:00:01Z'))).toEqual({ account: 1, org: 1 });
  });
});
