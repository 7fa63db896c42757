/**
 * The daily digest in the security stack: its table, the function and its schedule, retries and
 * dead-letter queue, alarms, and least privilege (evaluated with the IAM simulator).
 */
import { Testing } from '../../framework/cdktf';
import type { AlertingConfig } from '../../config/alerting';
import { CATALOG } from '../../rules/catalog';
import { SecurityStack } from '../../stacks/security-stack';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { simulate } from '../helpers/iam-simulate';
import { policyOf, resourcesOfType, statement, synthJson } from '../helpers/synth';
import { roleNamed, synthesizedRoles } from '../helpers/synthesized-iam';

const synth = (alerting: AlertingConfig = TEST_ALERTING) =>
  synthJson(
    new SecurityStack(Testing.app(), 'security', {
      inventory: TEST_INVENTORY,
      catalog: CATALOG,
      alerting,
      remediation: TEST_REMEDIATION,
    }),
  );
const tf = synth();
const ACCOUNT = '333333333333';
const DIGEST_TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/vigil-digest`;
const fn = resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === 'vigil-digest')!;
const policy = policyOf(resourcesOfType(tf, 'aws_iam_role_policy').find((p) => p.role.includes('.digest_role_'))!);
const roles = synthesizedRoles(tf, ACCOUNT);

describe('the digest table', () => {
  const table = resourcesOfType(tf, 'aws_dynamodb_table').find((t) => t.name === 'vigil-digest')!;

  it('is keyed by day and entry, expires items, and is protected like every vigil table', () => {
    expect(table).toMatchObject({
      hash_key: 'day',
      range_key: 'entry',
      billing_mode: 'PAY_PER_REQUEST',
      ttl: { attribute_name: 'expiresAt', enabled: true },
      point_in_time_recovery: { enabled: true },
      deletion_protection_enabled: true,
      server_side_encryption: { enabled: true, kms_key_arn: expect.stringMatching(/^\$\{aws_kms_key\..+\.arn\}$/) },
    });
    expect(table.attribute).toEqual([
      { name: 'day', type: 'S' },
      { name: 'entry', type: 'S' },
    ]);
  });

  it('is where triage records change monitors', () => {
    const triage = resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === 'vigil-triage')!;
    expect(triage.environment.variables.DIGEST_TABLE).toBe('vigil-digest');
  });
});

describe('the digest function', () => {
  it('reads the digest table and routes like triage, without PagerDuty', () => {
    expect(fn.environment.variables).toEqual({
      DIGEST_TABLE: 'vigil-digest',
      EMAIL_TOPIC_ARN: `arn:aws:sns:eu-west-1:${ACCOUNT}:vigil-alerts`,
      OWNER_ROUTING_FILE: 'owner-routing.json',
      SLACK_CHANNEL: TEST_ALERTING.default.slackChannel,
      SLACK_WEBHOOK_REF: TEST_ALERTING.default.slackWebhookRef,
    });
    expect(fn.reserved_concurrent_executions).toBe(1);
  });

  it('runs every day at 07:00 UTC by default, or at the configured hour', () => {
    const rule = (t: typeof tf) =>
      resourcesOfType(t, 'aws_cloudwatch_event_rule').find((r) => r.name === 'vigil-digest')!;
    expect(rule(tf).schedule_expression).toBe('cron(0 7 * * ? *)');
    expect(rule(tf).event_bus_name).toBeUndefined();
    expect(rule(synth({ ...TEST_ALERTING, digestHourUtc: 22 })).schedule_expression).toBe('cron(0 22 * * ? *)');
  });

  it('is invoked by its schedule only, with retries and a dead-letter queue for delivery and for failed runs', () => {
    const target = resourcesOfType(tf, 'aws_cloudwatch_event_target').find((t) => t.target_id === 'digest')!;
    expect(target.arn).toMatch(/^\$\{aws_lambda_function\.digest_function_.+\.arn\}$/);
    expect(target.retry_policy).toEqual({ maximum_event_age_in_seconds: 21_600, maximum_retry_attempts: 20 });
    expect(target.dead_letter_config.arn).toMatch(/^\$\{aws_sqs_queue\.digest-dlq\.arn\}$/);
    const permission = resourcesOfType(tf, 'aws_lambda_permission').find(
      (p) => p.statement_id === 'DigestScheduleOnly',
    )!;
    expect(permission).toMatchObject({ principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction' });
    expect(permission.source_arn).toMatch(/^\$\{aws_cloudwatch_event_rule\.digest-schedule\.arn\}$/);
    const invokeConfig = resourcesOfType(tf, 'aws_lambda_function_event_invoke_config').find((c) =>
      String(c.function_name).includes('digest'),
    )!;
    expect(invokeConfig).toMatchObject({
      maximum_retry_attempts: 2,
      destination_config: { on_failure: { destination: '${aws_sqs_queue.digest-dlq.arn}' } },
    });
    const dlq = resourcesOfType(tf, 'aws_sqs_queue').find((q) => q.name === 'vigil-digest-dlq')!;
    expect(dlq.kms_master_key_id).toMatch(/^\$\{aws_kms_key\..+\.arn\}$/);
    const dlqPolicy = resourcesOfType(tf, 'aws_sqs_queue_policy').find((p) => p.queue_url.includes('digest-dlq'))!;
    expect(policyOf(dlqPolicy).Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:events:eu-west-1:${ACCOUNT}:rule/vigil-digest` } },
      }),
    ]);
  });

  it('alarms on a failed run and on anything in its dead-letter queue', () => {
    const alarms = resourcesOfType(tf, 'aws_cloudwatch_metric_alarm');
    expect(alarms.find((a) => a.alarm_name === 'vigil-digest-errors')).toMatchObject({
      namespace: 'AWS/Lambda',
      metric_name: 'Errors',
      dimensions: { FunctionName: 'vigil-digest' },
      threshold: 0,
    });
    expect(alarms.find((a) => a.alarm_name === 'vigil-digest-dlq-not-empty')).toMatchObject({
      namespace: 'AWS/SQS',
      dimensions: { QueueName: 'vigil-digest-dlq' },
    });
  });

  it('has exactly the permissions it needs, on exact resources', () => {
    expect(policy.Statement.flatMap((st) => [st['Action']].flat()).sort()).toEqual(
      [
        'dynamodb:PutItem',
        'dynamodb:Query',
        'kms:Decrypt',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'sns:Publish',
        'sqs:SendMessage',
      ].sort(),
    );
    expect(statement(policy, 'ReadDayAndMarkSent').Resource).toBe(DIGEST_TABLE);
    // The Slack routes' secrets; the PagerDuty key (an SSM parameter in the test config) is not readable.
    expect(statement(policy, 'ReadAlertSecrets').Resource).toEqual([
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:vigil/slack/payments-??????`,
      `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:vigil/slack/security-??????`,
    ]);
    expect(JSON.stringify(policy)).not.toContain('pagerduty');
    for (const st of policy.Statement) {
      if (st['Sid'] !== 'DecryptSecretsViaService') expect(st['Resource']).not.toBe('*');
    }
  });
});

describe('digest least privilege (IAM simulator)', () => {
  const run = (fnName: string, action: string, resource: string) => {
    const role = roleNamed(roles, fnName);
    return simulate({
      principal: role.arn,
      action,
      resource,
      identityPolicies: role.policies as Record<string, unknown>[],
    });
  };

  it('lets the digest read its day and mark it sent, nothing more on any table', async () => {
    await expect(run('vigil-digest', 'dynamodb:Query', DIGEST_TABLE)).resolves.toBe('Allowed');
    await expect(run('vigil-digest', 'dynamodb:PutItem', DIGEST_TABLE)).resolves.toBe('Allowed');
    await expect(run('vigil-digest', 'dynamodb:DeleteItem', DIGEST_TABLE)).resolves.toBe('ImplicitlyDenied');
    await expect(run('vigil-digest', 'dynamodb:Scan', DIGEST_TABLE)).resolves.toBe('ImplicitlyDenied');
    await expect(
      run('vigil-digest', 'dynamodb:Query', `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/vigil-triage-state`),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(
      run('vigil-digest', 'sqs:SendMessage', `arn:aws:sqs:eu-west-1:${ACCOUNT}:vigil-remediation`),
    ).resolves.toBe('ImplicitlyDenied');
  });

  it('lets triage add entries to the digest, but not read or delete them', async () => {
    await expect(run('vigil-triage', 'dynamodb:PutItem', DIGEST_TABLE)).resolves.toBe('Allowed');
    await expect(run('vigil-triage', 'dynamodb:Query', DIGEST_TABLE)).resolves.toBe('ImplicitlyDenied');
    await expect(run('vigil-triage', 'dynamodb:DeleteItem', DIGEST_TABLE)).resolves.toBe('ImplicitlyDenied');
  });

  it('gives no other function the digest table', async () => {
    for (const other of ['vigil-remediate', 'vigil-approve', 'vigil-approval-timeouts', 'vigil-remediate-member']) {
      await expect(run(other, 'dynamodb:PutItem', DIGEST_TABLE)).resolves.toBe('ImplicitlyDenied');
    }
  });
});
