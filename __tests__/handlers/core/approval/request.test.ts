import {
  approvalAuditRecord,
  createApprovalRequest,
  isExpired,
  parseApprovedWork,
  toRemediationAuditRecord,
} from '../../../../handlers/core/approval/request';
import { OPENED, REQUEST_ID, sampleRequest } from '../../../helpers/approvals';

describe('createApprovalRequest', () => {
  it('opens a pending request that expires after the configured minutes and carries the exact calls', () => {
    const request = sampleRequest();

    expect(request).toEqual({
      id: REQUEST_ID,
      detectionId: 'ec2-security-group-world-open-ingress',
      detectionTitle: 'Security group opened to the internet',
      eventId: 'a1b2c3d4-5678-90ab-cdef-111111111111',
      accountId: '111111111111',
      region: 'eu-west-1',
      plan: {
        action: 'revoke-world-open-ingress',
        resourceId: 'sg-0123456789abcdef0',
        summary: 'revoke sgr-0abc1234 (tcp 22 from 0.0.0.0/0) on sg-0123456789abcdef0',
        calls: [expect.objectContaining({ service: 'ec2', operation: 'RevokeSecurityGroupIngress' })],
      },
      requestedAt: '2024-05-02T10:20:00.000Z',
      expiresAt: '2024-05-02T11:20:00.000Z',
      timeout: { timeoutMinutes: 60, onTimeout: 'escalate' },
      status: 'pending',
    });
  });

  const input = () => {
    const base = sampleRequest();
    return {
      id: REQUEST_ID,
      detectionId: base.detectionId,
      eventId: base.eventId,
      plan: {
        kind: 'act' as const,
        target: {
          action: base.plan.action,
          accountId: base.accountId,
          region: base.region,
          resourceId: base.plan.resourceId,
          details: {},
        },
        summary: base.plan.summary,
        calls: base.plan.calls,
        snapshot: {},
      },
      timeout: { timeoutMinutes: 15, onTimeout: 'act' as const },
      now: OPENED,
    };
  };

  it('leaves out the title when none is given', () => {
    expect(createApprovalRequest(input())).not.toHaveProperty('detectionTitle');
  });

  it.each([
    ['the id is not URL-safe', { id: 'a b c d e f g h' }, /request id/],
    ['the id is too short', { id: 'abc' }, /request id/],
    ['the plan has no calls', { plan: { ...input().plan, calls: [] } }, /nothing to approve/],
    ['the timeout is zero', { timeout: { timeoutMinutes: 0, onTimeout: 'act' as const } }, /whole number of minutes/],
    ['the timeout is fractional', { timeout: { timeoutMinutes: 1.5, onTimeout: 'act' as const } }, /whole number/],
  ])('fails when %s', (_case, overrides, message) => {
    expect(() => createApprovalRequest({ ...input(), ...overrides })).toThrow(message);
  });
});

describe('isExpired', () => {
  it('is false before the expiry and true from the expiry instant on', () => {
    const request = sampleRequest();
    expect(isExpired(request, new Date(Date.parse(request.expiresAt) - 1))).toBe(false);
    expect(isExpired(request, new Date(request.expiresAt))).toBe(true);
  });
});

describe('approvalAuditRecord', () => {
  it('records who approved what, when and through which channel, with the approved calls', () => {
    const request = sampleRequest({ status: 'approved' });
    expect(
      approvalAuditRecord(request, {
        action: 'approved',
        actor: 'slack:U04SECLEAD1',
        channel: 'slack',
        at: new Date('2024-05-02T10:30:00Z'),
      }),
    ).toEqual({
      kind: 'approval',
      action: 'approved',
      requestId: REQUEST_ID,
      detectionId: request.detectionId,
      eventId: request.eventId,
      accountId: '111111111111',
      region: 'eu-west-1',
      remediation: 'revoke-world-open-ingress',
      actor: 'slack:U04SECLEAD1',
      channel: 'slack',
      at: '2024-05-02T10:30:00.000Z',
      planSummary: request.plan.summary,
      calls: request.plan.calls,
    });
  });

  it('leaves the calls out of refusals and keeps the reason', () => {
    const record = approvalAuditRecord(sampleRequest(), {
      action: 'refused',
      actor: 'slack:U099OUTSIDE',
      channel: 'slack',
      at: OPENED,
      reason: 'not a configured approver',
    });
    expect(record).not.toHaveProperty('calls');
    expect(record.reason).toBe('not a configured approver');
  });
});

describe('toRemediationAuditRecord', () => {
  const at = new Date('2024-05-02T10:30:00Z');

  it("files an approval under the action's id in the remediation audit log, as a decision without the event", () => {
    const request = sampleRequest({ status: 'approved' });
    const record = toRemediationAuditRecord(
      approvalAuditRecord(request, { action: 'approved', actor: 'email:a@example.com', channel: 'link', at }),
    );
    expect(record).toEqual({
      actionId: `${request.eventId}:revoke-world-open-ingress`,
      phase: 'decision',
      at: '2024-05-02T10:30:00.000Z',
      actor: 'email:a@example.com',
      eventId: request.eventId,
      detectionId: request.detectionId,
      action: 'revoke-world-open-ingress',
      accountId: '111111111111',
      region: 'eu-west-1',
      mode: 'approve',
      outcome: 'in-progress',
      reason: 'approval approved via link',
      summary: request.plan.summary,
      calls: request.plan.calls,
      approvalRequestId: REQUEST_ID,
    });
    expect(record).not.toHaveProperty('event');
  });

  it.each([
    ['rejected', 'refused'],
    ['refused', 'refused'],
    ['expired-escalated', 'refused'],
    ['expired-acted', 'in-progress'],
    ['undo-requested', 'in-progress'],
    ['reverted', 'pending-approval'],
  ] as const)('records %s as outcome %s, with the reason', (action, outcome) => {
    const record = toRemediationAuditRecord(
      approvalAuditRecord(sampleRequest(), {
        action,
        actor: 'timeout-policy',
        channel: 'timeout-policy',
        at,
        reason: 'why',
      }),
    );
    expect(record).toMatchObject({ outcome, reason: `approval ${action} via timeout-policy: why` });
  });
});

describe('parseApprovedWork', () => {
  it('reads a hand-over message', () => {
    const work = { kind: 'execute', requestId: REQUEST_ID, approver: 'slack:U04SECLEAD1', responseUrl: 'https://x' };
    expect(parseApprovedWork(JSON.stringify(work))).toEqual(work);
    expect(parseApprovedWork(JSON.stringify({ ...work, responseUrl: undefined }))).toEqual({
      kind: 'execute',
      requestId: REQUEST_ID,
      approver: 'slack:U04SECLEAD1',
    });
  });

  it.each([
    ['not JSON', '{'],
    ['null', 'null'],
    ['an unknown kind', JSON.stringify({ kind: 'delete', requestId: REQUEST_ID, approver: 'x' })],
    ['a bad request id', JSON.stringify({ kind: 'undo', requestId: 'nonce#1', approver: 'x' })],
    ['no approver', JSON.stringify({ kind: 'undo', requestId: REQUEST_ID, approver: '' })],
    [
      'a non-string response_url',
      JSON.stringify({ kind: 'undo', requestId: REQUEST_ID, approver: 'x', responseUrl: 1 }),
    ],
  ])('fails when the body is %s', (_case, body) => {
    expect(parseApprovedWork(body)).toBeUndefined();
  });
});
