/**
 * Formats an alert as a Slack Block Kit message for an incoming webhook: what happened, who, where,
 * when, why it matters, links, owner, detection and remediation status. Pure.
 *
 * Every value that comes from the event (user agent, request parameters, resource names) is
 * attacker-controlled: it is escaped so it cannot ping `@channel` or forge a link, and truncated so
 * the message stays inside Slack's limits whatever the event carries.
 */
import { VERDICT_ACTIONS, VERDICT_BLOCK_ID, VERDICT_LABELS, VERDICTS, verdictValue } from './verdict';
import type { Severity } from '../../rules/types';
import {
  type Alert,
  complianceLabels,
  describeAccount,
  describeActor,
  describeLateness,
  LATE_MARKER,
  minutesSinceEvent,
  serviceOf,
  TRUNCATION_MARKER,
  truncateText,
} from './alert';

/** A Block Kit text object. */
export interface SlackText {
  readonly type: 'plain_text' | 'mrkdwn';
  readonly text: string;
  readonly emoji?: boolean;
}

/** The Block Kit blocks this formatter produces. */
export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackText }
  | { readonly type: 'section'; readonly text?: SlackText; readonly fields?: readonly SlackText[] }
  | { readonly type: 'context'; readonly elements: readonly SlackText[] }
  | { readonly type: 'actions'; readonly block_id: string; readonly elements: readonly SlackButton[] };

/** A Block Kit button. */
export interface SlackButton {
  readonly type: 'button';
  readonly action_id: string;
  readonly text: SlackText;
  readonly value: string;
}

/** Body of an incoming-webhook POST. `text` is the notification fallback for the blocks. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/**
 * Slack's documented limits (Block Kit reference: blocks, section block, header block, text object):
 * 50 blocks per message, section text 3,000 characters, 10 section fields of 2,000 characters each,
 * header text 150 characters, 10 context elements.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
} as const;

/**
 * Budgets below the hard limits for the variable-length parts. Slack also rejects messages whose
 * blocks are long in total (`msg_blocks_too_long`, reported from about 13,000 characters in
 * slackapi/bolt-js#2509, undocumented), so no single value may take the whole 3,000 of its section.
 */
const BUDGET = { code: 300, field: 500, parameters: 1500, resources: 1500, link: 700, fallback: 500 } as const;

const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  critical: ':red_circle:',
  high: ':large_orange_circle:',
  medium: ':large_yellow_circle:',
  low: ':large_blue_circle:',
  info: ':white_circle:',
};

/** Options of {@link formatSlackMessage}. */
export interface SlackFormatOptions {
  /** When the alert is sent; shows how long after the API call it went out. */
  readonly now: Date;
}

/** Builds the Block Kit message for `alert`. */
export function formatSlackMessage(alert: Alert, options: SlackFormatOptions): SlackMessage {
  const { detection, event } = alert;
  const severity = detection.severity.toUpperCase();
  const actor = describeActor(event.actor);
  const where = `${describeAccount(event.account)} ${event.awsRegion}`;

  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncateText(
          `${SEVERITY_EMOJI[detection.severity]} ${severity} · ${alert.late ? `[${LATE_MARKER}] ` : ''}${detection.title}`,
          SLACK_LIMITS.headerText,
        ),
        emoji: true,
      },
    },
    ...(alert.late ? [section(`:hourglass: *${esc(describeLateness(alert.late))}*`)] : []),
    section(
      `*What happened:* ${code(event.eventName)} on ${esc(serviceOf(event.eventSource))} by ${code(actor)} ` +
        `in *${esc(where)}*.\n*Why it matters:* ${esc(detection.rationale)}`,
    ),
    {
      type: 'section',
      fields: [
        field('Who', `${code(event.actor.arn ?? actor)} (${esc(event.actor.type)})`),
        field('Where', whereText(alert)),
        field('When', whenText(alert, options.now)),
        field('Source IP', event.sourceIPAddress ? code(event.sourceIPAddress) : '_not recorded_'),
        field('User agent', event.userAgent ? code(event.userAgent) : '_not recorded_'),
        field('Owner', esc(alert.owner)),
        field('Remediation', remediationText(alert)),
        field('Detection', code(detection.id)),
      ],
    },
  ];

  const parameters = parametersText(event.requestParameters);
  if (parameters) blocks.push(section(`*Request parameters*\n${parameters}`));
  if (event.resources.length > 0) blocks.push(section(`*Resources*\n${resourcesText(event.resources)}`));

  const links = linksText(alert);
  if (links) blocks.push(section(links));

  // Responders' verdicts: per-detection precision on the KPI dashboard (handlers/core/verdict.ts).
  if (alert.verdictButtons) {
    const subject = verdictValue({ detectionId: detection.id, accountId: event.account.id, eventId: event.eventId });
    blocks.push({
      type: 'actions',
      block_id: VERDICT_BLOCK_ID,
      elements: VERDICTS.map((v) => ({
        type: 'button',
        action_id: VERDICT_ACTIONS[v],
        text: { type: 'plain_text', text: VERDICT_LABELS[v] },
        value: subject,
      })),
    });
  }

  const compliance = complianceLabels(detection);
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: clip(
          [`Detection ${code(detection.id)}`, ...compliance.map(esc), `Event ${code(event.eventId)}`, 'vigil'].join(
            ' · ',
          ),
          SLACK_LIMITS.fieldText,
        ),
      },
    ],
  });

  const late = alert.late ? `[${LATE_MARKER}] ` : '';
  const fallback = `${SEVERITY_EMOJI[detection.severity]} [${severity}] ${late}${detection.title} in ${where} by ${actor}`;
  return { text: clip(esc(truncateText(fallback, BUDGET.fallback)), SLACK_LIMITS.sectionText), blocks };
}

