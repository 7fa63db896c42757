/**
 * The backfill of `npm run sweep`: the deployed sweep workflow (handlers/core/flows/sweep-flow.ts, which runs the
 * triage workflow in sweep mode) over a local copy of the trail bucket, with local ports only:
 *
 * - the trail's objects: the synced folder (scripts/sweep/local-trail.ts);
 * - the dedupe store: in memory (handlers/core/flows/memory-dedupe-store.ts), loaded with the event items of an
 *   exported triage state table (scripts/sweep/dedupe-export.ts), so "already handled" is what production had
 *   recorded when the export was taken;
 * - the ledger: in memory (handlers/adapters/sweep/ledger.ts `MemorySweepLedger`);
 * - the notifier, the daily digest and the remediation queue: recorders. Nothing is sent, nothing is remediated,
 *   no AWS API is called.
 *
 * Each object is one S3 notification, handed to the workflow in key order (log files, then digests), one at a time,
 * with the clock where the deployed sweep would have stood: the file's delivery time (its name) plus the grace
 * period, never after now. So the workflow's own grace check, late marker and gap delay mean what they mean in
 * production: a late finding's delay is how long after its event the deployed sweep would have alerted.
 *
 * What this file adds is bookkeeping only: which file each finding came from, the event's account, region and
 * time (noted from the events the catalog matched), and the reconciliation of the workflow's outcomes with the
 * export's owners (an event item claimed by the deployed sweep itself, `<message>/<n>#<n>`, is a miss real time
 * never saw, not a confirmation).
 */
import type { Alert } from '../../handlers/core/alert';
import { MemorySweepLedger } from '../../handlers/adapters/sweep/ledger';
import { MemoryDedupeStore } from '../../handlers/core/flows/memory-dedupe-store';
import { createSweepFlow, DEFAULT_GRACE_SECONDS } from '../../handlers/core/flows/sweep-flow';
import type { SweepOutcome, TrailObjects } from '../../handlers/core/flows/sweep-ports';
import type { DigestEntry, TriageOutcome } from '../../handlers/core/flows/triage-ports';
import type { HandlerInventory } from '../../handlers/core/inventory-view';
import type { RemediationWork } from '../../handlers/core/remediation/request-contract';
import type { CatalogRunner } from '../../handlers/core/sweep/catalog-runner';
import type { DigestPublicKey } from '../../handlers/core/sweep/digest-validation';
import { classifyKey, type KeyLayout } from '../../handlers/core/sweep/keys';
import { makeTriageContext, type RoutingConfig } from '../../handlers/core/triage';
import type { Predicate } from '../../rules/predicates';
import type { Detection } from '../../rules/types';
import type { DedupeExport } from './dedupe-export';
import { digestChainIndex, listTrail, localTrailObjects, type SweepWindow } from './local-trail';

/** What became of one finding (one detection matching one event). */
export type FindingStatus =
  /** Real time had handled it (alerted, suppressed as a repeat, folded, or put in the digest). */
  | 'confirmed'
  /** Real time missed it; the sweep would alert it late (or add it to the daily digest, for change monitors). */
  | 'late'
  /** Real time missed it; the deployed sweep already caught it (its own claim is in the export). */
  | 'late-caught'
  /** Real time missed it, but the sweep would not alert: a repeat of an alerted resource, or folded into a burst. */
  | 'missed-quiet'
  /** Real time held it in flight when the table was exported: the outcome is not known. */
  | 'in-flight'
  /** Not reconciled: no export was given. */
  | 'found';

export interface Finding {
  readonly status: FindingStatus;
  readonly detectionId: string;
  readonly severity: string;
  readonly eventId: string;
  readonly eventName: string;
  readonly eventTime: string;
  readonly account: string;
  readonly region: string;
  /** The log file it was read from. */
  readonly file: string;
  /** For late findings: event time → when the deployed sweep would have alerted (delivery + grace). */
  readonly delaySeconds?: number;
  /** What triage did in sweep mode (`alerted`, `digest`, `confirmed`, `suppressed`, …), and why. */
  readonly outcome: string;
  readonly reason?: string;
  /** Whether remediation would have been requested. */
  readonly remediation?: 'requested' | 'withheld';
}

/** A trail-integrity problem the sweep alerted (digest failure, modified or missing file, foreign object). */
export interface IntegrityFinding {
  readonly failure: string;
  readonly title: string;
  readonly key: string;
  readonly reason: string;
}

