import {
  enableGuardDutyDetector as action,
  enabledBefore,
  type SuspendedDetectorState,
} from '../../../../../handlers/core/remediation/actions/enable-guardduty-detector';
import type { HistoryEvent } from '../../../../../handlers/core/remediation/actions/support';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const DETECTOR = '82c919daa523bc69d203c24868c06849';
const OTHER_DETECTOR = '5ab3c91f0de7a6c4b8e2f1d0c9b8a7e6';
const SUSPENDED_AT = '2025-07-14T13:42:02Z';
const target = () => targetOrFail(action.target(loadRemediationEvent('guardduty-update-detector'), CTX));

let n = 0;
const history = (eventName: string, eventTime: string, record: Record<string, unknown>): HistoryEvent => {
  n += 1;
  return {
    eventId: `gd-${n}`,
    eventName,
    eventTime,
    cloudTrailEvent: JSON.stringify({ eventName, eventTime, eventSource: 'guardduty.amazonaws.com', ...record }),
  };
};
const update = (eventTime: string, request: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  history('UpdateDetector', eventTime, { requestParameters: { detectorId: DETECTOR, ...request }, ...extra });
const created = (enable: boolean, detectorId = DETECTOR) =>
  history('CreateDetector', '2025-01-10T10:00:00Z', {
    requestParameters: { enable, findingPublishingFrequency: 'SIX_HOURS' },
    responseElements: { detectorId },
  });
const state = (status: string, events: HistoryEvent[] = [], complete = true): SuspendedDetectorState => ({
  exists: true,
  status,
  history: { events, complete },
});
const wasEnabled = [update('2025-06-30T08:00:00Z', { enable: true })];

describe('enable-guardduty-detector', () => {
  it('targets the detector of the record, in its region', () => {
    expect(target()).toMatchObject({
      action: 'enable-guardduty-detector',
      accountId: MEMBER,
      resourceId: DETECTOR,
      region: 'eu-west-1',
      details: { detectorId: DETECTOR, eventTime: SUSPENDED_AT },
    });
  });

  it('refuses a call that only turned protection plans off, one without a valid detector id, and other events', () => {
    const features = loadRemediationEvent('guardduty-update-detector');
    (features.detail as any).requestParameters = {
      detectorId: DETECTOR,
      features: [{ name: 'S3_DATA_EVENTS', status: 'DISABLED' }],
    };
    const badId = loadRemediationEvent('guardduty-update-detector');
    (badId.detail as any).requestParameters.detectorId = '../x';
    const other = loadRemediationEvent('guardduty-update-detector');
    other.detail.eventName = 'DeleteDetector';

    expect(action.target(features, CTX)).toEqual({ refuse: expect.stringMatching(/protection plans off.*responder/) });
    expect(action.target(badId, CTX)).toEqual({ refuse: expect.stringContaining('no valid detector id') });
    expect(action.target(other, CTX)).toEqual({ refuse: expect.any(String) });
  });

  it('reads the detector and the bounded UpdateDetector and CreateDetector history of the region, up to the event', () => {
    const lookup = (eventName: string) => ({
      service: 'cloudtrail',
      operation: 'LookupEvents',
      input: {
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }],
        StartTime: '2025-04-15T13:42:02.000Z',
        EndTime: SUSPENDED_AT,
      },
      region: 'eu-west-1',
    });
    expect(action.stateReads(target())).toEqual([
      { service: 'guardduty', operation: 'GetDetector', input: { DetectorId: DETECTOR }, region: 'eu-west-1' },
      lookup('UpdateDetector'),
      lookup('CreateDetector'),
    ]);
  });

  it.each([
    ['an UpdateDetector that enabled it', wasEnabled, true],
    ['the CreateDetector that created it enabled', [created(true)], true],
    ['the CreateDetector that created it suspended', [created(false)], false],
    [
      'an earlier suspension, newer than the enabling',
      [update('2025-07-01T00:00:00Z', { enable: false }), ...wasEnabled],
      false,
    ],
    [
      'the enabling, past newer calls that only changed the frequency, features, failed, or named another detector',
      [
        update('2025-07-10T00:00:00Z', { findingPublishingFrequency: 'SIX_HOURS' }),
        update('2025-07-11T00:00:00Z', { features: [{ name: 'EKS_AUDIT_LOGS', status: 'ENABLED' }] }),
        update('2025-07-12T00:00:00Z', { enable: false }, { errorCode: 'AccessDeniedException' }),
        history('UpdateDetector', '2025-07-13T00:00:00Z', {
          requestParameters: { detectorId: OTHER_DETECTOR, enable: false },
        }),
        ...wasEnabled,
      ],
      true,
    ],
  ])('reads the state before the event from %s', (_case, events, expected) => {
    expect(enabledBefore(target(), { events, complete: true })).toMatchObject({ kind: 'known', value: expected });
  });

  it('acts: enables a detector that was enabled before', () => {
    const plan = actOrFail(action.plan(target(), state('DISABLED', wasEnabled)));
    expect(plan.calls).toEqual([
      {
        service: 'guardduty',
        operation: 'UpdateDetector',
        input: { DetectorId: DETECTOR, Enable: true },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.summary).toMatch(/^enable GuardDuty detector .* again \(it was enabled: UpdateDetector gd-/);
  });

  it('already fixed: an ENABLED detector (redelivery, or fixed by hand) is compliant', () => {
    expect(action.plan(target(), state('ENABLED', wasEnabled)).kind).toBe('already-compliant');
  });

  it.each([
    [
      'the detector was already suspended before',
      state('DISABLED', [update('2025-07-01T00:00:00Z', { enable: false })]),
      /already suspended/,
    ],
    ['nothing in history tells', state('DISABLED', []), /unknown.*90-day/],
    ['history was cut short', state('DISABLED', [], false), /unknown.*in part/],
    [
      'the newest decisive record is unreadable',
      state('DISABLED', [{ eventId: 'gd-x', eventName: 'UpdateDetector', eventTime: '2025-07-10T00:00:00Z' }]),
      /unknown.*unreadable/,
    ],
    [
      'the CreateDetector record lacks its enable flag',
      state('DISABLED', [
        history('CreateDetector', '2025-01-10T10:00:00Z', { responseElements: { detectorId: DETECTOR } }),
      ]),
      /unknown.*enable flag/,
    ],
    ['the detector is gone', { exists: false, history: { events: [], complete: true } }, /no longer exists/],
    ['an unknown status', state('PENDING', wasEnabled), /PENDING/],
  ])('ambiguous or not ours, refuses: %s', (_case, s, reason) => {
    expect(action.plan(target(), s as SuspendedDetectorState)).toEqual({
      kind: 'refuse',
      target: target(),
      reason: expect.stringMatching(reason),
    });
  });

  it('verifies the detector is ENABLED after acting', () => {
    expect(action.verify(target(), state('ENABLED')).fixed).toBe(true);
    expect(action.verify(target(), state('DISABLED')).fixed).toBe(false);
    expect(action.verify(target(), { exists: false, history: { events: [], complete: true } }).fixed).toBe(false);
  });

  it('undo suspends the detector again, from the stored snapshot alone', () => {
    const plan = actOrFail(action.plan(target(), state('DISABLED', wasEnabled)));
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'guardduty',
        operation: 'UpdateDetector',
        input: { DetectorId: DETECTOR, Enable: false },
        region: 'eu-west-1',
      },
    ]);
  });

  it('declares exactly the calls it makes', () => {
    expect(action.iamActions).toEqual(['guardduty:UpdateDetector']);
    expect(action.readIamActions).toEqual(['guardduty:GetDetector', 'cloudtrail:LookupEvents']);
    expect(action.undoIamActions).toEqual(['guardduty:UpdateDetector']);
  });
});
