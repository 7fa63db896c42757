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
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type RemediationConfig, assertValidRemediationConfig } from '../../config/remediation';
import { CATALOG } from '../../rules/catalog';
import { PREDICATES } from '../../rules/predicates';
import { newApprovalRequestId, publishApprovalMessage, respondToSlack } from '../adapters/approval-channel';
import { type ApprovalLinkMailer, makeApprovalLinkMailer } from '../adapters/approval-email';
import { makeApprovalStore } from '../adapters/approval-store';
import { makeEmailPublisher } from '../adapters/email';
import { makeNotifier, type Notifier } from '../adapters/notify';
import { publishPagerDutyEvent } from '../adapters/pagerduty';
import { makeAuditLog } from '../adapters/remediation/audit';
import { makeBreakerCounter } from '../adapters/remediation/breaker';
import { makeIdempotencyStore } from '../adapters/remediation/idempotency';
import { makeKillSwitchReader } from '../adapters/remediation/kill-switch';
import { makeMemberClient } from '../adapters/remediation/member-client';
import { makeRequestSigner } from '../adapters/remediation/request-mac';
import { makeSecretReader } from '../adapters/secrets';
import { type Alert, type AlertRouting, CHANNEL_ROUTING_FIELDS } from '../core/alert';
import { type ApprovalRequest, type ApprovedWork, createApprovalRequest } from '../core/approval/request';
import { asReplacement, formatApprovalMessage } from '../core/approval/slack-message';
import { parseHandlerInventory } from '../core/inventory-view';
import type { MemberIo } from '../core/remediation/member-contract';
import {
  type Decision,
  describeError,
  executeApprovedRequest,
  type LogLevel,
  makeOrchestratorContext,
  type OrchestratorContext,
  type OrchestratorPorts,
  remediateEvent,
  type UndoResult,
  undoApprovedRequest,
} from '../core/remediation/orchestrate';
import { parseRemediateInput } from '../core/remediation/request-contract';
import { REMEDIATIONS } from '../core/remediation/registry';
import { alertRemediationFor, formatRemediationPage, remediationMetrics } from '../core/remediation/report';
import { isSqsEvent, makeJsonLog, type SqsBatchResponse } from '../core/lambda-io';
import { ConfigurationError, NotificationError } from '../errors';
import { type RemediateSettings, readRemediateSettings } from '../functions/remediate/spec';

export { type RemediateSettings, readRemediateSettings } from '../functions/remediate/spec';

export type { SqsBatchResponse, SqsEvent, SqsRecord } from '../core/lambda-io';

/** Reports a decision to the alert's channels; must not throw for a delivery failure it can log. */
export type OutcomeReporter = (decision: Decision) => Promise<void>;

/** What the handler needs; `handler` builds them from the environment, tests pass their own. */
export interface RemediateDeps {
  readonly context: OrchestratorContext;
  readonly ports: OrchestratorPorts;
  readonly reportOutcome: OutcomeReporter;
  /**
   * Replaces the approval message in Slack with the request's new state, through the click's
   * `response_url`. @default - the message is not updated
   */
  readonly respondToApprover?: (responseUrl: string, requestId: string) => Promise<void>;
  /** Where JSON log and EMF lines go. @default console.log */
  readonly write?: (line: string) => void;
  /**
   * Executes undo calls. Undo re-opens what was fixed (re-attaches a policy, stops a trail), so it
   * runs through the member accounts' separate, approval-only undo role, never the remediation role.
   * @default ports.execute
   */
  readonly undoExecute?: OrchestratorPorts['execute'];
}

/** What one direct invocation returns. */
export type RemediateResult = Decision | UndoResult | { readonly outcome: 'invalid'; readonly reason: string };

/** Builds the handler: direct invocations return the decision, SQS batches report item failures. */
export function createHandler(deps: RemediateDeps) {
  return async (input: unknown): Promise<RemediateResult | SqsBatchResponse> => {
    if (isSqsEvent(input)) {
      const batchItemFailures: Array<{ itemIdentifier: string }> = [];
      for (const record of input.Records) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(record.body);
        } catch {
          logLine(deps, 'error', 'dropping a message that is not JSON', { messageId: record.messageId });
          continue;
        }
        try {
          await dispatch(parsed, deps);
        } catch (err) {
          logLine(deps, 'error', 'message failed; SQS will redeliver it', {
            messageId: record.messageId,
            error: describeError(err),
          });
          batchItemFailures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures };
    }
    return dispatch(input, deps);
  };
}

