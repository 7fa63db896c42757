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
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Approvers } from '../../config/remediation';
import { makeApprovalStore, type ApprovalStore } from '../adapters/approval-store';
import { makeAuditLog } from '../adapters/remediation/audit';
import { makeWorkQueue, respondToSlack } from '../adapters/approval-channel';
import { makeSecretReader } from '../adapters/secrets';
import { type Decider, type DecisionKind, decideApproval, deciderId, type Refusal } from '../core/approval/decide';
import {
  type ApprovalAuditRecord,
  type ApprovalRequest,
  type ApprovedWork,
  approvalAuditRecord,
  toRemediationAuditRecord,
} from '../core/approval/request';
import { type LinkClaims, verifyLinkToken } from '../core/approval/signed-link';
import {
  type ApprovalSlackMessage,
  asReplacement,
  formatApprovalMessage,
  formatNotice,
  type SlackNotice,
} from '../core/approval/slack-message';
import { parseSlackInteraction, verifySlackSignature } from '../core/approval/slack-signature';
import { describeError as describe, makeJsonLogger } from '../core/lambda-io';
import { ApprovalConflictError } from '../errors';
import { readApproveSettings, readApprovers } from '../functions/approve/spec';

export { type ApproveSettings, readApproveSettings, readApprovers } from '../functions/approve/spec';

/** The parts of a function URL request (payload format 2.0) the handler reads. */
export interface FunctionUrlEvent {
  readonly rawPath: string;
  /** Header names are lower-cased by Lambda. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  /** True when Lambda base64-encoded the body (binary or unrecognised content types). */
  readonly isBase64Encoded?: boolean;
  readonly requestContext: { readonly http: { readonly method: string; readonly sourceIp?: string } };
}

/** A function URL response. */
export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Options passed with a hand-over. */
export interface HandOverOptions {
  /** The Slack click's `response_url`, to report the outcome. @default - none (signed link) */
  readonly responseUrl?: string;
}

/** What the handler needs; `handler` builds them from the environment, tests pass their own. */
export interface ApproveDeps {
  readonly store: Pick<ApprovalStore, 'get' | 'decide' | 'markUndone' | 'revert' | 'useNonce'>;
  readonly approvers: Approvers;
  /** The Slack app's signing secret (read through a secret reference; cached by the reader). */
  readonly slackSigningSecret: () => Promise<string>;
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
  /** Posts to a Slack `response_url`. @default respondToSlack */
  readonly respond?: (responseUrl: string, message: ApprovalSlackMessage | SlackNotice) => Promise<void>;
  readonly now: () => Date;
  /** Where JSON log lines go. @default console.log */
  readonly write?: (line: string) => void;
}

/** Bodies larger than this are refused unread: a Slack interaction payload is a few tens of KB. */
export const MAX_BODY_BYTES = 256 * 1024;

/** HTTP status of each refusal. */
const REFUSAL_STATUS: Readonly<Record<Refusal | 'not-found' | 'token-used', number>> = {
  'not-approver': 403,
  expired: 410,
  'already-decided': 410,
  'not-undoable': 410,
  'not-found': 410,
  'token-used': 410,
};

type Outcome =
  | { readonly kind: 'done'; readonly request: ApprovalRequest; readonly decision: DecisionKind }
  | {
      readonly kind: 'refused';
      readonly refusal: Refusal | 'not-found' | 'token-used';
      readonly reason: string;
      /** The request as it stands, when it could be read. */
      readonly request?: ApprovalRequest;
    }
  /** Not recorded or not handed over; reverted (or the revert failed too, which is logged). */
  | { readonly kind: 'failed'; readonly reason: string };

