/**
 * Formats an alert as PagerDuty Events API v2 events: a `trigger` when the detection fires and a
 * `resolve` once the fix is verified. Pure. Field rules come from PagerDuty's "Send an Alert Event"
 * page (developer-docs, events-API-v2/02-Trigger-Events.md) and the Events API v2 OpenAPI schema.
 */
import { createHash } from 'node:crypto';
import type { Severity } from '../../rules/types';
import {
  type Alert,
  complianceLabels,
  describeAccount,
  describeActor,
  describeLateness,
  LATE_MARKER,
  describeRemediation,
  serviceOf,
  truncateText,
} from './alert';

/** PagerDuty's four severities (PD-CEF). */
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyLink {
  readonly href: string;
  readonly text: string;
}

/** A `trigger` event for `POST /v2/enqueue`. */
export interface PagerDutyTriggerEvent {
  readonly routing_key: string;
  readonly event_action: 'trigger';
  readonly dedup_key: string;
  readonly client: string;
  readonly payload: {
    readonly summary: string;
    readonly source: string;
    readonly severity: PagerDutySeverity;
    readonly timestamp: string;
    readonly component: string;
    readonly group: string;
    readonly class: string;
    readonly custom_details: Readonly<Record<string, unknown>>;
  };
  readonly links: readonly PagerDutyLink[];
}

/** A `resolve` event: only the routing key and the dedup key of the alert to close. */
export interface PagerDutyResolveEvent {
  readonly routing_key: string;
  readonly event_action: 'resolve';
  readonly dedup_key: string;
}

export type PagerDutyEvent = PagerDutyTriggerEvent | PagerDutyResolveEvent;

/** Documented maxima: `payload.summary` 1,024 characters, `dedup_key` 255 characters. */
export const PAGERDUTY_LIMITS = { summary: 1024, dedupKey: 255 } as const;

/**
 * Our own caps (PagerDuty documents none for these fields, only 512 KB per event): keep `source`
 * readable in PagerDuty's UI and `custom_details` far from the size limit whatever the event carries.
 */
const CAPS = { source: 255, detail: 2000, listedResources: 50 } as const;

const SEVERITY: Readonly<Record<Severity, PagerDutySeverity>> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

/** Maps a catalog severity to PagerDuty's: critical→critical, high→error, medium→warning, low/info→info. */
export function pagerDutySeverity(severity: Severity): PagerDutySeverity {
  return SEVERITY[severity];
}

/**
 * The key that groups events about one problem into one PagerDuty alert:
 * `vigil/<detection>/<account>/<region>/<resources>` with the resources sorted and de-duplicated.
 *
 * Why this choice: PagerDuty applies a `trigger` with the key of an open alert to that alert, so a
 * repeat of the same detection on the same resource (a flapping trail, the same SQS message
 * redelivered) does not page twice, while a different resource, account or region opens its own
 * alert. The event id is deliberately not part of the key, or every retry would page again. An event
 * without resource ids is keyed by detection + account + region. When the key would exceed 255
 * characters the resource part is replaced by a SHA-256 prefix, which is equally stable.
 */
export function pagerDutyDedupKey(alert: Alert): string {
  const { event, detection } = alert;
  const head = `vigil/${detection.id}/${event.account.id}/${event.awsRegion}`;
  const resources = [...new Set(event.resources)].sort();
  if (resources.length === 0) return truncateText(head, PAGERDUTY_LIMITS.dedupKey);
  const key = `${head}/${resources.join(',')}`;
  if (key.length <= PAGERDUTY_LIMITS.dedupKey) return key;
  const digest = createHash('sha256').update(resources.join('\n')).digest('hex').slice(0, 32);
  return truncateText(`${head}/sha256:${digest}`, PAGERDUTY_LIMITS.dedupKey);
}

/** Options of {@link formatPagerDutyTrigger}. */
export interface PagerDutyFormatOptions {
  /** When the alert is sent (recorded in `custom_details.alert_sent_at`). */
  readonly now: Date;
}

