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
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type RemediationConfig, assertValidRemediationConfig } from '../../config/remediation';
import { CATALOG } from '../../rules/catalog';
import { PREDICATES } from '../../rules/predicates';
import { respondToSlack } from '../adapters/approval-channel';
import { makeApprovalStore } from '../adapters/approval-store';
import { makeEmailPublisher } from '../adapters/email';
import { makeNotifier } from '../adapters/notify';
import { publishPagerDutyEvent } from '../adapters/pagerduty';
import { makeAuditLog } from '../adapters/remediation/audit';
import { makeBreakerCounter } from '../adapters/remediation/breaker';
import { makeIdempotencyStore } from '../adapters/remediation/idempotency';
import { makeKillSwitchReader } from '../adapters/remediation/kill-switch';
import { makeMemberClient } from '../adapters/remediation/member-client';
import { makeRequestSigner } from '../adapters/remediation/request-mac';
import { makeSecretReader } from '../adapters/secrets';
import { asReplacement, formatApprovalMessage } from '../core/approval/slack-message';
import { parseHandlerInventory } from '../core/inventory-view';
import type { MemberIo } from '../core/remediation/member-contract';
import { makeOrchestratorContext, type OrchestratorPorts } from '../core/remediation/orchestrate';
import { REMEDIATIONS } from '../core/remediation/registry';
import { formatRemediationPage } from '../core/remediation/report';
import { linkMailerFor, makeApprovalPort } from '../adapters/remediation/approval-port';
import { makeOutcomeReporter, parseAlertDestinations } from '../adapters/remediation/outcome-reporter';
import { createHandler, type RemediateResult } from '../core/flows/remediate-flow';
import { makeJsonLog, type SqsBatchResponse } from '../core/lambda-io';
import { ConfigurationError } from '../errors';
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

// ---------------------------------------------------------------------------------------------
// Wiring from the environment (the only place that reads it)

/**
 * Builds the handler with real clients from the environment and the bundled config files. Member-account
 * I/O goes through the remediate-member function (`MEMBER_FUNCTION_NAME`), unless `member` is given:
 * tests pass the in-process adapters (handlers/adapters/remediation/member-io.ts makeLocalMemberIo).
 * They are not imported here on purpose: they would put the member services' SDK clients back into
 * this bundle (500 KB budget).
 * @throws ConfigurationError
 */
export function handlerFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  dir: string,
  member?: MemberIo,
) {
  const settings = readRemediateSettings(env, dir);
  const inventory = parseHandlerInventory(readJson(settings.inventoryFile), settings.inventoryFile);
  const destinations = parseAlertDestinations(readJson(settings.alertRoutingFile), settings.alertRoutingFile);
  const validated = assertValidRemediationConfig(
    readJson(settings.configFile),
    {
      accountIds: Object.keys(inventory.accounts),
      ouIds: Object.keys(inventory.organizationalUnits),
    },
    settings.configFile,
  );
  const config: RemediationConfig = {
    ...validated,
    dryRun: validated.dryRun || settings.forceDryRun,
    killSwitchParameter: settings.killSwitchParameter ?? validated.killSwitchParameter,
  };
  const { memberFunctionName, memberRequestKeyArn } = settings;
  if (!member && (!memberFunctionName || !memberRequestKeyArn)) {
    throw new ConfigurationError(
      'remediate handler configuration: MEMBER_FUNCTION_NAME and MEMBER_REQUEST_KEY_ARN: required ' +
        '(the remediate-member function, which makes every member-account read and change, and the KMS ' +
        'HMAC key its execute requests are signed with)',
    );
  }
  const io =
    member ??
    makeMemberClient({
      functionName: memberFunctionName!,
      sign: makeRequestSigner({ keyId: memberRequestKeyArn! }),
    });
  const write = (line: string) => console.log(line);
  const log = makeJsonLog('vigil-remediate', write);
  const now = () => new Date();
  const dynamo = new DynamoDBClient({});
  const secrets = makeSecretReader();
  const approvals = makeApprovalStore({ tableName: settings.approvalTable, client: dynamo });
  const { approvalSlackWebhookRef, escalationRoutingKeyRef } = settings;
  const mailLinks = linkMailerFor(settings, config.approvers.emails, (ref) => secrets.read(ref), log);
  if (!approvalSlackWebhookRef) {
    log(
      'warn',
      mailLinks
        ? 'APPROVAL_SLACK_WEBHOOK_REF is not set: approval requests are announced by link email only'
        : 'APPROVAL_SLACK_WEBHOOK_REF is not set: approval requests are stored but not announced',
    );
  }

  const ports: OrchestratorPorts = {
    now,
    readKillSwitch: makeKillSwitchReader({ client: new SSMClient({}), parameter: config.killSwitchParameter }),
    readTags: async (lookup) => {
      const out = await io.readTags(lookup);
      if (out.status === 'found') return { kind: 'read', tags: out.tags[lookup.arns[0]!] ?? {} };
      if (out.status === 'unavailable') return { kind: 'failed', error: out.reason };
      return { kind: 'not-taggable' };
    },
    readState: (target) => io.readState(target),
    execute: (target, calls, { actionId }) =>
      io.execute({
        accountId: target.accountId,
        action: target.action,
        requestId: actionId,
        calls,
        role: 'remediation',
      }),
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
      slackWebhookRef: approvalSlackWebhookRef,
      mailLinks,
      approverEmails: config.approvers.emails,
      log,
    }),
    escalate: async (escalation) => {
      if (!escalationRoutingKeyRef) {
        log('error', 'ESCALATION (no ESCALATION_PAGERDUTY_ROUTING_KEY_REF set)', { ...escalation });
        return;
      }
      const key = await secrets.read(escalationRoutingKeyRef);
      await publishPagerDutyEvent(formatRemediationPage(escalation, key, now()));
    },
    log,
  };

  return createHandler({
    context: makeOrchestratorContext({
      config,
      inventory,
      catalog: CATALOG,
      predicates: PREDICATES,
      actions: REMEDIATIONS,
      naming: { centralBusArn: settings.centralBusArn, deployRoleName: settings.deployRoleName },
    }),
    ports,
    // Undo runs through the member accounts' separate, approval-only undo role.
    undoExecute: (target, calls, { actionId }) =>
      io.execute({ accountId: target.accountId, action: target.action, requestId: actionId, calls, role: 'undo' }),
    reportOutcome: makeOutcomeReporter(
      makeNotifier({ secrets, publishEmail: makeEmailPublisher(), now }),
      log,
      destinations,
    ),
    respondToApprover: async (responseUrl, requestId) => {
      const request = await approvals.get(requestId);
      if (request) {
        await respondToSlack(
          responseUrl,
          asReplacement(formatApprovalMessage(request, { undoable: request.status === 'executed' })),
        );
      }
    },
    write,
  });
}

let built: ReturnType<typeof createHandler> | undefined;

/**
 * The Lambda handler. Built on first invocation (not at import, so tests can import this module
 * without an environment); a configuration error fails the invocation (Lambda retries, then the
 * on-failure destination keeps the payload).
 */
export const handler = async (input: unknown): Promise<RemediateResult | SqsBatchResponse> => {
  built ??= handlerFromEnvironment(process.env, __dirname);
  return built(input);
};

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigurationError(`cannot read ${file}: ${(err as Error).message}`);
  }
}
