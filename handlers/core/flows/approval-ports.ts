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
  /** The request, read strongly consistent; undefined when there is none (never existed, or deleted by TTL). */
  get(id: string): Promise<ApprovalRequest | undefined>;
  /** pending → approved/rejected, only while `expiresAt > now`. */
  decide(id: string, write: DecisionWrite): Promise<ApprovalRequest>;
  /** pending → expired/approved(timeout-policy), only once `expiresAt <= now`. */
  settleTimeout(id: string, write: TimeoutWrite): Promise<ApprovalRequest>;
  /**
   * Puts a decision back (approved/rejected → pending, undone → executed) when what had to follow it
   * (the audit record, the hand-over to the executor) failed, so that the request can be decided
   * again rather than stuck approved with nothing running. Only the decider's own write is reverted.
   */
  revert(
    id: string,
    write: { readonly from: 'approved' | 'rejected' | 'undone'; readonly decidedBy: string },
  ): Promise<void>;
  /** executed → undone. */
  markUndone(id: string, write: { readonly undoneBy: string; readonly now: Date }): Promise<ApprovalRequest>;
  /**
   * Records a signed link's nonce as used; throws `ApprovalConflictError` (`token-used`) if it was.
   * `expiresAt` is the link's expiry: the record outlives it, after which the link is refused anyway.
   */
  useNonce(
    nonce: string,
    write: { readonly requestId: string; readonly expiresAt: Date; readonly now: Date },
  ): Promise<void>;
  /**
   * Pending requests with `expiresAt <= now`, oldest first, at most `limit`. An item that cannot be
   * read as a request is passed to `onMalformed` and skipped (without `onMalformed`, it throws).
   */
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
