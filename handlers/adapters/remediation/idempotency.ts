/**
 * Idempotency claims in DynamoDB (the remediation state table: partition key `pk` (S), TTL attribute
 * `expiresAt`). A claim is a conditional PutItem, so of any number of concurrent or repeated
 * deliveries of one event exactly one proceeds; the others get `claimed: false` and make no call to
 * AWS at all. Same idea as Powertools' idempotency utility, reduced to what remediation needs:
 *
 * - `attribute_not_exists(pk)`: the first delivery wins;
 * - an `in-progress` claim older than `lockSeconds` may be taken over: the invocation holding it died
 *   (Lambda timeout, crash) before finishing, and the pipeline re-reads state before acting, so running
 *   again is safe; a completed claim is never taken over;
 * - `expiresAt` lets DynamoDB's TTL delete old claims; CloudTrail event ids do not repeat, so a week of
 *   memory covers every retry EventBridge (24 h), SQS and Lambda (minutes) can make.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ClaimResult, IdempotencyPort } from '../../core/remediation/orchestrate';

export interface IdempotencyStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long a claim is kept (DynamoDB TTL). @default 604800 (7 days) */
  readonly ttlSeconds?: number;
  /** After this long an unfinished claim may be taken over; at least the Lambda timeout. @default 900 */
  readonly lockSeconds?: number;
}

/** Key prefix, so the state table can hold circuit-breaker counters too. */
export const IDEMPOTENCY_PREFIX = 'idem#';

/** Builds the DynamoDB-backed {@link IdempotencyPort}. */
export function makeIdempotencyStore(options: IdempotencyStoreOptions): IdempotencyPort {
  const { client, tableName } = options;
  const ttlSeconds = options.ttlSeconds ?? 7 * 86_400;
  const lockSeconds = options.lockSeconds ?? 900;
  const pk = (key: string) => ({ S: `${IDEMPOTENCY_PREFIX}${key}` });
  const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

  return {
    async claim(key, now) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: pk(key),
              status: { S: 'in-progress' },
              startedAt: { S: now.toISOString() },
              lockExpiresAt: { N: String(epoch(now) + lockSeconds) },
              expiresAt: { N: String(epoch(now) + ttlSeconds) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND lockExpiresAt < :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':inProgress': { S: 'in-progress' }, ':now': { N: String(epoch(now)) } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { claimed: true };
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const old = (err as ConditionalCheckFailedException).Item ?? {};
        const result: ClaimResult = {
          claimed: false,
          status: old['status']?.S ?? 'unknown',
          ...(old['outcome']?.S ? { outcome: old['outcome'].S } : {}),
        };
        return result;
      }
    },

    async complete(key, outcome, now) {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: pk(key) },
          UpdateExpression: 'SET #status = :completed, outcome = :outcome, completedAt = :at',
          // Only a claim that exists is completed: completing a key nobody claimed is a bug to surface.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':completed': { S: 'completed' },
            ':outcome': { S: outcome },
            ':at': { S: now.toISOString() },
          },
        }),
      );
    },

    async release(key) {
      await client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: { pk: pk(key) },
          // Never drop a completed claim: that would let a duplicate act again.
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': { S: 'in-progress' } },
        }),
      );
    },
  };
}

/** True for DynamoDB's "condition not met" answer (by class, or by name when the class is from another copy). */
export function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (typeof err === 'object' && err !== null && (err as { name?: string }).name === 'ConditionalCheckFailedException')
  );
}
