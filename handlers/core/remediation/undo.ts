/** Undo: restoring what an action changed, from its audit snapshot (`npm run undo`, the Undo button). */
import type { RemediationConfig } from '../../../config/remediation';
import type { RemediationId } from '../../../rules/types';
import { isConfiguredApprover } from '../approval/decide';
import { actionIdFor } from './guard';
import type { PlannedCall, RemediationActionDef, RemediationTarget } from './types';
import type { ApprovedExecution } from './request-contract';
import { describeError } from './decision';
import type { AuditRecord } from './outcome';
import type { ApprovalPort, OrchestratorPorts } from './ports';

// ---------------------------------------------------------------------------------------------
// undoAction

/** What undo would do, from the audit trail of an action. */
export type UndoPlan =
  | {
      readonly kind: 'undo';
      readonly actionId: string;
      readonly snapshotRecord: AuditRecord;
      readonly target: RemediationTarget;
      readonly calls: readonly PlannedCall[];
    }
  | { readonly kind: 'refuse'; readonly reason: string };

/**
 * The undo calls of an action, from its latest snapshot record (pure). Refused when there is no
 * snapshot (nothing was changed), when the change was undone already, or when the action is unknown.
 */
export function planUndo(
  actionId: string,
  records: readonly AuditRecord[],
  actions: Readonly<Record<RemediationId, RemediationActionDef>>,
): UndoPlan {
  if (records.length === 0) return { kind: 'refuse', reason: `no audit records for ${actionId}` };
  const lastSnapshot = records
    .map((r, i) => [r, i] as const)
    .filter(([r]) => r.phase === 'snapshot')
    .pop();
  if (!lastSnapshot) {
    return {
      kind: 'refuse',
      reason: `${actionId} never changed anything (no snapshot record); there is nothing to undo`,
    };
  }
  const [snapshotRecord, at] = lastSnapshot;
  const undone = records.slice(at + 1).find((r) => r.phase === 'undo-result' && r.outcome === 'fixed');
  if (undone) return { kind: 'refuse', reason: `${actionId} was already undone by ${undone.actor} at ${undone.at}` };
  const def = actions[snapshotRecord.action];
  if (!def) return { kind: 'refuse', reason: `unknown action ${snapshotRecord.action} in the audit record` };
  if (!snapshotRecord.snapshot || !snapshotRecord.target) {
    return { kind: 'refuse', reason: `the snapshot record of ${actionId} holds no snapshot or target` };
  }
  // The result record of the same run may add what was known only after the change (Verification.undoFacts).
  const result = records.slice(at + 1).find((r) => r.phase === 'result');
  const calls = def.undo({ ...snapshotRecord.snapshot, ...(result?.snapshot ?? {}) });
  if (calls.length === 0) {
    return {
      kind: 'refuse',
      reason: def.undoNotPossible
        ? `${def.id} cannot be undone: ${def.undoNotPossible}`
        : `${def.id} has nothing to undo for this snapshot`,
    };
  }
  return { kind: 'undo', actionId, snapshotRecord, target: snapshotRecord.target, calls };
}

/** Ports undo needs: the audit log, the executor and the clock. */
export type UndoPorts = Pick<OrchestratorPorts, 'audit' | 'execute' | 'now' | 'log'>;

/** Ports an approved undo needs: those of undo, and the approval store to re-read the request. */
export type ApprovedUndoPorts = UndoPorts & { readonly approvals: Pick<ApprovalPort, 'get'> };

/** What an undo did. */
export interface UndoResult {
  readonly outcome: 'fixed' | 'failed' | 'refused' | 'dry-run';
  readonly reason: string;
  readonly calls: readonly PlannedCall[];
}

/**
 * Reverts an action from its audit snapshot: records the undo (before), runs the calls, records the
 * result. Not stopped by the kill switch: undoing vigil's own change is what one does when vigil
 * misbehaved. `dryRun` prints the calls and writes nothing.
 */
