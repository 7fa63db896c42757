/**
 * The approval workflow behind the approve function's URL: routes the request, verifies the caller (Slack's
 * request signature or a signed link), applies the decision rules (handlers/core/approval/decide.ts),
 * records the decision with a conditional write, audits it and hands it to the executor, undoing the write
 * when a later step fails; then answers Slack (its `response_url`) or the link's page. Ports only: the
 * approval store, the executor hand-over, the audit log, Slack, the secrets and the clock.
 * handlers/entrypoints/approve.ts builds the adapters; see its header for the HTTP contract.
 */
import type { Approvers } from '../../../config/remediation';
import { ApprovalConflictError } from '../../errors';
import { type Decider, type DecisionKind, decideApproval, deciderId } from '../approval/decide';
import { type ApprovalAuditRecord, type ApprovalRequest, approvalAuditRecord } from '../approval/request';
import { type LinkClaims, verifyLinkToken } from '../approval/signed-link';
import {
  type ApprovalSlackMessage,
  asReplacement,
  formatApprovalMessage,
  formatNotice,
  type SlackNotice,
} from '../approval/slack-message';
import { parseSlackInteraction, type VerdictClick, verifySlackSignature } from '../approval/slack-signature';
import { VERDICT_LABELS, type VerdictRecord, verdictMetric } from '../verdict';
import {
  describeError as describe,
  type FunctionUrlEvent,
  type FunctionUrlResult,
  functionUrlBody,
  makeJsonLogger,
  type WriteLine,
} from '../lambda-io';
import {
  type ApprovalRefusal,
  html,
  notAllowed,
  page,
  plain,
  REFUSAL_STATUS,
  refusalPage,
  requestSummaryHtml,
} from './approval-page';
import type { ApprovalStore, HandOverOptions } from './approval-ports';

/** What the approval workflow needs: its ports. */
export interface ApprovalFlowDeps {
  readonly store: Pick<ApprovalStore, 'get' | 'decide' | 'markUndone' | 'revert' | 'useNonce'>;
  readonly approvers: Approvers;
  /** The Slack app's signing secret (read through a secret reference; cached by the reader). */
  /** @default - Slack interactivity is not configured: `/slack/interactions` answers 404 */
  readonly slackSigningSecret?: () => Promise<string>;
  /** HMAC key of signed links. @default - signed links are not served (404) */
  readonly linkKey?: () => Promise<string>;
  /**
   * Hands an approved request to the executor. Must return within about a second (Slack's 3-second
   * limit): enqueue, do not run. Throwing reverts the approval, so the approver can try again.
   */
  readonly execute: (request: ApprovalRequest, approver: string, options: HandOverOptions) => Promise<void>;
  /**
   * Hands an undo to the executor, as `execute`. @default - undo is refused (`not-undoable`) and the
   * message offers no Undo button
   */
  readonly undo?: (request: ApprovalRequest, approver: string, options: HandOverOptions) => Promise<void>;
  /** Appends one record to the audit log. A decision that cannot be audited is reverted. */
  readonly audit: (record: ApprovalAuditRecord) => Promise<void>;
  /** Posts to a Slack `response_url`. */
  readonly respond: (responseUrl: string, message: ApprovalSlackMessage | SlackNotice) => Promise<void>;
  readonly now: () => Date;
  /** Where JSON log lines go. @default console.log */
  readonly write?: WriteLine;
  /**
   * Records a responder's verdict on an alert (its Slack buttons). Throwing answers the click with
   * "not recorded, try again". @default - verdict clicks are answered "not recorded here"
   */
  readonly recordVerdict?: (record: VerdictRecord) => Promise<void>;
}

/** Bodies larger than this are refused unread: a Slack interaction payload is a few tens of KB. */
export const MAX_BODY_BYTES = 256 * 1024;

type Outcome =
  | { readonly kind: 'done'; readonly request: ApprovalRequest; readonly decision: DecisionKind }
  | {
      readonly kind: 'refused';
      readonly refusal: ApprovalRefusal;
      readonly reason: string;
      /** The request as it stands, when it could be read. */
      readonly request?: ApprovalRequest;
    }
  /** Not recorded or not handed over; reverted (or the revert failed too, which is logged). */
  | { readonly kind: 'failed'; readonly reason: string };

