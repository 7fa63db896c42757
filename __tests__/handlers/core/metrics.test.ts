import { detectionLatencyMs, METRIC_NAMESPACE, metricsRecord, UNKNOWN } from '../../../handlers/core/metrics';

const T = Date.parse('2025-07-01T01:13:05Z');

describe('metricsRecord', () => {
  it('writes an EMF object in namespace Vigil with DetectionId and Severity dimensions', () => {
    const record = metricsRecord({
      detectionId: 'cloudtrail-logging-stopped',
      severity: 'critical',
      timestamp: T,
      values: { AlertsSent: 1, DetectionLatencyMs: 20_000 },
      properties: { eventId: 'e-1', account: '110000000006' },
    });

    expect(record).toEqual({
      _aws: {
        Timestamp: T,
        CloudWatchMetrics: [
          {
            Namespace: 'Vigil',
            Dimensions: [['DetectionId', 'Severity'], []],
            Metrics: [
              { Name: 'AlertsSent', Unit: 'Count' },
              { Name: 'DetectionLatencyMs', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      DetectionId: 'cloudtrail-logging-stopped',
      Severity: 'critical',
      AlertsSent: 1,
      DetectionLatencyMs: 20_000,
      eventId: 'e-1',
      account: '110000000006',
    });
    expect(METRIC_NAMESPACE).toBe('Vigil');
  });

  it('emits every metric named in the values, and only those', () => {
    const record = metricsRecord({
      detectionId: UNKNOWN,
      severity: UNKNOWN,
      timestamp: T,
      values: { DroppedInvalid: 1 },
    });

    expect(record!._aws.CloudWatchMetrics[0]!.Metrics).toEqual([{ Name: 'DroppedInvalid', Unit: 'Count' }]);
    expect(record).toMatchObject({ DetectionId: 'unknown', Severity: 'unknown', DroppedInvalid: 1 });
    expect(record).not.toHaveProperty('AlertsSent');
  });

  it('never lets a property override a dimension or a metric', () => {
    const record = metricsRecord({
      detectionId: 'root-activity',
      severity: 'critical',
      timestamp: T,
      values: { Aggregated: 1 },
      properties: { DetectionId: 'spoofed', Aggregated: 99, _aws: 'x' },
    });

    expect(record).toMatchObject({ DetectionId: 'root-activity', Aggregated: 1 });
    expect(record?._aws.Timestamp).toBe(T);
  });

  it('emits nothing when there is no value', () => {
    expect(metricsRecord({ detectionId: 'x', severity: 'low', timestamp: T, values: {} })).toBeUndefined();
  });

  it('skips values that are not finite numbers', () => {
    const record = metricsRecord({
      detectionId: 'x',
      severity: 'low',
      timestamp: T,
      values: { AlertsSent: 1, DetectionLatencyMs: Number.NaN },
    });

    expect(record!._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name)).toEqual(['AlertsSent']);
  });

  it('is one line of JSON', () => {
    const record = metricsRecord({ detectionId: 'x', severity: 'low', timestamp: T, values: { Ignored: 1 } });

    expect(JSON.stringify(record)).not.toContain('\n');
  });
});

describe('detectionLatencyMs', () => {
  it('is the time from the API call to the alert', () => {
    expect(detectionLatencyMs(T, Date.parse('2025-07-01T01:12:45Z'))).toBe(20_000);
  });

  it('is never negative when clocks disagree', () => {
    expect(detectionLatencyMs(T, T + 500)).toBe(0);
  });
});
