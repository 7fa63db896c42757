/**
 * One owner's daily digest of change-monitor events: the summary (total, counts per detection and per
 * account, a sample of events with their CloudTrail links) and its Slack and email renderings. Pure.
 *
 * Entries carry event values (principal, resource ids, event names) that an attacker may shape: Slack
 * text is escaped like the real-time alerts (format-slack.ts), and every value is cut, so the message
 * stays inside Slack's limits however many events the day had.
 */
import { cloudTrailEventUrl, truncateText } from './alert';
import { type EmailMessage, emailSubject } from './format-email';
import { escapeSlackText, SLACK_LIMITS, type SlackBlock, type SlackMessage } from './format-slack';
import type { DigestEntry } from './flows/triage-ports';

/** Events shown one by one; the rest are counted. */
export const DIGEST_SAMPLES = 20;
/** Accounts listed by name; the rest are counted. */
export const DIGEST_ACCOUNTS = 10;

export interface CountOf<K extends string> {
  readonly key: K;
  readonly label: string;
  readonly count: number;
}

/** What one owner's digest says. */
export interface OwnerDigest {
  readonly day: string;
  readonly owner: string;
  readonly total: number;
  /** By detection id (labelled with its title), most frequent first. */
  readonly byDetection: readonly CountOf<string>[];
  /** By account id (labelled `name (id)`), most frequent first. */
  readonly byAccount: readonly CountOf<string>[];
  /** The first {@link DIGEST_SAMPLES} events by time. */
  readonly samples: readonly DigestEntry[];
  /** Events not shown one by one. */
  readonly more: number;
}

/** The digest of `entries` (one owner's, one day's). */
export function summarizeDigest(day: string, owner: string, entries: readonly DigestEntry[]): OwnerDigest {
  const sorted = [...entries].sort(
    (a, b) => cmp(a.eventTime, b.eventTime) || cmp(a.detectionId, b.detectionId) || cmp(a.eventId, b.eventId),
  );
  const samples = sorted.slice(0, DIGEST_SAMPLES);
  return {
    day,
    owner,
    total: entries.length,
    byDetection: countBy(
      entries,
      (e) => e.detectionId,
      (e) => e.title,
    ),
    byAccount: countBy(
      entries,
      (e) => e.accountId,
      (e) => (e.accountName ? `${e.accountName} (${e.accountId})` : e.accountId),
    ),
    samples,
    more: entries.length - samples.length,
  };
}

function countBy(
  entries: readonly DigestEntry[],
  key: (e: DigestEntry) => string,
  label: (e: DigestEntry) => string,
): CountOf<string>[] {
  const counts = new Map<string, { label: string; count: number }>();
  for (const e of entries) {
    const k = key(e);
    const c = counts.get(k);
    if (c) c.count += 1;
    else counts.set(k, { label: label(e), count: 1 });
  }
  return [...counts]
    .map(([k, c]) => ({ key: k, label: c.label, count: c.count }))
    .sort((a, b) => b.count - a.count || cmp(a.label, b.label));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Cuts of event values in one sample line (Slack and email alike). */
const CUT = { principal: 160, resource: 100, resources: 3, name: 80, label: 120 } as const;

// ---------------------------------------------------------------------------------------------
// Slack

/** Block Kit message of a digest (for an incoming webhook or chat.postMessage). */
export function formatDigestSlack(d: OwnerDigest): SlackMessage {
  const headline = `Daily change digest for ${d.owner}: ${plural(d.total, 'change')} on ${d.day}`;
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncateText(`:white_circle: ${headline}`, SLACK_LIMITS.headerText),
        emoji: true,
      },
    },
    section(
      `*${plural(d.total, 'change-monitor event')}* on ${esc(d.day)} (UTC) in resources owned by *${esc(d.owner)}*. ` +
        'Information only: nothing here was alerted in real time; weakening and exposure alert on their own.',
    ),
    section(`*By detection*\n${countLines(d.byDetection, Number.POSITIVE_INFINITY, 'detection')}`),
    section(`*By account*\n${countLines(d.byAccount, DIGEST_ACCOUNTS, 'account')}`),
  ];
  // Five samples per section keeps each section far below its 3,000 characters whatever the values.
  for (let i = 0; i < d.samples.length; i += 5) {
    const lines = d.samples.slice(i, i + 5).map(slackSample);
    blocks.push(section(`${i === 0 ? '*Events*\n' : ''}${lines.join('\n')}`));
  }
  if (d.more > 0) blocks.push(section(`… and ${plural(d.more, 'more event')} (not listed; all are counted above).`));
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `vigil daily digest · ${esc(d.day)} · owner ${esc(clip(d.owner, CUT.label))}` }],
  });
  return { text: esc(truncateText(headline, 500)), blocks };
}

const esc = escapeSlackText;
const clip = (text: string, max: number) => truncateText(text, max);

/** Escaped inline code; a backtick in the value becomes a quote so it cannot close the span. */
const code = (value: string, max: number) => `\`${esc(clip(oneLine(value).replace(/`/g, "'"), max))}\``;

