import {
  cloudTrailEventUrl,
  complianceLabels,
  describeAccount,
  describeActor,
  describeRemediation,
  minutesSinceEvent,
  serviceOf,
  truncateText,
} from '../../../handlers/core/alert';
import { NOW, sampleAlert } from '../../helpers/alerts';

/** True when `s` contains half of a surrogate pair (an invalid character once encoded). */
const hasLoneSurrogate = (s: string) =>
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('cloudTrailEventUrl', () => {
  it('opens the event in CloudTrail event history of its region', () => {
    expect(cloudTrailEventUrl('eu-west-1', 'abc-123')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/abc-123',
    );
  });

  it('encodes an event id that would break the URL', () => {
    expect(cloudTrailEventUrl('us-east-1', 'a/b#c')).toMatch(/#\/events\/a%2Fb%23c$/);
  });
});

describe('truncateText', () => {
  it('keeps text that fits', () => {
    expect(truncateText('hello', 5)).toBe('hello');
  });

  it('cuts to the limit and marks the cut', () => {
    const out = truncateText('x'.repeat(5000), 3000);
    expect(out).toHaveLength(3000);
    expect(out.endsWith('…')).toBe(true);
  });

  it('never splits an emoji in two', () => {
    for (let max = 2; max < 20; max++) {
      const out = truncateText('😀'.repeat(20), max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(hasLoneSurrogate(out)).toBe(false);
    }
  });
});

describe('alert labels', () => {
  const alert = sampleAlert();

  it('shortens the actor ARN to what follows the account', () => {
    expect(describeActor(alert.event.actor)).toBe('assumed-role/Admin/alice');
    expect(describeActor({ type: 'Root', arn: 'arn:aws:iam::111111111111:root' })).toBe('root');
    expect(describeActor({ type: 'AWSService' })).toBe('AWSService');
  });

  it('names the account, falling back to its id', () => {
    expect(describeAccount(alert.event.account)).toBe('prod-payments (111111111111)');
    expect(describeAccount({ id: '222222222222' })).toBe('222222222222');
  });

  it('lists compliance references of every framework', () => {
    expect(complianceLabels(alert.detection)).toEqual(
      expect.arrayContaining([
        'CIS 4.5',
        'Security Hub CloudWatch.5',
        'PCI DSS 10.5.2',
        'SOC 2 CC7.2',
        'MITRE ATT&CK T1562.008',
      ]),
    );
  });

  it('describes remediation and service', () => {
    expect(describeRemediation({ mode: 'approve', state: 'pending-approval' })).toBe('approve: pending-approval');
    expect(describeRemediation(alert.remediation)).toMatch(/^auto: fixed - StartLogging/);
    expect(serviceOf('cloudtrail.amazonaws.com')).toBe('cloudtrail');
  });

  it('counts whole minutes from the API call to now', () => {
    expect(minutesSinceEvent(alert, NOW)).toBe(3);
    expect(minutesSinceEvent(sampleAlert({ event: { ...alert.event, eventTime: 'garbage' } }), NOW)).toBeUndefined();
  });
});
