import { remediationRoleName } from '../../../config/naming';
import type { Detection } from '../../../rules/types';
import { actionIdFor, checkEventGuards, checkTargetAccount, eventIdOf } from './guard';
import { type ModeDecision, accountFacts, resolveMode } from './mode';
import type { RemediationActionDef, RemediationTarget } from './types';
import type { OrchestratorContext } from './context';
import { decision } from './decision';
import type { Decision } from './outcome';
import type { RemediationRequest } from './request-contract';

// ---------------------------------------------------------------------------------------------
// Pure pre-flight: everything decided before the first call to AWS

/** What is known once the pure checks passed. */
export interface Preflight {
  readonly detection: Detection;
  readonly def: RemediationActionDef;
  readonly actionId: string;
  readonly eventId: string;
  readonly accountId: string;
  readonly mode: ModeDecision;
  readonly target: RemediationTarget;
}

/** Either an early decision or the facts to go on with. */
export type PreflightResult = { readonly done: Decision } | { readonly go: Preflight };

/**
 * The pure part of the pipeline: detection, loop and inventory guards, mode, target. Shared by
 * `remediateEvent` and `npm run plan`, so the CLI shows exactly what the function would decide.
 */
export function preflight(request: RemediationRequest, ctx: OrchestratorContext): PreflightResult {
  const { event } = request;
  const eventId = eventIdOf(event);
  const accountId = event.detail?.recipientAccountId ?? event.account;
  const base = { detectionId: request.detectionId, eventId, accountId };
  const detection = ctx.detections.get(request.detectionId);
  if (!detection) {
    return {
      done: decision(base, { mode: 'off', outcome: 'refused', reason: `unknown detection ${request.detectionId}` }),
    };
  }
  const guards = {
    accountIds: new Set(Object.keys(ctx.inventory.accounts)),
    remediationRoleName: remediationRoleName(ctx.inventory),
  };
  const guard = checkEventGuards(event, guards);
  if (!guard.ok) return { done: decision(base, { mode: 'off', outcome: 'refused', reason: guard.reason }) };
  const recipient = event.detail?.recipientAccountId;
  if (recipient !== undefined && recipient !== event.account) {
    // Remediation acts in recipientAccountId; an envelope naming another account is forged or broken,
    // and either way vigil cannot tell which account the change belongs to. Alert only.
    return {
      done: decision(base, {
        mode: 'notify',
        outcome: 'refused',
        reason:
          `the event's account ${event.account} and detail.recipientAccountId ${recipient} disagree; ` +
          'vigil acts only when both name the same account (alert only)',
      }),
    };
  }
  if (!ctx.confirms(detection, event)) {
    return {
      done: decision(base, {
        mode: 'off',
        outcome: 'refused',
        reason: `the event is not a finding of ${detection.id} (its pattern or predicate does not match)`,
      }),
    };
  }
  if (!detection.remediation) {
    return {
      done: decision(base, {
        mode: 'notify',
        outcome: 'notify-only',
        reason: `detection ${detection.id} has no remediation action`,
      }),
    };
  }
  const facts = accountFacts(ctx.inventory, accountId)!; // the guard checked membership
  const action = detection.remediation.action;
  const def = ctx.actions[action];
  const configured = resolveMode(detection, facts, ctx.config);
  // An action that cannot be undone never runs unattended: auto becomes approve (modes only ever go down).
  const mode: ModeDecision =
    def.approvalOnly !== undefined && configured.mode === 'auto'
      ? {
          mode: 'approve',
          source: configured.source,
          reason: `approve: ${action} runs only with approval (${def.approvalOnly}); the config chose ${configured.reason}`,
        }
      : configured;
  const actionId = actionIdFor(eventId, action);
  const withAction = { ...base, actionId, modeReasons: [mode.reason] };
  if (mode.mode === 'off') {
    return {
      done: decision(withAction, { mode: 'off', outcome: 'notify-only', reason: `remediation is off: ${mode.reason}` }),
    };
  }
  const target = def.target(event, ctx.remediationContext);
  if ('refuse' in target) {
    return { done: decision(withAction, { mode: mode.mode, outcome: 'refused', reason: target.refuse }) };
  }
  const account = checkTargetAccount(accountId, target.accountId, guards);
  if (!account.ok) {
    return {
      done: decision({ ...withAction, target }, { mode: mode.mode, outcome: 'refused', reason: account.reason }),
    };
  }
  return { go: { detection, def, actionId, eventId, accountId, mode, target } };
}

/**
 * ARNs a resource-tag exemption is read from. Only workload resources their owners may need an
 * exception for (security groups, buckets) honour tags: for vigil's own pipeline (trail, forwarding
 * rules, Config recorder), KMS keys, IAM and account-wide settings, anyone allowed to tag could
 * otherwise switch the guardrail off; those take exemptions from the reviewed config only.
 */
export function exemptionTagArns(target: RemediationTarget): readonly string[] {
  switch (target.action) {
    case 'revoke-world-open-ingress':
      return [`arn:aws:ec2:${target.region}:${target.accountId}:security-group/${target.resourceId}`];
    case 'restore-bucket-public-access-block':
      return [`arn:aws:s3:::${target.resourceId}`];
    default:
      return [];
  }
}

/** The ids an exemption's `resource` glob is matched against: the resource id and the ARNs. */
export function exemptionResources(target: RemediationTarget): readonly string[] {
  return [target.resourceId, ...exemptionTagArns(target)];
}
