/**
 * Triage: the detection queue feeds the triage function, which dedupes, enriches and alerts (Slack,
 * PagerDuty, email through the alert topic) and hands remediation work to the remediation queue.
 */
import type { KmsKey } from '../../framework/aws';
import { LambdaEventSourceMapping } from '../../framework/aws';
import { SnsTopic } from '../../framework/aws';
import { SnsTopicSubscription } from '../../framework/aws';
import type { SqsQueue } from '../../framework/aws';
import { join } from 'node:path';
import { secretRefs } from '../../config/alerting';
import { functionNames, queueNames, readOnlyRoleName, tableNames } from '../../config/naming';
import { optional } from '../../handlers/functions/settings';
import { triageEnvironment } from '../../handlers/functions/triage/spec';
import { NodeFunction } from '../node-function';
import { findingsAccess } from './findings';
import type { Statement } from '../policy-document';
import { type SecurityContext, secureTable, useKey } from './context';
import { TRIAGE_TIMEOUT_SECONDS } from './limits';
import { secretReadStatements } from './secret-access';

/** `readInventory` lets the function read the inventory table (constructs/security/inventory-table.ts). */
export function triageFunction(ctx: SecurityContext, key: KmsKey, queue: SqsQueue, readInventory: Statement) {
  const { provider, inv, alerting, region, account, prefix: p } = ctx;
  const stateTable = secureTable(ctx, key, 'triage-state', {
    name: tableNames(inv).triageState,
    hashKey: 'pk',
    attribute: [{ name: 'pk', type: 'S' }],
    ttl: { attributeName: 'expiresAt', enabled: true },
  });
  const alertTopic = new SnsTopic(ctx.scope, 'alert-topic', { provider, name: `${p}-alerts`, kmsMasterKeyId: key.arn });
  for (const email of [...(alerting.default.emails ?? [])].sort()) {
    new SnsTopicSubscription(ctx.scope, `alert-email-${email}`, {
      provider,
      topicArn: alertTopic.arn,
      protocol: 'email',
      endpoint: email,
    });
  }
  const alertTopicArn = `arn:aws:sns:${region}:${account}:${p}-alerts`;

  const findings = findingsAccess(ctx);
  const triage = new NodeFunction(ctx.scope, 'triage', {
    provider,
    functionName: functionNames(inv).triage,
    entry: join(ctx.entrypoints, 'triage.ts'),
    accountId: account,
    region,
    timeoutSeconds: TRIAGE_TIMEOUT_SECONDS,
    logRetentionDays: alerting.logRetentionDays ?? 365,
    files: { 'owner-routing.json': `${JSON.stringify(alerting.owners ?? {})}\n` },
    environment: {
      ...triageEnvironment({
        tableName: tableNames(inv).triageState,
        inventoryTable: tableNames(inv).inventory,
        defaultRouting: {
          emailTopicArn: alertTopicArn,
          ...optional('slackChannel', alerting.default.slackChannel),
          ...optional('slackWebhookRef', alerting.default.slackWebhookRef),
          ...optional('slackBotTokenRef', alerting.default.slackBotTokenRef),
          ...optional('slackChannelId', alerting.default.slackChannelId),
          ...optional('pagerdutyRoutingKeyRef', alerting.default.pagerdutyRoutingKeyRef),
        },
        ownerRoutingFile: 'owner-routing.json',
        remediationQueueUrl: `https://sqs.${region}.amazonaws.com/${account}/${queueNames(inv).remediation}`,
        pagerDutyMinSeverity: alerting.pagerdutyMinSeverity ?? 'high',
        repeatWindowSeconds: alerting.repeatWindowSeconds ?? 900,
        digestTableName: tableNames(inv).digest,
        coverageTableName: tableNames(inv).coverage,
        // Verdict clicks reach the approve function, which verifies them with the approvals' Slack signing secret.
        verdictButtons: alerting.approvals?.slackSigningSecretRef !== undefined,
      }),
      ...findings.environment,
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
        Sid: 'RecordDigestEntries',
        Effect: 'Allow',
        // Change monitors go to the daily digest: the digest store (adapters/digest-store.ts) only puts items.
        Action: 'dynamodb:PutItem',
        Resource: `arn:aws:dynamodb:${region}:${account}:table/${tableNames(inv).digest}`,
      },
      {
        Sid: 'RecordHeartbeats',
        Effect: 'Allow',
        // The heartbeat store (adapters/heartbeat-store.ts) only puts a cell's item, conditionally, and the
        // sighting store (adapters/sighting-store.ts) an unknown account's item: never the coverage function's
        // `state` item or its opt-in region cache.
        Action: 'dynamodb:PutItem',
        Resource: `arn:aws:dynamodb:${region}:${account}:table/${tableNames(inv).coverage}`,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['cell#*', 'seen#*'] } },
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
      readInventory,
      // Queue messages, table items and the topic are encrypted with the security key.
      useKey(key),
      {
        Sid: 'ReadOwnerTagsInMembers',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: `arn:aws:iam::*:role/${readOnlyRoleName(inv)}`,
        Condition: { StringEquals: { 'aws:ResourceOrgID': inv.organizationId } },
      },
      ...secretReadStatements(secretRefs(alerting), region, account),
      ...findings.statements,
    ],
  });
  new LambdaEventSourceMapping(ctx.scope, 'triage-source', {
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
  return { triage, alertTopicArn };
}
