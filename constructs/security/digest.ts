/**
 * The daily digest: the table triage records change-monitor events in (class `change`, severity
 * `info`: never alerted in real time), and the function that sends each owner one message a day about
 * the previous UTC day, on an EventBridge schedule. A failed run is retried by Lambda (twice, same
 * event, so the same day) and then lands in the digest dead-letter queue; EventBridge's own delivery
 * failures land there too. Both the function's errors and that queue are alarmed (security stack).
 */
import type { KmsKey } from '../../framework/aws';
import { join } from 'node:path';
import { DEFAULT_DIGEST_HOUR_UTC, digestSecretRefs } from '../../config/alerting';
import { deadLetterQueueName, functionNames, scheduleRuleNames, tableNames } from '../../config/naming';
import { digestEnvironment } from '../../handlers/functions/digest/spec';
import { optional } from '../../handlers/functions/settings';
import { NodeFunction } from '../node-function';
import { type SecurityContext, secureTable, tableArn, useKey } from './context';
import { scheduledRun } from './scheduled-run';
import { secretReadStatements } from './secret-access';

/** Owners are sent one after the other, each with Slack's and SNS's retries: room for a large org. */
export const DIGEST_TIMEOUT_SECONDS = 300;

/**
 * The digest table: partition key `day` (`YYYY-MM-DD`), sort key `entry` (`<owner>#<detection>#<event>`,
 * or `sent#<channel>#<owner>` once that digest went out), items expire 14 days after their day.
 */
export function digestTable(ctx: SecurityContext, key: KmsKey) {
  return secureTable(ctx, key, 'digest-table', {
    name: tableNames(ctx.inv).digest,
    hashKey: 'day',
    rangeKey: 'entry',
    attribute: [
      { name: 'day', type: 'S' },
      { name: 'entry', type: 'S' },
    ],
    ttl: { attributeName: 'expiresAt', enabled: true },
  });
}

/** What the digest function needs from the rest of the stack. */
export interface DailyDigestProps {
  readonly key: KmsKey;
  /** The alert topic (email subscriptions of the default route), as triage publishes to it. */
  readonly alertTopicArn: string;
}

/** The digest function, its schedule (`alerting.digestHourUtc`, default 07:00 UTC) and its dead-letter queue. */
export function dailyDigest(ctx: SecurityContext, props: DailyDigestProps) {
  const { provider, inv, alerting, region, account } = ctx;
  const name = functionNames(inv).digest;
  const table = tableNames(inv).digest;
  const dlqName = deadLetterQueueName(name);
  const dlqArn = `arn:aws:sqs:${region}:${account}:${dlqName}`;
  const ruleName = scheduleRuleNames(inv).digest;
  const hour = alerting.digestHourUtc ?? DEFAULT_DIGEST_HOUR_UTC;

  const digest = new NodeFunction(ctx.scope, 'digest', {
    provider,
    functionName: name,
    entry: join(ctx.entrypoints, 'digest.ts'),
    accountId: account,
    region,
    timeoutSeconds: DIGEST_TIMEOUT_SECONDS,
    // One run at a time: a second invocation (a retry, a run by hand) waits and then finds what the
    // first one recorded as sent, instead of racing it to send the same digest.
    reservedConcurrency: 1,
    logRetentionDays: alerting.logRetentionDays ?? 365,
    files: { 'owner-routing.json': `${JSON.stringify(alerting.owners ?? {})}\n` },
    environment: digestEnvironment({
      tableName: table,
      defaultRouting: {
        emailTopicArn: props.alertTopicArn,
        ...optional('slackChannel', alerting.default.slackChannel),
        ...optional('slackWebhookRef', alerting.default.slackWebhookRef),
        ...optional('slackBotTokenRef', alerting.default.slackBotTokenRef),
        ...optional('slackChannelId', alerting.default.slackChannelId),
      },
      ownerRoutingFile: 'owner-routing.json',
    }),
    statements: [
      {
        Sid: 'ReadDayAndMarkSent',
        Effect: 'Allow',
        // entriesOf is a Query; markSent a conditional PutItem. Nothing is updated or deleted (TTL expires items).
        Action: ['dynamodb:Query', 'dynamodb:PutItem'],
        Resource: tableArn(ctx, table),
      },
      { Sid: 'PublishDigestEmail', Effect: 'Allow', Action: 'sns:Publish', Resource: props.alertTopicArn },
      // Lambda sends a run that failed all its retries to the DLQ with the function's role.
      { Sid: 'FailedRunsToDlq', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: dlqArn },
      // The table, the topic and the DLQ are encrypted with the security key.
      useKey(props.key),
      ...secretReadStatements(digestSecretRefs(alerting), region, account),
    ],
  });

  scheduledRun(ctx, {
    id: 'digest',
    fn: digest,
    key: props.key,
    ruleName,
    dlqName,
    description: `Daily digest of change-monitor events, one message per owner, at ${String(hour).padStart(2, '0')}:00 UTC`,
    scheduleExpression: `cron(0 ${hour} * * ? *)`,
    sid: 'DigestScheduleOnly',
    // Delivery to Lambda (not the run itself, which Lambda retries): a few hours, then the DLQ.
    delivery: { maximumEventAgeInSeconds: 21_600, maximumRetryAttempts: 20 },
    runMaxEventAgeSeconds: 21_600,
  });
  return { digest, dlqName };
}
