/**
 * Remediate Lambda. Triggers: the `<prefix>-remediation` SQS queue (ReportBatchItemFailures), whose
 * messages are either a remediation request from triage (`{"detectionId", "event", "alertRef"}`,
 * handlers/core/remediation/request-contract.ts) or approved work from the approval flow (`{"kind":
 * "execute" | "undo", "requestId", "approver", "responseUrl"?}`); a direct invoke with either payload
 * (or `{"approvedRequestId", "approver"}`) returns the decision, for operators and tests. Anything else
 * is logged and dropped, never acted on.
 * Effect: runs the remediation pipeline (handlers/core/remediation/: guards, mode by rollout table,
 * exemptions, kill switch, fresh state, plan, dry-run, idempotency, circuit breaker), acts on exactly the
 * offending item in the member account, verifies it, and reports the outcome (alert update, PagerDuty
 * resolve or page, EMF metrics). Side effects: every member-account read and change is a synchronous
 * invoke of `<prefix>-remediate-member`, the only function whose role may assume the member roles, with
 * execute requests signed by a KMS HMAC key; DynamoDB writes to the state table (idempotency claims,
 * breaker counters), the audit table (append only) and the approval table; SSM GetParameter of the kill
 * switch; Slack, PagerDuty and SNS deliveries; SES emails of signed approval links. Idempotency: one
 * claim per CloudTrail eventID and action (and per approved request), taken before the first write.
 * A decision never throws; only a broken dependency does, so SQS redelivers the message.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { CATALOG } from '../../rules/catalog';
import { PREDICATES } from '../../rules/predicates';
import { makeFindingsQueuePort } from '../adapters/findings/queue';
import { readFindingsQueueUrl } from '../functions/findings';
import { makeApprovalStore } from '../adapters/approval-store';
import { makeEmailPublisher } from '../adapters/email';
import { makeInventorySource, rebuiltPerInventory } from '../adapters/inventory-source';
import { builtOnFirstCall } from '../adapters/lambda-io';
import { makeNotifier } from '../adapters/notify';
import { linkMailerFor, makeApprovalPort, makeApproverResponder } from '../adapters/remediation/approval-port';
import { makeAuditLog } from '../adapters/remediation/audit';
import { makeBreakerCounter } from '../adapters/remediation/breaker';
import { readRemediateFiles } from '../adapters/remediation/bundled-config';
import { makeIdempotencyStore } from '../adapters/remediation/idempotency';
import { makeKillSwitchReader } from '../adapters/remediation/kill-switch';
import { memberIoFor, memberPorts } from '../adapters/remediation/member-ports';
import { makeEscalator, makeOutcomeReporter } from '../adapters/remediation/outcome-reporter';
import { makeSecretReader } from '../adapters/secrets';
import { createHandler, type RemediateResult } from '../core/flows/remediate-flow';
import { makeJsonLog, type SqsBatchResponse } from '../core/lambda-io';
import type { MemberIo } from '../core/remediation/member-contract';
import { makeOrchestratorContext } from '../core/remediation/orchestrate';
import { REMEDIATIONS } from '../core/remediation/registry';
import { readRemediateSettings } from '../functions/remediate/spec';

export { emailApprovalLinks } from '../adapters/remediation/approval-port';
export { type RemediateSettings, readRemediateSettings } from '../functions/remediate/spec';
export {
  type AlertDestinations,
  configuredRouting,
  makeOutcomeReporter,
  parseAlertDestinations,
} from '../adapters/remediation/outcome-reporter';
export {
  createHandler,
  executeApproved,
  type OutcomeReporter,
  type RemediateDeps,
  type RemediateResult,
  undoApproved,
} from '../core/flows/remediate-flow';

export type { SqsBatchResponse, SqsEvent, SqsRecord } from '../core/lambda-io';

/**
 * Builds the handler with real clients from the environment, the bundled config files and the account
 * view of the inventory table (rebuilt when a deploy changes it). Member-account I/O goes through the
 * remediate-member function (`MEMBER_FUNCTION_NAME`), unless `member` is given: tests pass the
 * in-process adapters (handlers/adapters/remediation/member-io.ts makeLocalMemberIo). They are not
 * imported here on purpose: they would put the member services' SDK clients back into this bundle.
 * @throws ConfigurationError
 */
export function handlerFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  dir: string,
  member?: MemberIo,
) {
  const settings = readRemediateSettings(env, dir);
  const { destinations, configFor } = readRemediateFiles(settings);
  const { undoExecute, ...memberReads } = memberPorts(memberIoFor(settings, member));
  const write = (line: string) => console.log(line);
  const log = makeJsonLog('vigil-remediate', write);
  const now = () => new Date();
  const dynamo = new DynamoDBClient({});
  const secrets = makeSecretReader();
  const approvals = makeApprovalStore({ tableName: settings.approvalTable, client: dynamo });
  const inventories = makeInventorySource({ client: dynamo, tableName: settings.inventoryTable });
  // Lifecycle updates go on the findings queue when findings are on (issue #15).
  const findings = makeFindingsQueuePort(readFindingsQueueUrl(env, 'remediate'), () => new SQSClient({}));

  return rebuiltPerInventory(inventories, (inventory) => {
    const config = configFor(inventory);
    const mailLinks = linkMailerFor(settings, config.approvers.emails, (ref) => secrets.read(ref), log);
    if (!settings.approvalSlackWebhookRef) {
      log(
        'warn',
        mailLinks
          ? 'APPROVAL_SLACK_WEBHOOK_REF is not set: approval requests are announced by link email only'
          : 'APPROVAL_SLACK_WEBHOOK_REF is not set: approval requests are stored but not announced',
      );
    }
    return createHandler({
      context: makeOrchestratorContext({
        config,
        inventory,
        catalog: CATALOG,
        predicates: PREDICATES,
        actions: REMEDIATIONS,
        naming: { centralBusArn: settings.centralBusArn, deployRoleName: settings.deployRoleName },
      }),
      ports: {
        now,
        ...memberReads,
        readKillSwitch: makeKillSwitchReader({ client: new SSMClient({}), parameter: config.killSwitchParameter }),
        idempotency: makeIdempotencyStore({ client: dynamo, tableName: settings.stateTable }),
        takeBreakerSlot: makeBreakerCounter({
          client: dynamo,
          tableName: settings.stateTable,
          windowMinutes: config.circuitBreaker.windowMinutes,
        }),
        audit: makeAuditLog({ client: dynamo, tableName: settings.auditTable }),
        approvals: makeApprovalPort({
          approvals,
          secrets,
          slackWebhookRef: settings.approvalSlackWebhookRef,
          mailLinks,
          approverEmails: config.approvers.emails,
          log,
        }),
        escalate: makeEscalator({ routingKeyRef: settings.escalationRoutingKeyRef, secrets, now, log }),
        log,
      },
      undoExecute,
      reportOutcome: makeOutcomeReporter(
        makeNotifier({ secrets, publishEmail: makeEmailPublisher(), now }),
        log,
        destinations,
      ),
      respondToApprover: makeApproverResponder(approvals),
      ...(findings ? { findings } : {}),
      write,
    });
  });
}

/**
 * The Lambda handler. Built on first invocation (not at import, so tests can import this module
 * without an environment); a configuration error fails the invocation (Lambda retries, then the
 * on-failure destination keeps the payload).
 */
export const handler: (input: unknown) => Promise<RemediateResult | SqsBatchResponse> = builtOnFirstCall(() =>
  handlerFromEnvironment(process.env, __dirname),
);
