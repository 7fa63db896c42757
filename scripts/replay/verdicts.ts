/**
 * Responder verdicts for `npm run replay -- --verdicts <file>`: reads an export of the verdict records the
 * approve function appends to the remediation audit table (handlers/adapters/verdict-store.ts), and
 * summarises them per detection: how many alerts responders called true positives, expected changes and
 * false positives, the precision that gives, and whether the detection is noisy. Pure: the CLI reads the
 * file.
 *
 * Accepted exports: the JSON of `aws dynamodb scan` / `query` (`{"Items": [{"record": {"S": "…"}, …}]}`,
 * pages concatenated or one per line), or JSON Lines / a JSON array of verdict records as written in
 * `record`.
 */
import { VERDICTS, type Verdict, type VerdictRecord } from '../../handlers/core/verdict';
import type { ReplaySummary } from './core';

export interface VerdictSummary {
  readonly detectionId: string;
  readonly counts: Readonly<Record<Verdict, number>>;
  /** true / (true + false positives); undefined without either. */
  readonly precision?: number;
  /** At least {@link NOISY_MIN_VERDICTS} verdicts and at least half of them false positives. */
  readonly noisy: boolean;
}

export const NOISY_MIN_VERDICTS = 3;

export type VerdictParse = { readonly records: VerdictRecord[]; readonly problems: string[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The verdict record in one exported value (a DynamoDB item or a plain record), or why not. */
function recordOf(value: unknown): VerdictRecord | string {
  let v = value;
  if (isObject(v) && isObject(v['record']) && typeof v['record']['S'] === 'string') {
    try {
      v = JSON.parse(v['record']['S']);
    } catch {
      return 'item whose record is not JSON';
    }
  }
  if (!isObject(v)) return 'not an object';
  const { detectionId, accountId, eventId, verdict, actor, at } = v;
  if (typeof detectionId !== 'string' || typeof eventId !== 'string') return 'no detectionId or eventId';
  if (!VERDICTS.includes(verdict as Verdict)) return `unknown verdict ${JSON.stringify(verdict)}`;
  return {
    detectionId,
    accountId: typeof accountId === 'string' ? accountId : '',
    eventId,
    verdict: verdict as Verdict,
    actor: typeof actor === 'string' ? actor : 'unknown',
    at: typeof at === 'string' ? at : '',
  };
}

/** Parses an export; each value that is not a verdict is named in `problems` (file line or item index). */
export function parseVerdictExport(text: string, file: string): VerdictParse {
  const records: VerdictRecord[] = [];
  const problems: string[] = [];
  const take = (value: unknown, where: string) => {
    const items =
      isObject(value) && Array.isArray(value['Items']) ? value['Items'] : Array.isArray(value) ? value : [value];
    items.forEach((item, i) => {
      const r = recordOf(item);
      if (typeof r === 'string') problems.push(`${file} ${where}${items.length > 1 ? ` item ${i}` : ''}: ${r}`);
      else records.push(r);
    });
  };
  const trimmed = text.trim();
  if (trimmed === '') return { records, problems: [`${file}: empty`] };
  try {
    take(JSON.parse(trimmed), '');
    return { records, problems };
  } catch {
    // Not one JSON document: JSON Lines (or scan pages one per line).
  }
  trimmed.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      take(JSON.parse(line), `line ${i + 1}`);
    } catch (err) {
      problems.push(`${file} line ${i + 1}: invalid JSON (${(err as Error).message})`);
    }
  });
  return { records, problems };
}

/**
 * Per detection: the latest verdict of each person on each alert counts (a changed mind replaces the
 * earlier click), sorted noisiest first.
 */
export function summarizeVerdicts(records: readonly VerdictRecord[]): VerdictSummary[] {
  const latest = new Map<string, VerdictRecord>();
  for (const r of records) {
    const k = `${r.detectionId}\n${r.eventId}\n${r.actor}`;
    const seen = latest.get(k);
    if (!seen || seen.at <= r.at) latest.set(k, r);
  }
  const byDetection = new Map<string, Record<Verdict, number>>();
  for (const r of latest.values()) {
    const c = byDetection.get(r.detectionId) ?? { 'true-positive': 0, 'expected-change': 0, 'false-positive': 0 };
    c[r.verdict]++;
    byDetection.set(r.detectionId, c);
  }
  const out = [...byDetection.entries()].map(([detectionId, counts]): VerdictSummary => {
    const judged = counts['true-positive'] + counts['false-positive'];
    const total = judged + counts['expected-change'];
    return {
      detectionId,
      counts,
      ...(judged > 0 ? { precision: Math.round((counts['true-positive'] / judged) * 1000) / 1000 } : {}),
      noisy: total >= NOISY_MIN_VERDICTS && counts['false-positive'] * 2 >= total,
    };
  });
  const fpShare = (s: VerdictSummary) => {
    const t = VERDICTS.reduce((n, v) => n + s.counts[v], 0);
    return t === 0 ? 0 : s.counts['false-positive'] / t;
  };
  return out.sort((a, b) => fpShare(b) - fpShare(a) || (a.detectionId < b.detectionId ? -1 : 1));
}

/**
 * The report's verdicts section: per detection the verdict counts and precision, and for the noisy ones
 * the false alerts per day this corpus predicts (its alerts/day × the false-positive share).
 */
export function formatVerdicts(
  verdicts: readonly VerdictSummary[],
  summary: Pick<ReplaySummary, 'alertsPerDay'>,
): string[] {
  if (verdicts.length === 0) return ['Responder verdicts: none in the export.'];
  const lines = ['Responder verdicts (latest per person and alert; precision = true / (true + false positives)):'];
  const width = Math.max(...verdicts.map((v) => v.detectionId.length), 'detection'.length);
  lines.push(
    `  ${'detection'.padEnd(width)}  ${['true', 'expected', 'false', 'precision'].map((h) => h.padStart(9)).join('  ')}`,
  );
  for (const v of verdicts) {
    const precision = v.precision === undefined ? '-' : `${Math.round(v.precision * 100)}%`;
    const cells = [v.counts['true-positive'], v.counts['expected-change'], v.counts['false-positive']].map(String);
    lines.push(
      `  ${v.detectionId.padEnd(width)}  ${[...cells, precision].map((c) => c.padStart(9)).join('  ')}${v.noisy ? '  NOISY' : ''}`,
    );
  }
  const noisy = verdicts.filter((v) => v.noisy);
  if (noisy.length > 0) {
    lines.push('', 'Noisy by your responders (at least half false positives): tune these first.');
    for (const v of noisy) {
      const total = VERDICTS.reduce((n, k) => n + v.counts[k], 0);
      const perDay = summary.alertsPerDay[v.detectionId] ?? 0;
      const falsePerDay = Math.round(((perDay * v.counts['false-positive']) / total) * 100) / 100;
      lines.push(`  ${v.detectionId}: ${perDay} alert(s)/day in this corpus, about ${falsePerDay} of them false`);
    }
  }
  return lines;
}
