/**
 * Triage KPIs as CloudWatch embedded metric format (EMF) objects: one JSON log line per processed
 * message becomes metrics in namespace `Vigil`, dimensioned by DetectionId and Severity, without a
 * PutMetricData call (no SDK client, no extra latency, no throttling). Pure: the entrypoint writes
 * each object with `console.log(JSON.stringify(...))`.
 *
 * Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import type { Severity } from '../../rules/types';

export const METRIC_NAMESPACE = 'Vigil';

/**
 * Dimensionless count of approval records the timeout sweep could not read (it skips them and goes on);
 * the security stack alarms on it, since such a record never times out by itself.
 */
export const MALFORMED_APPROVAL_RECORDS_METRIC = 'MalformedApprovalRecords';

/**
 * The triage metrics. `DetectionLatencyMs` is MTTD: alert sent − CloudTrail eventTime.
 * `Deduplicated`: a redelivered or repeated event; `Aggregated`: folded into a burst; `DroppedInvalid`:
 * malformed, foreign or spoofed; `Ignored`: valid but not a finding (failed call, predicate); `LoopGuarded`:
 * made by vigil's own remediation role; `NotificationFailed`: left for SQS to retry (then the DLQ).
 */
export type TriageMetric =
  | 'DetectionLatencyMs'
  | 'AlertsSent'
  | 'Digested'
  | 'Deduplicated'
  | 'Aggregated'
  | 'DroppedInvalid'
  | 'Ignored'
  | 'LoopGuarded'
  | 'NotificationFailed'
  | 'RemediationRequestFailed'
  | 'FindingExportFailed';

const UNITS: Readonly<Record<TriageMetric, 'Milliseconds' | 'Count'>> = {
  DetectionLatencyMs: 'Milliseconds',
  AlertsSent: 'Count',
  Digested: 'Count',
  Deduplicated: 'Count',
  Aggregated: 'Count',
  DroppedInvalid: 'Count',
  Ignored: 'Count',
  LoopGuarded: 'Count',
  NotificationFailed: 'Count',
  RemediationRequestFailed: 'Count',
  FindingExportFailed: 'Count',
};

/** Dimension values for messages that name no known detection: bounded, so spoofed ids cannot create metrics. */
export const UNKNOWN = 'unknown';

/** One EMF log object. */
export interface EmfObject {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: ReadonlyArray<readonly string[]>;
      readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: string }>;
    }>;
  };
  readonly DetectionId: string;
  readonly Severity: string;
  readonly [key: string]: unknown;
}

/** The `_aws` part of an EMF object: one metric directive in vigil's namespace. */
export function emfMetadata(
  timestamp: number,
  dimensions: ReadonlyArray<readonly string[]>,
  metrics: ReadonlyArray<readonly [name: string, unit: string]>,
): EmfObject['_aws'] {
  return {
    Timestamp: timestamp,
    CloudWatchMetrics: [
      { Namespace: METRIC_NAMESPACE, Dimensions: dimensions, Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })) },
    ],
  };
}

export interface MetricInput {
  /** A catalog id, or {@link UNKNOWN}. Never an unvalidated id from a message (dimension cardinality). */
  readonly detectionId: string;
  /** Effective severity of the alert, the catalog severity when no alert was built, or {@link UNKNOWN}. */
  readonly severity: Severity | typeof UNKNOWN;
  /** When the metrics were observed, epoch ms. */
  readonly timestamp: number;
  /** Metric values; metrics left out are not emitted. */
  readonly values: Partial<Record<TriageMetric, number>>;
  /**
   * Extra fields of the log line (searchable in Logs Insights, not metrics): event id, account,
   * reason. Never overrides the EMF fields. @default - none
   */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

/** The EMF object for one message's metrics, or undefined when there is nothing to emit. */
export function metricsRecord(input: MetricInput): EmfObject | undefined {
  const names = (Object.keys(input.values) as TriageMetric[])
    .filter((name) => Object.hasOwn(UNITS, name) && Number.isFinite(input.values[name]))
    .sort();
  if (names.length === 0) return undefined;
  const values: Record<string, number> = {};
  for (const name of names) values[name] = input.values[name]!;
  return {
    ...input.properties,
    _aws: {
      Timestamp: input.timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          // Per detection and severity, and the total without dimensions (what alarms watch).
          Dimensions: [['DetectionId', 'Severity'], []],
          Metrics: names.map((name) => ({ Name: name, Unit: UNITS[name] })),
        },
      ],
    },
    DetectionId: input.detectionId,
    Severity: input.severity,
    ...values,
  };
}

/**
 * The heartbeat metrics (issue #11), per heartbeat: `Heartbeats` (count) and `HeartbeatLatencyMs`
 * (arrival in triage − CloudTrail eventTime: the pipeline's measured time to detect), by `Region` and without
 * dimensions, so CloudWatch percentile statistics (p50/p90/p99) give MTTD per region and org-wide.
 */
export const HEARTBEAT_METRICS = { count: 'Heartbeats', latency: 'HeartbeatLatencyMs' } as const;

