/**
 * Fans an alert out to the channels its routing names (Slack, PagerDuty, email), in parallel, and
 * reports an outcome per channel. Nothing is dropped silently: when any routed channel still fails
 * after its retries, `notify` throws a `NotificationError` so that the triage handler reports the
 * SQS message as a batch item failure; SQS redelivers it and, after `maxReceiveCount`, moves it to
 * the DLQ. `NotificationError.permanent` tells the caller whether a retry can help at all (log it
 * loudly when not), and `delivered` lists the channels that did accept the alert, which the caller
 * may pass back as `skip` on the next attempt to avoid duplicate Slack posts and emails.
 * (PagerDuty needs no such care: a repeated trigger with the same dedup key updates the open alert.)
 */
import type { Alert, SecretRef } from '../core/alert';
import { formatEmail } from '../core/format-email';
import { formatPagerDutyResolve, formatPagerDutyTrigger } from '../core/format-pagerduty';
import { formatSlackMessage } from '../core/format-slack';
import { DeliveryError, NotificationError, SecretReadError, SecretReferenceError } from '../errors';
import type { EmailPublisher } from './email';
import type { PostJsonOptions } from './http';
import { publishPagerDutyEvent } from './pagerduty';
import { type SecretReader, withSecret as withSecretValue } from './secrets';
import { postSlackChatMessage, publishSlackMessage, type SlackMessageRef, updateSlackChatMessage } from './slack';

export type ChannelName = 'slack' | 'pagerduty' | 'email';

/** Every channel, in the order outcomes are reported. */
export const CHANNELS: readonly ChannelName[] = ['slack', 'pagerduty', 'email'];

/** What happened on one channel. */
export type ChannelOutcome =
  | {
      readonly channel: ChannelName;
      readonly status: 'sent';
      /** Requests made, retries included. */
      readonly attempts: number;
      /** Where it went, for logs: Slack channel name, PagerDuty dedup key or topic ARN. Never a secret. */
      readonly target: string;
      /** The posted Slack message, when it went through the Web API (bot token). @default - none */
      readonly slack?: SlackMessageRef;
    }
  | { readonly channel: ChannelName; readonly status: 'skipped'; readonly reason: string }
  | { readonly channel: ChannelName; readonly status: 'failed'; readonly error: DeliveryError };

/** What the notifier needs; the entrypoint builds these once per container. */
export interface NotifierDeps {
  readonly secrets: Pick<SecretReader, 'read' | 'invalidate'>;
  readonly publishEmail: EmailPublisher;
  /** Clock for the "sent at" facts in the messages. */
  readonly now: () => Date;
  /** Timeout, retry policy and runtime for the Slack and PagerDuty calls. @default - postJson's defaults */
  readonly http?: PostJsonOptions;
  /** PagerDuty Events API endpoint. @default PAGERDUTY_EVENTS_URL */
  readonly pagerDutyUrl?: string;
  /** Slack Web API host, for bot-token routes. @default SLACK_API_BASE_URL */
  readonly slackApiUrl?: string;
}

/** Options of {@link Notifier.notify}. */
export interface NotifyOptions {
  /** Channels that accepted this alert in an earlier attempt (`NotificationError.delivered`). @default - none */
  readonly skip?: Iterable<ChannelName>;
}

export interface Notifier {
  /** Sends `alert` to every routed channel; throws `NotificationError` unless all of them accepted it. */
  notify(alert: Alert, options?: NotifyOptions): Promise<readonly ChannelOutcome[]>;
  /**
   * Resolves the PagerDuty alert opened for `alert` (same detection and resource), once its fix is
   * verified. Skipped when the routing has no PagerDuty; throws `NotificationError` when it fails.
   */
  resolve(alert: Alert): Promise<ChannelOutcome>;
  /**
   * Edits the Slack message `slack` (posted for `alert` through the Web API) to show `alert` as it is
   * now. Skipped when the routing has no bot token; throws `NotificationError` when it fails, with
   * `permanent` set when editing cannot work (message deleted, bot removed...).
   */
  update(alert: Alert, slack: SlackMessageRef): Promise<ChannelOutcome>;
}