export interface BackfillOptions {
  readonly root: string;
  readonly window: SweepWindow;
  readonly inventory: HandlerInventory;
  readonly catalog: readonly Detection[];
  readonly predicates: Readonly<Record<string, Predicate>>;
  readonly runner: CatalogRunner;
  /** @default - none: findings are not reconciled (status `found`) */
  readonly dedupe?: DedupeExport;
  /** CloudTrail's public keys; without any, digests are not validated. */
  readonly publicKeys: readonly DigestPublicKey[];
  readonly repeatWindowSeconds?: number;
  /** @default DEFAULT_GRACE_SECONDS */
  readonly graceSeconds?: number;
  /** The real clock (the simulated one never passes it). @default Date.now */
  readonly now?: () => number;
  /** Told after each object, for progress. */
  readonly onObject?: (done: number, total: number) => void;
}

export interface BackfillReport {
  readonly bucket: string;
  readonly logFiles: number;
  readonly records: number;
  readonly digests: { readonly validated: number; readonly unverifiable: readonly string[]; readonly skipped: number };
  readonly findings: readonly Finding[];
  /** Matches triage dropped (loop guard, failed call, superseded…), by outcome. */
  readonly dropped: Readonly<Record<string, number>>;
  readonly integrity: readonly IntegrityFinding[];
  /** Objects the workflow did not finish (deferred inside the grace period, or failed), with why. */
  readonly notSwept: readonly { readonly key: string; readonly status: string; readonly reason: string }[];
  /** Alerts and remediation requests the sweep would have sent (nothing was sent). */
  readonly wouldSend: { readonly alerts: number; readonly digestEntries: number; readonly remediations: number };
}

const ROUTING: RoutingConfig = { default: { slackChannel: '#sweep-backfill' } };
/** The bucket when no digest names one: only ledger bookkeeping uses it. */
const LOCAL_BUCKET = 'local-trail-copy';
/** An owner the deployed sweep writes (handlers/core/flows/sweep-flow.ts: `<SQS message id>/<n>#<n>`). */
const SWEEP_OWNER = /\/\d+#\d+$/;

interface EventFacts {
  readonly eventName: string;
  readonly eventTime: string;
  readonly account: string;
  readonly region: string;
}

