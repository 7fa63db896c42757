import { CloudwatchEventArchive } from '@cdktf/provider-aws/lib/cloudwatch-event-archive';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventBusPolicy } from '@cdktf/provider-aws/lib/cloudwatch-event-bus-policy';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DynamodbTable, type DynamodbTableConfig } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunctionUrl } from '@cdktf/provider-aws/lib/lambda-function-url';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { join } from 'node:path';
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { type AlertingConfig, type SecretRef, secretRefs } from '../config/alerting';
import type { RemediationConfig } from '../config/remediation';
import type { OrgInventory } from '../config/inventory';
import {
  centralBusArn,
  centralBusName,
  forwarderRoleName,
  functionNames,
  functionRoleArn,
  memberRequestKeyAlias,
  readOnlyRoleName,
  remediationRoleName,
  remediationUndoRoleName,
} from '../config/naming';
import {
  archiveName,
  deadLetterQueueName,
  queueNames,
  scheduleRuleNames,
  securityKeyAlias,
  tableNames,
} from '../config/naming';
import { toHandlerInventory } from '../handlers/core/inventory-view';
import { MALFORMED_APPROVAL_RECORDS_METRIC, METRIC_NAMESPACE } from '../handlers/core/metrics';
import { KpiDashboard } from '../constructs/kpi-dashboard';
import { NodeFunction } from '../constructs/node-function';
import { policyDocument, type Statement } from '../constructs/policy-document';
import { assertValidPattern } from '../rules/pattern-check';
import { type CentralRule, centralRules } from '../rules/patterns';
import type { Detection } from '../rules/types';
import { VigilStack } from './vigil-stack';

export interface SecurityStackProps {
  readonly inventory: OrgInventory;
  readonly catalog: readonly Detection[];
  /** Alert channels and routing (config/alerting.json). */
  readonly alerting: AlertingConfig;
  /** Remediation modes, exemptions and safety rails (config/remediation.json). */
  readonly remediation: RemediationConfig;
  /** Folder of the Lambda entrypoints. @default handlers/entrypoints of this repository */
  readonly entrypointsDir?: string;
}

/** Triage function timeout; the queue's visibility timeout is six times this (AWS guidance). */
export const TRIAGE_TIMEOUT_SECONDS = 120;

/**
 * remediate-member timeout: its longest request is a state read that pages CloudTrail LookupEvents
 * (up to 10 pages per query, two lookups per second per account and region, adaptive retries).
 */
export const REMEDIATE_MEMBER_TIMEOUT_SECONDS = 120;

/**
 * Synchronous remediate-member invokes in one remediate pass at most: tags, state, the change, the
 * verifying state read (an approved execution or an undo makes fewer).
 */
export const MEMBER_INVOKES_PER_PASS = 4;

/**
 * Remediate function timeout: every member invoke of a pass may run to the member timeout, plus a minute
 * for DynamoDB, SSM, Slack and PagerDuty. Kept above the member timeout times the invokes so a slow
 * member account fails its invoke (a typed, reported failure) before remediate itself times out.
 */
export const REMEDIATE_TIMEOUT_SECONDS = MEMBER_INVOKES_PER_PASS * REMEDIATE_MEMBER_TIMEOUT_SECONDS + 60;

/** The per-table part of a DynamoDB table; encryption, billing and protection are the same for all. */
type TableShape = 'name' | 'hashKey' | 'rangeKey' | 'attribute' | 'ttl' | 'globalSecondaryIndex';

type AlarmMetric = Pick<
  CloudwatchMetricAlarmConfig,
  'namespace' | 'metricName' | 'dimensions' | 'statistic' | 'period'
>;

/**
 * AWS provider version of the security stack: the first with `invoked_via_function_url` on
 * `aws_lambda_permission` (the approval URL needs it), above the binding's 6.25.0 pin.
 * TODO(iam): #7 drop with a @cdktf/provider-aws binding built on provider ≥ 6.29.
 */
export const INVOKED_VIA_URL_PROVIDER_VERSION = '6.29.0';

/** EventBridge allows 300 rules per bus (adjustable); fail synth well before a deploy would. */
export const MAX_RULES_PER_BUS = 300;

/**
 * The security account: the central bus (admits only the organization, only PutEvents), its archive,
 * one precise routing rule per detection, and the encrypted triage queue with its dead-letter queue.
 */
