/**
 * approve (function URL): Slack interactivity and signed links decide approval requests. Its
 * environment, written by the security stack from `approveEnvironment`, read with `readApproveSettings`.
 * Both ways in are optional: without a signing secret `/slack/interactions` answers 404, without a link
 * key `/approve` does (an org whose detections never ask for approval configures neither).
 */
import type { Approvers } from '../../../config/remediation';
import { readJsonFile } from '../../adapters/lambda-io';
import type { SecretRef } from '../../core/alert';
import { ConfigurationError } from '../../errors';
import { type Env, optional, SettingsReader } from '../settings';

export const APPROVE_ENV = {
  approvalTable: 'APPROVAL_TABLE',
  auditTable: 'REMEDIATION_AUDIT_TABLE',
  workQueueUrl: 'APPROVAL_WORK_QUEUE_URL',
  slackSigningSecretRef: 'SLACK_SIGNING_SECRET_REF',
  linkKeyRef: 'APPROVAL_LINK_KEY_REF',
  remediationConfigFile: 'REMEDIATION_CONFIG_FILE',
} as const;

export interface ApproveSettings {
  readonly tableName: string;
  /** The remediation audit log (append only), shared with the remediate function. */
  readonly auditTable: string;
  readonly workQueueUrl: string;
  /** Slack app signing secret. @default - no Slack interactivity */
  readonly slackSigningSecretRef?: SecretRef;
  /** HMAC key of signed approval links. @default - no signed links */
  readonly linkKeyRef?: SecretRef;
  /** @default `<dir>/remediation.json` (bundled by the security stack) */
  readonly remediationConfigFile: string;
}

const E = APPROVE_ENV;

/** The environment the stack writes (the config file is bundled; its default path needs no variable). */
export function approveEnvironment(s: Omit<ApproveSettings, 'remediationConfigFile'>): Record<string, string> {
  return {
    [E.approvalTable]: s.tableName,
    [E.auditTable]: s.auditTable,
    [E.workQueueUrl]: s.workQueueUrl,
    ...optional(E.slackSigningSecretRef, s.slackSigningSecretRef),
    ...optional(E.linkKeyRef, s.linkKeyRef),
  };
}

/** @throws ConfigurationError listing every problem */
export function readApproveSettings(env: Env, dir: string): ApproveSettings {
  const r = new SettingsReader(env, 'approve');
  return r.done<ApproveSettings>({
    tableName: r.required(E.approvalTable, 'name of the approval table'),
    auditTable: r.required(E.auditTable, 'the append-only audit log'),
    ...optional('slackSigningSecretRef', r.secretRef(E.slackSigningSecretRef)),
    ...optional('linkKeyRef', r.secretRef(E.linkKeyRef)),
    workQueueUrl: r.required(E.workQueueUrl, 'queue the executor reads approved plans from'),
    remediationConfigFile: r.text(E.remediationConfigFile) ?? `${dir}/remediation.json`,
  });
}

/**
 * The approvers of the bundled `remediation.json`. The file was validated in full at synth
 * (config/remediation.ts); here only the part this function uses is checked again.
 * @throws ConfigurationError
 */
export function readApprovers(file: string): Approvers {
  const raw = readJsonFile(file, 'the remediation config');
  const a = (raw as { approvers?: unknown } | null)?.approvers as Record<string, unknown> | undefined;
  const list = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (!a || !list(a.slackUserIds) || !list(a.emails)) {
    throw new ConfigurationError(`${file}: approvers must be {"slackUserIds": [...], "emails": [...]}`);
  }
  return { slackUserIds: a.slackUserIds as string[], emails: a.emails as string[] };
}
