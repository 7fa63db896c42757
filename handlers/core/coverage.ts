/**
 * Proof of coverage (issue #11), the pure part: from the latest heartbeat of every account × region
 * cell (and of every account's global-service path), the inventory and the previous evaluation's
 * state, decide which cells are healthy, late, silent or not deployed; which transitions deserve a
 * message (one per newly silent cell, one per recovery, one page when the whole pipeline is down);
 * which accounts and regions exist but are not covered; and how long heartbeats take from CloudTrail
 * to triage (MTTD percentiles measured on real traffic). No I/O, no clock: `now` is an argument.
 *
 * The heartbeat itself is a harmless write call made by a schedule in each member account and
 * region; its CloudTrail event travels the production path (default bus → forwarding rule →
 * central bus → triage), and triage records it (see {@link HeartbeatRecord}).
 */
import { accountRegions, type OrgInventory } from '../../config/inventory';
import { GLOBAL_EVENTS_REGION } from '../../config/regions';
import type { HandlerInventory } from './inventory-view';
import { isRecord } from './lambda-io';

/** Which forwarding path a heartbeat proves: a region's own rules, or the global-service events of us-east-1. */
export type HeartbeatPath = 'regional' | 'global';

/** One heartbeat as triage records it in the coverage table. */
export interface HeartbeatRecord {
  /** 12-digit account id the heartbeat call was made in (the event's `account`). */
  readonly accountId: string;
  /** Region the CloudTrail event was recorded in (us-east-1 for the global path). */
  readonly region: string;
  readonly path: HeartbeatPath;
  /** CloudTrail `eventTime` of the heartbeat call (ISO 8601). */
  readonly eventTime: string;
  /** When triage received it (ISO 8601). `arrivedAt − eventTime` is the pipeline's time to detect. */
  readonly arrivedAt: string;
}

/** What a cell's heartbeats say. */
export type CoverageStatus = 'healthy' | 'late' | 'silent' | 'not-deployed';

/** The column of the global-service path (one per account, its events arrive through us-east-1). */
export const GLOBAL_COLUMN = 'global';

/** One account as the coverage computation sees it. */
export interface CoverageAccount {
  readonly id: string;
  readonly name: string;
  /** Regions the account forwards from (its heartbeat schedules live there). */
  readonly regions: readonly string[];
}

/** The inventory part the coverage computation needs. */
export interface CoverageInventory {
  /** The organization's enabled regions: the map's columns (before `global`). */
  readonly regions: readonly string[];
  readonly accounts: readonly CoverageAccount[];
  /**
   * Region where global-service events (IAM, Organizations, global STS) are recorded, and so where the
   * global path's heartbeat arrives from. @default GLOBAL_EVENTS_REGION (us-east-1)
   */
  readonly globalRegion?: string;
}

/** The coverage view of a validated org inventory (the CLI's input; the Lambda uses the handler view). */
export function coverageInventory(inv: OrgInventory): CoverageInventory {
  return {
    regions: [...inv.regions].sort(),
    accounts: inv.accounts.map((a) => ({ id: a.id, name: a.name, regions: accountRegions(inv, a) })),
  };
}

/** The coverage view of the handlers' inventory (what the coverage function reads at run time). */
export function coverageInventoryFromView(view: HandlerInventory): CoverageInventory {
  return {
    regions: [...view.regions].sort(),
    accounts: Object.entries(view.accounts).map(([id, a]) => ({ id, name: a.name, regions: [...a.regions].sort() })),
  };
}

/**
 * Thresholds of the computation. Durations are in minutes, counts in evaluations (runs of the coverage
 * function). Defaults and why:
 */
