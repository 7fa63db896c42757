/**
 * The routing and the Alert of a triage decision, as pure functions: where an alert goes (the owner's
 * routing over the default, PagerDuty from a severity floor), the event's facts an alert shows (every
 * attacker-controlled value bounded), and the Alert itself once the owner is known.
 */
import { boundedJson, MAX_EVENT_DEPTH } from '../../rules/bounded';
import type { CloudTrailEventBridgeEvent } from '../../rules/predicates';
import { SEVERITIES, type Severity } from '../../rules/types';
import {
  type Alert,
  type AlertEvent,
  type AlertRouting,
  cloudTrailEventUrl,
  guardDutyFindingUrl,
  truncateText,
} from './alert';
import type { HandlerAccount } from './inventory-view';
import { isRecord } from './lambda-io';
import type { OwnerResolution } from './owner';
import type { AffectedResource, AlertDecision } from './triage-decision';

// ---------------------------------------------------------------------------------------------
// Routing

/** Where alerts go: a default, optional overrides per owner, and a severity floor for paging. */
export interface RoutingConfig {
  readonly default: AlertRouting;
  /**
   * Per owning team; fields given here replace the default's (field by field), so a team can have
   * its own Slack channel and keep the default PagerDuty service. @default - every owner gets the default
   */
  readonly byOwner?: Readonly<Record<string, AlertRouting>>;
  /** Lowest severity that pages. @default 'high' */
  readonly pagerDutyMinSeverity?: Severity;
  /**
   * Slack alerts carry the responders' verdict buttons (handlers/core/verdict.ts). Only where the approve
   * function verifies Slack clicks (the approvals' signing secret is set). @default false
   */
  readonly verdictButtons?: boolean;
}

/**
 * The routing of an alert: the owner's routing merged over the default; PagerDuty only from
 * `pagerDutyMinSeverity` up, unless it is the only channel (an alert must reach someone).
 */
