import {
  enableDisabledKey as action,
  type DisabledKeyState,
  enabledBefore,
} from '../../../../../handlers/core/remediation/actions/enable-disabled-key';
import type { HistoryEvent } from '../../../../../handlers/core/remediation/actions/support';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const KEY = `arn:aws:kms:eu-west-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const DISABLED_AT = '2025-06-12T09:15:00Z';
const target = () => targetOrFail(action.target(loadRemediationEvent('kms-disable-key'), CTX));

let n = 0;
const history = (eventName: string, eventTime: string, record: Record<string, unknown> = {}): HistoryEvent => {
  n += 1;
  return {
    eventId: `kms-${n}`,
    eventName,
    eventTime,
    cloudTrailEvent: JSON.stringify({ eventName, eventTime, eventSource: 'kms.amazonaws.com', ...record }),
  };
};
const state = (keyState: string, events: HistoryEvent[] = [], complete = true): DisabledKeyState => ({
  exists: true,
  keyArn: KEY,
  keyState,
  keyManager: 'CUSTOMER',
  history: { events, complete },
});
const inUse = [history('Decrypt', '2025-06-12T09:00:00Z')];

describe('enable-disabled-key', () => {
  it('targets the key ARN of the record, in its region', () => {
    expect(target()).toMatchObject({
      action: 'enable-disabled-key',
      accountId: MEMBER,
      resourceId: KEY,
      region: 'eu-west-1',
      details: { keyId: KEY, eventTime: DISABLED_AT },
    });
  });

  it('refuses a key of another account and other events', () => {
    const foreign = loadRemediationEvent('kms-disable-key');
    (foreign.detail as any).resources[0].ARN = KEY.replace(MEMBER, '111111111111');
    const other = loadRemediationEvent('kms-disable-key');
    other.detail.eventName = 'EnableKey';

    expect(action.target(foreign, CTX)).toEqual({ refuse: expect.stringContaining('111111111111') });
    expect(action.target(other, CTX)).toEqual({ refuse: expect.any(String) });
  });

  it('reads the key and its bounded CloudTrail history up to the event', () => {
    expect(action.stateReads(target())).toEqual([
      { service: 'kms', operation: 'DescribeKey', input: { KeyId: KEY }, region: 'eu-west-1' },
      {
        service: 'cloudtrail',
        operation: 'LookupEvents',
        input: {
          LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: KEY }],
          StartTime: '2025-03-14T09:15:00.000Z',
          EndTime: DISABLED_AT,
        },
        region: 'eu-west-1',
      },
    ]);
  });

  it.each([
    ['a successful Decrypt', inUse, true],
    ['EnableKey', [history('EnableKey', '2025-06-01T00:00:00Z')], true],
    [
      'CreateKey of an enabled key',
      [history('CreateKey', '2025-01-01T00:00:00Z', { responseElements: { keyMetadata: { enabled: true } } })],
      true,
    ],
    [
      'an earlier DisableKey',
      [
        history('DisableKey', '2025-06-10T00:00:00Z'),
        ...inUse.map((e) => ({ ...e, eventTime: '2025-06-01T00:00:00Z' })),
      ],
      false,
    ],
    [
      'a call refused as disabled',
      [history('Encrypt', '2025-06-12T09:10:00Z', { errorCode: 'DisabledException' })],
      false,
    ],
  ])('reads the state before the event from %s', (_case, events, expected) => {
    expect(enabledBefore(target(), { events, complete: true })).toMatchObject({ kind: 'known', value: expected });
  });

  it('acts: enables a key that was in use before', () => {
    const plan = actOrFail(action.plan(target(), state('Disabled', inUse)));
    expect(plan.calls).toEqual([
      { service: 'kms', operation: 'EnableKey', input: { KeyId: KEY }, region: 'eu-west-1' },
    ]);
    expect(plan.summary).toMatch(/^enable .* again \(it was Enabled: Decrypt /);
  });

  it('already fixed: an Enabled key (redelivery, or fixed by hand) is compliant', () => {
    expect(action.plan(target(), state('Enabled', inUse)).kind).toBe('already-compliant');
  });

  it.each([
    [
      'the key was already disabled before',
      state('Disabled', [history('DisableKey', '2025-06-01T00:00:00Z')]),
      /already Disabled/,
    ],
    ['nothing in history tells', state('Disabled', []), /unknown.*90-day/],
    [
      'history was cut short',
      state('Disabled', [history('ListGrants', '2025-06-12T09:00:00Z')], false),
      /unknown.*in part/,
    ],
    ['the key is pending deletion', state('PendingDeletion', inUse), /PendingDeletion/],
    ['an AWS managed key', { ...state('Disabled', inUse), keyManager: 'AWS' }, /AWS managed/],
    ['the key is gone', { exists: false, history: { events: [], complete: true } }, /does not exist/],
  ])('ambiguous or not ours, refuses: %s', (_case, s, reason) => {
    expect(action.plan(target(), s as DisabledKeyState)).toEqual({
      kind: 'refuse',
      target: target(),
      reason: expect.stringMatching(reason),
    });
  });

  it('verifies the key is Enabled after acting', () => {
    expect(action.verify(target(), state('Enabled')).fixed).toBe(true);
    expect(action.verify(target(), state('Disabled')).fixed).toBe(false);
  });

  it('undo disables the key again, from the stored snapshot alone', () => {
    const plan = actOrFail(action.plan(target(), state('Disabled', inUse)));
    expect(action.undo(stored(plan.snapshot))).toEqual([
      { service: 'kms', operation: 'DisableKey', input: { KeyId: KEY }, region: 'eu-west-1' },
    ]);
  });

  it('declares exactly the calls it makes', () => {
    expect(action.iamActions).toEqual(['kms:EnableKey']);
    expect(action.readIamActions).toEqual(['kms:DescribeKey', 'cloudtrail:LookupEvents']);
    expect(action.undoIamActions).toEqual(['kms:DisableKey']);
  });
});
