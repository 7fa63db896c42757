import { readHistory } from '../../../../handlers/adapters/remediation/history';
import type { PlannedCall } from '../../../../handlers/core/remediation/types';

const LOOKUP: PlannedCall = {
  service: 'cloudtrail',
  operation: 'LookupEvents',
  input: { LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: 'arn:trail' }] },
  region: 'eu-west-1',
};
const page = (ids: string[], next?: string) => ({
  Events: ids.map((id) => ({
    EventId: id,
    EventName: 'UpdateTrail',
    EventTime: new Date('2025-06-01T00:00:00Z'),
    CloudTrailEvent: '{}',
  })),
  ...(next ? { NextToken: next } : {}),
});

describe('readHistory', () => {
  it('follows NextToken and reports a complete history', async () => {
    const send = jest
      .fn()
      .mockResolvedValueOnce(page(['a'], 't1'))
      .mockResolvedValueOnce(page(['b']));
    const history = await readHistory(send, LOOKUP, 10);
    expect(history).toEqual({
      complete: true,
      events: [
        { eventId: 'a', eventName: 'UpdateTrail', eventTime: '2025-06-01T00:00:00.000Z', cloudTrailEvent: '{}' },
        { eventId: 'b', eventName: 'UpdateTrail', eventTime: '2025-06-01T00:00:00.000Z', cloudTrailEvent: '{}' },
      ],
    });
    expect(send).toHaveBeenNthCalledWith(2, { ...LOOKUP, input: { ...LOOKUP.input, NextToken: 't1' } });
  });

  it('stops at the page cap and says the history is incomplete', async () => {
    const send = jest.fn().mockResolvedValue(page(['x'], 'more'));
    const history = await readHistory(send, LOOKUP, 3);
    expect(send).toHaveBeenCalledTimes(3);
    expect(history.complete).toBe(false);
    expect(history.events).toHaveLength(3);
  });
});
