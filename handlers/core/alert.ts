/**
 * The alert a responder receives: which detection fired, the facts of the CloudTrail event, who owns
 * the resource, where to send it and what remediation did. Built by the triage handler after
 * enrichment; formatted for Slack, PagerDuty and email by the pure formatters next to this file.
 * Pure: no SDK, no environment, no clock.
 */
import type { EnvironmentClass } from '../../config/inventory';
import type { Detection, RemediationMode } from '../../rules/types';

/** The catalog fields an alert shows (id, title, severity, rationale, compliance refs). */
export type AlertDetection = Pick<Detection, 'id' | 'title' | 'severity' | 'rationale' | 'compliance'>;

/**
 * Where a secret lives: `secretsmanager:<name-or-arn>` (optionally `#<json-key>` to pick one key of a
 * JSON secret) or `ssm:/<parameter-name>` (a SecureString). Routing carries references, never values.
 */
export type SecretRef = `secretsmanager:${string}` | `ssm:${string}`;

/** The identity that made the call (CloudTrail `userIdentity`). */
export interface AlertActor {
  /** `userIdentity.type`: `Root`, `IAMUser`, `AssumedRole`, `FederatedUser`, `AWSService`, ... */
  readonly type: string;
  /** `userIdentity.arn`. @default - none (e.g. AWS service principals) */
  readonly arn?: string;
}

export interface AlertAccount {
  /** 12-digit account id. */
  readonly id: string;
  /** Account name from the inventory. @default - unknown (the id is shown) */
  readonly name?: string;
  /** Name of the account's OU. @default - unknown */
  readonly ouName?: string;
  /** Environment class from the inventory. @default - unknown */
  readonly environment?: EnvironmentClass;
}

/** Facts of the CloudTrail event that fired the detection. */
export interface AlertEvent {
  /** CloudTrail `eventID`: the key of the event in CloudTrail event history. */
  readonly eventId: string;
  readonly eventName: string;
  /** e.g. `cloudtrail.amazonaws.com`. */
  readonly eventSource: string;
  /** CloudTrail `eventTime` (ISO 8601), when the API call happened. */
  readonly eventTime: string;
  readonly awsRegion: string;
  readonly account: AlertAccount;
  readonly actor: AlertActor;
  /** @default - not recorded */
  readonly sourceIPAddress?: string;
  /** @default - not recorded */
  readonly userAgent?: string;
  /**
   * The request parameters that matter to this detection, flattened to strings by the triage
   * handler (e.g. `{ name: 'org-trail' }`). Never the whole `requestParameters` object.
   */
  readonly requestParameters: Readonly<Record<string, string>>;
  /** Ids or ARNs of the affected resources (trail ARN, security group id, bucket name...). */
  readonly resources: readonly string[];
}

/** The channel fields of an {@link AlertRouting} (without the email topic, which is not per route). */
export const CHANNEL_ROUTING_FIELDS = [
  'slackChannel',
  'slackWebhookRef',
  'slackBotTokenRef',
  'slackChannelId',
  'pagerdutyRoutingKeyRef',
] as const;

/** Where the alert goes. Each channel is used when its field is set. */
export interface AlertRouting {
  /** Slack channel name, shown in outcomes and logs (e.g. `#sec-payments`). @default - none */
  readonly slackChannel?: string;
  /**
   * Secret holding that channel's incoming-webhook URL. Required when `slackChannel` is set: an
   * incoming webhook is bound to one channel, so the channel name alone cannot be posted to.
   * @default - Slack is not used
   */
  readonly slackWebhookRef?: SecretRef;
  /**
   * Secret holding a Slack app's bot token (`xoxb-...`, scope `chat:write`, the bot invited to the
   * channel). With `slackChannelId`, alerts are posted through the Web API instead of the webhook, and
   * the remediation outcome edits the posted alert in place (`chat.update`).
   * @default - the incoming webhook is used
   */
  readonly slackBotTokenRef?: SecretRef;
  /** Id of the channel the bot posts to (e.g. `C0123ABCD`). Required with `slackBotTokenRef`. @default - none */
  readonly slackChannelId?: string;
  /** Secret holding the PagerDuty Events API v2 routing (integration) key. @default - PagerDuty is not used */
  readonly pagerdutyRoutingKeyRef?: SecretRef;
  /** SNS topic with the owner's email subscriptions. @default - email is not used */
  readonly emailTopicArn?: string;
}

/** Where remediation stands when the alert is sent (or re-sent). */
export type RemediationState = 'none' | 'pending-approval' | 'in-progress' | 'fixed' | 'failed' | 'dry-run' | 'skipped';

export interface AlertRemediation {
  readonly mode: RemediationMode;
  readonly state: RemediationState;
  /** What was done, will be done or why not, e.g. `StartLogging on org-trail verified`. @default - none */
  readonly detail?: string;
}

export interface AlertLinks {
  /** The affected resource in the AWS console. @default - none */
  readonly console?: string;
  /** The event in CloudTrail event history; see {@link cloudTrailEventUrl}. */
  readonly cloudTrailEvent: string;
  /** The detection's runbook. @default - none */
  readonly runbook?: string;
  /** Signed, single-use approval link when remediation waits for a human. @default - none */
  readonly approve?: string;
}

