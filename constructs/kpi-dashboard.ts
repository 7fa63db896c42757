import { CloudwatchDashboard } from '../framework/aws';
import type { TerraformProvider } from '../framework/cdktf';
import { Construct } from 'constructs';
import {
  COVERAGE_METRICS,
  HEARTBEAT_LATENCY_METRIC,
  METRIC_NAMESPACE,
  SWEEP_METRICS,
} from '../handlers/functions/published';

/** CloudWatch namespace of vigil's embedded-metric-format metrics (defined in handlers/core/metrics.ts). */
export { METRIC_NAMESPACE };

export interface KpiDashboardProps {
  readonly dashboardName: string;
  readonly region: string;
  /** @default - the stack's default AWS provider */
  readonly provider?: TerraformProvider;
  /** The coverage map widget's function (accounts × regions). @default - no map widget */
  readonly coverageMapFunctionArn?: string;
}

type Widget = Record<string, unknown>;

/** Sum of one metric over every DetectionId/Severity combination (metric math SEARCH). */
const search = (metric: string, stat: string, id: string, label: string, period = 300) => [
  {
    expression: `SUM(SEARCH('{${METRIC_NAMESPACE},DetectionId,Severity} MetricName="${metric}"', '${stat}', ${period}))`,
    id,
    label,
  },
];

const metricWidget = (
  title: string,
  metrics: unknown[],
  region: string,
  x: number,
  y: number,
  extra: Widget = {},
  width = 12,
): Widget => ({
  type: 'metric',
  x,
  y,
  width,
  height: 6,
  properties: { title, region, view: 'timeSeries', stacked: false, metrics, period: 300, ...extra },
});

/** The percentile statistics every latency widget shows. */
const PERCENTILES = ['p50', 'p90', 'p99'] as const;

/** A SEARCH over one coverage metric per `Region` (a region, or `global` for the global-service path). */
const byRegion = (metric: string, stat: string, id: string, extra: Widget = {}) => ({
  expression: `SEARCH('{${METRIC_NAMESPACE},Region} MetricName="${metric}"', '${stat}', 300)`,
  id,
  ...extra,
});

/**
 * The coverage rows. CloudWatch dashboards draw no true heatmap, and a metric per account × region
 * would be 18,000 custom metrics for 1,000 accounts (about $5,400 a month): the dashboard shows regions,
 * the per-account map is `npm run coverage`. The "heatmap" is a data table (rows: regions, columns:
 * 5-minute periods) whose cells above zero silent cells are highlighted by a threshold annotation; next
 * to it, the current healthy / late / silent cells per region as stacked bars.
 */
function coverageWidgets(region: string, y: number): Widget[] {
  return [
    metricWidget(
      'Coverage map by region: silent cells (highlighted above 0) per 5 minutes',
      [[byRegion(COVERAGE_METRICS.silent, 'Maximum', 'silent')]],
      region,
      0,
      y,
      {
        view: 'table',
        table: { layout: 'horizontal', showTimeSeriesData: true, summaryColumns: ['MAX'] },
        annotations: { horizontal: [{ label: 'silent', value: 0, fill: 'above', color: '#d62728' }] },
      },
      16,
    ),
    metricWidget(
      'Cells per region now: healthy / late / silent',
      [
        [byRegion(COVERAGE_METRICS.healthy, 'Maximum', 'healthy', { color: '#2ca02c' })],
        [byRegion(COVERAGE_METRICS.late, 'Maximum', 'late', { color: '#ff7f0e' })],
        [byRegion(COVERAGE_METRICS.silent, 'Maximum', 'silent', { color: '#d62728' })],
      ],
      region,
      16,
      y,
      { view: 'bar', stacked: true },
      8,
    ),
    metricWidget(
      'Pipeline time to detect, measured on heartbeats (CloudTrail eventTime → triage), ms: org-wide',
      PERCENTILES.map((stat) => [METRIC_NAMESPACE, HEARTBEAT_LATENCY_METRIC, { stat, label: `heartbeat ${stat}` }]),
      region,
      0,
      y + 6,
    ),
    metricWidget(
      'Pipeline time to detect per region (heartbeats), ms: p50 / p90 / p99 over the period',
      PERCENTILES.map((stat) => [byRegion(HEARTBEAT_LATENCY_METRIC, stat, `hb${stat}`, { label: `${stat}` })]),
      region,
      12,
      y + 6,
      { view: 'table', table: { layout: 'vertical', showTimeSeriesData: false, summaryColumns: ['AVG', 'MAX'] } },
    ),
  ];
}