/** Builds the function URL handler. */
export function createApprovalFlow(deps: ApprovalFlowDeps): (event: FunctionUrlEvent) => Promise<FunctionUrlResult> {
  const { log, emit } = makeJsonLogger('vigil-approve', deps.write);
  const { respond } = deps;

  /** Audit records of refusals are best effort: the refusal changed nothing, so it must not turn into a 500. */
  const auditQuietly = async (record: ApprovalAuditRecord) => {
    try {
      await deps.audit(record);
    } catch (err) {
      log('error', 'audit record not written', { record, error: describe(err) });
    }
  };

  /**
   * Checks, records, audits and hands over one decision. Every step that can fail after the
   * conditional write undoes that write, so a request is never left approved with nothing running.
   */
  const applyDecision = async (input: {
    readonly requestId: string;
    readonly kind: DecisionKind;
    readonly decider: Decider;
    readonly responseUrl?: string;
    readonly link?: LinkClaims;
  }): Promise<Outcome> => {
    const { requestId, kind, decider } = input;
    const now = deps.now();
    const channel = decider.channel;
    const request = await deps.store.get(requestId);
    if (!request) return { kind: 'refused', refusal: 'not-found', reason: `no approval request ${requestId}` };

    const verdict = decideApproval({ request, kind, decider, approvers: deps.approvers, now });
    const refuse = async (
      refusal: Exclude<ApprovalRefusal, 'not-found'>,
      reason: string,
      current?: ApprovalRequest,
    ) => {
      const actor = deciderId(decider);
      log('warn', 'decision refused', { requestId, kind, refusal, reason, actor, channel });
      await auditQuietly(approvalAuditRecord(request, { action: 'refused', actor, channel, at: now, reason }));
      return { kind: 'refused', refusal, reason, request: current ?? request } as const;
    };
    if (!verdict.accepted) return refuse(verdict.refusal, verdict.reason);
    if (kind === 'undo' && !deps.undo) return refuse('not-undoable', 'undo is not available for this deployment');

    if (input.link) {
      try {
        await deps.store.useNonce(input.link.nonce, {
          requestId,
          expiresAt: new Date(input.link.expiresAt * 1000),
          now,
        });
      } catch (err) {
        if (!(err instanceof ApprovalConflictError)) throw err;
        return refuse('token-used', 'this link was used before');
      }
    }

    const by = verdict.decidedBy;
    let decided: ApprovalRequest;
    try {
      decided =
        kind === 'undo'
          ? await deps.store.markUndone(requestId, { undoneBy: by, now })
          : await deps.store.decide(requestId, {
              to: kind === 'approve' ? 'approved' : 'rejected',
              decidedBy: by,
              now,
            });
    } catch (err) {
      if (!(err instanceof ApprovalConflictError)) throw err;
      // Lost a race (another click, the sweeper) between the read and the write.
      const current = await deps.store.get(requestId);
      const refusal = err.conflict === 'expired' ? 'expired' : kind === 'undo' ? 'not-undoable' : 'already-decided';
      return refuse(refusal, err.message, current);
    }

    const revert = async (reason: string, cause: unknown): Promise<Outcome> => {
      log('error', 'decision reverted', { requestId, kind, actor: by, reason, error: describe(cause) });
      try {
        await deps.store.revert(requestId, {
          from: decided.status as 'approved' | 'rejected' | 'undone',
          decidedBy: by,
        });
      } catch (err) {
        log('error', 'revert failed; the request needs a human', {
          requestId,
          status: decided.status,
          error: describe(err),
        });
        return { kind: 'failed', reason };
      }
      // Strictly after the decision's record: audit records of one action are keyed by time.
      const at = new Date(Math.max(deps.now().getTime(), now.getTime() + 1));
      await auditQuietly(approvalAuditRecord(decided, { action: 'reverted', actor: by, channel, at, reason }));
      return { kind: 'failed', reason };
    };

    const action = kind === 'approve' ? 'approved' : kind === 'reject' ? 'rejected' : 'undo-requested';
    try {
      await deps.audit(approvalAuditRecord(decided, { action, actor: by, channel, at: now }));
    } catch (err) {
      return revert('the decision could not be written to the audit log', err);
    }
    const options: HandOverOptions = input.responseUrl ? { responseUrl: input.responseUrl } : {};
    try {
      if (kind === 'approve') await deps.execute(decided, by, options);
      if (kind === 'undo') await deps.undo?.(decided, by, options);
    } catch (err) {
      return revert('the remediation could not be handed to the executor', err);
    }
    log('info', `request ${action}`, { requestId, actor: by, channel, detectionId: decided.detectionId });
    return { kind: 'done', request: decided, decision: kind };
  };

  /** Best effort: the decision stands whether or not Slack takes the message update. */
  const tellSlack = async (responseUrl: string, message: ApprovalSlackMessage | SlackNotice) => {
    try {
      await respond(responseUrl, message);
    } catch (err) {
      log('warn', 'Slack response_url post failed', { error: describe(err) });
    }
  };

  const slackMessageFor = (outcome: Outcome, now: Date): ApprovalSlackMessage | SlackNotice => {
    const undoable = deps.undo !== undefined;
    switch (outcome.kind) {
      case 'done':
        return asReplacement(formatApprovalMessage(outcome.request, { undoable }));
      case 'failed':
        return formatNotice(
          `Your decision was not recorded and nothing was changed (${outcome.reason}). Please try again.`,
        );
      case 'refused': {
        const { request } = outcome;
        if (outcome.refusal === 'not-approver') {
          return formatNotice('Only configured approvers can decide vigil remediations; nothing was changed.');
        }
        if (!request) return formatNotice('This approval request no longer exists; nothing was changed.');
        if (outcome.refusal === 'expired' && request.status === 'pending' && now >= new Date(request.expiresAt)) {
          // The sweeper has not settled it yet; show the message as expired so nobody clicks again.
          return asReplacement(formatApprovalMessage({ ...request, status: 'expired' }));
        }
        if (outcome.refusal === 'not-undoable' && request.status === 'executed') {
          return formatNotice(`Undo is not available: ${outcome.reason}.`);
        }
        // Already decided (or undone): replace the stale buttons with the request as it stands.
        return asReplacement(formatApprovalMessage(request, { undoable }));
      }
    }
  };

  const slackInteraction = async (
    event: FunctionUrlEvent,
    signingSecret: () => Promise<string>,
  ): Promise<FunctionUrlResult> => {
    const body = functionUrlBody(event, MAX_BODY_BYTES);
    if (body === undefined) return plain(413, 'request body too large');
    const now = deps.now();
    const check = verifySlackSignature({
      signingSecret: await signingSecret(),
      timestamp: event.headers?.['x-slack-request-timestamp'],
      signature: event.headers?.['x-slack-signature'],
      rawBody: body,
      now,
    });
    if (!check.ok) {
      log('warn', 'Slack signature refused', { failure: check.failure, sourceIp: event.requestContext.http.sourceIp });
      return plain(401, 'invalid request signature');
    }
    const parsed = parseSlackInteraction(body);
    if (!parsed.ok) {
      log('warn', 'Slack interaction not understood', { reason: parsed.reason });
      return plain(400, 'unsupported interaction');
    }
    const { click } = parsed;
    if (click.kind === 'verdict') return verdictClick(click, now);
    const outcome = await applyDecision({
      requestId: click.requestId,
      kind: click.kind,
      decider: { channel: 'slack', userId: click.userId },
      responseUrl: click.responseUrl,
    });
    await tellSlack(click.responseUrl, slackMessageFor(outcome, now));
    if (outcome.kind === 'done') return plain(200, '');
    if (outcome.kind === 'failed') return plain(503, 'decision not recorded; try again');
    return plain(REFUSAL_STATUS[outcome.refusal], outcome.refusal);
  };

  /** Records a verdict click and thanks the responder (only they see the answer). */
  const verdictClick = async (click: VerdictClick, now: Date): Promise<FunctionUrlResult> => {
    const label = VERDICT_LABELS[click.verdict].toLowerCase();
    if (!deps.recordVerdict) {
      await tellSlack(click.responseUrl, formatNotice('Verdicts are not recorded by this vigil deployment.'));
      return plain(404, 'verdicts are not recorded');
    }
    const record: VerdictRecord = {
      detectionId: click.detectionId,
      accountId: click.accountId,
      eventId: click.eventId,
      verdict: click.verdict,
      actor: `slack:${click.userId}`,
      at: now.toISOString(),
    };
    try {
      await deps.recordVerdict(record);
    } catch (err) {
      log('error', 'verdict not recorded', { ...record, error: describe(err) });
      await tellSlack(click.responseUrl, formatNotice('Your verdict was not recorded. Please try again.'));
      return plain(503, 'verdict not recorded; try again');
    }
    log('info', 'verdict recorded', { ...record });
    emit(verdictMetric(record, now.getTime()));
    await tellSlack(
      click.responseUrl,
      formatNotice(
        `Recorded: ${label} for ${click.detectionId} (event ${click.eventId}). Verdicts feed the precision per ` +
          'detection on the KPI dashboard; a later click replaces yours in the count of that alert.',
      ),
    );
    return plain(200, '');
  };

  /** Verifies a link token; an error page when it is missing, forged or expired. */
  const checkToken = async (
    token: string | undefined,
    key: () => Promise<string>,
  ): Promise<{ ok: true; claims: LinkClaims } | { ok: false; page: FunctionUrlResult }> => {
    if (!token) return { ok: false, page: page(400, 'Invalid link', 'This link is incomplete.') };
    const check = verifyLinkToken(token, await key(), deps.now());
    if (check.ok) return check;
    log('warn', 'signed link refused', { failure: check.failure });
    if (check.failure === 'expired') {
      return { ok: false, page: page(410, 'Link expired', 'This approval link has expired; nothing was changed.') };
    }
    if (check.failure === 'malformed') return { ok: false, page: page(400, 'Invalid link', 'This link is damaged.') };
    return { ok: false, page: page(401, 'Invalid link', 'This link is not valid.') };
  };

  /** GET: show what the link would do and a button that POSTs it. Link-preview bots only ever GET. */
  const linkPage = async (event: FunctionUrlEvent, key: () => Promise<string>): Promise<FunctionUrlResult> => {
    const token = event.queryStringParameters?.token;
    const checked = await checkToken(token, key);
    if (!checked.ok) return checked.page;
    const { claims } = checked;
    const request = await deps.store.get(claims.requestId);
    if (!request) return refusalPage('not-found', undefined);
    const verdict = decideApproval({
      request,
      kind: claims.decision,
      decider: { channel: 'link', email: claims.approver },
      approvers: deps.approvers,
      now: deps.now(),
    });
    if (!verdict.accepted) return refusalPage(verdict.refusal, request);
    const verb = claims.decision === 'approve' ? 'Approve' : 'Reject';
    return page(
      200,
      `${verb} remediation?`,
      `${requestSummaryHtml(request)}
<p>You are signed in by this link as <b>${html(claims.approver)}</b>. The link expires at ${html(request.expiresAt)}.</p>
<form method="post" action="/approve">
<input type="hidden" name="token" value="${html(token ?? '')}">
<button type="submit">${verb}</button>
</form>`,
    );
  };

  /** POST: decide. The token comes in the form body, so it stays out of logs and the Referer. */
  const linkDecision = async (event: FunctionUrlEvent, key: () => Promise<string>): Promise<FunctionUrlResult> => {
    const body = functionUrlBody(event, MAX_BODY_BYTES);
    if (body === undefined) return page(413, 'Request too large', 'The request is too large.');
    const checked = await checkToken(new URLSearchParams(body).get('token') ?? undefined, key);
    if (!checked.ok) return checked.page;
    const { claims } = checked;
    const outcome = await applyDecision({
      requestId: claims.requestId,
      kind: claims.decision,
      decider: { channel: 'link', email: claims.approver },
      link: claims,
    });
    switch (outcome.kind) {
      case 'done':
        return outcome.decision === 'approve'
          ? page(200, 'Approved', `${requestSummaryHtml(outcome.request)}<p>Approved. The remediation is running.</p>`)
          : page(200, 'Rejected', `${requestSummaryHtml(outcome.request)}<p>Rejected. Nothing was changed.</p>`);
      case 'failed':
        return page(
          503,
          'Not recorded',
          `Your decision was not recorded and nothing was changed (${html(outcome.reason)}). Please try again.`,
        );
      case 'refused':
        return refusalPage(outcome.refusal, outcome.request);
    }
  };

  const route = async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    const method = event.requestContext?.http?.method ?? '';
    const path = event.rawPath ?? '';
    if (path === '/slack/interactions') {
      const secret = deps.slackSigningSecret;
      if (!secret) return plain(404, 'not found');
      return method === 'POST' ? slackInteraction(event, secret) : notAllowed('POST');
    }
    if (path === '/approve') {
      const key = deps.linkKey;
      if (!key) return plain(404, 'not found');
      if (method === 'GET') return linkPage(event, key);
      if (method === 'POST') return linkDecision(event, key);
      return notAllowed('GET, POST');
    }
    return plain(404, 'not found');
  };

  return async (event) => {
    try {
      return await route(event);
    } catch (err) {
      // Never the error itself: it may name tables, queues or secrets.
      log('error', 'approval request failed', { error: describe(err), path: event?.rawPath });
      return plain(500, 'internal error');
    }
  };
}