export function routeAlert(owner: string, severity: Severity, config: RoutingConfig): AlertRouting {
  const own = config.byOwner && Object.hasOwn(config.byOwner, owner) ? config.byOwner[owner] : undefined;
  let merged: AlertRouting = { ...config.default, ...definedOnly(own ?? {}) };
  if (own?.slackWebhookRef && !own.slackBotTokenRef) {
    // The owner's own webhook names its channel: the default's bot token and channel id would post
    // the alert to the default channel instead (a bot route is preferred over a webhook).
    const { slackBotTokenRef: _token, slackChannelId: _id, ...rest } = merged;
    merged = rest;
  }
  const floor = SEVERITIES.indexOf(config.pagerDutyMinSeverity ?? 'high');
  const others = merged.slackWebhookRef || merged.slackChannel || merged.emailTopicArn;
  if (merged.pagerdutyRoutingKeyRef && others && SEVERITIES.indexOf(severity) < floor) {
    const { pagerdutyRoutingKeyRef: _paging, ...rest } = merged;
    return rest;
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------
// The alert

/** What the burst counter said when this event raised the burst's alert. */
export interface BurstFacts {
  /** Matching events counted in the window when the alert was raised (the threshold). */
  readonly count: number;
}

/**
 * The alert for a decision, once the owner is known. The caveat of a fallback owner is shown next
 * to the owner, a raised severity is explained after the rationale, and a burst alert's title says
 * how many events it stands for.
 */
export function buildAlert(
  decision: AlertDecision,
  owner: OwnerResolution,
  routing: AlertRouting,
  burst?: BurstFacts,
  options: { readonly verdictButtons?: boolean } = {},
): Alert {
  const { detection } = decision;
  const raised = decision.severity !== detection.severity;
  const plan = decision.burst;
  let title = detection.title;
  if (plan && burst) {
    const window = describeSeconds(plan.windowSeconds);
    title =
      plan.threshold > 1
        ? `${detection.title}: ${burst.count} events within ${window}`
        : `${detection.title} (repeats within ${window} are folded into this alert)`;
  }
  return {
    detection: {
      id: detection.id,
      title,
      severity: decision.severity,
      rationale: [
        detection.rationale,
        ...(raised ? [`Severity raised from ${detection.severity}: the account is production.`] : []),
        ...(decision.notes ?? []),
      ].join(' '),
      compliance: detection.compliance,
    },
    event: decision.event,
    owner: owner.caveat ? `${owner.owner} (${owner.caveat})` : owner.owner,
    routing,
    remediation: decision.unreadable
      ? { mode: 'notify', state: 'none', detail: `not requested: ${decision.unreadable}` }
      : detection.remediation
        ? {
            mode: detection.remediation.defaultMode,
            state: 'in-progress',
            detail: `${detection.remediation.action} requested; the mode for this account (catalog default ${detection.remediation.defaultMode}) is decided by the remediation function, which reports back here`,
          }
        : { mode: 'notify', state: 'none' },
    links: { cloudTrailEvent: eventUrl(decision.event) },
    ...(options.verdictButtons ? { verdictButtons: true } : {}),
  };
}

/**
 * Where a responder sees the event: the CloudTrail event, or for a GuardDuty finding (which is not in event
 * history; handlers/core/guardduty-finding.ts) the finding in the GuardDuty console.
 */
function eventUrl(event: AlertEvent): string {
  const findingId = event.requestParameters['findingId'];
  return event.eventSource === 'guardduty.amazonaws.com' && findingId !== undefined
    ? guardDutyFindingUrl(event.awsRegion, findingId)
    : cloudTrailEventUrl(event.awsRegion, event.eventId);
}

/** Bounds for event values copied into an alert; the formatters cut further for each channel. */
export const ALERT_LIMITS = { value: 1000, arn: 512, userAgent: 512, ip: 64, parameters: 20 } as const;

/** The event's facts for the alert, every attacker-controlled value bounded (events reach 256 KB). */
export function alertFacts(
  event: CloudTrailEventBridgeEvent,
  account: HandlerAccount,
  resources: readonly AffectedResource[],
): AlertEvent {
  const d = event.detail;
  const who = isRecord(d.userIdentity) ? d.userIdentity : {};
  const ip = d['sourceIPAddress'];
  const agent = d['userAgent'];
  return {
    eventId: d.eventID as string,
    eventName: d.eventName,
    eventSource: d.eventSource,
    eventTime: d.eventTime as string,
    awsRegion: clip(String(d.awsRegion ?? event.region), 32),
    account: {
      id: event.account,
      name: account.name,
      ouName: account.ouPath === '' ? 'Root' : account.ouPath,
      environment: account.environment,
    },
    actor: {
      type: typeof who['type'] === 'string' ? clip(who['type'], 64) : 'Unknown',
      ...optional('arn', typeof who['arn'] === 'string' ? clip(who['arn'], ALERT_LIMITS.arn) : undefined),
    },
    ...optional('sourceIPAddress', typeof ip === 'string' ? clip(ip, ALERT_LIMITS.ip) : undefined),
    ...optional('userAgent', typeof agent === 'string' ? clip(agent, ALERT_LIMITS.userAgent) : undefined),
    requestParameters: flattenParameters(d.requestParameters),
    resources: resources.map((r) => clip(r.id, ALERT_LIMITS.arn)),
  };
}

/**
 * Request parameters as strings: scalars as they are, objects as JSON, each cut to
 * `ALERT_LIMITS.value`; at most `ALERT_LIMITS.parameters` of them, with a note of how many were left out.
 * Serialisation is bounded ({@link boundedJson}): parameters nested thousands of levels deep are
 * shown down to {@link MAX_EVENT_DEPTH} levels instead of throwing `RangeError`.
 */
export function flattenParameters(params: unknown): Record<string, string> {
  if (!isRecord(params)) return {};
  const out: Record<string, string> = {};
  const keys = Object.keys(params);
  for (const key of keys.slice(0, ALERT_LIMITS.parameters)) {
    const v = params[key];
    const text = typeof v === 'string' ? v : (boundedJson(v, { maxChars: ALERT_LIMITS.value }) ?? String(v));
    out[clip(key, 128)] = clip(text, ALERT_LIMITS.value);
  }
  if (keys.length > ALERT_LIMITS.parameters) {
    out['…'] = `${keys.length - ALERT_LIMITS.parameters} more parameters not shown`;
  }
  return out;
}

/** `15 min`, `1 h`, `90 s`: window lengths for titles. */
export function describeSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

const clip = (text: string, max: number): string => truncateText(text, max);

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}
