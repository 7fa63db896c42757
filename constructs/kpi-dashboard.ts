import { CloudwatchDashboard } from '../framework/aws';
import type { TerraformProvider } from '../framework/cdktf';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../handlers/functions/published';

/** CloudWatch namespace of vigil's embedded-metric-format metrics (defined in handlers/core/metrics.ts). */
export { METRIC_NAMESPACE };

export interface KpiDashboardProps {
  readonly dashboardName: string;
  readonly region: string;
  /** @default - the stack's default AWS provider */
  readonly provider?: TerraformProvider;
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

/** The dashboard body: MTTD, MTTR, alert volume and signal-to-noise, share of automated remediation. */
export function kpiDashboardBody(region: string): string {
  const widgets: Widget[] = [
    metricWidget(
      'Mean time to detect (alert sent − CloudTrail eventTime), ms',
      [
        [
          {
            expression: `SEARCH('{${METRIC_NAMESPACE},DetectionId,Severity} MetricName="DetectionLatencyMs"', 'Average', 300)`,
            id: 'perDetection',
            label: '',
            visible: false,
          },
        ],
        [{ expression: 'AVG(perDetection)', id: 'mttd', label: 'MTTD (average over detections)' }],
      ],
      region,
      0,
      0,
    ),
    metricWidget(
      'Mean time to respond (verified fixed − alert sent), ms',
      [
        [
          {
            expression: `SEARCH('{${METRIC_NAMESPACE},DetectionId,Severity} MetricName="TimeToRespondMs"', 'Average', 300)`,
            id: 'perDetection',
            label: '',
            visible: false,
          },
        ],
        [{ expression: 'AVG(perDetection)', id: 'mttr', label: 'MTTR (average over detections)' }],
      ],
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
  ];
  return JSON.stringify({ widgets });
}

/** The KPI dashboard of the security account. */
export class KpiDashboard extends Construct {
  constructor(scope: Construct, id: string, props: KpiDashboardProps) {
    super(scope, id);
    new CloudwatchDashboard(this, 'dashboard', {
      provider: props.provider,
      dashboardName: props.dashboardName,
      dashboardBody: kpiDashboardBody(props.region),
    });
  }
}