export interface CoverageOptions {
  /** Minutes between two heartbeats of one cell (the schedules' rate). @default 5 */
  readonly intervalMinutes: number;
  /**
   * Delivery delay a healthy path may add to a heartbeat (CloudTrail → EventBridge → central bus → triage).
   * AWS documents no figure for CloudTrail-to-EventBridge delivery (it is best effort); for S3 it says
   * CloudTrail "typically delivers logs within an average of about 5 minutes of an API call. This time is
   * not guaranteed" (CloudTrail user guide, "Getting and viewing your CloudTrail log files"), and quoted
   * 15 minutes before 2023. 15 minutes covers the old bound, three times today's average.
   * @default 15
   */
  readonly maxDeliveryDelayMinutes: number;
  /**
   * A cell is late when its newest heartbeat's `eventTime` is older than this many intervals plus the
   * delivery delay: with 2, one heartbeat may be lost (best-effort delivery drops a few) without a
   * colour change; two in a row may not. @default 2 (25 minutes at the default rate)
   */
  readonly lateAfterIntervals: number;
  /**
   * A cell is silent when its newest heartbeat is older than this many intervals plus the delivery delay:
   * six missed heartbeats are no longer bad luck. @default 6 (45 minutes at the default rate)
   */
  readonly silentAfterIntervals: number;
  /**
   * Consecutive silent evaluations before a cell's one "newly silent" alert: a cell that is silent at one
   * run and back at the next pages nobody. Late evaluations neither count nor reset the streak (a delayed
   * heartbeat is no proof of health); only a healthy one resets it. @default 2
   */
  readonly silentEvaluationsToAlert: number;
  /** Consecutive healthy evaluations before an alerted cell's one recovery message. @default 2 */
  readonly healthyEvaluationsToRecover: number;
  /** Heartbeats that arrived within this many minutes before `now` feed the latency percentiles. @default 1440 (a day) */
  readonly latencyWindowMinutes: number;
}

export const DEFAULT_COVERAGE_OPTIONS: CoverageOptions = {
  intervalMinutes: 5,
  maxDeliveryDelayMinutes: 15,
  lateAfterIntervals: 2,
  silentAfterIntervals: 6,
  silentEvaluationsToAlert: 2,
  healthyEvaluationsToRecover: 2,
  latencyWindowMinutes: 24 * 60,
};

/** The age limits derived from the options, in milliseconds. */
export interface CoverageThresholds {
  /** A newest heartbeat older than this makes the cell late. */
  readonly lateAfterMs: number;
  /** A newest heartbeat older than this makes the cell silent. */
  readonly silentAfterMs: number;
}

const MINUTE_MS = 60_000;

/**
 * Options with defaults filled in, checked: every duration positive, late before silent, counts whole and ≥ 1.
 * @throws RangeError naming the option and the value
 */
export function resolveCoverageOptions(options: Partial<CoverageOptions> = {}): CoverageOptions {
  const o: CoverageOptions = { ...DEFAULT_COVERAGE_OPTIONS, ...options };
  const problems: string[] = [];
  for (const key of ['intervalMinutes', 'latencyWindowMinutes', 'lateAfterIntervals'] as const) {
    if (!(Number.isFinite(o[key]) && o[key] > 0)) problems.push(`${key} must be a positive number, got ${o[key]}`);
  }
  if (!(Number.isFinite(o.maxDeliveryDelayMinutes) && o.maxDeliveryDelayMinutes >= 0)) {
    problems.push(`maxDeliveryDelayMinutes must be zero or more, got ${o.maxDeliveryDelayMinutes}`);
  }
  if (!(Number.isFinite(o.silentAfterIntervals) && o.silentAfterIntervals > o.lateAfterIntervals)) {
    problems.push(
      `silentAfterIntervals must be more than lateAfterIntervals (${o.lateAfterIntervals}), got ${o.silentAfterIntervals}`,
    );
  }
  for (const key of ['silentEvaluationsToAlert', 'healthyEvaluationsToRecover'] as const) {
    if (!(Number.isInteger(o[key]) && o[key] >= 1)) problems.push(`${key} must be a whole number ≥ 1, got ${o[key]}`);
  }
  if (problems.length > 0) throw new RangeError(`coverage options: ${problems.join('; ')}`);
  return o;
}

/** The late and silent ages of the options. */
export function coverageThresholds(options: CoverageOptions): CoverageThresholds {
  const delay = options.maxDeliveryDelayMinutes * MINUTE_MS;
  return {
    lateAfterMs: options.lateAfterIntervals * options.intervalMinutes * MINUTE_MS + delay,
    silentAfterMs: options.silentAfterIntervals * options.intervalMinutes * MINUTE_MS + delay,
  };
}

/** A cell of the map: one account and one column (a region, or {@link GLOBAL_COLUMN}). */
export interface CellRef {
  readonly accountId: string;
  /** A region, or `global`. */
  readonly column: string;
}

/** The key of a cell in the state: `<accountId>/<region or global>`. */
export function cellKey(ref: CellRef): string {
  return `${ref.accountId}/${ref.column}`;
}

