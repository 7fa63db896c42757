/** `remediateEvent`: a detection from triage, through every safety rail, to a verified fix or a reason. */
import { approvalPolicyFor } from '../../../config/remediation';
import type { Detection, RemediationMode } from '../../../rules/types';
import { type ExemptionDecision, type TagLookup, checkExemptions } from './exemptions';
import { breakerDecision, killSwitchDecision } from './guard';
import { weakerMode } from './mode';
import type { RemediationActionDef, RemediationPlan } from './types';
import type { OrchestratorContext } from './context';
import { completeQuietly, decision, describeError, escalateQuietly, releaseQuietly } from './decision';
import { type Decision, VIGIL_ACTOR } from './outcome';
import type { AuditRecord } from './outcome';
import type { OrchestratorPorts } from './ports';
import { exemptionResources, exemptionTagArns, preflight } from './preflight';
import type { RemediationRequest } from './request-contract';

// ---------------------------------------------------------------------------------------------
// remediateEvent

/**
 * Runs the pipeline for one detection; never throws for a decision, only for a broken port. Every
 * decision about an action is in the audit log: acting and approval decisions write their records as
 * they go; the others (notify-only, refused, already compliant, dry-run, unreadable state) get one
 * `decision` record here. Duplicates write nothing.
 */
export async function remediateEvent(
  request: RemediationRequest,
  ctx: OrchestratorContext,
  ports: OrchestratorPorts,
): Promise<Decision> {
  const result = await pipeline(request, ctx, ports);
  const { decision: d } = result;
  if (!result.audited && d.actionId && d.outcome !== 'duplicate') {
    const action = ctx.detections.get(d.detectionId)?.remediation?.action;
    try {
      if (action) {
        await ports.audit.append({
          actionId: d.actionId,
          phase: 'decision',
          at: ports.now().toISOString(),
          actor: d.actor,
          eventId: d.eventId,
          detectionId: d.detectionId,
          action,
          accountId: d.accountId,
          ...(d.target ? { region: d.target.region, target: d.target } : {}),
          mode: d.mode,
          outcome: d.outcome,
          reason: [d.reason, ...d.modeReasons].join('; '),
          ...(d.plan?.kind === 'act' ? { summary: d.plan.summary } : {}),
          ...(d.calls.length > 0 ? { calls: d.calls } : {}),
        });
      }
    } catch (err) {
      // Nothing was changed on this path; the log line keeps the decision.
      ports.log('error', 'audit decision record not written', { actionId: d.actionId, error: describeError(err) });
    }
  }
  return d;
}

