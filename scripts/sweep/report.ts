/**
 * The report of `npm run sweep`: counts per finding status, the gap of the real-time path (late findings by
 * detection, account, region, and their delays), trail integrity, and what was not swept. Pure.
 */
import type { BackfillReport, Finding, FindingStatus } from './backfill';

/** Read-only: the first line of every report, and in the JSON. */
export const READ_ONLY_NOTE =
  'Local and read-only: no alert was sent, nothing was remediated, no AWS API was called. ' +
  '"Would send" counts what the deployed sweep would have sent.';

export interface GapStats {
  /** Late findings (real time missed them; the sweep would alert). */
  readonly late: number;
  readonly byDetection: Readonly<Record<string, number>>;
  readonly byAccount: Readonly<Record<string, number>>;
  readonly byRegion: Readonly<Record<string, number>>;
  /** Event time → when the deployed sweep would have alerted, seconds. */
  readonly delaySeconds?: { readonly p50: number; readonly p90: number; readonly max: number };
}

const STATUS_ORDER: readonly FindingStatus[] = [
  'late',
  'late-caught',
  'missed-quiet',
  'in-flight',
  'confirmed',
  'found',
];

const STATUS_TEXT: Readonly<Record<FindingStatus, string>> = {
  late: 'late (real time missed it; the sweep would alert it late)',
  'late-caught': 'late, already caught by the deployed sweep (real time missed it)',
  'missed-quiet': 'missed by real time, no alert (repeat of an alerted resource, or folded into a burst)',
  'in-flight': 'in flight when the table was exported (outcome unknown)',
  confirmed: 'confirmed (real time had handled it)',
  found: 'found (not reconciled: pass --dedupe <export>)',
};

