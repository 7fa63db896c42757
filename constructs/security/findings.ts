/**
 * Findings where security teams already look (issue #15), off unless config/alerting.json `findings`
 * turns them on:
 *
 * - Security Hub: triage imports each finding (BatchImportFindings under the security account's default
 *   custom-product ARN), remediate and approve update its workflow (BatchUpdateFindings on the hub).
 * - The findings stream: a Kinesis Data Firehose delivery stream of OCSF Detection Finding JSON lines into
 *   the findings bucket (SSE-KMS with the security key, public access blocked, TLS only, lifecycle,
 *   partitioned by date under `ocsf/`, failed records under `errors/`), or into an HTTP endpoint (a SIEM)
 *   whose key Firehose reads from Secrets Manager, with the records it refuses backed up to the bucket
 *   (`http-failed/`). An alarm pages the ops topic when a delivery fails.
 *
 * {@link findingsAccess} is what a function needs (environment and least-privilege statements), derived
 * from config alone, so the function parts call it without a reference to the stream.
 */
import type { KmsKey } from '../../framework/aws';
import { CloudwatchMetricAlarm } from '../../framework/aws';
import { IamRole } from '../../framework/aws';
import { IamRolePolicy } from '../../framework/aws';
import { KinesisFirehoseDeliveryStream } from '../../framework/aws';
import { S3Bucket } from '../../framework/aws';
import { S3BucketLifecycleConfiguration } from '../../framework/aws';
import { S3BucketOwnershipControls } from '../../framework/aws';
import { S3BucketPolicy } from '../../framework/aws';
import { S3BucketPublicAccessBlock } from '../../framework/aws';
import { S3BucketServerSideEncryptionConfigurationA } from '../../framework/aws';
import { DEFAULT_FINDINGS_RETENTION_DAYS, streamEnabled } from '../../config/findings';
import { findingsNames } from '../../config/naming';
import { findingsEnvironment, productArn } from '../../handlers/functions/findings';
import { METRIC_NAMESPACE } from '../../handlers/functions/published';
import { policyDocument, type Statement } from '../policy-document';
import type { OpsAlarms } from './alarms';
import type { SecurityContext } from './context';

/** Which function asks: triage creates findings, remediate and approve update them. */
export type FindingsUser = 'triage' | 'remediate' | 'approve';

/** Date partitions of the lake (Athena partition projection reads them, scripts/findings-ddl.ts). */
export const FINDINGS_PREFIX = 'ocsf/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/';
export const FINDINGS_ERROR_PREFIX =
  'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/';

const streamArn = (ctx: SecurityContext) =>
  `arn:aws:firehose:${ctx.region}:${ctx.account}:deliverystream/${findingsNames(ctx.inv).stream}`;
const hubArn = (ctx: SecurityContext) => `arn:aws:securityhub:${ctx.region}:${ctx.account}:hub/default`;

/** The environment and statements a function needs to export findings; empty when findings are off. */
export function findingsAccess(ctx: SecurityContext, user: FindingsUser) {
  const config = ctx.alerting.findings;
  const securityHub = config?.securityHub === true;
  const stream = streamEnabled(config);
  const target = { accountId: ctx.account, region: ctx.region };
  const statements: Statement[] = [
    ...(securityHub && user === 'triage'
      ? [
          {
            Sid: 'ImportFindings',
            Effect: 'Allow' as const,
            Action: 'securityhub:BatchImportFindings',
            Resource: productArn(target),
          },
        ]
      : []),
    ...(securityHub
      ? [
          {
            Sid: 'UpdateFindingWorkflow',
            Effect: 'Allow' as const,
            Action: 'securityhub:BatchUpdateFindings',
            Resource: hubArn(ctx),
          },
        ]
      : []),
    ...(stream
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
  return {
    environment: findingsEnvironment({
      ...(securityHub ? { securityHub: target } : {}),
      ...(stream ? { streamName: findingsNames(ctx.inv).stream } : {}),
    }),
    statements,
  };
}

/**
 * Pages the ops topic when triage could not export a finding after its retries (metric FindingExportFailed:
 * the message went back to the queue and, if it keeps failing, to the triage DLQ). Only when findings are on.
 */
export function findingsExportAlarm(ctx: SecurityContext, alarms: OpsAlarms) {
  const config = ctx.alerting.findings;
  if (config?.securityHub !== true && !streamEnabled(config)) return undefined;
  return alarms.aboveZero(
    'findings-export-failed-alarm',
    `${ctx.prefix}-findings-export-failed`,
    'Triage could not export findings to Security Hub or the findings stream after its retries; the messages ' +
      `were returned to the triage queue (failures per sink in the ${ctx.prefix}-triage logs, "finding not exported").`,
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
