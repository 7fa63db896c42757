import { CloudwatchEventArchive } from '@cdktf/provider-aws/lib/cloudwatch-event-archive';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventBusPolicy } from '@cdktf/provider-aws/lib/cloudwatch-event-bus-policy';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import type { Construct } from 'constructs';
import type { OrgInventory } from '../config/inventory';
import { centralBusArn, centralBusName } from '../config/naming';
import { policyDocument } from '../constructs/policy-document';
import { type CentralRule, centralRules } from '../rules/patterns';
import type { Detection } from '../rules/types';
import { VigilStack } from './vigil-stack';

export interface SecurityStackProps {
  readonly inventory: OrgInventory;
  readonly catalog: readonly Detection[];
}

/** EventBridge allows 300 rules per bus (adjustable); fail synth well before a deploy would. */
export const MAX_RULES_PER_BUS = 300;

/**
 * The security account: the central bus (admits only the organization, only PutEvents), its archive,
 * one precise routing rule per detection, and the encrypted triage queue with its dead-letter queue.
 */
export class SecurityStack extends VigilStack {
  readonly busArn: string;
  readonly rules: readonly CentralRule[];

  constructor(scope: Construct, id: string, props: SecurityStackProps) {
    const inv = props.inventory;
    super(scope, id, { inventory: inv, accountId: inv.securityAccountId, component: 'security' });
    const provider = this.provider;
    const p = inv.namePrefix;
    const busName = centralBusName(inv);
    this.busArn = centralBusArn(inv);
    const ruleArnPattern = `arn:aws:events:${inv.homeRegion}:${inv.securityAccountId}:rule/${busName}/${p}-*`;
    this.rules = centralRules(props.catalog, p);
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
    new KmsAlias(this, 'queue-key-alias', { provider, name: `alias/${p}-security`, targetKeyId: key.keyId });

    const bus = new CloudwatchEventBus(this, 'bus', { provider, name: busName });
    // One org-scoped statement: its size does not grow with the organization (10,240-character limit).
    new CloudwatchEventBusPolicy(this, 'bus-policy', {
      provider,
      eventBusName: bus.name,
      policy: policyDocument([
        {
          Sid: 'OrganizationPutEventsOnly',
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: this.busArn,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': inv.organizationId } },
        },
      ]),
    });
    new CloudwatchEventArchive(this, 'archive', {
      provider,
      name: `${busName}-archive`,
      description: 'Every security event forwarded to the central bus, for replay',
      eventSourceArn: bus.arn,
      retentionDays: inv.archiveRetentionDays ?? 365,
    });

    const dlq = new SqsQueue(this, 'triage-dlq', {
      provider,
      name: `${p}-triage-dlq`,
      kmsMasterKeyId: key.arn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: 1_209_600,
    });
    const queue = new SqsQueue(this, 'triage-queue', {
      provider,
      name: `${p}-triage`,
      kmsMasterKeyId: key.arn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: 345_600,
      // Six times the triage function's timeout (AWS guidance for SQS event sources).
      visibilityTimeoutSeconds: 360,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: `arn:aws:sqs:${inv.homeRegion}:${inv.securityAccountId}:${p}-triage-dlq`,
        maxReceiveCount: 5,
      }),
      dependsOn: [dlq],
    });
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
    new CloudwatchMetricAlarm(this, 'triage-dlq-alarm', {
      provider,
      alarmName: `${p}-triage-dlq-not-empty`,
      alarmDescription:
        'Security events failed delivery or triage and wait in the dead-letter queue: inspect and redrive.',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: dlq.name },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [opsTopic.arn],
      okActions: [opsTopic.arn],
    });
  }
}
