/**
 * Pure core of `npm run replay`: turns CloudTrail records into the EventBridge events the member accounts would
 * see, runs the detection catalog over them the way the deployed rules would, and tallies what a tuning session
 * wants to know (matches, alerts per day, events the deployment would never deliver). No I/O, no clock: the CLI
 * (scripts/replay.ts) reads the files and measures time.
 *
 * How "the way the deployed rules would" is modelled:
 * - Central rule: the detection's `pattern` (rules/event-pattern.ts) queues a message for triage. What triage
 *   makes of it (loop guard, failed calls, predicate, supersession, severity, dedupe, repeat window, bursts,
 *   digest) is decided by the deployed triage workflow itself, run in process by scripts/replay/engine.ts.
 * - Read-only management events: EventBridge only delivers them to rules in state
 *   ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS (EventBridge user guide, eb-service-event-cloudtrail-management).
 *   A detection without `readOnlyEvents` has its member forwarding rule in state ENABLED, so a read-only record it
 *   matches is counted as `readOnlySkipped`, not as a match. Data events (`eventCategory: Data`) are not management
 *   events and are delivered either way.
 * - Forwarding: the member rules of the event's region (`forwardingPatterns()`; `global` ones exist in us-east-1
 *   only) must forward the event, with the same read-only rule per rule state. An event a central rule matches but
 *   no member rule forwards is a catalog bug (the `forward` block does not cover the `pattern`).
 */
import type { TriageOutcome } from '../../handlers/core/flows/triage-ports';
import { findingView } from '../../handlers/core/guardduty-finding';
import type { TrailEvent } from '../../handlers/core/sweep/to-event';
import type { Detection } from '../../rules/types';
import type { EngineResult } from './engine';

// ---------------------------------------------------------------------------------------------------------------
// Events

// The record → event conversion lives in handlers/core/sweep/to-event.ts, shared with the trail-log sweep so both
// paths see the same events; these names stay for the code and tests that import them from here.
export {
  detailTypeFor,
  itemKind,
  sourceFor,
  type ToEventResult,
  toEvent,
  wrapCloudTrailRecord,
} from '../../handlers/core/sweep/to-event';
/** An EventBridge event as a rule sees it. `detail` is the CloudTrail record for CloudTrail events. */
export type ReplayEvent = TrailEvent;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v !== '';

// The catalog runner lives in handlers/core/sweep/catalog-runner.ts, shared with the trail-log sweep; these names
// stay for the code and tests that import them from here.
export {
  CatalogError,
  type CatalogRunner,
  compileCatalog,
  isReadOnlyManagementEvent,
  type Verdict,
} from '../../handlers/core/sweep/catalog-runner';
import type { Verdict } from '../../handlers/core/sweep/catalog-runner';

// ---------------------------------------------------------------------------------------------------------------
// Tally

/** One matched event, as shown in samples. */
export interface Sample {
  readonly time: string;
  readonly account: string;
  readonly region: string;
  readonly eventName: string;
  /** `userIdentity.arn`, else the session issuer's ARN, the principal id or the invoking service; `-` if none. */
  readonly principal: string;
  readonly eventId: string;
  readonly file: string;
}

/** Why a file or a record was not replayed. `where` locates a record (`Records[3]`, `line 12`); absent for files. */
export interface Skip {
  readonly file: string;
  readonly where?: string;
  readonly reason: string;
}

/** Per-detection results of a replay. */
export interface DetectionResult {
  readonly id: string;
  /** Messages its central rule queued for triage (pattern matched, member rule receives the event). */
  readonly matches: number;
  /** Real-time alerts triage sent (after dedupe, the repeat window and burst folding). */
  readonly alerts: number;
  /** `alerts` / days the whole corpus spans (at least one day). */
  readonly alertsPerDay: number;
  /** Change-monitor events triage put in the daily digest. */
  readonly digest: number;
  /** Alerts held back: a redelivered event, a repeat on the same resource, or an event folded into a burst. */
  readonly suppressed: number;
  /** Messages triage dropped, by reason (`no-finding`, `superseded`, `failed-call`, `own-remediation`, `invalid`). */
  readonly dropped: Readonly<Record<string, number>>;
  /** Alerts for which remediation would be requested. */
  readonly remediationRequested: number;
  /** Matching read-only management events its ENABLED member rule would never receive. */
  readonly readOnlySkipped: number;
  /** Matched events that no member forwarding rule of their region forwards (catalog bug). */
  readonly notForwarded: number;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  /** Up to {@link SAMPLES_PER_DETECTION} alerted (or digested) events, in input order. */
  readonly samples: readonly Sample[];
  /** Up to {@link SAMPLES_PER_DETECTION} events that were matched but not forwarded. */
  readonly notForwardedSamples: readonly Sample[];
}

