/**
 * An approval request: a remediation plan waiting for a human (detections in `approve` mode). It
 * carries the exact calls the approver is asked to allow, when it expires and what happens then.
 * Pure: ids and the clock are passed in.
 *
 * Lifecycle (every transition is a conditional write in the approval store, so each is single-use):
 *
 * ```text
 * pending ──approve──> approved ──(executor ran the calls)──> executed ──undo──> undone
 *    │ └────reject───> rejected
 *    └──(expiresAt passed, sweeper)──> expired            (timeout behaviour `escalate`)
 *                                 └──> approved by 'timeout-policy'   (timeout behaviour `act`)
 * ```
 */
import type { ApprovalTimeout, ApprovalTimeoutAction } from '../../../config/remediation';
import type { RemediationId } from '../../../rules/types';
import { actionIdFor } from '../remediation/guard';
import type { AuditRecord, DecisionOutcome } from '../remediation/outcome';
import type { PlannedCall, RemediationPlan } from '../remediation/types';

/** Where a request stands. `pending` is the only state a human decision can leave. */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'executed' | 'undone';

/** What the timeout sweeper does with a request nobody decided in time (`approval.onTimeout`). */
export type TimeoutBehaviour = ApprovalTimeoutAction;

/** The plan an approver is asked to allow: a summary and the exact calls. */
export interface ApprovalPlan {
  readonly action: RemediationId;
  /** Security group id, bucket name, policy ARN, ... */
  readonly resourceId: string;
  /** One line, e.g. "revoke sgr-0abc (tcp 22 from 0.0.0.0/0) on sg-0123". */
  readonly summary: string;
  /** The mutating calls, in order, exactly as they will be sent. */
  readonly calls: readonly PlannedCall[];
}

/** One approval request, as stored. */
export interface ApprovalRequest {
  /** Opaque id (URL- and Slack-`value`-safe); see {@link REQUEST_ID_PATTERN}. */
  readonly id: string;
  readonly detectionId: string;
  /** Detection title for humans. @default - the detection id is shown */
  readonly detectionTitle?: string;
  /** CloudTrail `eventID` of the event that fired the detection. */
  readonly eventId: string;
  readonly accountId: string;
  readonly region: string;
  readonly plan: ApprovalPlan;
  /** ISO 8601. */
  readonly requestedAt: string;
  /** ISO 8601. Decisions at or after this instant are refused. */
  readonly expiresAt: string;
  /** Timeout and timeout action of the detection when the request opened (`approvalPolicyFor`). */
  readonly timeout: ApprovalTimeout;
  readonly status: ApprovalStatus;
  /**
   * Who decided: `slack:<user id>`, `email:<address>` or `timeout-policy` (see `deciderId` in
   * decide.ts). @default - undecided
   */
  readonly decidedBy?: string;
  /** ISO 8601. @default - undecided */
  readonly decidedAt?: string;
  /** When the executor reported the plan done (status `executed`). @default - not executed */
  readonly executedAt?: string;
  /** The executor's one-line report, e.g. `fixed: revoked sgr-0abc, verified`. @default - not executed */
  readonly outcome?: string;
  /** Who asked to undo the executed plan (same form as `decidedBy`). @default - not undone */
  readonly undoneBy?: string;
  /** ISO 8601. @default - not undone */
  readonly undoneAt?: string;
}

/** Who decided when nobody did: the timeout behaviour `act`. */
export const TIMEOUT_POLICY = 'timeout-policy';

/**
 * Request ids travel in Slack button values, URLs and DynamoDB keys: 8 to 64 URL-safe characters
 * (a UUID fits). Anything else is refused before it reaches the store.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** Input of {@link createApprovalRequest}. */
export interface NewApprovalRequest {
  /** A fresh random id (the caller draws it, e.g. `randomUUID()`: the core has no randomness). */
  readonly id: string;
  readonly detectionId: string;
  /** @default - none */
  readonly detectionTitle?: string;
  readonly eventId: string;
  /** The plan to approve; only plans that act need approval. */
  readonly plan: Extract<RemediationPlan, { kind: 'act' }>;
  /** `approvalPolicyFor(config, detectionId)` of config/remediation.ts. */
  readonly timeout: ApprovalTimeout;
  readonly now: Date;
}

/** A new `pending` request for `input.plan`, expiring `timeout.timeoutMinutes` after `now`. */
export function createApprovalRequest(input: NewApprovalRequest): ApprovalRequest {
  if (!REQUEST_ID_PATTERN.test(input.id)) {
    throw new RangeError(`approval request id must match ${REQUEST_ID_PATTERN}, got ${input.id.length} characters`);
  }
  const minutes = input.timeout.timeoutMinutes;
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new RangeError(`approval timeout must be a whole number of minutes ≥ 1, got ${minutes}`);
  }
  if (input.plan.calls.length === 0) {
    throw new RangeError(`plan for event ${input.eventId} has no calls; there is nothing to approve`);
  }
  const { target } = input.plan;
  return {
    id: input.id,
    detectionId: input.detectionId,
    ...(input.detectionTitle === undefined ? {} : { detectionTitle: input.detectionTitle }),
    eventId: input.eventId,
    accountId: target.accountId,
    region: target.region,
    plan: {
      action: target.action,
      resourceId: target.resourceId,
      summary: input.plan.summary,
      calls: input.plan.calls,
    },
    requestedAt: input.now.toISOString(),
    expiresAt: new Date(input.now.getTime() + minutes * 60_000).toISOString(),
    timeout: input.timeout,
    status: 'pending',
  };
}

