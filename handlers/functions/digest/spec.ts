/**
 * digest (scheduled once a day): sends each owner the change-monitor events of the previous UTC day.
 * Its environment, written by the security stack from `digestEnvironment`, read with
 * `readDigestSettings`. The routing is triage's (same variables, same owner routing file) without
 * PagerDuty: a digest never pages.
 */
import type { AlertRouting } from '../../core/alert';
import type { RoutingConfig } from '../../core/triage';
import { type Env, optional, SettingsReader } from '../settings';
import { readRouting, TRIAGE_ENV } from '../triage/spec';

export const DIGEST_ENV = {
  digestTable: 'DIGEST_TABLE',
  dayOffset: 'DIGEST_DAY_OFFSET',
  emailTopicArn: TRIAGE_ENV.emailTopicArn,
  ownerRoutingFile: TRIAGE_ENV.ownerRoutingFile,
  slackChannel: TRIAGE_ENV.slackChannel,
  slackWebhookRef: TRIAGE_ENV.slackWebhookRef,
  slackBotTokenRef: TRIAGE_ENV.slackBotTokenRef,
  slackChannelId: TRIAGE_ENV.slackChannelId,
} as const;

/** Settings read from the environment. */
export interface DigestSettings {
  readonly tableName: string;
  /** Default channels and per-owner routing; never PagerDuty. */
  readonly routing: RoutingConfig;
  /** Days before the run's day that it reports on. @default 1 (yesterday, UTC) */
  readonly dayOffset: number;
}

/** What the stack writes. */
export interface DigestEnvironmentInput {
  readonly tableName: string;
  /** Default Slack and email channels (a PagerDuty key here is not written). */
  readonly defaultRouting: AlertRouting;
  /** Owner routing file bundled next to index.js (the same content as triage's). */
  readonly ownerRoutingFile: string;
  /** @default 1 */
  readonly dayOffset?: number;
}

const E = DIGEST_ENV;

export function digestEnvironment(s: DigestEnvironmentInput): Record<string, string> {
  const d = s.defaultRouting;
  return {
    [E.digestTable]: s.tableName,
    ...optional(E.emailTopicArn, d.emailTopicArn),
    [E.ownerRoutingFile]: s.ownerRoutingFile,
    ...optional(E.dayOffset, s.dayOffset === undefined ? undefined : String(s.dayOffset)),
    ...optional(E.slackChannel, d.slackChannel),
    ...optional(E.slackWebhookRef, d.slackWebhookRef),
    ...(d.slackBotTokenRef
      ? { [E.slackBotTokenRef]: d.slackBotTokenRef, ...optional(E.slackChannelId, d.slackChannelId) }
      : {}),
  };
}

/**
 * Reads and checks the environment (and the owner routing file it names, relative to `dir`); every
 * problem at once.
 * @throws ConfigurationError
 */
export function readDigestSettings(env: Env, dir: string): DigestSettings {
  const r = new SettingsReader(env, 'digest');
  const tableName = r.required(E.digestTable, 'name of the digest table');
  const routing = readRouting(r, dir, { paging: false });
  return r.done<DigestSettings>({ tableName, routing, dayOffset: r.whole(E.dayOffset, 1, 0) });
}
