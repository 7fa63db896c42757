/**
 * Sends a coverage message on one channel, with the adapters real-time alerts use (the transport layer
 * of adapters/notify.ts, whose `Alert`-shaped API is about one CloudTrail event and does not fit a
 * message about a map cell): Slack through the bot token (chat.postMessage) or the incoming webhook,
 * email through the SNS topic, PagerDuty through the Events API v2 (trigger or resolve with the
 * message's dedup key, so a repeated trigger updates the open incident rather than opening another).
 * Failures are the same `DeliveryError`s; a permanent refusal drops the cached secret.
 */
import type { AlertRouting, SecretRef } from '../core/alert';
import type { CoverageChannel, CoverageMessage, CoverageSender } from '../core/flows/coverage-ports';
import type { PagerDutyEvent } from '../core/format-pagerduty';
import { DeliveryError } from '../errors';
import type { EmailPublisher } from './email';
import type { PostJsonOptions } from './http';
import { publishPagerDutyEvent } from './pagerduty';
import { type SecretReader, withSecret as withSecretValue } from './secrets';
import { postSlackChatMessage, publishSlackMessage } from './slack';

export interface CoverageSenderDeps {
  readonly secrets: Pick<SecretReader, 'read' | 'invalidate'>;
  readonly publishEmail: EmailPublisher;
  readonly now: () => Date;
  /** Timeout, retries and runtime of the HTTP calls. @default - postJson's defaults */
  readonly http?: PostJsonOptions;
  /** @default - slack.ts SLACK_API_BASE_URL */
  readonly slackApiUrl?: string;
  /** @default - pagerduty.ts PAGERDUTY_EVENTS_URL */
  readonly pagerDutyUrl?: string;
}

const refused = (channel: CoverageChannel, message: string) =>
  new DeliveryError(message, { channel, permanent: true, attempts: 0 });

/** The PagerDuty event of a message, with the routing key. */
export function coveragePagerDutyEvent(message: CoverageMessage, routingKey: string, now: Date): PagerDutyEvent {
  const page = message.pagerduty!;
  if (page.action === 'resolve') return { routing_key: routingKey, event_action: 'resolve', dedup_key: page.dedupKey };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: page.dedupKey,
    client: 'vigil',
    payload: {
      summary: page.summary,
      source: 'vigil coverage',
      severity: page.severity,
      timestamp: now.toISOString(),
      component: 'detection-pipeline',
      group: 'coverage',
      class: message.kind,
      custom_details: page.details,
    },
    links: [],
  };
}

export function makeCoverageSender(deps: CoverageSenderDeps): CoverageSender {
  const withSecret = (ref: SecretRef, send: (value: string) => Promise<unknown>) =>
    withSecretValue(deps.secrets, ref, send);

  return {
    async send(channel: CoverageChannel, routing: AlertRouting, message: CoverageMessage): Promise<void> {
      if (channel === 'email') {
        if (!routing.emailTopicArn) throw refused('email', 'email: the routing has no email topic');
        await deps.publishEmail(routing.emailTopicArn, message.email);
        return;
      }
      if (channel === 'pagerduty') {
        const ref = routing.pagerdutyRoutingKeyRef;
        if (!ref || !message.pagerduty) throw refused('pagerduty', 'pagerduty: no routing key or nothing to page');
        await withSecret(ref, (key) =>
          publishPagerDutyEvent(coveragePagerDutyEvent(message, key, deps.now()), {
            ...deps.http,
            ...(deps.pagerDutyUrl ? { url: deps.pagerDutyUrl } : {}),
          }),
        );
        return;
      }
      const { slackBotTokenRef, slackChannelId, slackWebhookRef, slackChannel } = routing;
      if (slackBotTokenRef) {
        if (!slackChannelId) throw refused('slack', 'slack: routing has slackBotTokenRef but no slackChannelId');
        const options = { ...deps.http, ...(deps.slackApiUrl ? { baseUrl: deps.slackApiUrl } : {}) };
        await withSecret(slackBotTokenRef, (token) =>
          postSlackChatMessage(token, slackChannelId, message.slack, options),
        );
        return;
      }
      if (!slackWebhookRef)
        throw refused('slack', `slack: routing names channel '${slackChannel}' but no slackWebhookRef`);
      await withSecret(slackWebhookRef, (url) => publishSlackMessage(url, message.slack, deps.http));
    },
  };
}
