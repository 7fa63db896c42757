/**
 * The triage function's settings: the environment variables it reads ({@link TRIAGE_ENV}), their typed
 * form ({@link TriageEnvironment}), the reader that checks them all at once, and {@link environmentOf},
 * which writes them, so the stack and the handler cannot disagree on a name.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SEVERITIES, type Severity } from '../../../rules/types';
import type { AlertRouting } from '../../core/alert';
import { isRecord } from '../../core/lambda-io';
import { DEFAULT_REPEAT_WINDOW_SECONDS, type RoutingConfig } from '../../core/triage';
import {
  type Environment,
  environmentFrom,
  optionalField,
  readSettings,
  type SettingsReader,
  secretRefProblem,
} from '../settings';

/** The environment variables of the triage function, by setting. */
export const TRIAGE_ENV = {
  tableName: 'DEDUPE_TABLE',
  emailTopicArn: 'EMAIL_TOPIC_ARN',
  ownerRoutingFile: 'OWNER_ROUTING_FILE',
  remediationQueueUrl: 'REMEDIATION_QUEUE_URL',
  pagerDutyMinSeverity: 'PAGERDUTY_MIN_SEVERITY',
  repeatWindowSeconds: 'REPEAT_WINDOW_SECONDS',
  slackChannel: 'SLACK_CHANNEL',
  slackWebhookRef: 'SLACK_WEBHOOK_REF',
  slackBotTokenRef: 'SLACK_BOT_TOKEN_REF',
  slackChannelId: 'SLACK_CHANNEL_ID',
  pagerdutyRoutingKeyRef: 'PAGERDUTY_ROUTING_KEY_REF',
  ownerRouting: 'OWNER_ROUTING',
  inventoryFile: 'INVENTORY_FILE',
  eventDedupeSeconds: 'EVENT_DEDUPE_SECONDS',
  leaseSeconds: 'DEDUPE_LEASE_SECONDS',
} as const;

/** What the triage function's environment holds, typed; unset optional variables are absent. */
export interface TriageEnvironment {
  readonly tableName: string;
  /** The default route (SLACK_CHANNEL, SLACK_WEBHOOK_REF, ..., EMAIL_TOPIC_ARN). */
  readonly defaultRouting: AlertRouting;
  /** @default 'high' */
  readonly pagerDutyMinSeverity?: Severity;
  /** Per-owner routes given inline. @default - none, or the file's */
  readonly ownerRouting?: Readonly<Record<string, AlertRouting>>;
  /**
   * Per-owner routes in a file of the bundle (relative to the code directory): they outgrow Lambda's 4 KB
   * environment limit in a large org. Read only when OWNER_ROUTING is unset. @default - none
   */
  readonly ownerRoutingFile?: string;
  /** @default `<code dir>/inventory.json` */
  readonly inventoryFile?: string;
  /** @default DEFAULT_REPEAT_WINDOW_SECONDS */
  readonly repeatWindowSeconds?: number;
  /** @default 86400 */
  readonly eventDedupeSeconds?: number;
  /** @default 300 */
  readonly leaseSeconds?: number;
  /** Remediation work queue; unset disables remediation requests. @default - none */
  readonly remediationQueueUrl?: string;
}

/** Settings the handler runs with: the environment resolved (defaults, the owner routing file). */
export interface TriageSettings {
  readonly tableName: string;
  readonly inventoryFile: string;
  readonly routing: RoutingConfig;
  readonly repeatWindowSeconds: number;
  readonly eventDedupeSeconds: number;
  readonly leaseSeconds: number;
  /** Remediation work queue; unset disables remediation requests. @default - none */
  readonly remediationQueueUrl?: string;
}

const SUBJECT = 'triage handler';

/** Fields of an owner route in OWNER_ROUTING. */
const ROUTING_FIELDS = [
  'slackChannel',
  'slackWebhookRef',
  'slackBotTokenRef',
  'slackChannelId',
  'pagerdutyRoutingKeyRef',
  'emailTopicArn',
];

const OWNER_ROUTING_SHAPE = '{"<owner>": {"slackChannel", "slackWebhookRef", ...}}';

/** A public (`C`) or private (`G`, older workspaces) channel id, as config/alerting.ts accepts it. */
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{8,}$/;

