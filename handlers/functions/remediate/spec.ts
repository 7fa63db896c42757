/**
 * remediate (remediation work queue, and approved executions and undos): decides, asks for approval or
 * acts through remediate-member, and reports. Its environment, written by the security stack from
 * `remediateEnvironment`, read with `readRemediateSettings`.
 */
import type { SecretRef } from '../../core/alert';
import { type Env, optional, SettingsReader } from '../settings';

export const REMEDIATE_ENV = {
  stateTable: 'REMEDIATION_STATE_TABLE',
  auditTable: 'REMEDIATION_AUDIT_TABLE',
  approvalTable: 'APPROVAL_TABLE',
  centralBusArn: 'CENTRAL_BUS_ARN',
  deployRoleName: 'DEPLOY_ROLE_NAME',
  memberFunctionName: 'MEMBER_FUNCTION_NAME',
  memberRequestKeyArn: 'MEMBER_REQUEST_KEY_ARN',
  approvalSlackWebhookRef: 'APPROVAL_SLACK_WEBHOOK_REF',
  escalationRoutingKeyRef: 'ESCALATION_PAGERDUTY_ROUTING_KEY_REF',
  approvalLinkKeyRef: 'APPROVAL_LINK_KEY_REF',
  approvalBaseUrl: 'APPROVAL_BASE_URL',
  approvalEmailFrom: 'APPROVAL_EMAIL_FROM',
  configFile: 'REMEDIATION_CONFIG_FILE',
  inventoryTable: 'INVENTORY_TABLE',
  alertRoutingFile: 'ALERT_ROUTING_FILE',
  killSwitchParameter: 'KILL_SWITCH_PARAMETER',
  dryRun: 'DRY_RUN',
} as const;

/** Settings read from the environment. */
export interface RemediateSettings {
  readonly stateTable: string;
  readonly auditTable: string;
  readonly approvalTable: string;
  readonly centralBusArn: string;
  readonly deployRoleName: string;
  /** @default `<dir>/remediation.json` (bundled) */
  readonly configFile: string;
  /** The inventory table (config/naming.ts `tableNames(inv).inventory`): the account view, read at run time. */
  readonly inventoryTable: string;
  /** @default `<dir>/alert-routing.json` (bundled) */
  readonly alertRoutingFile: string;
  /** @default - the config's `killSwitchParameter` */
  readonly killSwitchParameter?: string;
  /** `DRY_RUN=true` forces dry-run on top of the config (it can never switch it off). */
  readonly forceDryRun: boolean;
  /** Incoming webhook of the approval channel (the Slack app whose buttons reach the approve function). */
  readonly approvalSlackWebhookRef?: SecretRef;
  /** PagerDuty routing key for breaker trips, failures and kill-switch outages. */
  readonly escalationRoutingKeyRef?: SecretRef;
  /** The remediate-member function, which makes every member-account read and change. */
  readonly memberFunctionName?: string;
  /** ARN of the KMS HMAC key execute requests to remediate-member are signed with. */
  readonly memberRequestKeyArn?: string;
  /** HMAC key of signed approval links (the approve function's `APPROVAL_LINK_KEY_REF`). */
  readonly approvalLinkKeyRef?: SecretRef;
  /** Sender of the approval link emails: an SES identity verified in this region. */
  readonly approvalEmailFrom?: string;
  /** The approve function URL, base of the signed links (https). */
  readonly approvalBaseUrl?: string;
}

const E = REMEDIATE_ENV;

/** What the stack sets (bundled files keep their default paths; dry run and the kill switch come from config). */
export type RemediateEnvironmentInput = Omit<
  RemediateSettings,
  'configFile' | 'alertRoutingFile' | 'killSwitchParameter' | 'forceDryRun'
>;

export function remediateEnvironment(s: RemediateEnvironmentInput): Record<string, string> {
  return {
    [E.stateTable]: s.stateTable,
    [E.auditTable]: s.auditTable,
    [E.inventoryTable]: s.inventoryTable,
    [E.approvalTable]: s.approvalTable,
    [E.centralBusArn]: s.centralBusArn,
    [E.deployRoleName]: s.deployRoleName,
    ...optional(E.memberFunctionName, s.memberFunctionName),
    ...optional(E.memberRequestKeyArn, s.memberRequestKeyArn),
    ...optional(E.approvalSlackWebhookRef, s.approvalSlackWebhookRef),
    ...optional(E.escalationRoutingKeyRef, s.escalationRoutingKeyRef),
    // Signed links by email: the handler sends them only when key, base URL and sender are all set.
    ...optional(E.approvalLinkKeyRef, s.approvalLinkKeyRef),
    ...optional(E.approvalBaseUrl, s.approvalBaseUrl),
    ...optional(E.approvalEmailFrom, s.approvalEmailFrom),
  };
}

/** @throws ConfigurationError listing every problem */
export function readRemediateSettings(env: Env, dir: string): RemediateSettings {
  const r = new SettingsReader(env, 'remediate');
  return r.done<RemediateSettings>({
    stateTable: r.required(E.stateTable, 'idempotency claims and circuit-breaker counters'),
    auditTable: r.required(E.auditTable, 'the append-only audit log'),
    approvalTable: r.required(E.approvalTable, 'the approval requests'),
    centralBusArn: r.required(E.centralBusArn, 'centralBusArn(inventory), for restore-forwarding-rule'),
    deployRoleName: r.required(E.deployRoleName, "the inventory's deployRoleName"),
    configFile: r.text(E.configFile) ?? `${dir}/remediation.json`,
    inventoryTable: r.required(E.inventoryTable, 'the inventory table, which holds the account view'),
    alertRoutingFile: r.text(E.alertRoutingFile) ?? `${dir}/alert-routing.json`,
    ...optional('killSwitchParameter', r.text(E.killSwitchParameter)),
    forceDryRun: r.flag(E.dryRun, false),
    ...optional('approvalSlackWebhookRef', r.secretRef(E.approvalSlackWebhookRef)),
    ...optional('escalationRoutingKeyRef', r.secretRef(E.escalationRoutingKeyRef)),
    ...optional('memberFunctionName', r.text(E.memberFunctionName)),
    ...optional('memberRequestKeyArn', r.text(E.memberRequestKeyArn)),
    ...optional('approvalLinkKeyRef', r.secretRef(E.approvalLinkKeyRef)),
    ...optional('approvalEmailFrom', r.email(E.approvalEmailFrom)),
    ...optional('approvalBaseUrl', r.httpsUrl(E.approvalBaseUrl, 'the approve function URL')),
  });
}
