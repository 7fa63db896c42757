/**
 * triage (the detection queue): validates, confirms, enriches, dedupes and alerts, and hands remediation
 * work on. Its environment, written by the security stack from `triageEnvironment`, read with
 * `readTriageSettings`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SEVERITIES, type Severity } from '../../../rules/types';
import { type AlertRouting, CHANNEL_ROUTING_FIELDS } from '../../core/alert';
import { parseSecretRef } from '../../core/secret-ref';
import { DEFAULT_REPEAT_WINDOW_SECONDS, type RoutingConfig } from '../../core/triage';
import { type Env, optional, SettingsReader } from '../settings';

export const TRIAGE_ENV = {
  dedupeTable: 'DEDUPE_TABLE',
  emailTopicArn: 'EMAIL_TOPIC_ARN',
  ownerRoutingFile: 'OWNER_ROUTING_FILE',
  remediationQueueUrl: 'REMEDIATION_QUEUE_URL',
  pagerdutyMinSeverity: 'PAGERDUTY_MIN_SEVERITY',
  repeatWindowSeconds: 'REPEAT_WINDOW_SECONDS',
  slackChannel: 'SLACK_CHANNEL',
  slackWebhookRef: 'SLACK_WEBHOOK_REF',
  slackBotTokenRef: 'SLACK_BOT_TOKEN_REF',
  slackChannelId: 'SLACK_CHANNEL_ID',
  pagerdutyRoutingKeyRef: 'PAGERDUTY_ROUTING_KEY_REF',
  ownerRouting: 'OWNER_ROUTING',
  inventoryTable: 'INVENTORY_TABLE',
  eventDedupeSeconds: 'EVENT_DEDUPE_SECONDS',
  leaseSeconds: 'DEDUPE_LEASE_SECONDS',
  digestTable: 'DIGEST_TABLE',
  coverageTable: 'COVERAGE_TABLE',
  verdictButtons: 'VERDICT_BUTTONS',
} as const;

/** Settings read from the environment. */
export interface TriageSettings {
  readonly tableName: string;
  /** The inventory table (config/naming.ts `tableNames(inv).inventory`): the account view, read at run time. */
  readonly inventoryTable: string;
  readonly routing: RoutingConfig;
  readonly repeatWindowSeconds: number;
  readonly eventDedupeSeconds: number;
  readonly leaseSeconds: number;
  /** Remediation work queue; unset disables remediation requests. @default - none */
  readonly remediationQueueUrl?: string;
  /**
   * The digest table: change monitors (severity `info`) are recorded there for the owner's daily digest
   * instead of being alerted. @default - no digest: they are alerted in real time like the rest
   */
  readonly digestTableName?: string;
  /**
   * The coverage table (config/naming.ts `tableNames(inv).coverage`): heartbeats are recorded there.
   * @default - heartbeats are logged and counted only
   */
  readonly coverageTableName?: string;
}

/** What the stack writes. Per-owner routing grows with the org past Lambda's 4 KB environment: it is a bundled file. */
export interface TriageEnvironmentInput {
  readonly tableName: string;
  readonly inventoryTable: string;
  readonly defaultRouting: AlertRouting;
  readonly ownerRoutingFile: string;
  readonly remediationQueueUrl: string;
  readonly pagerDutyMinSeverity: Severity;
  readonly repeatWindowSeconds: number;
  /** The digest table (config/naming.ts `tableNames(inv).digest`). @default - info alerts go out in real time */
  readonly digestTableName?: string;
  /** The coverage table (config/naming.ts `tableNames(inv).coverage`). @default - heartbeats are not recorded */
  readonly coverageTableName?: string;
  /** Whether Slack alerts carry the verdict buttons: only where the approve function can verify Slack clicks. */
  readonly verdictButtons: boolean;
}

const E = TRIAGE_ENV;

