/**
 * Where alerts go (`config/alerting.json`): the default channels and per-owner routing. Secrets
 * (webhook URLs, routing keys) are never written here or in Terraform state: only references to a
 * Secrets Manager secret or an SSM SecureString that operators fill in out of band.
 */
import { type FindingsConfig, findingsProblems } from './findings';
import type { InventoryProblem } from './inventory';

/** `secretsmanager:<name or ARN>[#jsonKey]` or `ssm:/parameter/name`. */
export type SecretRef = `secretsmanager:${string}` | `ssm:${string}`;

export interface ChannelRouting {
  /** Slack channel shown in alerts; requires `slackWebhookRef` or `slackBotTokenRef`. */
  readonly slackChannel?: string;
  /** Secret holding that channel's incoming-webhook URL. */
  readonly slackWebhookRef?: SecretRef;
  /**
   * Secret holding a Slack app's bot token (scope `chat:write`, app invited to the channel). Alerts are
   * then posted with chat.postMessage and edited in place with the remediation outcome (chat.update),
   * which incoming webhooks cannot do. Requires `slackChannelId`. @default - the webhook is used
   */
  readonly slackBotTokenRef?: SecretRef;
  /** Id of the channel the bot posts to, e.g. `C0123ABCD` (channel details → About in Slack). */
  readonly slackChannelId?: string;
  /** Secret holding a PagerDuty Events API v2 routing key. */
  readonly pagerdutyRoutingKeyRef?: SecretRef;
}

export interface AlertingConfig {
  /** Channels every alert without a more specific owner route goes to (at least one). */
  readonly default: ChannelRouting & {
    /** Addresses subscribed to the alert email topic (each confirms once). @default - none */
    readonly emails?: readonly string[];
  };
  /** Routing per owner (the resource/account/OU owner tag value), merged over the default. */
  readonly owners?: Readonly<Record<string, ChannelRouting>>;
  /** Lowest severity that pages. @default 'high' */
  readonly pagerdutyMinSeverity?: 'info' | 'low' | 'medium' | 'high' | 'critical';
  /** Repeats of one detection on one resource within this window are folded. @default 900 */
  readonly repeatWindowSeconds?: number;
  /** Retention of the triage function's logs. @default 365 */
  readonly logRetentionDays?: number;
  /** Human-in-the-loop remediation (approve mode). @default - approvals are stored but not announced */
  readonly approvals?: ApprovalChannels;
  /**
   * UTC hour (0-23) at which the daily digest of the previous UTC day's change-monitor events goes out,
   * one message per owner on its Slack and email routes. @default 7
   */
  readonly digestHourUtc?: number;
  /** Findings to Security Hub and the findings stream (config/findings.ts). @default - off */
  readonly findings?: FindingsConfig;
}

/** When the daily digest runs unless `digestHourUtc` says otherwise. */
export const DEFAULT_DIGEST_HOUR_UTC = 7;

/** Secrets of the approval flow (Slack app, signed links, escalation pages). */
export interface ApprovalChannels {
  /** Incoming webhook of the channel where approval requests are posted (Approve / Reject buttons). */
  readonly slackWebhookRef?: SecretRef;
  /** The Slack app's signing secret: the approval endpoint verifies every click with it. */
  readonly slackSigningSecretRef?: SecretRef;
  /** HMAC key (≥ 32 characters) for signed approval links. @default - link approvals disabled */
  readonly linkKeyRef?: SecretRef;
  /** PagerDuty routing key for escalations (approval timeouts, breaker trips, failed remediations). */
  readonly escalationRoutingKeyRef?: SecretRef;
  /**
   * Sender of the signed-link emails (each approver in `approvers.emails` gets their own links), an
   * SES identity verified in the security account's home region. Not a secret: a plain address.
   * @default - no link emails
   */
  readonly emailFrom?: string;
}