/** Flapping memory of one cell. Cells at the default (not alerted, no silent streak) are not stored. */
export interface CellState {
  /** The cell's "newly silent" alert went out and its recovery message has not. */
  readonly alerted: boolean;
  /** Consecutive silent evaluations (late ones do not break it; healthy ones do; all-silent ones do not count). */
  readonly silentStreak: number;
  /** Consecutive healthy evaluations (counted while alerted, for the recovery). */
  readonly healthyStreak: number;
}

/** Flapping memory of the pipeline-down verdict. */
export interface PipelineState {
  /** The "pipeline down" page went out and its recovery message has not. */
  readonly down: boolean;
  /** Consecutive evaluations where every deployed cell was silent. */
  readonly allSilentStreak: number;
  /** Consecutive evaluations, while down, where at least one deployed cell was not silent. */
  readonly liveStreak: number;
}

/** What one evaluation hands to the next (stored by the coverage function between runs). */
export interface CoverageState {
  readonly version: typeof COVERAGE_STATE_VERSION;
  /** When the evaluation that wrote it ran (ISO 8601). */
  readonly evaluatedAt: string;
  /** By {@link cellKey}; only cells that are alerted or on a silent streak. */
  readonly cells: Readonly<Record<string, CellState>>;
  readonly pipeline: PipelineState;
}

export const COVERAGE_STATE_VERSION = 1;

/** Inputs of one evaluation. */
export interface CoverageInput {
  readonly inventory: CoverageInventory;
  /** Heartbeats (any number per cell; the newest by `eventTime` decides the status, all feed the latencies). */
  readonly heartbeats: readonly HeartbeatRecord[];
  readonly now: Date;
  /** @default - a first evaluation: no cell alerted, no streaks */
  readonly previous?: CoverageState;
  /** @default DEFAULT_COVERAGE_OPTIONS */
  readonly options?: Partial<CoverageOptions>;
  /**
   * Whether the heartbeat schedule of a cell is deployed (e.g. an account whose member stack has not been
   * applied since heartbeats were added): undeployed cells are `not-deployed`, never silent.
   * @default - every region an account forwards from, and its global path, are deployed
   */
  readonly deployed?: (cell: CellRef) => boolean;
  /** Account ids seen in any event (not only heartbeats), to find accounts the inventory lacks. @default - none */
  readonly seenAccountIds?: readonly string[];
  /**
   * Opt-in regions enabled in each account, when known (Account Management `ListRegions`, status ENABLED or
   * ENABLING). Regions enabled by default are left out on purpose: they cannot be disabled, so the usual guard
   * is a region-deny SCP, and listing them for every account would bury the opt-in ones.
   * @default - unknown: no uncovered region is reported
   */
  readonly optInRegions?: Readonly<Record<string, readonly string[]>>;
}

/** One cell's verdict. */
export interface CoverageCell extends CellRef {
  readonly path: HeartbeatPath;
  /** The region the cell's heartbeats are recorded in (us-east-1 for `global`). */
  readonly region: string;
  readonly status: CoverageStatus;
  /** The newest heartbeat's `eventTime`. @default - none ever arrived */
  readonly lastEventTime?: string;
  /** When the newest heartbeat arrived. @default - none ever arrived */
  readonly lastArrivedAt?: string;
  /** `now − lastEventTime` in milliseconds. @default - none ever arrived */
  readonly ageMs?: number;
}

/** An account seen in heartbeats or events that the inventory does not list. */
export interface UnknownAccount {
  readonly accountId: string;
  /** Where it was seen, sorted. */
  readonly seenIn: readonly ('heartbeat' | 'event')[];
  /** Regions of its heartbeats, sorted. */
  readonly regions: readonly string[];
  /** Its newest heartbeat's arrival. @default - seen in events only */
  readonly lastArrivedAt?: string;
}

/** An opt-in region enabled in an account that vigil does not forward from. */
export interface UncoveredRegion {
  readonly accountId: string;
  readonly region: string;
  /**
   * `not-in-inventory`: the org's `regions` lack it (add it there, or disable the region);
   * `not-forwarded`: the org has it but the account's own `regions` leave it out.
   */
  readonly reason: 'not-in-inventory' | 'not-forwarded';
}

