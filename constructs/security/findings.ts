/**
 * Findings where security teams already look (issue #15), off unless config/alerting.json `findings`
 * turns them on:
 *
 * - The findings queue and function: triage puts each finding, remediate and approve its lifecycle updates,
 *   on a FIFO queue (group = finding id); the findings function alone exports them ({@link findingsExport}).
 * - Security Hub: the findings function imports each finding (BatchImportFindings under the security
 *   account's default custom-product ARN) and updates its workflow (BatchUpdateFindings on the hub).
 * - The findings stream: a Kinesis Data Firehose delivery stream of OCSF Detection Finding JSON lines into
 *   the findings bucket (SSE-KMS with the security key, public access blocked, TLS only, lifecycle,
 *   partitioned by date under `ocsf/`, failed records under `errors/`), or into an HTTP endpoint (a SIEM)
 *   whose key Firehose reads from Secrets Manager, with the records it refuses backed up to the bucket
 *   (`http-failed/`). An alarm pages the ops topic when a delivery fails.
 *
 * {@link findingsAccess} is what a producer needs (the queue's URL and SendMessage on it), derived from
 * config alone, so the function parts call it without a reference to the queue.
 */
import type { KmsKey } from '../../framework/aws';
import { CloudwatchMetricAlarm } from '../../framework/aws';
import { IamRole } from '../../framework/aws';
import { IamRolePolicy } from '../../framework/aws';
import { KinesisFirehoseDeliveryStream } from '../../framework/aws';
import { LambdaEventSourceMapping } from '../../framework/aws';
import { S3Bucket } from '../../framework/aws';
import { S3BucketLifecycleConfiguration } from '../../framework/aws';
import { S3BucketOwnershipControls } from '../../framework/aws';
import { S3BucketPolicy } from '../../framework/aws';
import { S3BucketPublicAccessBlock } from '../../framework/aws';
import { S3BucketServerSideEncryptionConfigurationA } from '../../framework/aws';
import { DEFAULT_FINDINGS_RETENTION_DAYS, streamEnabled } from '../../config/findings';
import { deadLetterQueueName, findingsNames, functionNames, queueNames } from '../../config/naming';
import { findingsEnvironment, findingsQueueEnvironment, productArn } from '../../handlers/functions/findings';
import { METRIC_NAMESPACE } from '../../handlers/functions/published';
import { join } from 'node:path';
import { NodeFunction } from '../node-function';
import { policyDocument, type Statement } from '../policy-document';
import type { OpsAlarms } from './alarms';
import { queueWithDlq, type SecurityContext, useKey } from './context';

/** Date partitions of the lake (Athena partition projection reads them, scripts/findings-ddl.ts). */
export const FINDINGS_PREFIX = 'ocsf/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/';
export const FINDINGS_ERROR_PREFIX =
  'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/';

/** Time for one batch of ten records, with the port's retries of throttled calls. */
export const FINDINGS_TIMEOUT_SECONDS = 60;
/** Deliveries of a record before the DLQ: about half an hour of destination outage (visibility 6 × timeout). */
export const FINDINGS_MAX_RECEIVE_COUNT = 5;
/** Functions at once: Security Hub's BatchImportFindings and BatchUpdateFindings allow 10 requests/s per account. */
export const FINDINGS_MAX_CONCURRENCY = 2;
/** Backlog alarm: the oldest record waited longer than this. */
export const FINDINGS_BACKLOG_SECONDS = 900;

const streamArn = (ctx: SecurityContext) =>
  `arn:aws:firehose:${ctx.region}:${ctx.account}:deliverystream/${findingsNames(ctx.inv).stream}`;
const hubArn = (ctx: SecurityContext) => `arn:aws:securityhub:${ctx.region}:${ctx.account}:hub/default`;
const queueArn = (ctx: SecurityContext) => `arn:aws:sqs:${ctx.region}:${ctx.account}:${queueNames(ctx.inv).findings}`;
const queueUrl = (ctx: SecurityContext) =>
  `https://sqs.${ctx.region}.amazonaws.com/${ctx.account}/${queueNames(ctx.inv).findings}`;

/** Whether config/alerting.json `findings` turns any destination on. */
export const findingsOn = (ctx: SecurityContext): boolean =>
  ctx.alerting.findings?.securityHub === true || streamEnabled(ctx.alerting.findings);

/**
 * The environment and statement a producer needs: the findings queue's URL and SendMessage on that queue
 * (its messages are encrypted with the security key, which the producers already use). Empty when findings
 * are off. No producer may call Security Hub or Firehose: only the findings function does.
 */
export function findingsAccess(ctx: SecurityContext) {
  if (!findingsOn(ctx)) return { environment: {}, statements: [] as Statement[] };
  return {
    environment: findingsQueueEnvironment(queueUrl(ctx)),
    statements: [
      { Sid: 'EnqueueFindings', Effect: 'Allow' as const, Action: 'sqs:SendMessage', Resource: queueArn(ctx) },
    ] as Statement[],
  };
}

