import { Testing } from '../../framework/cdktf';
import { centralRules } from '../../rules/patterns';
import { CATALOG } from '../../rules/catalog';
import { MEMBER_INVOKES_PER_PASS, REMEDIATE_MEMBER_TIMEOUT_SECONDS, SecurityStack } from '../../stacks/security-stack';
import { TEST_ALERTING, TEST_INVENTORY, TEST_REMEDIATION } from '../fixtures/inventory';
import { ADMIN_POLICY, simulate } from '../helpers/iam-simulate';
import { onlyResource, policyOf, resourcesOfType, statement, synthJson } from '../helpers/synth';

const tf = synthJson(
  new SecurityStack(Testing.app(), 'security', {
    inventory: TEST_INVENTORY,
    catalog: CATALOG,
    alerting: TEST_ALERTING,
    remediation: TEST_REMEDIATION,
  }),
);
const BUS_ARN = 'arn:aws:events:eu-west-1:333333333333:event-bus/vigil-security';
/** Rules on the central bus (the approval sweeper's schedule lives on the default bus). */
const centralRuleResources = () => resourcesOfType(tf, 'aws_cloudwatch_event_rule').filter((r) => r.event_bus_name);

describe('SecurityStack', () => {
  it('deploys into the security account only', () => {
    expect(tf['provider']['aws'][0].allowed_account_ids).toEqual(['333333333333']);
    expect(tf['provider']['aws'][0].region).toBe('eu-west-1');
  });

  it('creates the central bus under the derived name', () => {
    expect(onlyResource(tf, 'aws_cloudwatch_event_bus').name).toBe('vigil-security');
  });

  it("admits only the organization's forwarder roles, only to PutEvents, in one statement", () => {
    const policy = policyOf(onlyResource(tf, 'aws_cloudwatch_event_bus_policy'));
    expect(policy.Statement).toEqual([
      {
        Sid: 'OrgForwarderRolesPutEventsOnly',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: BUS_ARN,
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': 'o-test123456' },
          ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/vigil-forwarder' },
        },
      },
    ]);
  });

  it('archives the bus with the configured retention', () => {
    const archive = onlyResource(tf, 'aws_cloudwatch_event_archive');
    expect(archive.retention_days).toBe(365);
    expect(archive.event_source_arn).toMatch(/^\$\{aws_cloudwatch_event_bus\..+\.arn\}$/);
  });

  it('routes one precise rule per detection, on the central bus', () => {
    const rules = centralRuleResources();
    expect(rules).toHaveLength(CATALOG.length);
    for (const expected of centralRules(CATALOG, 'vigil')) {
      const rule = rules.find((r) => r.name === expected.name);
      expect(rule).toBeDefined();
      expect(JSON.parse(rule!.event_pattern)).toEqual(expected.pattern);
      expect(rule!.state).toBe(expected.state);
      expect(rule!.event_bus_name).toMatch(/^\$\{aws_cloudwatch_event_bus\..+\.name\}$/);
    }
  });

  it('lets detections that need read-only events see them centrally too', () => {
    const readOnly = CATALOG.filter((d) => d.readOnlyEvents).map((d) => `vigil-${d.id}`);
    expect(readOnly.length).toBeGreaterThan(0);
    for (const rule of centralRuleResources()) {
      expect(rule.state).toBe(
        readOnly.includes(rule.name) ? 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' : 'ENABLED',
      );
    }
  });

  it('sends each detection to the triage queue carrying its detection id, with a DLQ and retries', () => {
    const targets = resourcesOfType(tf, 'aws_cloudwatch_event_target').filter((t) => t.target_id === 'triage-queue');
    expect(targets).toHaveLength(CATALOG.length);
    for (const t of targets) {
      expect(t.arn).toMatch(/^\$\{aws_sqs_queue\.triage-queue.*\.arn\}$/);
      expect(t.dead_letter_config.arn).toMatch(/^\$\{aws_sqs_queue\.triage-dlq.*\.arn\}$/);
      expect(t.retry_policy.maximum_event_age_in_seconds).toBe(86400);
      const template = t.input_transformer.input_template as string;
      const detectionId = JSON.parse(template.replace('<aws.events.event.json>', 'null')).detectionId;
      expect(CATALOG.map((d) => d.id)).toContain(detectionId);
      expect(template).toContain('"event":<aws.events.event.json>');
    }
  });

  it('encrypts every queue with the rotating security key, and redrives to the DLQ', () => {
    const queues = resourcesOfType(tf, 'aws_sqs_queue');
    expect(queues.map((q) => q.name).sort()).toEqual([
      'vigil-coverage-dlq',
      'vigil-digest-dlq',
      'vigil-remediation',
      'vigil-remediation-dlq',
      'vigil-sweep',
      'vigil-sweep-dlq',
      'vigil-triage',
      'vigil-triage-dlq',
    ]);
    // The sweep's queues take S3 event notifications, which cannot use the security key (no grant to S3): SSE-SQS.
    const [sweep, others] = [
      queues.filter((q) => q.name.startsWith('vigil-sweep')),
      queues.filter((q) => !q.name.startsWith('vigil-sweep')),
    ];
    for (const q of others) expect(q.kms_master_key_id).toMatch(/^\$\{aws_kms_key\..+\.arn\}$/);
    for (const q of sweep) expect(q.sqs_managed_sse_enabled).toBe(true);
    const queueKey = resourcesOfType(tf, 'aws_kms_key').find((k) => k.description.includes('queues'))!;
    expect(queueKey.enable_key_rotation).toBe(true);
    const triage = queues.find((q) => q.name === 'vigil-triage')!;
    expect(JSON.parse(triage.redrive_policy)).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:333333333333:vigil-triage-dlq',
      maxReceiveCount: 5,
    });
  });

  it('lets only the central rules of this bus send to the queues', () => {
    const triageQueues = resourcesOfType(tf, 'aws_sqs_queue_policy').filter((qp) => qp.queue_url.includes('triage'));
    expect(triageQueues).toHaveLength(2);
    for (const qp of triageQueues) {
      const [s] = policyOf(qp).Statement;
      expect(s!['Principal']).toEqual({ Service: 'events.amazonaws.com' });
      expect(s!['Action']).toBe('sqs:SendMessage');
      expect(s!['Condition']).toEqual({
        ArnLike: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:333333333333:rule/vigil-security/vigil-*' },
      });
    }
  });

  it('alarms when the approval timeout sweep skips a malformed approval record (the metric it emits)', () => {
    const alarm = resourcesOfType(tf, 'aws_cloudwatch_metric_alarm').find(
      (a) => a.alarm_name === 'vigil-malformed-approval-records',
    )!;
    expect(alarm).toMatchObject({
      namespace: 'Vigil',
      metric_name: 'MalformedApprovalRecords',
      statistic: 'Sum',
      threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
    });
    expect(alarm.dimensions).toBeUndefined();
    expect(alarm.alarm_description).toContain('vigil-approvals');
    expect(alarm.alarm_actions[0]).toMatch(/^\$\{aws_sns_topic\..+\.arn\}$/);
  });

  it('alarms as soon as anything lands in the DLQ', () => {
    const alarm = resourcesOfType(tf, 'aws_cloudwatch_metric_alarm').find(
      (a) => a.alarm_name === 'vigil-triage-dlq-not-empty',
    )!;
    expect(alarm).toMatchObject({
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateNumberOfMessagesVisible',
      threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
    });
    expect(alarm.dimensions.QueueName).toBe('vigil-triage-dlq');
    expect(alarm.alarm_actions[0]).toMatch(/^\$\{aws_sns_topic\..+\.arn\}$/);
  });

  describe('triage function', () => {
    const fn = resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === 'vigil-triage')!;
    const role = resourcesOfType(tf, 'aws_iam_role').find((r) => r.name === 'vigil-triage')!;
    const policy = policyOf(resourcesOfType(tf, 'aws_iam_role_policy').find((p) => p.role.includes('triage'))!);

    it('consumes the triage queue with partial batch failure reporting', () => {
      const esm = resourcesOfType(tf, 'aws_lambda_event_source_mapping').find((m) =>
        m.event_source_arn.includes('triage-queue'),
      )!;
      expect(esm.event_source_arn).toMatch(/^\$\{aws_sqs_queue\.triage-queue.*\.arn\}$/);
      expect(esm.function_response_types).toEqual(['ReportBatchItemFailures']);
      expect(esm.batch_size).toBeLessThanOrEqual(10);
    });

    it('gives the queue six times the function timeout as visibility timeout', () => {
      const queue = resourcesOfType(tf, 'aws_sqs_queue').find((q) => q.name === 'vigil-triage')!;
      expect(queue.visibility_timeout_seconds).toBe(6 * fn.timeout);
    });

    it('is trusted by Lambda of this account only', () => {
      expect(policyOf(role, 'assume_role_policy').Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: 'lambda.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '333333333333' } },
        }),
      ]);
    });

    it('has exactly the permissions triage needs, on exact resources', () => {
      const actions = policy.Statement.flatMap((st) => [st['Action']].flat());
      expect(actions.sort()).toEqual(
        [
          'dynamodb:BatchGetItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:PutItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'kms:Decrypt',
          'kms:Decrypt',
          'kms:GenerateDataKey',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'secretsmanager:GetSecretValue',
          'sns:Publish',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ReceiveMessage',
          'sqs:SendMessage',
          'ssm:GetParameter',
          'sts:AssumeRole',
        ].sort(),
      );
      expect(statement(policy, 'ReadAlertSecrets').Resource).toEqual([
        'arn:aws:secretsmanager:eu-west-1:333333333333:secret:vigil/slack/payments-??????',
        'arn:aws:secretsmanager:eu-west-1:333333333333:secret:vigil/slack/security-??????',
      ]);
      expect(statement(policy, 'ReadAlertParameters').Resource).toEqual([
        'arn:aws:ssm:eu-west-1:333333333333:parameter/vigil/pagerduty/security',
      ]);
      // Heartbeats: put only, and only on the coverage table.
      expect(statement(policy, 'RecordHeartbeats')).toMatchObject({
        Action: 'dynamodb:PutItem',
        Resource: 'arn:aws:dynamodb:eu-west-1:333333333333:table/vigil-coverage',
      });
      // The account view: read only, and only the inventory table.
      expect(statement(policy, 'ReadInventoryView')).toMatchObject({
        Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
        Resource: 'arn:aws:dynamodb:eu-west-1:333333333333:table/vigil-inventory',
      });
      expect(statement(policy, 'RecordDigestEntries')).toMatchObject({
        Action: 'dynamodb:PutItem',
        Resource: 'arn:aws:dynamodb:eu-west-1:333333333333:table/vigil-digest',
      });
      expect(statement(policy, 'ReadOwnerTagsInMembers')).toMatchObject({
        Resource: 'arn:aws:iam::*:role/vigil-readonly',
        Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-test123456' } },
      });
      for (const st of policy.Statement)
        if (st['Sid'] !== 'DecryptSecretsViaService') expect(st['Resource']).not.toBe('*');
    });

    it('carries secret references, never secret values, in its environment', () => {
      const env = fn.environment.variables as Record<string, string>;
      expect(env['SLACK_WEBHOOK_REF']).toBe('secretsmanager:vigil/slack/security');
      expect(env['PAGERDUTY_ROUTING_KEY_REF']).toBe('ssm:/vigil/pagerduty/security');
      for (const value of Object.values(env)) expect(value).not.toMatch(/hooks\.slack\.com|events\.pagerduty\.com/);
      expect(env['REMEDIATION_QUEUE_URL']).toBe('https://sqs.eu-west-1.amazonaws.com/333333333333/vigil-remediation');
    });

    it('passes a Slack bot token reference and channel id, and may read that secret, when one is configured', () => {
      expect((fn.environment.variables as Record<string, string>)['SLACK_BOT_TOKEN_REF']).toBeUndefined();
      const withBot = synthJson(
        new SecurityStack(Testing.app(), 'security', {
          inventory: TEST_INVENTORY,
          catalog: CATALOG,
          alerting: {
            ...TEST_ALERTING,
            default: {
              ...TEST_ALERTING.default,
              slackBotTokenRef: 'secretsmanager:vigil/slack/bot#token',
              slackChannelId: 'C0123ABCD',
            },
          },
          remediation: TEST_REMEDIATION,
        }),
      );
      const botFn = resourcesOfType(withBot, 'aws_lambda_function').find((f) => f.function_name === 'vigil-triage')!;
      expect(botFn.environment.variables).toMatchObject({
        SLACK_BOT_TOKEN_REF: 'secretsmanager:vigil/slack/bot#token',
        SLACK_CHANNEL_ID: 'C0123ABCD',
      });
      const botPolicy = policyOf(
        resourcesOfType(withBot, 'aws_iam_role_policy').find((p) => p.role.includes('triage'))!,
      );
      // The #key suffix picks a key of the JSON secret; the grant is on the secret itself.
      expect(statement(botPolicy, 'ReadAlertSecrets').Resource).toContain(
        'arn:aws:secretsmanager:eu-west-1:333333333333:secret:vigil/slack/bot-??????',
      );
    });

    it('ships a bundle within 500 KB, deterministically hashed', () => {
      expect(fn.filename).toMatch(/^assets\/.+\/vigil-triage\.zip$/);
      expect(fn.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(fn.runtime).toBe('nodejs22.x');
    });

    it('writes its logs to a log group with retention, created before the function', () => {
      const group = resourcesOfType(tf, 'aws_cloudwatch_log_group').find((g) => g.name === '/aws/lambda/vigil-triage')!;
      expect(group.retention_in_days).toBe(365);
      expect(fn.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_cloudwatch_log_group\./)]));
    });

    it('keeps dedupe state in an encrypted table with TTL', () => {
      const table = resourcesOfType(tf, 'aws_dynamodb_table').find((t) => t.name === 'vigil-triage-state')!;
      expect(table).toMatchObject({ name: 'vigil-triage-state', hash_key: 'pk', billing_mode: 'PAY_PER_REQUEST' });
      expect(table.ttl).toEqual({ attribute_name: 'expiresAt', enabled: true });
      expect(table.server_side_encryption.enabled).toBe(true);
    });

    it('subscribes the configured addresses to the alert topic', () => {
      expect(resourcesOfType(tf, 'aws_sns_topic_subscription').map((s) => [s.protocol, s.endpoint])).toEqual([
        ['email', 'secops@example.com'],
      ]);
    });
  });

  describe('remediation and approvals', () => {
    const policyOfRole = (fnName: string) =>
      policyOf(resourcesOfType(tf, 'aws_iam_role_policy').find((p) => p.role.includes(`.${fnName}_role_`))!);
    const remediate = policyOfRole('remediate');
    const member = policyOfRole('remediate-member');
    const fnNamed = (name: string) => resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === name)!;

    it('lets remediate-member assume only vigil roles, and only inside the organization', () => {
      expect(statement(member, 'AssumeMemberRoles')).toEqual({
        Sid: 'AssumeMemberRoles',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: [
          'arn:aws:iam::*:role/vigil-remediation',
          'arn:aws:iam::*:role/vigil-remediation-undo',
          'arn:aws:iam::*:role/vigil-readonly',
        ],
        Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-test123456' } },
      });
      // Nothing else: no queues or secrets, only the member roles, checking remediate's MACs, and reading the
      // account view (the inventory table, decrypted through DynamoDB only).
      const actions = member.Statement.flatMap((st) => [st['Action']].flat()).sort();
      expect(actions).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'kms:Decrypt',
        'kms:VerifyMac',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sts:AssumeRole',
      ]);
      expect(statement(member, 'ReadInventoryView').Resource).toBe(
        'arn:aws:dynamodb:eu-west-1:333333333333:table/vigil-inventory',
      );
      expect(statement(member, 'DecryptInventoryView')).toMatchObject({
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' } },
      });
    });

    it('lets remediate reach member accounts only by invoking the member function', () => {
      const allowed = remediate.Statement.filter((st) => st['Effect'] === 'Allow');
      expect(allowed.flatMap((st) => [st['Action']].flat())).not.toContain('sts:AssumeRole');
      expect(allowed.filter((st) => [st['Action']].flat().some((a: string) => a.startsWith('lambda:')))).toEqual([
        {
          Sid: 'InvokeMemberFunction',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: 'arn:aws:lambda:eu-west-1:333333333333:function:vigil-remediate-member',
        },
      ]);
      expect(fnNamed('vigil-remediate').environment.variables['MEMBER_FUNCTION_NAME']).toBe('vigil-remediate-member');
    });

    describe('member request key', () => {
      const key = resourcesOfType(tf, 'aws_kms_key').find((k) => k.description.includes('remediate-member'))!;
      const KEY_ARN = 'arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      /** A role policy with the key's token resolved to {@link KEY_ARN}, as Terraform would apply it. */
      const resolved = (policy: object): Record<string, unknown> =>
        JSON.parse(JSON.stringify(policy).replace(/\$\{aws_kms_key\.[^}]+\.arn\}/g, KEY_ARN));
      const role = (name: string) => `arn:aws:iam::333333333333:role/${name}`;
      const policies: Record<string, Array<Record<string, unknown>>> = {
        'vigil-remediate': [resolved(remediate)],
        'vigil-remediate-member': [resolved(member)],
        'vigil-triage': [resolved(policyOfRole('triage'))],
        // An administrator of the security account: IAM allows everything.
        Admin: [ADMIN_POLICY],
      };

      it('is an HMAC key (no automatic rotation exists for HMAC keys) with an alias from config/naming.ts', () => {
        expect(key).toMatchObject({ customer_master_key_spec: 'HMAC_256', key_usage: 'GENERATE_VERIFY_MAC' });
        expect(resourcesOfType(tf, 'aws_kms_alias').map((a) => a.name)).toContain('alias/vigil-member-requests');
      });

      it.each([
        ['vigil-remediate', 'kms:GenerateMac', 'Allowed'],
        ['vigil-remediate', 'kms:VerifyMac', 'ExplicitlyDenied'],
        ['vigil-remediate-member', 'kms:VerifyMac', 'Allowed'],
        ['vigil-remediate-member', 'kms:GenerateMac', 'ExplicitlyDenied'],
        ['vigil-triage', 'kms:GenerateMac', 'ExplicitlyDenied'],
        ['Admin', 'kms:GenerateMac', 'ExplicitlyDenied'],
        ['Admin', 'kms:VerifyMac', 'ExplicitlyDenied'],
      ])('%s: %s is %s', async (name, action, expected) => {
        const decision = await simulate({
          principal: role(name),
          action,
          resource: KEY_ARN,
          identityPolicies: policies[name]!,
          resourcePolicy: key.policy,
        });

        expect(decision).toBe(expected);
      });

      it('lets the account administer the key', async () => {
        const decision = await simulate({
          principal: role('Admin'),
          action: 'kms:DescribeKey',
          resource: KEY_ARN,
          identityPolicies: [ADMIN_POLICY],
          resourcePolicy: key.policy,
        });

        expect(decision).toBe('Allowed');
      });

      it('tells both functions the key, and what each checks its input against', () => {
        const keyArn = expect.stringMatching(/^\$\{aws_kms_key\..+\.arn\}$/);
        expect(fnNamed('vigil-remediate').environment.variables['MEMBER_REQUEST_KEY_ARN']).toEqual(keyArn);
        expect(fnNamed('vigil-remediate-member').environment.variables['MEMBER_REQUEST_KEY_ARN']).toEqual(keyArn);
        expect(fnNamed('vigil-remediate-member').environment.variables['MEMBER_REQUEST_KEY_ARN']).toBe(
          fnNamed('vigil-remediate').environment.variables['MEMBER_REQUEST_KEY_ARN'],
        );
        const stack = new SecurityStack(Testing.app(), 'security', {
          inventory: TEST_INVENTORY,
          catalog: CATALOG,
          alerting: TEST_ALERTING,
          remediation: TEST_REMEDIATION,
        });
        // The accounts requests may name come from the inventory table at run time, never from the bundle
        // (file names are stored uncompressed in a zip's headers).
        expect(fnNamed('vigil-remediate-member').environment.variables['INVENTORY_TABLE']).toBe('vigil-inventory');
        for (const fn of [stack.remediateMember, stack.remediate, stack.triage]) {
          expect(fn.bundle.zip.includes('inventory.json')).toBe(false);
        }
        // And remediate reports outcomes only to the alerting config's destinations.
        expect(stack.remediate.bundle.zip.includes('alert-routing.json')).toBe(true);
      });
    });

    it('runs remediate-member small and bounded, and outlasts its invokes in remediate', () => {
      const memberFn = fnNamed('vigil-remediate-member');
      expect(memberFn.reserved_concurrent_executions).toBe(10);
      expect(memberFn.timeout).toBe(REMEDIATE_MEMBER_TIMEOUT_SECONDS);
      expect(memberFn.environment.variables).toEqual({
        NAME_PREFIX: 'vigil',
        MEMBER_REQUEST_KEY_ARN: '${aws_kms_key.member-request-key.arn}',
        INVENTORY_TABLE: 'vigil-inventory',
      });
      expect(fnNamed('vigil-remediate').timeout).toBeGreaterThan(MEMBER_INVOKES_PER_PASS * memberFn.timeout);
      expect(resourcesOfType(tf, 'aws_cloudwatch_metric_alarm').map((a) => a.alarm_name)).toContain(
        'vigil-remediate-member-errors',
      );
    });

    it('keeps the audit log append-only: PutItem allowed, rewriting denied', () => {
      const audit = 'arn:aws:dynamodb:eu-west-1:333333333333:table/vigil-remediation-audit';
      expect(statement(remediate, 'AuditAppend')).toMatchObject({
        Action: ['dynamodb:PutItem', 'dynamodb:Query'],
        Resource: audit,
      });
      expect(statement(remediate, 'AuditNeverRewritten')).toMatchObject({
        Effect: 'Deny',
        Action: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
        Resource: audit,
      });
      const table = resourcesOfType(tf, 'aws_dynamodb_table').find((t) => t.name === 'vigil-remediation-audit')!;
      expect(table.ttl).toBeUndefined();
      expect(table.point_in_time_recovery.enabled).toBe(true);
      expect(table.deletion_protection_enabled).toBe(true);
    });

    it('consumes remediation work one message at a time with partial batch failures and a DLQ', () => {
      const esm = resourcesOfType(tf, 'aws_lambda_event_source_mapping').find((m) =>
        m.event_source_arn.includes('remediation-queue'),
      )!;
      expect(esm).toMatchObject({ batch_size: 1, function_response_types: ['ReportBatchItemFailures'] });
      const queue = resourcesOfType(tf, 'aws_sqs_queue').find((q) => q.name === 'vigil-remediation')!;
      expect(JSON.parse(queue.redrive_policy).deadLetterTargetArn).toBe(
        'arn:aws:sqs:eu-west-1:333333333333:vigil-remediation-dlq',
      );
      expect(resourcesOfType(tf, 'aws_cloudwatch_metric_alarm').map((a) => a.alarm_name)).toContain(
        'vigil-remediation-dlq-not-empty',
      );
    });

    it("creates the kill switch off, and never resets an operator's value", () => {
      expect(onlyResource(tf, 'aws_ssm_parameter')).toMatchObject({
        name: '/vigil/remediation/kill-switch',
        value: 'off',
        lifecycle: { ignore_changes: ['value'] },
      });
    });

    it('exposes the approval endpoint as a function URL whose callers the function authenticates', () => {
      expect(onlyResource(tf, 'aws_lambda_function_url').authorization_type).toBe('NONE');
      expect(Object.values(tf['output'] as Record<string, { value: string }>)[0]!.value).toMatch(
        /^\$\{aws_lambda_function_url\..+\.function_url\}$/,
      );
      const permission = resourcesOfType(tf, 'aws_lambda_permission').find(
        (p) => p.action === 'lambda:InvokeFunctionUrl',
      )!;
      expect(permission).toMatchObject({ principal: '*', function_url_auth_type: 'NONE' });
      const approve = resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === 'vigil-approve')!;
      expect(approve.timeout).toBeLessThanOrEqual(10);
      expect(approve.reserved_concurrent_executions).toBeGreaterThan(0);
    });

    it('gives the approval endpoint no way into member accounts: it only queues approved work', () => {
      const approve = policyOfRole('approve');
      const actions = approve.Statement.filter((st) => st['Effect'] === 'Allow').flatMap((st) => [st['Action']].flat());
      expect(actions).not.toContain('sts:AssumeRole');
      expect(statement(approve, 'SendRemediationWork').Resource).toBe(
        'arn:aws:sqs:eu-west-1:333333333333:vigil-remediation',
      );
    });

    it('sweeps approval timeouts every 5 minutes, invoked only by that schedule', () => {
      const rule = resourcesOfType(tf, 'aws_cloudwatch_event_rule').find((r) => r.name === 'vigil-approval-timeouts')!;
      expect(rule.schedule_expression).toBe('rate(5 minutes)');
      const permission = resourcesOfType(tf, 'aws_lambda_permission').find((p) => p.statement_id === 'ScheduleOnly')!;
      expect(permission).toMatchObject({ principal: 'events.amazonaws.com' });
      expect(permission.source_arn).toMatch(/^\$\{aws_cloudwatch_event_rule\..+\.arn\}$/);
      const table = resourcesOfType(tf, 'aws_dynamodb_table').find((t) => t.name === 'vigil-approvals')!;
      expect(table.global_secondary_index[0]).toMatchObject({
        name: 'status-expiresAt',
        hash_key: 'status',
        range_key: 'expiresAt',
      });
    });

    it('lets remediate email signed links only as the configured sender, to the approve URL', () => {
      const withLinks = synthJson(
        new SecurityStack(Testing.app(), 'security', {
          inventory: TEST_INVENTORY,
          catalog: CATALOG,
          alerting: {
            ...TEST_ALERTING,
            approvals: {
              linkKeyRef: 'secretsmanager:vigil/approvals/link-key',
              emailFrom: 'vigil-approvals@example.com',
            },
          },
          remediation: TEST_REMEDIATION,
        }),
      );
      const fn = resourcesOfType(withLinks, 'aws_lambda_function').find((f) => f.function_name === 'vigil-remediate')!;
      expect(fn.environment.variables).toMatchObject({
        APPROVAL_LINK_KEY_REF: 'secretsmanager:vigil/approvals/link-key',
        APPROVAL_EMAIL_FROM: 'vigil-approvals@example.com',
        APPROVAL_BASE_URL: expect.stringMatching(/^\$\{aws_lambda_function_url\..+\.function_url\}$/),
      });
      const policy = policyOf(
        resourcesOfType(withLinks, 'aws_iam_role_policy').find((p) => p.role.includes('.remediate_role_'))!,
      );
      expect(statement(policy, 'SendApprovalLinkEmail')).toEqual({
        Sid: 'SendApprovalLinkEmail',
        Effect: 'Allow',
        Action: 'ses:SendEmail',
        Resource: 'arn:aws:ses:eu-west-1:333333333333:identity/*',
        Condition: { StringEquals: { 'ses:FromAddress': 'vigil-approvals@example.com' } },
      });
      // The key the links are signed with is readable by remediate (and by approve, which verifies them).
      expect(JSON.stringify(policy)).toContain(
        'arn:aws:secretsmanager:eu-west-1:333333333333:secret:vigil/approvals/link-key-??????',
      );
      // Without the settings, remediate can send no email at all.
      expect(remediate.Statement.flatMap((st) => [st['Action']].flat())).not.toContain('ses:SendEmail');
      expect(fnNamed('vigil-remediate').environment.variables).not.toHaveProperty('APPROVAL_BASE_URL');
    });

    it('ships the remediation config and inventory with the function that reads them', () => {
      const fn = resourcesOfType(tf, 'aws_lambda_function').find((f) => f.function_name === 'vigil-remediate')!;
      expect(fn.environment.variables).toMatchObject({
        REMEDIATION_STATE_TABLE: 'vigil-remediation-state',
        REMEDIATION_AUDIT_TABLE: 'vigil-remediation-audit',
        APPROVAL_TABLE: 'vigil-approvals',
        CENTRAL_BUS_ARN: BUS_ARN,
        DEPLOY_ROLE_NAME: 'vigil-deploy',
      });
    });
  });

  it("has a KPI dashboard over the handlers' metrics", () => {
    const body = JSON.parse(onlyResource(tf, 'aws_cloudwatch_dashboard').dashboard_body);
    const text = JSON.stringify(body);
    for (const metric of [
      'DetectionLatencyMs',
      'TimeToRespondMs',
      'AlertsSent',
      'Deduplicated',
      'DroppedInvalid',
      'Automated',
    ]) {
      expect(text).toContain(metric);
    }
  });

  it('fails when a detection pattern is not one EventBridge accepts', () => {
    const bad = [{ ...CATALOG[0]!, pattern: { detail: { eventName: [{ prefix: 42 }] } } }];
    expect(
      () =>
        new SecurityStack(Testing.app(), 'security', {
          inventory: TEST_INVENTORY,
          catalog: bad,
          alerting: TEST_ALERTING,
          remediation: TEST_REMEDIATION,
        }),
    ).toThrow(/central rule vigil-/);
  });

  it('fails when the catalog needs more rules than a bus allows', () => {
    const many = Array.from({ length: 301 }, (_, i) => ({ ...CATALOG[0]!, id: `d-${i}` }));
    expect(
      () =>
        new SecurityStack(Testing.app(), 'security', {
          inventory: TEST_INVENTORY,
          catalog: many,
          alerting: TEST_ALERTING,
          remediation: TEST_REMEDIATION,
        }),
    ).toThrow(/allows 300 per bus/);
  });
});
