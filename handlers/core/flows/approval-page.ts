/**
 * The approve function's answers: the HTML pages of signed links (a confirmation page that decides
 * nothing, the outcome, the refusals) with their security headers, and the plain-text answers. Pure:
 * every value shown is escaped.
 */
import type { Refusal } from '../approval/decide';
import type { ApprovalRequest } from '../approval/request';
import type { FunctionUrlResult } from '../lambda-io';
import { escapeHtml } from '../html';

/** Why a decision was refused: the decision rules' refusals, an unknown request, or a used link. */
export type ApprovalRefusal = Refusal | 'not-found' | 'token-used';

/** HTTP status of each refusal. */
export const REFUSAL_STATUS: Readonly<Record<ApprovalRefusal, number>> = {
  'not-approver': 403,
  expired: 410,
  'already-decided': 410,
  'not-undoable': 410,
  'not-found': 410,
  'token-used': 410,
};

/** The page of a refused decision, showing the request as it stands when it could be read. */
export function refusalPage(refusal: ApprovalRefusal, request: ApprovalRequest | undefined): FunctionUrlResult {
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

export function requestSummaryHtml(request: ApprovalRequest): string {
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

export function page(statusCode: number, title: string, bodyHtml: string): FunctionUrlResult {
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

export function plain(statusCode: number, body: string): FunctionUrlResult {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body };
}

export function notAllowed(allow: string): FunctionUrlResult {
  return { ...plain(405, 'method not allowed'), headers: { ...plain(405, '').headers, allow } };
}

/** Escapes text for HTML content and double-quoted attributes. */
export const html = escapeHtml;