/** Builds the `trigger` event for `alert`, to be sent with `routingKey`. */
export function formatPagerDutyTrigger(
  alert: Alert,
  routingKey: string,
  options: PagerDutyFormatOptions,
): PagerDutyTriggerEvent {
  const { detection, event } = alert;
  const actor = describeActor(event.actor);
  const summary =
    `[${detection.severity.toUpperCase()}] ${alert.late ? `[${LATE_MARKER}] ` : ''}${detection.title}: ${event.eventName} by ${actor} ` +
    `in ${describeAccount(event.account)} ${event.awsRegion}`;

  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: pagerDutyDedupKey(alert),
    client: 'vigil',
    payload: {
      summary: truncateText(summary, PAGERDUTY_LIMITS.summary),
      source: truncateText(sourceOf(alert), CAPS.source),
      severity: pagerDutySeverity(detection.severity),
      // When the API call happened (PD: "the time at which the emitting tool detected or generated
      // the event"); the send time is in custom_details, so MTTD is visible in PagerDuty too.
      timestamp: event.eventTime,
      component: serviceOf(event.eventSource),
      group: event.account.name ?? event.account.id,
      class: detection.id,
      custom_details: customDetails(alert, options.now),
    },
    links: links(alert),
  };
}

/**
 * Builds the `resolve` event that closes the alert opened by {@link formatPagerDutyTrigger} for the
 * same detection and resource. It must use the same routing key: PagerDuty drops a resolve sent
 * through a different routing key than the trigger's.
 */
export function formatPagerDutyResolve(alert: Alert, routingKey: string): PagerDutyResolveEvent {
  return { routing_key: routingKey, event_action: 'resolve', dedup_key: pagerDutyDedupKey(alert) };
}

/**
 * PD-CEF asks for "the unique location of the affected system" and shows an ARN-like example
 * (`aws:elasticache:us-east-1:852511987:cluster/...`): the first resource's ARN when it is one, else
 * the same shape built from the event, else account and region.
 */
function sourceOf(alert: Alert): string {
  const { event } = alert;
  const first = event.resources[0];
  if (first?.startsWith('arn:')) return first;
  const location = `aws:${serviceOf(event.eventSource)}:${event.awsRegion}:${event.account.id}`;
  return first ? `${location}:${first}` : location;
}

function customDetails(alert: Alert, now: Date): Record<string, unknown> {
  const { detection, event, remediation } = alert;
  const cap = (value: string) => truncateText(value, CAPS.detail);
  const capRecord = (record: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [cap(k), cap(v)]));
  const resources = event.resources.slice(0, CAPS.listedResources).map(cap);
  if (event.resources.length > resources.length)
    resources.push(`… and ${event.resources.length - resources.length} more`);

  return {
    ...(alert.late ? { late: describeLateness(alert.late) } : {}),
    detection_id: detection.id,
    why_it_matters: cap(detection.rationale),
    compliance: complianceLabels(detection),
    owner: cap(alert.owner),
    event_id: event.eventId,
    event_name: event.eventName,
    event_source: event.eventSource,
    event_time: event.eventTime,
    alert_sent_at: now.toISOString(),
    region: event.awsRegion,
    account: describeAccount(event.account),
    ou: event.account.ouName ?? 'unknown',
    environment: event.account.environment ?? 'unknown',
    actor_arn: cap(event.actor.arn ?? 'none'),
    actor_type: event.actor.type,
    source_ip: cap(event.sourceIPAddress ?? 'not recorded'),
    user_agent: cap(event.userAgent ?? 'not recorded'),
    request_parameters: capRecord(event.requestParameters),
    resources,
    remediation: cap(describeRemediation(remediation)),
  };
}

function links(alert: Alert): PagerDutyLink[] {
  const { console: consoleUrl, cloudTrailEvent, runbook, approve } = alert.links;
  const all: Array<[string | undefined, string]> = [
    [consoleUrl, 'Open in AWS console'],
    [cloudTrailEvent, 'CloudTrail event history'],
    [runbook, 'Runbook'],
    [approve, 'Approve remediation'],
  ];
  return all.flatMap(([href, text]) => (href ? [{ href, text }] : []));
}
