import type { RemediationId, RemediationMode } from '../../../rules/types';
import type { PlannedCall, RemediationEvent, RemediationOutcome, RemediationPlan, RemediationTarget } from './types';
import type { Alert } from '../alert';

// ---------------------------------------------------------------------------------------------
// Output

/**
 * Outcome of one pass: the contract's outcomes, plus `notify-only` (mode off or notify, or the kill
 * switch) and `duplicate` (this event and action were handled already: nothing was done again).
 */
export type DecisionOutcome = RemediationOutcome | 'notify-only' | 'duplicate';

export interface Decision {
  readonly detectionId: string;
  readonly eventId: string;
  readonly accountId: string;
  /** @default - no action (unknown detection, none in the catalog) */
  readonly actionId?: string;
  /** The mode the pass ran in, after every safety rail. */
  readonly mode: RemediationMode;
  readonly outcome: DecisionOutcome;
  /** One sentence: why this outcome. */
  readonly reason: string;
  /** How the mode came about: the rollout entry, then every rail that lowered it. */
  readonly modeReasons: readonly string[];
  readonly target?: RemediationTarget;
  readonly plan?: RemediationPlan;
  /** The read-only calls made (or, in dry-run, made to plan) before acting. */
  readonly reads: readonly PlannedCall[];
  /** The mutating calls: made (`fixed`, `failed`), or that would be made (`dry-run`, `pending-approval`). */
  readonly calls: readonly PlannedCall[];
  /** Who acted: `vigil` or the approver. */
  readonly actor: string;
  /** Fixed without a human: counts towards the share of alerts closed by automation. */
  readonly automated: boolean;
  /** When the fix was verified (ISO 8601). @default - not fixed */
  readonly verifiedAt?: string;
  /** @default - no approval request */
  readonly approvalRequestId?: string;
  /** A page went out. */
  readonly escalated: boolean;
  /** The alert to update with the outcome. @default - none */
  readonly alertRef?: AlertRef;
}

/** Actor of automatic decisions in audit records. */
export const VIGIL_ACTOR = 'vigil';

/** Phases of an action's audit trail, in the order they happen. */
export type AuditPhase = 'decision' | 'snapshot' | 'result' | 'undo-snapshot' | 'undo-result';

/** One append-only audit record. Several records share an `actionId`; none is ever changed. */
export interface AuditRecord {
  /** `<CloudTrail eventID>:<action>`, see `actionIdFor`. */
  readonly actionId: string;
  readonly phase: AuditPhase;
  /** ISO 8601. */
  readonly at: string;
  /** `vigil` for automatic decisions, the approver (`slack:U…`, `email:…`, `timeout-policy`), or the operator. */
  readonly actor: string;
  readonly eventId: string;
  readonly detectionId: string;
  readonly action: RemediationId;
  readonly accountId: string;
  readonly region?: string;
  readonly mode: RemediationMode;
  readonly outcome: DecisionOutcome | 'in-progress';
  readonly reason: string;
  readonly target?: RemediationTarget;
  readonly summary?: string;
  /** The mutating calls (made, about to be made, or that would be made). */
  readonly calls?: readonly PlannedCall[];
  /**
   * What the calls change, as it was before (`snapshot` phase; the input of undo). On a `result` record: the
   * same, with the facts verify learned after the change (`Verification.undoFacts`) merged in.
   */
  readonly snapshot?: Readonly<Record<string, unknown>>;
  /** The event (decision records of approve mode, so an approved request can be re-planned). */
  readonly event?: RemediationEvent;
  /** The alert to update once the approved request ran (decision records of approve mode). */
  readonly alertRef?: AlertRef;
  readonly approvalRequestId?: string;
  /** The action id an undo record reverts. */
  readonly undoes?: string;
}

export interface AuditPort {
  /** Appends a record; throws if it cannot (callers decide whether to go on). */
  append(record: AuditRecord): Promise<void>;
  /** Every record of an action, oldest first. */
  read(actionId: string): Promise<AuditRecord[]>;
}

/** The alert triage sent for this event, so the outcome can update it and MTTR can be measured. */
export interface AlertRef {
  /** When the alert was sent (ISO 8601): the start of TimeToRespondMs. @default - MTTR is not measured */
  readonly sentAt?: string;
  /** The alert as sent; the outcome is reported by re-sending it with a new remediation status. @default - none */
  readonly alert?: Alert;
  /**
   * The Slack message of the alert, when it was posted with a bot token (Web API): the outcome edits
   * it in place with `chat.update`. @default - the outcome is posted as a follow-up message
   */
  readonly slack?: { readonly channel: string; readonly ts: string };
}