async function dispatch(input: unknown, deps: RemediateDeps): Promise<RemediateResult> {
  const parsed = parseRemediateInput(input);
  if (parsed.kind === 'approved') {
    return parsed.work.kind === 'undo' ? undoApproved(parsed.work, deps) : executeApproved(parsed.work, deps);
  }
  if (parsed.kind === 'invalid') {
    // A malformed payload never improves on retry; it is logged and dropped, never acted on.
    logLine(deps, 'error', 'dropping malformed input', { reason: parsed.reason });
    return { outcome: 'invalid', reason: parsed.reason };
  }
  const decision = await remediateEvent(parsed.request, deps.context, deps.ports);
  await finish(decision, deps);
  return decision;
}

/**
 * Executes an approved request (approval flow: Slack click, signed link or the timeout policy). The
 * approval store's status, the current state and the approved calls are all checked again first.
 */
export async function executeApproved(work: ApprovedWork, deps: RemediateDeps): Promise<Decision> {
  const decision = await executeApprovedRequest(work, deps.context, deps.ports);
  await finish(decision, deps);
  await tellApprover(work, deps);
  return decision;
}

/**
 * Undoes the remediation of an approval request that was executed (the approval flow's Undo button).
 * The message grants nothing: the request's status, its undoer and the audit trail are re-read and checked
 * (orchestrate.ts undoApprovedRequest).
 */
export async function undoApproved(work: ApprovedWork, deps: RemediateDeps): Promise<UndoResult> {
  const ports = deps.undoExecute ? { ...deps.ports, execute: deps.undoExecute } : deps.ports;
  const { actionId, ...result } = await undoApprovedRequest(
    work,
    deps.context.config.approvers,
    ports,
    deps.context.actions,
  );
  logLine(deps, result.outcome === 'failed' ? 'error' : result.outcome === 'refused' ? 'warn' : 'info', 'undo', {
    actionId,
    requestId: work.requestId,
    actor: work.approver,
    outcome: result.outcome,
    reason: result.reason,
  });
  await tellApprover(work, deps);
  return result;
}

/** Log line, metrics line, alert update. */
async function finish(decision: Decision, deps: RemediateDeps): Promise<void> {
  const level: LogLevel = decision.outcome === 'failed' ? 'error' : decision.outcome === 'refused' ? 'warn' : 'info';
  logLine(deps, level, `remediation ${decision.outcome}`, {
    actionId: decision.actionId,
    detectionId: decision.detectionId,
    eventId: decision.eventId,
    accountId: decision.accountId,
    mode: decision.mode,
    outcome: decision.outcome,
    reason: decision.reason,
    modeReasons: decision.modeReasons,
    calls: decision.calls,
    actor: decision.actor,
    approvalRequestId: decision.approvalRequestId,
  });
  const known = deps.context.detections.get(decision.detectionId);
  const metrics = remediationMetrics(
    // Dimension values come from the catalog only: a made-up detection id must not create metrics.
    known ? decision : { ...decision, detectionId: 'unknown' },
    {
      severity: decision.alertRef?.alert?.detection.severity ?? known?.severity ?? 'unknown',
      ...(decision.alertRef?.sentAt ? { alertSentAt: decision.alertRef.sentAt } : {}),
      now: deps.ports.now(),
    },
  );
  if (metrics) (deps.write ?? console.log)(JSON.stringify(metrics));
  if (decision.outcome === 'duplicate') return;
  try {
    await deps.reportOutcome(decision);
  } catch (err) {
    // The outcome is in the audit log and the log line above; the alert update is best effort.
    logLine(deps, 'error', 'outcome not reported to the alert', {
      actionId: decision.actionId,
      error: describeError(err),
    });
  }
}

async function tellApprover(work: ApprovedWork, deps: RemediateDeps): Promise<void> {
  if (!work.responseUrl || !deps.respondToApprover) return;
  try {
    await deps.respondToApprover(work.responseUrl, work.requestId);
  } catch (err) {
    logLine(deps, 'warn', 'approval message not updated', { requestId: work.requestId, error: describeError(err) });
  }
}