/** Nearest-rank percentiles of heartbeat latency (`arrivedAt − eventTime`), in milliseconds. */
export interface LatencyPercentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** Cell counts, for the `CoverageHealthyCells` / `CoverageSilentCells` metrics and the map's totals. */
export interface CoverageCounts {
  readonly healthy: number;
  readonly late: number;
  readonly silent: number;
  readonly notDeployed: number;
  /** healthy + late + silent. */
  readonly deployed: number;
}

/** What changed since the previous evaluation and deserves a message. */
export interface CoverageTransitions {
  /** Cells whose one "newly silent" alert is due now (never while the pipeline is down). */
  readonly newlySilent: readonly CellRef[];
  /** Alerted cells healthy long enough for their one recovery message. */
  readonly recovered: readonly CellRef[];
  /** Alerted cells that left the map (account or region removed, schedule undeployed): close their alert. */
  readonly retired: readonly CellRef[];
  /** The one "pipeline down" page is due now. */
  readonly pipelineDown: boolean;
  /** The pipeline was down and is back: the page's recovery message is due now. */
  readonly pipelineRecovered: boolean;
}

/** The outcome of one evaluation. */
export interface CoverageResult {
  readonly evaluatedAt: string;
  /** When the evaluation whose state this one continued ran. @default - none: a first evaluation */
  readonly previousEvaluatedAt?: string;
  readonly options: CoverageOptions;
  readonly thresholds: CoverageThresholds;
  /** The map's columns: the org's regions, sorted, then `global`. */
  readonly columns: readonly string[];
  /** The map's rows, by account id. */
  readonly accounts: readonly { readonly id: string; readonly name: string }[];
  /** Every row × column, row by row in the order of `accounts` and `columns`. */
  readonly cells: readonly CoverageCell[];
  readonly counts: CoverageCounts;
  /** Every deployed cell is silent at once: one "pipeline down" verdict instead of a message per cell. */
  readonly allSilent: boolean;
  /** The pipeline-down page is out (this evaluation or an earlier one) and not yet recovered. */
  readonly pipelineDown: boolean;
  readonly transitions: CoverageTransitions;
  readonly unknownAccounts: readonly UnknownAccount[];
  readonly uncoveredRegions: readonly UncoveredRegion[];
  /** Heartbeat latency over the window: org-wide and by column (region, or `global`). */
  readonly latency: {
    readonly orgWide?: LatencyPercentiles;
    readonly byColumn: Readonly<Record<string, LatencyPercentiles>>;
  };
  /** Hand this to the next evaluation as `previous`. */
  readonly state: CoverageState;
}

const NO_CELL_STATE: CellState = { alerted: false, silentStreak: 0, healthyStreak: 0 };
const NO_PIPELINE_STATE: PipelineState = { down: false, allSilentStreak: 0, liveStreak: 0 };

/** The column of a heartbeat: its region, or `global` for the global path. */
function columnOf(h: HeartbeatRecord): string {
  return h.path === 'global' ? GLOBAL_COLUMN : h.region;
}

