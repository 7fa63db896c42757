/** Reporting remediation outcomes to the alert's channels (Slack edit in place or follow-up, PagerDuty). */
import { type Alert, type AlertRouting, CHANNEL_ROUTING_FIELDS, type SecretRef } from '../../core/alert';
import type { OutcomeReporter } from '../../core/flows/remediate-flow';
import type { LogLevel } from '../../core/lambda-io';
import type { OrchestratorPorts } from '../../core/remediation/orchestrate';
import { alertRemediationFor, formatRemediationPage } from '../../core/remediation/report';
import { ConfigurationError, NotificationError } from '../../errors';
import type { Notifier } from '../notify';
import { publishPagerDutyEvent } from '../pagerduty';
import type { SecretReader } from '../secrets';

/**
 * Reports outcomes through the notifications layer. With a Slack bot token, the alert triage posted
 * through the Web API is edited in place (`chat.update`, https://api.slack.com/methods/chat.update) to
 * show its new remediation status; incoming webhooks cannot edit a posted message, so without one
 * (or when the edit is refused for good: message deleted, bot removed) the new status is posted as a
 * follow-up: to Slack only, except for failures, which go to every routed channel (PagerDuty's
 * trigger with the alert's dedup key updates the open incident). A verified fix, or a resource found
 * already compliant, resolves the PagerDuty incident.
 */
export function makeOutcomeReporter(
  notifier: Pick<Notifier, 'notify' | 'resolve'> & Partial<Pick<Notifier, 'update'>>,
  log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void = () => undefined,
  destinations?: AlertDestinations,
): OutcomeReporter {
  return async (decision) => {
    const received = decision.alertRef?.alert;
    if (!received) {
      log('debug', 'no alert to update', { actionId: decision.actionId });
      return;
    }
    let alert = received;
    if (destinations) {
      // The alert crossed a queue: it may only name destinations of the alerting config.
      const checked = configuredRouting(received.routing, destinations);
      if (checked.dropped.length > 0) {
        log('warn', 'alert routing names destinations outside config/alerting.json; they are not used', {
          actionId: decision.actionId,
          dropped: checked.dropped,
        });
      }
      alert = { ...received, routing: checked.routing };
    }
    const updated: Alert = { ...alert, remediation: alertRemediationFor(decision) };
    const { slackChannel, slackWebhookRef, slackBotTokenRef, slackChannelId } = alert.routing;
    const slackOnly: Alert = {
      ...updated,
      routing: {
        ...(slackChannel ? { slackChannel } : {}),
        ...(slackWebhookRef ? { slackWebhookRef } : {}),
        ...(slackBotTokenRef ? { slackBotTokenRef } : {}),
        ...(slackChannelId ? { slackChannelId } : {}),
      },
    };
    if (decision.outcome === 'failed') {
      await notifier.notify(updated);
      return;
    }
    // Only a message in the alert's own bot channel: the reference crossed a queue too.
    const message = slackMessageRefOf(decision.alertRef?.slack, slackChannelId);
    let edited = false;
    if (message && slackBotTokenRef && notifier.update) {
      try {
        await notifier.update(updated, message);
        edited = true;
      } catch (err) {
        // A transient failure already had its retries: the caller logs it. A permanent one (message
        // deleted, bot removed from the channel) cannot heal, so the outcome goes out as a new message.
        if (!(err instanceof NotificationError && err.permanent)) throw err;
        log('warn', 'alert message not updated in place; posting the outcome as a follow-up', {
          actionId: decision.actionId,
          error: err.message,
        });
      }
    }
    if (!edited && (slackWebhookRef || slackBotTokenRef)) await notifier.notify(slackOnly);
    if (decision.outcome === 'fixed' || decision.outcome === 'already-compliant') await notifier.resolve(alert);
  };
}

/**
 * Where alerts may go: every channel of config/alerting.json (the default and each owner's) and the
 * alert topic. The security stack bundles it as `alert-routing.json`.
 */
export interface AlertDestinations {
  readonly routes: readonly AlertRouting[];
  readonly emailTopicArn: string;
}

const ROUTING_FIELDS = CHANNEL_ROUTING_FIELDS;

/**
 * The routing of an alert from the remediation request, field by field kept only when the alerting
 * config has that value for that field (triage merges an owner's routing over the default, so any mix
 * of configured values is legitimate); the email topic only when it is the alert topic. Whatever else
 * the request names (another secret remediate can read, another Slack channel) is dropped and listed.
 */
export function configuredRouting(
  routing: unknown,
  destinations: AlertDestinations,
): { readonly routing: AlertRouting; readonly dropped: string[] } {
  const given = (typeof routing === 'object' && routing !== null ? routing : {}) as Record<string, unknown>;
  const kept: Record<string, string> = {};
  const dropped: string[] = [];
  for (const field of ROUTING_FIELDS) {
    const value = given[field];
    if (value === undefined) continue;
    if (typeof value === 'string' && destinations.routes.some((r) => r[field] === value)) kept[field] = value;
    else dropped.push(field);
  }
  const topic = given['emailTopicArn'];
  if (topic !== undefined) {
    if (topic === destinations.emailTopicArn) kept['emailTopicArn'] = topic;
    else dropped.push('emailTopicArn');
  }
  return { routing: kept as AlertRouting, dropped };
}

/**
 * Checks a parsed `alert-routing.json`.
 * @throws ConfigurationError naming the file and the problem
 */
export function parseAlertDestinations(raw: unknown, source: string): AlertDestinations {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const routes = o['routes'];
  const valid =
    Array.isArray(routes) &&
    routes.every(
      (r) =>
        typeof r === 'object' &&
        r !== null &&
        Object.values(r as Record<string, unknown>).every((v) => typeof v === 'string'),
    ) &&
    typeof o['emailTopicArn'] === 'string';
  if (!valid) {
    throw new ConfigurationError(
      `${source}: expected {"routes": [{"slackWebhookRef": "...", ...}], "emailTopicArn": "arn:aws:sns:..."} ` +
        '(the security stack writes it from config/alerting.json)',
    );
  }
  return { routes: routes as AlertRouting[], emailTopicArn: o['emailTopicArn'] as string };
}

/**
 * `{channel, ts}` from the remediation request, which crossed a queue: checked, not trusted. Only a
 * message in `channelId` (the alert's bot channel) is edited, never one elsewhere the bot can reach.
 */
function slackMessageRefOf(value: unknown, channelId: string | undefined): { channel: string; ts: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { channel, ts } = value as Record<string, unknown>;
  return typeof channel === 'string' && channel !== '' && channel === channelId && typeof ts === 'string' && ts !== ''
    ? { channel, ts }
    : undefined;
}

/**
 * The orchestrator's escalation port: pages PagerDuty through the escalation routing key, or logs an
 * `ESCALATION` error line when no key is configured (the log metric filter's alarm still fires).
 */
export function makeEscalator(o: {
  readonly routingKeyRef?: SecretRef;
  readonly secrets: Pick<SecretReader, 'read'>;
  readonly now: () => Date;
  readonly log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
}): OrchestratorPorts['escalate'] {
  return async (escalation) => {
    if (!o.routingKeyRef) {
      o.log('error', 'ESCALATION (no ESCALATION_PAGERDUTY_ROUTING_KEY_REF set)', { ...escalation });
      return;
    }
    const key = await o.secrets.read(o.routingKeyRef);
    await publishPagerDutyEvent(formatRemediationPage(escalation, key, o.now()));
  };
}
