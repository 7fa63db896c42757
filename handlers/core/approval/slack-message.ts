/**
 * Block Kit messages of the approval flow. Pure.
 *
 * - {@link formatApprovalMessage}: the message for a request in any state. `pending` shows the exact
 *   calls with Approve / Reject buttons; `executed` shows the outcome with an Undo button; the other
 *   states show who decided and when, without buttons (so the message itself shows the request is
 *   closed). Post it once when the request opens; send it again through the click's `response_url`
 *   with `replace_original: true` after each decision ({@link asReplacement}).
 * - {@link formatNotice}: an ephemeral reply to the one user who clicked (not an approver, already
 *   decided, ...), leaving the message as it is.
 *
 * Buttons carry the request id in `value` and one of {@link APPROVAL_ACTIONS} in `action_id`; Slack
 * posts the click to the app's interactivity Request URL (the approval endpoint). Buttons only work
 * in messages posted by a Slack app with Interactivity enabled (an app's incoming webhook qualifies).
 */
import { TRUNCATION_MARKER, truncateText } from '../alert';
import { escapeSlackText, SLACK_LIMITS, type SlackText } from '../format-slack';
import type { PlannedCall } from '../remediation/types';
import type { ApprovalRequest } from './request';
import { TIMEOUT_POLICY } from './request';
import { APPROVAL_ACTIONS } from './slack-signature';

/** A button's confirmation dialog (Block Kit "Confirmation dialog object"). */
export interface SlackConfirm {
  readonly title: SlackText;
  readonly text: SlackText;
  readonly confirm: SlackText;
  readonly deny: SlackText;
  readonly style?: 'primary' | 'danger';
}

/** A Block Kit button element. */
export interface SlackButton {
  readonly type: 'button';
  readonly text: SlackText;
  readonly action_id: string;
  readonly value: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: SlackConfirm;
}

/** The blocks this module produces. */
export type ApprovalBlock =
  | { readonly type: 'header'; readonly text: SlackText }
  | { readonly type: 'section'; readonly text?: SlackText; readonly fields?: readonly SlackText[] }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] }
  | { readonly type: 'actions'; readonly block_id: string; readonly elements: readonly SlackButton[] };

/** A message for an incoming webhook or a `response_url`. */
export interface ApprovalSlackMessage {
  readonly text: string;
  readonly blocks: readonly ApprovalBlock[];
  /** With `response_url`: replace the message the button was in. @default - post a new message */
  readonly replace_original?: boolean;
}

/** An ephemeral reply through `response_url`: seen only by the user who clicked. */
export interface SlackNotice {
  readonly response_type: 'ephemeral';
  readonly replace_original: false;
  readonly text: string;
}

/** `block_id` of the buttons, so a later message update can be recognised. */
export const APPROVAL_BLOCK_ID = 'vigil_approval';

/** Budget of the calls listing, below the section limit so the whole message stays far from Slack's total. */
const CALLS_BUDGET = 2500;

/** Options of {@link formatApprovalMessage}. */
export interface ApprovalMessageOptions {
  /**
   * Offer an Undo button on an `executed` request. Only when the executor can undo this action.
   * @default false
   */
  readonly undoable?: boolean;
}

/** The message for `request` in its current state. */
export function formatApprovalMessage(
  request: ApprovalRequest,
  options: ApprovalMessageOptions = {},
): ApprovalSlackMessage {
  const title = request.detectionTitle ?? request.detectionId;
  const blocks: ApprovalBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncateText(`${HEADER[request.status]}: ${title}`, SLACK_LIMITS.headerText) },
    },
    section(`*Plan:* ${esc(request.plan.summary)}`),
    {
      type: 'section',
      fields: [
        field('Account / region', `${code(request.accountId)} · ${code(request.region)}`),
        field('Resource', code(request.plan.resourceId)),
        field('Detection', code(request.detectionId)),
        field('Action', code(request.plan.action)),
      ],
    },
    section(`*Calls (${request.plan.calls.length})*\n${callsText(request.plan.calls)}`),
    statusBlock(request),
  ];
  if (request.status === 'pending') blocks.push(decisionButtons(request));
  if (request.status === 'executed' && options.undoable) blocks.push(undoButton(request));
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: truncateText(
          `Request ${code(request.id)} · Event ${code(request.eventId)} · vigil`,
          SLACK_LIMITS.fieldText,
        ),
      },
    ],
  });
  return { text: esc(truncateText(fallbackText(request, title), 500)), blocks };
}

/** `message` as an update of the message the button was in (`replace_original: true`). */
export function asReplacement(message: ApprovalSlackMessage): ApprovalSlackMessage {
  return { ...message, replace_original: true };
}

/** An ephemeral reply to the user who clicked; `text` is escaped here. */
export function formatNotice(text: string): SlackNotice {
  return {
    response_type: 'ephemeral',
    replace_original: false,
    text: esc(truncateText(text, SLACK_LIMITS.sectionText)),
  };
}

/**
 * How a `decidedBy` value reads in Slack: a mention for Slack users (Slack renders `<@U…>` as the
 * member's name), the address for link approvers, words for the timeout policy.
 */
export function describeDecider(decidedBy: string | undefined): string {
  if (decidedBy === undefined) return 'nobody';
  if (decidedBy === TIMEOUT_POLICY) return 'the timeout policy';
  const slack = /^slack:([UW][A-Z0-9]{2,30})$/.exec(decidedBy);
  if (slack) return `<@${slack[1]}>`;
  return esc(decidedBy.replace(/^email:/, ''));
}

