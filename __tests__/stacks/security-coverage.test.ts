/**
 * The coverage checker in the security stack: the function and its schedule, retries and dead-letter
 * queue, the alarms on the checker itself and on silent cells, and least privilege (IAM simulator).
 */
import { Testing } from '../../framework/cdktf';
import { CATALOG } from '../../rules/catalog';
import { SecurityStack } from '../../stacks/security-stack';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { simulate } from '../helpers/iam-simulate';
import { policyOf, resourcesOfType, statement, synthJson } from '../helpers/synth';
import { roleNamed, synthesizedRoles } from '../helpers/synthesized-iam';

const tf = synthJson(
  new SecurityStack(Testing.app(), 'security', {
    inventory: TEST_INVENTORY,
    catalog: CATALOG,
    alerting: TEST_ALERTING,
    remediation: TEST_REMEDIATION,
  }),
);
const ACCOUNT = '333333333333';
const COVERAGE_TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/vigil-coverage`;
const INVENTORY_TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/vigil-inventory`;
const fn = resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === 'vigil-coverage')!;
const policy = policyOf(resourcesOfType(tf, 'aws_iam_role_policy').find((p) => p.role.includes('.coverage_role_'))!);
const alarms = resourcesOfType(tf, 'aws_cloudwatch_metric_alarm');

