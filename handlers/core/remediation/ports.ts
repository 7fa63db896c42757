/** The ports of the remediation pipeline: implemented in handlers/adapters/remediation/*, faked in tests. */
import type { approvalPolicyFor } from '../../../config/remediation';
import type { Detection } from '../../../rules/types';
import type { ApprovalRequest } from '../approval/request';
import type { TagLookup } from './exemptions';
import type { BreakerCounts, KillSwitchReading } from './guard';
import type { LogLevel } from '../lambda-io';
import type { PlannedCall, RemediationPlan, RemediationTarget } from './types';
import type { AuditPort } from './outcome';

// ---------------------------------------------------------------------------------------------
// Ports (implemented in handlers/adapters/remediation/*, faked in tests)

/** Result of an idempotency claim. */
export type ClaimResult =
  | { readonly claimed: true }
  | {
      readonly claimed: false;
      /** `in-progress` (another invocation is on it) or `completed`. */
      readonly status: string;
      /** The earlier outcome, when completed. @default - unknown */
      readonly outcome?: string;
    };

export interface IdempotencyPort {
  /** Claims `key`; only one caller ever gets `claimed: true` (until the claim expires unfinished). */
  claim(key: string, now: Date): Promise<ClaimResult>;
  /** Marks the claim completed with its outcome; later claims of `key` are duplicates. */
  complete(key: string, outcome: string, now: Date): Promise<void>;
  /** Drops an unfinished claim so a retry may run (only when nothing was changed yet). */
  release(key: string): Promise<void>;
}

/** What an approval request is opened with. */
export interface ApprovalOpening {
  readonly actionId: string;
  readonly detection: Pick<Detection, 'id' | 'title'>;
  readonly eventId: string;
  readonly plan: Extract<RemediationPlan, { kind: 'act' }>;
  readonly timeout: ReturnType<typeof approvalPolicyFor>;
  /** Why it waits for a human (mode reason, breaker, tag lookup failure). */
  readonly reason: string;
  readonly now: Date;
}

export interface ApprovalPort {
  /** Creates, stores and announces a request; returns its id. */
  open(opening: ApprovalOpening): Promise<{ readonly requestId: string }>;
  get(requestId: string): Promise<ApprovalRequest | undefined>;
  /** approved → executed, with a one-line outcome. */
  markExecuted(requestId: string, write: { readonly outcome: string; readonly now: Date }): Promise<unknown>;
}

/** A page to the security on-call: something a human must look at now. */
export interface Escalation {
  readonly kind: 'circuit-breaker' | 'failure' | 'kill-switch-unreadable';
  readonly actionId: string;
  readonly detectionId: string;
  readonly accountId: string;
  readonly summary: string;
  readonly reason: string;
  /** Which counter tripped (circuit-breaker pages only). @default - not a breaker page */
  readonly breakerScope?: 'account' | 'organization';
}

export type { LogLevel };

export interface OrchestratorPorts {
  readonly now: () => Date;
  readonly readKillSwitch: () => Promise<KillSwitchReading>;
  /** Tags of resources in the member account; never throws (`failed` is an answer). */
  readonly readTags: (lookup: { accountId: string; region: string; arns: readonly string[] }) => Promise<TagLookup>;
  /** Re-reads the target's state in the member account (read-only). Throws when it cannot. */
  readonly readState: (target: RemediationTarget) => Promise<unknown>;
  /**
   * Sends the calls, in order, in the target's account. Throws on the first that fails. `ref.actionId`
   * names the action the calls were planned for (remediate signs it into the member request).
   */
  readonly execute: (
    target: RemediationTarget,
    calls: readonly PlannedCall[],
    ref: { readonly actionId: string },
  ) => Promise<unknown>;
  readonly idempotency: IdempotencyPort;
  /** Counts one more action for the account and the organization in the current window; returns the new counts. */
  readonly takeBreakerSlot: (accountId: string, now: Date) => Promise<BreakerCounts>;
  readonly audit: AuditPort;
  readonly approvals: ApprovalPort;
  readonly escalate: (escalation: Escalation) => Promise<void>;
  readonly log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
}
