/**
 * Responder verdicts in the remediation audit table (append-only, point-in-time recovery, the approve
 * function may already only PutItem and Query there). Partition key `pk` = `verdict#<detectionId>`, so one
 * Query returns a detection's verdicts; sort key `sk` = `<ISO time>#<eventId>#<actor>`: every click is
 * kept (a responder who changes their mind adds a record; the latest per alert and person counts). The
 * remediation audit's own keys are `<CloudTrail eventID>:<action>`, which never start with `verdict#`.
 * `npm run replay -- --verdicts <file>` reads a scan of these items (README, "Responder verdicts").
 */
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { VerdictRecord } from '../core/verdict';

/** Partition key of a detection's verdicts. */
export const verdictKey = (detectionId: string): string => `verdict#${detectionId}`;

export function makeVerdictStore(o: { readonly client: DynamoDBClient; readonly tableName: string }) {
  return async (record: VerdictRecord): Promise<void> => {
    await o.client
      .send(
        new PutItemCommand({
          TableName: o.tableName,
          Item: {
            pk: { S: verdictKey(record.detectionId) },
            sk: { S: `${record.at}#${record.eventId}#${record.actor}` },
            at: { S: record.at },
            actor: { S: record.actor },
            detectionId: { S: record.detectionId },
            accountId: { S: record.accountId },
            eventId: { S: record.eventId },
            verdict: { S: record.verdict },
            record: { S: JSON.stringify(record) },
          },
          // Append, never replace (the same click retried writes the same item, which the condition refuses).
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((err: unknown) => {
        if ((err as { name?: string })?.name === 'ConditionalCheckFailedException') return undefined;
        throw err;
      });
  };
}