/** True once `now` has reached the request's expiry. */
export function isExpired(request: Pick<ApprovalRequest, 'expiresAt'>, now: Date): boolean {
  return now.getTime() >= Date.parse(request.expiresAt);
}

/** What happened to a request, for the append-only audit log. */
export type ApprovalAuditAction =
  | 'approved'
  | 'rejected'
  | 'undo-requested'
  | 'refused'
  | 'reverted'
  | 'expired-escalated'
  | 'expired-acted';

/**
 * One audit record of the approval flow: who did what to which request, when, through which channel,
 * and for approvals the exact calls that were approved.
 */
export interface ApprovalAuditRecord {
  readonly kind: 'approval';
  readonly action: ApprovalAuditAction;
  readonly requestId: string;
  readonly detectionId: string;
  readonly eventId: string;
  readonly accountId: string;
  readonly region: string;
  /** The remediation action the request is about. */
  readonly remediation: RemediationId;
  /** `slack:<id>`, `email:<address>` or `timeout-policy`. */
  readonly actor: string;
  readonly channel: 'slack' | 'link' | 'timeout-policy';
  /** ISO 8601. */
  readonly at: string;
  readonly planSummary: string;
  /** The calls approved (approvals and timeout actions only). @default - none */
  readonly calls?: readonly PlannedCall[];
  /** Why (refusals, reverts). @default - none */
  readonly reason?: string;
}

/** Builds an {@link ApprovalAuditRecord} about `request`. */
export function approvalAuditRecord(
  request: ApprovalRequest,
  fields: Pick<ApprovalAuditRecord, 'action' | 'actor' | 'channel'> & { readonly at: Date; readonly reason?: string },
): ApprovalAuditRecord {
  const approves = fields.action === 'approved' || fields.action === 'expired-acted';
  return {
    kind: 'approval',
    action: fields.action,
    requestId: request.id,
    detectionId: request.detectionId,
    eventId: request.eventId,
    accountId: request.accountId,
    region: request.region,
    remediation: request.plan.action,
    actor: fields.actor,
    channel: fields.channel,
    at: fields.at.toISOString(),
    planSummary: request.plan.summary,
    ...(approves ? { calls: request.plan.calls } : {}),
    ...(fields.reason === undefined ? {} : { reason: fields.reason }),
  };
}

/** How each approval step reads as the outcome of a remediation audit record. */
const AUDIT_OUTCOME: Readonly<Record<ApprovalAuditAction, DecisionOutcome | 'in-progress'>> = {
  approved: 'in-progress',
  'expired-acted': 'in-progress',
  'undo-requested': 'in-progress',
  rejected: 'refused',
  refused: 'refused',
  'expired-escalated': 'refused',
  reverted: 'pending-approval',
};

/**
 * The approval step as a record of the remediation audit log (handlers/adapters/remediation/audit.ts),
 * so an action's whole history — decision, approval, snapshot, result, undo — is one Query on its
 * action id. It is a `decision`-phase record without `event`, which the executor's re-planning
 * (it looks for the decision record that carries the event) does not mistake for the opening one.
 */
export function toRemediationAuditRecord(record: ApprovalAuditRecord): AuditRecord {
  return {
    actionId: actionIdFor(record.eventId, record.remediation),
    phase: 'decision',
    at: record.at,
    actor: record.actor,
    eventId: record.eventId,
    detectionId: record.detectionId,
    action: record.remediation,
    accountId: record.accountId,
    region: record.region,
    mode: 'approve',
    outcome: AUDIT_OUTCOME[record.action],
    reason: `approval ${record.action} via ${record.channel}${record.reason ? `: ${record.reason}` : ''}`,
    summary: record.planSummary,
    ...(record.calls ? { calls: record.calls } : {}),
    approvalRequestId: record.requestId,
  };
}

/**
 * What the approval endpoint hands to the executor (e.g. as an SQS message body) once a request is
 * approved or an executed one is to be undone. The executor re-reads the request from the store and
 * acts only if its status still allows it: the message itself grants nothing.
 */
export interface ApprovedWork {
  readonly kind: 'execute' | 'undo';
  readonly requestId: string;
  /** `slack:<id>`, `email:<address>` or `timeout-policy`. */
  readonly approver: string;
  /**
   * Slack's `response_url` of the click, so the executor can update the message with the outcome
   * (valid for 30 minutes and 5 posts, per Slack's "Handling user interaction" guide).
   * @default - none (signed link or timeout: there is no message to update)
   */
  readonly responseUrl?: string;
}

/** Parses an {@link ApprovedWork} message body; undefined when it is not one. */
export function parseApprovedWork(body: string): ApprovedWork | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if (o.kind !== 'execute' && o.kind !== 'undo') return undefined;
  if (typeof o.requestId !== 'string' || !REQUEST_ID_PATTERN.test(o.requestId)) return undefined;
  if (typeof o.approver !== 'string' || o.approver === '') return undefined;
  if (o.responseUrl !== undefined && typeof o.responseUrl !== 'string') return undefined;
  return {
    kind: o.kind,
    requestId: o.requestId,
    approver: o.approver,
    ...(o.responseUrl === undefined ? {} : { responseUrl: o.responseUrl }),
  };
}
