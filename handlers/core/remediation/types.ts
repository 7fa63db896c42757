/**
 * The remediation contract. Every action is split the same way so dry-run, `npm run plan`, undo and
 * the IAM policy of the member remediation role all come from one description:
 *
 *   target(event)            pure    what the event says is to be fixed (or why we refuse)
 *   readState(target)        adapter re-read the current state in the member account (read-only calls)
 *   plan(target, state)      pure    already compliant | refuse | the exact calls + a snapshot for undo
 *   execute(plan.calls)      adapter generic: one SDK command per PlannedCall
 *   verify(target, state')   pure    re-read after acting; fixed or not
 *   undo(snapshot)           pure    the calls that put back what the plan changed
 */
import type { RemediationId } from '../../../rules/types';

/** AWS services remediation may call. */
export type RemediationService = 'cloudtrail' | 'config' | 'ec2' | 'events' | 'iam' | 'kms' | 's3' | 's3control';

/** One AWS API call exactly as it will be sent: SDK command name without the `Command` suffix. */
export interface PlannedCall {
  readonly service: RemediationService;
  /** e.g. `RevokeSecurityGroupIngress` (→ `RevokeSecurityGroupIngressCommand`). */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** Region the call goes to (global services: us-east-1). */
  readonly region: string;
}

/** What a remediation acts on. */
export interface RemediationTarget {
  readonly action: RemediationId;
  readonly accountId: string;
  readonly region: string;
  /** Human-readable id: security group id, bucket name, policy ARN, trail ARN, rule name, key id, … */
  readonly resourceId: string;
  /** Action-specific facts taken from the event (e.g. securityGroupRuleIds, the offending permission). */
  readonly details: Readonly<Record<string, unknown>>;
}

export type RemediationPlan =
  | {
      readonly kind: 'act';
      readonly target: RemediationTarget;
      /** One line for alerts and audit, e.g. "revoke sgr-0abc (tcp 22 from 0.0.0.0/0) on sg-0123". */
      readonly summary: string;
      /** The mutating calls, in order. */
      readonly calls: readonly PlannedCall[];
      /** Exactly what the calls change, as it was before (stored in the audit record; input to undo). */
      readonly snapshot: Readonly<Record<string, unknown>>;
    }
  | { readonly kind: 'already-compliant'; readonly target: RemediationTarget; readonly reason: string }
  | { readonly kind: 'refuse'; readonly target?: RemediationTarget; readonly reason: string };

/** Outcome reported to alerts, metrics and the audit log. */
export type RemediationOutcome = 'fixed' | 'already-compliant' | 'refused' | 'failed' | 'dry-run' | 'pending-approval';
