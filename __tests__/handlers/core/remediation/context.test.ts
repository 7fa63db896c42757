import { detectionsFor } from '../../../../handlers/core/remediation/context';
import type { RemediationEvent } from '../../../../handlers/core/remediation/types';
import { loadTriageEvent } from '../../../fixtures/triage';
import { byRemediationRole, contextWith, inAccount, loadEvent } from '../../../helpers/remediation';

/**
 * Remediation confirms an event with triage's own decision core, so plan, remediate and triage can never
 * disagree about whether an event is a finding (one engine: handlers/core/triage.ts).
 */
describe('confirming a finding with the triage decision', () => {
  const ctx = contextWith();
  const stop = () => loadEvent('cloudtrail-logging-stopped', 'positive-org-trail');
  const detection = ctx.detections.get('cloudtrail-logging-stopped')!;

  it('confirms a finding triage alerts on, and plan lists its detection', () => {
    expect(ctx.confirms(detection, stop())).toBe(true);
    expect(detectionsFor(stop(), ctx).map((d) => d.id)).toEqual(['cloudtrail-logging-stopped']);
  });

  it.each([
    ['an event of an account that is not onboarded', () => inAccount(stop(), '999999999999')],
    [
      'an event triage cannot read in full',
      () => {
        const e = stop() as any;
        e.detail.userIdentity = null;
        return e;
      },
    ],
  ])('never confirms %s', (_case, event) => {
    expect(ctx.confirms(detection, event())).toBe(false);
  });

  it("lists no detection for vigil's own corrective call, and only the more precise of two overlapping ones", () => {
    const revoke = loadTriageEvent('revoke-ingress-by-remediation') as unknown as RemediationEvent;
    expect(ctx.confirms(ctx.detections.get('ec2-security-group-changed')!, revoke)).toBe(false);
    expect(detectionsFor(revoke, ctx)).toEqual([]);
    // Any other call of that role is triaged like anyone's: its StopLogging alerts, and as misuse of the role.
    expect(detectionsFor(byRemediationRole(stop()), ctx).map((d) => d.id)).toEqual([
      'cloudtrail-logging-stopped',
      'vigil-remediation-role-misused',
    ]);
    const attach = loadEvent('iam-admin-policy-attached', 'positive-role-administrator-access');
    expect(detectionsFor(attach, ctx).map((d) => d.id)).toEqual(['iam-admin-policy-attached']);
  });
});

describe('the remediation context', () => {
  it("gives actions the organization triage's predicates decide with", () => {
    const ctx = contextWith();

    expect(ctx.remediationContext.organization).toEqual({
      organizationId: ctx.triage.predicateContext.organizationId,
      organizationAccountIds: ctx.triage.predicateContext.organizationAccountIds,
    });
    expect(ctx.remediationContext.organization?.organizationAccountIds.size).toBeGreaterThan(0);
  });
});