async function pipeline(
  request: RemediationRequest,
  ctx: OrchestratorContext,
  ports: OrchestratorPorts,
): Promise<{ decision: Decision; audited: boolean }> {
  const done = (d: Decision) => ({ decision: d, audited: false });
  const audited = (d: Decision) => ({ decision: d, audited: true });
  const checked = preflight(request, ctx);
  if ('done' in checked) return done(checked.done);
  const pre = checked.go;
  const { detection, def, actionId, eventId, accountId, target } = pre;
  const now = ports.now();
  const modeReasons = [pre.mode.reason];
  let mode = pre.mode.mode;
  const base = {
    detectionId: detection.id,
    eventId,
    accountId,
    actionId,
    target,
    modeReasons,
    ...(request.alertRef ? { alertRef: request.alertRef } : {}),
  };

  if (mode === 'notify') {
    return done(decision(base, { mode, outcome: 'notify-only', reason: `notify only: ${pre.mode.reason}` }));
  }

  // Exemptions: the reviewed config first; a resource tag only for taggable workload resources.
  const arns = exemptionTagArns(target);
  const tags: TagLookup =
    arns.length === 0
      ? { kind: 'not-taggable' }
      : await ports.readTags({ accountId: target.accountId, region: target.region, arns });
  const exemption: ExemptionDecision = checkExemptions(
    { detectionId: detection.id, accountId, resources: exemptionResources(target) },
    ctx.config,
    tags,
    now.toISOString().slice(0, 10),
  );
  for (const ignored of exemption.ignored) ports.log('info', 'exemption ignored', { actionId, ignored });
  if (exemption.kind === 'exempt') {
    return done(decision(base, { mode, outcome: 'refused', reason: exemption.reason }));
  }
  if (exemption.kind === 'unknown' && mode === 'auto') {
    mode = 'approve';
    modeReasons.push(`approve instead of auto: ${exemption.reason}`);
  }

  // Kill switch: on (or unreadable) → nothing runs and nobody is asked to approve what cannot run.
  const reading = await ports.readKillSwitch();
  const killSwitch = killSwitchDecision(ctx.config.killSwitchParameter, reading);
  if (killSwitch.engaged) {
    modeReasons.push(killSwitch.reason);
    // Switched on by a human is deliberate; missing or unreadable is an outage someone must hear about.
    const escalated =
      reading.kind !== 'value' &&
      (await escalateQuietly(ports, {
        kind: 'kill-switch-unreadable',
        actionId,
        detectionId: detection.id,
        accountId,
        summary: `${def.id} on ${target.resourceId} was not run`,
        reason: killSwitch.reason,
      }));
    return done(
      decision(base, {
        mode: weakerMode(mode, 'notify'),
        outcome: 'notify-only',
        reason: killSwitch.reason,
        escalated,
      }),
    );
  }

  // Fresh state, then the plan.
  const reads = def.stateReads(target);
  let state: unknown;
  try {
    state = await ports.readState(target);
  } catch (err) {
    const reason = `could not read the current state: ${describeError(err)}`;
    const escalated = await escalateQuietly(ports, {
      kind: 'failure',
      actionId,
      detectionId: detection.id,
      accountId,
      summary: `${def.id} on ${target.resourceId}`,
      reason,
    });
    return done(decision({ ...base, reads }, { mode, outcome: 'failed', reason, escalated }));
  }
  const plan = def.plan(target, state);
  const planned = { ...base, reads, plan };
  if (plan.kind === 'already-compliant')
    return done(decision(planned, { mode, outcome: 'already-compliant', reason: plan.reason }));
  if (plan.kind === 'refuse') return done(decision(planned, { mode, outcome: 'refused', reason: plan.reason }));
  const withCalls = { ...planned, calls: plan.calls };

  if (ctx.config.dryRun) {
    return done(
      decision(withCalls, {
        mode,
        outcome: 'dry-run',
        reason: `dry run (config/remediation.json dryRun): would ${plan.summary}; no call was made`,
      }),
    );
  }

  // From here on, state in AWS and in the approval store may change: claim the event first.
  const claim = await ports.idempotency.claim(actionId, now);
  if (!claim.claimed) {
    return done(
      decision(withCalls, {
        mode,
        outcome: 'duplicate',
        reason: `already handled (${claim.status}${claim.outcome ? `: ${claim.outcome}` : ''}); nothing done again`,
      }),
    );
  }
  try {
    let escalated = false;
    let approvalReason = `approval required: ${modeReasons.join('; ')}`;
    if (mode === 'auto') {
      const counts = await ports.takeBreakerSlot(accountId, now);
      const breaker = breakerDecision(accountId, counts, ctx.config.circuitBreaker);
      if (breaker.tripped) {
        mode = 'approve';
        modeReasons.push(breaker.reason);
        approvalReason = breaker.reason;
        escalated = await escalateQuietly(ports, {
          kind: 'circuit-breaker',
          actionId,
          detectionId: detection.id,
          accountId,
          summary: plan.summary,
          reason: breaker.reason,
          breakerScope: breaker.scope,
        });
      }
    }
    if (mode === 'approve') {
      const result = await openApproval(
        ctx,
        ports,
        { detection, actionId, eventId, plan, reason: approvalReason, now },
        request,
        modeReasons,
      );
      await completeQuietly(ports, actionId, 'pending-approval');
      // openApproval wrote the decision record (with the event) before the request existed.
      return audited(
        decision(withCalls, {
          mode,
          outcome: 'pending-approval',
          reason: approvalReason,
          escalated,
          approvalRequestId: result.requestId,
        }),
      );
    }
    const result = await act(ports, {
      detection,
      def,
      actionId,
      eventId,
      accountId,
      plan,
      mode,
      actor: VIGIL_ACTOR,
    });
    await completeQuietly(ports, actionId, result.outcome);
    return audited(decision(withCalls, { mode, ...result, automated: result.outcome === 'fixed' }));
  } catch (err) {
    // Only reached before any mutating call (act() reports its own failures): let a retry run again.
    await releaseQuietly(ports, actionId);
    throw err;
  }
}

