/**
 * Approval timeout sweeper. Trigger: a schedule (EventBridge Scheduler or rule, e.g. every 5 minutes);
 * the event's content is ignored. Effect: finds pending approval requests past their expiry (the
 * approval table's `status-expiresAt` index) and applies each one's timeout behaviour —
 * `escalate`: page (PagerDuty, keyed on the request id) and mark it `expired`; `act`: mark it
 * `approved` by `timeout-policy` and hand the plan to the executor, as a human approval would.
 * Side effects: DynamoDB query and conditional writes, PagerDuty trigger events, executor hand-overs,
 * one audit record per settled request. Idempotency: each settlement is a conditional write
 * (`pending` and expired), so overlapping runs settle a request once; a page is repeated only when
 * the write after it failed, and PagerDuty folds the repeat into the same incident (same dedup key).
 * A request whose settlement fails stays `pending` and is retried by the next run; the run then ends
 * with an error so the function's error metric (and its alarm) shows it. An approval item that cannot
 * be read as a request is skipped and reported (an error log line naming it and the EMF metric
 * `MalformedApprovalRecords`), and the sweep goes on with the others: a human must repair or delete it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { makeWorkQueue } from '../adapters/approval-channel';
import { makeApprovalStore } from '../adapters/approval-store';
import { builtOnFirstCall } from '../adapters/lambda-io';
import { publishPagerDutyEvent } from '../adapters/pagerduty';
import { makeAuditLog } from '../adapters/remediation/audit';
import { makeSecretReader } from '../adapters/secrets';
import { formatEscalationPage } from '../core/approval/escalation';
import { toRemediationAuditRecord } from '../core/approval/request';
import { createTimeoutSweeper, type SweepReport } from '../core/flows/approval-timeouts-flow';
import { makeJsonLog } from '../core/lambda-io';
import { readApprovalTimeoutsSettings as readSweeperSettings } from '../functions/approval-timeouts/spec';

export {
  type ApprovalTimeoutsSettings as SweeperSettings,
  readApprovalTimeoutsSettings as readSweeperSettings,
} from '../functions/approval-timeouts/spec';
export { createTimeoutSweeper, type SweepReport, type SweeperDeps } from '../core/flows/approval-timeouts-flow';

// ---------------------------------------------------------------------------------------------
// Wiring from the environment (the only place that reads it)

/** Builds the sweep with real clients from the environment. */
export function sweeperFromEnvironment(env: Readonly<Record<string, string | undefined>>): () => Promise<SweepReport> {
  const settings = readSweeperSettings(env);
  const log = makeJsonLog('vigil-approval-timeouts');
  const routingKeyRef = settings.escalationRoutingKeyRef;
  const secrets = makeSecretReader();
  const enqueue = makeWorkQueue(new SQSClient({}), settings.workQueueUrl);
  const now = () => new Date();
  const dynamo = new DynamoDBClient({});
  const auditLog = makeAuditLog({ client: dynamo, tableName: settings.auditTable });
  return createTimeoutSweeper({
    store: makeApprovalStore({ tableName: settings.tableName, client: dynamo }),
    execute: (request, approver) => enqueue({ kind: 'execute', requestId: request.id, approver }),
    escalate: async (request) => {
      if (!routingKeyRef) {
        // Nothing to page: the request still expires; this error line is the only trace of the escalation.
        log('error', 'approval request timed out with escalation, but no escalation routing key is configured', {
          requestId: request.id,
          fix: 'set approvals.escalationRoutingKeyRef in config/alerting.json and redeploy the security stack',
        });
        return;
      }
      const key = await secrets.read(routingKeyRef);
      await publishPagerDutyEvent(formatEscalationPage(request, key, now()));
    },
    audit: (record) => auditLog.append(toRemediationAuditRecord(record)),
    now,
  });
}

const sweepOnce = builtOnFirstCall<void, SweepReport>(() => sweeperFromEnvironment(process.env));

/** The Lambda handler (scheduled; the event is ignored). Built on first invocation, so tests can import the module. */
export const handler = (): Promise<SweepReport> => sweepOnce();
