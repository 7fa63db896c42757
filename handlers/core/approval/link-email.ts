/**
 * The approval email: one approver's personal Approve / Reject links, with what they would allow.
 * Pure. The email is the signed-link channel for approvers outside Slack (or when Slack is down), so
 * it carries everything a decision needs (detection, account, region, the plan and its exact calls,
 * the expiry) without opening anything else.
 *
 * Each link acts as the approver it names: format one email per approver, with that approver's pair.
 */
import type { PlannedCall } from '../remediation/types';
import type { ApprovalRequest } from './request';
import { escapeHtml } from '../html';

/** One approver's signed links (the shape `mintApprovalLinks` returns). */
export interface ApproverLinkPair {
  /** The approver's address: the one the links were signed for, and the only recipient. */
  readonly approver: string;
  readonly approve: string;
  readonly reject: string;
}

/** A formatted email: a one-line ASCII subject, a plain-text body and the same content as HTML. */
export interface ApprovalEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Longest subject: mail clients cut long subjects anyway, and the essentials fit well inside. */
export const MAX_SUBJECT_LENGTH = 100;

/**
 * Calls listed at most, and characters of one call's input. A policy document can be large; the
 * approver needs to see what changes, and the approve page re-shows the request before deciding.
 */
const MAX_CALLS_SHOWN = 50;
const MAX_CALL_INPUT_CHARS = 2000;

/** The email asking `links.approver` to decide `request`. */
export function formatApprovalEmail(
  request: Pick<
    ApprovalRequest,
    'id' | 'detectionId' | 'detectionTitle' | 'accountId' | 'region' | 'plan' | 'expiresAt'
  >,
  links: ApproverLinkPair,
): ApprovalEmail {
  const title = request.detectionTitle ?? request.detectionId;
  const expires = readableTime(request.expiresAt);
  const calls = request.plan.calls.slice(0, MAX_CALLS_SHOWN).map(describeCall);
  const more = request.plan.calls.length - calls.length;
  const facts: Array<[string, string]> = [
    ['Detection', request.detectionTitle ? `${title} (${request.detectionId})` : request.detectionId],
    ['Account', request.accountId],
    ['Region', request.region],
    ['Plan', request.plan.summary],
    ['Request', request.id],
    ['Expires', expires],
  ];
  const personal =
    `These links are personal and single-use: they decide as ${links.approver}. Do not forward them. ` +
    'Opening a link shows a confirmation page; nothing happens until you confirm there. ' +
    'The first decision (by link or in Slack) closes the request.';
  const callsHeading = `Calls (${request.plan.calls.length}), exactly as they will be sent:`;
  const moreLine = more > 0 ? `... and ${more} more (see the approval page)` : undefined;

  const text = [
    'vigil asks for your approval of a remediation.',
    '',
    ...facts.map(([label, value]) => `${`${label}:`.padEnd(11)}${value}`),
    '',
    callsHeading,
    ...calls.map((c, i) => `  ${i + 1}. ${c}`),
    ...(moreLine ? [`  ${moreLine}`] : []),
    '',
    `Approve: ${links.approve}`,
    `Reject:  ${links.reject}`,
    '',
    `The links expire at ${expires}; after that the request follows its timeout policy.`,
    personal,
    '',
  ].join('\n');

  const html = [
    '<!doctype html><html><body>',
    '<p>vigil asks for your approval of a remediation.</p>',
    '<table>',
    ...facts.map(
      ([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
    ),
    '</table>',
    `<p>${escapeHtml(callsHeading)}</p>`,
    '<ol>',
    ...calls.map((c) => `<li><code>${escapeHtml(c)}</code></li>`),
    '</ol>',
    ...(moreLine ? [`<p>${escapeHtml(moreLine)}</p>`] : []),
    `<p><a href="${escapeHtml(links.approve)}">Approve</a> &nbsp; <a href="${escapeHtml(links.reject)}">Reject</a></p>`,
    `<p>The links expire at ${escapeHtml(expires)}; after that the request follows its timeout policy.</p>`,
    `<p>${escapeHtml(personal)}</p>`,
    '</body></html>',
  ].join('\n');

  return { subject: approvalEmailSubject(title, request.accountId), text, html };
}

/**
 * `[vigil] Approval needed: <title> in <account>`, as one ASCII line of at most
 * {@link MAX_SUBJECT_LENGTH} characters. Control characters would break the header (or inject
 * another), and non-ASCII would need encoded words for no gain in a short notice.
 */
export function approvalEmailSubject(title: string, accountId: string): string {
  const clean = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^\x20-\x7e]+/g, ' ')
      .replace(/ {2,}/g, ' ')
      .trim();
  const prefix = '[vigil] Approval needed: ';
  const suffix = ` in ${clean(accountId)}`;
  const room = MAX_SUBJECT_LENGTH - prefix.length - suffix.length;
  const name = clean(title);
  const shown = name.length <= room ? name : `${name.slice(0, Math.max(0, room - 3)).trimEnd()}...`;
  return `${prefix}${shown}${suffix}`.slice(0, MAX_SUBJECT_LENGTH);
}

/** `service:Operation in region {input}`, the input clipped. */
function describeCall(call: PlannedCall): string {
  const input = JSON.stringify(call.input);
  const clipped = input.length <= MAX_CALL_INPUT_CHARS ? input : `${input.slice(0, MAX_CALL_INPUT_CHARS)}... (clipped)`;
  return `${call.service}:${call.operation} in ${call.region} ${clipped}`;
}

/** `2026-11-28 14:33 UTC`: unambiguous for approvers in any time zone. */
function readableTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
