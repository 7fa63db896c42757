import {
  cancelKeyDeletion as action,
  type KeyDeletionState,
  stateBeforeDeletion,
} from '../../../../../handlers/core/remediation/actions/cancel-key-deletion';
import type { HistoryEvent } from '../../../../../handlers/core/remediation/actions/support';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const KEY = `arn:aws:kms:eu-west-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const SCHEDULED = '2025-06-11T13:58:30Z';
const target = () => targetOrFail(action.target(loadRemediationEvent('kms-schedule-key-deletion'), CTX));

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
const pending = (events: HistoryEvent[] = []): KeyDeletionState => ({
  exists: true,
  keyArn: KEY,
  keyState: 'PendingDeletion',
  keyManager: 'CUSTOMER',
  history: { events, complete: true },
});

describe('cancel-key-deletion', () => {
  it('targets the key ARN from the response, in its region, with the waiting period', () => {
    expect(target()).toMatchObject({
      resourceId: KEY,
      region: 'eu-west-1',
      details: { keyId: KEY, pendingWindowInDays: 7, eventTime: SCHEDULED },
    });
  });

  it('refuses a key of another account and other events', () => {
    const foreign = loadRemediationEvent('kms-schedule-key-deletion');
    (foreign.detail.responseElements as any).keyId = KEY.replace(MEMBER, '111111111111');
    const other = loadRemediationEvent('kms-schedule-key-deletion');
    other.detail.eventName = 'DisableKey';

    expect(action.target(foreign, CTX)).toEqual({ refuse: expect.stringMatching(/another|belongs/) });
    expect(action.target(other, CTX)).toEqual({ refuse: expect.any(String) });
  });

  it('reads the key and its CloudTrail history up to the event', () => {
    expect(action.stateReads(target())).toEqual([
      { service: 'kms', operation: 'DescribeKey', input: { KeyId: KEY }, region: 'eu-west-1' },
      {
        service: 'cloudtrail',
        operation: 'LookupEvents',
        input: {
          LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: KEY }],
          StartTime: '2025-03-13T13:58:30.000Z',
          EndTime: SCHEDULED,
        },
        region: 'eu-west-1',
      },
    ]);
  });

  describe('state before the deletion was scheduled', () => {
    it.each([
      ['a successful Decrypt', [history('Decrypt', '2025-06-11T13:50:00Z')], 'Enabled'],
      ['EnableKey', [history('EnableKey', '2025-06-01T00:00:00Z')], 'Enabled'],
      [
        'DisableKey',
        [history('DisableKey', '2025-06-11T13:57:00Z'), history('Decrypt', '2025-06-11T13:00:00Z')],
        'Disabled',
      ],
      [
        'a call refused as disabled',
        [history('Encrypt', '2025-06-11T13:57:00Z', { errorCode: 'DisabledException' })],
        'Disabled',
      ],
      [
        'CreateKey of an enabled key',
        [
          history('CreateKey', '2025-05-01T00:00:00Z', {
            responseElements: { keyMetadata: { enabled: true, keyState: 'Enabled' } },
          }),
        ],
        'Enabled',
      ],
      [
        'only reads of the metadata',
        [
          history('DescribeKey', '2025-06-11T13:00:00Z'),
          history('Decrypt', '2025-06-11T13:10:00Z', { errorCode: 'AccessDeniedException' }),
        ],
        'unknown',
      ],
      ['events after the scheduling only', [history('EnableKey', '2025-06-11T14:00:00Z')], 'unknown'],
    ])('reads %s', (_case, events, expected) => {
      expect(stateBeforeDeletion(target(), { events, complete: true }).state).toBe(expected);
    });
  });

  it('cancels the deletion and enables the key again when it was Enabled', () => {
    const plan = actOrFail(action.plan(target(), pending([history('GenerateDataKey', '2025-06-11T13:40:00Z')])));

    expect(plan.calls).toEqual([
      { service: 'kms', operation: 'CancelKeyDeletion', input: { KeyId: KEY }, region: 'eu-west-1' },
      { service: 'kms', operation: 'EnableKey', input: { KeyId: KEY }, region: 'eu-west-1' },
    ]);
    expect(plan.snapshot).toMatchObject({
      keyArn: KEY,
      stateBeforeDeletion: 'Enabled',
      enabled: true,
      pendingWindowInDays: 7,
    });
  });

  it('leaves a key that was Disabled disabled', () => {
    const plan = actOrFail(action.plan(target(), pending([history('DisableKey', '2025-06-10T00:00:00Z')])));

    expect(plan.calls.map((c) => c.operation)).toEqual(['CancelKeyDeletion']);
    expect(plan.summary).toMatch(/leave it Disabled as it was/);
  });

  it('does not guess: an unknown previous state leaves the key disabled and says so', () => {
    const plan = actOrFail(action.plan(target(), pending()));

    expect(plan.calls.map((c) => c.operation)).toEqual(['CancelKeyDeletion']);
    expect(plan.summary).toMatch(/unknown .* enable it by hand/);
    expect(plan.snapshot['stateBeforeDeletion']).toBe('unknown');
  });

  it('is already compliant when the key is no longer pending deletion (a second run writes nothing)', () => {
    expect(action.plan(target(), { ...pending(), keyState: 'Enabled' })).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { ...pending(), keyState: 'Disabled' })).toMatchObject({ kind: 'already-compliant' });
  });

  it('cancels a primary key waiting for its replicas (PendingReplicaDeletion)', () => {
    expect(action.plan(target(), { ...pending(), keyState: 'PendingReplicaDeletion' }).kind).toBe('act');
  });

  it('refuses a missing key and AWS managed keys', () => {
    expect(action.plan(target(), { exists: false, history: { events: [], complete: true } })).toMatchObject({
      kind: 'refuse',
    });
    expect(action.plan(target(), { ...pending(), keyManager: 'AWS' })).toMatchObject({ kind: 'refuse' });
  });

  it('verifies the key is out of deletion, and enabled when it was before', () => {
    const used = [history('Decrypt', '2025-06-11T13:40:00Z')];

    expect(action.verify(target(), { ...pending(used), keyState: 'Enabled' }).fixed).toBe(true);
    expect(action.verify(target(), { ...pending(used), keyState: 'Disabled' }).fixed).toBe(false);
    expect(action.verify(target(), { ...pending(), keyState: 'Disabled' }).fixed).toBe(true);
    expect(action.verify(target(), pending()).fixed).toBe(false);
  });

  it('undoes by scheduling the deletion again with the original waiting period', () => {
    const plan = actOrFail(action.plan(target(), pending()));

    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'kms',
        operation: 'ScheduleKeyDeletion',
        input: { KeyId: KEY, PendingWindowInDays: 7 },
        region: 'eu-west-1',
      },
    ]);
  });
});