/**
 * The trail-log sweep rows (docs/sweep.md): real time's misses (late findings by severity) next to what the sweep
 * confirmed, digest failures, files and records per second, and the lag from delivery to processing.
 */
function sweepWidgets(region: string, y: number): Widget[] {
  const bySeverity = (metric: string, id: string) => ({
    expression: `SEARCH('{${METRIC_NAMESPACE},Severity} MetricName="${metric}"', 'Sum', 300)`,
    id,
  });
  return [
    metricWidget(
      'Sweep: late findings (real time missed them) by severity, and findings confirmed',
      [
        [bySeverity(SWEEP_METRICS.late, 'late')],
        [METRIC_NAMESPACE, SWEEP_METRICS.confirmed, { stat: 'Sum', label: 'confirmed' }],
      ],
      region,
      0,
      y,
    ),
    metricWidget(
      'Sweep: trail digest failures (missing, modified, foreign objects, broken chain)',
      [[METRIC_NAMESPACE, SWEEP_METRICS.digestFailures, { stat: 'Sum', label: 'digest failures', color: '#d62728' }]],
      region,
      12,
      y,
    ),
    metricWidget(
      'Sweep: files and records per second',
      [
        [{ expression: 'files / PERIOD(files)', id: 'fps', label: 'files/s' }],
        [{ expression: 'records / PERIOD(records)', id: 'rps', label: 'records/s' }],
        [METRIC_NAMESPACE, SWEEP_METRICS.files, { stat: 'Sum', id: 'files', visible: false }],
        [METRIC_NAMESPACE, SWEEP_METRICS.records, { stat: 'Sum', id: 'records', visible: false }],
      ],
      region,
      0,
      y + 6,
    ),
    metricWidget(
      'Sweep lag (object stored → processed), s: p50 / p99',
      (['p50', 'p99'] as const).map((stat) => [METRIC_NAMESPACE, SWEEP_METRICS.lag, { stat, label: `lag ${stat}` }]),
      region,
      12,
      y + 6,
    ),
  ];
}

/**
 * The dashboard body: MTTD and MTTR percentiles, alert volume and signal-to-noise, share of automated
 * remediation, and the coverage map with the pipeline's measured time to detect.
 */