/** Control characters and line separators as spaces: an event value cannot start a line of its own. */
const oneLine = (value: string) => value.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ');

function section(text: string): SlackBlock {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: truncateText(text, SLACK_LIMITS.sectionText).replace(/&[a-z]{0,3}…$/, '…') },
  };
}

function countLines(counts: readonly CountOf<string>[], max: number, what: string): string {
  const shown = counts.slice(0, max).map((c) => `• ${c.count} × ${esc(clip(c.label, CUT.label))}`);
  const rest = counts.slice(max);
  if (rest.length > 0) {
    const events = rest.reduce((n, c) => n + c.count, 0);
    shown.push(`• ${plural(events, 'event')} in ${plural(rest.length, `other ${what}`)}`);
  }
  // Detections are a catalog-sized list; cut by lines rather than mid-line.
  const lines: string[] = [];
  let length = 0;
  for (const line of shown) {
    if (length + line.length + 1 > SLACK_LIMITS.sectionText - 200) {
      lines.push(`• … ${shown.length - lines.length} more lines`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n');
}

/** `10:15Z · AuthorizeSecurityGroupIngress · prod-payments (4444…) eu-west-1 · by … · on … · <link|event>` */
function slackSample(e: DigestEntry): string {
  const resources = e.resources.slice(0, CUT.resources).map((r) => code(r, CUT.resource));
  const extra = e.resources.length - resources.length;
  return [
    `• ${esc(timeOf(e.eventTime))}`,
    code(e.eventName, CUT.name),
    `${esc(clip(oneLine(e.accountName || e.accountId), CUT.name))} (${esc(e.accountId)}) ${esc(clip(e.region, 32))}`,
    `by ${code(e.principal, CUT.principal)}`,
    ...(resources.length > 0 ? [`on ${resources.join(', ')}${extra > 0 ? ` +${extra}` : ''}`] : []),
    `<${linkOf(e)}|CloudTrail event>`,
  ].join(' · ');
}

/** CloudTrail event-history link; characters that would end Slack's link token early are encoded. */
function linkOf(e: DigestEntry): string {
  return cloudTrailEventUrl(e.region, e.eventId).replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
}

/** `HH:MM:SSZ` of an ISO time, or the value (cut) when it is not one. */
function timeOf(eventTime: string): string {
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(eventTime);
  return m ? `${m[1]}Z` : clip(eventTime, 32);
}

// ---------------------------------------------------------------------------------------------
// Email

/** Plain-text email of a digest (SNS publishes the same text to every subscription). */
export function formatDigestEmail(d: OwnerDigest): EmailMessage {
  const line = (value: string, max: number) => clip(oneLine(value), max);
  const counts = (list: readonly CountOf<string>[], max: number, what: string) => {
    const out = list.slice(0, max).map((c) => `  ${String(c.count).padStart(5)}  ${line(c.label, CUT.label)}`);
    const rest = list.slice(max);
    if (rest.length > 0) {
      const events = rest.reduce((n, c) => n + c.count, 0);
      out.push(`  ${String(events).padStart(5)}  in ${plural(rest.length, `other ${what}`)}`);
    }
    return out;
  };
  const samples = d.samples.flatMap((e) => [
    `  ${line(e.eventTime, 40)}  ${line(e.eventName, CUT.name)}`,
    `    account:   ${line(e.accountName || e.accountId, CUT.name)} (${line(e.accountId, 20)}), ${line(e.region, 32)}`,
    `    principal: ${line(e.principal, CUT.principal)}`,
    ...(e.resources.length > 0
      ? [
          `    resources: ${e.resources
            .slice(0, CUT.resources)
            .map((r) => line(r, CUT.resource))
            .join(', ')}`,
        ]
      : []),
    `    detection: ${line(e.title, CUT.label)}`,
    `    event:     ${cloudTrailEventUrl(e.region, e.eventId)}`,
  ]);
  const body = [
    `Daily change digest for ${line(d.owner, CUT.label)}: ${plural(d.total, 'change-monitor event')} on ${d.day} (UTC).`,
    '',
    'Information only: these changes were not alerted in real time. Weakening and exposure alert on their own.',
    '',
    'By detection',
    ...counts(d.byDetection, Number.POSITIVE_INFINITY, 'detection'),
    '',
    'By account',
    ...counts(d.byAccount, DIGEST_ACCOUNTS, 'account'),
    '',
    `Events${d.more > 0 ? ` (first ${d.samples.length} by time)` : ''}`,
    ...samples,
    ...(d.more > 0 ? ['', `... and ${plural(d.more, 'more event')} (not listed; all are counted above).`] : []),
    '',
    '-- ',
    'Sent by vigil once a day. CloudTrail event links open in the member account and region of the event.',
  ];
  return {
    subject: emailSubject(`[vigil][digest] ${d.owner}: ${plural(d.total, 'change')} on ${d.day}`),
    body: `${body.join('\n')}\n`,
  };
}
