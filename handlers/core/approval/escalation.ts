/**
 * The page sent when an approval request times out with the `escalate` behaviour: nobody approved or
 * rejected a prod remediation in time, so a human must look now. Pure.
 */
import { cloudTrailEventUrl, truncateText } from '../alert';
import { PAGERDUTY_LIMITS, type PagerDutyTriggerEvent } from '../format-pagerduty';
import type { ApprovalRequest } from './request';

/**
 * A PagerDuty `trigger` for an expired request. The dedup key is the request's own, so a sweeper
 * that pages and then fails before recording the expiry pages the same incident again, not a new one.
 */
export function formatEscalationPage(request: ApprovalRequest, routingKey: string, now: Date): PagerDutyTriggerEvent {
  const title = request.detectionTitle ?? request.detectionId;
  const summary =
    `Remediation approval timed out after ${request.timeout.timeoutMinutes} min: ${title} in ` +
    `${request.accountId} ${request.region} - ${request.plan.summary}`;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: truncateText(`vigil/approval/${request.id}`, PAGERDUTY_LIMITS.dedupKey),
    client: 'vigil',
    payload: {
      summary: truncateText(summary, PAGERDUTY_LIMITS.summary),
      source: `${request.accountId}/${request.region}`,
      severity: 'error',
      timestamp: now.toISOString(),
      component: request.plan.action,
      group: request.accountId,
      class: request.detectionId,
      custom_details: {
        request_id: request.id,
        event_id: request.eventId,
        requested_at: request.requestedAt,
        expired_at: request.expiresAt,
        plan: truncateText(request.plan.summary, 1000),
        calls: request.plan.calls.length,
        next_step: 'Nothing was changed. Review the detection and remediate by hand, or re-run it in approve mode.',
      },
    },
    links: [{ href: cloudTrailEventUrl(request.region, request.eventId), text: 'CloudTrail event' }],
  };
}
