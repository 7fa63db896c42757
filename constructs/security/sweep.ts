/**
 * The trail-log sweep (issue #12, docs/sweep.md), in the security account: the `sweep` function reads the org
 * trail's objects cross-account from the log-archive bucket, runs the triage engine over them in sweep mode (same
 * dedupe table, notifier, remediation queue and digest as triage) and validates the digest chain.
 *
 * Why the security account rather than log-archive: the decision engine's state (the dedupe table real time
 * writes), the alert secrets and the remediation queue live here, and the sweep must share them to tell "confirmed"
 * from "late" with the same key. Reading the trail cross-account takes one bucket-policy grant scoped to the trail's
 * prefixes and the key policy's existing grant to the security account; moving the engine's state would take far
 * more. Log-archive keeps holding nothing but the logs.
 *
 * Wiring: the bucket's S3 event notifications (log-archive stack, `s3:ObjectCreated:*` under `AWSLogs/<org id>/`
 * and `AWSLogs/<management account>/`) → the `<prefix>-sweep` queue (SSE-SQS: S3 cannot use the security key
 * without a key-policy grant to the S3 service) with a DLQ → the function (ReportBatchItemFailures, bounded
 * concurrency). Alarms: DLQ not empty, oldest message age (backlog), function errors, any late finding of high or
 * critical severity, any digest failure.
 */
import { join } from 'node:path';
import { type KmsKey, LambdaEventSourceMapping, SqsQueue, SqsQueuePolicy } from '../../framework/aws';
import { secretRefs } from '../../config/alerting';
import {
  deadLetterQueueName,
  functionNames,
  queueNames,
  tableNames,
  trailBucketName,
  trailKeyAlias,
} from '../../config/naming';
import { sweepEnvironment } from '../../handlers/functions/sweep/spec';
import { METRIC_NAMESPACE } from '../../handlers/functions/published';
import { optional } from '../../handlers/functions/settings';
import { NodeFunction } from '../node-function';
import { policyDocument, type Statement } from '../policy-document';
import type { OpsAlarms } from './alarms';
import { type SecurityContext, secureTable, tableArn, useKey } from './context';
import { secretReadStatements } from './secret-access';

/** A log file of 10,000 records takes well under a second; digests read a few objects more. */
export const SWEEP_TIMEOUT_SECONDS = 120;
/** Functions at once: bounds the read load on the bucket and the write load on the dedupe table. */
export const SWEEP_MAX_CONCURRENCY = 10;
/** Deliveries before the DLQ: a message is deferred once or twice during the grace period, then swept. */
export const SWEEP_MAX_RECEIVE_COUNT = 10;
/** Backlog alarm: the oldest notification waited longer than this (the grace period plus two deferrals). */
export const SWEEP_BACKLOG_SECONDS = 3600;

/** The trail prefixes the org trail writes to (stacks/log-archive-stack.ts): the sweep reads these and nothing else. */
export function trailPrefixes(inv: { readonly organizationId: string; readonly managementAccountId: string }) {
  return [`AWSLogs/${inv.organizationId}/`, `AWSLogs/${inv.managementAccountId}/`];
}

export interface SweepProps {
  readonly key: KmsKey;
  readonly alertTopicArn: string;
  readonly readInventory: Statement;
  readonly alarms: OpsAlarms;
}

