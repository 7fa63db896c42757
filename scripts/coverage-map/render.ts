/**
 * The terminal coverage map of `npm run coverage`: accounts × regions (and the global path), one symbol per
 * cell, coloured when asked; then the legend, the totals, what needs attention and the measured time to detect.
 * Pure: a CoverageResult in, text out.
 */
import type {
  CellRef,
  CoverageCell,
  CoverageResult,
  CoverageStatus,
  LatencyPercentiles,
} from '../../handlers/core/coverage';

/** One character per status; distinct shapes, so the map reads without colour too. */
export const STATUS_SYMBOLS: Readonly<Record<CoverageStatus, string>> = {
  healthy: '●',
  late: '◐',
  silent: '✕',
  'not-deployed': '·',
};

const COLORS: Readonly<Record<CoverageStatus, string>> = {
  healthy: '\x1b[32m', // green
  late: '\x1b[33m', // yellow
  silent: '\x1b[1;31m', // bold red
  'not-deployed': '\x1b[2m', // dim
};
const RESET = '\x1b[0m';
const BOLD = '\x1b[1m';

export interface RenderOptions {
  /** ANSI colours (the command turns them on for a terminal without NO_COLOR). @default false */
  readonly color?: boolean;
}

/** The whole report, as lines. */
export function renderCoverageMap(result: CoverageResult, options: RenderOptions = {}): string[] {
  const color = options.color === true;
  const paint = (status: CoverageStatus, text: string) => (color ? `${COLORS[status]}${text}${RESET}` : text);
  const bold = (text: string) => (color ? `${BOLD}${text}${RESET}` : text);
  const names = new Map(result.accounts.map((a) => [a.id, a.name]));
  const label = (ref: CellRef) =>
    `${ref.accountId} ${names.get(ref.accountId) ?? '(not in the inventory)'} ${ref.column}`;

  const o = result.options;
  const lines: string[] = [
    bold(`Coverage at ${result.evaluatedAt}`),
    `Heartbeat every ${o.intervalMinutes} min; late after ${minutes(result.thresholds.lateAfterMs)}, ` +
      `silent after ${minutes(result.thresholds.silentAfterMs)} without one.`,
    '',
  ];

  // The grid: a row label column, then one column per region and `global`, each as wide as its header.
  const rowLabels = result.accounts.map((a) => `${a.id} ${a.name}`);
  const labelWidth = Math.max('account'.length, ...rowLabels.map((l) => l.length));
  const widths = result.columns.map((c) => Math.max(c.length, 1));
  const centre = (text: string, visible: number, width: number) => {
    const left = Math.floor((width - visible) / 2);
    return `${' '.repeat(left)}${text}${' '.repeat(width - visible - left)}`;
  };
  const row = (first: string, cells: readonly string[]) => `${first.padEnd(labelWidth)}  ${cells.join('  ')}`.trimEnd();
  lines.push(
    row(
      'account',
      result.columns.map((c, i) => centre(c, c.length, widths[i]!)),
    ),
  );
  const byCell = new Map(result.cells.map((c) => [`${c.accountId}/${c.column}`, c]));
  result.accounts.forEach((a, r) => {
    lines.push(
      row(
        rowLabels[r]!,
        result.columns.map((column, i) => {
          const status = byCell.get(`${a.id}/${column}`)?.status ?? 'not-deployed';
          return centre(paint(status, STATUS_SYMBOLS[status]), 1, widths[i]!);
        }),
      ),
    );
  });
  // How many cells of each column are not healthy: a region-wide problem shows as one tall number.
  const down = result.columns.map((column, i) => {
    const n = result.cells.filter((c) => c.column === column && (c.status === 'silent' || c.status === 'late')).length;
    const text = String(n);
    return centre(n > 0 ? paint('silent', text) : text, text.length, widths[i]!);
  });
  lines.push(row('late or silent', down));
  lines.push('');

  lines.push(
    `Legend: ${(['healthy', 'late', 'silent', 'not-deployed'] as const)
      .map((s) => `${paint(s, STATUS_SYMBOLS[s])} ${s}`)
      .join('   ')}`,
  );
  const c = result.counts;
  lines.push(
    `Cells: ${c.healthy} healthy, ${c.late} late, ${c.silent} silent of ${c.deployed} deployed; ` +
      `${c.notDeployed} not deployed.`,
  );

  if (result.allSilent) {
    lines.push(
      '',
      bold(
        paint(
          'silent',
          'PIPELINE DOWN: every deployed cell is silent. Check the central side first (central bus rules, ' +
            'triage queue and DLQ, triage function errors); per-cell alerts are held back.',
        ),
      ),
    );
  }

  const t = result.transitions;
  const events = [
    ...(t.pipelineDown ? ['pipeline down: page sent'] : []),
    ...(t.pipelineRecovered ? ['pipeline recovered'] : []),
    ...t.newlySilent.map((ref) => `newly silent: ${label(ref)}`),
    ...t.recovered.map((ref) => `recovered: ${label(ref)}`),
    ...t.retired.map((ref) => `alert closed, cell left the map: ${ref.accountId}/${ref.column}`),
  ];
  if (events.length > 0) {
    const since = result.previousEvaluatedAt ? ` (previous evaluation ${result.previousEvaluatedAt})` : '';
    lines.push('', `Messages due at this evaluation${since}:`, ...events.map((e) => `  ${e}`));
  }

  const attention = result.cells.filter((cell) => cell.status === 'silent' || cell.status === 'late');
  if (attention.length > 0) {
    lines.push('', 'Needs attention:');
    for (const cell of attention)
      lines.push(`  ${paint(cell.status, cell.status.padEnd(6))} ${label(cell)}  ${lastSeen(cell)}`);
  }

  if (result.unknownAccounts.length > 0) {
    lines.push('', 'Accounts not in the inventory (run npm run org:sync, review, deploy their member stack):');
    for (const u of result.unknownAccounts) {
      const where = u.regions.length > 0 ? ` in ${u.regions.join(', ')}` : '';
      const last = u.lastArrivedAt ? `, last heartbeat ${u.lastArrivedAt}` : '';
      lines.push(`  ${u.accountId}  seen in ${u.seenIn.join(' and ')}${where}${last}`);
    }
  }
  if (result.uncoveredRegions.length > 0) {
    lines.push('', 'Opt-in regions enabled but not covered:');
    for (const u of result.uncoveredRegions) {
      const fix =
        u.reason === 'not-in-inventory'
          ? 'not in the org regions: add it to config/org.json or disable the region'
          : "the account's regions leave it out: add it there or disable the region";
      lines.push(`  ${u.accountId} ${names.get(u.accountId) ?? ''} ${u.region}: ${fix}`);
    }
  }

  lines.push('', ...renderLatency(result));
  return lines;
}

