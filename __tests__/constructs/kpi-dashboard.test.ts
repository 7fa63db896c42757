/**
 * The KPI dashboard body: latency widgets use percentile statistics (never averages), and the coverage
 * rows draw what CloudWatch can render from the coverage function's and triage's metrics.
 */
import { kpiDashboardBody } from '../../constructs/kpi-dashboard';

type Widget = { type: string; x: number; y: number; width: number; height: number; properties: any };
const widgets: Widget[] = JSON.parse(kpiDashboardBody('eu-west-1')).widgets;
const titled = (part: string) => widgets.find((w) => w.properties.title.includes(part))!;

describe('kpiDashboardBody', () => {
  it('shows MTTD and MTTR as p50 / p90 / p99 of the dimensionless series, with no average anywhere', () => {
    for (const [title, metric] of [
      ['Time to detect', 'DetectionLatencyMs'],
      ['Time to respond', 'TimeToRespondMs'],
    ] as const) {
      expect(titled(title).properties.metrics).toEqual(
        ['p50', 'p90', 'p99'].map((stat) => ['Vigil', metric, { stat, label: expect.stringContaining(stat) }]),
      );
    }
    expect(JSON.stringify(widgets)).not.toMatch(/Average|AVG\(/);
  });

  it('draws the coverage map per region as a table highlighting silent cells, and cells per status as stacked bars', () => {
    const map = titled('Coverage map by region');
    expect(map.properties).toMatchObject({
      view: 'table',
      table: { layout: 'horizontal', showTimeSeriesData: true },
      annotations: { horizontal: [{ value: 0, fill: 'above' }] },
    });
    expect(map.properties.metrics).toEqual([
      [
        expect.objectContaining({
          expression: `SEARCH('{Vigil,Region} MetricName="CoverageSilentCells"', 'Maximum', 300)`,
        }),
      ],
    ]);
    const bars = titled('Cells per region now');
    expect(bars.properties).toMatchObject({ view: 'bar', stacked: true });
    expect(JSON.stringify(bars.properties.metrics)).toMatch(
      /CoverageHealthyCells.*CoverageLateCells.*CoverageSilentCells/,
    );
  });

  it('shows the pipeline time to detect from heartbeats, org-wide and per region, as p50 / p90 / p99', () => {
    expect(titled('org-wide').properties.metrics).toEqual(
      ['p50', 'p90', 'p99'].map((stat) => ['Vigil', 'HeartbeatLatencyMs', expect.objectContaining({ stat })]),
    );
    const perRegion = titled('Pipeline time to detect per region').properties.metrics.map(
      ([m]: [{ expression: string }]) => m.expression,
    );
    expect(perRegion).toEqual(
      ['p50', 'p90', 'p99'].map((stat) => `SEARCH('{Vigil,Region} MetricName="HeartbeatLatencyMs"', '${stat}', 300)`),
    );
  });

  it('lays the widgets on the 24-column grid without overlap', () => {
    for (const w of widgets) expect(w.x + w.width).toBeLessThanOrEqual(24);
    const cells = new Set<string>();
    for (const w of widgets) {
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
