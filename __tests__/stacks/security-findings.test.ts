/**
 * Findings to Security Hub and the findings stream (issue #15) in the security stack: off by default;
 * on, the Firehose stream into an encrypted, private, date-partitioned findings bucket (or an HTTP
 * endpoint with the bucket as backup), the delivery alarm, the functions' settings, and least privilege
 * evaluated with the IAM simulator.
 */
import { Testing } from '../../framework/cdktf';
import type { AlertingConfig } from '../../config/alerting';
import { findingsProblems } from '../../config/findings';
import { grantStatements, grantsFor, withAccount } from '../../derive/deploy-permissions';
import { CATALOG } from '../../rules/catalog';
import { SecurityStack } from '../../stacks/security-stack';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { simulate } from '../helpers/iam-simulate';
import { policyOf, resourcesOfType, synthJson } from '../helpers/synth';
import { roleNamed, synthesizedRoles } from '../helpers/synthesized-iam';

const ACCOUNT = '333333333333';
const REGION = 'eu-west-1';
const STREAM = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/vigil-findings`;
const PRODUCT = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
const HUB = `arn:aws:securityhub:${REGION}:${ACCOUNT}:hub/default`;
const BUCKET = `vigil-findings-${ACCOUNT}-${REGION}`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:vigil/siem/hec-AbCdEf`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:vigil-findings.fifo`;
const QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/vigil-findings.fifo`;

const synth = (alerting: AlertingConfig) =>
  synthJson(
    new SecurityStack(Testing.app(), 'security', {
      inventory: TEST_INVENTORY,
      catalog: CATALOG,
      alerting,
      remediation: TEST_REMEDIATION,
    }),
  );
const off = synth(TEST_ALERTING);
const on = synth({ ...TEST_ALERTING, findings: { securityHub: true, stream: { enabled: true, retentionDays: 730 } } });
const http = synth({
  ...TEST_ALERTING,
  findings: {
    stream: {
      enabled: true,
      httpEndpoint: {
        url: 'https://hec.example.com/services/collector/raw',
        name: 'Splunk',
        accessKeyRef: `secretsmanager:${SECRET}`,
      },
    },
  },
});
const fn = (tf: any, name: string) => resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === name)!;

describe('findings off (the default)', () => {
  it('creates no stream, bucket, queue, function or alarm, and sets no findings settings', () => {
    expect(resourcesOfType(off, 'aws_kinesis_firehose_delivery_stream')).toEqual([]);
    expect(resourcesOfType(off, 'aws_s3_bucket')).toEqual([]);
    expect(resourcesOfType(off, 'aws_sqs_queue').filter((q) => String(q.name).includes('findings'))).toEqual([]);
    expect(fn(off, 'vigil-findings')).toBeUndefined();
    for (const name of ['vigil-triage', 'vigil-remediate', 'vigil-approve']) {
      expect(Object.keys(fn(off, name).environment.variables).filter((k) => k.startsWith('FINDINGS_'))).toEqual([]);
    }
    expect(JSON.stringify(off)).not.toMatch(/securityhub:|firehose:/);
  });
});