/**
 * Reports outcomes through the notifications layer. With a Slack bot token, the alert triage posted
 * through the Web API is edited in place (`chat.update`, https://api.slack.com/methods/chat.update) to
 * show its new remediation status; incoming webhooks cannot edit a posted message, so without one
 * (or when the edit is refused for good: message deleted, bot removed) the new status is posted as a
 * follow-up: to Slack only, except for failures, which go to every routed channel (PagerDuty's
 * trigger with the alert's dedup key updates the open incident). A verified fix, or a resource found
 * already compliant, resolves the PagerDuty incident.
 */
export function makeOutcomeReporter(
  notifier: Pick<Notifier, 'notify' | 'resolve'> & Partial<Pick<Notifier, 'update'>>,
  log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void = () => undefined,
  destinations?: AlertDestinations,
): OutcomeReporter {
  return async (decision) => {
    const received = decision.alertRef?.alert;
    if (!received) {
      log('debug', 'no alert to update', { actionId: decision.actionId });
      return;
    }
    let alert = received;
    if (destinations) {
      // The alert crossed a queue: it may only name destinations of the alerting config.
      const checked = configuredRouting(received.routing, destinations);
      if (checked.dropped.length > 0) {
        log('warn', 'alert routing names destinations outside config/alerting.json; they are not used', {
          actionId: decision.actionId,
          dropped: checked.dropped,
        });
      }
      alert = { ...received, routing: checked.routing };
    }
    const updated: Alert = { ...alert, remediation: alertRemediationFor(decision) };
    const { slackChannel, slackWebhookRef, slackBotTokenRef, slackChannelId } = alert.routing;
    const slackOnly: Alert = {
      ...updated,
      routing: {
        ...(slackChannel ? { slackChannel } : {}),
        ...(slackWebhookRef ? { slackWebhookRef } : {}),
        ...(slackBotTokenRef ? { slackBotTokenRef } : {}),
        ...(slackChannelId ? { slackChannelId } : {}),
      },
    };
    if (decision.outcome === 'failed') {
      await notifier.notify(updated);
      return;
    }
    // Only a message in the alert's own bot channel: the reference crossed a queue too.
    const message = slackMessageRefOf(decision.alertRef?.slack, slackChannelId);
    let edited = false;
    if (message && slackBotTokenRef && notifier.update) {
      try {
        await notifier.update(updated, message);
        edited = true;
      } catch (err) {
        // A transient failure already had its retries: the caller logs it. A permanent one (message
        // deleted, bot removed from the channel) cannot heal, so the outcome goes out as a new message.
        if (!(err instanceof NotificationError && err.permanent)) throw err;
        log('warn', 'alert message not updated in place; posting the outcome as a follow-up', {
          actionId: decision.actionId,
          error: err.message,
        });
      }
    }
    if (!edited && (slackWebhookRef || slackBotTokenRef)) await notifier.notify(slackOnly);
    if (decision.outcome === 'fixed' || decision.outcome === 'already-compliant') await notifier.resolve(alert);
  };
}

/**
 * Where alerts may go: every channel of config/alerting.json (the default and each owner's) and the
 * alert topic. The security stack bundles it as `alert-routing.json`.
 */
export interface AlertDestinations {
  readonly routes: readonly AlertRouting[];
  readonly emailTopicArn: string;
}

const ROUTING_FIELDS = CHANNEL_ROUTING_FIELDS;

/**
 * The routing of an alert from the remediation request, field by field kept only when the alerting
 * config has that value for that field (triage merges an owner's routing over the default, so any mix
 * of configured values is legitimate); the email topic only when it is the alert topic. Whatever else
 * the request names (another secret remediate can read, another Slack channel) is dropped and listed.
 */
export function configuredRouting(
  routing: unknown,
  destinations: AlertDestinations,
): { readonly routing: AlertRouting; readonly dropped: string[] } {
  const given = (typeof routing === 'object' && routing !== null ? routing : {}) as Record<string, unknown>;
  const kept: Record<string, string> = {};
  const dropped: string[] = [];
  for (const field of ROUTING_FIELDS) {
    const value = given[field];
    if (value === undefined) continue;
    if (typeof value === 'string' && destinations.routes.some((r) => r[field] === value)) kept[field] = value;
    else dropped.push(field);
  }
  const topic = given['emailTopicArn'];
  if (topic !== undefined) {
    if (topic === destinations.emailTopicArn) kept['emailTopicArn'] = topic;
    else dropped.push('emailTopicArn');
  }
  return { routing: kept as AlertRouting, dropped };
}

