/**
 * The coverage run: reads every heartbeat cell and the previous round's state, evaluates the map
 * (handlers/core/coverage.ts `evaluateCoverage`), publishes the cell counts as EMF metrics, sends one
 * message per transition (newly silent, recovered, retired cell; pipeline down / back; unknown account,
 * uncovered region) and then commits the new state. Ports only; handlers/entrypoints/coverage.ts wires
 * the adapters.
 *
 * Idempotent sends, fail closed. The `state` item is a round counter (`rev`) plus the committed
 * state. A run that has something to send first takes a lease on the round (a conditional write: same
 * `rev`, no other unexpired lease), so two overlapping runs never both send; it then records every
 * delivery (message × recipient × channel) in the item's sent marks as soon as it went out. Only when
 * every delivery succeeded does it commit the new state (`rev + 1`, marks cleared). When one failed, it
 * releases the lease (marks kept) and throws: nothing is committed, so the next attempt (Lambda's
 * retry, or the next scheduled run) evaluates against the same previous state, finds the same
 * transitions (message ids carry no time, only the kind and the cell) and sends only what the marks
 * lack. A run that dies before releasing leaves a lease that expires after `leaseSeconds`; a Lambda
 * retry of the same event (same EventBridge id) may take its own lease back at once.
 */
import { CoverageRunError } from '../../errors';
import type { AlertRouting } from '../alert';
import {
  type CellRef,
  type CoverageOptions,
  type CoverageResult,
  cellKey,
  coverageInventoryFromView,
  evaluateCoverage,
} from '../coverage';
import {
  type CellFacts,
  type CoverageMessageContext,
  pipelineDownMessage,
  pipelineRecoveredMessage,
  recoveredCellMessage,
  retiredCellMessage,
  silentCellMessage,
  uncoveredRegionMessage,
  unknownAccountMessage,
} from '../format-coverage';
import type { HandlerInventory } from '../inventory-view';
import {
  describeError as describe,
  inBatches,
  isRecord,
  type JsonLog,
  makeJsonLogger,
  type WriteLine,
} from '../lambda-io';
import { COVERAGE_METRICS, METRIC_NAMESPACE } from '../metrics';
import { accountOwner } from '../owner';
import { type RoutingConfig, routeAlert } from '../triage-alert';
import {
  type CoverageChannel,
  type CoverageDelivery,
  type CoverageMessage,
  type CoverageRecord,
  type CoverageSender,
  type CoverageCells,
  type CoverageStore,
  deliveryKey,
  type OptInRegionReader,
  storedCoverageInputs,
} from './coverage-ports';

export interface CoverageFlowDeps {
  readonly store: CoverageStore;
  readonly sender: CoverageSender;
  /** The account view of this run (from the inventory table). */
  readonly inventory: HandlerInventory;
  /** The triage routing: default channels (the security team) and per-owner overrides. */
  readonly routing: RoutingConfig;
  readonly now: () => Date;
  /** Thresholds (interval, late and silent ages, flapping). @default DEFAULT_COVERAGE_OPTIONS */
  readonly options?: Partial<CoverageOptions>;
  /** How long a sending run holds the round; at least the function's timeout. @default 360 */
  readonly leaseSeconds?: number;
  /** Deliveries in flight at once. @default 8 */
  readonly concurrency?: number;
  /** Where JSON log lines and EMF lines go. @default console.log */
  readonly write?: WriteLine;
  /**
   * Checks which opt-in regions each account has enabled, so a region the inventory does not cover is
   * reported. Each run re-reads at most `perRun` accounts whose cached answer is missing or older than
   * `maxAgeMinutes` (oldest first); a failed read is logged and the account keeps its cached answer, or
   * stays unknown (nothing reported for it): fail open, a check that cannot run never raises a false gap.
   * @default - not checked: no uncovered region is reported
   */
  readonly optInRegions?: {
    readonly reader: OptInRegionReader;
    /** @default 360 */
    readonly maxAgeMinutes?: number;
    /** @default 25 */
    readonly perRun?: number;
    /** Accounts the reader cannot ask about (the management account, for a delegated administrator). */
    readonly skip?: readonly string[];
  };
}

/** Opt-in region reads in flight at once. */
const OPT_IN_CONCURRENCY = 4;

/** What one run did. */
export interface CoverageReport {
  readonly evaluatedAt: string;
  /** The round this run evaluated (the state item's `rev` before it). */
  readonly round: number;
  readonly counts: CoverageResult['counts'];
  /** Message ids of the round, in the order they were built. */
  readonly messages: readonly string[];
  /** Deliveries made by this run. */
  readonly sent: number;
  /** Deliveries an earlier attempt of the round had made (skipped). */
  readonly alreadySent: number;
  /** Set when the run stopped without committing because another run holds or moved the round. */
  readonly skipped?: string;
}

