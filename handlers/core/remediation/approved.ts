/** `executeApprovedRequest`: a request a human (or the timeout policy) approved, re-planned and run. */
import { approvalPolicyFor } from '../../../config/remediation';
import { actionIdFor, killSwitchDecision } from './guard';
import type { OrchestratorContext } from './context';
import { completeQuietly, decision, describeError, releaseQuietly, sameCalls } from './decision';
import type { Decision } from './outcome';
import { type ActResult, act } from './pipeline';
import type { OrchestratorPorts } from './ports';
import { preflight } from './preflight';
import { approvalDecider } from '../approval/decide';
import type { ApprovedExecution } from './request-contract';

// ---------------------------------------------------------------------------------------------
// executeApprovedRequest

/**
 * Executes an approved request. The request grants nothing by itself: its status is re-read, the
 * state is re-read and re-planned, and the calls run only if they are still exactly the calls the
 * approver saw. The kill switch applies; the circuit breaker does not (a human decided).
 */
export type { ApprovedExecution } from './request-contract';

export async function executeApprovedRequest(
  work: ApprovedExecution,
  ctx: OrchestratorContext,
  ports: OrchestratorPorts,
): Promise<Decision> {
  const request = await ports.approvals.get(work.requestId);
  if (!request) {
    return decision(
      { detectionId: 'unknown', eventId: 'unknown', accountId: 'unknown', actor: work.approver },
      {
        mode: 'approve',
        outcome: 'refused',
        reason: `approval request ${work.requestId} does not exist (expired and deleted?)`,
      },
    );
  }
  const actionId = actionIdFor(request.eventId, request.plan.action);
  const base = {
    detectionId: request.detectionId,
    eventId: request.eventId,
    accountId: request.accountId,
    actionId,
    actor: work.approver,
    approvalRequestId: request.id,
  };
  if (request.status === 'executed' || request.status === 'undone') {
    // A second delivery of the same hand-over: the first one ran it.
    return decision(base, {
      mode: 'approve',
      outcome: 'duplicate',
      reason: `approval request ${request.id} was ${request.status} already`,
    });
  }
  if (request.status !== 'approved') {
    return decision(base, {
      mode: 'approve',
      outcome: 'refused',
      reason: `approval request ${request.id} is ${request.status}, not approved`,
    });
  }
  if (request.decidedBy !== work.approver) {
    // The hand-over crossed a queue: the store says who approved, and a message that disagrees is not
    // the store's hand-over. The request is left as it is for its real one.
    return decision(base, {
      mode: 'approve',
      outcome: 'refused',
      reason:
        `the hand-over names ${work.approver} but approval request ${request.id} was approved by ` +
        `${request.decidedBy ?? 'nobody'}; only the approval store's decision is executed`,
    });
  }

  // From here the request is approved: every outcome but a duplicate closes it (approved → executed),
  // so the approval message shows what became of it and nobody waits for a run that will not come.
  const close = async (d: Decision): Promise<Decision> => {
    if (d.outcome === 'duplicate') return d;
    try {
      await ports.approvals.markExecuted(request.id, { outcome: `${d.outcome}: ${d.reason}`, now: ports.now() });
    } catch (err) {
      ports.log('error', 'approval request not marked executed', { requestId: request.id, error: describeError(err) });
    }
    return d;
  };
  const decider = approvalDecider(request, ctx.config.approvers);
  if (!decider.ok) return close(decision(base, { mode: 'approve', outcome: 'refused', reason: decider.reason }));

  const records = await ports.audit.read(actionId);
  const opened = [...records].reverse().find((r) => r.phase === 'decision' && r.event !== undefined);
  if (!opened?.event) {
    return close(
      decision(base, {
        mode: 'approve',
        outcome: 'refused',
        reason: `no decision record with the event for ${actionId} in the audit log`,
      }),
    );
  }
  const alert = opened.alertRef ? { alertRef: opened.alertRef } : {};
  const checked = preflight({ detectionId: request.detectionId, event: opened.event }, ctx);
  if ('done' in checked) {
    return close({ ...checked.done, ...alert, actor: work.approver, approvalRequestId: request.id });
  }
  const pre = checked.go;
  const { detection, def, target, accountId } = pre;
  const modeReasons = [pre.mode.reason, `approved by ${work.approver}`];
  const withTarget = { ...base, ...alert, target, modeReasons };
  if (pre.mode.mode !== 'approve' && pre.mode.mode !== 'auto') {
    return close(
      decision(withTarget, {
        mode: pre.mode.mode,
        outcome: 'refused',
        reason: `the mode is ${pre.mode.mode} now (${pre.mode.reason}); the approval no longer applies`,
      }),
    );
  }
  const killSwitch = killSwitchDecision(ctx.config.killSwitchParameter, await ports.readKillSwitch());
  if (killSwitch.engaged) {
    return close(
      decision(withTarget, { mode: 'notify', outcome: 'notify-only', reason: `approved, but ${killSwitch.reason}` }),
    );
  }

  const reads = def.stateReads(target);
  let state: unknown;
  try {
    state = await ports.readState(target);
  } catch (err) {
    return close(
      decision(
        { ...withTarget, reads },
        { mode: 'approve', outcome: 'failed', reason: `could not read the current state: ${describeError(err)}` },
      ),
    );
  }
  const plan = def.plan(target, state);
  const planned = { ...withTarget, reads, plan };
  if (plan.kind === 'already-compliant') {
    return close(decision(planned, { mode: 'approve', outcome: 'already-compliant', reason: plan.reason }));
  }
  if (plan.kind === 'refuse')
    return close(decision(planned, { mode: 'approve', outcome: 'refused', reason: plan.reason }));
  const withCalls = { ...planned, calls: plan.calls };
  if (!sameCalls(plan.calls, request.plan.calls)) {
    // Never run calls nobody saw: ask again with the calls needed now.
    const reason = `the state changed since request ${request.id} was approved and the calls needed now differ`;
    const again = await ports.approvals.open({
      actionId,
      detection,
      eventId: request.eventId,
      plan,
      timeout: approvalPolicyFor(ctx.config, detection.id),
      reason,
      now: ports.now(),
    });
    return close(
      decision(withCalls, {
        mode: 'approve',
        outcome: 'pending-approval',
        reason: `${reason}; new request ${again.requestId} asks again`,
        approvalRequestId: again.requestId,
      }),
    );
  }
  if (ctx.config.dryRun) {
    return close(
      decision(withCalls, {
        mode: 'approve',
        outcome: 'dry-run',
        reason: `dry run (config/remediation.json dryRun): approved, would ${plan.summary}; no call was made`,
      }),
    );
  }
  const key = `approved:${request.id}`;
  const claim = await ports.idempotency.claim(key, ports.now());
  if (!claim.claimed) {
    return decision(withCalls, {
      mode: 'approve',
      outcome: 'duplicate',
      reason: `approved request ${request.id} already handled (${claim.status}${claim.outcome ? `: ${claim.outcome}` : ''})`,
    });
  }
  let result: ActResult;
  try {
    result = await act(ports, {
      detection,
      def,
      actionId,
      eventId: request.eventId,
      accountId,
      plan,
      mode: 'approve',
      actor: work.approver,
      approvalRequestId: request.id,
    });
  } catch (err) {
    await releaseQuietly(ports, key);
    throw err;
  }
  await completeQuietly(ports, key, result.outcome);
  return close(decision(withCalls, { mode: 'approve', ...result }));
}
