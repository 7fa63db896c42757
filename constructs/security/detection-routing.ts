/**
 * Detection routing: one precise rule per catalog detection on the central bus, each sending the event
 * (named with the detection it matched) to the encrypted triage queue, with a dead-letter queue for
 * what EventBridge cannot deliver.
 */
import type { CloudwatchEventBus } from '../../framework/aws';
import { CloudwatchEventRule } from '../../framework/aws';
import { CloudwatchEventTarget } from '../../framework/aws';
import type { KmsKey } from '../../framework/aws';
import { SqsQueuePolicy } from '../../framework/aws';
import { centralBusName, queueNames } from '../../config/naming';
import { assertValidPattern } from '../../rules/pattern-check';
import { type CentralRule, centralRules } from '../../rules/patterns';
import type { Detection } from '../../rules/types';
import { policyDocument } from '../policy-document';
import { queueWithDlq, type SecurityContext } from './context';
import { MAX_RULES_PER_BUS, TRIAGE_TIMEOUT_SECONDS } from './limits';

/** The central rules of a catalog, checked: EventBridge would reject an invalid pattern only at apply time. */
export function checkedCentralRules(catalog: readonly Detection[], prefix: string): CentralRule[] {
  const rules = centralRules(catalog, prefix);
  for (const r of rules) assertValidPattern(r.pattern, `central rule ${r.name}`);
  if (rules.length > MAX_RULES_PER_BUS) {
    throw new Error(
      `the catalog yields ${rules.length} central rules; EventBridge allows ${MAX_RULES_PER_BUS} per bus`,
    );
  }
  return rules;
}

export function detectionRouting(
  ctx: SecurityContext,
  key: KmsKey,
  bus: CloudwatchEventBus,
  rules: readonly CentralRule[],
) {
  const { provider, inv, prefix: p } = ctx;
  const ruleArnPattern = `arn:aws:events:${inv.homeRegion}:${inv.securityAccountId}:rule/${centralBusName(inv)}/${p}-*`;
  // Six times the triage function's timeout (AWS guidance for SQS event sources).
  const { queue, dlq } = queueWithDlq(ctx, key, 'triage', queueNames(inv).triage, 6 * TRIAGE_TIMEOUT_SECONDS, 5);
  for (const [id, q] of [
    ['triage-queue-policy', queue],
    ['triage-dlq-policy', dlq],
  ] as const) {
    new SqsQueuePolicy(ctx.scope, id, {
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

  for (const r of rules) {
    const rule = new CloudwatchEventRule(ctx.scope, `rule-${r.detectionId}`, {
      provider,
      name: r.name,
      description: r.description,
      eventBusName: bus.name,
      eventPattern: JSON.stringify(r.pattern),
      state: r.state,
    });
    new CloudwatchEventTarget(ctx.scope, `target-${r.detectionId}`, {
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
  return { queue, dlq };
}