/** Byte and time measurements taken by the I/O layer. */
export interface Measurements {
  readonly elapsedMs: number;
  /** Bytes read from disk (compressed size for .gz files). */
  readonly bytesRead: number;
  /** Bytes of JSON after decompression. */
  readonly bytesDecompressed: number;
}

/** Everything a replay found; the `--json` summary line is this object. */
export interface ReplaySummary {
  readonly filesRead: number;
  readonly filesSkipped: number;
  /** Files in the given folders that were not read because of their extension. */
  readonly filesIgnored: number;
  /** Records and events read, malformed ones included. */
  readonly recordsRead: number;
  readonly recordsSkipped: number;
  readonly eventsEvaluated: number;
  /** Matched events with the same CloudTrail eventID as an earlier one (redeliveries): triage deduplicates them. */
  readonly duplicateEvents: number;
  /** The corpus: first and last event time, and the days between them used for alerts/day (at least 1). */
  readonly span: { readonly from?: string; readonly to?: string; readonly days: number };
  /** Events at least one central rule queued for triage. */
  readonly matchedEvents: number;
  /** Sum of the per-detection match counts. */
  readonly matches: number;
  /** Real-time alerts triage sent, over all detections. */
  readonly alertCount: number;
  /** Digest entries, over all detections. */
  readonly digestCount: number;
  /**
   * vigil's own heartbeats triage recorded for the coverage map (never alerted, not counted as drops).
   * @default - none in the corpus
   */
  readonly heartbeatCount?: number;
  /** Match count per detection that matched anything, highest first. */
  readonly perDetection: Readonly<Record<string, number>>;
  /** Alerts per day per detection that matched anything, same order as `perDetection`. */
  readonly alertsPerDay: Readonly<Record<string, number>>;
  /** Real-time alerts per detection that matched anything. */
  readonly alerts: Readonly<Record<string, number>>;
  /** Per detection: read-only management events it matched but would not receive (rule state ENABLED). */
  readonly readOnlySkipped: Readonly<Record<string, number>>;
  /** Per detection: matched events the member rules would not forward, with the first few event ids. */
  readonly notForwarded: Readonly<Record<string, { readonly count: number; readonly eventIds: readonly string[] }>>;
  readonly detectionsInCatalog: number;
  readonly skipped: {
    readonly files: readonly Skip[];
    /** The first {@link MAX_RECORD_SKIPS_LISTED} skipped records; `recordsSkipped` has the total. */
    readonly records: readonly Skip[];
  };
  readonly throughput: {
    readonly seconds: number;
    readonly recordsPerSecond: number;
    /** Decompressed JSON per second. */
    readonly megabytesPerSecond: number;
    /** Bytes read from disk per second (what a .gz corpus costs in I/O). */
    readonly diskMegabytesPerSecond: number;
    readonly bytesRead: number;
    readonly bytesDecompressed: number;
  };
  /** Full per-detection results (samples included), catalog order; the human report is rendered from these. */
  readonly detections: readonly DetectionResult[];
}

/** Samples kept per detection. */
export const SAMPLES_PER_DETECTION = 3;
/** Skipped records listed individually (all are counted). */
export const MAX_RECORD_SKIPS_LISTED = 50;

const DAY_MS = 86_400_000;

interface DetectionTally {
  matches: number;
  alerts: number;
  digest: number;
  suppressed: number;
  remediationRequested: number;
  readonly dropped: Record<string, number>;
  readOnlySkipped: number;
  notForwarded: number;
  firstMs: number;
  lastMs: number;
  first?: string;
  last?: string;
  readonly samples: Sample[];
  readonly notForwardedSamples: Sample[];
}

