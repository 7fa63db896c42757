/**
 * The ports of the triage workflow (handlers/core/flows/triage-flow.ts): what it needs from the dedupe
 * store, the tag reader and the notifier. The adapters in handlers/adapters implement them; the types
 * are structural, so an adapter fits without importing them.
 */
import type { Alert } from '../alert';
import type { ResourceTagsOutcome } from '../owner';
import type { TagLookup } from '../triage';
import type { HeartbeatRecord } from '../coverage';

/** A notification channel, as the notifier names it (handlers/adapters/notify.ts CHANNELS). */
export type ChannelName = 'slack' | 'pagerduty' | 'email';

/** Every channel (the same list as the notifier's CHANNELS; a test keeps them equal). */
export const CHANNELS: readonly ChannelName[] = ['slack', 'pagerduty', 'email'];

/** Where a Slack Web API message lives (handlers/adapters/slack.ts SlackMessageRef). */
export interface SlackMessageRef {
  readonly channel: string;
  readonly ts: string;
}

/** State of an event item. */
export type EventStatus = 'pending' | 'sent' | 'suppressed' | 'folded' | 'digest' | 'failed';

export type EventClaim =
  | {
      readonly claimed: true;
      /** Channels that accepted this alert in an earlier, failed attempt; skip them to avoid duplicate posts. */
      readonly delivered: readonly string[];
    }
  /** Another copy is done (`sent`, `suppressed`, `folded`) or in flight (`pending`). */
  | { readonly claimed: false; readonly status: EventStatus | 'unknown' };

/** What counting an event into its burst decided. */
export type BurstCount =
  /** Fewer events than the threshold so far in this window: fold, no alert yet. */
  | { readonly status: 'below'; readonly count: number }
  /** This event completed the threshold: it raises the burst's one alert. */
  | { readonly status: 'alert'; readonly count: number }
  /** The burst's alert belongs to another event: fold this one into it. */
  | { readonly status: 'folded' };

/**
 * The dedupe store (handlers/adapters/dedupe-store.ts). Times are epoch seconds, passed in by the flow.
 */
/** The final outcomes an event is recorded with. */
export type FinalStatus = 'sent' | 'suppressed' | 'folded' | 'digest';

export interface DedupeStore {
  /** Claims an event for processing; `owner` is the SQS message id. */
  claimEvent(key: string, o: { owner: string; now: number; leaseSeconds: number }): Promise<EventClaim>;
  /** Records a final outcome; false when the claim was lost (its lease ran out and another took it). */
  finishEvent(
    key: string,
    o: { owner: string; status: FinalStatus; now: number; ttlSeconds: number },
  ): Promise<boolean>;
  /** Marks the event `failed` so a retry may claim it again, keeping the channels that did accept it. */
  failEvent(
    key: string,
    o: { owner: string; delivered: readonly string[]; now: number; ttlSeconds: number },
  ): Promise<boolean>;
  /** Claims the right to alert on a resource; false while another alert on it is recent or in flight. */
  claimResource(key: string, o: { owner: string; now: number; leaseSeconds: number }): Promise<boolean>;
  /** Starts the suppression window after a successful notification. */
  confirmResource(key: string, o: { owner: string; now: number; windowSeconds: number }): Promise<boolean>;
  /** Gives the resource up after a failed notification, so the next event may alert. */
  releaseResource(key: string, o: { owner: string }): Promise<boolean>;
  /** Counts `member` (the event id) into a burst; idempotent for the same member. */
  countBurst(
    plan: { readonly key: string; readonly threshold: number; readonly expiresAt: number },
    member: string,
  ): Promise<BurstCount>;
}

/** Reads resource tags (handlers/adapters/resource-tags.ts); never throws. */
export interface ResourceTagsReader {
  read(lookup: TagLookup | undefined): Promise<ResourceTagsOutcome>;
}

/** What the notifier reports for one channel (the part the flow reads). */
export interface ChannelOutcome {
  readonly channel: string;
  readonly status: string;
  /** The posted Slack message, when it went through the Web API. */
  readonly slack?: SlackMessageRef;
}

/** Sends alerts (handlers/adapters/notify.ts); throws `NotificationError` unless every channel took it. */
export interface AlertNotifier {
  notify(alert: Alert, options?: { readonly skip?: Iterable<ChannelName> }): Promise<readonly ChannelOutcome[]>;
}

/**
 * One change-monitor event (class `change`, severity `info`) for its owner's daily digest, instead of a
 * real-time alert. The digest function reads a day's entries back and sends one message per owner.
 */
export interface DigestEntry {
  /** UTC day of the CloudTrail eventTime, `YYYY-MM-DD`. */
  readonly day: string;
  readonly owner: string;
  readonly detectionId: string;
  readonly title: string;
  readonly accountId: string;
  readonly accountName: string;
  readonly region: string;
  readonly eventId: string;
  readonly eventName: string;
  readonly eventTime: string;
  readonly principal: string;
  /** Resource ids, at most a few. */
  readonly resources: readonly string[];
}

export interface DigestLog {
  /** Adds the entry to its day and owner; idempotent per event id (a redelivery counts once). */
  record(entry: DigestEntry): Promise<void>;
}

/**
 * One heartbeat as the coverage table keeps it (config/naming.ts `tableNames().coverage`): the coverage
 * record (handlers/core/coverage.ts) and the CloudTrail event id.
 */
export interface HeartbeatEntry extends HeartbeatRecord {
  readonly eventId: string;
}

/** Records heartbeats (handlers/adapters/heartbeat-store.ts): the latest per account × region × path. */
export interface HeartbeatLog {
  /**
   * Keeps the heartbeat when it is newer than the cell's (by eventTime); idempotent, so a redelivery or an
   * older heartbeat that arrives late changes nothing. Resolves `false` when the cell already had a newer one.
   */
  record(entry: HeartbeatEntry): Promise<boolean>;
}

/**
 * Accounts whose events reach triage but which the account view does not list (issue #11): a member stack
 * deployed before the security stack learnt of it, or an account that forwards without being onboarded.
 * The coverage function reads the sightings and raises one "account not in the inventory" message each.
 */
export interface AccountSightings {
  /**
   * Notes that an event from `accountId` in `region` arrived at `seenAt` (ISO 8601). Cheap to call for every
   * event: the adapter writes at most once per account × region per few minutes. Never blocks an alert: the
   * flow logs a failure and goes on.
   */
  note(accountId: string, region: string, seenAt: string): Promise<void>;
}

/** What the flow did with one message: what replay, plan and the agreement test read. */
export interface TriageOutcome {
  readonly messageId: string;
  readonly detectionId?: string;
  readonly eventId?: string;
  readonly outcome:
    | 'invalid'
    | 'own-remediation'
    | 'failed-call'
    | 'no-finding'
    | 'superseded'
    | 'duplicate'
    | 'suppressed'
    | 'folded'
    | 'alerted'
    | 'digest'
    | 'heartbeat'
    | 'retry'
    /** Sweep mode: real time had already handled the event. */
    | 'confirmed';
  /** The alert's severity (alerted, digest, suppressed, folded). */
  readonly severity?: string;
  readonly owner?: string;
  /** Whether remediation was handed over for an alert whose detection has one. */
  readonly remediation?: 'requested' | 'withheld';
  readonly reason?: string;
  /** Sweep mode: the alert (or digest entry) went out late, caught by the sweep. */
  readonly late?: boolean;
}
