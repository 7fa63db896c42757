/**
 * The approval timeout sweeper's settings: the environment variables it reads
 * ({@link APPROVAL_TIMEOUTS_ENV}), their typed form, the reader that checks them all at once, and
 * {@link environmentOf}, which writes them.
 */
import { type Environment, environmentFrom, readSettings } from '../settings';

/** The environment variables of the approval-timeouts function, by setting. */
export const APPROVAL_TIMEOUTS_ENV = {
  tableName: 'APPROVAL_TABLE',
  auditTable: 'REMEDIATION_AUDIT_TABLE',
  workQueueUrl: 'APPROVAL_WORK_QUEUE_URL',
  escalationRoutingKeyRef: 'ESCALATION_PAGERDUTY_ROUTING_KEY_REF',
} as const;

/** Settings read from the environment (every variable is required). */
export interface SweeperSettings {
  readonly tableName: string;
  /** The remediation audit log (append only), shared with the remediate function. */
  readonly auditTable: string;
  readonly workQueueUrl: string;
  /** Secret reference of the PagerDuty routing key that escalations page. */
  readonly escalationRoutingKeyRef: string;
}

/**
 * Reads and checks the environment; every problem is reported at once.
 * @throws ConfigurationError
 */
export function readSweeperSettings(env: Environment): SweeperSettings {
  return readSettings(env, 'approval timeout sweeper', (r) => {
    const N = APPROVAL_TIMEOUTS_ENV;
    return {
      tableName: r.text(N.tableName, { required: 'name of the approval table' }) ?? '',
      auditTable: r.text(N.auditTable, { required: 'the append-only audit log' }) ?? '',
      workQueueUrl: r.text(N.workQueueUrl, { required: 'queue the executor reads approved plans from' }) ?? '',
      escalationRoutingKeyRef:
        r.secretRef(N.escalationRoutingKeyRef, { required: 'secret reference of the PagerDuty routing key' }) ?? '',
    };
  });
}

/** The Lambda environment that {@link readSweeperSettings} reads back as `s`. */
export function environmentOf(s: SweeperSettings): Record<string, string> {
  return environmentFrom([
    [APPROVAL_TIMEOUTS_ENV.tableName, s.tableName],
    [APPROVAL_TIMEOUTS_ENV.auditTable, s.auditTable],
    [APPROVAL_TIMEOUTS_ENV.workQueueUrl, s.workQueueUrl],
    [APPROVAL_TIMEOUTS_ENV.escalationRoutingKeyRef, s.escalationRoutingKeyRef],
  ]);
}
