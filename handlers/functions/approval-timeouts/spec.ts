/**
 * approval-timeouts (scheduled every 5 minutes): expires, escalates or acts on approval requests past
 * their timeout. Its environment, written by the security stack from `approvalTimeoutsEnvironment` and
 * read by the function with `readApprovalTimeoutsSettings`.
 */
import type { SecretRef } from '../../core/alert';
import { type Env, optional, SettingsReader } from '../settings';

export const APPROVAL_TIMEOUTS_ENV = {
  approvalTable: 'APPROVAL_TABLE',
  auditTable: 'REMEDIATION_AUDIT_TABLE',
  workQueueUrl: 'APPROVAL_WORK_QUEUE_URL',
  escalationRoutingKeyRef: 'ESCALATION_PAGERDUTY_ROUTING_KEY_REF',
} as const;

export interface ApprovalTimeoutsSettings {
  readonly tableName: string;
  /** The remediation audit log (append only), shared with the remediate function. */
  readonly auditTable: string;
  readonly workQueueUrl: string;
  /**
   * PagerDuty routing key for requests that time out with escalation. @default - escalations are logged
   * as errors, not paged (alerting.json `approvals.escalationRoutingKeyRef` is optional)
   */
  readonly escalationRoutingKeyRef?: SecretRef;
}

const E = APPROVAL_TIMEOUTS_ENV;

export function approvalTimeoutsEnvironment(s: ApprovalTimeoutsSettings): Record<string, string> {
  return {
    [E.approvalTable]: s.tableName,
    [E.auditTable]: s.auditTable,
    [E.workQueueUrl]: s.workQueueUrl,
    ...optional(E.escalationRoutingKeyRef, s.escalationRoutingKeyRef),
  };
}

/** @throws ConfigurationError listing every problem */
export function readApprovalTimeoutsSettings(env: Env): ApprovalTimeoutsSettings {
  const r = new SettingsReader(env, 'approval timeout sweeper');
  const settings: ApprovalTimeoutsSettings = {
    tableName: r.required(E.approvalTable, 'name of the approval table'),
    auditTable: r.required(E.auditTable, 'the append-only audit log'),
    workQueueUrl: r.required(E.workQueueUrl, 'queue the executor reads approved plans from'),
    ...optional('escalationRoutingKeyRef', r.secretRef(E.escalationRoutingKeyRef)),
  };
  return r.done(settings);
}
