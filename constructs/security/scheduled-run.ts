/**
 * A function run by an EventBridge schedule on the security account's default bus, the way every
 * scheduled vigil function runs (the daily digest, the coverage check): the schedule rule, its target
 * with a delivery retry policy, the invoke permission for that rule only, Lambda's own retries of a failed
 * run, and one encrypted dead-letter queue for both (EventBridge's undeliverable events and Lambda's failed
 * runs), writable by that rule only. Construct ids are `<id>-schedule`, `<id>-target`, `<id>-permission`,
 * `<id>-invoke-config`, `<id>-dlq`, `<id>-dlq-policy`.
 */
import {
  CloudwatchEventRule,
  CloudwatchEventTarget,
  type KmsKey,
  LambdaFunctionEventInvokeConfig,
  LambdaPermission,
  SqsQueue,
  SqsQueuePolicy,
} from '../../framework/aws';
import type { NodeFunction } from '../node-function';
import { policyDocument } from '../policy-document';
import type { SecurityContext } from './context';

export interface ScheduledRunProps {
  /** Construct id prefix, e.g. `digest`. */
  readonly id: string;
  readonly fn: NodeFunction;
  readonly key: KmsKey;
  readonly ruleName: string;
  readonly dlqName: string;
  readonly description: string;
  /** `rate(…)` or `cron(…)`. */
  readonly scheduleExpression: string;
  /** Sid of the DLQ policy statement and the invoke permission, e.g. `DigestScheduleOnly`. */
  readonly sid: string;
  /** How long and how often EventBridge retries delivering a run to Lambda before the DLQ. */
  readonly delivery: { readonly maximumEventAgeInSeconds: number; readonly maximumRetryAttempts: number };
  /** How long Lambda keeps retrying a failed run (twice) before the DLQ. */
  readonly runMaxEventAgeSeconds: number;
}

/** Wires `fn` to its schedule and dead-letter queue. */
export function scheduledRun(ctx: SecurityContext, props: ScheduledRunProps) {
  const { provider, region, account } = ctx;
  const { id, fn } = props;
  const dlqArn = `arn:aws:sqs:${region}:${account}:${props.dlqName}`;
  const dlq = new SqsQueue(ctx.scope, `${id}-dlq`, {
    provider,
    name: props.dlqName,
    kmsMasterKeyId: props.key.arn,
    kmsDataKeyReusePeriodSeconds: 300,
    messageRetentionSeconds: 1_209_600,
  });
  const schedule = new CloudwatchEventRule(ctx.scope, `${id}-schedule`, {
    provider,
    name: props.ruleName,
    description: props.description,
    scheduleExpression: props.scheduleExpression,
  });
  new SqsQueuePolicy(ctx.scope, `${id}-dlq-policy`, {
    provider,
    queueUrl: dlq.url,
    policy: policyDocument([
      {
        Sid: props.sid,
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: dlqArn,
        Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:events:${region}:${account}:rule/${props.ruleName}` } },
      },
    ]),
  });
  new CloudwatchEventTarget(ctx.scope, `${id}-target`, {
    provider,
    rule: schedule.name,
    targetId: id,
    arn: fn.function.arn,
    retryPolicy: props.delivery,
    deadLetterConfig: { arn: dlq.arn },
  });
  new LambdaPermission(ctx.scope, `${id}-permission`, {
    provider,
    statementId: props.sid,
    action: 'lambda:InvokeFunction',
    functionName: fn.function.functionName,
    principal: 'events.amazonaws.com',
    sourceArn: schedule.arn,
  });
  new LambdaFunctionEventInvokeConfig(ctx.scope, `${id}-invoke-config`, {
    provider,
    functionName: fn.function.functionName,
    maximumRetryAttempts: 2,
    maximumEventAgeInSeconds: props.runMaxEventAgeSeconds,
    destinationConfig: { onFailure: { destination: dlq.arn } },
  });
  return { dlq, schedule, dlqArn };
}
