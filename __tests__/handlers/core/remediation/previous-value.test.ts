import type { HistoryEvent } from '../../../../handlers/core/remediation/actions/support';
import {
  historyLookup,
  previousValue,
  type Setting,
  succeeded,
} from '../../../../handlers/core/remediation/previous-value';

const TRIGGER = { eventId: 'trigger', eventTime: '2025-06-11T12:00:00Z' };

/** isMultiRegionTrail, as CreateTrail/UpdateTrail record it. */
const MULTI_REGION: Setting<boolean> = {
  name: 'isMultiRegionTrail of trail t',
  eventNames: ['CreateTrail', 'UpdateTrail'],
  read(record) {
    if (!succeeded(record)) return { kind: 'unchanged' };
    const request = record['requestParameters'];
    if (typeof request !== 'object' || request === null) return { kind: 'unreadable', why: 'no request parameters' };
    const v = (request as Record<string, unknown>)['isMultiRegionTrail'];
    return typeof v === 'boolean' ? { kind: 'set', value: v } : { kind: 'unchanged' };
  },
};

let n = 0;
const event = (eventName: string, eventTime: string, record?: Record<string, unknown>): HistoryEvent => {
  n += 1;
  return {
    eventId: `e-${n}`,
    eventName,
    eventTime,
    ...(record ? { cloudTrailEvent: JSON.stringify({ eventName, eventTime, ...record }) } : {}),
  };
};
const update = (eventTime: string, params: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  event('UpdateTrail', eventTime, { requestParameters: { name: 't', ...params }, ...extra });

describe('previousValue', () => {
  it('bounds the history query to the 90 days up to the event', () => {
    expect(historyLookup('arn:trail', TRIGGER, 'eu-west-1')).toEqual({
      service: 'cloudtrail',
      operation: 'LookupEvents',
      input: {
        LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: 'arn:trail' }],
        StartTime: '2025-03-13T12:00:00.000Z',
        EndTime: TRIGGER.eventTime,
      },
      region: 'eu-west-1',
    });
  });

  it('takes the newest value set before the event, skipping records that leave it unchanged', () => {
    const history = [
      update('2025-06-11T11:00:00Z', { kmsKeyId: 'k' }),
      update('2025-06-01T00:00:00Z', { isMultiRegionTrail: true }),
      event('CreateTrail', '2025-05-01T00:00:00Z', { requestParameters: { isMultiRegionTrail: false } }),
    ];
    expect(previousValue(MULTI_REGION, TRIGGER, { events: history, complete: true })).toEqual({
      kind: 'known',
      value: true,
      at: '2025-06-01T00:00:00Z',
      evidence: expect.stringContaining('UpdateTrail'),
    });
  });

  it('ignores the trigger itself, later events, failed calls and other event names', () => {
    const history = [
      { ...update('2025-06-11T12:00:00Z', { isMultiRegionTrail: false }), eventId: 'trigger' },
      update('2025-06-11T12:30:00Z', { isMultiRegionTrail: false }),
      update('2025-06-10T00:00:00Z', { isMultiRegionTrail: false }, { errorCode: 'AccessDenied' }),
      event('StopLogging', '2025-06-09T00:00:00Z', { requestParameters: { isMultiRegionTrail: false } }),
      update('2025-06-08T00:00:00Z', { isMultiRegionTrail: true }),
    ];
    expect(previousValue(MULTI_REGION, TRIGGER, { events: history, complete: true })).toMatchObject({
      kind: 'known',
      value: true,
    });
  });

  it('prefers a newer snapshot of vigil to older history', () => {
    const history = [update('2025-06-01T00:00:00Z', { isMultiRegionTrail: false })];
    const snapshots = [{ at: '2025-06-05T00:00:00Z', value: true, source: 'ev-1:restore-trail-settings' }];
    expect(previousValue(MULTI_REGION, TRIGGER, { events: history, complete: true }, snapshots)).toEqual({
      kind: 'known',
      value: true,
      at: '2025-06-05T00:00:00Z',
      evidence: expect.stringContaining('ev-1:restore-trail-settings'),
    });
  });

  it('refuses when the newest relevant record is unreadable', () => {
    const history = [
      event('UpdateTrail', '2025-06-10T00:00:00Z'),
      update('2025-06-01T00:00:00Z', { isMultiRegionTrail: true }),
    ];
    expect(previousValue(MULTI_REGION, TRIGGER, { events: history, complete: true })).toEqual({
      kind: 'unknown',
      reason: expect.stringContaining('unreadable'),
    });
    const truncated = [update('2025-06-10T00:00:00Z', {}, { requestParameters: null })];
    expect(previousValue(MULTI_REGION, TRIGGER, { events: truncated, complete: true })).toEqual({
      kind: 'unknown',
      reason: expect.stringContaining('no request parameters'),
    });
  });

  it('refuses when history is incomplete and its newest pages hold no value, or holds none at all', () => {
    const history = [update('2025-06-10T00:00:00Z', { kmsKeyId: 'k' })];
    expect(previousValue(MULTI_REGION, TRIGGER, { events: history, complete: false })).toEqual({
      kind: 'unknown',
      reason: expect.stringContaining('read only in part'),
    });
    expect(previousValue(MULTI_REGION, TRIGGER, { events: history, complete: true })).toEqual({
      kind: 'unknown',
      reason: expect.stringContaining('90-day'),
    });
  });

  it('still uses a value found in the newest pages of an incomplete history', () => {
    const history = [update('2025-06-10T00:00:00Z', { isMultiRegionTrail: true })];
    expect(previousValue(MULTI_REGION, TRIGGER, { events: history, complete: false })).toMatchObject({
      kind: 'known',
      value: true,
    });
  });
});