export function triageEnvironment(s: TriageEnvironmentInput): Record<string, string> {
  const d = s.defaultRouting;
  return {
    [E.dedupeTable]: s.tableName,
    [E.inventoryTable]: s.inventoryTable,
    ...optional(E.emailTopicArn, d.emailTopicArn),
    [E.ownerRoutingFile]: s.ownerRoutingFile,
    [E.remediationQueueUrl]: s.remediationQueueUrl,
    [E.pagerdutyMinSeverity]: s.pagerDutyMinSeverity,
    [E.repeatWindowSeconds]: String(s.repeatWindowSeconds),
    ...optional(E.slackChannel, d.slackChannel),
    ...optional(E.slackWebhookRef, d.slackWebhookRef),
    // A Slack app bot token posts with chat.postMessage, so the outcome can edit the alert in place.
    ...(d.slackBotTokenRef
      ? { [E.slackBotTokenRef]: d.slackBotTokenRef, ...optional(E.slackChannelId, d.slackChannelId) }
      : {}),
    ...optional(E.pagerdutyRoutingKeyRef, d.pagerdutyRoutingKeyRef),
    ...optional(E.digestTable, s.digestTableName),
    ...optional(E.coverageTable, s.coverageTableName),
    [E.verdictButtons]: String(s.verdictButtons),
  };
}

/** Fields of a routing entry in OWNER_ROUTING. */
const ROUTING_FIELDS: readonly string[] = [...CHANNEL_ROUTING_FIELDS, 'emailTopicArn'];

/** A public (`C`) or private (`G`, older workspaces) channel id, as config/alerting.ts accepts it. */
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{8,}$/;

/**
 * Reads and checks the environment (and the owner routing file it names); every problem at once.
 * @throws ConfigurationError
 */
export function readTriageSettings(env: Env, dir: string): TriageSettings {
  const r = new SettingsReader(env, 'triage');
  const tableName = r.required(E.dedupeTable, 'name of the dedupe table');
  const routing = { ...readRouting(r, dir, { paging: true }), verdictButtons: r.flag(E.verdictButtons, false) };
  return r.done<TriageSettings>({
    tableName,
    inventoryTable: r.required(E.inventoryTable, 'the inventory table, which holds the account view'),
    routing,
    repeatWindowSeconds: r.whole(E.repeatWindowSeconds, DEFAULT_REPEAT_WINDOW_SECONDS, 0),
    eventDedupeSeconds: r.whole(E.eventDedupeSeconds, 86_400, 60),
    leaseSeconds: r.whole(E.leaseSeconds, 300, 1),
    ...optional('remediationQueueUrl', r.text(E.remediationQueueUrl)),
    ...optional('digestTableName', r.text(E.digestTable)),
    ...optional('coverageTableName', r.text(E.coverageTable)),
  });
}

/**
 * The alert routing of the environment: the default channels (SLACK_*, EMAIL_TOPIC_ARN and, with
 * `paging`, PAGERDUTY_*), and the per-owner routing (OWNER_ROUTING, or the file OWNER_ROUTING_FILE names,
 * relative to `dir`). Problems go to `r`. The digest reads its routing the same way, without paging.
 */
