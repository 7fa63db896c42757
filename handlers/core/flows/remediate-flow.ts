/**
 * The remediate function's flow: classify the input (request or approved work), run the pipeline, log,
 * emit metrics and report the outcome; SQS batches report their failed messages.
 */
import type { ApprovedWork } from '../approval/request';
import { describeError, isSqsEvent, type LogLevel, type SqsBatchResponse } from '../lambda-io';
import {
  type Decision,
  executeApprovedRequest,
  type OrchestratorContext,
  type OrchestratorPorts,
  remediateEvent,
  type UndoResult,
  undoApprovedRequest,
} from '../remediation/orchestrate';
import { remediationMetrics } from '../remediation/report';
import { parseRemediateInput } from '../remediation/request-contract';
import { decisionUpdates, type FindingUpdate, findingUpdate } from '../findings/finding';
import type { FindingsPort } from '../findings/ports';

/** Reports a decision to the alert's channels; must not throw for a delivery failure it can log. */
export type OutcomeReporter = (decision: Decision) => Promise<void>;

/** What the handler needs; `handler` builds them from the environment, tests pass their own. */
export interface RemediateDeps {
  readonly context: OrchestratorContext;
  readonly ports: OrchestratorPorts;
  readonly reportOutcome: OutcomeReporter;
  /**
   * Replaces the approval message in Slack with the request's new state, through the click's
   * `response_url`. @default - the message is not updated
   */
  readonly respondToApprover?: (responseUrl: string, requestId: string) => Promise<void>;
  /** Where JSON log and EMF lines go. @default console.log */
  readonly write?: (line: string) => void;
  /**
   * Executes undo calls. Undo re-opens what was fixed (re-attaches a policy, stops a trail), so it
   * runs through the member accounts' separate, approval-only undo role, never the remediation role.
   * @default ports.execute
   */
  readonly undoExecute?: OrchestratorPorts['execute'];
  /**
   * Where the finding's lifecycle updates go (approval requested, approved, remediated, verified, failed,
   * undone). Best effort like the outcome report: what still fails after the retries is logged with the
   * updates themselves (level error, `outcome: 'finding-export-failed'`). @default - no findings
   */
  readonly findings?: FindingsPort;
}

/** What one direct invocation returns. */
export type RemediateResult = Decision | UndoResult | { readonly outcome: 'invalid'; readonly reason: string };

