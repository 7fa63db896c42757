/**
 * The approve function's settings: the environment variables it reads ({@link APPROVE_ENV}), their typed
 * form, the reader that checks them all at once, {@link environmentOf}, which writes them, and the reader
 * of the approvers in the bundled remediation config.
 */
import type { Approvers } from '../../../config/remediation';
import { readJsonFile } from '../../adapters/lambda-io';
import { ConfigurationError } from '../../errors';
import { type Environment, environmentFrom, optionalField, readSettings } from '../settings';

/** The environment variables of the approve function, by setting. */
export const APPROVE_ENV = {
  tableName: 'APPROVAL_TABLE',
  auditTable: 'REMEDIATION_AUDIT_TABLE',
  workQueueUrl: 'APPROVAL_WORK_QUEUE_URL',
  slackSigningSecretRef: 'SLACK_SIGNING_SECRET_REF',
  linkKeyRef: 'APPROVAL_LINK_KEY_REF',
  remediationConfigFile: 'REMEDIATION_CONFIG_FILE',
} as const;

/** What the approve function's environment holds, typed; unset optional variables are absent. */
export interface ApproveEnvironment {
  readonly tableName: string;
  /** The remediation audit log (append only), shared with the remediate function. */
  readonly auditTable: string;
  readonly workQueueUrl: string;
  /** Secret reference of the Slack app's signing secret. */
  readonly slackSigningSecretRef: string;
  /** Secret reference of the HMAC key of signed links. @default - signed links are not served */
  readonly linkKeyRef?: string;
  /** @default `<code dir>/remediation.json` */
  readonly remediationConfigFile?: string;
}

/** Settings the handler runs with: the environment, with the bundled config file resolved. */
export interface ApproveSettings extends ApproveEnvironment {
  readonly remediationConfigFile: string;
}

const SUBJECT = 'approve handler';

/**
 * Reads and checks the environment; every problem is reported at once. Secrets are references
 * (`secretsmanager:…` / `ssm:…`), never values.
 * @throws ConfigurationError
 */
export function readApproveEnvironment(env: Environment): ApproveEnvironment {
  return readSettings(env, SUBJECT, (r) => {
    const N = APPROVE_ENV;
    const tableName = r.text(N.tableName, { required: 'name of the approval table' });
    const auditTable = r.text(N.auditTable, { required: 'the append-only audit log' });
    const slackSigningSecretRef = r.secretRef(N.slackSigningSecretRef, {
      required: 'secret reference of the Slack app signing secret',
    });
    const linkKeyRef = r.secretRef(N.linkKeyRef);
    const workQueueUrl = r.text(N.workQueueUrl, { required: 'queue the executor reads approved plans from' });
    return {
      tableName: tableName ?? '',
      auditTable: auditTable ?? '',
      slackSigningSecretRef: slackSigningSecretRef ?? '',
      ...optionalField('linkKeyRef', linkKeyRef),
      workQueueUrl: workQueueUrl ?? '',
      ...optionalField('remediationConfigFile', r.text(N.remediationConfigFile)),
    };
  });
}

/**
 * Reads the environment and resolves the bundled config file (relative to `dir`).
 * @throws ConfigurationError
 */
export function readApproveSettings(env: Environment, dir: string): ApproveSettings {
  const e = readApproveEnvironment(env);
  return { ...e, remediationConfigFile: e.remediationConfigFile ?? `${dir}/remediation.json` };
}

/** The Lambda environment that {@link readApproveEnvironment} reads back as `e`. */
export function environmentOf(e: ApproveEnvironment): Record<string, string> {
  return environmentFrom([
    [APPROVE_ENV.tableName, e.tableName],
    [APPROVE_ENV.auditTable, e.auditTable],
    [APPROVE_ENV.workQueueUrl, e.workQueueUrl],
    [APPROVE_ENV.slackSigningSecretRef, e.slackSigningSecretRef],
    [APPROVE_ENV.linkKeyRef, e.linkKeyRef],
    [APPROVE_ENV.remediationConfigFile, e.remediationConfigFile],
  ]);
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
