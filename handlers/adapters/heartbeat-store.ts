/**
 * The heartbeat store: triage's side of the coverage table (config/naming.ts `tableNames().coverage`,
 * partition key `pk`, TTL attribute `expiresAt`). One item per cell, overwritten by each newer heartbeat:
 * `pk = cell#<accountId>#<region>#<path>` with accountId, region, path, eventTime, arrivedAt, eventId and
 * expiresAt (arrivedAt + 30 days, epoch seconds). The coverage function reads these items and owns the
 * item `pk = state`; this store never touches it.
 *
 * Writes are conditional (`attribute_not_exists(pk) OR eventTime < :eventTime`): a redelivered or late,
 * older heartbeat never replaces a newer one. ISO 8601 UTC times of the same shape compare as strings.
 */
import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { HeartbeatEntry, HeartbeatLog } from '../core/flows/triage-ports';

/** How long a cell's item outlives its last heartbeat: a cell silent for a month is gone from the map's data. */
export const HEARTBEAT_RETENTION_DAYS = 30;

const S = (value: string): AttributeValue => ({ S: value });

/** The partition key of a cell's item. */
export const heartbeatCellKey = (e: Pick<HeartbeatEntry, 'accountId' | 'region' | 'path'>): string =>
  `cell#${e.accountId}#${e.region}#${e.path}`;

/** `expiresAt` of an item: its arrival plus {@link HEARTBEAT_RETENTION_DAYS}, epoch seconds. */
export function heartbeatExpiresAt(arrivedAt: string): number {
  const ms = Date.parse(arrivedAt);
  if (!Number.isFinite(ms)) throw new Error(`arrivedAt must be an ISO 8601 time, got '${arrivedAt}'`);
  return Math.floor(ms / 1000) + HEARTBEAT_RETENTION_DAYS * 86_400;
}

/**
 * CloudTrail writes `2026-12-04T08:50:00Z`; a stray form (fractions, offsets) would not compare as a string,
 * so eventTime is stored normalised to `toISOString()` without milliseconds.
 */
export function normalisedTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`expected an ISO 8601 time, got '${iso}'`);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The heartbeat store over `tableName`. */
export function makeHeartbeatStore(client: DynamoDBClient, tableName: string): HeartbeatLog {
  return {
    async record(entry: HeartbeatEntry): Promise<boolean> {
      const eventTime = normalisedTime(entry.eventTime);
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: S(heartbeatCellKey(entry)),
              accountId: S(entry.accountId),
              region: S(entry.region),
              path: S(entry.path),
              eventTime: S(eventTime),
              arrivedAt: S(entry.arrivedAt),
              eventId: S(entry.eventId),
              expiresAt: { N: String(heartbeatExpiresAt(entry.arrivedAt)) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR eventTime < :eventTime',
            ExpressionAttributeValues: { ':eventTime': S(eventTime) },
          }),
        );
        return true;
      } catch (err) {
        if ((err as { name?: string } | null)?.name === 'ConditionalCheckFailedException') return false;
        throw err;
      }
    },
  };
}