export function trailSweep(ctx: SecurityContext, props: SweepProps) {
  const { provider, inv, alerting, region, account, prefix: p } = ctx;
  const name = functionNames(inv).sweep;
  const queueName = queueNames(inv).sweep;
  const dlqName = deadLetterQueueName(queueName);
  const queueArn = `arn:aws:sqs:${region}:${account}:${queueName}`;
  const bucket = trailBucketName(inv);
  const ledger = secureTable(ctx, props.key, 'sweep-ledger', {
    name: tableNames(inv).sweepLedger,
    hashKey: 'pk',
    attribute: [{ name: 'pk', type: 'S' }],
    ttl: { attributeName: 'expiresAt', enabled: true },
  });

  const dlq = new SqsQueue(ctx.scope, 'sweep-dlq', {
    provider,
    name: dlqName,
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: 1_209_600,
  });
  const queue = new SqsQueue(ctx.scope, 'sweep-queue', {
    provider,
    name: queueName,
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: 345_600,
    // Six times the timeout (AWS's advice for Lambda sources); deferrals set their own delay.
    visibilityTimeoutSeconds: 6 * SWEEP_TIMEOUT_SECONDS,
    redrivePolicy: JSON.stringify({
      deadLetterTargetArn: `arn:aws:sqs:${region}:${account}:${dlqName}`,
      maxReceiveCount: SWEEP_MAX_RECEIVE_COUNT,
    }),
    dependsOn: [dlq],
  });
  new SqsQueuePolicy(ctx.scope, 'sweep-queue-policy', {
    provider,
    queueUrl: queue.url,
    policy: policyDocument([
      {
        Sid: 'TrailBucketNotificationsOnly',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: {
          ArnEquals: { 'aws:SourceArn': `arn:aws:s3:::${bucket}` },
          StringEquals: { 'aws:SourceAccount': inv.logArchiveAccountId },
        },
      },
    ]),
  });

  const d = alerting.default;
  const fn = new NodeFunction(ctx.scope, 'sweep', {
    provider,
    functionName: name,
    entry: join(ctx.entrypoints, 'sweep.ts'),
    accountId: account,
    region,
    timeoutSeconds: SWEEP_TIMEOUT_SECONDS,
    memorySize: 1024,
    reservedConcurrency: SWEEP_MAX_CONCURRENCY,
    logRetentionDays: alerting.logRetentionDays ?? 365,
    files: { 'owner-routing.json': `${JSON.stringify(alerting.owners ?? {})}\n` },
    environment: sweepEnvironment({
      tableName: tableNames(inv).triageState,
      inventoryTable: tableNames(inv).inventory,
      defaultRouting: {
        emailTopicArn: props.alertTopicArn,
        ...optional('slackChannel', d.slackChannel),
        ...optional('slackWebhookRef', d.slackWebhookRef),
        ...optional('slackBotTokenRef', d.slackBotTokenRef),
        ...optional('slackChannelId', d.slackChannelId),
        ...optional('pagerdutyRoutingKeyRef', d.pagerdutyRoutingKeyRef),
      },
      ownerRoutingFile: 'owner-routing.json',
      remediationQueueUrl: `https://sqs.${region}.amazonaws.com/${account}/${queueNames(inv).remediation}`,
      pagerDutyMinSeverity: alerting.pagerdutyMinSeverity ?? 'high',
      repeatWindowSeconds: alerting.repeatWindowSeconds ?? 900,
      digestTableName: tableNames(inv).digest,
      verdictButtons: alerting.approvals?.slackSigningSecretRef !== undefined,
      ledgerTable: tableNames(inv).sweepLedger,
      graceSeconds: 900,
      ledgerTtlDays: 90,
      queueUrl: `https://sqs.${region}.amazonaws.com/${account}/${queueName}`,
    }),
    statements: [
      {
        Sid: 'ConsumeSweepQueue',
        Effect: 'Allow',
        // ChangeMessageVisibility: a file with a finding inside the grace period comes back when it ends.
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
        Resource: queueArn,
      },
      {
        Sid: 'ReadTrailObjects',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: trailPrefixes(inv).map((x) => `arn:aws:s3:::${bucket}/${x}*`),
      },
      {
        // Without it S3 answers a missing key with AccessDenied, and a deleted log file looks like a permission gap.
        Sid: 'ListTrailPrefixes',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: `arn:aws:s3:::${bucket}`,
        Condition: { StringLike: { 's3:prefix': trailPrefixes(inv).map((x) => `${x}*`) } },
      },
      {
        Sid: 'DecryptTrailObjects',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: `arn:aws:kms:${inv.homeRegion}:${inv.logArchiveAccountId}:key/*`,
        Condition: {
          'ForAnyValue:StringEquals': { 'kms:ResourceAliases': trailKeyAlias(inv) },
          StringEquals: { 'kms:ViaService': `s3.${inv.homeRegion}.amazonaws.com` },
        },
      },
      {
        Sid: 'DigestPublicKeys',
        Effect: 'Allow',
        // ListPublicKeys has no resource type: it lists CloudTrail's own signing keys of a region.
        Action: 'cloudtrail:ListPublicKeys',
        Resource: '*',
      },
      {
        Sid: 'DedupeState',
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: tableArn(ctx, tableNames(inv).triageState),
      },
      {
        Sid: 'SweepLedger',
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'],
        Resource: tableArn(ctx, tableNames(inv).sweepLedger),
      },
      {
        Sid: 'RecordDigestEntries',
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: tableArn(ctx, tableNames(inv).digest),
      },
      { Sid: 'PublishAlertEmail', Effect: 'Allow', Action: 'sns:Publish', Resource: props.alertTopicArn },
      {
        Sid: 'RequestRemediation',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: `arn:aws:sqs:${region}:${account}:${queueNames(inv).remediation}`,
      },
      props.readInventory,
      useKey(props.key),
      ...secretReadStatements(secretRefs(alerting), region, account),
    ],
  });
  new LambdaEventSourceMapping(ctx.scope, 'sweep-source', {
    provider,
    eventSourceArn: queue.arn,
    functionName: fn.function.arn,
    batchSize: 10,
    maximumBatchingWindowInSeconds: 5,
    functionResponseTypes: ['ReportBatchItemFailures'],
    scalingConfig: { maximumConcurrency: SWEEP_MAX_CONCURRENCY },
    dependsOn: [ledger],
  });

  const alarms = props.alarms;
  alarms.onErrors(name, 'trail objects are being retried and may reach the sweep DLQ.');
  alarms.onDlq('sweep-dlq-alarm', dlqName, 'Trail objects the sweep could not process: their findings are unchecked.');
  alarms.onBacklog(
    'sweep-backlog-alarm',
    queueName,
    SWEEP_BACKLOG_SECONDS,
    `The oldest trail notification waited more than ${SWEEP_BACKLOG_SECONDS / 60} minutes: the sweep is falling behind.`,
  );
  for (const severity of ['high', 'critical'] as const) {
    alarms.aboveZero(
      `sweep-late-${severity}-alarm`,
      `${p}-sweep-late-${severity}`,
      `Real time missed a ${severity} finding the sweep caught (alerted late); see the ${name} logs ("late finding").`,
      {
        namespace: METRIC_NAMESPACE,
        metricName: 'SweepLateFindings',
        dimensions: { Severity: severity },
        statistic: 'Sum',
        period: 300,
      },
    );
  }
  alarms.aboveZero(
    'digest-failures-alarm',
    `${p}-trail-digest-failures`,
    'The sweep found a trail log file or digest missing, modified or not written by the trail (tamper evidence).',
    { namespace: METRIC_NAMESPACE, metricName: 'DigestFailures', statistic: 'Sum', period: 300 },
  );
  return { sweep: fn, queue, dlq, ledger };
}