describe('findings on', () => {
  const stream = resourcesOfType(on, 'aws_kinesis_firehose_delivery_stream')[0]!;

  it('streams to the findings bucket, partitioned by date, failures under errors/, compressed and encrypted', () => {
    expect(stream).toMatchObject({
      name: 'vigil-findings',
      destination: 'extended_s3',
      server_side_encryption: { enabled: true },
      extended_s3_configuration: {
        prefix: 'ocsf/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
        error_output_prefix: expect.stringMatching(/^errors\/!\{firehose:error-output-type\}\/year=/),
        compression_format: 'GZIP',
        kms_key_arn: expect.stringMatching(/aws_kms_key/),
      },
    });
  });

  it('keeps the bucket private, encrypted with the security key, TLS only, and expires objects', () => {
    expect(resourcesOfType(on, 'aws_s3_bucket')).toEqual([
      expect.objectContaining({ bucket: BUCKET, force_destroy: false }),
    ]);
    expect(resourcesOfType(on, 'aws_s3_bucket_public_access_block')[0]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(
      resourcesOfType(on, 'aws_s3_bucket_server_side_encryption_configuration_a' as string).length +
        resourcesOfType(on, 'aws_s3_bucket_server_side_encryption_configuration').length,
    ).toBe(1);
    const sse = resourcesOfType(on, 'aws_s3_bucket_server_side_encryption_configuration')[0]!;
    expect(sse.rule[0].apply_server_side_encryption_by_default).toMatchObject({ sse_algorithm: 'aws:kms' });
    expect(resourcesOfType(on, 'aws_s3_bucket_lifecycle_configuration')[0]!.rule[0]).toMatchObject({
      status: 'Enabled',
      expiration: [{ days: 730 }],
    });
    const policy = policyOf(resourcesOfType(on, 'aws_s3_bucket_policy')[0]!);
    expect(policy.Statement).toContainEqual(expect.objectContaining({ Sid: 'DenyInsecureTransport', Effect: 'Deny' }));
  });

  it('pages the ops topic when a delivery fails', () => {
    const alarm = resourcesOfType(on, 'aws_cloudwatch_metric_alarm').find(
      (a) => a.alarm_name === 'vigil-findings-delivery-failing',
    )!;
    expect(alarm).toMatchObject({
      namespace: 'AWS/Firehose',
      metric_name: 'DeliveryToS3.Success',
      dimensions: { DeliveryStreamName: 'vigil-findings' },
      comparison_operator: 'LessThanThreshold',
      threshold: 1,
    });
    expect(alarm.alarm_actions).toEqual([expect.stringMatching(/aws_sns_topic\.ops-topic/)]);
  });

  it('pages the ops topic when triage gives up enqueuing a finding', () => {
    const alarm = resourcesOfType(on, 'aws_cloudwatch_metric_alarm').find(
      (a) => a.alarm_name === 'vigil-findings-export-failed',
    )!;
    expect(alarm).toMatchObject({ namespace: 'Vigil', metric_name: 'FindingExportFailed', statistic: 'Sum' });
    expect(
      resourcesOfType(off, 'aws_cloudwatch_metric_alarm').filter((a) => String(a.alarm_name).includes('findings')),
    ).toEqual([]);
  });

  it('tells triage, remediate and approve the findings queue, and the findings function the destinations', () => {
    for (const name of ['vigil-triage', 'vigil-remediate', 'vigil-approve']) {
      const variables = fn(on, name).environment.variables;
      expect(variables).toMatchObject({ FINDINGS_QUEUE_URL: QUEUE_URL });
      expect(Object.keys(variables).filter((k) => k.startsWith('FINDINGS_'))).toEqual(['FINDINGS_QUEUE_URL']);
    }
    expect(fn(on, 'vigil-findings').environment.variables).toEqual({
      FINDINGS_SECURITY_HUB_ACCOUNT: ACCOUNT,
      FINDINGS_SECURITY_HUB_REGION: REGION,
      FINDINGS_STREAM: 'vigil-findings',
    });
    expect(fn(on, 'vigil-findings')).toMatchObject({
      runtime: 'nodejs22.x',
      timeout: 60,
      reserved_concurrent_executions: 2,
    });
  });

  it('feeds the findings function from a FIFO queue encrypted with the security key, with a FIFO DLQ', () => {
    const queues = resourcesOfType(on, 'aws_sqs_queue');
    const queue = queues.find((q) => q.name === 'vigil-findings.fifo')!;
    const dlq = queues.find((q) => q.name === 'vigil-findings-dlq.fifo')!;
    expect(queue).toMatchObject({
      fifo_queue: true,
      content_based_deduplication: false,
      deduplication_scope: 'messageGroup',
      fifo_throughput_limit: 'perMessageGroupId',
      visibility_timeout_seconds: 360,
      kms_master_key_id: '${aws_kms_key.queue-key.arn}',
    });
    expect(JSON.parse(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: `${QUEUE_ARN.replace('.fifo', '-dlq.fifo')}`,
      maxReceiveCount: 5,
    });
    expect(dlq).toMatchObject({ fifo_queue: true, message_retention_seconds: 1_209_600 });
    const source = resourcesOfType(on, 'aws_lambda_event_source_mapping').find((m) =>
      String(m.function_name).includes('findings'),
    )!;
    expect(source).toMatchObject({
      batch_size: 10,
      function_response_types: ['ReportBatchItemFailures'],
      scaling_config: { maximum_concurrency: 2 },
    });
    expect(source.maximum_batching_window_in_seconds).toBeUndefined();
  });

  it('pages the ops topic on a record in the findings DLQ, a findings function error and a backlog', () => {
    const names = resourcesOfType(on, 'aws_cloudwatch_metric_alarm').map((a) => a.alarm_name);
    expect(names).toEqual(
      expect.arrayContaining(['vigil-findings-dlq.fifo-not-empty', 'vigil-findings-errors', 'vigil-findings-backlog']),
    );
    const backlog = resourcesOfType(on, 'aws_cloudwatch_metric_alarm').find(
      (a) => a.alarm_name === 'vigil-findings-backlog',
    )!;
    expect(backlog).toMatchObject({
      metric_name: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: 'vigil-findings.fifo' },
      threshold: 900,
    });
  });
});