export { CoverageRunError } from '../../errors';

const DEFAULT_RECIPIENT = 'default';

/** The run id: the EventBridge event's id (kept by Lambda's retries of that event), else the clock. */
export function coverageRunId(event: unknown, now: Date): string {
  return isRecord(event) && typeof event['id'] === 'string' && event['id'] !== ''
    ? event['id'].slice(0, 128)
    : `run-${now.toISOString()}`;
}

/** Without PagerDuty: a cell's message informs; only the whole pipeline down pages. */
function withoutPaging(r: AlertRouting): AlertRouting {
  const { pagerdutyRoutingKeyRef: _never, ...rest } = r;
  return rest;
}

/** The channels of `routing` that `message` goes to. */
export function coverageChannels(routing: AlertRouting, message: CoverageMessage): CoverageChannel[] {
  const out: CoverageChannel[] = [];
  if (routing.slackWebhookRef || routing.slackBotTokenRef || routing.slackChannel || routing.slackChannelId) {
    out.push('slack');
  }
  if (routing.emailTopicArn) out.push('email');
  if (routing.pagerdutyRoutingKeyRef && message.pagerduty) out.push('pagerduty');
  return out;
}

/** The messages a result calls for, and the gaps (unknown accounts, uncovered regions) now known. */
export function coverageMessages(
  result: CoverageResult,
  view: HandlerInventory,
  notified: readonly string[],
  prefix: string,
): { messages: { message: CoverageMessage; owner?: string }[]; notified: string[] } {
  const ctx: CoverageMessageContext = {
    prefix,
    evaluatedAt: result.evaluatedAt,
    silentAfterMinutes: Math.round(result.thresholds.silentAfterMs / 60_000),
  };
  const byKey = new Map(result.cells.map((c) => [cellKey(c), c]));
  const facts = (ref: CellRef): CellFacts & { owner: string } => {
    const cell = byKey.get(cellKey(ref));
    const account = view.accounts[ref.accountId];
    const owner = account ? accountOwner(view, account).owner : view.defaultOwner;
    return {
      ...ref,
      accountName: account?.name ?? ref.accountId,
      owner,
      region: cell?.region ?? ref.column,
      ...(cell?.lastEventTime ? { lastEventTime: cell.lastEventTime } : {}),
    };
  };
  const t = result.transitions;
  const messages: { message: CoverageMessage; owner?: string }[] = [];
  if (t.pipelineDown) messages.push({ message: pipelineDownMessage(result, ctx) });
  if (t.pipelineRecovered) messages.push({ message: pipelineRecoveredMessage(result, ctx) });
  for (const ref of t.newlySilent) {
    const f = facts(ref);
    messages.push({ message: silentCellMessage(f, ctx), owner: f.owner });
  }
  for (const ref of t.recovered) {
    const f = facts(ref);
    messages.push({ message: recoveredCellMessage(f, ctx), owner: f.owner });
  }
  for (const ref of t.retired) messages.push({ message: retiredCellMessage(ref) });

  const seen = new Set(notified);
  const gaps: string[] = [];
  for (const u of result.unknownAccounts) {
    const key = `unknown-account#${u.accountId}`;
    gaps.push(key);
    if (!seen.has(key)) messages.push({ message: unknownAccountMessage(u) });
  }
  for (const u of result.uncoveredRegions) {
    const key = `uncovered-region#${u.accountId}/${u.region}`;
    gaps.push(key);
    if (!seen.has(key)) messages.push({ message: uncoveredRegionMessage(u) });
  }
  return { messages, notified: gaps.sort() };
}

/**
 * Who gets a message and on which channels: the owner (cell messages) and the default route (always);
 * the owner's routing is dropped when it is the default's. Per-cell messages never page.
 */
export function coverageDeliveries(
  messages: readonly { message: CoverageMessage; owner?: string }[],
  routing: RoutingConfig,
): CoverageDelivery[] {
  const out: CoverageDelivery[] = [];
  for (const { message, owner } of messages) {
    const pages = message.pagerduty !== undefined;
    const recipients: { to: string; routing: AlertRouting }[] = [];
    const defaults = pages ? routing.default : withoutPaging(routing.default);
    if (owner !== undefined) {
      const own = withoutPaging(routeAlert(owner, 'info', routing));
      if (JSON.stringify(own) !== JSON.stringify(withoutPaging(routing.default)))
        recipients.push({ to: owner, routing: own });
    }
    recipients.push({ to: DEFAULT_RECIPIENT, routing: defaults });
    for (const r of recipients) {
      for (const channel of coverageChannels(r.routing, message)) out.push({ message, ...r, channel });
    }
  }
  return out;
}