const HEADER: Readonly<Record<ApprovalRequest['status'], string>> = {
  pending: 'Approval needed',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
  executed: 'Remediated',
  undone: 'Undo requested',
};

function statusBlock(request: ApprovalRequest): ApprovalBlock {
  const by = describeDecider(request.decidedBy);
  const at = request.decidedAt ? slackDate(request.decidedAt) : '';
  switch (request.status) {
    case 'pending': {
      const then =
        request.timeout.onTimeout === 'act' ? 'the plan runs automatically' : 'the request expires and is escalated';
      return section(
        `:hourglass_flowing_sand: Waiting for an approver until ${slackDate(request.expiresAt)}; after that ${then}.`,
      );
    }
    case 'approved':
      return section(`:white_check_mark: Approved by ${by} at ${at}. The remediation is running.`);
    case 'rejected':
      return section(`:no_entry: Rejected by ${by} at ${at}. Nothing was changed.`);
    case 'expired': {
      // A late click renders a still-pending request as expired, before the sweeper settles it.
      const then =
        request.timeout.onTimeout === 'act'
          ? 'the timeout policy runs the plan'
          : 'nothing was changed and the request is escalated';
      return section(`:hourglass: Expired at ${slackDate(request.expiresAt)} without a decision; ${then}.`);
    }
    case 'executed': {
      const outcome = request.outcome ? `\n*Outcome:* ${esc(request.outcome)}` : '';
      const when = request.executedAt ? ` at ${slackDate(request.executedAt)}` : '';
      return section(`:white_check_mark: Approved by ${by} at ${at}; executed${when}.${outcome}`);
    }
    case 'undone': {
      const undoneAt = request.undoneAt ? slackDate(request.undoneAt) : '';
      return section(
        `:leftwards_arrow_with_hook: Approved by ${by} at ${at}; undo requested by ` +
          `${describeDecider(request.undoneBy)} at ${undoneAt}.`,
      );
    }
  }
}

function decisionButtons(request: ApprovalRequest): ApprovalBlock {
  const n = request.plan.calls.length;
  return {
    type: 'actions',
    block_id: APPROVAL_BLOCK_ID,
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Approve' },
        action_id: APPROVAL_ACTIONS.approve,
        value: request.id,
        style: 'primary',
        // A second, explicit step: one stray click must not change a production account.
        confirm: {
          title: { type: 'plain_text', text: 'Run this remediation?' },
          text: {
            type: 'plain_text',
            text: truncateText(
              `${n} call${n === 1 ? '' : 's'} in account ${request.accountId} (${request.region}): ${request.plan.summary}`,
              300,
            ),
          },
          confirm: { type: 'plain_text', text: 'Approve' },
          deny: { type: 'plain_text', text: 'Cancel' },
          style: 'primary',
        },
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Reject' },
        action_id: APPROVAL_ACTIONS.reject,
        value: request.id,
        style: 'danger',
      },
    ],
  };
}

function undoButton(request: ApprovalRequest): ApprovalBlock {
  return {
    type: 'actions',
    block_id: APPROVAL_BLOCK_ID,
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Undo' },
        action_id: APPROVAL_ACTIONS.undo,
        value: request.id,
        confirm: {
          title: { type: 'plain_text', text: 'Undo this remediation?' },
          text: { type: 'plain_text', text: truncateText(`Puts back what was changed: ${request.plan.summary}`, 300) },
          confirm: { type: 'plain_text', text: 'Undo' },
          deny: { type: 'plain_text', text: 'Cancel' },
          style: 'danger',
        },
      },
    ],
  };
}

/**
 * One line per call, `service Operation @region {input}`, in a code block, while they fit the
 * budget; then `… and N more`. Inputs come from the event (attacker-controlled): escaped, and a
 * run of backticks cannot close the block early.
 */
function callsText(calls: readonly PlannedCall[]): string {
  const lines: string[] = [];
  let length = 0;
  for (const call of calls) {
    const line = truncateText(`${call.service} ${call.operation} @${call.region} ${JSON.stringify(call.input)}`, 600);
    if (length + line.length + 1 > CALLS_BUDGET - 40) break; // room for the "more" line
    lines.push(line);
    length += line.length + 1;
  }
  const more = calls.length - lines.length;
  const body = esc(lines.join('\n').replace(/`{3,}/g, "'''"));
  return `\`\`\`${body}\`\`\`${more > 0 ? `\n… and ${more} more` : ''}`;
}

function fallbackText(request: ApprovalRequest, title: string): string {
  const head = `${HEADER[request.status]}: ${title} in ${request.accountId} ${request.region}`;
  return request.status === 'pending' ? `${head} - ${request.plan.summary}` : head;
}

/** Slack's date token: shown in the reader's time zone, with the ISO time as fallback. */
function slackDate(iso: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return esc(iso);
  return `<!date^${Math.floor(at / 1000)}^{date_short_pretty} {time_secs}|${esc(iso)}>`;
}

const esc = escapeSlackText;

function code(value: string): string {
  return `\`${esc(truncateText(value.replace(/`/g, "'"), 300))}\``;
}

function section(text: string): ApprovalBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, SLACK_LIMITS.sectionText) } };
}

function field(label: string, value: string): SlackText {
  return { type: 'mrkdwn', text: clip(`*${label}*\n${value}`, 500) };
}

/** Truncates escaped mrkdwn without leaving half an entity at the cut. */
function clip(mrkdwn: string, max: number): string {
  if (mrkdwn.length <= max) return mrkdwn;
  return truncateText(mrkdwn, max).replace(new RegExp(`&[a-z]{0,3}${TRUNCATION_MARKER}$`), TRUNCATION_MARKER);
}