function renderLatency(result: CoverageResult): string[] {
  const hours = result.options.latencyWindowMinutes / 60;
  const title = `Time to detect (heartbeat eventTime → triage), last ${Number.isInteger(hours) ? `${hours} h` : `${result.options.latencyWindowMinutes} min`}:`;
  const rows: [string, LatencyPercentiles][] = [
    ...(result.latency.orgWide ? [['org-wide', result.latency.orgWide] as [string, LatencyPercentiles]] : []),
    // In the map's column order (the regions, then the global path), then regions only unknown accounts use.
    ...Object.entries(result.latency.byColumn).sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b)),
  ];
  function order(column: string): number {
    const i = result.columns.indexOf(column);
    return i === -1 ? result.columns.length : i;
  }
  if (rows.length === 0) return [title, '  no heartbeat arrived in the window'];
  const width = Math.max(...rows.map(([name]) => name.length));
  const cell = (text: string) => text.padStart(8);
  return [
    title,
    `  ${''.padEnd(width)}  ${cell('p50')}${cell('p90')}${cell('p99')}${cell('n')}`,
    ...rows.map(
      ([name, p]) =>
        `  ${name.padEnd(width)}  ${cell(duration(p.p50))}${cell(duration(p.p90))}${cell(duration(p.p99))}${cell(String(p.count))}`,
    ),
  ];
}

function lastSeen(cell: CoverageCell): string {
  if (cell.lastEventTime === undefined || cell.ageMs === undefined) return 'no heartbeat ever arrived';
  return `last heartbeat ${cell.lastEventTime} (${duration(cell.ageMs)} ago)`;
}

function minutes(ms: number): string {
  return `${Math.round(ms / 60_000)} min`;
}

/** `42s`, `3m05s`, `2h10m`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.floor(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
