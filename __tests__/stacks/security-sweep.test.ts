/**
 * The trail-log sweep in the security stack (issue #12 "Done when"): the queue the trail bucket notifies, its DLQ and
 * alarms, the function with partial batch failures and bounded concurrency, and its least-privilege role, proven by
 * IAM simulation together with the log-archive bucket policy (cross-account: both must allow).
 */
import { Testing } from '../../framework/cdktf';
import { CATALOG } from '../../rules/catalog';
import { LogArchiveStack } from '../../stacks/log-archive-stack';
import { SecurityStack } from '../../stacks/security-stack';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { simulate } from '../helpers/iam-simulate';
import { onlyResource, policyOf, resourcesOfType, statement, synthJson } from '../helpers/synth';
import { roleNamed, synthesizedRoles } from '../helpers/synthesized-iam';

const tf = synthJson(
  new SecurityStack(Testing.app(), 'security', {
    inventory: TEST_INVENTORY,
    catalog: CATALOG,
    alerting: TEST_ALERTING,
    remediation: TEST_REMEDIATION,
  }),
);
const logArchive = synthJson(new LogArchiveStack(Testing.app(), 'log-archive', { inventory: TEST_INVENTORY }));
const bucketPolicy = policyOf(onlyResource(logArchive, 'aws_s3_bucket_policy'));
/**
 * The trail key's grant to the security account (log-archive stack, SecurityAccountDecryptTrailLogs) without its
 * encryption-context condition, which the simulator does not evaluate for KMS: the role's own conditions decide.
 */
const keyGrant = statement(policyOf(onlyResource(logArchive, 'aws_kms_key')), 'SecurityAccountDecryptTrailLogs');
const { Condition: _context, ...unconditional } = keyGrant;
const keyPolicy = { Version: '2012-10-17', Statement: [unconditional] };
const ACCOUNT = '333333333333';
const BUCKET = 'arn:aws:s3:::vigil-org-trail-222222222222-eu-west-1';
const LOG = `${BUCKET}/AWSLogs/o-test123456/444444444444/CloudTrail/eu-west-1/2026/11/02/x.json.gz`;
const role = roleNamed(synthesizedRoles(tf, ACCOUNT), 'vigil-sweep');
const queues = resourcesOfType(tf, 'aws_sqs_queue');
const alarms = resourcesOfType(tf, 'aws_cloudwatch_metric_alarm');

const decide = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
  simulate({
    principal: role.arn,
    action,
    resource,
    identityPolicies: role.policies as Record<string, unknown>[],
    ...(resource.startsWith('arn:aws:s3') ? { resourcePolicy: bucketPolicy, resourceAccount: '222222222222' } : {}),
    ...(resource.startsWith('arn:aws:kms') ? { resourcePolicy: keyPolicy, resourceAccount: '222222222222' } : {}),
    context,
  });