/**
 * Checks a parsed `alert-routing.json`.
 * @throws ConfigurationError naming the file and the problem
 */
export function parseAlertDestinations(raw: unknown, source: string): AlertDestinations {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const routes = o['routes'];
  const valid =
    Array.isArray(routes) &&
    routes.every(
      (r) =>
        typeof r === 'object' &&
        r !== null &&
        Object.values(r as Record<string, unknown>).every((v) => typeof v === 'string'),
    ) &&
    typeof o['emailTopicArn'] === 'string';
  if (!valid) {
    throw new ConfigurationError(
      `${source}: expected {"routes": [{"slackWebhookRef": "...", ...}], "emailTopicArn": "arn:aws:sns:..."} ` +
        '(the security stack writes it from config/alerting.json)',
    );
  }
  return { routes: routes as AlertRouting[], emailTopicArn: o['emailTopicArn'] as string };
}

/**
 * `{channel, ts}` from the remediation request, which crossed a queue: checked, not trusted. Only a
 * message in `channelId` (the alert's bot channel) is edited, never one elsewhere the bot can reach.
 */
function slackMessageRefOf(value: unknown, channelId: string | undefined): { channel: string; ts: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { channel, ts } = value as Record<string, unknown>;
  return typeof channel === 'string' && channel !== '' && channel === channelId && typeof ts === 'string' && ts !== ''
    ? { channel, ts }
    : undefined;
}

function logLine(deps: RemediateDeps, level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
  (deps.write ?? console.log)(JSON.stringify({ level, message, service: 'vigil-remediate', ...fields }));
}

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
    approvals: {
      async open(opening) {
        const request = createApprovalRequest({
          id: newApprovalRequestId(),
          detectionId: opening.detection.id,
          detectionTitle: opening.detection.title,
          eventId: opening.eventId,
          plan: opening.plan,
          timeout: opening.timeout,
          now: opening.now,
        });
        await approvals.put(request);
        if (approvalSlackWebhookRef) {
          try {
            await publishApprovalMessage(await secrets.read(approvalSlackWebhookRef), formatApprovalMessage(request));
          } catch (err) {
            // The request exists; the timeout sweeper escalates it if nobody sees it in time.
            log('error', 'approval message not posted', { requestId: request.id, error: describeError(err) });
          }
        }
        if (mailLinks) await emailApprovalLinks(mailLinks, request, config.approvers.emails, log);
        return { requestId: request.id };
      },
      get: (id) => approvals.get(id),
      markExecuted: (id, write) => approvals.markExecuted(id, write),
    },
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

/**
 * The link mailer, when signed links are fully configured (key, sender, base URL) and there is
 * somebody to mail; otherwise undefined, with a warning when the configuration is half done.
 */
function linkMailerFor(
  settings: RemediateSettings,
  approverEmails: readonly string[],
  readSecret: (ref: string) => Promise<string>,
  log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void,
): ApprovalLinkMailer | undefined {
  const { approvalLinkKeyRef: keyRef, approvalEmailFrom: from, approvalBaseUrl: baseUrl } = settings;
  const set = [keyRef, from, baseUrl].filter((v) => v !== undefined).length;
  if (set === 0) return undefined;
  if (set < 3) {
    log(
      'warn',
      'approval link emails are off: APPROVAL_LINK_KEY_REF, APPROVAL_EMAIL_FROM and APPROVAL_BASE_URL are all needed',
    );
    return undefined;
  }
  if (approverEmails.length === 0) return undefined;
  return makeApprovalLinkMailer({
    ses: new SESv2Client({}),
    from: from!,
    key: () => readSecret(keyRef!),
    baseUrl: baseUrl!,
  });
}

/**
 * Emails each approver their own links. Never throws: the request is stored and (normally) announced
 * in Slack already, the primary channel; a lost email costs a channel, not the request.
 */
export async function emailApprovalLinks(
  mail: ApprovalLinkMailer,
  request: ApprovalRequest,
  approverEmails: readonly string[],
  log: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void,
): Promise<void> {
  try {
    const { sent, failed } = await mail(request, approverEmails);
    for (const { email, error } of failed) {
      log('error', 'approval link email not sent', { requestId: request.id, approver: email, error });
    }
    if (sent.length > 0) log('info', 'approval link emails sent', { requestId: request.id, approvers: sent });
  } catch (err) {
    log('error', 'approval link emails not sent', { requestId: request.id, error: describeError(err) });
  }
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
