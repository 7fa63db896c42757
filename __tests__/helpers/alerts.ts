/**
 * A realistic alert for formatter and notifier tests: a `cloudtrail-logging-stopped` detection fired
 * by a StopLogging call (fields as in a CloudTrail record, ids scrubbed). The detection fields are a
 * pinned copy rather than read from the catalog, so catalog edits do not break formatting tests.
 */
import type { Alert, AlertDetection } from '../../handlers/core/alert';
import { cloudTrailEventUrl } from '../../handlers/core/alert';

const detection: AlertDetection = {
  id: 'cloudtrail-logging-stopped',
  title: 'CloudTrail logging was stopped',
  severity: 'critical',
  rationale: 'A stopped trail hides every later API call in that account from detection and from audit.',
  compliance: {
    cis: ['4.5', '3.5 (v1.2)'],
    securityHub: ['CloudWatch.5'],
    pciDss: ['10.5.2'],
    soc2: ['CC7.2'],
    mitre: ['T1562.008'],
  },
};

/** Fixed "now" of the tests: 3 minutes after the event. */
export const NOW = new Date('2024-05-02T10:18:27.000Z');

export const TRAIL_ARN = 'arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail';

/** A fresh alert; `overrides` replace top-level parts (spread them yourself for nested changes). */
export function sampleAlert(overrides: Partial<Alert> = {}): Alert {
  const eventId = '3f2c7a1e-9b4d-4c52-8f0e-5d6a1b2c3d4e';
  return {
    detection,
    event: {
      eventId,
      eventName: 'StopLogging',
      eventSource: 'cloudtrail.amazonaws.com',
      eventTime: '2024-05-02T10:15:27Z',
      awsRegion: 'us-east-1',
      account: { id: '111111111111', name: 'prod-payments', ouName: 'Workloads/Prod', environment: 'prod' },
      actor: { type: 'AssumedRole', arn: 'arn:aws:sts::111111111111:assumed-role/Admin/alice' },
      sourceIPAddress: '203.0.113.10',
      userAgent: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2023 command/cloudtrail.stop-logging',
      requestParameters: { name: TRAIL_ARN },
      resources: [TRAIL_ARN],
    },
    owner: 'team-payments',
    routing: {
      slackChannel: '#sec-payments',
      slackWebhookRef: 'secretsmanager:vigil/slack/sec-payments',
      pagerdutyRoutingKeyRef: 'ssm:/vigil/pagerduty/payments',
      emailTopicArn: 'arn:aws:sns:eu-west-1:999999999999:vigil-alerts-payments',
    },
    remediation: { mode: 'auto', state: 'fixed', detail: 'StartLogging on org-trail, verified IsLogging=true' },
    links: {
      console:
        'https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/trails/' +
        encodeURIComponent(TRAIL_ARN),
      cloudTrailEvent: cloudTrailEventUrl('us-east-1', eventId),
      runbook: 'https://wiki.example.com/security/runbooks/cloudtrail-logging-stopped',
    },
    ...overrides,
  };
}
