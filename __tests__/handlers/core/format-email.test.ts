import { EMAIL_LIMITS, emailSubject, formatEmail } from '../../../handlers/core/format-email';
import { NOW, sampleAlert, TRAIL_ARN } from '../../helpers/alerts';

describe('formatEmail', () => {
  it('has a subject with severity, title, account and region', () => {
    expect(formatEmail(sampleAlert(), { now: NOW }).subject).toBe(
      '[vigil][CRITICAL] CloudTrail logging was stopped - prod-payments (111111111111) us-east-1',
    );
  });

  it('tells what happened, who, where, why, owner, remediation and links in the body', () => {
    const alert = sampleAlert();
    const { body } = formatEmail(alert, { now: NOW });
    expect(body).toContain('StopLogging (cloudtrail) by assumed-role/Admin/alice');
    expect(body).toContain('in prod-payments (111111111111), us-east-1, at 2024-05-02T10:15:27Z');
    expect(body).toContain(`  ${alert.detection.rationale}`);
    expect(body).toContain('  Source IP:   203.0.113.10');
    expect(body).toContain('  OU:          Workloads/Prod');
    expect(body).toContain(`  name: ${TRAIL_ARN}`);
    expect(body).toContain(`  - ${TRAIL_ARN}`);
    expect(body).toContain('Owner:        team-payments');
    expect(body).toContain('Remediation:  auto: fixed - StartLogging on org-trail, verified IsLogging=true');
    expect(body).toContain(`  CloudTrail event: ${alert.links.cloudTrailEvent}`);
    expect(body).toContain(`  Console:          ${alert.links.console}`);
    expect(body).toContain('Detection:   cloudtrail-logging-stopped');
    expect(body).toMatch(/Compliance: {2}CIS 4\.5, .*MITRE ATT&CK T1562\.008/);
    expect(body).toContain('Alert sent:  2024-05-02T10:18:27.000Z (3 min after the call)');
  });

  it('keeps event text on its own line, so it cannot fake part of the alert', () => {
    const base = sampleAlert();
    const alert = sampleAlert({
      event: { ...base.event, userAgent: 'curl\r\n  Approve:          https://evil.example/approve\u2028x' },
    });
    const { body } = formatEmail(alert, { now: NOW });
    expect(body).not.toMatch(/^\s*Approve:/m);
    expect(body).toContain('  User agent:  curl   Approve:          https://evil.example/approve x\n');
  });

  it('caps a huge value and a long resource list', () => {
    const base = sampleAlert();
    const huge = 'y'.repeat(100_000);
    const alert = sampleAlert({
      event: { ...base.event, userAgent: huge, resources: Array.from({ length: 80 }, (_, i) => `r-${i}`) },
    });
    const { body } = formatEmail(alert, { now: NOW });
    expect(body).toContain(`  User agent:  ${'y'.repeat(EMAIL_LIMITS.value - 1)}…\n`);
    expect(body).toContain('  - r-49\n  ... and 30 more');
    expect(body).not.toContain('r-50');
  });
});

describe('emailSubject', () => {
  it('keeps to SNS rules: under 100 characters, ASCII, one line', () => {
    const subject = emailSubject(`Zoë's «trail» 🚨 stopped\nagain ${'x'.repeat(300)}`);
    expect(subject.length).toBeLessThanOrEqual(EMAIL_LIMITS.subject);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.startsWith("Zoe's ?trail? ? stopped again xxx")).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('leaves a short ASCII subject alone', () => {
    expect(emailSubject('[vigil][LOW] Root user activity')).toBe('[vigil][LOW] Root user activity');
  });
});
