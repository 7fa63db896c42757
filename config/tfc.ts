/**
 * The Terraform Cloud settings of `backend` (type `"tfc"`) beyond organization, pattern and hostname,
 * their validation, and the names the `tfc` stack and the tools derive from them.
 *
 * Kept out of config/inventory.ts and config/naming.ts on purpose: those two are bundled into the Lambda
 * functions, and esbuild's minifier names variables by the character frequency of every bundled file, so
 * any code edit there changes every function's zip (and its `source_code_hash`) for no behaviour change.
 * config/load.ts adds `tfcBackendProblems` to the inventory's problems, so synth, doctor and tfc:upload
 * report them like any other.
 */
import type { BackendConfig, InventoryProblem } from './inventory';
import { stackIds } from './naming';

/** Stack id of the Terraform Cloud stack (stacks/tfc-stack.ts), synthesized only with `backend.type: "tfc"`. */
export const TFC_STACK_ID = stackIds.tfc;

/** Terraform Cloud workspace of a stack: the backend's `workspacePattern` with `{stack}` replaced. */
export const tfcWorkspaceName = (backend: { readonly workspacePattern: string }, stackId: string): string =>
  backend.workspacePattern.replace(/\{stack\}/g, stackId);

/**
 * What the CI role's trust policy (bootstrap stack) must accept from Terraform Cloud's workload identity
 * tokens: the OIDC provider URL, the audience, and the `sub` of runs in vigil's workspaces. The subject
 * matches the workspace pattern with a wildcard (one entry, whatever the number of accounts: a trust
 * policy holds at most 2,048 characters by default), pinned to the organization and project; the
 * locally applied workspaces (tfc, bootstrap) match it too but never run remotely, so never get a token.
 */
export function tfcWorkloadIdentity(backend: TfcBackendConfig): {
  readonly providerUrl: string;
  readonly audience: string;
  readonly subject: string;
} {
  const host = (backend.hostname ?? 'app.terraform.io').replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return {
    providerUrl: `https://${host}`,
    audience: backend.awsAudience ?? 'aws.workload.identity',
    subject:
      `organization:${backend.organization}:project:${backend.project ?? 'Default Project'}:` +
      `workspace:${tfcWorkspaceName(backend, '*')}:run_phase:*`,
  };
}

/** Notification names become construct ids: unique after lower-casing and replacing punctuation. */
export const notificationKey = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** Where a Terraform Cloud notification goes, and on which run events. */
export interface TfcNotification {
  /** Name shown in the workspace's notification settings; unique among `notifications`. */
  readonly name: string;
  readonly destinationType: 'slack' | 'microsoft-teams' | 'generic' | 'email';
  /**
   * Name of a sensitive Terraform variable of the `tfc` stack that holds the webhook URL (set
   * `TF_VAR_<name>` when applying it): the URL is a secret and stays out of this file. Required for
   * slack, microsoft-teams and generic; not allowed for email.
   */
  readonly urlVariable?: string;
  /** Email destination on HCP Terraform: ids (`user-…`) of organization members. @default - none */
  readonly emailUserIds?: readonly string[];
  /** Email destination on Terraform Enterprise only: addresses. @default - none */
  readonly emailAddresses?: readonly string[];
  /** @default ['run:errored', 'run:needs_attention'] */
  readonly triggers?: readonly string[];
}

/**
 * Terraform Cloud (HCP Terraform) or Terraform Enterprise: one workspace per stack, all created and
 * configured by the `tfc` stack (stacks/tfc-stack.ts), which is synthesized only with this backend.
 */
export type TfcBackendConfig = Extract<BackendConfig, { readonly type: 'tfc' }> & {
  /** Name of an existing project the workspaces go in. @default - the organization's default project */
  readonly project?: string;
  /**
   * Where the AWS stacks' runs execute: on HCP Terraform's workers, or on your own agents.
   * @default 'remote'
   */
  readonly executionMode?: 'remote' | 'agent';
  /** Agent pool id (`apool-…`); required with `executionMode: "agent"`, not allowed otherwise. */
  readonly agentPoolId?: string;
  /** Apply a run without confirmation once its plan succeeds (also for runs queued by run triggers). @default false */
  readonly autoApply?: boolean;
  /** Exact Terraform version every workspace runs. @default '1.11.4' (the version vigil is checked with) */
  readonly terraformVersion?: string;
  /**
   * Working directory of each workspace, relative to the uploaded configuration; `{stack}` is replaced by
   * the stack id. Only for uploads of more than one stack folder (e.g. a repository holding `cdktf.out`).
   * @default - none: `npm run tfc:upload` and the `cloud` block upload the stack folder itself
   */
  readonly workingDirectory?: string;
  /**
   * Audience of the workload identity token AWS checks (`TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE`); the CI
   * role's trust policy must name the same.
   * @default - HCP Terraform's default, `aws.workload.identity`
   */
  readonly awsAudience?: string;
  /** Run notifications of every workspace Terraform Cloud runs. @default - none */
  readonly notifications?: readonly TfcNotification[];
};

/** Triggers `tfe_notification_configuration` accepts (run and health-assessment events). */
export const TFC_NOTIFICATION_TRIGGERS: readonly string[] = [
  'run:created',
  'run:planning',
  'run:needs_attention',
  'run:applying',
  'run:completed',
  'run:errored',
  'assessment:drifted',
  'assessment:failed',
  'assessment:check_failure',
];

/** Terraform version the workspaces pin when the config names none. */
export const DEFAULT_TFC_TERRAFORM_VERSION = '1.11.4';

