import type { Alert } from '../../../handlers/core/alert';
import {
  formatPagerDutyResolve,
  formatPagerDutyTrigger,
  PAGERDUTY_LIMITS,
  pagerDutyDedupKey,
  pagerDutySeverity,
} from '../../../handlers/core/format-pagerduty';
import type { Severity } from '../../../rules/types';
import { NOW, sampleAlert, TRAIL_ARN } from '../../helpers/alerts';

const KEY = 'R0UTINGKEY0000000000000000000001';

const withEvent = (changes: Partial<Alert['event']>): Alert => {
  const base = sampleAlert();
  return sampleAlert({ event: { ...base.event, ...changes } });
};

describe('pagerDutySeverity', () => {
  it.each<[Severity, string]>([
    ['critical', 'critical'],
    ['high', 'error'],
    ['medium', 'warning'],
    ['low', 'info'],
    ['info', 'info'],
  ])('maps %s to %s', (severity, expected) => {
    expect(pagerDutySeverity(severity)).toBe(expected);
  });
});

describe('formatPagerDutyTrigger', () => {
  it('builds an Events API v2 trigger with PD-CEF fields and links', () => {
    const alert = sampleAlert();
    const event = formatPagerDutyTrigger(alert, KEY, { now: NOW });

    expect(event).toMatchObject({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: `vigil/cloudtrail-logging-stopped/111111111111/us-east-1/${TRAIL_ARN}`,
      client: 'vigil',
      payload: {
        summary:
          '[CRITICAL] CloudTrail logging was stopped: StopLogging by assumed-role/Admin/alice in prod-payments (111111111111) us-east-1',
        source: TRAIL_ARN,
        severity: 'critical',
        timestamp: '2024-05-02T10:15:27Z',
        component: 'cloudtrail',
        group: 'prod-payments',
        class: 'cloudtrail-logging-stopped',
      },
      links: [
        { href: alert.links.console, text: 'Open in AWS console' },
        { href: alert.links.cloudTrailEvent, text: 'CloudTrail event history' },
        { href: alert.links.runbook, text: 'Runbook' },
      ],
    });
    expect(event.payload.custom_details).toMatchObject({
      detection_id: 'cloudtrail-logging-stopped',
      owner: 'team-payments',
      event_id: alert.event.eventId,
      alert_sent_at: NOW.toISOString(),
      actor_arn: 'arn:aws:sts::111111111111:assumed-role/Admin/alice',
      source_ip: '203.0.113.10',
      environment: 'prod',
      request_parameters: { name: TRAIL_ARN },
      resources: [TRAIL_ARN],
      remediation: 'auto: fixed - StartLogging on org-trail, verified IsLogging=true',
      compliance: expect.arrayContaining(['CIS 4.5', 'MITRE ATT&CK T1562.008']),
    });
  });

  it('maps high severity to error', () => {
    const base = sampleAlert();
    const alert = sampleAlert({ detection: { ...base.detection, severity: 'high' } });
    expect(formatPagerDutyTrigger(alert, KEY, { now: NOW }).payload.severity).toBe('error');
  });

  it('builds an ARN-shaped source when the resource is not an ARN', () => {
    const source = (resources: string[]) =>
      formatPagerDutyTrigger(withEvent({ resources }), KEY, { now: NOW }).payload.source;
    expect(source(['sg-0123456789abcdef0'])).toBe('aws:cloudtrail:us-east-1:111111111111:sg-0123456789abcdef0');
    expect(source([])).toBe('aws:cloudtrail:us-east-1:111111111111');
  });

  it('keeps the summary within 1024 characters and custom details bounded', () => {
    const huge = 'x'.repeat(50_000);
    const alert = withEvent({
      actor: { type: 'AssumedRole', arn: `arn:aws:sts::111111111111:assumed-role/${huge}` },
      userAgent: huge,
      requestParameters: { name: huge },
      resources: Array.from({ length: 300 }, (_, i) => `bucket-${i}-${huge}`),
    });
    const event = formatPagerDutyTrigger(alert, KEY, { now: NOW });
    expect(event.payload.summary.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.summary);
    expect(event.payload.summary.endsWith('…')).toBe(true);
    expect(event.dedup_key.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.dedupKey);
    // PagerDuty accepts at most 512 KB per event.
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(512 * 1024);
    expect(event.payload.custom_details.resources).toHaveLength(51);
  });
});

describe('pagerDutyDedupKey', () => {
  it('is the same for the same detection and resource, whoever acts and whenever', () => {
    const first = sampleAlert();
    const repeat = withEvent({
      eventId: 'another-event-id',
      eventTime: '2024-05-03T08:00:00Z',
      actor: { type: 'IAMUser', arn: 'arn:aws:iam::111111111111:user/bob' },
    });
    expect(pagerDutyDedupKey(repeat)).toBe(pagerDutyDedupKey(first));
  });

  it('ignores the order and repetition of resources', () => {
    const a = withEvent({ resources: ['sg-1', 'sg-2'] });
    const b = withEvent({ resources: ['sg-2', 'sg-1', 'sg-2'] });
    expect(pagerDutyDedupKey(a)).toBe(pagerDutyDedupKey(b));
  });

  it.each<[string, Partial<Alert['event']>]>([
    ['resource', { resources: ['arn:aws:cloudtrail:us-east-1:111111111111:trail/other'] }],
    ['account', { account: { id: '222222222222', name: 'dev' } }],
    ['region', { awsRegion: 'eu-west-1' }],
  ])('differs for another %s', (_case, changes) => {
    expect(pagerDutyDedupKey(withEvent(changes))).not.toBe(pagerDutyDedupKey(sampleAlert()));
  });

  it('differs for another detection on the same resource', () => {
    const base = sampleAlert();
    const other = sampleAlert({ detection: { ...base.detection, id: 'cloudtrail-trail-deleted' } });
    expect(pagerDutyDedupKey(other)).not.toBe(pagerDutyDedupKey(base));
  });

  it('keys an event without resources by detection, account and region', () => {
    expect(pagerDutyDedupKey(withEvent({ resources: [] }))).toBe(
      'vigil/cloudtrail-logging-stopped/111111111111/us-east-1',
    );
  });

  it('hashes resources that would make the key longer than 255 characters, stably', () => {
    const resources = Array.from({ length: 40 }, (_, i) => `arn:aws:s3:::bucket-number-${i}`);
    const key = pagerDutyDedupKey(withEvent({ resources }));
    expect(key).toMatch(/^vigil\/cloudtrail-logging-stopped\/111111111111\/us-east-1\/sha256:[0-9a-f]{32}$/);
    expect(pagerDutyDedupKey(withEvent({ resources: [...resources].reverse() }))).toBe(key);
    expect(pagerDutyDedupKey(withEvent({ resources: resources.slice(1) }))).not.toBe(key);
  });
});

describe('formatPagerDutyResolve', () => {
  it('resolves the alert the trigger opened, through the same routing key', () => {
    const alert = sampleAlert();
    const trigger = formatPagerDutyTrigger(alert, KEY, { now: NOW });
    expect(formatPagerDutyResolve(alert, KEY)).toEqual({
      routing_key: KEY,
      event_action: 'resolve',
      dedup_key: trigger.dedup_key,
    });
  });
});