/** Writes the decision record (with the event, so the approved request can be re-planned) and opens the request. */
async function openApproval(
  ctx: OrchestratorContext,
  ports: OrchestratorPorts,
  input: {
    detection: Detection;
    actionId: string;
    eventId: string;
    plan: Extract<RemediationPlan, { kind: 'act' }>;
    reason: string;
    now: Date;
  },
  request: RemediationRequest,
  modeReasons: readonly string[],
): Promise<{ requestId: string }> {
  const { detection, actionId, eventId, plan, now } = input;
  const record: AuditRecord = {
    actionId,
    phase: 'decision',
    at: now.toISOString(),
    actor: VIGIL_ACTOR,
    eventId,
    detectionId: detection.id,
    action: plan.target.action,
    accountId: plan.target.accountId,
    region: plan.target.region,
    mode: 'approve',
    outcome: 'pending-approval',
    reason: [input.reason, ...modeReasons.filter((r) => r !== input.reason)].join('; '),
    target: plan.target,
    summary: plan.summary,
    calls: plan.calls,
    event: request.event,
    ...(request.alertRef ? { alertRef: request.alertRef } : {}),
  };
  // Audit first: a request whose decision record is missing could not be executed later.
  await ports.audit.append(record);
  const opened = await ports.approvals.open({
    actionId,
    detection,
    eventId,
    plan,
    timeout: approvalPolicyFor(ctx.config, detection.id),
    reason: input.reason,
    now,
  });
  ports.log('info', 'approval requested', { actionId, requestId: opened.requestId });
  return opened;
}

/** The outcome of acting, without the fields the caller adds. */
export interface ActResult {
  readonly outcome: 'fixed' | 'failed';
  readonly reason: string;
  readonly escalated: boolean;
  readonly verifiedAt?: string;
}

/**
 * Snapshot into the audit log, execute, re-read, verify, audit the result. A snapshot that cannot be
 * written stops everything before the change (an unrecorded change could not be undone). Failures are
 * outcomes, not exceptions: they are paged and reported, never retried blindly.
 */
export async function act(
  ports: OrchestratorPorts,
  input: {
    detection: Detection;
    def: RemediationActionDef;
    actionId: string;
    eventId: string;
    accountId: string;
    plan: Extract<RemediationPlan, { kind: 'act' }>;
    mode: RemediationMode;
    actor: string;
    approvalRequestId?: string;
  },
): Promise<ActResult> {
  const { detection, def, actionId, plan } = input;
  const target = plan.target;
  const common = {
    actionId,
    actor: input.actor,
    eventId: input.eventId,
    detectionId: detection.id,
    action: def.id,
    accountId: target.accountId,
    region: target.region,
    mode: input.mode,
    target,
    summary: plan.summary,
    calls: plan.calls,
    ...(input.approvalRequestId ? { approvalRequestId: input.approvalRequestId } : {}),
  };
  const fail = async (reason: string, wrote: boolean): Promise<ActResult> => {
    const escalated = await escalateQuietly(ports, {
      kind: 'failure',
      actionId,
      detectionId: detection.id,
      accountId: input.accountId,
      summary: plan.summary,
      reason: wrote ? `${reason}; undo with: npm run undo -- ${actionId}` : reason,
    });
    return { outcome: 'failed', reason, escalated };
  };

  try {
    await ports.audit.append({
      ...common,
      phase: 'snapshot',
      at: ports.now().toISOString(),
      outcome: 'in-progress',
      reason: `about to ${plan.summary}`,
      snapshot: plan.snapshot,
    });
  } catch (err) {
    return fail(`could not write the audit snapshot, so nothing was changed: ${describeError(err)}`, false);
  }

  let result: ActResult;
  let undoFacts: Readonly<Record<string, unknown>> | undefined;
  try {
    await ports.execute(target, plan.calls, { actionId });
    const after = await ports.readState(target);
    const verdict = def.verify(target, after);
    undoFacts = verdict.undoFacts;
    result = verdict.fixed
      ? {
          outcome: 'fixed',
          reason: `${plan.summary}: ${verdict.detail}`,
          escalated: false,
          verifiedAt: ports.now().toISOString(),
        }
      : await fail(`acted but verification failed: ${verdict.detail}`, true);
  } catch (err) {
    result = await fail(`${plan.summary} failed: ${describeError(err)}`, true);
  }

  try {
    await ports.audit.append({
      ...common,
      phase: 'result',
      at: ports.now().toISOString(),
      outcome: result.outcome,
      reason: result.reason,
      // Facts known only after the change (a created resource's id): undo reads them with the snapshot.
      ...(undoFacts ? { snapshot: { ...plan.snapshot, ...undoFacts } } : {}),
    });
  } catch (err) {
    // The change is made and the snapshot is recorded; only the closing record is missing. Say so loudly.
    ports.log('error', 'audit result record not written', {
      actionId,
      outcome: result.outcome,
      error: describeError(err),
    });
  }
  return result;
}