/**
 * Escapes the three characters Slack's mrkdwn treats as control characters (`&`, `<`, `>`), as
 * Slack's "Formatting text for app surfaces" guide requires. Without it, an event value such as
 * `<!channel>` or `<https://evil.example|Approve>` would notify everyone or render as a link.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const esc = escapeSlackText;

/** Truncates already-escaped mrkdwn without leaving half an entity (`&am…`) at the cut. */
function clip(mrkdwn: string, max: number): string {
  if (mrkdwn.length <= max) return mrkdwn;
  return truncateText(mrkdwn, max).replace(new RegExp(`&[a-z]{0,3}${TRUNCATION_MARKER}$`), TRUNCATION_MARKER);
}

/**
 * Inline code. The value is cut before it is wrapped, so no later cut can leave the span open; a
 * backtick in it, which would close the span early, becomes a quote.
 */
function code(value: string): string {
  return `\`${clip(esc(value.replace(/`/g, "'")), BUDGET.code)}\``;
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, SLACK_LIMITS.sectionText) } };
}

function field(label: string, value: string): SlackText {
  return { type: 'mrkdwn', text: clip(`*${label}*\n${value}`, Math.min(BUDGET.field, SLACK_LIMITS.fieldText)) };
}

function whereText(alert: Alert): string {
  const { account, awsRegion } = alert.event;
  const parts = [esc(describeAccount(account)), esc(awsRegion)];
  if (account.ouName) parts.push(`OU ${esc(account.ouName)}`);
  if (account.environment) parts.push(esc(account.environment));
  return parts.join(' · ');
}

/**
 * The event time in the reader's own time zone, using Slack's `<!date^…>` token (documented under
 * "Formatting dates" in Slack's text-formatting guide), with the ISO string as the fallback.
 */
function whenText(alert: Alert, now: Date): string {
  const { eventTime } = alert.event;
  const at = Date.parse(eventTime);
  if (Number.isNaN(at)) return esc(eventTime);
  const minutes = minutesSinceEvent(alert, now);
  const lag = minutes === undefined ? '' : `\n_alert sent ${minutes} min after the call_`;
  return `<!date^${Math.floor(at / 1000)}^{date_short} {time_secs}|${esc(eventTime)}>${lag}`;
}

function remediationText(alert: Alert): string {
  const { mode, state, detail } = alert.remediation;
  const head = `${esc(mode)}: *${esc(state)}*`;
  return detail ? `${head}\n${esc(detail)}` : head;
}

/** `key: value` lines in a code block; a value cannot close the block early. */
function parametersText(parameters: Readonly<Record<string, string>>): string | undefined {
  const entries = Object.entries(parameters);
  if (entries.length === 0) return undefined;
  const lines = entries.map(([k, v]) => `${k}: ${v}`).join('\n');
  const body = clip(esc(lines.replace(/`{3,}/g, "'''")), BUDGET.parameters);
  return `\`\`\`${body}\`\`\``;
}

/** One line per resource while they fit the budget, then `… and N more`. */
function resourcesText(resources: readonly string[]): string {
  const lines: string[] = [];
  let length = 0;
  for (const resource of resources) {
    const line = `• ${code(resource)}`;
    if (length + line.length + 1 > BUDGET.resources - 20) break; // room left for the "more" line
    lines.push(line);
    length += line.length + 1;
  }
  const more = resources.length - lines.length;
  if (more > 0) lines.push(`… and ${more} more`);
  return lines.join('\n');
}

/**
 * The links as mrkdwn `<url|label>`. Only https URLs are linked; characters that would end the link
 * token early are percent-encoded. Links are plain text rather than buttons: a link button in a
 * message from an app without interactivity configured shows a warning to the reader.
 */
function linksText(alert: Alert): string | undefined {
  const { links } = alert;
  const candidates: Array<[string | undefined, string]> = [
    [links.console, 'Open in console'],
    [links.cloudTrailEvent, 'CloudTrail event'],
    [links.runbook, 'Runbook'],
    [links.approve, 'Approve remediation'],
  ];
  const rendered = candidates.flatMap(([url, label]) => {
    if (!url || !/^https:\/\//.test(url) || url.length > BUDGET.link) return [];
    const safe = url.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
    return [`<${safe}|${label}>`];
  });
  return rendered.length > 0 ? rendered.join(' · ') : undefined;
}