/** Builds a {@link Notifier}. */
export function makeNotifier(deps: NotifierDeps): Notifier {
  const pagerDutyOptions = { ...deps.http, url: deps.pagerDutyUrl };
  const slackApiOptions = { ...deps.http, ...(deps.slackApiUrl ? { baseUrl: deps.slackApiUrl } : {}) };

  /** The secret's value, or a DeliveryError for the channel that needed it. */
  const secret = async (channel: ChannelName, ref: SecretRef): Promise<string> => {
    try {
      return await deps.secrets.read(ref);
    } catch (err) {
      const permanent = err instanceof SecretReferenceError || (err instanceof SecretReadError && err.permanent);
      const reason = err instanceof Error ? err.message : String(err);
      throw new DeliveryError(
        `${channel}: cannot read its secret: ${reason}`,
        { channel, permanent, attempts: 0 },
        { cause: err },
      );
    }
  };

  /** Runs `send`; a permanent refusal drops the cached secret, in case it was rotated since. */
  const withSecret = <T>(channel: ChannelName, ref: SecretRef, send: (value: string) => Promise<T>): Promise<T> =>
    withSecretValue(deps.secrets, ref, send, (r) => secret(channel, r));

  const senders: Record<ChannelName, (alert: Alert, now: Date) => Promise<Sent>> = {
    async slack(alert, now) {
      const { slackChannel, slackWebhookRef, slackBotTokenRef, slackChannelId } = alert.routing;
      if (slackBotTokenRef) {
        // The Web API, not the webhook: only its answer names the message (ts), so that the outcome
        // can edit it later (https://api.slack.com/methods/chat.postMessage).
        if (!slackChannelId) {
          throw new DeliveryError('slack: routing has slackBotTokenRef but no slackChannelId to post to', {
            channel: 'slack',
            permanent: true,
            attempts: 0,
          });
        }
        const message = formatSlackMessage(alert, { now });
        const receipt = await withSecret('slack', slackBotTokenRef, (token) =>
          postSlackChatMessage(token, slackChannelId, message, slackApiOptions),
        );
        return {
          attempts: receipt.attempts,
          target: slackChannel ?? slackChannelId,
          slack: { channel: receipt.channel, ts: receipt.ts },
        };
      }
      if (!slackWebhookRef) {
        throw new DeliveryError(
          `slack: routing names channel '${slackChannel}' but no slackWebhookRef; an incoming webhook is bound to one channel`,
          { channel: 'slack', permanent: true, attempts: 0 },
        );
      }
      const message = formatSlackMessage(alert, { now });
      const receipt = await withSecret('slack', slackWebhookRef, (url) => publishSlackMessage(url, message, deps.http));
      return { attempts: receipt.attempts, target: slackChannel ?? 'slack webhook' };
    },
    async pagerduty(alert, now) {
      const ref = alert.routing.pagerdutyRoutingKeyRef!;
      const receipt = await withSecret('pagerduty', ref, (key) =>
        publishPagerDutyEvent(formatPagerDutyTrigger(alert, key, { now }), pagerDutyOptions),
      );
      return { attempts: receipt.attempts, target: receipt.dedupKey ?? 'pagerduty' };
    },
    async email(alert, now) {
      const topicArn = alert.routing.emailTopicArn!;
      const receipt = await deps.publishEmail(topicArn, formatEmail(alert, { now }));
      return { attempts: receipt.attempts, target: topicArn };
    },
  };

  const run = async (channel: ChannelName, send: () => Promise<Sent>): Promise<ChannelOutcome> => {
    try {
      const { attempts, target, slack } = await send();
      return { channel, status: 'sent', attempts, target, ...(slack ? { slack } : {}) };
    } catch (err) {
      return { channel, status: 'failed', error: asDeliveryError(channel, err) } as const;
    }
  };

  return {
    async notify(alert, options = {}) {
      const routed = routedChannels(alert);
      if (routed.size === 0) {
        throw new NotificationError(
          `alert ${alert.detection.id} for event ${alert.event.eventId} has no notification channel in its routing ` +
            `(owner '${alert.owner}'); it would reach nobody`,
          { failures: [], delivered: [], permanent: true },
        );
      }
      const skip = new Set(options.skip ?? []);
      const now = deps.now();
      const outcomes: ChannelOutcome[] = await Promise.all(
        CHANNELS.map(async (channel): Promise<ChannelOutcome> => {
          if (!routed.has(channel)) return { channel, status: 'skipped', reason: 'not in the routing' };
          if (skip.has(channel)) return { channel, status: 'skipped', reason: 'delivered by an earlier attempt' };
          return run(channel, () => senders[channel](alert, now));
        }),
      );
      throwOnFailure(alert, outcomes);
      return outcomes;
    },

    async resolve(alert) {
      const ref = alert.routing.pagerdutyRoutingKeyRef;
      if (!ref) return { channel: 'pagerduty', status: 'skipped', reason: 'not in the routing' };
      const outcome = await run('pagerduty', async () => {
        const receipt = await withSecret('pagerduty', ref, (key) =>
          publishPagerDutyEvent(formatPagerDutyResolve(alert, key), pagerDutyOptions),
        );
        return { attempts: receipt.attempts, target: receipt.dedupKey ?? 'pagerduty' };
      });
      throwOnFailure(alert, [outcome]);
      return outcome;
    },

    async update(alert, slack) {
      const ref = alert.routing.slackBotTokenRef;
      if (!ref) return { channel: 'slack', status: 'skipped', reason: 'no Slack bot token in the routing' };
      const message = formatSlackMessage(alert, { now: deps.now() });
      const outcome = await run('slack', async () => {
        const receipt = await withSecret('slack', ref, (token) =>
          updateSlackChatMessage(token, slack.channel, slack.ts, message, slackApiOptions),
        );
        return {
          attempts: receipt.attempts,
          target: alert.routing.slackChannel ?? receipt.channel,
          slack: { channel: receipt.channel, ts: receipt.ts },
        };
      });
      throwOnFailure(alert, [outcome]);
      return outcome;
    },
  };
}