/** Every problem of the Terraform Cloud settings in a parsed `config/org.json`; none for other backends. */
export function tfcBackendProblems(raw: unknown): InventoryProblem[] {
  const problems: InventoryProblem[] = [];
  const b = isRecord(raw) ? raw['backend'] : undefined;
  if (isRecord(b) && b['type'] === 'tfc') tfcProblems(b, (path, message) => problems.push({ path, message }));
  return problems;
}

/** The Terraform Cloud settings beyond organization and pattern (the `tfc` stack reads them). */
function tfcProblems(b: Record<string, unknown>, add: (path: string, message: string) => void): void {
  const optionalString = (key: string, expected: string) => {
    if (b[key] !== undefined && (typeof b[key] !== 'string' || b[key] === '')) {
      add(`backend.${key}`, `expected ${expected}, got ${show(b[key])}`);
    }
  };
  optionalString('hostname', "the Terraform Cloud / Enterprise host name, e.g. 'app.terraform.io'");
  optionalString('project', "the name of an existing project, e.g. 'vigil' (or leave it out for the default project)");
  optionalString('awsAudience', "the audience the CI role's trust policy expects, e.g. 'aws.workload.identity'");
  const mode = b['executionMode'];
  if (mode !== undefined && mode !== 'remote' && mode !== 'agent') {
    add(
      'backend.executionMode',
      `expected "remote" (HCP Terraform's workers) or "agent" (your agent pool, with agentPoolId), got ${show(mode)}`,
    );
  }
  const pool = b['agentPoolId'];
  if (mode === 'agent' && (typeof pool !== 'string' || !/^apool-[A-Za-z0-9]+$/.test(pool))) {
    add(
      'backend.agentPoolId',
      `executionMode "agent" needs the agent pool id, like "apool-AbC123dEf456", got ${show(pool)}`,
    );
  } else if (mode !== 'agent' && pool !== undefined) {
    add('backend.agentPoolId', 'is only used with executionMode "agent": set that, or remove agentPoolId');
  }
  if (b['autoApply'] !== undefined && typeof b['autoApply'] !== 'boolean') {
    add('backend.autoApply', `expected true or false, got ${show(b['autoApply'])}`);
  }
  const version = b['terraformVersion'];
  if (version !== undefined && (typeof version !== 'string' || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version))) {
    add(
      'backend.terraformVersion',
      `expected an exact Terraform version like "${DEFAULT_TFC_TERRAFORM_VERSION}" (a pin, not a constraint), got ${show(version)}`,
    );
  }
  const dir = b['workingDirectory'];
  if (
    dir !== undefined &&
    (typeof dir !== 'string' || dir === '' || dir.startsWith('/') || dir.split('/').includes('..'))
  ) {
    add(
      'backend.workingDirectory',
      `expected a relative path without '..', e.g. "cdktf.out/stacks/{stack}" (or leave it out), got ${show(dir)}`,
    );
  }
  const notifications = b['notifications'];
  if (notifications === undefined) return;
  if (!Array.isArray(notifications)) {
    add('backend.notifications', `expected an array of notifications, got ${show(notifications)}`);
    return;
  }
  const names = new Set<string>();
  notifications.forEach((n, i) => {
    const path = `backend.notifications[${i}]`;
    if (!isRecord(n)) {
      add(path, `expected {"name", "destinationType", ...}, got ${show(n)}`);
      return;
    }
    if (typeof n['name'] !== 'string' || n['name'] === '')
      add(`${path}.name`, `expected a name, got ${show(n['name'])}`);
    else if (names.has(notificationKey(n['name'])))
      add(
        `${path}.name`,
        `'${n['name']}' is used by an earlier notification (ignoring case and punctuation); names must be unique`,
      );
    else names.add(notificationKey(n['name']));
    const type = n['destinationType'];
    if (!['slack', 'microsoft-teams', 'generic', 'email'].includes(type as string)) {
      add(`${path}.destinationType`, `expected "slack", "microsoft-teams", "generic" or "email", got ${show(type)}`);
    } else if (type === 'email') {
      if (n['urlVariable'] !== undefined) add(`${path}.urlVariable`, 'email notifications have no URL: remove it');
      const lists = (['emailUserIds', 'emailAddresses'] as const).filter((k) => n[k] !== undefined);
      for (const k of lists) {
        if (!Array.isArray(n[k]) || n[k].length === 0 || !n[k].every((v) => typeof v === 'string' && v !== '')) {
          add(`${path}.${k}`, `expected a non-empty array of strings, got ${show(n[k])}`);
        }
      }
      if (lists.length === 0) {
        add(
          path,
          'an email notification needs emailUserIds (HCP Terraform: ids of organization members, "user-…") or emailAddresses (Terraform Enterprise)',
        );
      }
    } else if (typeof n['urlVariable'] !== 'string' || !/^[A-Za-z_][\w-]*$/.test(n['urlVariable'])) {
      add(
        `${path}.urlVariable`,
        `a ${type} notification needs urlVariable: the name of the Terraform variable holding the webhook URL ` +
          `(e.g. "slack_webhook_url", set TF_VAR_slack_webhook_url when applying the tfc stack), got ${show(n['urlVariable'])}`,
      );
    }
    const triggers = n['triggers'];
    if (triggers !== undefined) {
      if (!Array.isArray(triggers) || triggers.length === 0) {
        add(`${path}.triggers`, `expected a non-empty array of triggers, got ${show(triggers)}`);
      } else {
        triggers.forEach((t, j) => {
          if (!TFC_NOTIFICATION_TRIGGERS.includes(t as string)) {
            add(
              `${path}.triggers[${j}]`,
              `unknown trigger ${show(t)}; expected one of ${TFC_NOTIFICATION_TRIGGERS.join(', ')}`,
            );
          }
        });
      }
    }
  });
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
