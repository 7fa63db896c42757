/**
 * The approval timeout sweep: finds pending approval requests past their expiry and applies each one's
 * timeout behaviour (`escalate`: page, then mark `expired`; `act`: mark `approved` by `timeout-policy` and
 * hand the plan to the executor), one conditional write per request, one audit record per settled request.
 * Ports only: the approval store, the executor, the pager, the audit log, the clock and the log writer.
 * handlers/entrypoints/approval-timeouts.ts builds the adapters; see its header for the semantics.
 */
import { ApprovalConflictError, ApprovalSweepError } from '../../errors';
import {
  type ApprovalAuditRecord,
  type ApprovalRequest,
  approvalAuditRecord,
  TIMEOUT_POLICY,
} from '../approval/request';
import { describeError as describe, makeJsonLogger, type WriteLine } from '../lambda-io';
import { MALFORMED_APPROVAL_RECORDS_METRIC, METRIC_NAMESPACE } from '../metrics';
import type { ApprovalStore, MalformedApprovalRecord } from './approval-ports';

/** The sweep's ports: the entrypoint builds them from the environment, tests pass fakes. */
export interface SweeperDeps {
  readonly store: Pick<ApprovalStore, 'listExpiredPending' | 'settleTimeout' | 'revert'>;
  /** Hands a timed-out request with behaviour `act` to the executor (approver `timeout-policy`). */
  readonly execute: (request: ApprovalRequest, approver: string) => Promise<void>;
  /** Pages a human about a timed-out request with behaviour `escalate`. Must be safe to repeat. */
  readonly escalate: (request: ApprovalRequest) => Promise<void>;
  /** Appends one record to the audit log. */
  readonly audit: (record: ApprovalAuditRecord) => Promise<void>;
  readonly now: () => Date;
  /** Requests settled per run at most; the rest wait for the next run. @default 100 */
  readonly batchSize?: number;
  /** Where JSON log lines go. @default console.log */
  readonly write?: WriteLine;
}

/** What one run did, by request id. */
export interface SweepReport {
  readonly escalated: readonly string[];
  readonly acted: readonly string[];
  /** Settled meanwhile by someone else (an overlapping run). */
  readonly skipped: readonly string[];
  readonly failed: readonly string[];
  /** Items that could not be read as requests (ids), skipped. */
  readonly malformed: readonly string[];
}

/** Builds the sweep; it resolves with the report, or throws `ApprovalSweepError` when some requests failed. */
export function createTimeoutSweeper(deps: SweeperDeps): () => Promise<SweepReport> {
  const { log, emit } = makeJsonLogger('vigil-approval-timeouts', deps.write);

  type Result = 'escalated' | 'acted' | 'skipped' | 'failed';

  const escalate = async (request: ApprovalRequest, now: Date): Promise<Result> => {
    // Page first: if the write below fails, the next run pages again (same incident) rather than
    // leaving an expired request that nobody heard of.
    await deps.escalate(request);
    const settled = await deps.store.settleTimeout(request.id, { to: 'expired', now });
    const record = approvalAuditRecord(settled, {
      action: 'expired-escalated',
      actor: TIMEOUT_POLICY,
      channel: 'timeout-policy',
      at: now,
    });
    try {
      await deps.audit(record);
    } catch (err) {
      // The request is settled and will not come back: keep the record in the log for a human to replay.
      log('error', 'audit record not written', { record, error: describe(err) });
      throw err;
    }
    return 'escalated';
  };

  const act = async (request: ApprovalRequest, now: Date): Promise<Result> => {
    const settled = await deps.store.settleTimeout(request.id, { to: 'approved', now });
    try {
      await deps.audit(
        approvalAuditRecord(settled, {
          action: 'expired-acted',
          actor: TIMEOUT_POLICY,
          channel: 'timeout-policy',
          at: now,
        }),
      );
      await deps.execute(settled, TIMEOUT_POLICY);
    } catch (err) {
      // Back to pending (still expired): the next run tries again instead of leaving it approved and idle.
      await deps.store.revert(request.id, { from: 'approved', decidedBy: TIMEOUT_POLICY });
      throw err;
    }
    return 'acted';
  };

  return async () => {
    const now = deps.now();
    const malformed: MalformedApprovalRecord[] = [];
    const expired = await deps.store.listExpiredPending(now, deps.batchSize ?? 100, (m) => malformed.push(m));
    const report = {
      escalated: [] as string[],
      acted: [] as string[],
      skipped: [] as string[],
      failed: [] as string[],
      malformed: malformed.map((m) => m.id),
    };
    for (const m of malformed) {
      log('error', 'skipped an approval record that cannot be read: repair or delete it', {
        requestId: m.id,
        reason: m.reason,
      });
    }
    if (malformed.length > 0) emit(malformedMetric(malformed.length, now));
    // One at a time: runs are small, and a burst of pages or executions is what the circuit breaker
    // downstream is there to stop, not something to speed up.
    for (const request of expired) {
      let result: Result;
      try {
        result = request.timeout.onTimeout === 'act' ? await act(request, now) : await escalate(request, now);
      } catch (err) {
        if (err instanceof ApprovalConflictError) {
          log('info', 'already settled', { requestId: request.id, error: describe(err) });
          result = 'skipped';
        } else {
          log('error', 'could not settle an expired request', {
            requestId: request.id,
            onTimeout: request.timeout.onTimeout,
            error: describe(err),
          });
          result = 'failed';
        }
      }
      report[result].push(request.id);
      if (result === 'escalated' || result === 'acted') {
        log('info', `request ${result}`, { requestId: request.id, detectionId: request.detectionId });
      }
    }
    log(report.failed.length > 0 ? 'error' : 'info', 'sweep done', { found: expired.length, ...counts(report) });
    if (report.failed.length > 0) {
      throw new ApprovalSweepError(
        `${report.failed.length} expired approval request(s) could not be settled: ${report.failed.join(', ')}`,
        { failed: report.failed },
      );
    }
    return report;
  };
}

function counts(report: SweepReport): Record<string, number> {
  return {
    escalated: report.escalated.length,
    acted: report.acted.length,
    skipped: report.skipped.length,
    failed: report.failed.length,
    malformed: report.malformed.length,
  };
}

/** EMF object for `MalformedApprovalRecords` (namespace `Vigil`, no dimensions), for an alarm. */
function malformedMetric(count: number, now: Date): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [[]],
          Metrics: [{ Name: MALFORMED_APPROVAL_RECORDS_METRIC, Unit: 'Count' }],
        },
      ],
    },
    [MALFORMED_APPROVAL_RECORDS_METRIC]: count,
  };
}
