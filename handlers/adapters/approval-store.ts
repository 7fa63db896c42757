/**
 * Approval requests in DynamoDB. Every state change is one conditional `UpdateItem` naming the state
 * it expects (`#status = :from`, plus the expiry for decisions), so a decision is single-use: of two
 * concurrent clicks, or a click and a replay, exactly one write succeeds and the other gets an
 * `ApprovalConflictError` saying what it found instead (read from the item DynamoDB returns with the
 * failed condition, `ReturnValuesOnConditionCheckFailure: ALL_OLD`).
 *
 * Table layout (one table, partition key `id` (S), TTL attribute `ttl`):
 * - a request item: `id` = request id, `status`, `expiresAt` (N, epoch ms), the plan as JSON, ...;
 *   `ttl` = expiry + retention (DynamoDB deletes expired items within days, so the request stays
 *   readable for late clicks and the sweeper well after it expires; the audit log keeps the history);
 * - a used-nonce item per signed link used: `id` = `nonce#<nonce>`;
 * - a global secondary index (default name `status-expiresAt`: partition key `status` (S), sort key
 *   `expiresAt` (N), projection ALL) lets the sweeper find expired pending requests without a scan.
 *   Nonce items have neither attribute, so the index stays sparse.
 */
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { PlannedCall } from '../core/remediation/types';
import {
  type ApprovalRequest,
  type ApprovalStatus,
  REQUEST_ID_PATTERN,
  TIMEOUT_POLICY,
  type TimeoutBehaviour,
} from '../core/approval/request';
import { type ApprovalConflict, ApprovalConflictError } from '../errors';
import type { ApprovalStore as ApprovalFlowStore } from '../core/flows/approval-ports';

// The writes and the malformed-record report are the approval flows' port types: declared once, there.
export type { DecisionWrite, MalformedApprovalRecord, TimeoutWrite } from '../core/flows/approval-ports';

/** Options of {@link makeApprovalStore}. */
export interface ApprovalStoreOptions {
  readonly tableName: string;
  /** @default - a client created on first use, for the Lambda's region */
  readonly client?: DynamoDBClient;
  /** Name of the `status`/`expiresAt` index. @default 'status-expiresAt' */
  readonly statusIndexName?: string;
  /** Days an item is kept after its expiry before DynamoDB's TTL may delete it. @default 30 */
  readonly retentionDays?: number;
}

/** The approval flows' store port, plus what remediate needs: creating requests and marking them executed. */
export interface ApprovalStore extends ApprovalFlowStore {
  /** Stores a new request; fails if the id exists (ids are random: a clash is a bug, not a retry). */
  put(request: ApprovalRequest): Promise<void>;
  /** approved → executed, with the executor's one-line outcome. */
  markExecuted(id: string, write: { readonly outcome: string; readonly now: Date }): Promise<ApprovalRequest>;
}

const NONCE_PREFIX = 'nonce#';

