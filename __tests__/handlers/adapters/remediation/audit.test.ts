import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { auditSortKey, makeAuditLog } from '../../../../handlers/adapters/remediation/audit';
import type { AuditRecord } from '../../../../handlers/core/remediation/orchestrate';
import { AuditConflictError } from '../../../../handlers/errors';
import 'aws-sdk-client-mock-jest';

const dynamo = mockClient(DynamoDBClient);
const log = () => makeAuditLog({ client: new DynamoDBClient({}), tableName: 'vigil-remediation-audit' });

const snapshot: AuditRecord = {
  actionId: 'evt-1:restart-trail-logging',
  phase: 'snapshot',
  at: '2026-11-28T12:00:00.000Z',
  actor: 'vigil',
  eventId: 'evt-1',
  detectionId: 'cloudtrail-logging-stopped',
  action: 'restart-trail-logging',
  accountId: '110000000011',
  region: 'eu-west-1',
  mode: 'auto',
  outcome: 'in-progress',
  reason: 'about to start logging',
  calls: [{ service: 'cloudtrail', operation: 'StartLogging', input: { Name: 'trail' }, region: 'eu-west-1' }],
  snapshot: { trailArn: 'arn:aws:cloudtrail:eu-west-1:110000000011:trail/t', homeRegion: 'eu-west-1' },
};

beforeEach(() => dynamo.reset());

describe('makeAuditLog', () => {
  it('appends with a PutItem that can never overwrite a record (record id = action id)', async () => {
    dynamo.on(PutItemCommand).resolves({});

    await log().append(snapshot);

    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: 'vigil-remediation-audit',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: expect.objectContaining({
        pk: { S: 'evt-1:restart-trail-logging' },
        sk: { S: '2026-11-28T12:00:00.000Z#2-snapshot' },
        actor: { S: 'vigil' },
        outcome: { S: 'in-progress' },
        record: { S: JSON.stringify(snapshot) },
      }),
    });
    expect(dynamo).not.toHaveReceivedCommand(UpdateItemCommand);
    expect(dynamo).not.toHaveReceivedCommand(DeleteItemCommand);
  });

  it('fails when the record exists already, instead of replacing it', async () => {
    dynamo.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    await expect(log().append(snapshot)).rejects.toThrow(AuditConflictError);
  });

  it('fails when a different record exists under the same key, and never replaces it', async () => {
    const other = { ...snapshot, reason: 'something else' };
    dynamo.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'exists',
        $metadata: {},
        Item: { record: { S: JSON.stringify(other) } },
      }),
    );

    await expect(log().append(snapshot)).rejects.toThrow(/exists already with different content; it is never replaced/);
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 1);
    expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
  });

  it('succeeds when the identical record is already there (a retried write stays idempotent)', async () => {
    dynamo
      .on(PutItemCommand)
      .resolvesOnce({})
      .rejects(
        new ConditionalCheckFailedException({
          message: 'exists',
          $metadata: {},
          Item: { record: { S: JSON.stringify(snapshot) } },
        }),
      );
    const audit = log();

    await audit.append(snapshot);
    await expect(audit.append(structuredClone(snapshot))).resolves.toBeUndefined();
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 2);
    expect(dynamo).not.toHaveReceivedCommand(UpdateItemCommand);
  });

  it('orders records of the same millisecond by phase', () => {
    const keys = (['result', 'snapshot', 'decision'] as const).map((phase) => auditSortKey({ at: snapshot.at, phase }));
    expect([...keys].sort()).toEqual([keys[2], keys[1], keys[0]]);
  });

  it('reads every record of an action, oldest first, across pages', async () => {
    const result = { ...snapshot, phase: 'result' as const, outcome: 'fixed' as const };
    dynamo
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ record: { S: JSON.stringify(snapshot) } }],
        LastEvaluatedKey: { pk: { S: 'x' }, sk: { S: 'y' } },
      })
      .resolvesOnce({ Items: [{ record: { S: JSON.stringify(result) } }] });

    expect(await log().read('evt-1:restart-trail-logging')).toEqual([snapshot, result]);
    expect(dynamo).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(dynamo).toHaveReceivedNthSpecificCommandWith(1, QueryCommand, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: 'evt-1:restart-trail-logging' } },
      ConsistentRead: true,
      ScanIndexForward: true,
    });
    expect(dynamo).toHaveReceivedNthSpecificCommandWith(2, QueryCommand, {
      ExclusiveStartKey: { pk: { S: 'x' }, sk: { S: 'y' } },
    });
  });
});