export function kpiDashboardBody(region: string, coverageMapFunctionArn?: string): string {
  const widgets: Widget[] = [
    metricWidget(
      'Time to detect (alert sent − CloudTrail eventTime), ms: p50 / p90 / p99, all detections',
      // The dimensionless series holds every alert, so its percentiles are the org's (a percentile of
      // per-detection percentiles would mean nothing). Averages hide the slow tail that matters.
      PERCENTILES.map((stat) => [METRIC_NAMESPACE, 'DetectionLatencyMs', { stat, label: `MTTD ${stat}` }]),
      region,
      0,
      0,
    ),
    metricWidget(
      'Time to respond (verified fixed − alert sent), ms: p50 / p90 / p99, all detections',
      PERCENTILES.map((stat) => [METRIC_NAMESPACE, 'TimeToRespondMs', { stat, label: `MTTR ${stat}` }]),
      region,
      12,
      0,
    ),
    metricWidget(
      'Alert volume and noise',
      [
        search('AlertsSent', 'Sum', 'sent', 'alerts sent'),
        search('Deduplicated', 'Sum', 'dedup', 'deduplicated'),
        search('Aggregated', 'Sum', 'agg', 'aggregated into bursts'),
        search('DroppedInvalid', 'Sum', 'dropped', 'dropped as invalid/foreign'),
      ],
      region,
      0,
      6,
    ),
    metricWidget(
      'Remediations by outcome and share automated',
      [
        [
          {
            expression: `SEARCH('{${METRIC_NAMESPACE},Outcome} MetricName="Remediations"', 'Sum', 300)`,
            id: 'byOutcome',
          },
        ],
        [
          {
            expression: `SUM(SEARCH('{${METRIC_NAMESPACE},DetectionId,Severity} MetricName="Automated"', 'Sum', 300))`,
            id: 'auto',
            visible: false,
          },
        ],
        [
          {
            expression: `SUM(SEARCH('{${METRIC_NAMESPACE},DetectionId,Severity} MetricName="AlertsSent"', 'Sum', 300))`,
            id: 'alerts',
            visible: false,
          },
        ],
        [
          {
            expression: 'IF(alerts > 0, 100 * auto / alerts, 0)',
            id: 'share',
            label: 'share closed by automation (%)',
            yAxis: 'right',
          },
        ],
      ],
      region,
      12,
      6,
    ),
    metricWidget(
      'Alerts per detection (signal-to-noise: compare with responder verdicts)',
      [
        [
          {
            expression: `SEARCH('{${METRIC_NAMESPACE},DetectionId,Severity} MetricName="AlertsSent"', 'Sum', 86400)`,
            id: 'perDetection',
          },
        ],
      ],
      region,
      0,
      12,
      { view: 'bar', period: 86400 },
      24,
    ),
    metricWidget(
      'Responder verdicts per detection (Slack buttons on each alert)',
      [
        [
          {
            expression: `SEARCH('{${METRIC_NAMESPACE},DetectionId,Verdict} MetricName="Verdicts"', 'Sum', 86400)`,
            id: 'verdicts',
          },
        ],
      ],
      region,
      0,
      18,
      { view: 'bar', period: 86400 },
      12,
    ),
    metricWidget(
      'Precision from verdicts: true positives / (true + false positives), all detections',
      [
        [
          {
            expression: `SUM(SEARCH('{${METRIC_NAMESPACE},DetectionId,Verdict} Verdict="true-positive" MetricName="Verdicts"', 'Sum', 86400))`,
            id: 'tp',
            visible: false,
          },
        ],
        [
          {
            expression: `SUM(SEARCH('{${METRIC_NAMESPACE},DetectionId,Verdict} Verdict="false-positive" MetricName="Verdicts"', 'Sum', 86400))`,
            id: 'fp',
            visible: false,
          },
        ],
        [{ expression: 'IF(tp + fp > 0, 100 * tp / (tp + fp), 100)', id: 'precision', label: 'precision (%)' }],
        search('Digested', 'Sum', 'digest', 'change monitors sent to the daily digest', 86400),
      ],
      region,
      12,
      18,
      { period: 86400 },
      12,
    ),
    ...coverageWidgets(region, 24),
    ...sweepWidgets(region, 36),
    ...(coverageMapFunctionArn ? [coverageMapWidget(coverageMapFunctionArn, 48)] : []),
  ];
  return JSON.stringify({ widgets });
}

/**
 * The real coverage map, accounts × regions: a custom widget drawn by the coverage-map function from the
 * coverage table on every view or refresh (no metric per cell; see coverageWidgets).
 */
function coverageMapWidget(functionArn: string, y: number): Widget {
  return {
    type: 'custom',
    x: 0,
    y,
    width: 24,
    height: 12,
    properties: {
      title: 'Coverage map: accounts × regions (accounts that need attention first; npm run coverage for every row)',
      endpoint: functionArn,
      params: { maxRows: 150 },
      updateOn: { refresh: true, resize: false, timeRange: false },
    },
  };
}

/** The KPI dashboard of the security account. */
export class KpiDashboard extends Construct {
  constructor(scope: Construct, id: string, props: KpiDashboardProps) {
    super(scope, id);
    new CloudwatchDashboard(this, 'dashboard', {
      provider: props.provider,
      dashboardName: props.dashboardName,
      dashboardBody: kpiDashboardBody(props.region, props.coverageMapFunctionArn),
    });
  }
}
