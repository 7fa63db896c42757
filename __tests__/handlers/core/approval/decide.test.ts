import {
  type Decider,
  decideApproval,
  deciderId,
  isApprover,
  isConfiguredApprover,
} from '../../../../handlers/core/approval/decide';
import { AFTER_EXPIRY, APPROVER, APPROVERS, LATER, OUTSIDER, sampleRequest } from '../../../helpers/approvals';

const slack = (userId: string): Decider => ({ channel: 'slack', userId });
const link = (email: string): Decider => ({ channel: 'link', email });

describe('decideApproval', () => {
  it('accepts an approval by a configured Slack approver while the request is pending', () => {
    expect(
      decideApproval({
        request: sampleRequest(),
        kind: 'approve',
        decider: slack(APPROVER),
        approvers: APPROVERS,
        now: LATER,
      }),
    ).toEqual({ accepted: true, from: 'pending', to: 'approved', decidedBy: `slack:${APPROVER}` });
  });

  it('accepts a rejection through a link issued to a configured email, whatever its case', () => {
    expect(
      decideApproval({
        request: sampleRequest(),
        kind: 'reject',
        decider: link('Security-Oncall@Example.com'),
        approvers: APPROVERS,
        now: LATER,
      }),
    ).toEqual({ accepted: true, from: 'pending', to: 'rejected', decidedBy: 'email:security-oncall@example.com' });
  });

  it.each([
    ['a Slack user who is not an approver', slack(OUTSIDER)],
    ['an email that is not an approver', link('someone@example.com')],
    ['an approver email with a different domain', link('security-oncall@example.org')],
    ['an empty Slack id', slack('')],
  ])('fails when the decider is %s', (_case, decider) => {
    const verdict = decideApproval({
      request: sampleRequest(),
      kind: 'approve',
      decider,
      approvers: APPROVERS,
      now: LATER,
    });
    expect(verdict).toMatchObject({ accepted: false, refusal: 'not-approver' });
  });

  it('refuses a non-approver before revealing the state of the request', () => {
    const verdict = decideApproval({
      request: sampleRequest({ status: 'approved', decidedBy: `slack:${APPROVER}` }),
      kind: 'approve',
      decider: slack(OUTSIDER),
      approvers: APPROVERS,
      now: AFTER_EXPIRY,
    });
    expect(verdict).toMatchObject({ accepted: false, refusal: 'not-approver' });
  });

  it('fails when the request has expired (at the expiry instant and after)', () => {
    const request = sampleRequest();
    for (const now of [new Date(request.expiresAt), AFTER_EXPIRY]) {
      expect(decideApproval({ request, kind: 'approve', decider: slack(APPROVER), approvers: APPROVERS, now })).toEqual(
        {
          accepted: false,
          refusal: 'expired',
          reason: `request ${request.id} expired at ${request.expiresAt}`,
        },
      );
    }
  });

  it.each(['approved', 'rejected', 'expired', 'executed', 'undone'] as const)(
    'fails when the request is already %s (a replay or a second click)',
    (status) => {
      const verdict = decideApproval({
        request: sampleRequest({ status, decidedBy: 'slack:U04SECONCALL' }),
        kind: 'approve',
        decider: slack(APPROVER),
        approvers: APPROVERS,
        now: LATER,
      });
      expect(verdict).toEqual({
        accepted: false,
        refusal: 'already-decided',
        reason: expect.stringContaining(`already ${status} by slack:U04SECONCALL`),
      });
    },
  );

  it('says "already expired" without a decider for a request the sweeper expired', () => {
    const verdict = decideApproval({
      request: sampleRequest({ status: 'expired' }),
      kind: 'reject',
      decider: slack(APPROVER),
      approvers: APPROVERS,
      now: LATER,
    });
    expect(verdict).toMatchObject({
      refusal: 'already-decided',
      reason: `request ${sampleRequest().id} is already expired`,
    });
  });

  it('accepts an undo of an executed request, also after the approval window', () => {
    const verdict = decideApproval({
      request: sampleRequest({ status: 'executed' }),
      kind: 'undo',
      decider: slack(APPROVER),
      approvers: APPROVERS,
      now: AFTER_EXPIRY,
    });
    expect(verdict).toEqual({ accepted: true, from: 'executed', to: 'undone', decidedBy: `slack:${APPROVER}` });
  });

  it.each(['pending', 'approved', 'undone'] as const)('fails when asked to undo a request that is %s', (status) => {
    const verdict = decideApproval({
      request: sampleRequest({ status }),
      kind: 'undo',
      decider: slack(APPROVER),
      approvers: APPROVERS,
      now: LATER,
    });
    expect(verdict).toMatchObject({ accepted: false, refusal: 'not-undoable' });
  });

  it('fails when a non-approver asks for an undo', () => {
    const verdict = decideApproval({
      request: sampleRequest({ status: 'executed' }),
      kind: 'undo',
      decider: slack(OUTSIDER),
      approvers: APPROVERS,
      now: LATER,
    });
    expect(verdict).toMatchObject({ accepted: false, refusal: 'not-approver' });
  });
});

describe('deciderId / isApprover', () => {
  it('names Slack users by id and link approvers by lower-cased email', () => {
    expect(deciderId(slack('U04SECLEAD1'))).toBe('slack:U04SECLEAD1');
    expect(deciderId(link('A@Example.COM'))).toBe('email:a@example.com');
  });

  it('does not treat a Slack id as an email or the reverse', () => {
    expect(isApprover(link(APPROVER), APPROVERS)).toBe(false);
    expect(isApprover(slack('security-oncall@example.com'), APPROVERS)).toBe(false);
    expect(isApprover(link(''), { slackUserIds: [], emails: [''] })).toBe(false);
  });
});

describe('isConfiguredApprover', () => {
  const approvers = { slackUserIds: ['U04SECLEAD1'], emails: ['Security-Oncall@example.com'] };

  it.each([
    ['slack:U04SECLEAD1', true],
    ['email:security-oncall@example.com', true],
    ['slack:U0ATTACKER', false],
    ['email:intruder@example.com', false],
    ['timeout-policy', false],
    ['U04SECLEAD1', false],
    ['slack:', false],
  ])('%s → %s', (id, expected) => {
    expect(isConfiguredApprover(id, approvers)).toBe(expected);
  });
});