/** Everything a responder needs to act on one detection. */
export interface Alert {
  readonly detection: AlertDetection;
  readonly event: AlertEvent;
  /** Team that owns the resource (owner tag, then OU default, then the inventory's default owner). */
  readonly owner: string;
  readonly routing: AlertRouting;
  readonly remediation: AlertRemediation;
  readonly links: AlertLinks;
  /**
   * Slack shows the responders' verdict buttons (handlers/core/verdict.ts); set where the approve function
   * can verify Slack's clicks. Kept with the alert, so an outcome update re-renders the same message.
   * @default false
   */
  readonly verdictButtons?: boolean;
  /**
   * Set when the trail-log sweep (handlers/core/flows/sweep-flow.ts), not real time, raised the alert: the
   * real-time path missed the event, and every channel says so with {@link LATE_MARKER}.
   * @default - a real-time alert
   */
  readonly late?: AlertLateness;
}

/** Why and how late an alert is (see {@link Alert.late}). */
export interface AlertLateness {
  readonly caughtBy: 'sweep';
  /** Seconds from the CloudTrail eventTime to the sweep's alert. */
  readonly delaySeconds: number;
}

/** The marker every channel shows on an alert the sweep raised because real time missed it. */
export const LATE_MARKER = 'late — caught by sweep';

/** {@link LATE_MARKER} in ASCII, for channels that take nothing else (SNS email subjects). */
export const LATE_MARKER_ASCII = 'late - caught by sweep';

/** `late — caught by sweep, 2 h 5 min after the event`: the marker with the delay, for the message bodies. */
export function describeLateness(late: AlertLateness): string {
  const minutes = Math.max(0, Math.floor(late.delaySeconds / 60));
  const span = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  return `${LATE_MARKER}, ${span} after the event (the real-time path did not deliver it)`;
}

/**
 * Link to one event in CloudTrail event history. Event history is kept per account and region, so
 * the link opens in the region of the event and works when signed in to the member account; a new
 * event can take a few minutes to appear there.
 */
export function cloudTrailEventUrl(region: string, eventId: string): string {
  const r = encodeURIComponent(region);
  return `https://${r}.console.aws.amazon.com/cloudtrailv2/home?region=${r}#/events/${encodeURIComponent(eventId)}`;
}

/**
 * Link to one GuardDuty finding in the GuardDuty console (findings are kept per account and region, like
 * event history). Alerts on GuardDuty findings carry it in place of the CloudTrail event link.
 */
export function guardDutyFindingUrl(region: string, findingId: string): string {
  const r = encodeURIComponent(region);
  return `https://${r}.console.aws.amazon.com/guardduty/home?region=${r}#/findings?fId=${encodeURIComponent(findingId)}`;
}

/** Marker appended to every truncated value, so a reader knows text is missing. */
export const TRUNCATION_MARKER = '…';

/**
 * Shortens `text` to at most `max` UTF-16 code units (the unit Slack and PagerDuty count in
 * JavaScript clients), ending with {@link TRUNCATION_MARKER}. Never splits a surrogate pair, so an
 * emoji at the cut cannot turn into an invalid character that makes the whole payload rejected.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= TRUNCATION_MARKER.length) return TRUNCATION_MARKER.slice(0, Math.max(0, max));
  let end = max - TRUNCATION_MARKER.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // high surrogate: its low half would be cut off
  return text.slice(0, end) + TRUNCATION_MARKER;
}

/** `AWS service name` from an event source: `cloudtrail.amazonaws.com` → `cloudtrail`. */
export function serviceOf(eventSource: string): string {
  return eventSource.replace(/\.amazonaws\.com$/, '');
}

/**
 * A short label for the actor: the part of the ARN after the account (`assumed-role/Admin/alice`,
 * `user/bob`, `root`), or the identity type when there is no ARN.
 */
export function describeActor(actor: AlertActor): string {
  if (!actor.arn) return actor.type;
  const resource = actor.arn.split(':').slice(5).join(':');
  return resource || actor.arn;
}

/** `prod-payments (111111111111)`, or the bare id when the name is unknown. */
export function describeAccount(account: AlertAccount): string {
  return account.name ? `${account.name} (${account.id})` : account.id;
}

/** `auto: fixed - StartLogging verified`, for one-line summaries. */
export function describeRemediation(remediation: AlertRemediation): string {
  const base = `${remediation.mode}: ${remediation.state}`;
  return remediation.detail ? `${base} - ${remediation.detail}` : base;
}

/** Compliance references as `CIS 4.5`, `Security Hub CloudWatch.5`, ... in a fixed order. */
export function complianceLabels(detection: AlertDetection): string[] {
  const c = detection.compliance;
  return [
    ...(c.cis ?? []).map((x) => `CIS ${x}`),
    ...(c.securityHub ?? []).map((x) => `Security Hub ${x}`),
    ...(c.pciDss ?? []).map((x) => `PCI DSS ${x}`),
    ...(c.soc2 ?? []).map((x) => `SOC 2 ${x}`),
    ...(c.mitre ?? []).map((x) => `MITRE ATT&CK ${x}`),
  ];
}

/** Whole minutes between the API call and `now` (never negative), or undefined for a bad timestamp. */
export function minutesSinceEvent(alert: Alert, now: Date): number | undefined {
  const at = Date.parse(alert.event.eventTime);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.floor((now.getTime() - at) / 60_000));
}
