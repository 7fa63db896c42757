/**
 * How a remediation decision is reported: the alert's remediation status, the page to the on-call
 * when something needs a human now, and the KPIs as CloudWatch embedded metric format. Pure.
 */
import type { AlertRemediation, RemediationState } from '../alert';
import { truncateText } from '../alert';
import { PAGERDUTY_LIMITS, type PagerDutyTriggerEvent } from '../format-pagerduty';
import { METRIC_NAMESPACE } from '../metrics';
import type { Decision, DecisionOutcome, Escalation } from './orchestrate';

const STATES: Readonly<Record<DecisionOutcome, RemediationState>> = {
  fixed: 'fixed',
  'already-compliant': 'skipped',
  refused: 'skipped',
  failed: 'failed',
  'dry-run': 'dry-run',
  'pending-approval': 'pending-approval',
  'notify-only': 'none',
  duplicate: 'skipped',
};

/** The alert's remediation block after `decision`, e.g. `auto: fixed - start logging on … : … is logging`. */
export function alertRemediationFor(decision: Decision): AlertRemediation {
  return { mode: decision.mode, state: STATES[decision.outcome], detail: truncateText(decision.reason, 1000) };
}

/**
 * The PagerDuty trigger for an escalation. Breaker trips of one account (or of the organization)
 * share a dedup key, so a burst that trips it many times is one incident; so do kill-switch read
 * failures; a failed action has its own.
 */
export function formatRemediationPage(escalation: Escalation, routingKey: string, now: Date): PagerDutyTriggerEvent {
  const scope = escalation.breakerScope === 'organization' ? 'organization' : escalation.accountId;
  // One incident per breaker scope and one for the kill switch, however many events run into them.
  const dedup =
    escalation.kind === 'circuit-breaker'
      ? `vigil/circuit-breaker/${scope}`
      : escalation.kind === 'kill-switch-unreadable'
        ? 'vigil/kill-switch-unreadable'
        : `vigil/remediation/failure/${escalation.actionId}`;
  const headline: Readonly<Record<Escalation['kind'], string>> = {
    'circuit-breaker': 'Remediation circuit breaker tripped',
    failure: 'Remediation failed',
    'kill-switch-unreadable': 'Remediation kill switch unreadable',
  };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: truncateText(dedup, PAGERDUTY_LIMITS.dedupKey),
    client: 'vigil',
    payload: {
      summary: truncateText(
        `${headline[escalation.kind]}: ${escalation.summary} (${escalation.detectionId}, account ${escalation.accountId})`,
        PAGERDUTY_LIMITS.summary,
      ),
      source: `vigil/remediate/${escalation.accountId}`,
      severity: escalation.kind === 'failure' ? 'critical' : 'error',
      timestamp: now.toISOString(),
      component: 'remediation',
      group: escalation.accountId,
      class: escalation.detectionId,
      custom_details: {
        action_id: escalation.actionId,
        reason: truncateText(escalation.reason, 2000),
        audit: `npm run undo -- ${escalation.actionId} --dry-run shows what was changed and how to revert it`,
      },
    },
    links: [],
  };
}

/** Inputs of {@link remediationMetrics} besides the decision. */
export interface MetricContext {
  /** Effective severity of the alert (or the catalog's). */
  readonly severity: string;
  /** When the alert was sent (ISO 8601). @default - TimeToRespondMs is not emitted */
  readonly alertSentAt?: string;
  /** When the metrics are observed. */
  readonly now: Date;
}

/**
 * One EMF object for a decision: `Remediations` (count, dimension Outcome), `Automated` (1 when fixed
 * without a human, else 0; dimensions DetectionId, Severity, so the dashboard divides it by AlertsSent)
 * and, for verified fixes, `TimeToRespondMs` = verified fixed − alert sent (MTTR). Undefined for
 * duplicates: the first delivery reported already.
 */
export function remediationMetrics(decision: Decision, ctx: MetricContext): Record<string, unknown> | undefined {
  if (decision.outcome === 'duplicate') return undefined;
  const sent = ctx.alertSentAt === undefined ? Number.NaN : Date.parse(ctx.alertSentAt);
  const verified = decision.verifiedAt === undefined ? Number.NaN : Date.parse(decision.verifiedAt);
  const mttr =
    decision.outcome === 'fixed' && Number.isFinite(sent) && Number.isFinite(verified)
      ? Math.max(0, verified - sent)
      : undefined;
  const perDetection = [{ Name: 'Automated', Unit: 'Count' }];
  if (mttr !== undefined) perDetection.push({ Name: 'TimeToRespondMs', Unit: 'Milliseconds' });
  return {
    _aws: {
      Timestamp: ctx.now.getTime(),
      CloudWatchMetrics: [
        // Per detection, and without dimensions: the org-wide MTTR percentiles of the dashboard need one
        // series holding every fix (percentiles of per-detection series cannot be combined).
        { Namespace: METRIC_NAMESPACE, Dimensions: [['DetectionId', 'Severity'], []], Metrics: perDetection },
        { Namespace: METRIC_NAMESPACE, Dimensions: [['Outcome']], Metrics: [{ Name: 'Remediations', Unit: 'Count' }] },
      ],
    },
    DetectionId: decision.detectionId,
    Severity: ctx.severity,
    Outcome: decision.outcome,
    Mode: decision.mode,
    ...(decision.actionId ? { ActionId: decision.actionId } : {}),
    Automated: decision.automated ? 1 : 0,
    Remediations: 1,
    ...(mttr !== undefined ? { TimeToRespondMs: mttr } : {}),
  };
}
