/**
 * Approve Lambda, behind a Lambda function URL (auth type NONE: every request is authenticated here).
 * Trigger: HTTP requests in the function URL payload format 2.0 —
 * `POST /slack/interactions` (Slack's interactivity Request URL: Approve / Reject / Undo clicks),
 * `GET /approve?token=…` (a signed link: shows a confirmation page, decides nothing) and
 * `POST /approve` (the page's form: decides). Effect: verifies the caller (Slack's request signature
 * or the link's HMAC), checks the decider is a configured approver and the request is still open,
 * records the decision with a conditional write (single-use), audits it, and on approval hands the
 * plan to the executor; Slack's message is then replaced through the click's `response_url`.
 * Side effects: DynamoDB reads and conditional writes on the approval table, one audit record per
 * decision or refusal, the `execute` / `undo` hand-over, posts to Slack's `response_url`.
 * Idempotency: a decision is single-use (the conditional write), a link's nonce is single-use, and a
 * replayed Slack request outside five minutes is refused by its timestamp; a repeated request gets 410.
 * Never throws to the caller: 400 malformed, 401 bad signature or token, 403 not an approver, 404/405
 * unknown route, 410 expired / already decided / replayed, 503 when the decision could not be recorded
 * or handed over (it is then reverted, so the approver can try again), 500 otherwise.
 *
 * Slack gives an interaction 3 seconds before it shows an error ("Handling user interaction"), so
 * nothing slow runs here: `execute` must hand the plan over (e.g. enqueue it) rather than run it.
 */
import { makeFindingsQueuePort } from '../adapters/findings/queue';
import { recordingVerdictFindings } from '../core/findings/verdicts';
import { readFindingsQueueUrl } from '../functions/findings';
import { CATALOG } from '../../rules/catalog';
import { makeVerdictStore } from '../adapters/verdict-store';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { makeWorkQueue, respondToSlack } from '../adapters/approval-channel';
import { makeApprovalStore } from '../adapters/approval-store';
import { makeAuditLog } from '../adapters/remediation/audit';
import { makeSecretReader } from '../adapters/secrets';
import { type ApprovalRequest, type ApprovedWork, toRemediationAuditRecord } from '../core/approval/request';
import { type ApprovalFlowDeps, createApprovalFlow } from '../core/flows/approval-flow';
import { plain } from '../core/flows/approval-page';
import type { HandOverOptions } from '../core/flows/approval-ports';
import { describeError, type FunctionUrlEvent, type FunctionUrlResult, makeJsonLogger } from '../core/lambda-io';
import { readApproveSettings, readApprovers } from '../functions/approve/spec';

export { type ApproveSettings, readApproveSettings, readApprovers } from '../functions/approve/spec';
export { MAX_BODY_BYTES } from '../core/flows/approval-flow';
export type { HandOverOptions } from '../core/flows/approval-ports';
export type { FunctionUrlEvent, FunctionUrlResult } from '../core/lambda-io';

/** What the handler needs; `handler` builds them from the environment, tests pass their own. */
export type ApproveDeps = Omit<ApprovalFlowDeps, 'respond'> & {
  /** Posts to a Slack `response_url`. @default respondToSlack */
  readonly respond?: ApprovalFlowDeps['respond'];
};

/** Builds the function URL handler (the workflow is handlers/core/flows/approval-flow.ts). */
export function createApproveHandler(deps: ApproveDeps): (event: FunctionUrlEvent) => Promise<FunctionUrlResult> {
  return createApprovalFlow({ ...deps, respond: deps.respond ?? ((url, message) => respondToSlack(url, message)) });
}

/** Builds the handler with real clients from the environment and the bundled remediation config. */
export function handlerFromEnvironment(env: Readonly<Record<string, string | undefined>>, dir: string) {
  const settings = readApproveSettings(env, dir);
  const approvers = readApprovers(settings.remediationConfigFile);
  const secrets = makeSecretReader();
  const sqs = new SQSClient({});
  const enqueue = makeWorkQueue(sqs, settings.workQueueUrl);
  const handOver =
    (kind: ApprovedWork['kind']) => (request: ApprovalRequest, approver: string, options: HandOverOptions) =>
      enqueue({ kind, requestId: request.id, approver, ...options });
  const { linkKeyRef, slackSigningSecretRef } = settings;
  const dynamo = new DynamoDBClient({});
  const auditLog = makeAuditLog({ client: dynamo, tableName: settings.auditTable });
  const verdicts = makeVerdictStore({ client: dynamo, tableName: settings.auditTable });
  // Verdicts update their finding (through the findings queue) when findings are on (issue #15).
  const findings = makeFindingsQueuePort(readFindingsQueueUrl(env, 'approve'), () => sqs);
  const log = makeJsonLogger('vigil-approve').log;
  return createApproveHandler({
    store: makeApprovalStore({ tableName: settings.tableName, client: dynamo }),
    approvers,
    ...(slackSigningSecretRef === undefined ? {} : { slackSigningSecret: () => secrets.read(slackSigningSecretRef) }),
    ...(linkKeyRef === undefined ? {} : { linkKey: () => secrets.read(linkKeyRef) }),
    execute: handOver('execute'),
    undo: handOver('undo'),
    audit: (record) => auditLog.append(toRemediationAuditRecord(record)),
    recordVerdict: findings
      ? recordingVerdictFindings(verdicts, findings, (id) => CATALOG.find((d) => d.id === id), log)
      : verdicts,
    now: () => new Date(),
  });
}

let built: ((event: FunctionUrlEvent) => Promise<FunctionUrlResult>) | undefined;

/**
 * The Lambda handler. Built on first invocation (not at import, so tests can import this module
 * without an environment). A configuration error is logged and answered with a 500.
 */
export const handler = async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
  try {
    built ??= handlerFromEnvironment(process.env, __dirname);
  } catch (err) {
    makeJsonLogger('vigil-approve').log('error', 'configuration error', { error: describeError(err) });
    return plain(500, 'internal error');
  }
  return built(event);
};