/** A public (`C...`) or private (`G...`, older workspaces) channel id; the Web API wants ids, not names. */
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{8,}$/;
const SECRET_REF = /^(secretsmanager:[\w/+=.@:-]+(#[\w.-]+)?|ssm:\/[\w/.-]+)$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SEVERITY = ['info', 'low', 'medium', 'high', 'critical'];
/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Every problem in a parsed `config/alerting.json`. */
export function alertingProblems(raw: unknown): InventoryProblem[] {
  const problems: InventoryProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  if (!isRecord(raw)) return [{ path: '(root)', message: 'expected a JSON object' }];
  const routing = (value: unknown, path: string, requireOne: boolean) => {
    if (!isRecord(value)) {
      add(path, 'expected an object with slackChannel / slackWebhookRef / slackBotTokenRef / pagerdutyRoutingKeyRef');
      return;
    }
    for (const key of ['slackWebhookRef', 'slackBotTokenRef', 'pagerdutyRoutingKeyRef']) {
      const ref = value[key];
      if (ref === undefined) continue;
      if (typeof ref !== 'string' || !SECRET_REF.test(ref)) {
        add(
          `${path}.${key}`,
          /^https?:/.test(String(ref))
            ? 'looks like a plain URL or key: store it in Secrets Manager or SSM and give its reference (secretsmanager:<name> or ssm:/<path>)'
            : `expected secretsmanager:<name> or ssm:/<path>, got ${JSON.stringify(ref)}`,
        );
      }
    }
    if (
      value['slackChannel'] !== undefined &&
      value['slackWebhookRef'] === undefined &&
      value['slackBotTokenRef'] === undefined
    ) {
      add(`${path}.slackWebhookRef`, 'required with slackChannel: an incoming webhook is bound to its channel');
    }
    const channelId = value['slackChannelId'];
    if (channelId !== undefined && (typeof channelId !== 'string' || !SLACK_CHANNEL_ID.test(channelId))) {
      add(`${path}.slackChannelId`, `expected a Slack channel id like C0123ABCD, got ${JSON.stringify(channelId)}`);
    }
    if (value['slackBotTokenRef'] !== undefined && channelId === undefined) {
      add(`${path}.slackChannelId`, 'required with slackBotTokenRef: the Web API posts to a channel id');
    }
    if (channelId !== undefined && value['slackBotTokenRef'] === undefined) {
      add(`${path}.slackBotTokenRef`, 'required with slackChannelId: only a bot token can post to a channel id');
    }
    const emails = value['emails'];
    if (emails !== undefined) {
      if (!Array.isArray(emails)) add(`${path}.emails`, 'expected an array of addresses');
      else {
        emails.forEach((e, i) => {
          if (typeof e !== 'string' || !EMAIL.test(e))
            add(`${path}.emails[${i}]`, `not an email address: ${JSON.stringify(e)}`);
        });
      }
    }
    if (
      requireOne &&
      !value['slackWebhookRef'] &&
      !value['slackBotTokenRef'] &&
      !value['pagerdutyRoutingKeyRef'] &&
      !(Array.isArray(emails) && emails.length > 0)
    ) {
      add(
        path,
        'no channel: set slackWebhookRef, slackBotTokenRef, pagerdutyRoutingKeyRef or emails, or alerts reach nobody',
      );
    }
  };
  routing(raw['default'], 'default', true);
  const approvals = raw['approvals'];
  if (approvals !== undefined) {
    if (!isRecord(approvals)) add('approvals', 'expected an object of secret references (and emailFrom)');
    else {
      for (const [key, ref] of Object.entries(approvals)) {
        if (key === 'emailFrom') {
          if (typeof ref !== 'string' || !EMAIL.test(ref)) {
            add('approvals.emailFrom', `not an email address: ${JSON.stringify(ref)}`);
          }
        } else if (
          !['slackWebhookRef', 'slackSigningSecretRef', 'linkKeyRef', 'escalationRoutingKeyRef'].includes(key)
        ) {
          add(
            `approvals.${key}`,
            'unknown key; expected slackWebhookRef, slackSigningSecretRef, linkKeyRef, escalationRoutingKeyRef or emailFrom',
          );
        } else if (typeof ref !== 'string' || !SECRET_REF.test(ref)) {
          add(`approvals.${key}`, 'expected a secret reference: secretsmanager:<name>[#key] or ssm:/<path>');
        }
      }
      if (approvals['slackWebhookRef'] && !approvals['slackSigningSecretRef']) {
        add(
          'approvals.slackSigningSecretRef',
          'required with slackWebhookRef: button clicks cannot be verified without it',
        );
      }
    }
  }
  if (raw['owners'] !== undefined) {
    if (!isRecord(raw['owners'])) add('owners', 'expected an object keyed by owner');
    else for (const [owner, r] of Object.entries(raw['owners'])) routing(r, `owners.${owner}`, false);
  }
  if (raw['pagerdutyMinSeverity'] !== undefined && !SEVERITY.includes(raw['pagerdutyMinSeverity'] as string)) {
    add('pagerdutyMinSeverity', `expected one of ${SEVERITY.join(' | ')}`);
  }
  const window = raw['repeatWindowSeconds'];
  if (window !== undefined && !(typeof window === 'number' && Number.isInteger(window) && window >= 0)) {
    add('repeatWindowSeconds', 'expected a whole number of seconds ≥ 0');
  }
  const digestHour = raw['digestHourUtc'];
  if (
    digestHour !== undefined &&
    !(typeof digestHour === 'number' && Number.isInteger(digestHour) && digestHour >= 0 && digestHour <= 23)
  ) {
    add('digestHourUtc', `expected a whole hour from 0 to 23 (UTC), got ${JSON.stringify(digestHour)}`);
  }
  const retention = raw['logRetentionDays'];
  if (retention !== undefined && !LOG_RETENTION_DAYS.includes(retention as number)) {
    add('logRetentionDays', `expected one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(', ')})`);
  }
  problems.push(...findingsProblems(raw['findings']));
  return problems;
}

/** Secret references of the alert routes (for the triage function's least-privilege policy). */
export function secretRefs(config: AlertingConfig): SecretRef[] {
  const refs = new Set<SecretRef>();
  for (const r of [config.default, ...Object.values(config.owners ?? {})]) {
    if (r.slackWebhookRef) refs.add(r.slackWebhookRef);
    if (r.slackBotTokenRef) refs.add(r.slackBotTokenRef);
    if (r.pagerdutyRoutingKeyRef) refs.add(r.pagerdutyRoutingKeyRef);
  }
  return [...refs].sort();
}

/** Secret references the daily digest reads: the Slack routes only (a digest never pages). */
export function digestSecretRefs(config: AlertingConfig): SecretRef[] {
  const refs = new Set<SecretRef>();
  for (const r of [config.default, ...Object.values(config.owners ?? {})]) {
    if (r.slackWebhookRef) refs.add(r.slackWebhookRef);
    if (r.slackBotTokenRef) refs.add(r.slackBotTokenRef);
  }
  return [...refs].sort();
}

/** Secret references of the approval flow, by use. */
export function approvalSecretRefs(config: AlertingConfig): SecretRef[] {
  const a = config.approvals ?? {};
  return [a.slackWebhookRef, a.slackSigningSecretRef, a.linkKeyRef, a.escalationRoutingKeyRef]
    .filter((r): r is SecretRef => r !== undefined)
    .sort();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
