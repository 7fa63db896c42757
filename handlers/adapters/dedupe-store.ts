/**
 * Durable deduplication and burst counting for the triage handler, in one DynamoDB table (partition
 * key `pk`, string; TTL attribute `expiresAt`, epoch seconds). Three kinds of items:
 *
 * - `event#<detection>#<eventID>`: one CloudTrail event for one detection. Two-phase: a conditional
 *   PutItem claims it as `pending` (with a lease), and it becomes `sent`, `suppressed` or `folded` only
 *   once that outcome is final. A failed notification turns it into `failed` (remembering the channels
 *   that did accept the alert), which a retry may claim again: a message retried after a failed
 *   notification is therefore NOT a duplicate, while a second copy of an event already alerted is.
 * - `resource#<detection>#<account>#<region>#<hash>`: the last alert of a detection on a resource,
 *   which suppresses repeats for a window. Claimed as `pending`, confirmed `sent` after notification,
 *   deleted if notification fails (so the next event may alert).
 * - `burst#<detection>#<window>#<group hash>`: the event ids of a burst, capped at the threshold, and
 *   the one event that raises the burst's alert.
 *
 * Expired items linger until DynamoDB's TTL process deletes them (typically within two days, and they
 * still show in reads and conditions until then), so every condition also checks `expiresAt`.
 */
import {
  DeleteItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

// The store's contract is the triage flow's port: one declaration, implemented here.
import type { DedupeStore, EventStatus } from '../core/flows/triage-ports';

export type { BurstCount, DedupeStore, EventClaim, EventStatus } from '../core/flows/triage-ports';

const NAMES = { '#status': 'status', '#owner': 'owner' } as const;
const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(Math.floor(value)) });

/** A {@link DedupeStore} over `tableName`; errors other than a failed condition propagate (SQS retries). */
export function makeDedupeStore(client: DynamoDBClient, tableName: string): DedupeStore {
  const key = (pk: string) => ({ pk: S(pk) });

  /** Runs a conditional write; false when the condition failed, with the item as it was. */
  const conditional = async <T>(
    send: () => Promise<T>,
  ): Promise<{ ok: true; out: T } | { ok: false; item?: Record<string, AttributeValue> }> => {
    try {
      return { ok: true, out: await send() };
    } catch (err) {
      if (isConditionFailure(err)) return { ok: false, item: (err as { Item?: Record<string, AttributeValue> }).Item };
      throw err;
    }
  };

  return {
    async claimEvent(pk, { owner, now, leaseSeconds }) {
      const result = await conditional(() =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...key(pk), status: S('pending'), owner: S(owner), expiresAt: N(now + leaseSeconds) },
            // New, expired, failed before, or pending under this very message (its previous attempt died:
            // SQS redelivers a message only after its visibility timeout).
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAt < :now OR #status = :failed OR (#status = :pending AND #owner = :owner)',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: {
              ':now': N(now),
              ':failed': S('failed'),
              ':pending': S('pending'),
              ':owner': S(owner),
            },
            ReturnValues: 'ALL_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      if (!result.ok) return { claimed: false, status: statusOf(result.item) };
      const old = result.out.Attributes;
      const wasFailed = statusOf(old) === 'failed' && Number(old?.['expiresAt']?.N ?? 0) >= now;
      return { claimed: true, delivered: wasFailed ? stringList(old?.['delivered']) : [] };
    },

    async finishEvent(pk, { owner, status, now, ttlSeconds }) {
      const result = await conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key(pk),
            UpdateExpression: 'SET #status = :status, expiresAt = :exp REMOVE delivered',
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':status': S(status), ':exp': N(now + ttlSeconds), ':owner': S(owner) },
          }),
        ),
      );
      return result.ok;
    },

    async failEvent(pk, { owner, delivered, now, ttlSeconds }) {
      const result = await conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key(pk),
            UpdateExpression: 'SET #status = :failed, expiresAt = :exp, delivered = :delivered',
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: {
              ':failed': S('failed'),
              ':exp': N(now + ttlSeconds),
              // A list, not a string set: a set cannot be empty.
              ':delivered': { L: [...new Set(delivered)].sort().map(S) },
              ':owner': S(owner),
            },
          }),
        ),
      );
      return result.ok;
    },

    async claimResource(pk, { owner, now, leaseSeconds }) {
      const result = await conditional(() =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...key(pk), status: S('pending'), owner: S(owner), expiresAt: N(now + leaseSeconds) },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':now': N(now), ':owner': S(owner) },
          }),
        ),
      );
      return result.ok;
    },

    async confirmResource(pk, { owner, now, windowSeconds }) {
      const result = await conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key(pk),
            UpdateExpression: 'SET #status = :sent, expiresAt = :exp',
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: NAMES,
            ExpressionAttributeValues: { ':sent': S('sent'), ':exp': N(now + windowSeconds), ':owner': S(owner) },
          }),
        ),
      );
      return result.ok;
    },

    async releaseResource(pk, { owner }) {
      const result = await conditional(() =>
        client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: key(pk),
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': S(owner) },
          }),
        ),
      );
      return result.ok;
    },

    async countBurst(plan, member) {
      // Adding to a set makes the count idempotent: a retried event is not counted twice. The set stops
      // growing at the threshold, so a burst of thousands of events keeps the item small.
      const added = await conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key(plan.key),
            UpdateExpression: 'ADD #members :member SET expiresAt = if_not_exists(expiresAt, :exp)',
            ConditionExpression: 'attribute_not_exists(pk) OR size(#members) < :threshold OR contains(#members, :id)',
            ExpressionAttributeNames: { '#members': 'members' },
            ExpressionAttributeValues: {
              ':member': { SS: [member] },
              ':id': S(member),
              ':threshold': N(plan.threshold),
              ':exp': N(plan.expiresAt),
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (!added.ok) return { status: 'folded' };
      const item = added.out.Attributes ?? {};
      const count = item['members']?.SS?.length ?? 0;
      if (count < plan.threshold) return { status: 'below', count };
      const alertedBy = item['alertedBy']?.S;
      if (alertedBy !== undefined) return alertedBy === member ? { status: 'alert', count } : { status: 'folded' };
      // Exactly one event may raise the alert; a retry of that event finds itself recorded.
      const claimed = await conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key(plan.key),
            UpdateExpression: 'SET alertedBy = :id',
            ConditionExpression: 'attribute_not_exists(alertedBy) OR alertedBy = :id',
            ExpressionAttributeValues: { ':id': S(member) },
          }),
        ),
      );
      return claimed.ok ? { status: 'alert', count } : { status: 'folded' };
    },
  };
}

/** DynamoDB's answer to a failed condition (matched by name: it survives bundling and SDK copies). */
function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

const STATUSES: readonly string[] = ['pending', 'sent', 'suppressed', 'folded', 'digest', 'failed'];

function statusOf(item: Record<string, AttributeValue> | undefined): EventStatus | 'unknown' {
  const s = item?.['status']?.S;
  return s !== undefined && STATUSES.includes(s) ? (s as EventStatus) : 'unknown';
}

function stringList(value: AttributeValue | undefined): string[] {
  return (value?.L ?? []).flatMap((v) => (v.S === undefined ? [] : [v.S]));
}
