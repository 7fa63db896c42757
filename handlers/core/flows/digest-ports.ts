/**
 * The ports of the daily digest (handlers/core/flows/digest-flow.ts): what it reads from the digest
 * store, how it records what was sent, and how one message goes out on one channel. The adapters in
 * handlers/adapters implement them (digest-store.ts, digest-sender.ts); the types are structural.
 */
import type { AlertRouting } from '../alert';
import type { EmailMessage } from '../format-email';
import type { SlackMessage } from '../format-slack';
import type { DigestEntry } from './triage-ports';

export type { DigestEntry, DigestLog } from './triage-ports';

/** The channels a digest goes to: never PagerDuty (a digest is information, not a page). */
export type DigestChannel = 'slack' | 'email';

/** Every digest channel, in the order they are sent. */
export const DIGEST_CHANNELS: readonly DigestChannel[] = ['slack', 'email'];

/** One day of the digest store. */
export interface DigestDay {
  /** The change-monitor events of the day, every owner. */
  readonly entries: readonly DigestEntry[];
  /** Channels already sent per owner (by an earlier run for the same day). */
  readonly sent: ReadonlyMap<string, ReadonlySet<DigestChannel>>;
  /** Items that could not be read as an entry or a marker (their sort keys), skipped. */
  readonly unreadable: readonly string[];
}

/** Reads a day back (every page). */
export interface DigestReader {
  entriesOf(day: string): Promise<DigestDay>;
}

/** Records that a channel of an owner's digest went out; false when it was already recorded. */
export interface DigestSentMarker {
  markSent(day: string, owner: string, channel: DigestChannel): Promise<boolean>;
}

/** One owner's digest, formatted for each channel. */
export interface DigestMessage {
  readonly slack: SlackMessage;
  readonly email: EmailMessage;
}

/** Sends a digest on one channel of a routing; throws when the channel did not accept it. */
export interface DigestSender {
  send(channel: DigestChannel, routing: AlertRouting, message: DigestMessage): Promise<void>;
}
