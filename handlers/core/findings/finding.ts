/**
 * The finding record (issue #15): one per alert decision, built from what triage decided, and the
 * lifecycle updates that follow it (approval, remediation, verification, undo, responder verdicts).
 * Pure: the ports in ./ports.ts carry them to Security Hub (./asff.ts) and the SIEM stream (./ocsf.ts).
 */
import { createHash } from 'node:crypto';
import type { ComplianceRefs, Detection, RemediationId, RemediationMode, Severity } from '../../../rules/types';
import type { AlertEvent } from '../alert';
import type { HandlerAccount } from '../inventory-view';
import type { AffectedResource } from '../triage-decision';
import type { Verdict } from '../verdict';

/**
 * Where a finding stands. `notified` is the state a finding is created in (the alert went out); the
 * others arrive as {@link FindingUpdate}s.
 */
export const FINDING_STATUSES = [
  'notified',
  'approval-requested',
  'approved',
  'remediated',
  'verified',
  'remediation-failed',
  'undone',
  'confirmed',
  'expected-change',
  'false-positive',
] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

/** Statuses that close a finding: fixed and verified, or judged not to need a fix. */
export const CLOSING_STATUSES: readonly FindingStatus[] = ['verified', 'expected-change', 'false-positive'];

/** The CloudTrail facts a finding keeps (bounded as the alert bounds them). */
export interface FindingEvent {
  readonly eventId: string;
  readonly eventName: string;
  readonly eventSource: string;
  /** ISO 8601, when the API call happened. */
  readonly eventTime: string;
  readonly awsRegion: string;
  /** @default - not recorded */
  readonly sourceIPAddress?: string;
  readonly userIdentity: { readonly type: string; readonly arn?: string };
}

/** One finding: what was detected, where, about what, by whom, and how vigil handles it. */
export interface Finding {
  /** Stable: {@link findingId} of the detection and the CloudTrail event id. */
  readonly id: string;
  readonly detection: {
    readonly id: string;
    readonly title: string;
    readonly class: string;
    readonly rationale: string;
  };
  /** Effective severity (raised for production). */
  readonly severity: Severity;
  readonly account: {
    readonly id: string;
    readonly name: string;
    readonly ouId: string;
    /** `Root` for accounts directly under the root. */
    readonly ouPath: string;
    readonly environment: string;
  };
  /** The owning team (resource tag, account tag, OU default or the fallback). */
  readonly owner: string;
  readonly resources: readonly AffectedResource[];
  readonly event: FindingEvent;
  readonly remediation: {
    /** `none`: the detection has no remediation. Otherwise the catalog default (the remediate function decides per account). */
    readonly mode: RemediationMode | 'none';
    readonly action?: RemediationId;
    /** `requested`, `withheld` (the event could not be read in full) or `none`. */
    readonly state: 'requested' | 'withheld' | 'none';
  };
  readonly status: FindingStatus;
  /** When the alert went out (ISO 8601): the finding's creation time. */
  readonly createdAt: string;
  /** MITRE ATT&CK technique ids from the catalog. */
  readonly mitre: readonly string[];
  /** Compliance references from the catalog, e.g. `CIS 3.3`, `SecurityHub CloudWatch.1`, `PCI 10.6.1`. */
  readonly compliance: readonly string[];
}

/** A change of a finding's status: appended, never changing the finding it names. */
export interface FindingUpdate {
  readonly findingId: string;
  readonly status: FindingStatus;
  /** ISO 8601. */
  readonly at: string;
  /** `vigil`, an approver (`slack:U…`, `email:…`), a responder, or the operator. */
  readonly actor: string;
  /** What the finding is about, so an update stands on its own in the SIEM. */
  readonly detection: { readonly id: string; readonly title: string };
  readonly severity: Severity;
  readonly accountId: string;
  readonly eventId: string;
  /** One sentence for the record (the outcome's reason). @default - none */
  readonly note?: string;
}

/** What the findings ports carry: a new finding, or an update of one. */
export type FindingRecord =
  | { readonly kind: 'finding'; readonly finding: Finding }
  | { readonly kind: 'update'; readonly update: FindingUpdate };

/**
 * The stable finding id: the same detection on the same CloudTrail event is the same finding, however
 * often the event is delivered. `vigil-` and 32 hex digits of SHA-256 (ASFF allows 512 characters).
 */
export function findingId(detectionId: string, eventId: string): string {
  return `vigil-${createHash('sha256').update(`${detectionId}\n${eventId}`).digest('hex').slice(0, 32)}`;
}

/** What triage knows when the alert is out. */
export interface FindingInput {
  readonly detection: Detection;
  readonly severity: Severity;
  readonly account: HandlerAccount;
  readonly event: AlertEvent;
  readonly resources: readonly AffectedResource[];
  readonly owner: string;
  /** `requested`, `withheld` or undefined (no remediation). */
  readonly remediation?: 'requested' | 'withheld';
  /** When the alert went out, epoch ms. */
  readonly sentAt: number;
}

