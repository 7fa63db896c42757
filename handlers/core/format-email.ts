/**
 * Formats an alert as an email for an SNS topic: a subject line and a plain-text body. Pure.
 * SNS sends the same text to every subscription of the topic, so the body stays plain text.
 */
import {
  type Alert,
  complianceLabels,
  describeAccount,
  describeActor,
  describeLateness,
  LATE_MARKER_ASCII,
  describeRemediation,
  minutesSinceEvent,
  serviceOf,
  truncateText,
} from './alert';

/** Subject and body for `sns:Publish`. */
export interface EmailMessage {
  readonly subject: string;
  readonly body: string;
}

/**
 * SNS Publish API reference: "Subjects must be UTF-8 text with no line breaks or control characters,
 * and less than 100 characters long" (older revisions said ASCII; we keep to ASCII, which satisfies
 * both). Our cap on each value keeps the body far below the 256 KiB message limit.
 */
export const EMAIL_LIMITS = { subject: 99, value: 2000, listedResources: 50 } as const;

/** Options of {@link formatEmail}. */
export interface EmailFormatOptions {
  /** When the alert is sent. */
  readonly now: Date;
}

/** Builds the email for `alert`. */
export function formatEmail(alert: Alert, options: EmailFormatOptions): EmailMessage {
  const { detection, event } = alert;
  const subject = emailSubject(
    `[vigil][${detection.severity.toUpperCase()}]${alert.late ? `[${LATE_MARKER_ASCII}]` : ''} ${detection.title} - ${describeAccount(event.account)} ${event.awsRegion}`,
  );
  return { subject, body: body(alert, options.now) };
}

/**
 * Makes `text` a valid SNS subject: accents folded, other non-ASCII and control characters replaced,
 * whitespace collapsed, cut to {@link EMAIL_LIMITS.subject} characters with an ASCII `...`.
 */
export function emailSubject(text: string): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/[^\u0020-\u007e]/gu, '?')
    .replace(/\s+/g, ' ')
    .trim();
  const max = EMAIL_LIMITS.subject;
  return ascii.length <= max ? ascii : `${ascii.slice(0, max - 3).trimEnd()}...`;
}

/**
 * One line of event-controlled text: control characters and line separators become spaces, so a
 * crafted user agent or parameter cannot add lines that look like part of the alert (a fake
 * "Approve:" link, say). Then capped.
 */
function line(value: string): string {
  return truncateText(value.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' '), EMAIL_LIMITS.value);
}

function body(alert: Alert, now: Date): string {
  const { detection, event, links } = alert;
  const minutes = minutesSinceEvent(alert, now);
  const out: string[] = [
    `${detection.severity.toUpperCase()}: ${line(detection.title)}`,
    ...(alert.late ? ['', describeLateness(alert.late)] : []),
    '',
    'What happened',
    `  ${line(event.eventName)} (${line(serviceOf(event.eventSource))}) by ${line(describeActor(event.actor))}`,
    `  in ${line(describeAccount(event.account))}, ${line(event.awsRegion)}, at ${line(event.eventTime)}`,
    '',
    'Why it matters',
    `  ${line(detection.rationale)}`,
    '',
    'Who',
    `  ARN:         ${line(event.actor.arn ?? 'none')}`,
    `  Type:        ${line(event.actor.type)}`,
    `  Source IP:   ${line(event.sourceIPAddress ?? 'not recorded')}`,
    `  User agent:  ${line(event.userAgent ?? 'not recorded')}`,
    '',
    'Where',
    `  Account:     ${line(describeAccount(event.account))}`,
    `  OU:          ${line(event.account.ouName ?? 'unknown')}`,
    `  Environment: ${line(event.account.environment ?? 'unknown')}`,
    `  Region:      ${line(event.awsRegion)}`,
  ];

  const parameters = Object.entries(event.requestParameters);
  if (parameters.length > 0) {
    out.push('', 'Request parameters', ...parameters.map(([k, v]) => `  ${line(k)}: ${line(v)}`));
  }
  if (event.resources.length > 0) {
    const listed = event.resources.slice(0, EMAIL_LIMITS.listedResources).map((r) => `  - ${line(r)}`);
    const more = event.resources.length - listed.length;
    out.push('', 'Resources', ...listed, ...(more > 0 ? [`  ... and ${more} more`] : []));
  }

  out.push(
    '',
    `Owner:        ${line(alert.owner)}`,
    `Remediation:  ${line(describeRemediation(alert.remediation))}`,
    '',
    'Links',
    ...(links.console ? [`  Console:          ${links.console}`] : []),
    `  CloudTrail event: ${links.cloudTrailEvent}`,
    ...(links.runbook ? [`  Runbook:          ${links.runbook}`] : []),
    ...(links.approve ? [`  Approve:          ${links.approve}`] : []),
    '',
    `Detection:   ${detection.id}`,
    `Compliance:  ${complianceLabels(detection).join(', ') || 'none'}`,
    `Event id:    ${line(event.eventId)}`,
    `Alert sent:  ${now.toISOString()}${minutes === undefined ? '' : ` (${minutes} min after the call)`}`,
    '',
    '-- ',
    'Sent by vigil. Reply to the owner team, not to this address.',
  );
  return `${out.join('\n')}\n`;
}