describe('the sweep queue', () => {
  it('takes notifications from the trail bucket only, with a DLQ after repeated failures', () => {
    const queue = queues.find((q) => q.name === 'vigil-sweep')!;
    expect(JSON.parse(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:vigil-sweep-dlq`,
      maxReceiveCount: 10,
    });
    expect(queues.find((q) => q.name === 'vigil-sweep-dlq')!.message_retention_seconds).toBe(1_209_600);
    const policy = policyOf(resourcesOfType(tf, 'aws_sqs_queue_policy').find((p) => p.queue_url.includes('sweep'))!);
    expect(statement(policy, 'TrailBucketNotificationsOnly')).toMatchObject({
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Condition: {
        ArnEquals: { 'aws:SourceArn': BUCKET },
        StringEquals: { 'aws:SourceAccount': '222222222222' },
      },
    });
  });

  it('is alarmed: DLQ depth, oldest message age, errors, late high/critical findings, digest failures', () => {
    const byName = new Map(alarms.map((a) => [a.alarm_name, a]));
    expect(byName.get('vigil-sweep-dlq-not-empty')!.metric_name).toBe('ApproximateNumberOfMessagesVisible');
    expect(byName.get('vigil-sweep-backlog')).toMatchObject({
      metric_name: 'ApproximateAgeOfOldestMessage',
      threshold: 3600,
    });
    expect(byName.get('vigil-sweep-late-high')).toMatchObject({
      metric_name: 'SweepLateFindings',
      dimensions: { Severity: 'high' },
      threshold: 0,
    });
    expect(byName.get('vigil-sweep-late-critical')!.dimensions).toEqual({ Severity: 'critical' });
    expect(byName.get('vigil-trail-digest-failures')!.metric_name).toBe('DigestFailures');
  });
});

describe('the sweep function', () => {
  it('consumes the queue with partial batch failures and bounded concurrency', () => {
    const fn = resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === 'vigil-sweep')!;
    expect(fn.reserved_concurrent_executions).toBe(10);
    expect(fn.environment.variables).toMatchObject({
      DEDUPE_TABLE: 'vigil-triage-state',
      SWEEP_LEDGER_TABLE: 'vigil-sweep-ledger',
      SWEEP_GRACE_SECONDS: '900',
      SWEEP_QUEUE_URL: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/vigil-sweep`,
    });
    const mapping = resourcesOfType(tf, 'aws_lambda_event_source_mapping').find((m) =>
      String(m.event_source_arn).includes('sweep'),
    )!;
    expect(mapping.function_response_types).toEqual(['ReportBatchItemFailures']);
    expect(mapping.scaling_config.maximum_concurrency).toBe(10);
    const ledger = resourcesOfType(tf, 'aws_dynamodb_table').find((t) => t.name === 'vigil-sweep-ledger')!;
    expect(ledger.ttl).toEqual({ attribute_name: 'expiresAt', enabled: true });
  });

  it('reads the trail prefixes cross-account (role and bucket policy both allow), and nothing else there', async () => {
    expect(await decide('s3:GetObject', LOG)).toBe('Allowed');
    expect(await decide('s3:GetObject', `${BUCKET}/AWSLogs/111111111111/CloudTrail/x.json.gz`)).toBe('Allowed');
    expect(await decide('s3:GetObject', `${BUCKET}/other/x.json.gz`)).toBe('ImplicitlyDenied');
    expect(await decide('s3:PutObject', LOG)).toBe('ImplicitlyDenied');
    expect(await decide('s3:DeleteObject', LOG)).toBe('ImplicitlyDenied');
    expect(await decide('s3:ListBucket', BUCKET, { 's3:prefix': 'AWSLogs/o-test123456/444444444444/' })).toBe(
      'Allowed',
    );
    expect(await decide('s3:ListBucket', BUCKET, { 's3:prefix': '' })).toBe('ImplicitlyDenied');
    expect(await decide('s3:PutBucketPolicy', BUCKET)).toBe('ImplicitlyDenied');
  });

  it('decrypts with the trail key through S3 only, and lists CloudTrail public keys', async () => {
    const key = 'arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const viaS3 = {
      // What S3 passes for an object the org trail wrote (the key policy's grant to the security account).
      'kms:EncryptionContext:aws:cloudtrail:arn': 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/vigil-org-trail',
      'kms:ViaService': 's3.eu-west-1.amazonaws.com',
      'kms:ResourceAliases': ['alias/vigil-org-trail'],
    };
    expect(await decide('kms:Decrypt', key, viaS3)).toBe('Allowed');
    expect(await decide('kms:Decrypt', key, { ...viaS3, 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' })).toBe(
      'ImplicitlyDenied',
    );
    expect(await decide('kms:Decrypt', key, { ...viaS3, 'kms:ResourceAliases': ['alias/other'] })).toBe(
      'ImplicitlyDenied',
    );
    expect(await decide('kms:Encrypt', key, viaS3)).toBe('ImplicitlyDenied');
    expect(await decide('cloudtrail:ListPublicKeys', '*')).toBe('Allowed');
    expect(
      await decide('cloudtrail:StopLogging', 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/vigil-org-trail'),
    ).toBe('ImplicitlyDenied');
  });

  it('writes only the dedupe table and its ledger, and may not assume roles in the members', async () => {
    const table = (n: string) => `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${n}`;
    expect(await decide('dynamodb:PutItem', table('vigil-sweep-ledger'))).toBe('Allowed');
    expect(await decide('dynamodb:PutItem', table('vigil-triage-state'))).toBe('Allowed');
    expect(await decide('dynamodb:Scan', table('vigil-triage-state'))).toBe('ImplicitlyDenied');
    expect(await decide('dynamodb:PutItem', table('vigil-approvals'))).toBe('ImplicitlyDenied');
    expect(await decide('sts:AssumeRole', 'arn:aws:iam::444444444444:role/vigil-readonly')).toBe('ImplicitlyDenied');
  });
});