/** The finding of an alert decision. */
export function buildFinding(input: FindingInput): Finding {
  const { detection, event } = input;
  const r = detection.remediation;
  return {
    id: findingId(detection.id, event.eventId),
    detection: { id: detection.id, title: detection.title, class: detection.class, rationale: detection.rationale },
    severity: input.severity,
    account: {
      id: event.account.id,
      name: input.account.name,
      ouId: input.account.ouId,
      ouPath: input.account.ouPath === '' ? 'Root' : input.account.ouPath,
      environment: input.account.environment,
    },
    owner: input.owner,
    resources: input.resources,
    event: {
      eventId: event.eventId,
      eventName: event.eventName,
      eventSource: event.eventSource,
      eventTime: event.eventTime,
      awsRegion: event.awsRegion,
      ...(event.sourceIPAddress === undefined ? {} : { sourceIPAddress: event.sourceIPAddress }),
      userIdentity: { type: event.actor.type, ...(event.actor.arn === undefined ? {} : { arn: event.actor.arn }) },
    },
    remediation: r
      ? { mode: r.defaultMode, action: r.action, state: input.remediation ?? 'none' }
      : { mode: 'none', state: 'none' },
    status: 'notified',
    createdAt: new Date(input.sentAt).toISOString(),
    mitre: [...(detection.compliance.mitre ?? [])],
    compliance: complianceRefs(detection.compliance),
  };
}

/** The catalog's compliance references as one list (MITRE ids are kept apart). */
export function complianceRefs(refs: ComplianceRefs): string[] {
  return [
    ...(refs.cis ?? []).map((c) => (c.startsWith('CIS') ? c : `CIS ${c}`)),
    ...(refs.securityHub ?? []).map((c) => `SecurityHub ${c}`),
    ...(refs.pciDss ?? []).map((c) => `PCI DSS ${c}`),
    ...(refs.soc2 ?? []).map((c) => `SOC 2 ${c}`),
  ];
}

/** The subject of updates: a detection (from the catalog) and an event in an account. */
export interface UpdateSubject {
  readonly detection: Pick<Detection, 'id' | 'title' | 'severity'>;
  /** The alert's effective severity when known. @default - the catalog severity */
  readonly severity?: Severity;
  readonly accountId: string;
  readonly eventId: string;
}

/** One update of the subject's finding. */
export function findingUpdate(
  subject: UpdateSubject,
  status: FindingStatus,
  change: { readonly at: string; readonly actor: string; readonly note?: string },
): FindingUpdate {
  return {
    findingId: findingId(subject.detection.id, subject.eventId),
    status,
    at: change.at,
    actor: change.actor,
    detection: { id: subject.detection.id, title: subject.detection.title },
    severity: subject.severity ?? subject.detection.severity,
    accountId: subject.accountId,
    eventId: subject.eventId,
    ...(change.note === undefined ? {} : { note: change.note }),
  };
}

/** The part of a remediation decision (handlers/core/remediation/outcome.ts `Decision`) updates read. */
export interface DecisionFacts {
  readonly outcome: string;
  readonly actor: string;
  readonly reason: string;
  readonly verifiedAt?: string;
  readonly approvalRequestId?: string;
}

/**
 * The updates a remediation decision makes, in order: `approval-requested` when it waits for a human;
 * `approved` (when a human approved it), `remediated` and, once re-read and found fixed, `verified`;
 * `remediation-failed`. Outcomes that change nothing (notify only, dry run, refused, already compliant,
 * duplicate) make none.
 */
export function decisionUpdates(subject: UpdateSubject, decision: DecisionFacts, at: string): FindingUpdate[] {
  const by = { actor: decision.actor, note: decision.reason };
  switch (decision.outcome) {
    case 'pending-approval':
      return [findingUpdate(subject, 'approval-requested', { at, ...by })];
    case 'fixed': {
      const approved = decision.approvalRequestId !== undefined && decision.actor !== 'vigil';
      return [
        ...(approved ? [findingUpdate(subject, 'approved', { at, actor: decision.actor })] : []),
        findingUpdate(subject, 'remediated', { at, ...by }),
        ...(decision.verifiedAt ? [findingUpdate(subject, 'verified', { at: decision.verifiedAt, ...by })] : []),
      ];
    }
    case 'failed':
      return [findingUpdate(subject, 'remediation-failed', { at, ...by })];
    default:
      return [];
  }
}

/** The status a responder verdict sets. */
export const VERDICT_STATUS: Readonly<Record<Verdict, FindingStatus>> = {
  'true-positive': 'confirmed',
  'expected-change': 'expected-change',
  'false-positive': 'false-positive',
};