/**
 * A GuardDuty finding event (an event file may hold them; trail logs never do) as triage reads it
 * (handlers/core/guardduty-finding.ts): principal, id and name come from the finding, as in production's alerts.
 */
const viewOf = (event: ReplayEvent): ReplayEvent => findingView(event as never) as unknown as ReplayEvent;

/** The principal shown for an event. */
export function principalOf(event: ReplayEvent): string {
  const who = viewOf(event).detail['userIdentity'];
  if (!isObject(who)) return '-';
  const issuer = isObject(who['sessionContext']) ? who['sessionContext']['sessionIssuer'] : undefined;
  for (const candidate of [
    who['arn'],
    isObject(issuer) ? issuer['arn'] : undefined,
    who['principalId'],
    who['invokedBy'],
  ]) {
    if (nonEmpty(candidate)) return candidate;
  }
  return '-';
}

/** The event id worth showing: the CloudTrail eventID when there is one (EventBridge ids are per delivery). */
export function eventIdOf(event: ReplayEvent): string {
  const id = viewOf(event).detail['eventID'];
  return nonEmpty(id) ? id : event.id;
}

/** The API name, or the detail-type for events that are not CloudTrail records. */
export function eventNameOf(event: ReplayEvent): string {
  const name = viewOf(event).detail['eventName'];
  return nonEmpty(name) ? name : event['detail-type'];
}

