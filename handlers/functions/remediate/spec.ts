/**
 * The remediate function's settings: the environment variables it reads ({@link REMEDIATE_ENV}), their
 * typed form, the reader that checks them all at once ({@link readRemediateSettings}, the same checks and
 * messages as handlers/entrypoints/remediate.ts's reader, which it replaces at merge), and
 * {@link environmentOf}, which writes them.
 */
import { type Environment, environmentFrom, optionalField, readSettings } from '../settings';

/** The environment variables of the remediate function, by setting. */
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
  inventoryFile: 'INVENTORY_FILE',
  alertRoutingFile: 'ALERT_ROUTING_FILE',
  killSwitchParameter: 'KILL_SWITCH_PARAMETER',
  dryRun: 'DRY_RUN',
} as const;

/** What the remediate function's environment holds, typed; unset optional variables are absent. */
export interface RemediateEnvironment {
  /** Idempotency claims and circuit-breaker counters (pk S, TTL `expiresAt`). */
  readonly stateTable: string;
  /** Append-only audit log (pk S, sk S). */
  readonly auditTable: string;
  /** The approval flow's table (makeApprovalStore). */
  readonly approvalTable: string;
  readonly centralBusArn: string;
  readonly deployRoleName: string;
  /** @default `<code dir>/remediation.json` */
  readonly configFile?: string;
  /** @default `<code dir>/inventory.json` */
  readonly inventoryFile?: string;
  /** Where alerts may go: outcomes are reported only there. @default `<code dir>/alert-routing.json` */
  readonly alertRoutingFile?: string;
  /** @default - the config's `killSwitchParameter` */
  readonly killSwitchParameter?: string;
  /** `true` forces dry-run on top of the config (it can never switch it off). @default false */
  readonly dryRun?: boolean;
  /** Incoming webhook of the approval channel (the Slack app whose buttons reach the approve function). */
  readonly approvalSlackWebhookRef?: string;
  /** PagerDuty routing key for breaker trips, failures and kill-switch outages. */
  readonly escalationRoutingKeyRef?: string;
  /** The remediate-member function, which makes every member-account read and change. */
  readonly memberFunctionName?: string;
  /** ARN of the KMS HMAC key execute requests to remediate-member are signed with. */
  readonly memberRequestKeyArn?: string;
  /** HMAC key of signed approval links (the approve function's `APPROVAL_LINK_KEY_REF`). */
  readonly approvalLinkKeyRef?: string;
  /** Sender of the approval link emails: an SES identity verified in this region. */
  readonly approvalEmailFrom?: string;
  /** The approve function URL, base of the signed links (https). */
  readonly approvalBaseUrl?: string;
}

/** Settings the handler runs with (the shape of remediate.ts's RemediateSettings). */
export interface RemediateSettings
  extends Omit<RemediateEnvironment, 'configFile' | 'inventoryFile' | 'alertRoutingFile' | 'dryRun'> {
  readonly configFile: string;
  readonly inventoryFile: string;
  readonly alertRoutingFile: string;
  /** `DRY_RUN=true` forces dry-run on top of the config (it can never switch it off). */
  readonly forceDryRun: boolean;
}

/**
 * Reads and checks the environment; every problem is reported at once.
 * @throws ConfigurationError
 */
export function readRemediateEnvironment(env: Environment): RemediateEnvironment {
  return readSettings(env, 'remediate handler', (r) => {
    const N = REMEDIATE_ENV;
    const dryRun = r.boolean(N.dryRun);
    return {
      stateTable: r.text(N.stateTable, { required: 'idempotency claims and circuit-breaker counters' }) ?? '',
      auditTable: r.text(N.auditTable, { required: 'the append-only audit log' }) ?? '',
      approvalTable: r.text(N.approvalTable, { required: 'the approval requests' }) ?? '',
      centralBusArn:
        r.text(N.centralBusArn, { required: 'centralBusArn(inventory), for restore-forwarding-rule' }) ?? '',
      deployRoleName: r.text(N.deployRoleName, { required: "the inventory's deployRoleName" }) ?? '',
      ...optionalField('configFile', r.text(N.configFile)),
      ...optionalField('inventoryFile', r.text(N.inventoryFile)),
      ...optionalField('alertRoutingFile', r.text(N.alertRoutingFile)),
      ...optionalField('killSwitchParameter', r.text(N.killSwitchParameter)),
      ...optionalField('dryRun', dryRun),
      ...optionalField('approvalSlackWebhookRef', r.secretRef(N.approvalSlackWebhookRef)),
      ...optionalField('escalationRoutingKeyRef', r.secretRef(N.escalationRoutingKeyRef)),
      ...optionalField('memberFunctionName', r.text(N.memberFunctionName)),
      ...optionalField('memberRequestKeyArn', r.text(N.memberRequestKeyArn)),
      ...optionalField('approvalLinkKeyRef', r.secretRef(N.approvalLinkKeyRef)),
      ...optionalField('approvalEmailFrom', r.emailAddress(N.approvalEmailFrom)),
      ...optionalField('approvalBaseUrl', r.httpsUrl(N.approvalBaseUrl, 'the approve function URL')),
    };
  });
}

/**
 * Reads the environment and resolves the bundled files (relative to `dir`): a drop-in replacement of
 * remediate.ts's readRemediateSettings (same result, same problems in the same order).
 * @throws ConfigurationError
 */
export function readRemediateSettings(env: Environment, dir: string): RemediateSettings {
  const { configFile, inventoryFile, alertRoutingFile, dryRun, killSwitchParameter, ...rest } =
    readRemediateEnvironment(env);
  return {
    ...rest,
    configFile: configFile ?? `${dir}/remediation.json`,
    inventoryFile: inventoryFile ?? `${dir}/inventory.json`,
    alertRoutingFile: alertRoutingFile ?? `${dir}/alert-routing.json`,
    ...optionalField('killSwitchParameter', killSwitchParameter),
    forceDryRun: dryRun === true,
  };
}

/** The Lambda environment that {@link readRemediateEnvironment} reads back as `e`. */
export function environmentOf(e: RemediateEnvironment): Record<string, string> {
  const N = REMEDIATE_ENV;
  return environmentFrom([
    [N.stateTable, e.stateTable],
    [N.auditTable, e.auditTable],
    [N.approvalTable, e.approvalTable],
    [N.centralBusArn, e.centralBusArn],
    [N.deployRoleName, e.deployRoleName],
    [N.memberFunctionName, e.memberFunctionName],
    [N.memberRequestKeyArn, e.memberRequestKeyArn],
    [N.approvalSlackWebhookRef, e.approvalSlackWebhookRef],
    [N.escalationRoutingKeyRef, e.escalationRoutingKeyRef],
    [N.approvalLinkKeyRef, e.approvalLinkKeyRef],
    [N.approvalBaseUrl, e.approvalBaseUrl],
    [N.approvalEmailFrom, e.approvalEmailFrom],
    [N.configFile, e.configFile],
    [N.inventoryFile, e.inventoryFile],
    [N.alertRoutingFile, e.alertRoutingFile],
    [N.killSwitchParameter, e.killSwitchParameter],
    [N.dryRun, e.dryRun],
  ]);
}