/** What the findings function may call: the destinations config turns on, and nothing else. */
function exportStatements(ctx: SecurityContext): Statement[] {
  const config = ctx.alerting.findings;
  const target = { accountId: ctx.account, region: ctx.region };
  return [
    ...(config?.securityHub === true
      ? [
          {
            Sid: 'ImportFindings',
            Effect: 'Allow' as const,
            Action: 'securityhub:BatchImportFindings',
            Resource: productArn(target),
          },
          {
            Sid: 'UpdateFindingWorkflow',
            Effect: 'Allow' as const,
            Action: 'securityhub:BatchUpdateFindings',
            Resource: hubArn(ctx),
          },
        ]
      : []),
    ...(streamEnabled(config)
      ? [
          {
            Sid: 'StreamFindings',
            Effect: 'Allow' as const,
            Action: 'firehose:PutRecordBatch',
            Resource: streamArn(ctx),
          },
        ]
      : []),
  ];
}

/**
 * The findings queue (FIFO, group = finding id, SSE-KMS with the security key) and its DLQ, the findings
 * function that exports its records (ReportBatchItemFailures, bounded concurrency), and its alarms: DLQ not
 * empty, function errors, backlog. Nothing when findings are off.
 */
export function findingsExport(ctx: SecurityContext, key: KmsKey, alarms: OpsAlarms) {
  if (!findingsOn(ctx)) return undefined;
  const { provider, inv, alerting, region, account } = ctx;
  const name = functionNames(inv).findings;
  const queueName = queueNames(inv).findings;
  const dlqName = deadLetterQueueName(queueName);
  const config = alerting.findings!;
  const { queue } = queueWithDlq(
    ctx,
    key,
    'findings',
    queueName,
    6 * FINDINGS_TIMEOUT_SECONDS,
    FINDINGS_MAX_RECEIVE_COUNT,
    { fifo: true },
  );
  const fn = new NodeFunction(ctx.scope, 'findings', {
    provider,
    functionName: name,
    entry: join(ctx.entrypoints, 'findings.ts'),
    accountId: account,
    region,
    timeoutSeconds: FINDINGS_TIMEOUT_SECONDS,
    reservedConcurrency: FINDINGS_MAX_CONCURRENCY,
    logRetentionDays: alerting.logRetentionDays ?? 365,
    environment: findingsEnvironment({
      ...(config.securityHub === true ? { securityHub: { accountId: account, region } } : {}),
      ...(streamEnabled(config) ? { streamName: findingsNames(inv).stream } : {}),
    }),
    statements: [
      {
        Sid: 'ConsumeFindingsQueue',
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
        Resource: queueArn(ctx),
      },
      // The queue's messages are encrypted with the security key.
      useKey(key),
      ...exportStatements(ctx),
    ],
  });
  new LambdaEventSourceMapping(ctx.scope, 'findings-source', {
    provider,
    eventSourceArn: queue.arn,
    functionName: fn.function.arn,
    // Ten is the most a FIFO source takes; a FIFO source has no batching window.
    batchSize: 10,
    // Failed records come back alone; SQS FIFO holds a failed finding's later records back until they do.
    functionResponseTypes: ['ReportBatchItemFailures'],
    scalingConfig: { maximumConcurrency: FINDINGS_MAX_CONCURRENCY },
  });

  alarms.onErrors(name, 'finding records are being retried and may reach the findings DLQ.');
  alarms.onDlq(
    'findings-dlq-alarm',
    dlqName,
    'Finding records that could not be exported to Security Hub or the findings stream (or were malformed) ' +
      `wait in the findings DLQ, in order; the reasons are in the ${name} logs.`,
  );
  alarms.onBacklog(
    'findings-backlog-alarm',
    queueName,
    FINDINGS_BACKLOG_SECONDS,
    `The oldest finding record waited more than ${FINDINGS_BACKLOG_SECONDS / 60} minutes: Security Hub or the findings ` +
      `stream is refusing or throttling the ${name} function.`,
  );
  return { queue, function: fn };
}

/**
 * Pages the ops topic when triage could not put a finding on the findings queue after its retries (metric
 * FindingExportFailed: the message went back to the triage queue and, if it keeps failing, to the triage
 * DLQ). Only when findings are on.
 */
export function findingsExportAlarm(ctx: SecurityContext, alarms: OpsAlarms) {
  if (!findingsOn(ctx)) return undefined;
  return alarms.aboveZero(
    'findings-export-failed-alarm',
    `${ctx.prefix}-findings-export-failed`,
    'Triage could not put findings on the findings queue after its retries; the messages were returned to the ' +
      `triage queue (the error in the ${ctx.prefix}-triage logs, "finding not exported").`,
    { namespace: METRIC_NAMESPACE, metricName: 'FindingExportFailed', statistic: 'Sum', period: 300 },
  );
}