/** The EMF lines of a result: counts dimensionless, and per `Region` (a region, or `global`). */
export function coverageMetricLines(result: CoverageResult, timestamp: number): string[] {
  const names = Object.values(COVERAGE_METRICS);
  const metrics = names.map((Name) => ({ Name, Unit: 'Count' }));
  const values = (cells: CoverageResult['cells']) => {
    const n = (s: string) => cells.filter((c) => c.status === s).length;
    return {
      [COVERAGE_METRICS.healthy]: n('healthy'),
      [COVERAGE_METRICS.late]: n('late'),
      [COVERAGE_METRICS.silent]: n('silent'),
      [COVERAGE_METRICS.notDeployed]: n('not-deployed'),
    };
  };
  const lines: Record<string, unknown>[] = [
    {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [[]], Metrics: metrics }],
      },
      ...values(result.cells),
    },
  ];
  for (const column of result.columns) {
    lines.push({
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [['Region']], Metrics: metrics }],
      },
      Region: column,
      ...values(result.cells.filter((c) => c.column === column)),
    });
  }
  return lines.map((l) => JSON.stringify(l));
}

/** Builds the run; it resolves with the report, or throws {@link CoverageRunError} when a delivery failed. */
export function createCoverageFlow(deps: CoverageFlowDeps): (event?: unknown) => Promise<CoverageReport> {
  const write = deps.write ?? ((line: string) => console.log(line));
  const { log } = makeJsonLogger('vigil-coverage', write);
  const leaseMs = (deps.leaseSeconds ?? 360) * 1000;
  const prefix = deps.inventory.namePrefix;

  return async (event) => {
    const now = deps.now();
    const nowMs = now.getTime();
    const runId = coverageRunId(event, now);
    const [record, cells] = await Promise.all([deps.store.load(), deps.store.cells()]);
    if (cells.unreadable.length > 0) {
      log('error', 'skipped coverage cells that cannot be read', { items: cells.unreadable.slice(0, 20) });
    }
    const optInRegions = deps.optInRegions ? await refreshOptInRegions(deps, cells, now, log) : undefined;
    const result = evaluateCoverage({
      inventory: coverageInventoryFromView(deps.inventory),
      ...storedCoverageInputs(cells, record),
      // Refreshed when the check is on; off, a cache left from when it was on is not trusted.
      optInRegions: optInRegions ?? {},
      now,
      ...(deps.options ? { options: deps.options } : {}),
    });
    // Metrics first: the silent-cells alarm and the dashboard do not depend on the messages going out.
    for (const line of coverageMetricLines(result, nowMs)) write(line);

    const base = { evaluatedAt: result.evaluatedAt, round: record.rev, counts: result.counts };
    if (record.lease && record.lease.until > nowMs && record.lease.runId !== runId) {
      const skipped = `run ${record.lease.runId} holds round ${record.rev} until ${new Date(record.lease.until).toISOString()}`;
      log('warn', 'another coverage run is sending; this one stops', { skipped });
      return { ...base, messages: [], sent: 0, alreadySent: 0, skipped };
    }

    const built = coverageMessages(result, deps.inventory, record.notified, prefix);
    const deliveries = coverageDeliveries(built.messages, deps.routing);
    const done = new Set(record.sent);
    const pending = deliveries.filter((d) => !done.has(deliveryKey(d)));
    const report = {
      ...base,
      messages: built.messages.map((m) => m.message.id),
      alreadySent: deliveries.length - pending.length,
    };
    for (const { message, owner } of built.messages) {
      if (!deliveries.some((d) => d.message === message)) {
        log('error', 'coverage message has no channel; it reaches nobody', {
          message: message.id,
          owner,
          fix: 'give the default route (and the owner) a Slack route or an email topic in config/alerting.json',
        });
      }
    }

    let sent = 0;
    if (pending.length > 0) {
      const lease = { runId, until: nowMs + leaseMs };
      const held: CoverageRecord = { ...record, lease };
      if (!(await deps.store.put(held, record.rev, runId, nowMs))) {
        const skipped = `round ${record.rev} was taken by another run`;
        log('warn', 'another coverage run took the round; this one stops', { skipped });
        return { ...report, sent: 0, skipped };
      }
      // Marks are written one after the other (each write carries the whole set), while sends run in parallel.
      let marks: Promise<void> = Promise.resolve();
      let markError: unknown;
      const mark = (key: string) => {
        done.add(key);
        const sentNow = [...done].sort();
        marks = marks.then(async () => {
          if (markError) return;
          try {
            if (!(await deps.store.put({ ...held, sent: sentNow }, record.rev, runId, deps.now().getTime()))) {
              markError = new Error(`lost the lease on round ${record.rev} while sending`);
            }
          } catch (err) {
            markError = err;
          }
        });
      };
      const failed: string[] = [];
      await inBatches(pending, deps.concurrency ?? 8, async (d) => {
        const key = deliveryKey(d);
        try {
          await deps.sender.send(d.channel, d.routing, d.message);
        } catch (err) {
          failed.push(key);
          log('error', 'coverage message not delivered', { delivery: key, error: describe(err) });
          return;
        }
        sent++;
        mark(key);
      });
      await marks;
      if (markError) {
        log('error', 'coverage deliveries sent but not all recorded; a retry may send them again', {
          error: describe(markError),
        });
        failed.push('(sent marks)');
      }
      if (failed.length > 0) {
        const released: CoverageRecord = {
          rev: record.rev,
          notified: record.notified,
          sent: [...done].sort(),
          ...(record.state ? { state: record.state } : {}),
        };
        try {
          await deps.store.put(released, record.rev, runId, deps.now().getTime());
        } catch (err) {
          log('warn', 'could not release the round; it expires by itself', { error: describe(err) });
        }
        throw new CoverageRunError(
          `coverage round ${record.rev}: ${failed.length} of ${pending.length} deliveries failed: ${failed.slice(0, 10).join(', ')}`,
          failed,
        );
      }
    }

    const committed: CoverageRecord = { rev: record.rev + 1, state: result.state, notified: built.notified, sent: [] };
    if (!(await deps.store.put(committed, record.rev, runId, deps.now().getTime()))) {
      const skipped = `round ${record.rev} was committed or taken by another run`;
      log('warn', 'coverage state not written: another run moved the round on', { skipped, sent });
      return { ...report, sent, skipped };
    }
    log('info', 'coverage evaluated', {
      round: record.rev,
      ...result.counts,
      messages: report.messages.length,
      sent,
      alreadySent: report.alreadySent,
      pipelineDown: result.pipelineDown,
    });
    return { ...report, sent };
  };
}

