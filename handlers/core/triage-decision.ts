/**
 * What triage decided to alert on (the types the decision, the alert builder and the flow share). Types
 * only, so triage.ts and triage-alert.ts both import them without importing each other.
 */
import type { Detection, Severity } from '../../rules/types';
import type { AlertEvent } from './alert';
import type { HandlerAccount } from './inventory-view';

/** A resource the event is about: its id as shown in alerts, and its ARN when one can be built. */
export interface AffectedResource {
  readonly id: string;
  /** @default - no ARN known, so no tags can be read */
  readonly arn?: string;
}

/** The resource tags to read for the owner, in the member account. */
export interface TagLookup {
  readonly accountId: string;
  /** Region of the resources (the Tagging API is regional). */
  readonly region: string;
  /** ARNs in priority order, primary resource first (at most {@link MAX_TAG_LOOKUP_ARNS}). */
  readonly arns: readonly string[];
}

/** Burst aggregation for a detection with `aggregate`: one counter per group and window. */
export interface BurstPlan {
  /** Dedupe-store key of the counter: detection, window start and a hash of the group values. */
  readonly key: string;
  readonly threshold: number;
  readonly windowSeconds: number;
  /** Window start, epoch seconds (windows are aligned to multiples of `windowSeconds`). */
  readonly windowStart: number;
  /** When the counter may be forgotten, epoch seconds. */
  readonly expiresAt: number;
  /** The values at the detection's `groupBy` paths, for logs. */
  readonly group: Readonly<Record<string, string>>;
}

export interface AlertDecision {
  readonly kind: 'alert';
  readonly detection: Detection;
  /** Effective severity (see {@link effectiveSeverity}). */
  readonly severity: Severity;
  readonly accountId: string;
  readonly account: HandlerAccount;
  /** The facts of the event, bounded in size for messages. */
  readonly event: AlertEvent;
  /** CloudTrail eventTime, epoch ms (for the detection-latency metric). */
  readonly eventTimeMs: number;
  readonly resources: readonly AffectedResource[];
  readonly keys: {
    /** Same detection + same CloudTrail event: a redelivery or a second forwarding path. */
    readonly event: string;
    /** Same detection + same resources: a repeat. @default - no identifiable resource: never suppressed */
    readonly resource?: string;
  };
  readonly repeatWindowSeconds: number;
  /**
   * Why no remediation is requested on this alert although its detection has one: the event could not
   * be read in full (nested too deep or too large, no `userIdentity`, a predicate that could not read
   * it) or its account is not onboarded. Fail open on detection, closed on action.
   * @default - nothing is withheld
   */
  readonly unreadable?: string;
  /** Sentences for the responder about what could not be read or is unknown, shown after the rationale. @default - none */
  readonly notes?: readonly string[];
  /** @default - the detection alerts on every event */
  readonly burst?: BurstPlan;
  /** @default - no taggable resource: the owner comes from the account */
  readonly tagLookup?: TagLookup;
}
