/** Small helpers for the remediation action tests. */
import type { RemediationPlan, RemediationTarget, TargetResult } from '../../../../handlers/core/remediation/types';

/** The target, or a failed expectation when `target()` refused. */
export function targetOrFail(result: TargetResult): RemediationTarget {
  if ('refuse' in result) throw new Error(`expected a target, got a refusal: ${result.refuse}`);
  return result;
}

/** The `act` plan, or a failed expectation. */
export function actOrFail(plan: RemediationPlan): Extract<RemediationPlan, { kind: 'act' }> {
  if (plan.kind !== 'act')
    throw new Error(`expected kind 'act', got '${plan.kind}': ${'reason' in plan ? plan.reason : ''}`);
  return plan;
}

/** A JSON round trip: what an audit record stores and gives back to undo. */
export const stored = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
