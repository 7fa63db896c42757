/**
 * Account sightings (issue #11) in the coverage table: one item per account × region the account view
 * does not list, `seen#<account>#<region>`, holding the newest sighting and expiring a week after it.
 * The coverage function reads them with the heartbeat cells and raises one "account not in the
 * inventory" message per account. Writes are throttled per container (an unknown account's burst of
 * events costs one write per few minutes), conditional (an older sighting never overwrites a newer
 * one) and use PutItem only, like the heartbeat store, so triage's grant on the table stays one action.
 */
import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AccountSightings } from '../core/flows/triage-ports';

/** Key prefix of sighting items. */
export const SIGHTING_PREFIX = 'seen#';

/** Days a sighting is kept after the last one. */
export const SIGHTING_RETENTION_DAYS = 7;

/** Minimum time between two writes for the same account × region from one container. */
export const SIGHTING_WRITE_INTERVAL_MS = 5 * 60_000;

export const sightingKey = (accountId: string, region: string): string => `${SIGHTING_PREFIX}${accountId}#${region}`;

const S = (value: string): AttributeValue => ({ S: value });

/** The sightings store over `tableName`. `nowMs` is the throttle's clock (tests pass their own). */
export function makeSightingStore(
  client: DynamoDBClient,
  tableName: string,
  nowMs: () => number = Date.now,
): AccountSightings {
  const lastWrite = new Map<string, number>();
  return {
    async note(accountId, region, seenAt) {
      const key = sightingKey(accountId, region);
      const now = nowMs();
      const last = lastWrite.get(key);
      if (last !== undefined && now - last < SIGHTING_WRITE_INTERVAL_MS) return;
      const seenMs = Date.parse(seenAt);
      if (!Number.isFinite(seenMs))
        throw new Error(`sighting of ${accountId}: expected an ISO 8601 time, got '${seenAt}'`);
      const seen = new Date(seenMs).toISOString();
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: S(key),
              accountId: S(accountId),
              region: S(region),
              seenAt: S(seen),
              expiresAt: { N: String(Math.floor(seenMs / 1000) + SIGHTING_RETENTION_DAYS * 86_400) },
            },
            ConditionExpression: 'attribute_not_exists(pk) OR seenAt < :seenAt',
            ExpressionAttributeValues: { ':seenAt': S(seen) },
          }),
        );
      } catch (err) {
        if ((err as { name?: string } | null)?.name !== 'ConditionalCheckFailedException') throw err;
      }
      lastWrite.set(key, now);
    },
  };
}
