/**
 * The ports of the coverage function (handlers/core/flows/coverage-flow.ts): the coverage store (the
 * heartbeat cells triage writes, and the one `state` item this function owns), and the sender of one
 * message on one channel of one routing. The adapters are handlers/adapters/coverage-store.ts and
 * coverage-sender.ts; the types are structural.
 */
import type { AlertRouting } from '../alert';
import type { CoverageState, HeartbeatRecord } from '../coverage';
import type { EmailMessage } from '../format-email';
import type { PagerDutySeverity } from '../format-pagerduty';
import type { SlackMessage } from '../format-slack';

/** The channels of a coverage message; PagerDuty only for the pipeline-down page and its resolve. */
export type CoverageChannel = 'slack' | 'email' | 'pagerduty';

/** What one message says, formatted for each channel. */
export interface CoverageMessage {
  /**
   * Stable within an evaluation round, whatever the run: `<kind>#<subject>` (e.g.
   * `silent#111111111111/eu-west-1`). With the recipient and the channel it keys the sent marks.
   */
  readonly id: string;
  readonly kind:
    | 'silent'
    | 'recovered'
    | 'retired'
    | 'pipeline-down'
    | 'pipeline-recovered'
    | 'unknown-account'
    | 'uncovered-region';
  readonly slack: SlackMessage;
  readonly email: EmailMessage;
  /** The page (trigger) or its resolve, for the routings that page. @default - never pages */
  readonly pagerduty?: CoveragePage;
}

/** A PagerDuty event of the coverage function: one dedup key, so the resolve closes the trigger. */
export interface CoveragePage {
  readonly action: 'trigger' | 'resolve';
  readonly dedupKey: string;
  readonly summary: string;
  readonly severity: PagerDutySeverity;
  readonly details: Readonly<Record<string, unknown>>;
}

/** One delivery: a message, to one recipient (an owner, or `default`), on one channel of its routing. */
export interface CoverageDelivery {
  readonly message: CoverageMessage;
  /** The owner the routing belongs to, or `default` (the security team's route). */
  readonly to: string;
  readonly routing: AlertRouting;
  readonly channel: CoverageChannel;
}

/** The key of a delivery in the sent marks: `<message id>@<to>#<channel>`. */
export const deliveryKey = (
  d: Pick<CoverageDelivery, 'to' | 'channel'> & { readonly message: { readonly id: string } },
) => `${d.message.id}@${d.to}#${d.channel}`;

/** An account's opt-in regions as the coverage table caches them (see {@link OptInRegionReader}). */
export interface OptInRegionsEntry {
  readonly accountId: string;
  /** Opt-in regions enabled (or being enabled) in the account, sorted. */
  readonly regions: readonly string[];
  /** When they were read (ISO 8601). */
  readonly checkedAt: string;
}

/** The cells of the coverage table (every page). */
export interface CoverageCells {
  readonly heartbeats: readonly HeartbeatRecord[];
  /**
   * Accounts triage saw events from although the account view lacks them (sighting items, written by
   * triage), sorted, each once.
   */
  readonly seenAccountIds: readonly string[];
  /** The cached opt-in regions of each account checked so far, by account id. */
  readonly optInRegions: Readonly<Record<string, OptInRegionsEntry>>;
  /** Keys of cell items that could not be read, skipped. */
  readonly unreadable: readonly string[];
}

/**
 * What the coverage table holds for an evaluation: heartbeats, sightings, cached opt-in regions and the last
 * committed state. The coverage function (which then refreshes the opt-in regions), the dashboard's map widget
 * and `npm run coverage` all evaluate from this, so the three never disagree on what the table says.
 */
export function storedCoverageInputs(
  cells: CoverageCells,
  record: Pick<CoverageRecord, 'state'>,
): {
  readonly heartbeats: readonly HeartbeatRecord[];
  readonly seenAccountIds: readonly string[];
  readonly optInRegions: Readonly<Record<string, readonly string[]>>;
  readonly previous?: CoverageState;
} {
  return {
    heartbeats: cells.heartbeats,
    seenAccountIds: cells.seenAccountIds,
    optInRegions: Object.fromEntries(Object.entries(cells.optInRegions).map(([id, e]) => [id, e.regions])),
    ...(record.state ? { previous: record.state } : {}),
  };
}

/** The lease a run holds on the round while it sends. */
export interface CoverageLease {
  readonly runId: string;
  /** Epoch milliseconds; after it, another run may take the round over. */
  readonly until: number;
}

/** The `state` item: the committed evaluation round and what the current round already sent. */
export interface CoverageRecord {
  /** Round number: 0 before any commit, +1 per commit. Every write is conditional on it. */
  readonly rev: number;
  /** The last committed state. @default - none: a first evaluation */
  readonly state?: CoverageState;
  /** Keys of the gaps (unknown accounts, uncovered regions) already alerted, sorted. */
  readonly notified: readonly string[];
  /** {@link deliveryKey}s that went out in round `rev` (cleared by the commit), sorted. */
  readonly sent: readonly string[];
  /** @default - no run is sending */
  readonly lease?: CoverageLease;
}

/** Reads the cells and reads and writes the `state` item. */
export interface CoverageStore {
  cells(): Promise<CoverageCells>;
  /** The `state` item, or `{ rev: 0, notified: [], sent: [] }` when there is none yet. */
  load(): Promise<CoverageRecord>;
  /**
   * Writes `next` in place of the item, if the item is still at round `expectedRev` and no other run
   * holds an unexpired lease (`runId` may hold its own). False when that condition failed: another run
   * moved the round on or is sending.
   */
  put(next: CoverageRecord, expectedRev: number, runId: string, nowMs: number): Promise<boolean>;
  /** Caches an account's opt-in regions (read back by `cells()`). */
  putOptInRegions(entry: OptInRegionsEntry): Promise<void>;
}

/**
 * Reads which opt-in regions an account has enabled (Account Management `ListRegions`, status ENABLED or
 * ENABLING), from the security account as the Account Management delegated administrator.
 */
export interface OptInRegionReader {
  list(accountId: string): Promise<readonly string[]>;
}

/** Sends one message on one channel of a routing; throws when the channel did not accept it. */
export interface CoverageSender {
  send(channel: CoverageChannel, routing: AlertRouting, message: CoverageMessage): Promise<void>;
}
