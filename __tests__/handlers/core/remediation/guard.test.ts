import {
  actionIdFor,
  breakerDecision,
  breakerWindow,
  checkEventGuards,
  checkTargetAccount,
  eventIdOf,
  killSwitchDecision,
} from '../../../../handlers/core/remediation/guard';
import { byRemediationRole, loadEvent, VIEW } from '../../../helpers/remediation';

const ctx = { accountIds: new Set(Object.keys(VIEW.accounts)), remediationRoleName: 'vigil-remediation' };
const stopLogging = () => loadEvent('cloudtrail-logging-stopped', 'positive-org-trail');

describe('checkEventGuards', () => {
  it('lets an event of an inventory account by someone else through', () => {
    expect(checkEventGuards(stopLogging(), ctx)).toEqual({ ok: true });
  });

  /** The fixture as the remediation role's own corrective call (restart-trail-logging's StartLogging). */
  const correctiveStartLogging = () => {
    const event = byRemediationRole(stopLogging()) as any;
    event.detail.eventName = 'StartLogging';
    return event;
  };

  it("refuses a corrective call of vigil's own remediation role (loop prevention)", () => {
    expect(checkEventGuards(correctiveStartLogging(), ctx)).toEqual({
      ok: false,
      reason: expect.stringMatching(/vigil's own remediation role vigil-remediation.*prevents loops/),
    });
  });

  it('acts on a call of the remediation role that is not one of its corrective calls (StopLogging)', () => {
    expect(checkEventGuards(byRemediationRole(stopLogging()), ctx)).toEqual({ ok: true });
  });

  it.each([
    [
      'only the assumed-role ARN (a session of another role)',
      { type: 'AssumedRole', arn: 'arn:aws:sts::110000000001:assumed-role/vigil-remediation/s' },
    ],
    [
      'a session issuer ARN with an IAM path',
      {
        type: 'AssumedRole',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            accountId: '110000000001',
            arn: 'arn:aws:iam::110000000001:role/vigil/vigil-remediation',
            userName: 'vigil-remediation',
          },
        },
      },
    ],
  ])('does not take a look-alike for the remediation role: %s', (_case, userIdentity) => {
    const event = correctiveStartLogging();
    event.detail.userIdentity = userIdentity;
    expect(checkEventGuards(event, ctx)).toEqual({ ok: true });
  });

  it('does not mistake a role whose name merely contains the remediation role name', () => {
    const event = stopLogging() as any;
    event.detail.userIdentity = {
      type: 'AssumedRole',
      arn: 'arn:aws:sts::110000000001:assumed-role/not-vigil-remediation-x/s',
      sessionContext: { sessionIssuer: { userName: 'not-vigil-remediation-x' } },
    };
    expect(checkEventGuards(event, ctx)).toEqual({ ok: true });
  });

  it.each([
    [
      'the EventBridge account',
      (e: any) => (e.account = '999999999999'),
      /account 999999999999 is not in the inventory/,
    ],
    [
      'the CloudTrail recipient account',
      (e: any) => (e.detail.recipientAccountId = '999999999999'),
      /recipientAccountId 999999999999/,
    ],
  ])('refuses an event whose %s is outside the inventory', (_case, edit, reason) => {
    const event = stopLogging() as any;
    edit(event);
    expect(checkEventGuards(event, ctx)).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });
});

describe('checkTargetAccount', () => {
  it('accepts the event account, refuses another or an unknown one', () => {
    expect(checkTargetAccount('110000000006', '110000000006', ctx)).toEqual({ ok: true });
    expect(checkTargetAccount('110000000006', '110000000007', ctx).ok).toBe(false);
    expect(checkTargetAccount('110000000006', '999999999999', ctx)).toEqual({
      ok: false,
      reason: expect.stringMatching(/not in the inventory/),
    });
  });
});

describe('idempotency key', () => {
  it('is the CloudTrail event id plus the action', () => {
    const event = stopLogging();
    expect(eventIdOf(event)).toBe('bf376ae8-b150-4793-a858-463c65d4086a');
    expect(actionIdFor(eventIdOf(event), 'restart-trail-logging')).toBe(
      'bf376ae8-b150-4793-a858-463c65d4086a:restart-trail-logging',
    );
  });

  it('stays the same when the event is forwarded again under another EventBridge id', () => {
    const again = { ...stopLogging(), id: 'another-envelope-id' };
    expect(eventIdOf(again)).toBe(eventIdOf(stopLogging()));
  });

  it('falls back to the EventBridge id when the record has no eventID', () => {
    const event = stopLogging() as any;
    delete event.detail.eventID;
    expect(eventIdOf(event)).toBe(event.id);
  });
});

describe('breakerDecision', () => {
  const limits = { perAccount: 3, orgWide: 10, windowMinutes: 60 };

  it('allows up to perAccount actions in an account', () => {
    expect(breakerDecision('110000000006', { account: 3, org: 3 }, limits)).toEqual({ tripped: false });
  });

  it('trips at perAccount + 1 in one account', () => {
    expect(breakerDecision('110000000006', { account: 4, org: 4 }, limits)).toEqual({
      tripped: true,
      scope: 'account',
      reason: expect.stringMatching(
        /3 remediations already ran in account 110000000006 .* \(limit 3\); waiting for approval/,
      ),
    });
  });

  it('trips at orgWide + 1 across accounts', () => {
    expect(breakerDecision('110000000006', { account: 1, org: 10 }, limits)).toEqual({ tripped: false });
    expect(breakerDecision('110000000006', { account: 1, org: 11 }, limits)).toMatchObject({
      tripped: true,
      scope: 'organization',
    });
  });
});

describe('breakerWindow', () => {
  it('puts instants of one window under one key and expires it after the next window', () => {
    const a = breakerWindow(Date.parse('2026-11-28T12:00:00Z'), 60);
    const b = breakerWindow(Date.parse('2026-11-28T12:59:59Z'), 60);
    const c = breakerWindow(Date.parse('2026-11-28T13:00:00Z'), 60);
    expect(a).toEqual({ start: '2026-11-28T12:00:00.000Z', expiresAt: Date.parse('2026-11-28T14:00:00Z') / 1000 });
    expect(b.start).toBe(a.start);
    expect(c.start).toBe('2026-11-28T13:00:00.000Z');
  });
});

describe('killSwitchDecision', () => {
  const p = '/vigil/remediation/kill-switch';

  it.each(['on', 'true', ' ON ', 'True'])("is engaged when the parameter is '%s'", (value) => {
    expect(killSwitchDecision(p, { kind: 'value', value })).toEqual({
      engaged: true,
      reason: expect.stringMatching(/nothing is executed/),
    });
  });

  it.each(['off', 'false', ''])("is not engaged when the parameter is '%s'", (value) => {
    expect(killSwitchDecision(p, { kind: 'value', value })).toEqual({ engaged: false });
  });

  it('fails safe: a missing or unreadable parameter counts as on', () => {
    expect(killSwitchDecision(p, { kind: 'missing' })).toEqual({
      engaged: true,
      reason: expect.stringMatching(/does not exist; failing safe/),
    });
    expect(killSwitchDecision(p, { kind: 'unreadable', error: 'AccessDeniedException: no' })).toEqual({
      engaged: true,
      reason: expect.stringMatching(/could not be read \(AccessDeniedException: no\); failing safe/),
    });
  });
});