/** Runs the backfill; see the module comment. */
export async function runBackfill(o: BackfillOptions): Promise<BackfillReport> {
  const realNow = o.now ?? Date.now;
  const grace = o.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  const listing = listTrail(o.root, o.window);
  const chain = digestChainIndex(o.root, listing.digests);
  const bucket = chain.bucket ?? LOCAL_BUCKET;
  const layout: KeyLayout = {
    organizationId: o.inventory.organizationId,
    managementAccountId: o.inventory.managementAccountId,
  };

  const store = new MemoryDedupeStore();
  for (const e of o.dedupe?.events.values() ?? []) {
    // The export is a snapshot: what it holds was handled, whatever its TTL says now.
    store.items.set(e.pk, {
      status: e.status,
      owner: e.owner,
      expiresAt: Number.MAX_SAFE_INTEGER,
      ...(e.delivered.length > 0 ? { delivered: [...e.delivered] } : {}),
    });
  }

  // Bookkeeping: the facts of each matched event, and what the workflow did.
  const facts = new Map<string, EventFacts>();
  const runner: CatalogRunner = {
    ...o.runner,
    evaluate(event) {
      const verdict = o.runner.evaluate(event);
      if (verdict.matched.length > 0) {
        const d = event.detail;
        facts.set(String(d['eventID']), {
          eventName: String(d['eventName'] ?? ''),
          eventTime: String(d['eventTime'] ?? event.time),
          account: String(d['recipientAccountId'] ?? event.account),
          region: String(d['awsRegion'] ?? event.region),
        });
      }
      return verdict;
    },
  };
  const outcomes: Array<{ outcome: TriageOutcome; file: string; clockMs: number }> = [];
  const alerts: Alert[] = [];
  const digestEntries: DigestEntry[] = [];
  const remediations: RemediationWork[] = [];
  const notSwept: Array<{ key: string; status: string; reason: string }> = [];
  let clockMs = 0;
  let currentKey = '';
  const last: { outcome?: SweepOutcome } = {};

  let records = 0;
  const local = localTrailObjects({
    root: o.root,
    window: o.window,
    publicKeys: o.publicKeys,
    signatures: chain.signatures,
  });
  const objects: TrailObjects = {
    ...local,
    async *readLog(location) {
      for await (const item of local.readLog(location)) {
        // Records of the file being swept (a digest's re-read of a listed file hashes it only).
        if (item.kind === 'end' && location.key === currentKey) records += item.records;
        yield item;
      }
    },
  };
  const flow = createSweepFlow({
    triage: {
      context: makeTriageContext(o.inventory, o.catalog, o.predicates, {
        ...(o.repeatWindowSeconds === undefined ? {} : { repeatWindowSeconds: o.repeatWindowSeconds }),
      }),
      store,
      tags: { read: async () => ({ status: 'not-applicable' }) },
      notifier: {
        notify: async (alert) => {
          alerts.push(alert);
          return [];
        },
      },
      digest: { record: async (entry) => void digestEntries.push(entry) },
      requestRemediation: async (work) => void remediations.push(work),
      routing: ROUTING,
      now: () => new Date(clockMs),
      write: () => undefined,
      concurrency: 1,
    },
    catalog: runner,
    objects,
    ledger: new MemorySweepLedger(),
    layout,
    graceSeconds: grace,
    concurrency: 1,
    observe: (outcome) => {
      last.outcome = outcome;
    },
    observeFinding: (outcome) => outcomes.push({ outcome, file: currentKey, clockMs }),
  });

  // Digests whose signature no successor names cannot be verified from a synced folder (module comment there).
  const unverifiable: string[] = [];
  const digests: string[] = [];
  for (const key of listing.digests) {
    if (chain.signatures.has(key)) digests.push(key);
    else unverifiable.push(key);
  }
  const skippedDigests = o.publicKeys.length === 0 ? digests.length : 0;
  const keys = [...listing.undated, ...listing.logs, ...(o.publicKeys.length === 0 ? [] : digests)];
  let logFiles = 0;
  for (const [i, key] of keys.entries()) {
    const kind = classifyKey(key, layout);
    const delivered =
      kind.kind === 'log' || kind.kind === 'insight'
        ? Date.parse(kind.deliveredAt)
        : kind.kind === 'digest'
          ? Date.parse(kind.endTime)
          : realNow();
    clockMs = Math.min(realNow(), delivered + grace * 1000);
    currentKey = key;
    last.outcome = undefined;
    await flow({ Records: [{ messageId: `backfill-${i}`, body: notificationBody(bucket, key) }] });
    if (kind.kind === 'log') logFiles++;
    const done = last.outcome as SweepOutcome | undefined;
    if (done !== undefined && done.status !== 'done') {
      notSwept.push({ key, status: done.status, reason: done.reason ?? '' });
    }
    o.onObject?.(i + 1, keys.length);
  }

  const findings: Finding[] = [];
  const dropped: Record<string, number> = {};
  for (const { outcome, file, clockMs: at } of outcomes) {
    const status = statusOf(outcome, o.dedupe);
    if (status === undefined) {
      dropped[outcome.outcome] = (dropped[outcome.outcome] ?? 0) + 1;
      continue;
    }
    const f = facts.get(outcome.eventId ?? '');
    const eventMs = Date.parse(f?.eventTime ?? '');
    findings.push({
      status,
      detectionId: outcome.detectionId ?? '',
      severity: outcome.severity ?? '',
      eventId: outcome.eventId ?? '',
      eventName: f?.eventName ?? '',
      eventTime: f?.eventTime ?? '',
      account: f?.account ?? '',
      region: f?.region ?? '',
      file,
      ...(status === 'late' && !Number.isNaN(eventMs)
        ? { delaySeconds: Math.max(0, Math.round((at - eventMs) / 1000)) }
        : {}),
      outcome: outcome.outcome,
      ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
      ...(outcome.remediation === undefined ? {} : { remediation: outcome.remediation }),
    });
  }
  const integrity: IntegrityFinding[] = alerts
    .filter((a) => a.detection.id.startsWith('sweep-'))
    .map((a) => ({
      failure: a.detection.id.slice('sweep-'.length),
      title: a.detection.title,
      key: String((a.event.requestParameters as { key?: unknown } | undefined)?.key ?? ''),
      reason: a.detection.rationale.replace(/^The trail-log sweep found /, '').replace(/\. Log file integrity.*$/s, ''),
    }));
  return {
    bucket,
    logFiles,
    records,
    digests: { validated: digests.length - skippedDigests, unverifiable, skipped: skippedDigests },
    findings,
    dropped,
    integrity,
    notSwept,
    wouldSend: {
      alerts: alerts.length - integrity.length,
      digestEntries: digestEntries.length,
      remediations: remediations.length,
    },
  };
}

/** The S3 event notification of `key`, as the sweep's queue carries it (key URL-encoded). */
function notificationBody(bucket: string, key: string): string {
  const encoded = encodeURIComponent(key).replace(/%2F/g, '/');
  return JSON.stringify({
    Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encoded } } }],
  });
}

/** The finding's status from the workflow's outcome and the export's owner; undefined for a drop. */
function statusOf(outcome: TriageOutcome, dedupe: DedupeExport | undefined): FindingStatus | undefined {
  switch (outcome.outcome) {
    case 'alerted':
    case 'digest':
      return dedupe ? 'late' : 'found';
    case 'suppressed':
    case 'folded':
      return dedupe ? 'missed-quiet' : 'found';
    case 'confirmed': {
      const item = dedupe?.events.get(`event#${outcome.detectionId}#${outcome.eventId}`);
      return item && SWEEP_OWNER.test(item.owner) ? 'late-caught' : 'confirmed';
    }
    case 'retry':
      return 'in-flight';
    default:
      return undefined;
  }
}