describe('the coverage function', () => {
  it('reads the coverage and inventory tables and routes like triage, PagerDuty included', () => {
    expect(fn.environment.variables).toEqual({
      COVERAGE_TABLE: 'vigil-coverage',
      INVENTORY_TABLE: 'vigil-inventory',
      HEARTBEAT_INTERVAL_MINUTES: '5',
      COVERAGE_LEASE_SECONDS: '360',
      OPT_IN_REGIONS_CALLER: ACCOUNT,
      EMAIL_TOPIC_ARN: `arn:aws:sns:eu-west-1:${ACCOUNT}:vigil-alerts`,
      OWNER_ROUTING_FILE: 'owner-routing.json',
      SLACK_CHANNEL: TEST_ALERTING.default.slackChannel,
      SLACK_WEBHOOK_REF: TEST_ALERTING.default.slackWebhookRef,
      PAGERDUTY_ROUTING_KEY_REF: TEST_ALERTING.default.pagerdutyRoutingKeyRef,
    });
    expect(fn.reserved_concurrent_executions).toBe(1);
    // The lease outlives the function: a live run is never overtaken by another.
    expect(fn.timeout).toBeLessThan(360);
  });

  it('runs every heartbeat interval on the default bus, invoked by its schedule only', () => {
    const rule = resourcesOfType(tf, 'aws_cloudwatch_event_rule').find((r) => r.name === 'vigil-coverage')!;
    expect(rule.schedule_expression).toBe('rate(5 minutes)');
    expect(rule.event_bus_name).toBeUndefined();
    const target = resourcesOfType(tf, 'aws_cloudwatch_event_target').find((t) => t.target_id === 'coverage')!;
    expect(target.arn).toMatch(/^\$\{aws_lambda_function\.coverage_function_.+\.arn\}$/);
    expect(target.dead_letter_config.arn).toBe('${aws_sqs_queue.coverage-dlq.arn}');
    const permission = resourcesOfType(tf, 'aws_lambda_permission').find(
      (p) => p.statement_id === 'CoverageScheduleOnly',
    )!;
    expect(permission).toMatchObject({ principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction' });
    expect(permission.source_arn).toBe('${aws_cloudwatch_event_rule.coverage-schedule.arn}');
    const invokeConfig = resourcesOfType(tf, 'aws_lambda_function_event_invoke_config').find((c) =>
      String(c.function_name).includes('coverage'),
    )!;
    expect(invokeConfig).toMatchObject({
      maximum_retry_attempts: 2,
      destination_config: { on_failure: { destination: '${aws_sqs_queue.coverage-dlq.arn}' } },
    });
    const dlq = resourcesOfType(tf, 'aws_sqs_queue').find((q) => q.name === 'vigil-coverage-dlq')!;
    expect(dlq.kms_master_key_id).toMatch(/^\$\{aws_kms_key\..+\.arn\}$/);
    const dlqPolicy = resourcesOfType(tf, 'aws_sqs_queue_policy').find((p) => p.queue_url.includes('coverage-dlq'))!;
    expect(policyOf(dlqPolicy).Statement).toEqual([
      expect.objectContaining({
        Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:events:eu-west-1:${ACCOUNT}:rule/vigil-coverage` } },
      }),
    ]);
  });
});

describe('the coverage alarms', () => {
  it('pages when the checker has not run for three intervals, missing data counting as not run', () => {
    expect(alarms.find((a) => a.alarm_name === 'vigil-coverage-not-running')).toMatchObject({
      namespace: 'AWS/Lambda',
      metric_name: 'Invocations',
      dimensions: { FunctionName: 'vigil-coverage' },
      statistic: 'Sum',
      period: 300,
      evaluation_periods: 3,
      threshold: 1,
      comparison_operator: 'LessThanThreshold',
      treat_missing_data: 'breaching',
      alarm_actions: ['${aws_sns_topic.ops-topic.arn}'],
    });
  });

  it('pages on errors, on its dead-letter queue and on any silent cell', () => {
    expect(alarms.find((a) => a.alarm_name === 'vigil-coverage-errors')).toMatchObject({
      metric_name: 'Errors',
      dimensions: { FunctionName: 'vigil-coverage' },
    });
    expect(alarms.find((a) => a.alarm_name === 'vigil-coverage-dlq-not-empty')).toMatchObject({
      dimensions: { QueueName: 'vigil-coverage-dlq' },
    });
    const silent = alarms.find((a) => a.alarm_name === 'vigil-coverage-silent-cells');
    expect(silent).toMatchObject({
      namespace: 'Vigil',
      metric_name: 'CoverageSilentCells',
      threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
    });
    expect(silent?.dimensions).toBeUndefined();
  });
});

describe('the coverage map widget', () => {
  const map = resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === 'vigil-coverage-map')!;
  const dashboard = resourcesOfType(tf, 'aws_cloudwatch_dashboard')[0]!;

  it('is a custom widget on the KPI dashboard, drawn by the read-only coverage-map function', () => {
    expect(map.environment.variables).toEqual({
      COVERAGE_TABLE: 'vigil-coverage',
      INVENTORY_TABLE: 'vigil-inventory',
      HEARTBEAT_INTERVAL_MINUTES: '5',
    });
    const widget = JSON.parse(dashboard.dashboard_body).widgets.find((w: { type: string }) => w.type === 'custom');
    expect(widget.properties).toMatchObject({
      endpoint: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:vigil-coverage-map`,
      params: { maxRows: 150 },
      updateOn: { refresh: true },
    });
    expect(widget.width).toBe(24);
  });

  it('may only read the coverage table and the inventory view', async () => {
    const role = roleNamed(synthesizedRoles(tf, ACCOUNT), 'vigil-coverage-map');
    const call = (action: string, resource: string) =>
      simulate({ principal: role.arn, action, resource, identityPolicies: role.policies as Record<string, unknown>[] });
    for (const action of ['dynamodb:Scan', 'dynamodb:GetItem']) {
      await expect(call(action, COVERAGE_TABLE)).resolves.toBe('Allowed');
    }
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
      await expect(call(action, COVERAGE_TABLE)).resolves.toBe('ImplicitlyDenied');
    }
    await expect(call('dynamodb:GetItem', INVENTORY_TABLE)).resolves.toBe('Allowed');
    await expect(call('dynamodb:PutItem', INVENTORY_TABLE)).resolves.toBe('ImplicitlyDenied');
    await expect(call('sns:Publish', `arn:aws:sns:eu-west-1:${ACCOUNT}:vigil-alerts`)).resolves.toBe(
      'ImplicitlyDenied',
    );
  });
});

describe('coverage least privilege', () => {
  it('has exactly the permissions it needs, on exact resources', () => {
    expect(policy.Statement.flatMap((st) => [st['Action']].flat()).sort()).toEqual(
      [
        'account:ListRegions',
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Scan',
        'kms:Decrypt',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'sns:Publish',
        'sqs:SendMessage',
        'ssm:GetParameter',
      ].sort(),
    );
    expect(statement(policy, 'ReadCellsAndState').Resource).toBe(COVERAGE_TABLE);
    expect(statement(policy, 'ReadInventoryView').Resource).toBe(INVENTORY_TABLE);
    for (const st of policy.Statement) {
      if (st['Sid'] !== 'DecryptSecretsViaService') expect(st['Resource']).not.toBe('*');
    }
  });

  const roles = synthesizedRoles(tf, ACCOUNT);
  const run = (fnName: string, action: string, resource: string) => {
    const role = roleNamed(roles, fnName);
    return simulate({
      principal: role.arn,
      action,
      resource,
      identityPolicies: role.policies as Record<string, unknown>[],
    });
  };

  it("may read the opt-in regions of its own account and of this organization's members only", async () => {
    const MGMT = TEST_INVENTORY.managementAccountId;
    const role = roleNamed(roles, 'vigil-coverage');
    // Account Management has no resource policies: a delegated administrator's call is decided by its
    // identity policy (Organizations delegates the rest), so the request is evaluated as same-account.
    const call = (action: string, resource: string) =>
      simulate({
        principal: role.arn,
        action,
        resource,
        resourceAccount: ACCOUNT,
        identityPolicies: role.policies as Record<string, unknown>[],
      });
    await expect(call('account:ListRegions', `arn:aws:account::${ACCOUNT}:account`)).resolves.toBe('Allowed');
    await expect(
      call('account:ListRegions', `arn:aws:account::${MGMT}:account/o-test123456/444444444444`),
    ).resolves.toBe('Allowed');
    await expect(
      call('account:ListRegions', `arn:aws:account::${MGMT}:account/o-other000000/444444444444`),
    ).resolves.toBe('ImplicitlyDenied');
    for (const action of ['account:EnableRegion', 'account:DisableRegion', 'account:PutAlternateContact']) {
      await expect(call(action, `arn:aws:account::${MGMT}:account/o-test123456/444444444444`)).resolves.toBe(
        'ImplicitlyDenied',
      );
    }
  });

  it("lets triage put heartbeat cells and sightings, never the coverage function's state or opt-in cache", async () => {
    const triage = roleNamed(roles, 'vigil-triage');
    const put = (key: string) =>
      simulate({
        principal: triage.arn,
        action: 'dynamodb:PutItem',
        resource: COVERAGE_TABLE,
        identityPolicies: triage.policies as Record<string, unknown>[],
        context: { 'dynamodb:LeadingKeys': [key] },
      });
    await expect(put('cell#444444444444#eu-west-1#regional')).resolves.toBe('Allowed');
    await expect(put('seen#999999999999#eu-west-1')).resolves.toBe('Allowed');
    await expect(put('state')).resolves.toBe('ImplicitlyDenied');
    await expect(put('regions#444444444444')).resolves.toBe('ImplicitlyDenied');
  });

  it('may scan, read and put on the coverage table only, and never update or delete', async () => {
    for (const action of ['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:PutItem']) {
      await expect(run('vigil-coverage', action, COVERAGE_TABLE)).resolves.toBe('Allowed');
    }
    for (const action of ['dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteTable']) {
      await expect(run('vigil-coverage', action, COVERAGE_TABLE)).resolves.toBe('ImplicitlyDenied');
    }
    await expect(run('vigil-coverage', 'dynamodb:PutItem', INVENTORY_TABLE)).resolves.toBe('ImplicitlyDenied');
    await expect(
      run('vigil-coverage', 'dynamodb:Scan', `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/vigil-triage-state`),
    ).resolves.toBe('ImplicitlyDenied');
  });
});
