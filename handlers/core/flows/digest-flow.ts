/**
 * The daily digest: reads one UTC day of change-monitor events from the digest store, groups them by
 * owner and sends each owner one message (Slack and email, never PagerDuty) with counts and links.
 * Ports only: the store (reader and sent marker), the sender, the clock and the log writer.
 * handlers/entrypoints/digest.ts builds the adapters; see its header for the delivery semantics.
 */
import { DigestRunError } from '../../errors';
import type { AlertRouting } from '../alert';
import { formatDigestEmail, formatDigestSlack, type OwnerDigest, summarizeDigest } from '../format-digest';
import { describeError as describe, isRecord, makeJsonLogger, type WriteLine } from '../lambda-io';
import { type RoutingConfig, routeAlert } from '../triage-alert';
import {
  DIGEST_CHANNELS,
  type DigestChannel,
  type DigestEntry,
  type DigestMessage,
  type DigestReader,
  type DigestSender,
  type DigestSentMarker,
} from './digest-ports';

/** The digest's ports and settings: the entrypoint builds them from the environment, tests pass fakes. */
export interface DigestFlowDeps {
  readonly store: DigestReader & DigestSentMarker;
  readonly sender: DigestSender;
  /** The triage routing: default channels, per-owner overrides. PagerDuty is dropped from it. */
  readonly routing: RoutingConfig;
  readonly now: () => Date;
  /** Days before the run's day (UTC) that it reports on. @default 1 (yesterday) */
  readonly dayOffset?: number;
  /** Where JSON log lines go. @default console.log */
  readonly write?: WriteLine;
}

/** What one run did, by owner. */
export interface DigestReport {
  readonly day: string;
  readonly entries: number;
  /** Owners whose digest went out in this run (on at least one channel). */
  readonly sent: readonly string[];
  /** Owners whose digest an earlier run had already sent on every channel. */
  readonly alreadySent: readonly string[];
  /** Owners with a channel that did not take the digest (or without any channel). */
  readonly failed: readonly string[];
  /** Items of the day that could not be read (sort keys). */
  readonly unreadable: readonly string[];
}

export { DigestRunError } from '../../errors';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The day a run reports on: `{"day": "YYYY-MM-DD"}` in the event (a re-run by hand), else the day of
 * the schedule's `time` (kept by Lambda's retries of the same event, so a retry after midnight still
 * reports the day it was meant to), else of the clock, minus `offset` days.
 */
export function digestDay(event: unknown, now: Date, offset: number): string {
  if (isRecord(event) && typeof event['day'] === 'string' && DAY.test(event['day'])) return event['day'];
  const scheduled = isRecord(event) && typeof event['time'] === 'string' ? Date.parse(event['time']) : Number.NaN;
  const at = Number.isNaN(scheduled) ? now.getTime() : scheduled;
  return new Date(at - offset * 86_400_000).toISOString().slice(0, 10);
}

/** Where an owner's digest goes: the owner's routing over the default, without PagerDuty. */
export function digestRouting(owner: string, routing: RoutingConfig): AlertRouting {
  const { pagerdutyRoutingKeyRef: _never, ...rest } = routeAlert(owner, 'info', routing);
  return rest;
}

/** The channels of a digest routing. A Slack channel name without a webhook counts: it must fail loudly. */
export function digestChannels(routing: AlertRouting): DigestChannel[] {
  return DIGEST_CHANNELS.filter((c) =>
    c === 'slack'
      ? !!(routing.slackWebhookRef || routing.slackBotTokenRef || routing.slackChannel || routing.slackChannelId)
      : !!routing.emailTopicArn,
  );
}

/** Builds the run; it resolves with the report, or throws {@link DigestRunError} when an owner failed. */
export function createDigestFlow(deps: DigestFlowDeps): (event?: unknown) => Promise<DigestReport> {
  const { log } = makeJsonLogger('vigil-digest', deps.write);

  type Result = 'sent' | 'alreadySent' | 'failed';

  const sendOwner = async (digest: OwnerDigest, done: ReadonlySet<DigestChannel> | undefined): Promise<Result> => {
    const { day, owner } = digest;
    const routing = digestRouting(owner, deps.routing);
    const channels = digestChannels(routing);
    if (channels.length === 0) {
      log('error', 'owner has no Slack or email route; the digest reaches nobody', {
        day,
        owner,
        fix: 'give the owner (or the default) a Slack route or an email topic in config/alerting.json',
      });
      return 'failed';
    }
    const pending = channels.filter((c) => !done?.has(c));
    if (pending.length === 0) {
      log('info', 'digest already sent', { day, owner, channels });
      return 'alreadySent';
    }
    const message: DigestMessage = { slack: formatDigestSlack(digest), email: formatDigestEmail(digest) };
    let failed = false;
    // One channel after the other, each recorded once it went out: a retry re-sends only what failed.
    for (const channel of pending) {
      try {
        await deps.sender.send(channel, routing, message);
      } catch (err) {
        log('error', 'digest not delivered', { day, owner, channel, error: describe(err) });
        failed = true;
        continue;
      }
      try {
        const first = await deps.store.markSent(day, owner, channel);
        if (!first) log('warn', 'digest was sent by another run too', { day, owner, channel });
      } catch (err) {
        // Sent but not recorded: a retry would send this channel again, so the run must say so.
        log('error', 'digest sent but not recorded as sent; a retry sends it again', {
          day,
          owner,
          channel,
          error: describe(err),
        });
        failed = true;
        continue;
      }
      log('info', 'digest sent', { day, owner, channel, events: digest.total });
    }
    return failed ? 'failed' : 'sent';
  };

  return async (event) => {
    const day = digestDay(event, deps.now(), deps.dayOffset ?? 1);
    const { entries, sent: alreadySent, unreadable } = await deps.store.entriesOf(day);
    if (unreadable.length > 0) {
      log('error', 'skipped digest items that cannot be read', { day, items: unreadable.slice(0, 20) });
    }
    const byOwner = new Map<string, DigestEntry[]>();
    for (const e of entries) byOwner.set(e.owner, [...(byOwner.get(e.owner) ?? []), e]);
    const report = { sent: [] as string[], alreadySent: [] as string[], failed: [] as string[] };
    // Owners one at a time, every one tried: one owner's broken route does not hold back the others.
    for (const owner of [...byOwner.keys()].sort()) {
      let result: Result;
      try {
        result = await sendOwner(summarizeDigest(day, owner, byOwner.get(owner)!), alreadySent.get(owner));
      } catch (err) {
        log('error', 'digest failed', { day, owner, error: describe(err) });
        result = 'failed';
      }
      report[result].push(owner);
    }
    log(report.failed.length > 0 ? 'error' : 'info', 'digest run done', {
      day,
      entries: entries.length,
      owners: byOwner.size,
      sent: report.sent.length,
      alreadySent: report.alreadySent.length,
      failed: report.failed.length,
      unreadable: unreadable.length,
    });
    if (report.failed.length > 0) {
      throw new DigestRunError(
        `the ${day} digest did not reach ${report.failed.length} owner(s): ${report.failed.join(', ')}`,
        report.failed,
      );
    }
    return { day, entries: entries.length, ...report, unreadable };
  };
}
