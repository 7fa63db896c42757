/**
 * What every part of the security stack shares. The parts (this folder) are read one concern at a
 * time, but they create their resources directly in the stack (`scope`), not in child constructs:
 * every resource keeps the address (Terraform logical id) it had when the stack was one constructor,
 * so a deployed security stack plans no change from the split, and a table protected from deletion is
 * never asked to move.
 */
import { DynamodbTable, type DynamodbTableConfig } from '../../framework/aws';
import type { KmsKey } from '../../framework/aws';
import type { AwsProvider } from '../../framework/aws';
import { SqsQueue } from '../../framework/aws';
import type { TerraformStack } from '../../framework/cdktf';
import type { AlertingConfig } from '../../config/alerting';
import type { OrgInventory } from '../../config/inventory';
import { deadLetterQueueName } from '../../config/naming';
import type { RemediationConfig } from '../../config/remediation';
import type { Statement } from '../policy-document';

export interface SecurityContext {
  /** The security stack: parts create their resources in it (see the module comment). */
  readonly scope: TerraformStack;
  readonly provider: AwsProvider;
  readonly inv: OrgInventory;
  readonly alerting: AlertingConfig;
  readonly remediation: RemediationConfig;
  /** The security account's home region and id, and the name prefix. */
  readonly region: string;
  readonly account: string;
  readonly prefix: string;
  /** Folder of the Lambda entrypoints. */
  readonly entrypoints: string;
}

/** ARN of a table of the security account. */
export const tableArn = (ctx: SecurityContext, name: string) =>
  `arn:aws:dynamodb:${ctx.region}:${ctx.account}:table/${name}`;

/** Use of the security key (queues, tables and topics are encrypted with it). */
export const useKey = (key: KmsKey): Statement => ({
  Sid: 'UseSecurityKey',
  Effect: 'Allow',
  Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
  Resource: key.arn,
});

/**
 * A work queue and its dead-letter queue, both SSE-KMS with the security key. The work queue keeps
 * messages 4 days and moves one to the DLQ (kept 14 days, alarmed) after `maxReceiveCount` tries.
 * `fifo`: both are FIFO queues (`name` ends in `.fifo`) in high-throughput mode (deduplication and
 * throughput per message group); senders give each message's deduplication id.
 */
export function queueWithDlq(
  ctx: SecurityContext,
  key: KmsKey,
  id: string,
  name: string,
  visibilityTimeoutSeconds: number,
  maxReceiveCount: number,
  options: { readonly fifo?: boolean } = {},
) {
  const fifo = options.fifo
    ? {
        fifoQueue: true,
        contentBasedDeduplication: false,
        deduplicationScope: 'messageGroup',
        fifoThroughputLimit: 'perMessageGroupId',
      }
    : {};
  if (Boolean(options.fifo) !== name.endsWith('.fifo')) {
    throw new Error(`queue '${name}': a FIFO queue's name must end in .fifo, and only a FIFO queue's may`);
  }
  const encrypted = { provider: ctx.provider, kmsMasterKeyId: key.arn, kmsDataKeyReusePeriodSeconds: 300, ...fifo };
  const dlq = new SqsQueue(ctx.scope, `${id}-dlq`, {
    ...encrypted,
    name: deadLetterQueueName(name),
    messageRetentionSeconds: 1_209_600,
  });
  const queue = new SqsQueue(ctx.scope, `${id}-queue`, {
    ...encrypted,
    name,
    messageRetentionSeconds: 345_600,
    visibilityTimeoutSeconds,
    redrivePolicy: JSON.stringify({
      deadLetterTargetArn: `arn:aws:sqs:${ctx.region}:${ctx.account}:${deadLetterQueueName(name)}`,
      maxReceiveCount,
    }),
    dependsOn: [dlq],
  });
  return { queue, dlq };
}

/** The per-table part of a DynamoDB table; encryption, billing and protection are the same for all. */
type TableShape = 'name' | 'hashKey' | 'rangeKey' | 'attribute' | 'ttl' | 'globalSecondaryIndex';

/** Every vigil table: on demand, encrypted with the security key, point-in-time recovery, protected from deletion. */
export const secureTable = (
  ctx: SecurityContext,
  key: KmsKey,
  id: string,
  config: Pick<DynamodbTableConfig, TableShape>,
) =>
  new DynamodbTable(ctx.scope, id, {
    provider: ctx.provider,
    billingMode: 'PAY_PER_REQUEST',
    ...config,
    serverSideEncryption: { enabled: true, kmsKeyArn: key.arn },
    pointInTimeRecovery: { enabled: true },
    deletionProtectionEnabled: true,
  });
