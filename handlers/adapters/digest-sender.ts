/**
 * Sends a digest on one channel, with the adapters real-time alerts use: Slack through the bot token
 * (chat.postMessage) or the incoming webhook, email through the SNS topic. Failures are the same
 * `DeliveryError`s (permanent or transient); a permanent refusal drops the cached secret, in case it
 * was rotated since.
 */
import type { AlertRouting, SecretRef } from '../core/alert';
import type { DigestChannel, DigestMessage, DigestSender } from '../core/flows/digest-ports';
import { DeliveryError } from '../errors';
import type { EmailPublisher } from './email';
import type { PostJsonOptions } from './http';
import { type SecretReader, withSecret as withSecretValue } from './secrets';
import { postSlackChatMessage, publishSlackMessage } from './slack';

export interface DigestSenderDeps {
  readonly secrets: Pick<SecretReader, 'read' | 'invalidate'>;
  readonly publishEmail: EmailPublisher;
  /** Timeout, retries and runtime of the Slack calls. @default - postJson's defaults */
  readonly http?: PostJsonOptions;
  /** Slack Web API host, for bot-token routes. @default - slack.ts SLACK_API_BASE_URL */
  readonly slackApiUrl?: string;
}

const refused = (channel: DigestChannel, message: string) =>
  new DeliveryError(message, { channel, permanent: true, attempts: 0 });

export function makeDigestSender(deps: DigestSenderDeps): DigestSender {
  const withSecret = (ref: SecretRef, send: (value: string) => Promise<unknown>) =>
    withSecretValue(deps.secrets, ref, send);

  return {
    async send(channel: DigestChannel, routing: AlertRouting, message: DigestMessage): Promise<void> {
      if (channel === 'email') {
        if (!routing.emailTopicArn) throw refused('email', 'email: the routing has no email topic');
        await deps.publishEmail(routing.emailTopicArn, message.email);
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
      if (!slackWebhookRef) {
        throw refused('slack', `slack: routing names channel '${slackChannel}' but no slackWebhookRef`);
      }
      await withSecret(slackWebhookRef, (url) => publishSlackMessage(url, message.slack, deps.http));
    },
  };
}
