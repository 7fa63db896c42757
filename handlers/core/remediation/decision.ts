import type { RemediationMode } from '../../../rules/types';
import { canonicalJson } from './member-contract';
import { describeError as describe } from '../lambda-io';
import type { PlannedCall, RemediationPlan, RemediationTarget } from './types';
import { type Decision, type DecisionOutcome, VIGIL_ACTOR } from './outcome';
import type { Escalation, OrchestratorPorts } from './ports';
import type { AlertRef } from './request-contract';

// ---------------------------------------------------------------------------------------------
// helpers

interface DecisionBase {
  readonly detectionId: string;
  readonly eventId: string;
  readonly accountId: string;
  readonly actionId?: string;
  readonly target?: RemediationTarget;
  readonly plan?: RemediationPlan;
  readonly reads?: readonly PlannedCall[];
  readonly calls?: readonly PlannedCall[];
  readonly modeReasons?: readonly string[];
  readonly actor?: string;
  readonly approvalRequestId?: string;
  readonly alertRef?: AlertRef;
}

interface DecisionEnd {
  readonly mode: RemediationMode;
  readonly outcome: DecisionOutcome;
  readonly reason: string;
  readonly escalated?: boolean;
  readonly automated?: boolean;
  readonly verifiedAt?: string;
  readonly approvalRequestId?: string;
}

export function decision(base: DecisionBase, end: DecisionEnd): Decision {
  const approvalRequestId = end.approvalRequestId ?? base.approvalRequestId;
  return {
    detectionId: base.detectionId,
    eventId: base.eventId,
    accountId: base.accountId,
    ...(base.actionId ? { actionId: base.actionId } : {}),
    mode: end.mode,
    outcome: end.outcome,
    reason: end.reason,
    modeReasons: base.modeReasons ?? [],
    ...(base.target ? { target: base.target } : {}),
    ...(base.plan ? { plan: base.plan } : {}),
    reads: base.reads ?? [],
    calls: base.calls ?? [],
    actor: base.actor ?? VIGIL_ACTOR,
    automated: end.automated ?? false,
    ...(end.verifiedAt ? { verifiedAt: end.verifiedAt } : {}),
    ...(approvalRequestId ? { approvalRequestId } : {}),
    escalated: end.escalated ?? false,
    ...(base.alertRef ? { alertRef: base.alertRef } : {}),
  };
}

/** Deep equality of two call lists as JSON with sorted keys (the approver saw exactly these). */
export function sameCalls(a: readonly PlannedCall[], b: readonly PlannedCall[]): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export async function escalateQuietly(ports: OrchestratorPorts, escalation: Escalation): Promise<boolean> {
  try {
    await ports.escalate(escalation);
    return true;
  } catch (err) {
    // The decision stands; the log line (and its alarm) is the page of last resort.
    ports.log('error', 'escalation failed', { ...escalation, error: describeError(err) });
    return false;
  }
}

/**
 * Completes a claim. A failure is logged, not thrown: throwing would make the caller release the claim
 * (or Lambda retry) after the change was made; an unfinished claim merely holds off duplicates until
 * its lock expires, and a later run re-reads the state anyway.
 */
export async function completeQuietly(ports: OrchestratorPorts, key: string, outcome: string): Promise<void> {
  try {
    await ports.idempotency.complete(key, outcome, ports.now());
  } catch (err) {
    ports.log('error', 'idempotency claim not completed', { key, outcome, error: describeError(err) });
  }
}

export async function releaseQuietly(ports: OrchestratorPorts, key: string): Promise<void> {
  try {
    await ports.idempotency.release(key);
  } catch (err) {
    ports.log('error', 'idempotency claim not released; a retry will wait for it to expire', {
      key,
      error: describeError(err),
    });
  }
}

/** `Name: message`, bounded to 500 characters, for reasons and logs. */
export const describeError = (err: unknown): string => describe(err, 500);