const round = (n: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** Triage outcomes that hold an alert back without dropping the finding. */
const HELD_BACK: ReadonlySet<TriageOutcome['outcome']> = new Set(['duplicate', 'suppressed', 'folded']);

/**
 * Accumulates central-rule verdicts, triage outcomes and skips into a {@link ReplaySummary}. Memory stays
 * bounded by the number of detections, plus one entry per distinct eventID of a matched event (to count
 * redeliveries).
 */
export class ReplayTally {
  private readonly detections: readonly Detection[];
  private readonly byId = new Map<string, DetectionTally>();
  private readonly fileSkips: Skip[] = [];
  private readonly recordSkips: Skip[] = [];
  private readonly eventIds = new Set<string>();
  private duplicateEvents = 0;
  private heartbeats = 0;
  private recordsSkipped = 0;
  private eventsEvaluated = 0;
  private matchedEvents = 0;
  private filesRead = 0;
  private filesIgnored = 0;
  private spanFromMs = Number.POSITIVE_INFINITY;
  private spanToMs = Number.NEGATIVE_INFINITY;

  constructor(detections: readonly Detection[]) {
    this.detections = detections;
    for (const d of detections) {
      this.byId.set(d.id, {
        matches: 0,
        alerts: 0,
        digest: 0,
        suppressed: 0,
        remediationRequested: 0,
        dropped: {},
        readOnlySkipped: 0,
        notForwarded: 0,
        firstMs: Number.POSITIVE_INFINITY,
        lastMs: Number.NEGATIVE_INFINITY,
        samples: [],
        notForwardedSamples: [],
      });
    }
  }

  /** Counts one event and what the central rules do with it. */
  addVerdict(event: ReplayEvent, verdict: Verdict, file: string): void {
    this.eventsEvaluated++;
    const ms = Date.parse(event.time);
    if (ms < this.spanFromMs) this.spanFromMs = ms;
    if (ms > this.spanToMs) this.spanToMs = ms;
    for (const d of verdict.readOnlySkipped) this.byId.get(d)!.readOnlySkipped++;
    if (verdict.matched.length === 0) return;
    this.matchedEvents++;
    // Only matched events are remembered: memory grows with the findings, not with the corpus.
    const id = eventIdOf(event);
    if (id !== '') {
      if (this.eventIds.has(id)) this.duplicateEvents++;
      else this.eventIds.add(id);
    }
    for (const d of verdict.matched) {
      const t = this.byId.get(d)!;
      t.matches++;
      if (!verdict.forwarded) {
        t.notForwarded++;
        if (t.notForwardedSamples.length < SAMPLES_PER_DETECTION) t.notForwardedSamples.push(sampleOf(event, file));
      }
    }
  }

  /**
   * Counts, in bulk, events that no central rule matched: how many, their earliest and latest time in ms, and per
   * detection the read-only management events it matched but would not receive. The same as {@link addVerdict} for
   * each of them.
   */
  addUnmatched(count: number, fromMs: number, toMs: number, readOnlySkipped: Readonly<Record<string, number>>): void {
    this.eventsEvaluated += count;
    if (fromMs < this.spanFromMs) this.spanFromMs = fromMs;
    if (toMs > this.spanToMs) this.spanToMs = toMs;
    for (const [id, n] of Object.entries(readOnlySkipped)) this.byId.get(id)!.readOnlySkipped += n;
  }

  /** Counts what triage made of the messages the central rules queued for `event`. */
  addOutcomes(event: ReplayEvent, result: EngineResult, file: string): void {
    const ms = Date.parse(event.time);
    for (const o of result.outcomes) {
      const t = o.detectionId === undefined ? undefined : this.byId.get(o.detectionId);
      if (!t) continue;
      if (o.outcome === 'heartbeat') {
        // vigil's own heartbeat: recorded for the coverage map, neither an alert nor a drop.
        this.heartbeats++;
        continue;
      }
      if (o.outcome === 'alerted' || o.outcome === 'digest') {
        if (o.outcome === 'alerted') t.alerts++;
        else t.digest++;
        if (o.remediation === 'requested') t.remediationRequested++;
        if (ms < t.firstMs) {
          t.firstMs = ms;
          t.first = event.time;
        }
        if (ms > t.lastMs) {
          t.lastMs = ms;
          t.last = event.time;
        }
        if (t.samples.length < SAMPLES_PER_DETECTION) t.samples.push(sampleOf(event, file));
      } else if (HELD_BACK.has(o.outcome)) {
        t.suppressed++;
      } else if (o.outcome !== 'retry') {
        t.dropped[o.outcome] = (t.dropped[o.outcome] ?? 0) + 1;
      }
    }
  }

  /** Counts a record that could not be replayed. */
  addRecordSkip(skip: Skip): void {
    this.recordsSkipped++;
    if (this.recordSkips.length < MAX_RECORD_SKIPS_LISTED) this.recordSkips.push(skip);
  }

  /** Counts a file that could not be read at all. */
  addFileSkip(skip: Skip): void {
    this.fileSkips.push(skip);
  }

  /** Counts a file that was read (possibly with skipped records). */
  addFileRead(): void {
    this.filesRead++;
  }

  /** Counts files in the input folders that were not read because of their extension. */
  addIgnoredFiles(count: number): void {
    this.filesIgnored += count;
  }

  /** The summary so far. */
  summarize(m: Measurements): ReplaySummary {
    const hasSpan = this.spanToMs >= this.spanFromMs;
    const days = hasSpan ? Math.max(1, (this.spanToMs - this.spanFromMs) / DAY_MS) : 1;
    const results = this.detections.map((d): DetectionResult => {
      const t = this.byId.get(d.id)!;
      return {
        id: d.id,
        matches: t.matches,
        alerts: t.alerts,
        alertsPerDay: round(t.alerts / days, 2),
        digest: t.digest,
        suppressed: t.suppressed,
        dropped: { ...t.dropped },
        remediationRequested: t.remediationRequested,
        readOnlySkipped: t.readOnlySkipped,
        notForwarded: t.notForwarded,
        ...(t.first === undefined ? {} : { firstSeen: t.first, lastSeen: t.last }),
        samples: [...t.samples],
        notForwardedSamples: [...t.notForwardedSamples],
      };
    });
    const ranked = results
      .filter((r) => r.matches > 0)
      .sort((a, b) => b.matches - a.matches || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const pick = <T>(list: readonly DetectionResult[], value: (r: DetectionResult) => T): Record<string, T> =>
      Object.fromEntries(list.map((r) => [r.id, value(r)]));
    const seconds = m.elapsedMs / 1000;
    const perSecond = (n: number) => (seconds > 0 ? n / seconds : 0);
    const recordsRead = this.eventsEvaluated + this.recordsSkipped;
    return {
      filesRead: this.filesRead,
      filesSkipped: this.fileSkips.length,
      filesIgnored: this.filesIgnored,
      recordsRead,
      recordsSkipped: this.recordsSkipped,
      eventsEvaluated: this.eventsEvaluated,
      duplicateEvents: this.duplicateEvents,
      span: {
        ...(hasSpan
          ? { from: new Date(this.spanFromMs).toISOString(), to: new Date(this.spanToMs).toISOString() }
          : {}),
        days: round(days, 3),
      },
      matchedEvents: this.matchedEvents,
      matches: ranked.reduce((sum, r) => sum + r.matches, 0),
      alertCount: results.reduce((sum, r) => sum + r.alerts, 0),
      digestCount: results.reduce((sum, r) => sum + r.digest, 0),
      ...(this.heartbeats > 0 ? { heartbeatCount: this.heartbeats } : {}),
      perDetection: pick(ranked, (r) => r.matches),
      alertsPerDay: pick(ranked, (r) => r.alertsPerDay),
      alerts: pick(ranked, (r) => r.alerts),
      readOnlySkipped: pick(
        results.filter((r) => r.readOnlySkipped > 0),
        (r) => r.readOnlySkipped,
      ),
      notForwarded: pick(
        results.filter((r) => r.notForwarded > 0),
        (r) => ({ count: r.notForwarded, eventIds: r.notForwardedSamples.map((s) => s.eventId) }),
      ),
      detectionsInCatalog: this.detections.length,
      skipped: { files: [...this.fileSkips], records: [...this.recordSkips] },
      throughput: {
        seconds: round(seconds, 3),
        recordsPerSecond: Math.round(perSecond(recordsRead)),
        megabytesPerSecond: round(perSecond(m.bytesDecompressed) / 1e6, 1),
        diskMegabytesPerSecond: round(perSecond(m.bytesRead) / 1e6, 1),
        bytesRead: m.bytesRead,
        bytesDecompressed: m.bytesDecompressed,
      },
      detections: results,
    };
  }
}

function sampleOf(event: ReplayEvent, file: string): Sample {
  return {
    time: event.time,
    account: event.account,
    region: event.region,
    eventName: eventNameOf(event),
    principal: principalOf(event),
    eventId: eventIdOf(event),
    file,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Output

/** The `--json` line for one event a central rule matched: what triage decided for each detection. */
export function matchLine(event: ReplayEvent, verdict: Verdict, file: string, result?: EngineResult): string {
  return JSON.stringify({
    file,
    eventId: eventIdOf(event),
    eventName: eventNameOf(event),
    account: event.account,
    region: event.region,
    time: event.time,
    detections: verdict.matched,
    ...(result
      ? {
          decisions: result.outcomes.map((o) => ({
            detection: o.detectionId,
            outcome: o.outcome,
            ...(o.severity ? { severity: o.severity } : {}),
            ...(o.remediation ? { remediation: o.remediation } : {}),
            ...(o.reason && o.outcome !== 'alerted' && o.outcome !== 'digest' ? { reason: o.reason } : {}),
          })),
        }
      : {}),
  });
}

/** The last `--json` line: the summary without the per-detection detail (the match lines carry it). */
export function summaryLine(summary: ReplaySummary): string {
  const { detections: _omitted, ...rest } = summary;
  return JSON.stringify({ summary: rest });
}

const int = (n: number): string => n.toLocaleString('en-US');

/** The human report: one string per line. */
export function formatSummary(summary: ReplaySummary): string[] {
  const s = summary;
  const lines: string[] = [];
  const t = s.throughput;
  lines.push(
    `Read ${int(s.filesRead)} file(s) and ${int(s.recordsRead)} record(s) in ${t.seconds.toFixed(2)} s: ` +
      `${int(t.recordsPerSecond)} records/s, ${t.megabytesPerSecond} MB/s of JSON ` +
      `(${t.diskMegabytesPerSecond} MB/s from disk).`,
  );
  const skippedParts = [
    s.filesSkipped > 0 ? `${int(s.filesSkipped)} file(s)` : '',
    s.recordsSkipped > 0 ? `${int(s.recordsSkipped)} record(s)` : '',
    s.filesIgnored > 0 ? `ignored ${int(s.filesIgnored)} file(s) that are not .json/.json.gz/.jsonl` : '',
  ].filter((p) => p !== '');
  if (skippedParts.length > 0) lines.push(`Skipped ${skippedParts.join(', ')} (listed below).`);

  const matched = s.detections.filter((d) => d.matches > 0).sort((a, b) => b.matches - a.matches);
  const span = s.span.from === undefined ? '' : ` from ${s.span.from} to ${s.span.to} (${s.span.days} day(s))`;
  lines.push('');
  lines.push(
    `${int(s.eventsEvaluated)} event(s)${span}; ${int(s.duplicateEvents)} matched event(s) repeated an earlier ` +
      'eventID (triage deduplicates them).',
  );
  lines.push(
    `${matched.length} of ${s.detectionsInCatalog} detection(s) matched ${int(s.matchedEvents)} event(s); triage, ` +
      `run as deployed, sends ${int(s.alertCount)} real-time alert(s) and puts ${int(s.digestCount)} change(s) ` +
      'in the daily digest:',
  );
  if (s.heartbeatCount !== undefined) {
    lines.push(
      `(${int(s.heartbeatCount)} of the matches are vigil's own heartbeats: recorded for coverage, never alerted.)`,
    );
  }
  if (matched.length > 0) {
    const idWidth = Math.max(...matched.map((d) => d.id.length), 'detection'.length);
    const head = ['matches', 'alerts', 'alerts/day', 'digest', 'held back', 'dropped'];
    lines.push(`  ${'detection'.padEnd(idWidth)}  ${head.map((h) => h.padStart(10)).join('  ')}`);
    for (const d of matched) {
      const dropped = Object.values(d.dropped).reduce((a, b) => a + b, 0);
      const cells = [
        int(d.matches),
        int(d.alerts),
        d.alertsPerDay.toFixed(2),
        int(d.digest),
        int(d.suppressed),
        int(dropped),
      ];
      lines.push(`  ${d.id.padEnd(idWidth)}  ${cells.map((c) => c.padStart(10)).join('  ')}`);
    }
    const reasons = matched.filter((d) => Object.keys(d.dropped).length > 0);
    if (reasons.length > 0) {
      lines.push('');
      lines.push('Dropped by triage (no-finding: the predicate found nothing; superseded: a more precise detection');
      lines.push("alerted instead; failed-call; own-remediation: vigil's own fix; invalid: not an event of the org):");
      for (const d of reasons) {
        const parts = Object.entries(d.dropped).map(([k, n]) => `${k} ${int(n)}`);
        lines.push(`  ${d.id}: ${parts.join(', ')}`);
      }
    }
    const sampled = matched.filter((d) => d.samples.length > 0);
    if (sampled.length > 0) {
      lines.push('');
      lines.push('Alerted samples (time, account, region, event, principal, file):');
      for (const d of sampled) {
        lines.push(`  ${d.id}`);
        for (const x of d.samples) lines.push(`    ${formatSample(x)}`);
      }
    }
  }

  const readOnly = s.detections.filter((d) => d.readOnlySkipped > 0);
  if (readOnly.length > 0) {
    lines.push('');
    lines.push(
      'Read-only management events not replayed: these detections match them, but their member rule is ENABLED ' +
        '(set readOnlyEvents to receive them):',
    );
    for (const d of readOnly) lines.push(`  ${d.id}: ${int(d.readOnlySkipped)} event(s)`);
  }

  const unforwarded = s.detections.filter((d) => d.notForwarded > 0);
  if (unforwarded.length > 0) {
    lines.push('');
    lines.push(
      'CATALOG BUG: matched centrally but not forwarded by the member rules of the event region ' +
        '(the detection\'s "forward" does not cover its "pattern"):',
    );
    for (const d of unforwarded) {
      lines.push(`  ${d.id}: ${int(d.notForwarded)} event(s), e.g.`);
      for (const x of d.notForwardedSamples) lines.push(`    ${formatSample(x)}`);
    }
  }

  if (s.skipped.files.length > 0 || s.skipped.records.length > 0) {
    lines.push('');
    lines.push('Skipped:');
    for (const x of s.skipped.files) lines.push(`  ${x.file}: ${x.reason}`);
    for (const x of s.skipped.records) lines.push(`  ${x.file} ${x.where ?? ''}: ${x.reason}`);
    const unlisted = s.recordsSkipped - s.skipped.records.length;
    if (unlisted > 0) lines.push(`  ... and ${int(unlisted)} more record(s)`);
  }
  return lines;
}

function formatSample(x: Sample): string {
  return [x.time, x.account, x.region, x.eventName, x.principal, x.file].join('  ');
}