export class SecurityStack extends VigilStack {
  readonly busArn: string;
  readonly rules: readonly CentralRule[];
  readonly triage: NodeFunction;
  readonly remediate: NodeFunction;
  /** The only function whose role may assume the member accounts' vigil roles. */
  readonly remediateMember: NodeFunction;
  readonly approve: NodeFunction;
  /** URL of the approval endpoint (set it as the Slack app's Interactivity Request URL + `/slack/interactions`). */
  readonly approveUrl: string;

  constructor(scope: Construct, id: string, props: SecurityStackProps) {
    const inv = props.inventory;
    super(scope, id, { inventory: inv, accountId: inv.securityAccountId, component: 'security' });
    const provider = this.provider;
    const p = inv.namePrefix;
    const busName = centralBusName(inv);
    this.busArn = centralBusArn(inv);
    const ruleArnPattern = `arn:aws:events:${inv.homeRegion}:${inv.securityAccountId}:rule/${busName}/${p}-*`;
    this.rules = centralRules(props.catalog, p);
    // EventBridge would reject an invalid pattern at apply time; fail synth instead, naming the rule.
    for (const r of this.rules) assertValidPattern(r.pattern, `central rule ${r.name}`);
    if (this.rules.length > MAX_RULES_PER_BUS) {
      throw new Error(
        `the catalog yields ${this.rules.length} central rules; EventBridge allows ${MAX_RULES_PER_BUS} per bus`,
      );
    }

    // Queue payloads are CloudTrail records (who did what, from where): encrypt with a key whose
    // policy admits EventBridge only for this account's rules (SSE-KMS queue as EventBridge target).
    const key = new KmsKey(this, 'queue-key', {
      provider,
      description: `Encrypts ${p} security queues and topics`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        {
          Sid: 'KeyAdministrationByAccount',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${inv.securityAccountId}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Sid: 'EventBridgeRulesOfThisAccount',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': inv.securityAccountId } },
        },
        {
          Sid: 'CloudWatchAlarmsToEncryptedTopic',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': inv.securityAccountId } },
        },
      ]),
    });
    new KmsAlias(this, 'queue-key-alias', { provider, name: securityKeyAlias(inv), targetKeyId: key.keyId });

    /**
     * A work queue and its dead-letter queue, both SSE-KMS with the security key. The work queue keeps
     * messages 4 days and moves one to the DLQ (kept 14 days, alarmed) after `maxReceiveCount` tries.
     */
    const queueWithDlq = (id: string, name: string, visibilityTimeoutSeconds: number, maxReceiveCount: number) => {
      const encrypted = { provider, kmsMasterKeyId: key.arn, kmsDataKeyReusePeriodSeconds: 300 };
      const dlq = new SqsQueue(this, `${id}-dlq`, {
        ...encrypted,
        name: deadLetterQueueName(name),
        messageRetentionSeconds: 1_209_600,
      });
      const queue = new SqsQueue(this, `${id}-queue`, {
        ...encrypted,
        name,
        messageRetentionSeconds: 345_600,
        visibilityTimeoutSeconds,
        redrivePolicy: JSON.stringify({
          deadLetterTargetArn: `arn:aws:sqs:${inv.homeRegion}:${inv.securityAccountId}:${deadLetterQueueName(name)}`,
          maxReceiveCount,
        }),
        dependsOn: [dlq],
      });
      return { queue, dlq };
    };
    /** Every vigil table: on demand, encrypted with the security key, point-in-time recovery, protected from deletion. */
    const secureTable = (id: string, config: Pick<DynamodbTableConfig, TableShape>) =>
      new DynamodbTable(this, id, {
        provider,
        billingMode: 'PAY_PER_REQUEST',
        ...config,
        serverSideEncryption: { enabled: true, kmsKeyArn: key.arn },
        pointInTimeRecovery: { enabled: true },
        deletionProtectionEnabled: true,
      });

    const bus = new CloudwatchEventBus(this, 'bus', { provider, name: busName });
    // One org-scoped statement: its size does not grow with the organization (10,240-character limit).
    // Only the forwarder role (any org account, no path: member stacks create it at the root path) may
    // put events; any other principal of the org, an admin included, could otherwise inject fake ones.
    new CloudwatchEventBusPolicy(this, 'bus-policy', {
      provider,
      eventBusName: bus.name,
      policy: policyDocument([
        {
          Sid: 'OrgForwarderRolesPutEventsOnly',
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: this.busArn,
          Condition: {
            StringEquals: { 'aws:PrincipalOrgID': inv.organizationId },
            ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::*:role/${forwarderRoleName(inv)}` },
          },
        },
      ]),
    });
    new CloudwatchEventArchive(this, 'archive', {
      provider,
      name: archiveName(inv),
      description: 'Every security event forwarded to the central bus, for replay',
      eventSourceArn: bus.arn,
      retentionDays: inv.archiveRetentionDays ?? 365,
    });

    // Six times the triage function's timeout (AWS guidance for SQS event sources).
    const { queue, dlq } = queueWithDlq('triage', queueNames(inv).triage, 6 * TRIAGE_TIMEOUT_SECONDS, 5);
    for (const [id, q] of [
      ['triage-queue-policy', queue],
      ['triage-dlq-policy', dlq],
    ] as const) {
      new SqsQueuePolicy(this, id, {
        provider,
        queueUrl: q.url,
        policy: policyDocument([
          {
            Sid: 'CentralRulesSendOnly',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: `arn:aws:sqs:${inv.homeRegion}:${inv.securityAccountId}:${q === queue ? `${p}-triage` : `${p}-triage-dlq`}`,
            Condition: { ArnLike: { 'aws:SourceArn': ruleArnPattern } },
          },
        ]),
      });
    }

    for (const r of this.rules) {
      const rule = new CloudwatchEventRule(this, `rule-${r.detectionId}`, {
        provider,
        name: r.name,
        description: r.description,
        eventBusName: bus.name,
        eventPattern: JSON.stringify(r.pattern),
        state: r.state,
      });
      new CloudwatchEventTarget(this, `target-${r.detectionId}`, {
        provider,
        rule: rule.name,
        eventBusName: bus.name,
        targetId: 'triage-queue',
        arn: queue.arn,
        // The queue message names the detection the central rule matched, so triage never guesses.
        // `<aws.events.event.json>` is the whole event; `<aws.events.event>` would drop `detail`.
        inputTransformer: {
          inputTemplate: `{"detectionId":${JSON.stringify(r.detectionId)},"event":<aws.events.event.json>}`,
        },
        deadLetterConfig: { arn: dlq.arn },
        retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
      });
    }

    const opsTopic = new SnsTopic(this, 'ops-topic', { provider, name: `${p}-ops-alarms`, kmsMasterKeyId: key.arn });
    /** Pages the platform team (ops topic) as soon as a metric goes above zero. */
    const alarmAboveZero = (id: string, alarmName: string, description: string, metric: AlarmMetric) =>
      new CloudwatchMetricAlarm(this, id, {
        provider,
        alarmName,
        alarmDescription: description,
        ...metric,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
        alarmActions: [opsTopic.arn],
        okActions: [opsTopic.arn],
      });
    const alarmOnDlq = (id: string, queueName: string, what: string) =>
      alarmAboveZero(id, `${queueName}-not-empty`, `${what} Inspect, fix and redrive.`, {
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: queueName },
        statistic: 'Maximum',
        period: 60,
      });
    const alarmOnErrors = (fn: string, consequence: string) =>
      alarmAboveZero(`${fn}-errors-alarm`, `${fn}-errors`, `The ${fn} function failed invocations; ${consequence}`, {
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: fn },
        statistic: 'Sum',
        period: 300,
      });

    // --- triage: queue → function → Slack / PagerDuty / email ---------------------------------
    const region = inv.homeRegion;
    const account = inv.securityAccountId;
    const alerting = props.alerting;
    const entrypoints = props.entrypointsDir ?? join(__dirname, '..', 'handlers', 'entrypoints');

    const stateTable = secureTable('triage-state', {
      name: tableNames(inv).triageState,
      hashKey: 'pk',
      attribute: [{ name: 'pk', type: 'S' }],
      ttl: { attributeName: 'expiresAt', enabled: true },
    });
    const alertTopic = new SnsTopic(this, 'alert-topic', { provider, name: `${p}-alerts`, kmsMasterKeyId: key.arn });
    for (const email of [...(alerting.default.emails ?? [])].sort()) {
      new SnsTopicSubscription(this, `alert-email-${email}`, {
        provider,
        topicArn: alertTopic.arn,
        protocol: 'email',
        endpoint: email,
      });
    }
    const alertTopicArn = `arn:aws:sns:${region}:${account}:${p}-alerts`;

    const triage = new NodeFunction(this, 'triage', {
      provider,
      functionName: functionNames(inv).triage,
      entry: join(entrypoints, 'triage.ts'),
      accountId: account,
      region,
      timeoutSeconds: TRIAGE_TIMEOUT_SECONDS,
      logRetentionDays: alerting.logRetentionDays ?? 365,
      files: {
        'inventory.json': `${JSON.stringify(toHandlerInventory(inv))}\n`,
        'owner-routing.json': `${JSON.stringify(alerting.owners ?? {})}\n`,
      },
      environment: {
        DEDUPE_TABLE: `${p}-triage-state`,
        EMAIL_TOPIC_ARN: alertTopicArn,
        OWNER_ROUTING_FILE: 'owner-routing.json',
        REMEDIATION_QUEUE_URL: `https://sqs.${region}.amazonaws.com/${account}/${p}-remediation`,
        PAGERDUTY_MIN_SEVERITY: alerting.pagerdutyMinSeverity ?? 'high',
        REPEAT_WINDOW_SECONDS: String(alerting.repeatWindowSeconds ?? 900),
        ...(alerting.default.slackChannel ? { SLACK_CHANNEL: alerting.default.slackChannel } : {}),
        ...(alerting.default.slackWebhookRef ? { SLACK_WEBHOOK_REF: alerting.default.slackWebhookRef } : {}),
        // A Slack app bot token posts with chat.postMessage, so the outcome can edit the alert in place.
        ...(alerting.default.slackBotTokenRef
          ? {
              SLACK_BOT_TOKEN_REF: alerting.default.slackBotTokenRef,
              ...(alerting.default.slackChannelId ? { SLACK_CHANNEL_ID: alerting.default.slackChannelId } : {}),
            }
          : {}),
        ...(alerting.default.pagerdutyRoutingKeyRef
          ? { PAGERDUTY_ROUTING_KEY_REF: alerting.default.pagerdutyRoutingKeyRef }
          : {}),
      },
      statements: [
        {
          Sid: 'ConsumeTriageQueue',
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
          Resource: `arn:aws:sqs:${region}:${account}:${p}-triage`,
        },
        {
          Sid: 'DedupeState',
          Effect: 'Allow',
          // The dedupe store (adapters/dedupe-store.ts) sends conditional puts, updates and deletes only.
          Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          Resource: `arn:aws:dynamodb:${region}:${account}:table/${p}-triage-state`,
        },
        {
          Sid: 'PublishAlertEmail',
          Effect: 'Allow',
          Action: 'sns:Publish',
          Resource: alertTopicArn,
        },
        {
          Sid: 'RequestRemediation',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: `arn:aws:sqs:${region}:${account}:${p}-remediation`,
        },
        {
          // Queue messages, table items and the topic are encrypted with the security key.
          Sid: 'UseSecurityKey',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: key.arn,
        },
        {
          Sid: 'ReadOwnerTagsInMembers',
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: `arn:aws:iam::*:role/${readOnlyRoleName(inv)}`,
          Condition: { StringEquals: { 'aws:ResourceOrgID': inv.organizationId } },
        },
        ...secretReadStatements(secretRefs(alerting), region, account),
      ],
    });
    new LambdaEventSourceMapping(this, 'triage-source', {
      provider,
      eventSourceArn: queue.arn,
      functionName: triage.function.arn,
      batchSize: 10,
      maximumBatchingWindowInSeconds: 1,
      // Failed records are retried alone; the rest of the batch is acknowledged.
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: 10 },
      dependsOn: [stateTable],
    });
    this.triage = triage;

    alarmOnErrors(functionNames(inv).triage, 'alerts are being retried and may reach the DLQ.');
    // --- remediation: work queue → remediate → member accounts; approvals ------------------------
    const remediation = props.remediation;
    const names = functionNames(inv);
    const inventoryFile = `${JSON.stringify(toHandlerInventory(inv))}\n`;
    const remediationFile = `${JSON.stringify(remediation)}\n`;
    const approvalsConfig = alerting.approvals ?? {};
    const workQueueName = queueNames(inv).remediation;
    const workQueueArn = `arn:aws:sqs:${region}:${account}:${workQueueName}`;
    const tableArn = (name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;
    const stateTableName = tableNames(inv).remediationState;
    const auditTableName = tableNames(inv).remediationAudit;
    const approvalTableName = tableNames(inv).approvals;

    const { queue: workQueue } = queueWithDlq('remediation', workQueueName, 6 * REMEDIATE_TIMEOUT_SECONDS, 3);
    secureTable('remediation-state', {
      name: stateTableName,
      hashKey: 'pk',
      attribute: [{ name: 'pk', type: 'S' }],
      ttl: { attributeName: 'expiresAt', enabled: true },
    });
    // Append-only by IAM (the writers may only PutItem) and kept: no TTL, point-in-time recovery.
    secureTable('remediation-audit', {
      name: auditTableName,
      hashKey: 'pk',
      rangeKey: 'sk',
      attribute: [
        { name: 'pk', type: 'S' },
        { name: 'sk', type: 'S' },
      ],
    });
    secureTable('approvals', {
      name: approvalTableName,
      hashKey: 'id',
      attribute: [
        { name: 'id', type: 'S' },
        { name: 'status', type: 'S' },
        { name: 'expiresAt', type: 'N' },
      ],
      globalSecondaryIndex: [
        { name: 'status-expiresAt', hashKey: 'status', rangeKey: 'expiresAt', projectionType: 'ALL' },
      ],
      ttl: { attributeName: 'ttl', enabled: true },
    });
    // Created "off"; operators flip it by hand, so Terraform never resets their value.
    new SsmParameter(this, 'kill-switch', {
      provider,
      name: remediation.killSwitchParameter,
      type: 'String',
      value: 'off',
      description: 'vigil remediation kill switch: "on" stops every automatic and approved change',
      lifecycle: { ignoreChanges: ['value'] },
    });

    const useKey: Statement = {
      Sid: 'UseSecurityKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: key.arn,
    };
    const auditAppendOnly: Statement[] = [
      {
        Sid: 'AuditAppend',
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:Query'],
        Resource: tableArn(auditTableName),
      },
      {
        Sid: 'AuditNeverRewritten',
        Effect: 'Deny',
        Action: ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
        Resource: tableArn(auditTableName),
      },
    ];
    const sendWork: Statement = {
      Sid: 'SendRemediationWork',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: workQueueArn,
    };

    // --- member request key: remediate signs execute requests, remediate-member verifies them ----
    // An HMAC key whose policy lets only remediate's role generate MACs and only remediate-member's
    // verify them (named by exact ARN; explicit denies so neither IAM policies nor grants can add
    // anyone), so an execute request reaching remediate-member by any other path is refused. HMAC keys
    // cannot rotate automatically (KMS EnableKeyRotation); the key material never leaves KMS.
    const signerArn = functionRoleArn(inv, 'remediate');
    const verifierArn = functionRoleArn(inv, 'remediateMember');
    const requestKey = new KmsKey(this, 'member-request-key', {
      provider,
      description: `Signs ${p} remediate's execute requests to remediate-member`,
      customerMasterKeySpec: 'HMAC_256',
      keyUsage: 'GENERATE_VERIFY_MAC',
      deletionWindowInDays: 30,
      policy: policyDocument([
        {
          Sid: 'KeyAdministrationByAccount',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          // The KMS default key administrators' actions: administer, never generate or verify a MAC.
          Action: [
            'kms:CancelKeyDeletion',
            'kms:Create*',
            'kms:Delete*',
            'kms:Describe*',
            'kms:Disable*',
            'kms:Enable*',
            'kms:Get*',
            'kms:List*',
            'kms:Put*',
            'kms:Revoke*',
            'kms:ScheduleKeyDeletion',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:Update*',
          ],
          Resource: '*',
        },
        ...(
          [
            ['SignByRemediateOnly', 'kms:GenerateMac', signerArn],
            ['VerifyByRemediateMemberOnly', 'kms:VerifyMac', verifierArn],
          ] as const
        ).flatMap(([sid, action, roleArn]): Statement[] => [
          {
            Sid: sid,
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${account}:root` },
            Action: action,
            Resource: '*',
            Condition: { ArnEquals: { 'aws:PrincipalArn': roleArn } },
          },
          {
            Sid: `${sid}Deny`,
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: action,
            Resource: '*',
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleArn } },
          },
        ]),
      ]),
    });
    new KmsAlias(this, 'member-request-key-alias', {
      provider,
      name: memberRequestKeyAlias(inv),
      targetKeyId: requestKey.keyId,
    });
    const requestKeyEnv = { MEMBER_REQUEST_KEY_ARN: requestKey.arn };
    // remediate reports outcomes only where config/alerting.json sends alerts, whatever a request names.
    const alertRouting = `${JSON.stringify({
      routes: [alerting.default, ...Object.values(alerting.owners ?? {})].map(
        ({ slackChannel, slackWebhookRef, slackBotTokenRef, slackChannelId, pagerdutyRoutingKeyRef }) => ({
          slackChannel,
          slackWebhookRef,
          slackBotTokenRef,
          slackChannelId,
          pagerdutyRoutingKeyRef,
        }),
      ),
      emailTopicArn: alertTopicArn,
    })}\n`;
    const useRequestKey = (Sid: string, Action: string): Statement => ({
      Sid,
      Effect: 'Allow',
      Action,
      Resource: requestKey.arn,
    });

    // Member-account I/O in its own small function: it alone holds member credentials (and the member
    // services' SDK clients, which kept remediate over the 500 KB bundle budget). It decides nothing.
    this.remediateMember = new NodeFunction(this, 'remediate-member', {
      provider,
      functionName: names.remediateMember,
      entry: join(entrypoints, 'remediate-member.ts'),
      accountId: account,
      region,
      timeoutSeconds: REMEDIATE_MEMBER_TIMEOUT_SECONDS,
      logRetentionDays: alerting.logRetentionDays ?? 365,
      // Twice remediate's: each remediate invocation makes its member invokes one at a time.
      reservedConcurrency: 10,
      files: { 'inventory.json': inventoryFile },
      environment: { NAME_PREFIX: p, ...requestKeyEnv },
      statements: [
        useRequestKey('VerifyMemberRequests', 'kms:VerifyMac'),
        {
          Sid: 'AssumeMemberRoles',
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: [remediationRoleName(inv), remediationUndoRoleName(inv), readOnlyRoleName(inv)].map(
            (n) => `arn:aws:iam::*:role/${n}`,
          ),
          Condition: { StringEquals: { 'aws:ResourceOrgID': inv.organizationId } },
        },
      ],
    });
    const memberFunctionArn = `arn:aws:lambda:${region}:${account}:function:${names.remediateMember}`;

    // The approve function and its URL come first: remediate mails signed links to that URL. The
    // reference goes one way only (approve knows nothing of remediate), so there is no cycle.
    const approveEnv = {
      APPROVAL_TABLE: approvalTableName,
      REMEDIATION_AUDIT_TABLE: auditTableName,
      APPROVAL_WORK_QUEUE_URL: `https://sqs.${region}.amazonaws.com/${account}/${workQueueName}`,
    };
    this.approve = new NodeFunction(this, 'approve', {
      provider,
      functionName: names.approve,
      entry: join(entrypoints, 'approve.ts'),
      accountId: account,
      region,
      // Slack expects an answer within 3 seconds; the work itself goes to the queue.
      timeoutSeconds: 10,
      reservedConcurrency: 5,
      logRetentionDays: alerting.logRetentionDays ?? 365,
      files: { 'remediation.json': remediationFile },
      environment: {
        ...approveEnv,
        ...(approvalsConfig.slackSigningSecretRef
          ? { SLACK_SIGNING_SECRET_REF: approvalsConfig.slackSigningSecretRef }
          : {}),
        ...(approvalsConfig.linkKeyRef ? { APPROVAL_LINK_KEY_REF: approvalsConfig.linkKeyRef } : {}),
      },
      statements: [
        {
          Sid: 'DecideApprovals',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
          Resource: tableArn(approvalTableName),
        },
        ...auditAppendOnly,
        sendWork,
        useKey,
        ...secretReadStatements(
          [approvalsConfig.slackSigningSecretRef, approvalsConfig.linkKeyRef].filter((r): r is SecretRef => !!r).sort(),
          region,
          account,
        ),
      ],
    });
    // Authentication happens in the function: Slack's signature (with a timestamp window) or a
    // single-use signed link; Slack cannot sign with AWS credentials, so the URL itself is public.
    const url = new LambdaFunctionUrl(this, 'approve-url', {
      provider,
      functionName: this.approve.function.functionName,
      authorizationType: 'NONE',
    });
    new LambdaPermission(this, 'approve-url-permission', {
      provider,
      statementId: 'PublicUrlVerifiedInFunction',
      action: 'lambda:InvokeFunctionUrl',
      functionName: this.approve.function.functionName,
      principal: '*',
      functionUrlAuthType: 'NONE',
    });
    // Function URLs created since October 2025 also need lambda:InvokeFunction, limited to calls through
    // the URL (`lambda:InvokedViaFunctionUrl`), or every request is refused with 403 (AWS Lambda developer
    // guide, "Control access to Lambda function URLs"). Without that condition the statement would let
    // anyone invoke the function directly. Provider 6.29.0 added `invoked_via_function_url`; the 6.25
    // binding in node_modules lacks it, hence the override and the provider pin of this stack below.
    const viaUrl = new LambdaPermission(this, 'approve-url-invoke-permission', {
      provider,
      statementId: 'PublicInvokeOnlyViaUrl',
      action: 'lambda:InvokeFunction',
      functionName: this.approve.function.functionName,
      principal: '*',
    });
    viaUrl.addOverride('invoked_via_function_url', true);
    this.addOverride('terraform.required_providers.aws.version', INVOKED_VIA_URL_PROVIDER_VERSION);
    this.approveUrl = url.functionUrl;
    new TerraformOutput(this, 'approval-url', {
      description: "Slack app Interactivity Request URL: this value followed by 'slack/interactions'",
      value: url.functionUrl,
    });

    this.remediate = new NodeFunction(this, 'remediate', {
      provider,
      functionName: names.remediate,
      entry: join(entrypoints, 'remediate.ts'),
      accountId: account,
      region,
      timeoutSeconds: REMEDIATE_TIMEOUT_SECONDS,
      logRetentionDays: alerting.logRetentionDays ?? 365,
      // One remediation at a time per batch keeps the circuit breaker's counting exact.
      reservedConcurrency: 5,
      files: {
        'inventory.json': inventoryFile,
        'remediation.json': remediationFile,
        'alert-routing.json': alertRouting,
      },
      environment: {
        REMEDIATION_STATE_TABLE: stateTableName,
        REMEDIATION_AUDIT_TABLE: auditTableName,
        APPROVAL_TABLE: approvalTableName,
        CENTRAL_BUS_ARN: this.busArn,
        DEPLOY_ROLE_NAME: inv.deployRoleName,
        MEMBER_FUNCTION_NAME: names.remediateMember,
        ...requestKeyEnv,
        ...(approvalsConfig.slackWebhookRef ? { APPROVAL_SLACK_WEBHOOK_REF: approvalsConfig.slackWebhookRef } : {}),
        ...(approvalsConfig.escalationRoutingKeyRef
          ? { ESCALATION_PAGERDUTY_ROUTING_KEY_REF: approvalsConfig.escalationRoutingKeyRef }
          : {}),
        // Signed links by email: the handler sends them only when all three are set.
        ...(approvalsConfig.linkKeyRef
          ? { APPROVAL_LINK_KEY_REF: approvalsConfig.linkKeyRef, APPROVAL_BASE_URL: url.functionUrl }
          : {}),
        ...(approvalsConfig.emailFrom ? { APPROVAL_EMAIL_FROM: approvalsConfig.emailFrom } : {}),
      },
      statements: [
        {
          Sid: 'ConsumeRemediationWork',
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
          Resource: workQueueArn,
        },
        {
          // Member accounts only through remediate-member: remediate holds no member credentials.
          Sid: 'InvokeMemberFunction',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: memberFunctionArn,
        },
        useRequestKey('SignMemberRequests', 'kms:GenerateMac'),
        {
          Sid: 'IdempotencyAndBreaker',
          Effect: 'Allow',
          // adapters/remediation/idempotency.ts and breaker.ts never read an item back (no GetItem).
          Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          Resource: tableArn(stateTableName),
        },
        ...auditAppendOnly,
        {
          Sid: 'ApprovalRequests',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: tableArn(approvalTableName),
        },
        {
          Sid: 'ReadKillSwitch',
          Effect: 'Allow',
          Action: 'ssm:GetParameter',
          Resource: `arn:aws:ssm:${region}:${account}:parameter${remediation.killSwitchParameter}`,
        },
        { Sid: 'PublishAlertEmail', Effect: 'Allow', Action: 'sns:Publish', Resource: alertTopicArn },
        ...(approvalsConfig.emailFrom
          ? [
              {
                // Only as the configured sender: the role cannot mail as anyone else it may have verified.
                Sid: 'SendApprovalLinkEmail',
                Effect: 'Allow',
                Action: 'ses:SendEmail',
                Resource: `arn:aws:ses:${region}:${account}:identity/*`,
                Condition: { StringEquals: { 'ses:FromAddress': approvalsConfig.emailFrom } },
              } satisfies Statement,
            ]
          : []),
        useKey,
        // Not the Slack signing secret: only approve verifies Slack's signatures.
        ...secretReadStatements(
          [
            ...new Set(
              [
                ...secretRefs(alerting),
                approvalsConfig.slackWebhookRef,
                approvalsConfig.linkKeyRef,
                approvalsConfig.escalationRoutingKeyRef,
              ].filter((r): r is SecretRef => !!r),
            ),
          ].sort(),
          region,
          account,
        ),
      ],
    });
    new LambdaEventSourceMapping(this, 'remediation-source', {
      provider,
      eventSourceArn: workQueue.arn,
      functionName: this.remediate.function.arn,
      batchSize: 1,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: 5 },
    });

    const timeouts = new NodeFunction(this, 'approval-timeouts', {
      provider,
      functionName: names.approvalTimeouts,
      entry: join(entrypoints, 'approval-timeouts.ts'),
      accountId: account,
      region,
      timeoutSeconds: 60,
      logRetentionDays: alerting.logRetentionDays ?? 365,
      files: { 'remediation.json': remediationFile },
      environment: {
        ...approveEnv,
        ...(approvalsConfig.escalationRoutingKeyRef
          ? { ESCALATION_PAGERDUTY_ROUTING_KEY_REF: approvalsConfig.escalationRoutingKeyRef }
          : {}),
      },
      statements: [
        {
          Sid: 'SweepExpiredApprovals',
          Effect: 'Allow',
          Action: ['dynamodb:Query', 'dynamodb:UpdateItem'],
          Resource: [tableArn(approvalTableName), `${tableArn(approvalTableName)}/index/status-expiresAt`],
        },
        ...auditAppendOnly,
        sendWork,
        useKey,
        ...secretReadStatements(
          [approvalsConfig.escalationRoutingKeyRef].filter((r): r is SecretRef => !!r),
          region,
          account,
        ),
      ],
    });
    const schedule = new CloudwatchEventRule(this, 'approval-timeouts-schedule', {
      provider,
      name: scheduleRuleNames(inv).approvalTimeouts,
      description: 'Expire, escalate or act on approval requests past their timeout',
      scheduleExpression: 'rate(5 minutes)',
    });
    new CloudwatchEventTarget(this, 'approval-timeouts-target', {
      provider,
      rule: schedule.name,
      targetId: 'sweeper',
      arn: timeouts.function.arn,
    });
    new LambdaPermission(this, 'approval-timeouts-permission', {
      provider,
      statementId: 'ScheduleOnly',
      action: 'lambda:InvokeFunction',
      functionName: timeouts.function.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: schedule.arn,
    });

    alarmOnDlq(
      'remediation-dlq-alarm',
      `${workQueueName}-dlq`,
      'Remediation work failed repeatedly and waits in the dead-letter queue.',
    );
    for (const fn of [names.remediate, names.approve, names.approvalTimeouts]) alarmOnErrors(fn, 'see its logs.');
    alarmAboveZero(
      'malformed-approval-records-alarm',
      `${p}-malformed-approval-records`,
      `The approval timeout sweep skipped approval records it could not read (their ids are in the ${names.approvalTimeouts} logs); they never time out by themselves: repair or delete them in ${tableNames(inv).approvals}.`,
      {
        namespace: METRIC_NAMESPACE,
        metricName: MALFORMED_APPROVAL_RECORDS_METRIC,
        statistic: 'Sum',
        period: 300,
      },
    );
    alarmOnErrors(
      names.remediateMember,
      'member-account reads or changes failed unhandled (timeouts, untyped errors); remediate reported them failed.',
    );

    new KpiDashboard(this, 'kpis', { provider, dashboardName: `${p}-kpis`, region });
    alarmOnDlq(
      'triage-dlq-alarm',
      `${p}-triage-dlq`,
      'Security events failed delivery or triage and wait in the dead-letter queue.',
    );
  }
}

/**
 * Least privilege for the secrets the alerting config references: exactly those secrets and
 * parameters, and KMS decryption only through Secrets Manager or SSM.
 */
export function secretReadStatements(refs: readonly SecretRef[], region: string, account: string): Statement[] {
  const secrets: string[] = [];
  const parameters: string[] = [];
  for (const ref of refs) {
    if (ref.startsWith('secretsmanager:')) {
      const id = ref.slice('secretsmanager:'.length).split('#')[0]!;
      // A secret ARN ends in a random 6-character suffix that a name does not carry.
      secrets.push(id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${region}:${account}:secret:${id}-??????`);
    } else {
      parameters.push(`arn:aws:ssm:${region}:${account}:parameter${ref.slice('ssm:'.length)}`);
    }
  }
  const statements: Statement[] = [];
  if (secrets.length > 0) {
    statements.push({
      Sid: 'ReadAlertSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: secrets,
    });
  }
  if (parameters.length > 0) {
    statements.push({ Sid: 'ReadAlertParameters', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameters });
  }
  if (statements.length > 0) {
    // Keys of the accounts that hold the secrets (this one, or the account of a secret given by ARN).
    const keyAccounts = [...new Set([account, ...secrets.map((arn) => arn.split(':')[4]!)])].sort();
    statements.push({
      Sid: 'DecryptSecretsViaService',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: keyAccounts.map((a) => `arn:aws:kms:${region}:${a}:key/*`),
      Condition: {
        StringEquals: { 'kms:ViaService': [`secretsmanager.${region}.amazonaws.com`, `ssm.${region}.amazonaws.com`] },
      },
    });
  }
  return statements;
}