/** Evaluates coverage: statuses, transitions with flapping suppression, gaps in the inventory, latencies. */
export function evaluateCoverage(input: CoverageInput): CoverageResult {
  const options = resolveCoverageOptions(input.options);
  const thresholds = coverageThresholds(options);
  const now = input.now.getTime();
  const globalRegion = input.inventory.globalRegion ?? GLOBAL_EVENTS_REGION;
  const orgRegions = [...new Set(input.inventory.regions)].sort();
  const columns = [...orgRegions, GLOBAL_COLUMN];
  const accounts = [...input.inventory.accounts].sort((a, b) => compare(a.id, b.id));
  const known = new Set(accounts.map((a) => a.id));

  // Heartbeats with unreadable times prove nothing and are left out (parseHeartbeatRecord reports them).
  const heartbeats = input.heartbeats.filter(
    (h) => Number.isFinite(Date.parse(h.eventTime)) && Number.isFinite(Date.parse(h.arrivedAt)),
  );
  const newest = new Map<string, HeartbeatRecord>();
  for (const h of heartbeats) {
    const key = cellKey({ accountId: h.accountId, column: columnOf(h) });
    const cur = newest.get(key);
    if (!cur || isNewer(h, cur)) newest.set(key, h);
  }

  const cells: CoverageCell[] = [];
  for (const account of accounts) {
    const forwarded = new Set(account.regions);
    for (const column of columns) {
      const ref = { accountId: account.id, column };
      const path: HeartbeatPath = column === GLOBAL_COLUMN ? 'global' : 'regional';
      const region = path === 'global' ? globalRegion : column;
      const deployed = forwarded.has(region) && (input.deployed?.(ref) ?? true);
      const last = newest.get(cellKey(ref));
      const seen = last
        ? { lastEventTime: last.eventTime, lastArrivedAt: last.arrivedAt, ageMs: now - Date.parse(last.eventTime) }
        : {};
      const status: CoverageStatus = !deployed
        ? 'not-deployed'
        : seen.ageMs === undefined || seen.ageMs > thresholds.silentAfterMs
          ? 'silent'
          : seen.ageMs > thresholds.lateAfterMs
            ? 'late'
            : 'healthy';
      cells.push({ ...ref, path, region, status, ...seen });
    }
  }

  const counts = countCells(cells);
  const allSilent = counts.deployed > 0 && counts.silent === counts.deployed;
  const { transitions, state, pipelineDown } = nextState(cells, allSilent, input.previous, options, input.now);

  return {
    evaluatedAt: input.now.toISOString(),
    ...(input.previous ? { previousEvaluatedAt: input.previous.evaluatedAt } : {}),
    options,
    thresholds,
    columns,
    accounts: accounts.map((a) => ({ id: a.id, name: a.name })),
    cells,
    counts,
    allSilent,
    pipelineDown,
    transitions,
    unknownAccounts: unknownAccounts(heartbeats, input.seenAccountIds ?? [], known),
    uncoveredRegions: uncoveredRegions(accounts, orgRegions, input.optInRegions ?? {}),
    latency: latencies(heartbeats, now, options.latencyWindowMinutes * MINUTE_MS),
    state,
  };
}

function isNewer(a: HeartbeatRecord, b: HeartbeatRecord): boolean {
  const byEvent = Date.parse(a.eventTime) - Date.parse(b.eventTime);
  return byEvent > 0 || (byEvent === 0 && Date.parse(a.arrivedAt) > Date.parse(b.arrivedAt));
}

function countCells(cells: readonly CoverageCell[]): CoverageCounts {
  const n = (s: CoverageStatus) => cells.filter((c) => c.status === s).length;
  const healthy = n('healthy');
  const late = n('late');
  const silent = n('silent');
  return { healthy, late, silent, notDeployed: n('not-deployed'), deployed: healthy + late + silent };
}

/**
 * The flapping logic. Per cell: silent evaluations build a streak (late ones keep it, healthy ones reset
 * it); at `silentEvaluationsToAlert` the cell's one alert fires; an alerted cell recovers after
 * `healthyEvaluationsToRecover` healthy evaluations in a row. Pipeline: when every deployed cell is silent,
 * cells keep the memory they had (no streak grows, no alert fires); after `silentEvaluationsToAlert` such
 * evaluations one page fires, and while
 * it is out no per-cell alert fires (otherwise the cells that come back a few minutes after the others
 * would each page as the pipeline returns); it recovers after `healthyEvaluationsToRecover` evaluations with
 * at least one live cell, after which cells still silent alert on their own.
 */
