/**
 * The remediation audit log in DynamoDB: append-only. Table: partition key `pk` (S) = the action id
 * (`<CloudTrail eventID>:<action>`, what `npm run undo` takes), sort key `sk` (S) = `<ISO time>#<n>-<phase>`,
 * so one Query returns an action's records in the order they happened (decision → snapshot → result →
 * undo). Each record is written with PutItem and `attribute_not_exists(pk)`: an existing record is never
 * overwritten, and this code has no UpdateItem or DeleteItem for the table (the function's IAM policy
 * should not grant them either). No TTL: retention is the table's business (PITR, backups).
 *
 * A refused write is a success when the record in the table is exactly the one being written: that is
 * this very write repeated (an SDK retry after a lost response, a Lambda retry of the same step), and
 * retries must stay idempotent. A different record under the same key is a conflict and is never
 * replaced. The stored record comes back with the refusal (`ReturnValuesOnConditionCheckFailure`), so
 * no read permission is needed.
 *
 * The whole record is stored as JSON in `record`; `phase`, `at`, `actor`, `outcome`, `accountId`,
 * `detectionId` and `eventId` are copied to top-level attributes for the console and PartiQL.
 */
import { type AttributeValue, type DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { AuditPhase, AuditPort, AuditRecord } from '../../core/remediation/orchestrate';
import { AuditConflictError } from '../../errors';
import { isConditionFailure } from './idempotency';

export interface AuditLogOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

/** Order of phases that share a millisecond. */
const PHASE_ORDER: Readonly<Record<AuditPhase, number>> = {
  decision: 1,
  snapshot: 2,
  result: 3,
  'undo-snapshot': 4,
  'undo-result': 5,
};

/** Sort key of a record. */
export const auditSortKey = (r: Pick<AuditRecord, 'at' | 'phase'>): string =>
  `${r.at}#${PHASE_ORDER[r.phase]}-${r.phase}`;

/** Builds the DynamoDB-backed {@link AuditPort}. */
export function makeAuditLog(options: AuditLogOptions): AuditPort {
  const { client, tableName } = options;
  return {
    async append(record) {
      const text = JSON.stringify(record);
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: record.actionId },
              sk: { S: auditSortKey(record) },
              phase: { S: record.phase },
              at: { S: record.at },
              actor: { S: record.actor },
              outcome: { S: record.outcome },
              accountId: { S: record.accountId },
              detectionId: { S: record.detectionId },
              eventId: { S: record.eventId },
              record: { S: text },
            },
            // With a sort key this tests the item with this exact pk and sk: append, never replace.
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const stored = (err as { Item?: Record<string, AttributeValue> }).Item?.['record']?.S;
        if (stored === text) return; // this same record, written by an earlier attempt
        throw new AuditConflictError(
          `audit record ${record.actionId} ${auditSortKey(record)} exists already with ${stored === undefined ? 'unknown' : 'different'} content; it is never replaced`,
          { cause: err },
        );
      }
    },

    async read(actionId) {
      const records: AuditRecord[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: actionId } },
            ConsistentRead: true,
            ScanIndexForward: true,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of out.Items ?? []) {
          const text = item['record']?.S;
          if (text) records.push(JSON.parse(text) as AuditRecord);
        }
        start = out.LastEvaluatedKey;
      } while (start);
      return records;
    },
  };
}