function countBy(findings: readonly Finding[], key: (f: Finding) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[key(f)] = (out[key(f)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

/** The gap of the real-time path: every finding it missed that would be alerted (late and late-caught). */
export function gapStats(findings: readonly Finding[]): GapStats {
  const late = findings.filter((f) => f.status === 'late' || f.status === 'late-caught');
  const delays = late.flatMap((f) => (f.delaySeconds === undefined ? [] : [f.delaySeconds])).sort((a, b) => a - b);
  return {
    late: late.length,
    byDetection: countBy(late, (f) => f.detectionId),
    byAccount: countBy(late, (f) => f.account),
    byRegion: countBy(late, (f) => f.region),
    ...(delays.length === 0
      ? {}
      : {
          delaySeconds: {
            p50: percentile(delays, 50),
            p90: percentile(delays, 90),
            max: delays[delays.length - 1] ?? 0,
          },
        }),
  };
}

export function statusCounts(findings: readonly Finding[]): Record<FindingStatus, number> {
  const out = Object.fromEntries(STATUS_ORDER.map((s) => [s, 0])) as Record<FindingStatus, number>;
  for (const f of findings) out[f.status]++;
  return out;
}

/** `1 h 5 min`, `12 min`, `40 s`. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export interface ReportContext {
  readonly from: string;
  readonly to: string;
  readonly root: string;
  /** `<file> (<format>, <n> event items)`, or undefined without --dedupe. */
  readonly dedupe?: string;
  readonly elapsedMs: number;
  readonly publicKeys: number;
}

/** The whole report as one JSON-ready object. */
export function reportJson(r: BackfillReport, c: ReportContext) {
  return {
    readOnly: READ_ONLY_NOTE,
    window: { from: c.from, to: c.to },
    folder: c.root,
    bucket: r.bucket,
    ...(c.dedupe === undefined ? {} : { dedupe: c.dedupe }),
    logFiles: r.logFiles,
    records: r.records,
    elapsedMs: Math.round(c.elapsedMs),
    counts: statusCounts(r.findings),
    gaps: gapStats(r.findings),
    findings: r.findings,
    dropped: r.dropped,
    digests: r.digests,
    integrity: r.integrity,
    notSwept: r.notSwept,
    wouldSend: r.wouldSend,
  };
}

/** The human report. */
export function formatReport(r: BackfillReport, c: ReportContext): string[] {
  const lines = [READ_ONLY_NOTE, ''];
  const seconds = c.elapsedMs / 1000;
  lines.push(
    `Swept ${c.root} (bucket ${r.bucket}), events from ${c.from} to ${c.to} (UTC): ${r.logFiles} log file(s), ` +
      `${r.records.toLocaleString('en-US')} record(s) in ${seconds.toFixed(1)} s.`,
    c.dedupe === undefined
      ? 'Not reconciled: pass --dedupe <export of the triage state table> to tell confirmed from late.'
      : `Reconciled against ${c.dedupe}.`,
    '',
  );
  const counts = statusCounts(r.findings);
  lines.push(`Findings: ${r.findings.length}`);
  for (const s of STATUS_ORDER) if (counts[s] > 0) lines.push(`  ${String(counts[s]).padStart(5)}  ${STATUS_TEXT[s]}`);
  const dropped = Object.entries(r.dropped);
  if (dropped.length > 0) {
    lines.push(`  Dropped by triage, as real time would: ${dropped.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  const shown = [...r.findings].sort(
    (a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || a.eventTime.localeCompare(b.eventTime),
  );
  if (shown.length > 0) {
    lines.push('', 'Per finding (status, severity, detection, account, region, event time, event, id, delay, file):');
    for (const f of shown) {
      lines.push(
        `  ${f.status.padEnd(12)} ${f.severity.padEnd(8)} ${f.detectionId}  ${f.account} ${f.region}  ${f.eventTime}  ` +
          `${f.eventName}  ${f.eventId}${f.delaySeconds === undefined ? '' : `  +${duration(f.delaySeconds)}`}` +
          `${f.remediation === 'requested' ? '  (remediation would be requested)' : ''}  ${f.file}`,
      );
    }
  }
  const gaps = gapStats(r.findings);
  if (gaps.late > 0) {
    const top = (m: Readonly<Record<string, number>>) =>
      Object.entries(m)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
    lines.push(
      '',
      `Real-time gap: ${gaps.late} finding(s) missed that the sweep alerts`,
      `  by detection: ${top(gaps.byDetection)}`,
      `  by account:   ${top(gaps.byAccount)}`,
      `  by region:    ${top(gaps.byRegion)}`,
    );
    if (gaps.delaySeconds) {
      const d = gaps.delaySeconds;
      lines.push(
        `  delay (event → sweep alert): p50 ${duration(d.p50)}, p90 ${duration(d.p90)}, max ${duration(d.max)}`,
      );
    }
  }
  lines.push('', 'Trail integrity:');
  if (c.publicKeys === 0) {
    lines.push(
      `  digests not validated: pass --public-keys <file> (for r in <regions>; do aws cloudtrail list-public-keys ` +
        `--region $r --start-time ${c.from}; done > keys.json); ${r.digests.skipped} digest(s) skipped`,
    );
  } else {
    lines.push(`  ${r.digests.validated} digest(s) validated (signature, chain link, listed log files)`);
  }
  if (r.digests.unverifiable.length > 0) {
    lines.push(
      `  ${r.digests.unverifiable.length} digest(s) not verifiable: the newest of their chain, whose signature is S3 ` +
        'metadata that aws s3 sync does not copy (sync the next hour, or run aws cloudtrail validate-logs):',
      ...r.digests.unverifiable.slice(0, 10).map((k) => `    ${k}`),
      ...(r.digests.unverifiable.length > 10 ? [`    … and ${r.digests.unverifiable.length - 10} more`] : []),
    );
  }
  if (r.integrity.length === 0) lines.push('  no problem found');
  for (const p of r.integrity) lines.push(`  ${p.failure.toUpperCase()}: ${p.key}: ${p.reason}`);
  if (r.notSwept.length > 0) {
    lines.push('', `Not swept (${r.notSwept.length}):`);
    for (const n of r.notSwept) lines.push(`  ${n.status} ${n.key}: ${n.reason}`);
  }
  lines.push(
    '',
    `Would send: ${r.wouldSend.alerts} alert(s), ${r.wouldSend.digestEntries} digest entr(ies), ` +
      `${r.wouldSend.remediations} remediation request(s), ${r.integrity.length} integrity alert(s). Nothing was sent.`,
  );
  return lines;
}
