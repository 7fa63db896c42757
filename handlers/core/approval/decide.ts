/**
 * Whether a human may decide an approval request now. Pure: the request as read from the store, who
 * is asking, the configured approvers and the time are all passed in. The store's conditional write
 * then makes an accepted decision single-use (two approvers clicking at once: one wins, the other is
 * refused as already decided).
 */
import type { Approvers } from '../../../config/remediation';
import { type ApprovalRequest, type ApprovalStatus, isExpired, TIMEOUT_POLICY } from './request';

/** What a human asks for. `undo` reverts an executed remediation. */
export type DecisionKind = 'approve' | 'reject' | 'undo';

/**
 * The authenticated identity behind a decision: a Slack user (from a request whose signature was
 * verified) or the approver a signed link was issued to.
 */
export type Decider =
  | { readonly channel: 'slack'; readonly userId: string }
  | { readonly channel: 'link'; readonly email: string };

/** Who may decide: the `approvers` of config/remediation.json (emails compare case-insensitively). */
export type { Approvers };

/** Why a decision is refused; the approval endpoint maps each to an HTTP status. */
export type Refusal =
  /** The decider is not a configured approver (403). */
  | 'not-approver'
  /** The request expired; the timeout behaviour takes over (410). */
  | 'expired'
  /** The request was decided already: a replay or a second click (410). */
  | 'already-decided'
  /** Undo of a request that was not executed, or was undone already (410). */
  | 'not-undoable';

export type Verdict =
  | {
      readonly accepted: true;
      /** The state the store must still find (the condition of the write). */
      readonly from: ApprovalStatus;
      /** The state the decision moves the request to. */
      readonly to: ApprovalStatus;
      /** {@link deciderId} of the decider, recorded as `decidedBy` (`undoneBy` for an undo) and in the audit. */
      readonly decidedBy: string;
    }
  | { readonly accepted: false; readonly refusal: Refusal; readonly reason: string };

/** Input of {@link decideApproval}. */
export interface DecisionInput {
  readonly request: ApprovalRequest;
  readonly kind: DecisionKind;
  readonly decider: Decider;
  readonly approvers: Approvers;
  readonly now: Date;
}

/**
 * Accepts or refuses a decision. The approver check comes first, so someone who may not decide
 * learns nothing about the request's state; then state, then expiry (an expired request can only be
 * settled by the timeout sweeper, never by a late click). Undo is not bound to the approval window:
 * it reverts something already done and is allowed to any approver while the request is `executed`.
 */
export function decideApproval(input: DecisionInput): Verdict {
  const { request, kind, decider, approvers, now } = input;
  const who = deciderId(decider);
  if (!isApprover(decider, approvers)) {
    return { accepted: false, refusal: 'not-approver', reason: `${who} is not a configured approver` };
  }
  if (kind === 'undo') {
    if (request.status !== 'executed') {
      return {
        accepted: false,
        refusal: 'not-undoable',
        reason: `request ${request.id} is ${request.status}; only an executed remediation can be undone`,
      };
    }
    return { accepted: true, from: 'executed', to: 'undone', decidedBy: who };
  }
  if (request.status !== 'pending') {
    const by = request.decidedBy ? ` by ${request.decidedBy}` : '';
    return {
      accepted: false,
      refusal: 'already-decided',
      reason: `request ${request.id} is already ${request.status}${by}`,
    };
  }
  if (isExpired(request, now)) {
    return {
      accepted: false,
      refusal: 'expired',
      reason: `request ${request.id} expired at ${request.expiresAt}`,
    };
  }
  return { accepted: true, from: 'pending', to: kind === 'approve' ? 'approved' : 'rejected', decidedBy: who };
}

/** `slack:U0123ABCD` or `email:alice@example.com` (lower-cased): the form stored in `decidedBy`. */
export function deciderId(decider: Decider): string {
  return decider.channel === 'slack' ? `slack:${decider.userId}` : `email:${decider.email.toLowerCase()}`;
}

/** True when `decider` is one of `approvers` (Slack ids exactly, emails case-insensitively). */
export function isApprover(decider: Decider, approvers: Approvers): boolean {
  if (decider.channel === 'slack') return decider.userId !== '' && approvers.slackUserIds.includes(decider.userId);
  const email = decider.email.toLowerCase();
  return email !== '' && approvers.emails.some((e) => e.toLowerCase() === email);
}

/**
 * True when a stored decider id (`slack:<id>` or `email:<address>`, {@link deciderId}) names one of
 * `approvers`. The executor uses it on what the approval store says, so a record written by anything
 * but the approve function (or an approver since removed from the config) does not run.
 */
export function isConfiguredApprover(id: string, approvers: Approvers): boolean {
  const slack = /^slack:(.+)$/.exec(id);
  if (slack) return isApprover({ channel: 'slack', userId: slack[1]! }, approvers);
  const email = /^email:(.+)$/.exec(id);
  return email ? isApprover({ channel: 'link', email: email[1]! }, approvers) : false;
}

/**
 * Whether the approval store's decider of an approved request may have decided it: a configured
 * approver, or the timeout policy when the request's timeout behaviour is `act`.
 */
export function approvalDecider(
  request: ApprovalRequest,
  approvers: Approvers,
): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  const by = request.decidedBy;
  if (by === TIMEOUT_POLICY) {
    return request.timeout.onTimeout === 'act'
      ? { ok: true }
      : {
          ok: false,
          reason: `approval request ${request.id} was approved by the timeout policy, but its timeout behaviour is ${request.timeout.onTimeout}`,
        };
  }
  return by !== undefined && isConfiguredApprover(by, approvers)
    ? { ok: true }
    : {
        ok: false,
        reason: `${by ?? 'nobody'} is not a configured approver (config/remediation.json approvers); approval request ${request.id} is not executed`,
      };
}