/** The findings bucket, the delivery stream and its role, and the delivery alarm; nothing when the stream is off. */
export function findingsDelivery(ctx: SecurityContext, key: KmsKey, alarms: OpsAlarms) {
  const config = ctx.alerting.findings;
  if (!streamEnabled(config)) return undefined;
  const { provider, scope } = ctx;
  const names = findingsNames(ctx.inv);
  const stream = config!.stream!;
  const bucketArn = `arn:aws:s3:::${names.bucket}`;

  const bucket = new S3Bucket(scope, 'findings-bucket', { provider, bucket: names.bucket, forceDestroy: false });
  new S3BucketServerSideEncryptionConfigurationA(scope, 'findings-bucket-encryption', {
    provider,
    bucket: bucket.id,
    rule: [
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.arn },
        bucketKeyEnabled: true,
      },
    ],
  });
  const publicAccessBlock = new S3BucketPublicAccessBlock(scope, 'findings-bucket-public-access-block', {
    provider,
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(scope, 'findings-bucket-ownership', {
    provider,
    bucket: bucket.id,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  new S3BucketLifecycleConfiguration(scope, 'findings-bucket-lifecycle', {
    provider,
    bucket: bucket.id,
    rule: [
      {
        id: 'expire-findings',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        expiration: [{ days: stream.retentionDays ?? DEFAULT_FINDINGS_RETENTION_DAYS }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
      },
    ],
  });
  new S3BucketPolicy(scope, 'findings-bucket-policy', {
    provider,
    bucket: bucket.id,
    dependsOn: [publicAccessBlock],
    policy: policyDocument([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]),
  });

  const role = new IamRole(scope, 'findings-delivery-role', {
    provider,
    name: names.firehoseRole,
    assumeRolePolicy: policyDocument([
      {
        Effect: 'Allow',
        Sid: 'FirehoseDelivers',
        Principal: { Service: 'firehose.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ctx.account } },
      },
    ]),
  });
  const http = stream.httpEndpoint;
  // config/findings.ts requires the full ARN: Firehose names the secret by ARN.
  const secretArn = http ? http.accessKeyRef.slice('secretsmanager:'.length) : undefined;
  const rolePolicy = new IamRolePolicy(scope, 'findings-delivery-policy', {
    provider,
    role: role.name,
    name: 'deliver-findings',
    policy: policyDocument([
      {
        Sid: 'WriteFindingsBucket',
        Effect: 'Allow',
        Action: [
          's3:PutObject',
          's3:AbortMultipartUpload',
          's3:GetBucketLocation',
          's3:ListBucket',
          's3:ListBucketMultipartUploads',
        ],
        Resource: [bucketArn, `${bucketArn}/*`],
      },
      {
        Sid: 'EncryptFindings',
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: key.arn,
        Condition: { StringEquals: { 'kms:ViaService': `s3.${ctx.region}.amazonaws.com` } },
      },
      ...(secretArn
        ? [
            {
              Sid: 'ReadEndpointKey',
              Effect: 'Allow' as const,
              Action: 'secretsmanager:GetSecretValue',
              Resource: secretArn,
            },
          ]
        : []),
    ]),
  });

  const s3 = {
    roleArn: role.arn,
    bucketArn: bucket.arn,
    kmsKeyArn: key.arn,
    compressionFormat: 'GZIP',
    bufferingInterval: 300,
    bufferingSize: 5,
  };
  const deliveryStream = new KinesisFirehoseDeliveryStream(scope, 'findings-stream', {
    provider,
    name: names.stream,
    dependsOn: [rolePolicy],
    serverSideEncryption: { enabled: true, keyType: 'AWS_OWNED_CMK' },
    ...(http
      ? {
          destination: 'http_endpoint',
          httpEndpointConfiguration: {
            url: http.url,
            name: http.name,
            roleArn: role.arn,
            s3BackupMode: 'FailedDataOnly',
            retryDuration: 3600,
            bufferingInterval: 60,
            bufferingSize: 1,
            requestConfiguration: { contentEncoding: 'GZIP' },
            secretsManagerConfiguration: { enabled: true, secretArn: secretArn!, roleArn: role.arn },
            s3Configuration: { ...s3, prefix: 'http-failed/', errorOutputPrefix: FINDINGS_ERROR_PREFIX },
          },
        }
      : {
          destination: 'extended_s3',
          extendedS3Configuration: { ...s3, prefix: FINDINGS_PREFIX, errorOutputPrefix: FINDINGS_ERROR_PREFIX },
        }),
  });

  const metricName = http ? 'DeliveryToHttpEndpoint.Success' : 'DeliveryToS3.Success';
  new CloudwatchMetricAlarm(scope, 'findings-delivery-alarm', {
    provider,
    alarmName: `${names.stream}-delivery-failing`,
    alarmDescription:
      `The findings stream ${names.stream} failed to deliver records (${metricName} below 1). Failed records are in ` +
      `s3://${names.bucket}/${http ? 'http-failed/' : 'errors/'}; fix the destination, then replay them.`,
    namespace: 'AWS/Firehose',
    metricName,
    dimensions: { DeliveryStreamName: names.stream },
    statistic: 'Minimum',
    period: 300,
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: 'LessThanThreshold',
    treatMissingData: 'notBreaching',
    alarmActions: [alarms.topic.arn],
    okActions: [alarms.topic.arn],
  });
  return { bucket, deliveryStream, role };
}