/** What a sender reports for a message accepted. */
interface Sent {
  readonly attempts: number;
  readonly target: string;
  readonly slack?: SlackMessageRef;
}

/** The channels the routing asks for. A Slack channel name without a webhook still counts: it must fail loudly. */
function routedChannels(alert: Alert): Set<ChannelName> {
  const r = alert.routing;
  const routed = new Set<ChannelName>();
  if (r.slackWebhookRef || r.slackChannel || r.slackBotTokenRef || r.slackChannelId) routed.add('slack');
  if (r.pagerdutyRoutingKeyRef) routed.add('pagerduty');
  if (r.emailTopicArn) routed.add('email');
  return routed;
}

function asDeliveryError(channel: ChannelName, err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  // Not a classified delivery failure (a bug, most likely): let SQS retry; the DLQ keeps the alert.
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new DeliveryError(
    `${channel}: unexpected error: ${reason}`,
    { channel, permanent: false, attempts: 0 },
    { cause: err },
  );
}

function throwOnFailure(alert: Alert, outcomes: readonly ChannelOutcome[]): void {
  const failures = outcomes.flatMap((o) => (o.status === 'failed' ? [o.error] : []));
  if (failures.length === 0) return;
  const delivered = outcomes.flatMap((o) => (o.status === 'sent' ? [o.channel] : []));
  const permanent = failures.every((f) => f.permanent);
  throw new NotificationError(
    `alert ${alert.detection.id} for event ${alert.event.eventId} was not delivered to ` +
      `${failures.map((f) => f.channel).join(', ')} (${permanent ? 'permanent' : 'transient'}): ` +
      failures.map((f) => f.message).join('; '),
    { failures, delivered, permanent },
  );
}
