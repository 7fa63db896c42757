/**
 * The ports of the approval workflows (approval-flow.ts, approval-timeouts-flow.ts): the approval store
 * as they use it (handlers/adapters/approval-store.ts implements it) and the hand-over options.
 */
import type { ApprovalRequest } from '../approval/request';

/** A decision written by an approver. */
export interface DecisionWrite {
  readonly to: 'approved' | 'rejected';
  /** `slack:<user id>` or `email:<address>`. */
  readonly decidedBy: string;
  readonly now: Date;
}

/** A timeout settled by the sweeper. */
export interface TimeoutWrite {
  readonly to: 'expired' | 'approved';
  readonly now: Date;
}

/** An approval item that cannot be read as a request. */
export interface MalformedApprovalRecord {
  /** The item's `id`, or `(no id)`. */
  readonly id: string;
  /** Why it cannot be read. */
  readonly reason: string;
}

/** The approval store; every write is conditional and throws `ApprovalConflictError` when it loses. */
export interface ApprovalStore {
  get(id: string): Promise<ApprovalRequest | undefined>;
  decide(id: string, write: DecisionWrite): Promise<ApprovalRequest>;
  settleTimeout(id: string, write: TimeoutWrite): Promise<ApprovalRequest>;
  revert(
    id: string,
    write: { readonly from: 'approved' | 'rejected' | 'undone'; readonly decidedBy: string },
  ): Promise<void>;
  markUndone(id: string, write: { readonly undoneBy: string; readonly now: Date }): Promise<ApprovalRequest>;
  useNonce(
    nonce: string,
    write: { readonly requestId: string; readonly expiresAt: Date; readonly now: Date },
  ): Promise<void>;
  listExpiredPending(
    now: Date,
    limit?: number,
    onMalformed?: (record: MalformedApprovalRecord) => void,
  ): Promise<ApprovalRequest[]>;
}

/** Options passed with a hand-over. */
export interface HandOverOptions {
  /** The Slack click's `response_url`, to report the outcome. @default - none (signed link) */
  readonly responseUrl?: string;
}
