/**
 * Circuit-breaker counters in DynamoDB (the remediation state table, keys `breaker#…`, TTL attribute
 * `expiresAt`). Each automatic action adds one to its account's counter and to the organization's
 * counter of the current fixed window with `UpdateItem ADD`, which is atomic: concurrent invocations
 * each get a distinct count, so exactly `perAccount` of them see a count within the limit. The adapter
 * only counts; `breakerDecision` in handlers/core/remediation/guard.ts decides.
 */
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type BreakerCounts, breakerWindow } from '../../core/remediation/guard';

export interface BreakerCounterOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Window length (config/remediation.json `circuitBreaker.windowMinutes`). */
  readonly windowMinutes: number;
}

/** Counts one more action for `accountId` and the organization; returns both new counts. */
export type BreakerCounter = (accountId: string, now: Date) => Promise<BreakerCounts>;

/** Key prefix of the counters in the state table. */
export const BREAKER_PREFIX = 'breaker#';

/** Builds the DynamoDB-backed {@link BreakerCounter}. */
export function makeBreakerCounter(options: BreakerCounterOptions): BreakerCounter {
  const { client, tableName } = options;
  const increment = async (key: string, expiresAt: number): Promise<number> => {
    const out = await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: `${BREAKER_PREFIX}${key}` } },
        UpdateExpression: 'ADD #count :one SET expiresAt = :expiresAt',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':one': { N: '1' }, ':expiresAt': { N: String(expiresAt) } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const value = Number(out.Attributes?.['count']?.N);
    if (!Number.isFinite(value)) throw new Error(`breaker counter ${key} returned no count`);
    return value;
  };

  return async (accountId, now) => {
    const window = breakerWindow(now.getTime(), options.windowMinutes);
    const [account, org] = await Promise.all([
      increment(`account#${accountId}#${window.start}`, window.expiresAt),
      increment(`org#${window.start}`, window.expiresAt),
    ]);
    return { account, org };
  };
}