/** Builds the function URL handler. */
export function createApproveHandler(deps: ApproveDeps): (event: FunctionUrlEvent) => Promise<FunctionUrlResult> {
  const { log } = makeJsonLogger('vigil-approve', deps.write);
  const respond = deps.respond ?? ((url, message) => respondToSlack(url, message));

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
    const refuse = async (refusal: Refusal | 'token-used', reason: string, current?: ApprovalRequest) => {
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

  const slackInteraction = async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    const body = readBody(event);
    if (body === undefined) return plain(413, 'request body too large');
    const now = deps.now();
    const check = verifySlackSignature({
      signingSecret: await deps.slackSigningSecret(),
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
    const body = readBody(event);
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
      return method === 'POST' ? slackInteraction(event) : notAllowed('POST');
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

/** The body as text (decoded when Lambda base64-encoded it); undefined when it is too large. */
function readBody(event: FunctionUrlEvent): string | undefined {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) return undefined;
  return bytes.toString('utf8');
}

function refusalPage(
  refusal: Refusal | 'not-found' | 'token-used',
  request: ApprovalRequest | undefined,
): FunctionUrlResult {
  const status = REFUSAL_STATUS[refusal];
  if (refusal === 'token-used')
    return page(status, 'Link already used', 'This link was used before; nothing was changed.');
  if (refusal === 'not-approver') {
    return page(status, 'Not allowed', 'This link was not issued to a configured approver; nothing was changed.');
  }
  if (!request || refusal === 'not-found') {
    return page(status, 'Request not found', 'This approval request no longer exists; nothing was changed.');
  }
  if (refusal === 'expired') {
    return page(status, 'Request expired', `This request expired at ${html(request.expiresAt)}; nothing was changed.`);
  }
  const by = request.decidedBy ? ` by ${html(request.decidedBy.replace(/^(slack|email):/, ''))}` : '';
  return page(status, 'Already decided', `This request is already ${html(request.status)}${by}; nothing was changed.`);
}

function requestSummaryHtml(request: ApprovalRequest): string {
  const calls = request.plan.calls
    .map((c) => `<li><code>${html(`${c.service} ${c.operation} @${c.region} ${JSON.stringify(c.input)}`)}</code></li>`)
    .join('\n');
  return `<p><b>${html(request.detectionTitle ?? request.detectionId)}</b> in account ${html(request.accountId)} (${html(request.region)})</p>
<p>${html(request.plan.summary)}</p>
<ol>${calls}</ol>`;
}

/**
 * Security headers of every HTML answer: the page carries a live token in its form, so it must not
 * be cached, framed (clickjacking the button) or leak the URL in a Referer; it runs no script.
 */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

function page(statusCode: number, title: string, bodyHtml: string): FunctionUrlResult {
  return {
    statusCode,
    headers: PAGE_HEADERS,
    body: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<title>${html(title)} · vigil</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}code{word-break:break-all}</style>
</head><body><h1>${html(title)}</h1>
${bodyHtml}
</body></html>`,
  };
}

function plain(statusCode: number, body: string): FunctionUrlResult {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body };
}

function notAllowed(allow: string): FunctionUrlResult {
  return { ...plain(405, 'method not allowed'), headers: { ...plain(405, '').headers, allow } };
}

/** Escapes text for HTML content and double-quoted attributes. */
function html(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// ---------------------------------------------------------------------------------------------
// Wiring from the environment (the only place that reads it)

/** Builds the handler with real clients from the environment and the bundled remediation config. */
export function handlerFromEnvironment(env: Readonly<Record<string, string | undefined>>, dir: string) {
  const settings = readApproveSettings(env, dir);
  const approvers = readApprovers(settings.remediationConfigFile);
  const secrets = makeSecretReader();
  const enqueue = makeWorkQueue(new SQSClient({}), settings.workQueueUrl);
  const handOver =
    (kind: ApprovedWork['kind']) => (request: ApprovalRequest, approver: string, options: HandOverOptions) =>
      enqueue({ kind, requestId: request.id, approver, ...options });
  const { linkKeyRef } = settings;
  const dynamo = new DynamoDBClient({});
  const auditLog = makeAuditLog({ client: dynamo, tableName: settings.auditTable });
  return createApproveHandler({
    store: makeApprovalStore({ tableName: settings.tableName, client: dynamo }),
    approvers,
    slackSigningSecret: () => secrets.read(settings.slackSigningSecretRef),
    ...(linkKeyRef === undefined ? {} : { linkKey: () => secrets.read(linkKeyRef) }),
    execute: handOver('execute'),
    undo: handOver('undo'),
    audit: (record) => auditLog.append(toRemediationAuditRecord(record)),
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
    console.log(JSON.stringify({ level: 'error', message: 'configuration error', error: describe(err) }));
    return plain(500, 'internal error');
  }
  return built(event);
};