/** Builds an {@link ApprovalStore} on `options.tableName`. */
export function makeApprovalStore(options: ApprovalStoreOptions): ApprovalStore {
  const { tableName } = options;
  const indexName = options.statusIndexName ?? 'status-expiresAt';
  const retentionMs = (options.retentionDays ?? 30) * 86_400_000;
  let client = options.client;
  const ddb = () => {
    client ??= new DynamoDBClient({});
    return client;
  };

  /**
   * One conditional transition. `condition` is ANDed with `#status = :from`; what it finds instead
   * becomes the conflict of the error.
   */
  const transition = async (
    id: string,
    spec: {
      readonly from: ApprovalStatus;
      readonly to: ApprovalStatus;
      readonly set?: Readonly<Record<string, AttributeValue>>;
      readonly remove?: readonly string[];
      readonly condition?: string;
      readonly values?: Readonly<Record<string, AttributeValue>>;
      /** What a failed extra condition means when the status did match. */
      readonly onConditionFailure: ApprovalConflict;
    },
  ): Promise<ApprovalRequest> => {
    assertId(id);
    const set = Object.entries(spec.set ?? {});
    // Every attribute goes through a placeholder (`status` is a DynamoDB reserved word), and only the
    // ones used: DynamoDB refuses a request that defines a placeholder its expressions do not use.
    const names: Record<string, string> = { '#id': 'id', '#status': 'status' };
    if (spec.condition?.includes('#expiresAt')) names['#expiresAt'] = 'expiresAt';
    const values: Record<string, AttributeValue> = {
      ':from': { S: spec.from },
      ':to': { S: spec.to },
      ...spec.values,
    };
    const assignments = ['#status = :to'];
    for (const [name, value] of set) {
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      assignments.push(`#${name} = :${name}`);
    }
    for (const name of spec.remove ?? []) names[`#${name}`] = name;
    const remove = (spec.remove ?? []).map((n) => `#${n}`);
    const update = `SET ${assignments.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`;
    try {
      const out = await ddb().send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { id: { S: id } },
          ConditionExpression: `attribute_exists(#id) AND #status = :from${spec.condition ? ` AND ${spec.condition}` : ''}`,
          UpdateExpression: update,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (!out.Attributes) throw new Error(`UpdateItem on ${id} returned no attributes`);
      return fromItem(out.Attributes);
    } catch (err) {
      if (!isConditionalFailure(err)) throw err;
      throw conflictFrom(id, spec.from, spec.onConditionFailure, err);
    }
  };

  return {
    async put(request) {
      assertId(request.id);
      await ddb().send(
        new PutItemCommand({
          TableName: tableName,
          Item: toItem(request, retentionMs),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
    },

    async get(id) {
      assertId(id);
      const out = await ddb().send(
        new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }),
      );
      return out.Item ? fromItem(out.Item) : undefined;
    },

    decide(id, write) {
      return transition(id, {
        from: 'pending',
        to: write.to,
        set: { decidedBy: { S: write.decidedBy }, decidedAt: { S: write.now.toISOString() } },
        condition: '#expiresAt > :now',
        values: { ':now': { N: String(write.now.getTime()) } },
        onConditionFailure: 'expired',
      });
    },

    settleTimeout(id, write) {
      const decided: Record<string, AttributeValue> =
        write.to === 'approved' ? { decidedBy: { S: TIMEOUT_POLICY }, decidedAt: { S: write.now.toISOString() } } : {};
      return transition(id, {
        from: 'pending',
        to: write.to,
        set: decided,
        condition: '#expiresAt <= :now',
        values: { ':now': { N: String(write.now.getTime()) } },
        onConditionFailure: 'not-expired',
      });
    },

    async revert(id, write) {
      const undo = write.from === 'undone';
      await transition(id, {
        from: write.from,
        to: undo ? 'executed' : 'pending',
        remove: undo ? ['undoneBy', 'undoneAt'] : ['decidedBy', 'decidedAt'],
        // Only the reverting decider's own write: `remove` defines the placeholder used here.
        condition: undo ? '#undoneBy = :by' : '#decidedBy = :by',
        values: { ':by': { S: write.decidedBy } },
        onConditionFailure: 'already-decided',
      });
    },

    markExecuted(id, write) {
      return transition(id, {
        from: 'approved',
        to: 'executed',
        set: { executedAt: { S: write.now.toISOString() }, outcome: { S: write.outcome } },
        onConditionFailure: 'already-decided',
      });
    },

    markUndone(id, write) {
      return transition(id, {
        from: 'executed',
        to: 'undone',
        set: { undoneBy: { S: write.undoneBy }, undoneAt: { S: write.now.toISOString() } },
        onConditionFailure: 'already-decided',
      });
    },

    async useNonce(nonce, write) {
      if (!/^[A-Za-z0-9_-]{16,128}$/.test(nonce)) {
        throw new ApprovalConflictError('signed link nonce is malformed', {
          requestId: write.requestId,
          conflict: 'token-used',
        });
      }
      try {
        await ddb().send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: { S: `${NONCE_PREFIX}${nonce}` },
              requestId: { S: write.requestId },
              usedAt: { S: write.now.toISOString() },
              ttl: { N: String(Math.ceil((write.expiresAt.getTime() + 86_400_000) / 1000)) },
            },
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': 'id' },
          }),
        );
      } catch (err) {
        if (!isConditionalFailure(err)) throw err;
        throw new ApprovalConflictError(
          `signed link for request ${write.requestId} was used before`,
          { requestId: write.requestId, conflict: 'token-used' },
          { cause: err },
        );
      }
    },

    async listExpiredPending(now, limit = 100, onMalformed) {
      const found: ApprovalRequest[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await ddb().send(
          new QueryCommand({
            TableName: tableName,
            IndexName: indexName,
            KeyConditionExpression: '#status = :pending AND #expiresAt <= :now',
            ExpressionAttributeNames: { '#status': 'status', '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: { ':pending': { S: 'pending' }, ':now': { N: String(now.getTime()) } },
            Limit: limit - found.length,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) {
          // One unreadable item must not hide every other expired request: skip it and say so.
          try {
            found.push(fromItem(item));
          } catch (err) {
            if (!onMalformed) throw err;
            onMalformed({
              id: item['id']?.S?.slice(0, 128) ?? '(no id)',
              reason: (err as Error).message.slice(0, 500),
            });
          }
        }
        start = out.LastEvaluatedKey;
      } while (start && found.length < limit);
      return found;
    },
  };
}

function assertId(id: string): void {
  // Refused before any call: a nonce key (`nonce#…`) or a crafted id must never be read as a request.
  if (!REQUEST_ID_PATTERN.test(id)) throw new RangeError('not an approval request id');
}

/** Duck-typed: an SDK error from another copy of the client would fail `instanceof`. */
function isConditionalFailure(err: unknown): err is { readonly Item?: Record<string, AttributeValue> } {
  return (
    typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ConditionalCheckFailedException'
  );
}

function conflictFrom(
  id: string,
  expected: ApprovalStatus,
  onConditionFailure: ApprovalConflict,
  err: { readonly Item?: Record<string, AttributeValue> },
): ApprovalConflictError {
  const item = err.Item;
  const status = item?.status?.S;
  const decidedBy = item?.decidedBy?.S;
  const conflict: ApprovalConflict =
    item === undefined ? 'not-found' : status !== expected ? 'already-decided' : onConditionFailure;
  const found = item === undefined ? 'no such request' : `status ${status}${decidedBy ? ` (by ${decidedBy})` : ''}`;
  return new ApprovalConflictError(
    `approval request ${id}: expected ${expected}, found ${found}: ${conflict}`,
    {
      requestId: id,
      conflict,
      ...(status === undefined ? {} : { currentStatus: status }),
      ...(decidedBy === undefined ? {} : { decidedBy }),
    },
    { cause: err },
  );
}

function toItem(r: ApprovalRequest, retentionMs: number): Record<string, AttributeValue> {
  const expiresAt = Date.parse(r.expiresAt);
  const item: Record<string, AttributeValue> = {
    id: { S: r.id },
    status: { S: r.status },
    detectionId: { S: r.detectionId },
    eventId: { S: r.eventId },
    accountId: { S: r.accountId },
    region: { S: r.region },
    // JSON rather than a DynamoDB map: call inputs are arbitrary JSON (empty strings, nested lists),
    // and the plan is only ever read back whole.
    plan: { S: JSON.stringify(r.plan) },
    requestedAt: { S: r.requestedAt },
    expiresAt: { N: String(expiresAt) },
    timeoutMinutes: { N: String(r.timeout.timeoutMinutes) },
    onTimeout: { S: r.timeout.onTimeout },
    ttl: { N: String(Math.ceil((expiresAt + retentionMs) / 1000)) },
  };
  const optional = [
    'detectionTitle',
    'decidedBy',
    'decidedAt',
    'executedAt',
    'outcome',
    'undoneBy',
    'undoneAt',
  ] as const;
  for (const key of optional) {
    const value = r[key];
    if (value !== undefined) item[key] = { S: value };
  }
  return item;
}

function fromItem(item: Record<string, AttributeValue>): ApprovalRequest {
  const s = (key: string): string => {
    const value = item[key]?.S;
    if (value === undefined) throw new Error(`approval item ${item.id?.S ?? '?'} has no string '${key}'`);
    return value;
  };
  const optional = (key: string): string | undefined => item[key]?.S;
  const plan = JSON.parse(s('plan')) as {
    action: ApprovalRequest['plan']['action'];
    resourceId: string;
    summary: string;
    calls: PlannedCall[];
  };
  const request: ApprovalRequest = {
    id: s('id'),
    detectionId: s('detectionId'),
    eventId: s('eventId'),
    accountId: s('accountId'),
    region: s('region'),
    plan,
    requestedAt: s('requestedAt'),
    expiresAt: new Date(Number(item.expiresAt?.N)).toISOString(),
    timeout: { timeoutMinutes: Number(item.timeoutMinutes?.N), onTimeout: s('onTimeout') as TimeoutBehaviour },
    status: s('status') as ApprovalStatus,
  };
  const extras: Record<string, string> = {};
  for (const key of ['detectionTitle', 'decidedBy', 'decidedAt', 'executedAt', 'outcome', 'undoneBy', 'undoneAt']) {
    const value = optional(key);
    if (value !== undefined) extras[key] = value;
  }
  return { ...request, ...extras };
}