function nextState(
  cells: readonly CoverageCell[],
  allSilent: boolean,
  previous: CoverageState | undefined,
  o: CoverageOptions,
  now: Date,
): { transitions: CoverageTransitions; state: CoverageState; pipelineDown: boolean } {
  const prevCells = previous?.cells ?? {};
  const prevPipeline = previous?.pipeline ?? NO_PIPELINE_STATE;

  let pipeline: PipelineState;
  let pipelineDownNow = false;
  let pipelineRecovered = false;
  if (allSilent) {
    const allSilentStreak = prevPipeline.allSilentStreak + 1;
    pipelineDownNow = !prevPipeline.down && allSilentStreak >= o.silentEvaluationsToAlert;
    pipeline = { down: prevPipeline.down || pipelineDownNow, allSilentStreak, liveStreak: 0 };
  } else if (prevPipeline.down) {
    const liveStreak = prevPipeline.liveStreak + 1;
    pipelineRecovered = liveStreak >= o.healthyEvaluationsToRecover;
    pipeline = pipelineRecovered ? NO_PIPELINE_STATE : { down: true, allSilentStreak: 0, liveStreak };
  } else {
    pipeline = NO_PIPELINE_STATE;
  }
  const holdCellAlerts = allSilent || pipeline.down;

  const newlySilent: CellRef[] = [];
  const recovered: CellRef[] = [];
  const nextCells: Record<string, CellState> = {};
  const onMap = new Set<string>();
  for (const cell of cells) {
    const ref = { accountId: cell.accountId, column: cell.column };
    const key = cellKey(ref);
    if (cell.status === 'not-deployed') continue;
    onMap.add(key);
    const prev = prevCells[key] ?? NO_CELL_STATE;
    // While everything is silent a cell's own silence says nothing: its memory stays as it was, which also
    // keeps the stored state from growing to one entry per cell of the organization during an outage.
    if (allSilent) {
      if (prevCells[key]) nextCells[key] = prev;
      continue;
    }
    let next: CellState;
    if (cell.status === 'silent') {
      const silentStreak = prev.silentStreak + 1;
      const fire = !prev.alerted && !holdCellAlerts && silentStreak >= o.silentEvaluationsToAlert;
      if (fire) newlySilent.push(ref);
      next = { alerted: prev.alerted || fire, silentStreak, healthyStreak: 0 };
    } else if (cell.status === 'late') {
      next = { ...prev, healthyStreak: 0 };
    } else {
      const healthyStreak = prev.alerted ? prev.healthyStreak + 1 : 0;
      const recover = prev.alerted && healthyStreak >= o.healthyEvaluationsToRecover;
      if (recover) recovered.push(ref);
      next = recover ? NO_CELL_STATE : { alerted: prev.alerted, silentStreak: 0, healthyStreak };
    }
    if (next.alerted || next.silentStreak > 0) nextCells[key] = next;
  }
  const retired = Object.entries(prevCells)
    .filter(([key, s]) => s.alerted && !onMap.has(key))
    .map(([key]) => refOfKey(key))
    .sort((a, b) => compare(cellKey(a), cellKey(b)));

  return {
    transitions: { newlySilent, recovered, retired, pipelineDown: pipelineDownNow, pipelineRecovered },
    state: {
      version: COVERAGE_STATE_VERSION,
      evaluatedAt: now.toISOString(),
      cells: Object.fromEntries(Object.entries(nextCells).sort(([a], [b]) => compare(a, b))),
      pipeline,
    },
    pipelineDown: pipeline.down,
  };
}

function refOfKey(key: string): CellRef {
  const slash = key.indexOf('/');
  return { accountId: key.slice(0, slash), column: key.slice(slash + 1) };
}

function unknownAccounts(
  heartbeats: readonly HeartbeatRecord[],
  seenAccountIds: readonly string[],
  known: ReadonlySet<string>,
): UnknownAccount[] {
  const found = new Map<string, { seenIn: Set<'heartbeat' | 'event'>; regions: Set<string>; last?: HeartbeatRecord }>();
  const entry = (id: string) => {
    const e = found.get(id) ?? { seenIn: new Set(), regions: new Set() };
    found.set(id, e);
    return e;
  };
  for (const h of heartbeats) {
    if (known.has(h.accountId)) continue;
    const e = entry(h.accountId);
    e.seenIn.add('heartbeat');
    e.regions.add(h.region);
    if (!e.last || Date.parse(h.arrivedAt) > Date.parse(e.last.arrivedAt)) e.last = h;
  }
  for (const id of seenAccountIds) if (!known.has(id)) entry(id).seenIn.add('event');
  return [...found.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([accountId, e]) => ({
      accountId,
      seenIn: [...e.seenIn].sort(),
      regions: [...e.regions].sort(),
      ...(e.last ? { lastArrivedAt: e.last.arrivedAt } : {}),
    }));
}

function uncoveredRegions(
  accounts: readonly CoverageAccount[],
  orgRegions: readonly string[],
  optIn: Readonly<Record<string, readonly string[]>>,
): UncoveredRegion[] {
  const org = new Set(orgRegions);
  const out: UncoveredRegion[] = [];
  for (const account of accounts) {
    const forwarded = new Set(account.regions);
    for (const region of [...new Set(optIn[account.id] ?? [])].sort()) {
      if (forwarded.has(region)) continue;
      out.push({ accountId: account.id, region, reason: org.has(region) ? 'not-forwarded' : 'not-in-inventory' });
    }
  }
  return out;
}

