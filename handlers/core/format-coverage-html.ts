/**
 * The coverage map as HTML, for the KPI dashboard's custom widget (issue #11): accounts × regions (and
 * the global path), one coloured cell per account × column, the accounts that need attention first. A
 * CloudWatch dashboard has no heatmap widget and a metric per cell would cost ~$5,400 a month at 1,000
 * accounts; a custom widget draws the real map from the coverage table on each view instead. Pure: a
 * CoverageResult in, HTML out (every value escaped).
 */
import type { CoverageCell, CoverageResult, CoverageStatus } from './coverage';
import { escapeHtml } from './html';

/** Cell colours (and a symbol, so the map reads without colour). */
const STYLE: Readonly<Record<CoverageStatus, { readonly color: string; readonly symbol: string }>> = {
  healthy: { color: '#2ca02c', symbol: '●' },
  late: { color: '#ff7f0e', symbol: '◐' },
  silent: { color: '#d62728', symbol: '✕' },
  'not-deployed': { color: '#c7c7c7', symbol: '·' },
};

/** Rows drawn at most: beyond it the healthy accounts are summarised (a widget is a few hundred pixels tall). */
export const DEFAULT_MAP_ROWS = 150;

/** How bad a row is: silent cells first, then late, then not deployed. */
function badness(cells: readonly CoverageCell[]): number {
  let score = 0;
  for (const c of cells)
    score += c.status === 'silent' ? 1_000_000 : c.status === 'late' ? 1_000 : c.status === 'not-deployed' ? 1 : 0;
  return score;
}

/** The widget's HTML. `maxRows` bounds the table; accounts that need attention are always listed first. */
export function renderCoverageMapHtml(result: CoverageResult, maxRows = DEFAULT_MAP_ROWS): string {
  const byAccount = new Map<string, CoverageCell[]>();
  for (const c of result.cells) byAccount.set(c.accountId, [...(byAccount.get(c.accountId) ?? []), c]);
  const rows = result.accounts
    .map((a, i) => ({ ...a, i, cells: byAccount.get(a.id) ?? [], score: badness(byAccount.get(a.id) ?? []) }))
    .sort((a, b) => b.score - a.score || a.i - b.i);
  const shown = rows.slice(0, Math.max(0, maxRows));
  const hidden = rows.slice(shown.length);
  const cellOf = (cells: readonly CoverageCell[], column: string) => cells.find((c) => c.column === column);

  const head = `<tr><th>account</th>${result.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = shown
    .map((a) => {
      const tds = result.columns.map((column) => {
        const cell = cellOf(a.cells, column);
        const status: CoverageStatus = cell?.status ?? 'not-deployed';
        const title = `${a.id} ${column}: ${status}${cell?.lastEventTime ? `, last heartbeat ${cell.lastEventTime}` : ''}`;
        return `<td title="${escapeHtml(title)}" style="background:${STYLE[status].color};color:#fff;text-align:center">${STYLE[status].symbol}</td>`;
      });
      return `<tr><td>${escapeHtml(a.id)} ${escapeHtml(a.name)}</td>${tds.join('')}</tr>`;
    })
    .join('');
  const counts = result.counts;
  const legend = (Object.keys(STYLE) as CoverageStatus[])
    .map((s) => `<span style="color:${STYLE[s].color}">${STYLE[s].symbol}</span> ${s}`)
    .join(' &nbsp; ');
  const notes: string[] = [];
  if (hidden.length > 0) {
    const notHealthy = hidden.filter((r) => r.score > 0).length;
    notes.push(
      `…and ${hidden.length} more account(s)${notHealthy > 0 ? `, ${notHealthy} of them with late or undeployed cells` : ', all healthy'}: <code>npm run coverage</code> shows every row.`,
    );
  }
  if (result.pipelineDown)
    notes.push('<b>Every cell is silent: the detection pipeline itself is down (see the page).</b>');
  for (const u of result.unknownAccounts) {
    notes.push(
      `Account ${escapeHtml(u.accountId)} sends ${escapeHtml(u.seenIn.join(' and '))} but is not in the inventory.`,
    );
  }
  for (const u of result.uncoveredRegions) {
    notes.push(`Opt-in region ${escapeHtml(u.region)} is enabled in ${escapeHtml(u.accountId)} but not covered.`);
  }
  return [
    `<p>Coverage at ${escapeHtml(result.evaluatedAt)}: ${counts.healthy} healthy, ${counts.late} late, ${counts.silent} silent, ${counts.notDeployed} not deployed. ${legend}</p>`,
    `<table>${head}${body}</table>`,
    ...notes.map((n) => `<p>${n}</p>`),
  ].join('\n');
}