/** Builds the handler: direct invocations return the decision, SQS batches report item failures. */
export function createHandler(deps: RemediateDeps) {
  return async (input: unknown): Promise<RemediateResult | SqsBatchResponse> => {
    if (isSqsEvent(input)) {
      const batchItemFailures: Array<{ itemIdentifier: string }> = [];
      for (const record of input.Records) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(record.body);
        } catch {
          logLine(deps, 'error', 'dropping a message that is not JSON', { messageId: record.messageId });
          continue;
        }
        try {
          await dispatch(parsed, deps);
        } catch (err) {
          logLine(deps, 'error', 'message failed; SQS will redeliver it', {
            messageId: record.messageId,
            error: describeError(err),
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures };
    }
    return dispatch(input, deps);
  };
}

async function dispatch(input: unknown, deps: RemediateDeps): Promise<RemediateResult> {
  const parsed = parseRemediateInput(input);
  if (parsed.kind === 'approved') {
    return parsed.work.kind === 'undo' ? undoApproved(parsed.work, deps) : executeApproved(parsed.work, deps);
  }
  if (parsed.kind === 'invalid') {
    // A malformed payload never improves on retry; it is logged and dropped, never acted on.
    logLine(deps, 'error', 'dropping malformed input', { reason: parsed.reason });
    return { outcome: 'invalid', reason: parsed.reason };
  }
  const decision = await remediateEvent(parsed.request, deps.context, deps.ports);
  await finish(decision, deps);
  return decision;
}

/**
 * Executes an approved request (approval flow: Slack click, signed link or the timeout policy). The
 * approval store's status, the current state and the approved calls are all checked again first.
 */
export async function executeApproved(work: ApprovedWork, deps: RemediateDeps): Promise<Decision> {
  const decision = await executeApprovedRequest(work, deps.context, deps.ports);
  await finish(decision, deps);
  await tellApprover(work, deps);
  return decision;
}

/**
 * Undoes the remediation of an approval request that was executed (the approval flow's Undo button).
 * The message grants nothing: the request's status, its undoer and the audit trail are re-read and checked
 * (orchestrate.ts undoApprovedRequest).
 */
export async function undoApproved(work: ApprovedWork, deps: RemediateDeps): Promise<UndoResult> {
  const ports = deps.undoExecute ? { ...deps.ports, execute: deps.undoExecute } : deps.ports;
  const { actionId, ...result } = await undoApprovedRequest(
    work,
    deps.context.config.approvers,
    ports,
    deps.context.actions,
  );
  if (result.outcome === 'fixed' && deps.findings) {
    const request = await deps.ports.approvals.get(work.requestId).catch(() => undefined);
    const detection = request && deps.context.detections.get(request.detectionId);
    if (request && detection) {
      const subject = { detection, accountId: request.accountId, eventId: request.eventId };
      const at = deps.ports.now().toISOString();
      await exportUpdates([findingUpdate(subject, 'undone', { at, actor: work.approver, note: result.reason })], deps);
    }
  }
  logLine(deps, result.outcome === 'failed' ? 'error' : result.outcome === 'refused' ? 'warn' : 'info', 'undo', {
    actionId,
    requestId: work.requestId,
    actor: work.approver,
    outcome: result.outcome,
    reason: result.reason,
  });
  await tellApprover(work, deps);
  return result;
}

/** Log line, metrics line, alert update. */
async function finish(decision: Decision, deps: RemediateDeps): Promise<void> {
  const level: LogLevel = decision.outcome === 'failed' ? 'error' : decision.outcome === 'refused' ? 'warn' : 'info';
  logLine(deps, level, `remediation ${decision.outcome}`, {
    actionId: decision.actionId,
    detectionId: decision.detectionId,
    eventId: decision.eventId,
    accountId: decision.accountId,
    mode: decision.mode,
    outcome: decision.outcome,
    reason: decision.reason,
    modeReasons: decision.modeReasons,
    calls: decision.calls,
    actor: decision.actor,
    approvalRequestId: decision.approvalRequestId,
  });
  const known = deps.context.detections.get(decision.detectionId);
  const metrics = remediationMetrics(
    // Dimension values come from the catalog only: a made-up detection id must not create metrics.
    known ? decision : { ...decision, detectionId: 'unknown' },
    {
      severity: decision.alertRef?.alert?.detection.severity ?? known?.severity ?? 'unknown',
      ...(decision.alertRef?.sentAt ? { alertSentAt: decision.alertRef.sentAt } : {}),
      now: deps.ports.now(),
    },
  );
  if (metrics) (deps.write ?? console.log)(JSON.stringify(metrics));
  if (decision.outcome === 'duplicate') return;
  try {
    await deps.reportOutcome(decision);
  } catch (err) {
    // The outcome is in the audit log and the log line above; the alert update is best effort.
    logLine(deps, 'error', 'outcome not reported to the alert', {
      actionId: decision.actionId,
      error: describeError(err),
    });
  }
  if (known && deps.findings) {
    const severity = decision.alertRef?.alert?.detection.severity;
    const subject = { detection: known, accountId: decision.accountId, eventId: decision.eventId };
    const at = deps.ports.now().toISOString();
    await exportUpdates(decisionUpdates(severity ? { ...subject, severity } : subject, decision, at), deps);
  }
}

/** Sends lifecycle updates, in order; never throws (the findings port does not). */
async function exportUpdates(updates: readonly FindingUpdate[], deps: RemediateDeps): Promise<void> {
  if (updates.length === 0 || !deps.findings) return;
  const outcome = await deps.findings.publish(updates.map((update) => ({ kind: 'update' as const, update })));
  if (!outcome.ok) {
    logLine(deps, 'error', 'finding updates not exported', {
      outcome: 'finding-export-failed',
      failures: outcome.failures,
      updates,
    });
  }
}

async function tellApprover(work: ApprovedWork, deps: RemediateDeps): Promise<void> {
  if (!work.responseUrl || !deps.respondToApprover) return;
  try {
    await deps.respondToApprover(work.responseUrl, work.requestId);
  } catch (err) {
    logLine(deps, 'warn', 'approval message not updated', { requestId: work.requestId, error: describeError(err) });
  }
}

function logLine(deps: RemediateDeps, level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  (deps.write ?? console.log)(JSON.stringify({ level, message, service: 'vigil-remediate', ...fields }));
}
