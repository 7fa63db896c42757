/**
 * The sweep ledger (handlers/core/flows/sweep-ports.ts `SweepLedger`) in DynamoDB: partition key `pk` (string,
 * `file#<bucket>/<key>`), TTL attribute `expiresAt` (epoch seconds). An item is `pending` while an attempt holds it
 * (owner and lease), then `swept` with the object's SHA-256, record count and ETag, kept for the ledger's TTL.
 * Expired items may linger until DynamoDB's TTL process deletes them, so conditions and reads check `expiresAt`.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { FileClaim, LedgerEntry, SweepLedger } from '../../core/flows/sweep-ports';

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(Math.floor(value)) });
const NAMES = { '#status': 'status', '#owner': 'owner' } as const;

/** The ledger's partition key of an object. */
export const ledgerKey = (bucket: string, key: string) => `file#${bucket}/${key}`;

const isConditionFailed = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as Error).name === 'ConditionalCheckFailedException';

function entryOf(item: Record<string, AttributeValue>): LedgerEntry | undefined {
  if (item['status']?.S !== 'swept') return undefined;
  return {
    bucket: item['bucket']?.S ?? '',
    key: item['key']?.S ?? '',
    sha256: item['sha256']?.S ?? '',
    records: Number(item['records']?.N ?? 0),
    ...(item['etag']?.S === undefined ? {} : { etag: item['etag'].S }),
    sweptAt: Number(item['sweptAt']?.N ?? 0),
  };
}

/** A {@link SweepLedger} over `tableName`; errors other than a failed condition propagate (SQS retries). */
export function makeSweepLedger(client: DynamoDBClient, tableName: string, clock: () => Date): SweepLedger {
  const nowSeconds = () => Math.floor(clock().getTime() / 1000);
  const read = async (bucket: string, key: string) => {
    const out = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: S(ledgerKey(bucket, key)) }, ConsistentRead: true }),
    );
    return out.Item && Number(out.Item['expiresAt']?.N ?? 0) >= nowSeconds() ? out.Item : undefined;
  };
  return {
    async claim(o): Promise<FileClaim> {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: S(ledgerKey(o.bucket, o.key)),
              status: S('pending'),
              owner: S(o.owner),
              expiresAt: N(o.now + o.leaseSeconds),
            },
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAt < :now OR (#status = :pending AND #owner = :owner)',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':now': N(o.now), ':pending': S('pending'), ':owner': S(o.owner) },
          }),
        );
        return { status: 'claimed' };
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      const item = await read(o.bucket, o.key);
      const entry = item ? entryOf(item) : undefined;
      return entry ? { status: 'done', entry } : { status: 'busy' };
    },
    async finish(entry, o) {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            pk: S(ledgerKey(entry.bucket, entry.key)),
            status: S('swept'),
            owner: S(o.owner),
            bucket: S(entry.bucket),
            key: S(entry.key),
            sha256: S(entry.sha256),
            records: N(entry.records),
            ...(entry.etag === undefined ? {} : { etag: S(entry.etag) }),
            sweptAt: N(entry.sweptAt),
            expiresAt: N(entry.sweptAt + o.ttlSeconds),
          },
        }),
      );
    },
    async release(o) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: { pk: S(ledgerKey(o.bucket, o.key)) },
            ConditionExpression: '#status = :pending AND #owner = :owner',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':pending': S('pending'), ':owner': S(o.owner) },
          }),
        );
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
    },
    async get(o) {
      const item = await read(o.bucket, o.key);
      return item ? entryOf(item) : undefined;
    },
  };
}

/** An in-memory {@link SweepLedger}, for `npm run sweep` and tests. */
export class MemorySweepLedger implements SweepLedger {
  readonly items = new Map<string, { owner: string; expiresAt: number; entry?: LedgerEntry }>();

  async claim(o: {
    bucket: string;
    key: string;
    owner: string;
    now: number;
    leaseSeconds: number;
  }): Promise<FileClaim> {
    const k = ledgerKey(o.bucket, o.key);
    const item = this.items.get(k);
    if (item && item.expiresAt >= o.now) {
      if (item.entry) return { status: 'done', entry: item.entry };
      if (item.owner !== o.owner) return { status: 'busy' };
    }
    this.items.set(k, { owner: o.owner, expiresAt: o.now + o.leaseSeconds });
    return { status: 'claimed' };
  }

  async finish(entry: LedgerEntry, o: { owner: string; ttlSeconds: number }): Promise<void> {
    this.items.set(ledgerKey(entry.bucket, entry.key), {
      owner: o.owner,
      expiresAt: entry.sweptAt + o.ttlSeconds,
      entry,
    });
  }

  async release(o: { bucket: string; key: string; owner: string }): Promise<void> {
    const k = ledgerKey(o.bucket, o.key);
    const item = this.items.get(k);
    if (item && !item.entry && item.owner === o.owner) this.items.delete(k);
  }

  async get(o: { bucket: string; key: string }): Promise<LedgerEntry | undefined> {
    return this.items.get(ledgerKey(o.bucket, o.key))?.entry;
  }
}