function latencies(heartbeats: readonly HeartbeatRecord[], now: number, windowMs: number): CoverageResult['latency'] {
  const all: number[] = [];
  const byColumn = new Map<string, number[]>();
  for (const h of heartbeats) {
    const arrived = Date.parse(h.arrivedAt);
    if (arrived > now || arrived <= now - windowMs) continue;
    // eventTime has whole seconds and arrivedAt milliseconds: a heartbeat can appear to arrive before it
    // happened by up to a second (or by clock skew). Count that as zero rather than a negative latency.
    const latency = Math.max(0, arrived - Date.parse(h.eventTime));
    all.push(latency);
    const column = columnOf(h);
    byColumn.set(column, [...(byColumn.get(column) ?? []), latency]);
  }
  const orgWide = latencyPercentiles(all);
  return {
    ...(orgWide ? { orgWide } : {}),
    byColumn: Object.fromEntries(
      [...byColumn.entries()]
        .sort(([a], [b]) => compare(a, b))
        .map(([column, values]) => [column, latencyPercentiles(values) as LatencyPercentiles]),
    ),
  };
}

/**
 * The nearest-rank percentile: the smallest value such that at least `p` % of the values are less than or
 * equal to it (always one of the values, never an interpolation). `p` in [0, 100]; p = 0 gives the minimum.
 * @throws RangeError for an empty list or a `p` outside [0, 100]
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within [0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** p50 / p90 / p99 of latencies (milliseconds). @returns undefined for no values */
export function latencyPercentiles(values: readonly number[]): LatencyPercentiles | undefined {
  if (values.length === 0) return undefined;
  return {
    count: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
  };
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Parses one stored heartbeat; `problem` says what is wrong with it (the caller says where). */
export function parseHeartbeatRecord(raw: unknown): { record: HeartbeatRecord } | { problem: string } {
  if (!isRecord(raw)) return { problem: 'expected an object { accountId, region, path, eventTime, arrivedAt }' };
  const problems: string[] = [];
  const { accountId, region, path, eventTime, arrivedAt } = raw;
  if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) problems.push('accountId: expected 12 digits');
  if (typeof region !== 'string' || !REGION.test(region)) problems.push('region: expected a region such as eu-west-1');
  if (path !== 'regional' && path !== 'global') problems.push("path: expected 'regional' or 'global'");
  for (const [name, value] of [
    ['eventTime', eventTime],
    ['arrivedAt', arrivedAt],
  ] as const) {
    if (typeof value !== 'string' || !Number.isFinite(Date.parse(value))) {
      problems.push(`${name}: expected an ISO 8601 time`);
    }
  }
  if (problems.length > 0) return { problem: problems.join('; ') };
  return { record: { accountId, region, path, eventTime, arrivedAt } as HeartbeatRecord };
}

/** Parses a stored {@link CoverageState}; `problem` says what is wrong with it. */
export function parseCoverageState(raw: unknown): { state: CoverageState } | { problem: string } {
  if (!isRecord(raw)) return { problem: 'expected an object { version, evaluatedAt, cells, pipeline }' };
  if (raw['version'] !== COVERAGE_STATE_VERSION) {
    return { problem: `version: expected ${COVERAGE_STATE_VERSION}, got ${JSON.stringify(raw['version'])}` };
  }
  const problems: string[] = [];
  if (typeof raw['evaluatedAt'] !== 'string' || !Number.isFinite(Date.parse(raw['evaluatedAt']))) {
    problems.push('evaluatedAt: expected an ISO 8601 time');
  }
  const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  const cells = raw['cells'];
  if (!isRecord(cells)) problems.push('cells: expected an object keyed by <accountId>/<region or global>');
  else {
    for (const [key, c] of Object.entries(cells)) {
      if (!/^\d{12}\/[a-z0-9-]+$/.test(key)) problems.push(`cells.${key}: the key must be <accountId>/<column>`);
      if (
        !isRecord(c) ||
        typeof c['alerted'] !== 'boolean' ||
        !isCount(c['silentStreak']) ||
        !isCount(c['healthyStreak'])
      ) {
        problems.push(`cells.${key}: expected { alerted, silentStreak, healthyStreak }`);
      }
    }
  }
  const p = raw['pipeline'];
  if (!isRecord(p) || typeof p['down'] !== 'boolean' || !isCount(p['allSilentStreak']) || !isCount(p['liveStreak'])) {
    problems.push('pipeline: expected { down, allSilentStreak, liveStreak }');
  }
  if (problems.length > 0) return { problem: problems.join('; ') };
  return { state: raw as unknown as CoverageState };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