export async function undoAction(
  actionId: string,
  actor: string,
  ports: UndoPorts,
  actions: Readonly<Record<RemediationId, RemediationActionDef>>,
  options: { readonly dryRun?: boolean } = {},
): Promise<UndoResult> {
  const plan = planUndo(actionId, await ports.audit.read(actionId), actions);
  if (plan.kind === 'refuse') return { outcome: 'refused', reason: plan.reason, calls: [] };
  if (options.dryRun) return { outcome: 'dry-run', reason: 'dry run: no call was made', calls: plan.calls };
  return runUndo(plan, actor, ports);
}

/**
 * Undoes the remediation of an approval request (the approval flow's Undo button). The hand-over grants
 * nothing: the request is re-read and must be `undone` (an approver pressed Undo on an executed request)
 * by a configured approver, the same one the hand-over names; and the change to revert must be the one
 * this request executed (its audit snapshot carries the request id).
 */
export async function undoApprovedRequest(
  work: ApprovedExecution,
  approvers: RemediationConfig['approvers'],
  ports: ApprovedUndoPorts,
  actions: Readonly<Record<RemediationId, RemediationActionDef>>,
): Promise<UndoResult & { readonly actionId?: string }> {
  const refuse = (reason: string, actionId?: string) => ({
    outcome: 'refused' as const,
    reason,
    calls: [],
    ...(actionId ? { actionId } : {}),
  });
  const request = await ports.approvals.get(work.requestId);
  if (!request) return refuse(`approval request ${work.requestId} does not exist`);
  const actionId = actionIdFor(request.eventId, request.plan.action);
  if (request.status !== 'undone') {
    return refuse(
      `approval request ${request.id} is ${request.status}: an undo runs only once an approver pressed Undo ` +
        'on an executed request (status undone)',
      actionId,
    );
  }
  if (!request.executedAt) return refuse(`approval request ${request.id} was never executed`, actionId);
  if (request.undoneBy !== work.approver) {
    return refuse(
      `the hand-over names ${work.approver} but approval request ${request.id} was undone by ` +
        `${request.undoneBy ?? 'nobody'}; only the approval store's decision is executed`,
      actionId,
    );
  }
  if (!isConfiguredApprover(request.undoneBy, approvers)) {
    return refuse(
      `${request.undoneBy} is not a configured approver (config/remediation.json approvers); the undo of ` +
        `approval request ${request.id} is refused`,
      actionId,
    );
  }
  const plan = planUndo(actionId, await ports.audit.read(actionId), actions);
  if (plan.kind === 'refuse') return refuse(plan.reason, actionId);
  if (plan.snapshotRecord.approvalRequestId !== request.id) {
    return refuse(
      `the last change of ${actionId} was not made by approval request ${request.id} ` +
        `(its snapshot names ${plan.snapshotRecord.approvalRequestId ?? 'no request'}); there is nothing of it to undo`,
      actionId,
    );
  }
  return { ...(await runUndo(plan, request.undoneBy, ports)), actionId };
}

/** Records the undo (before), runs its calls, records the result. */
async function runUndo(
  plan: Extract<UndoPlan, { kind: 'undo' }>,
  actor: string,
  ports: UndoPorts,
): Promise<UndoResult> {
  const { actionId } = plan;
  const s = plan.snapshotRecord;
  const common = {
    actionId,
    actor,
    eventId: s.eventId,
    detectionId: s.detectionId,
    action: s.action,
    accountId: s.accountId,
    region: s.region,
    mode: s.mode,
    target: plan.target,
    calls: plan.calls,
    undoes: actionId,
    summary: `undo: ${s.summary ?? s.action}`,
  };
  // Recorded before the change, like the snapshot of the original action.
  await ports.audit.append({
    ...common,
    phase: 'undo-snapshot',
    at: ports.now().toISOString(),
    outcome: 'in-progress',
    reason: `undo requested by ${actor}`,
  });
  let result: UndoResult;
  try {
    await ports.execute(plan.target, plan.calls, { actionId });
    result = {
      outcome: 'fixed',
      reason: `undone by ${actor}: ${plan.calls.length} call(s) succeeded`,
      calls: plan.calls,
    };
  } catch (err) {
    result = { outcome: 'failed', reason: `undo failed: ${describeError(err)}`, calls: plan.calls };
  }
  await ports.audit.append({
    ...common,
    phase: 'undo-result',
    at: ports.now().toISOString(),
    outcome: result.outcome,
    reason: result.reason,
  });
  return result;
}
