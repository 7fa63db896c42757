import {
  decisionUpdates,
  FINDING_STATUSES,
  findingId,
  findingUpdate,
  VERDICT_STATUS,
} from '../../../../handlers/core/findings/finding';
import { CATALOG } from '../../../../rules/catalog';
import { decisionOf, sampleFinding } from './sample';

const stopLogging = CATALOG.find((d) => d.id === 'cloudtrail-logging-stopped')!;
const subject = { detection: stopLogging, accountId: '110000000006', eventId: 'e-1' };

describe('the finding of an alert decision', () => {
  it('has a stable id: the same detection on the same event is the same finding', () => {
    expect(findingId('a', 'e-1')).toBe(findingId('a', 'e-1'));
    expect(findingId('a', 'e-1')).not.toBe(findingId('b', 'e-1'));
    expect(findingId('a', 'e-1')).not.toBe(findingId('a', 'e-2'));
    expect(findingId('a', 'e-1')).toMatch(/^vigil-[0-9a-f]{32}$/);
  });

  it('carries detection, severity, account view, owner, resources, CloudTrail facts, remediation and catalog refs', () => {
    const decision = decisionOf('stop-logging-prod');
    const f = sampleFinding('stop-logging-prod');

    expect(f).toMatchObject({
      id: findingId('cloudtrail-logging-stopped', decision.event.eventId),
      detection: { id: 'cloudtrail-logging-stopped', title: stopLogging.title, class: stopLogging.class },
      severity: 'critical',
      account: { id: '110000000006', name: 'payments-prod', ouPath: 'Workloads/Prod', environment: 'prod' },
      owner: 'payments-team',
      resources: decision.resources,
      event: {
        eventId: decision.event.eventId,
        eventName: 'StopLogging',
        eventSource: 'cloudtrail.amazonaws.com',
        eventTime: decision.event.eventTime,
        userIdentity: { type: decision.event.actor.type },
      },
      remediation: {
        mode: stopLogging.remediation!.defaultMode,
        action: stopLogging.remediation!.action,
        state: 'requested',
      },
      status: 'notified',
      createdAt: '2025-07-01T01:13:05.000Z',
      mitre: stopLogging.compliance.mitre,
    });
    expect(f.account.ouId).toMatch(/^ou-/);
    expect(f.compliance.length).toBeGreaterThan(0);
  });

  it('has no remediation when the detection has none', () => {
    expect(sampleFinding('describe-instances-denied').remediation).toEqual({ mode: 'none', state: 'none' });
  });
});

describe('lifecycle updates', () => {
  const at = '2025-07-01T01:20:00.000Z';

  it('follow a remediation decision in order: approved, remediated, verified', () => {
    const updates = decisionUpdates(
      subject,
      {
        outcome: 'fixed',
        actor: 'slack:U1',
        reason: 'restarted',
        verifiedAt: '2025-07-01T01:21:00.000Z',
        approvalRequestId: 'r1',
      },
      at,
    );
    expect(updates.map((u) => [u.status, u.actor, u.at])).toEqual([
      ['approved', 'slack:U1', at],
      ['remediated', 'slack:U1', at],
      ['verified', 'slack:U1', '2025-07-01T01:21:00.000Z'],
    ]);
    expect(updates.every((u) => u.findingId === findingId('cloudtrail-logging-stopped', 'e-1'))).toBe(true);
  });

  it('record an automatic fix without approval, a pending approval and a failure; nothing for notify-only', () => {
    const of = (outcome: string) =>
      decisionUpdates(subject, { outcome, actor: 'vigil', reason: 'r' }, at).map((u) => u.status);
    expect(of('fixed')).toEqual(['remediated']);
    expect(of('pending-approval')).toEqual(['approval-requested']);
    expect(of('failed')).toEqual(['remediation-failed']);
    expect([of('notify-only'), of('dry-run'), of('refused'), of('already-compliant'), of('duplicate')]).toEqual([
      [],
      [],
      [],
      [],
      [],
    ]);
  });

  it('take the catalog severity unless the alert raised it', () => {
    expect(findingUpdate(subject, 'undone', { at, actor: 'slack:U1' }).severity).toBe(stopLogging.severity);
    expect(findingUpdate({ ...subject, severity: 'critical' }, 'undone', { at, actor: 'x' }).severity).toBe('critical');
  });

  it('map every responder verdict to a status', () => {
    expect(Object.values(VERDICT_STATUS).every((s) => FINDING_STATUSES.includes(s))).toBe(true);
    expect(VERDICT_STATUS['false-positive']).toBe('false-positive');
  });
});