describe('findings least privilege (IAM simulator)', () => {
  const roles = synthesizedRoles(on, ACCOUNT);
  const run = (role: string, action: string, resource: string) => {
    const r = roleNamed(roles, role);
    return simulate({ principal: r.arn, action, resource, identityPolicies: r.policies as Record<string, unknown>[] });
  };
  const PRODUCERS = ['vigil-triage', 'vigil-remediate', 'vigil-approve'];

  it("lets only the findings function import findings, and only under vigil's product ARN", async () => {
    await expect(run('vigil-findings', 'securityhub:BatchImportFindings', PRODUCT)).resolves.toBe('Allowed');
    await expect(
      run(
        'vigil-findings',
        'securityhub:BatchImportFindings',
        `arn:aws:securityhub:${REGION}:444444444444:product/444444444444/default`,
      ),
    ).resolves.toBe('ImplicitlyDenied');
    for (const role of [...PRODUCERS, 'vigil-digest']) {
      await expect(run(role, 'securityhub:BatchImportFindings', PRODUCT)).resolves.toBe('ImplicitlyDenied');
    }
  });

  it('lets only the findings function update workflow, on the hub of the home region only', async () => {
    await expect(run('vigil-findings', 'securityhub:BatchUpdateFindings', HUB)).resolves.toBe('Allowed');
    await expect(
      run('vigil-findings', 'securityhub:BatchUpdateFindings', `arn:aws:securityhub:us-east-1:${ACCOUNT}:hub/default`),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(run('vigil-findings', 'securityhub:DisableSecurityHub', HUB)).resolves.toBe('ImplicitlyDenied');
    for (const role of PRODUCERS) {
      await expect(run(role, 'securityhub:BatchUpdateFindings', HUB)).resolves.toBe('ImplicitlyDenied');
    }
  });

  it('lets only the findings function put records on the one stream, nothing else', async () => {
    await expect(run('vigil-findings', 'firehose:PutRecordBatch', STREAM)).resolves.toBe('Allowed');
    await expect(run('vigil-findings', 'firehose:PutRecordBatch', `${STREAM}-other`)).resolves.toBe('ImplicitlyDenied');
    await expect(run('vigil-findings', 'firehose:DeleteDeliveryStream', STREAM)).resolves.toBe('ImplicitlyDenied');
    for (const role of [...PRODUCERS, 'vigil-digest']) {
      await expect(run(role, 'firehose:PutRecordBatch', STREAM)).resolves.toBe('ImplicitlyDenied');
    }
  });

  it('lets the producers send to the findings queue and nothing else there; only the findings function consumes it', async () => {
    for (const role of PRODUCERS) {
      await expect(run(role, 'sqs:SendMessage', QUEUE_ARN)).resolves.toBe('Allowed');
      await expect(run(role, 'sqs:ReceiveMessage', QUEUE_ARN)).resolves.toBe('ImplicitlyDenied');
      await expect(run(role, 'sqs:PurgeQueue', QUEUE_ARN)).resolves.toBe('ImplicitlyDenied');
    }
    await expect(run('vigil-digest', 'sqs:SendMessage', QUEUE_ARN)).resolves.toBe('ImplicitlyDenied');
    await expect(run('vigil-findings', 'sqs:ReceiveMessage', QUEUE_ARN)).resolves.toBe('Allowed');
    await expect(run('vigil-findings', 'sqs:DeleteMessage', QUEUE_ARN)).resolves.toBe('Allowed');
    await expect(run('vigil-findings', 'sqs:SendMessage', QUEUE_ARN)).resolves.toBe('ImplicitlyDenied');
    await expect(
      run('vigil-findings', 'sqs:ReceiveMessage', `arn:aws:sqs:${REGION}:${ACCOUNT}:vigil-remediation`),
    ).resolves.toBe('ImplicitlyDenied');
  });

  it('lets the delivery role write the findings bucket only', async () => {
    await expect(run('vigil-findings-delivery', 's3:PutObject', `arn:aws:s3:::${BUCKET}/ocsf/x.gz`)).resolves.toBe(
      'Allowed',
    );
    await expect(run('vigil-findings-delivery', 's3:PutObject', 'arn:aws:s3:::other-bucket/x')).resolves.toBe(
      'ImplicitlyDenied',
    );
    await expect(run('vigil-findings-delivery', 's3:DeleteObject', `arn:aws:s3:::${BUCKET}/ocsf/x.gz`)).resolves.toBe(
      'ImplicitlyDenied',
    );
  });
});

describe('an HTTP endpoint destination', () => {
  const stream = resourcesOfType(http, 'aws_kinesis_firehose_delivery_stream')[0]!;

  it('reads the endpoint key from Secrets Manager and backs failed records up to the bucket', () => {
    expect(stream).toMatchObject({
      destination: 'http_endpoint',
      http_endpoint_configuration: {
        url: 'https://hec.example.com/services/collector/raw',
        s3_backup_mode: 'FailedDataOnly',
        secrets_manager_configuration: { enabled: true, secret_arn: SECRET },
        s3_configuration: { prefix: 'http-failed/' },
      },
    });
    expect(JSON.stringify(stream)).not.toMatch(/access_key"/);
    const alarm = resourcesOfType(http, 'aws_cloudwatch_metric_alarm').find(
      (a) => a.alarm_name === 'vigil-findings-delivery-failing',
    )!;
    expect(alarm.metric_name).toBe('DeliveryToHttpEndpoint.Success');
  });

  it('lets the delivery role read that one secret', async () => {
    const r = roleNamed(synthesizedRoles(http, ACCOUNT), 'vigil-findings-delivery');
    const read = (resource: string) =>
      simulate({
        principal: r.arn,
        action: 'secretsmanager:GetSecretValue',
        resource,
        identityPolicies: r.policies as Record<string, unknown>[],
      });
    await expect(read(SECRET)).resolves.toBe('Allowed');
    await expect(read(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:vigil/slack/security-AbCdEf`)).resolves.toBe(
      'ImplicitlyDenied',
    );
  });
});

describe('findings config: every mistake with its fix', () => {
  it.each([
    [{ securityHub: 'yes' }, 'findings.securityHub', 'expected true or false'],
    [{ stream: { enabled: true, retentionDays: 0 } }, 'findings.stream.retentionDays', 'whole number of days'],
    [
      {
        stream: {
          enabled: true,
          httpEndpoint: { url: 'http://x', name: 'S', accessKeyRef: `secretsmanager:${SECRET}` },
        },
      },
      'findings.stream.httpEndpoint.url',
      'https://',
    ],
    [
      { stream: { enabled: true, httpEndpoint: { url: 'https://x', name: 'S', accessKeyRef: 'ssm:/vigil/hec' } } },
      'findings.stream.httpEndpoint.accessKeyRef',
      'Secrets Manager only',
    ],
    [
      {
        stream: {
          enabled: true,
          httpEndpoint: { url: 'https://x', name: 'S', accessKeyRef: 'secretsmanager:vigil/hec' },
        },
      },
      'findings.stream.httpEndpoint.accessKeyRef',
      'full ARN',
    ],
    [
      { stream: { httpEndpoint: { url: 'https://x', name: 'S', accessKeyRef: `secretsmanager:${SECRET}` } } },
      'findings.stream.enabled',
      'set to true',
    ],
    [{ lake: true }, 'findings.lake', 'unknown key'],
  ])('%j', (raw, path, message) => {
    expect(findingsProblems(raw)).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  it('accepts the documented shapes', () => {
    expect(findingsProblems(undefined)).toEqual([]);
    expect(findingsProblems({ securityHub: false, stream: { enabled: false } })).toEqual([]);
  });
});

describe('the deploy role with findings on', () => {
  const scope = {
    namePrefix: TEST_INVENTORY.namePrefix,
    organizationId: TEST_INVENTORY.organizationId,
    scpTargets: TEST_INVENTORY.scpTargets,
    killSwitchParameter: TEST_REMEDIATION.killSwitchParameter,
  };
  const types = Object.keys(on['resource']);
  const policy = { Version: '2012-10-17', Statement: grantStatements(withAccount(grantsFor(types, scope), ACCOUNT)) };
  const deployRole = `arn:aws:iam::${ACCOUNT}:role/${TEST_INVENTORY.deployRoleName}`;
  const run = (action: string, resource: string, context?: Record<string, string>) =>
    simulate({ principal: deployRole, action, resource, identityPolicies: [policy], ...(context ? { context } : {}) });

  it("may create vigil's stream and pass its delivery role to Firehose only", async () => {
    await expect(run('firehose:CreateDeliveryStream', STREAM)).resolves.toBe('Allowed');
    await expect(
      run('firehose:CreateDeliveryStream', `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/other`),
    ).resolves.toBe('ImplicitlyDenied');
    const role = `arn:aws:iam::${ACCOUNT}:role/vigil-findings-delivery`;
    await expect(run('iam:PassRole', role, { 'iam:PassedToService': 'firehose.amazonaws.com' })).resolves.toBe(
      'Allowed',
    );
  });
});