export interface HeartbeatMetricInput {
  /** The heartbeat's region (us-east-1 for the global path). */
  readonly region: string;
  readonly path: 'regional' | 'global';
  readonly detectionId: string;
  readonly latencyMs: number;
  /** When the metrics were observed, epoch ms. */
  readonly timestamp: number;
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

/** The EMF object of one heartbeat. */
export function heartbeatMetricsRecord(input: HeartbeatMetricInput): EmfObject {
  return {
    ...input.properties,
    _aws: {
      Timestamp: input.timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['Region'], []],
          Metrics: [
            { Name: HEARTBEAT_METRICS.count, Unit: 'Count' },
            { Name: HEARTBEAT_METRICS.latency, Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    // Not dimensions here (the triage metrics' dimensions); kept as searchable fields of the log line.
    DetectionId: input.detectionId,
    Severity: 'info',
    Region: input.region,
    Path: input.path,
    [HEARTBEAT_METRICS.count]: 1,
    [HEARTBEAT_METRICS.latency]: Math.max(0, input.latencyMs),
  };
}

/** MTTD in ms: alert sent − CloudTrail eventTime, never negative (clock skew between services). */
export function detectionLatencyMs(sentAtMs: number, eventTimeMs: number): number {
  return Math.max(0, sentAtMs - eventTimeMs);
}

/**
 * The coverage function's metrics (handlers/core/flows/coverage-flow.ts), one value per evaluation:
 * cells by status, dimensionless and per `Region` (a region, or `global` for the global-service path).
 * The security stack alarms on `CoverageSilentCells` and the KPI dashboard draws them per region.
 */
export const COVERAGE_METRICS = {
  healthy: 'CoverageHealthyCells',
  late: 'CoverageLateCells',
  silent: 'CoverageSilentCells',
  notDeployed: 'CoverageNotDeployedCells',
} as const;

/**
 * Heartbeat latency (CloudTrail eventTime → triage), published by triage per heartbeat, dimensionless and
 * per `Region`: the pipeline's measured time to detect. The dashboard shows its p50/p90/p99.
 */
export const HEARTBEAT_LATENCY_METRIC = 'HeartbeatLatencyMs';

/**
 * The trail-log sweep's metrics (issue #12), namespace {@link METRIC_NAMESPACE}:
 * - `SweepLateFindings`, by `Severity` and without dimensions: findings real time missed and the sweep alerted
 *   (the real-time path's miss rate); the security stack alarms on high and critical.
 * - `SweepConfirmed`: findings real time had already handled.
 * - `SweepLagSeconds`: object stored in S3 (LastModified) → file processed.
 * - `SweepFiles`, `SweepRecords`: log files and records swept.
 * - `DigestFailures`, by `Failure` (invalid-digest, chain-broken, modified, missing, unlisted, foreign-object) and
 *   without dimensions: any is an alarm.
 */
export const SWEEP_METRICS = {
  late: 'SweepLateFindings',
  confirmed: 'SweepConfirmed',
  lag: 'SweepLagSeconds',
  files: 'SweepFiles',
  records: 'SweepRecords',
  digestFailures: 'DigestFailures',
} as const;

/** Why the sweep counted a digest failure (the `Failure` dimension of `DigestFailures`). */
export type DigestFailureKind =
  | 'invalid-digest'
  | 'chain-broken'
  | 'modified'
  | 'missing'
  | 'unlisted'
  | 'foreign-object';

/** The EMF object of one sweep finding: late (alerted by the sweep) or confirmed (real time had it). */
export function sweepFindingRecord(input: {
  readonly kind: 'late' | 'confirmed';
  readonly detectionId: string;
  readonly severity: string;
  readonly timestamp: number;
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}): EmfObject {
  const name = input.kind === 'late' ? SWEEP_METRICS.late : SWEEP_METRICS.confirmed;
  return {
    ...input.properties,
    _aws: {
      Timestamp: input.timestamp,
      CloudWatchMetrics: [
        { Namespace: METRIC_NAMESPACE, Dimensions: [['Severity'], []], Metrics: [{ Name: name, Unit: 'Count' }] },
      ],
    },
    DetectionId: input.detectionId,
    Severity: input.severity,
    [name]: 1,
  };
}

/** The EMF object of one swept log file: files, records and lag (dimensionless). */
export function sweepFileRecord(input: {
  readonly records: number;
  readonly lagSeconds: number | undefined;
  readonly timestamp: number;
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}): EmfObject {
  const lag = input.lagSeconds === undefined ? [] : [[SWEEP_METRICS.lag, 'Seconds'] as const];
  return {
    ...input.properties,
    _aws: emfMetadata(
      input.timestamp,
      [[]],
      [[SWEEP_METRICS.files, 'Count'], [SWEEP_METRICS.records, 'Count'], ...lag],
    ),
    DetectionId: UNKNOWN,
    Severity: UNKNOWN,
    [SWEEP_METRICS.files]: 1,
    [SWEEP_METRICS.records]: input.records,
    ...(input.lagSeconds === undefined ? {} : { [SWEEP_METRICS.lag]: Math.max(0, input.lagSeconds) }),
  };
}

/** The EMF object of digest failures of one kind. */
export function digestFailureRecord(input: {
  readonly failure: DigestFailureKind;
  readonly count: number;
  readonly timestamp: number;
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}): EmfObject {
  return {
    ...input.properties,
    _aws: emfMetadata(input.timestamp, [['Failure'], []], [[SWEEP_METRICS.digestFailures, 'Count']]),
    DetectionId: UNKNOWN,
    Severity: UNKNOWN,
    Failure: input.failure,
    [SWEEP_METRICS.digestFailures]: input.count,
  };
}