/**
 * Reads and checks the environment; every problem is reported at once.
 * @throws ConfigurationError
 */
export function readTriageEnvironment(env: Environment): TriageEnvironment {
  return readSettings(env, SUBJECT, triageEnvironment);
}

/**
 * Reads the environment and resolves it: defaults, and the owner routing file (relative to `dir`).
 * @throws ConfigurationError naming every problem of the environment and the file
 */
export function readTriageSettings(env: Environment, dir: string): TriageSettings {
  return readSettings(env, SUBJECT, (r) => {
    const e = triageEnvironment(r);
    let byOwner = e.ownerRouting;
    if (r.text(TRIAGE_ENV.ownerRouting) === undefined && e.ownerRoutingFile !== undefined) {
      let content: string | undefined;
      try {
        content = readFileSync(resolve(dir, e.ownerRoutingFile), 'utf8');
      } catch (err) {
        r.problem(`${TRIAGE_ENV.ownerRoutingFile}: cannot read ${e.ownerRoutingFile} (${(err as Error).message})`);
      }
      if (content !== undefined) byOwner = ownerRoutes(r, parseJson(r, content));
    }
    return {
      tableName: e.tableName,
      inventoryFile: e.inventoryFile ?? `${dir}/inventory.json`,
      routing: {
        default: e.defaultRouting,
        byOwner: { ...byOwner },
        pagerDutyMinSeverity: e.pagerDutyMinSeverity ?? 'high',
      },
      repeatWindowSeconds: e.repeatWindowSeconds ?? DEFAULT_REPEAT_WINDOW_SECONDS,
      eventDedupeSeconds: e.eventDedupeSeconds ?? 86_400,
      leaseSeconds: e.leaseSeconds ?? 300,
      ...optionalField('remediationQueueUrl', e.remediationQueueUrl),
    };
  });
}

/** The Lambda environment that {@link readTriageEnvironment} reads back as `e`. */
export function environmentOf(e: TriageEnvironment): Record<string, string> {
  const d = e.defaultRouting;
  return environmentFrom([
    [TRIAGE_ENV.tableName, e.tableName],
    [TRIAGE_ENV.emailTopicArn, d.emailTopicArn],
    [TRIAGE_ENV.ownerRoutingFile, e.ownerRoutingFile],
    [TRIAGE_ENV.remediationQueueUrl, e.remediationQueueUrl],
    [TRIAGE_ENV.pagerDutyMinSeverity, e.pagerDutyMinSeverity],
    [TRIAGE_ENV.repeatWindowSeconds, e.repeatWindowSeconds],
    [TRIAGE_ENV.slackChannel, d.slackChannel],
    [TRIAGE_ENV.slackWebhookRef, d.slackWebhookRef],
    [TRIAGE_ENV.slackBotTokenRef, d.slackBotTokenRef],
    [TRIAGE_ENV.slackChannelId, d.slackChannelId],
    [TRIAGE_ENV.pagerdutyRoutingKeyRef, d.pagerdutyRoutingKeyRef],
    [TRIAGE_ENV.ownerRouting, e.ownerRouting === undefined ? undefined : JSON.stringify(e.ownerRouting)],
    [TRIAGE_ENV.inventoryFile, e.inventoryFile],
    [TRIAGE_ENV.eventDedupeSeconds, e.eventDedupeSeconds],
    [TRIAGE_ENV.leaseSeconds, e.leaseSeconds],
  ]);
}