export function readRouting(r: SettingsReader, dir: string, options: { readonly paging: boolean }): RoutingConfig {
  const routingOf = (where: string, raw: Record<string, unknown>): AlertRouting => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (!ROUTING_FIELDS.includes(key)) {
        r.problem(`${where}.${key}: unknown field`);
      } else if (typeof value !== 'string' || value === '') {
        r.problem(`${where}.${key}: expected a non-empty string`);
      } else if (key.endsWith('Ref')) {
        try {
          parseSecretRef(value);
          out[key] = value;
        } catch (err) {
          r.problem(`${where}.${key}: ${(err as Error).message}`);
        }
      } else if (key === 'slackChannelId' && !SLACK_CHANNEL_ID.test(value)) {
        r.problem(`${where}.slackChannelId: expected a channel id like C0123ABCD`);
      } else out[key] = value;
    }
    if (out['slackBotTokenRef'] && !out['slackChannelId']) {
      r.problem(`${where}.slackChannelId: required with slackBotTokenRef (the channel the bot posts to)`);
    }
    return out as AlertRouting;
  };

  const defaults: AlertRouting = {
    ...optional('slackChannel', r.text(E.slackChannel)),
    ...optional('slackWebhookRef', r.secretRef(E.slackWebhookRef)),
    ...optional('pagerdutyRoutingKeyRef', options.paging ? r.secretRef(E.pagerdutyRoutingKeyRef) : undefined),
    ...optional('emailTopicArn', r.text(E.emailTopicArn)),
    ...optional('slackBotTokenRef', r.secretRef(E.slackBotTokenRef)),
    ...optional('slackChannelId', r.text(E.slackChannelId)),
  };
  if (defaults.slackChannel && !defaults.slackWebhookRef && !defaults.slackBotTokenRef) {
    r.problem('SLACK_CHANNEL is set without SLACK_WEBHOOK_REF: an incoming webhook is what posts to the channel');
  }
  if (defaults.slackBotTokenRef && !defaults.slackChannelId) {
    r.problem('SLACK_BOT_TOKEN_REF is set without SLACK_CHANNEL_ID: the bot needs the id of the channel to post to');
  }
  if (defaults.slackChannelId && !SLACK_CHANNEL_ID.test(defaults.slackChannelId)) {
    r.problem(`SLACK_CHANNEL_ID: expected a channel id like C0123ABCD, got '${defaults.slackChannelId.slice(0, 20)}'`);
  }
  if (
    !defaults.slackWebhookRef &&
    !defaults.slackBotTokenRef &&
    !defaults.pagerdutyRoutingKeyRef &&
    !defaults.emailTopicArn
  ) {
    r.problem(
      options.paging
        ? 'no default channel: set SLACK_WEBHOOK_REF, PAGERDUTY_ROUTING_KEY_REF or EMAIL_TOPIC_ARN (alerts would reach nobody)'
        : 'no default channel: set SLACK_WEBHOOK_REF, SLACK_BOT_TOKEN_REF or EMAIL_TOPIC_ARN (messages would reach nobody)',
    );
  }
  const minSeverity = options.paging ? r.oneOf(E.pagerdutyMinSeverity, SEVERITIES, 'high' as Severity) : undefined;
  const byOwner: Record<string, AlertRouting> = {};
  // Per-owner routing grows with the org, past Lambda's 4 KB environment limit: the security
  // stack ships it as a file next to index.js (OWNER_ROUTING_FILE); OWNER_ROUTING inline still works.
  let ownerRouting = r.text(E.ownerRouting);
  const routingFile = r.text(E.ownerRoutingFile);
  if (ownerRouting === undefined && routingFile !== undefined) {
    try {
      ownerRouting = readFileSync(resolve(dir, routingFile), 'utf8');
    } catch (err) {
      r.problem(`OWNER_ROUTING_FILE: cannot read ${routingFile} (${(err as Error).message})`);
    }
  }
  if (ownerRouting !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ownerRouting);
    } catch {
      r.problem('OWNER_ROUTING: not JSON; expected {"<owner>": {"slackChannel", "slackWebhookRef", ...}}');
    }
    if (parsed !== undefined) {
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        r.problem('OWNER_ROUTING: expected an object keyed by owner');
      } else {
        for (const [owner, routing] of Object.entries(parsed)) {
          if (typeof routing !== 'object' || routing === null || Array.isArray(routing)) {
            r.problem(`OWNER_ROUTING.${owner}: expected an object`);
          } else byOwner[owner] = routingOf(`OWNER_ROUTING.${owner}`, routing as Record<string, unknown>);
        }
      }
    }
  }
  return { default: defaults, byOwner, ...optional('pagerDutyMinSeverity', minSeverity) };
}