/**
 * The opt-in regions of every account known so far: the cache, with the stalest accounts re-read first
 * (at most `perRun` per run). Accounts never read successfully are left out (unknown).
 */
async function refreshOptInRegions(
  deps: CoverageFlowDeps,
  cells: CoverageCells,
  now: Date,
  log: JsonLog,
): Promise<Record<string, readonly string[]>> {
  const cfg = deps.optInRegions as NonNullable<CoverageFlowDeps['optInRegions']>;
  const maxAgeMs = (cfg.maxAgeMinutes ?? 360) * 60_000;
  const skip = new Set(cfg.skip ?? []);
  const cached = cells.optInRegions;
  const checkedMs = (id: string) => (cached[id] ? Date.parse(cached[id].checkedAt) : Number.NEGATIVE_INFINITY);
  const due = Object.keys(deps.inventory.accounts)
    .filter((id) => !skip.has(id) && now.getTime() - checkedMs(id) >= maxAgeMs)
    .sort((a, b) => checkedMs(a) - checkedMs(b) || (a < b ? -1 : 1))
    .slice(0, cfg.perRun ?? 25);
  const out: Record<string, readonly string[]> = {};
  for (const [id, entry] of Object.entries(cached))
    if (Object.hasOwn(deps.inventory.accounts, id)) out[id] = entry.regions;
  const failed: string[] = [];
  await inBatches(due, OPT_IN_CONCURRENCY, async (accountId) => {
    try {
      const regions = [...new Set(await cfg.reader.list(accountId))].sort();
      await deps.store.putOptInRegions({ accountId, regions, checkedAt: now.toISOString() });
      out[accountId] = regions;
    } catch (err) {
      failed.push(accountId);
      log('warn', 'could not read the opt-in regions of an account; its regions stay as last read', {
        accountId,
        error: describe(err),
        fix:
          'the security account must be the delegated administrator of Account Management (the bootstrap stack ' +
          'registers it) and trusted access for account.amazonaws.com must be on (`npm run doctor -- --aws` checks)',
      });
    }
  });
  if (due.length > 0)
    log('info', 'opt-in regions checked', { checked: due.length - failed.length, failed: failed.length });
  return out;
}