function triageEnvironment(r: SettingsReader): TriageEnvironment {
  const N = TRIAGE_ENV;
  const tableName = r.text(N.tableName, { required: 'name of the dedupe table' });
  const defaultRouting: AlertRouting = {
    ...optionalField('slackChannel', r.text(N.slackChannel)),
    ...optionalField('slackWebhookRef', r.secretRef(N.slackWebhookRef)),
    ...optionalField('pagerdutyRoutingKeyRef', r.secretRef(N.pagerdutyRoutingKeyRef)),
    ...optionalField('emailTopicArn', r.text(N.emailTopicArn)),
    ...optionalField('slackBotTokenRef', r.secretRef(N.slackBotTokenRef)),
    ...optionalField('slackChannelId', r.text(N.slackChannelId)),
  };
  if (defaultRouting.slackChannel && !defaultRouting.slackWebhookRef && !defaultRouting.slackBotTokenRef) {
    r.problem(
      `${N.slackChannel} is set without ${N.slackWebhookRef}: an incoming webhook is what posts to the channel`,
    );
  }
  if (defaultRouting.slackBotTokenRef && !defaultRouting.slackChannelId) {
    r.problem(
      `${N.slackBotTokenRef} is set without ${N.slackChannelId}: the bot needs the id of the channel to post to`,
    );
  }
  if (defaultRouting.slackChannelId && !SLACK_CHANNEL_ID.test(defaultRouting.slackChannelId)) {
    r.problem(
      `${N.slackChannelId}: expected a channel id like C0123ABCD, got '${defaultRouting.slackChannelId.slice(0, 20)}'`,
    );
  }
  const { slackWebhookRef, slackBotTokenRef, pagerdutyRoutingKeyRef, emailTopicArn } = defaultRouting;
  if (!slackWebhookRef && !slackBotTokenRef && !pagerdutyRoutingKeyRef && !emailTopicArn) {
    r.problem(
      `no default channel: set ${N.slackWebhookRef}, ${N.pagerdutyRoutingKeyRef} or ${N.emailTopicArn} (alerts would reach nobody)`,
    );
  }
  const ownerRouting = r.json(N.ownerRouting, OWNER_ROUTING_SHAPE);
  return {
    tableName: tableName ?? '',
    defaultRouting,
    ...optionalField('pagerDutyMinSeverity', r.oneOf(N.pagerDutyMinSeverity, SEVERITIES)),
    ...optionalField('ownerRouting', ownerRouting === undefined ? undefined : ownerRoutes(r, ownerRouting)),
    ...optionalField('ownerRoutingFile', r.text(N.ownerRoutingFile)),
    ...optionalField('inventoryFile', r.text(N.inventoryFile)),
    ...optionalField('repeatWindowSeconds', r.wholeNumber(N.repeatWindowSeconds, 0)),
    ...optionalField('eventDedupeSeconds', r.wholeNumber(N.eventDedupeSeconds, 60)),
    ...optionalField('leaseSeconds', r.wholeNumber(N.leaseSeconds, 1)),
    ...optionalField('remediationQueueUrl', r.text(N.remediationQueueUrl)),
  };
}

function parseJson(r: SettingsReader, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    r.problem(`${TRIAGE_ENV.ownerRouting}: not JSON; expected ${OWNER_ROUTING_SHAPE}`);
    return undefined;
  }
}

/** Owner routes of OWNER_ROUTING (inline or from the file), each field checked. */
function ownerRoutes(r: SettingsReader, parsed: unknown): Record<string, AlertRouting> {
  const byOwner: Record<string, AlertRouting> = {};
  if (parsed === undefined) return byOwner;
  const where = TRIAGE_ENV.ownerRouting;
  if (!isRecord(parsed)) {
    r.problem(`${where}: expected an object keyed by owner`);
    return byOwner;
  }
  for (const [owner, routing] of Object.entries(parsed)) {
    if (!isRecord(routing)) r.problem(`${where}.${owner}: expected an object`);
    else byOwner[owner] = ownerRoute(r, `${where}.${owner}`, routing);
  }
  return byOwner;
}

function ownerRoute(r: SettingsReader, where: string, raw: Record<string, unknown>): AlertRouting {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!ROUTING_FIELDS.includes(key)) {
      r.problem(`${where}.${key}: unknown field`);
    } else if (typeof value !== 'string' || value === '') {
      r.problem(`${where}.${key}: expected a non-empty string`);
    } else if (key.endsWith('Ref')) {
      const problem = secretRefProblem(value);
      if (problem === undefined) out[key] = value;
      else r.problem(`${where}.${key}: ${problem}`);
    } else if (key === 'slackChannelId' && !SLACK_CHANNEL_ID.test(value)) {
      r.problem(`${where}.slackChannelId: expected a channel id like C0123ABCD`);
    } else out[key] = value;
  }
  if (out['slackBotTokenRef'] && !out['slackChannelId']) {
    r.problem(`${where}.slackChannelId: required with slackBotTokenRef (the channel the bot posts to)`);
  }
  return out as AlertRouting;
}
