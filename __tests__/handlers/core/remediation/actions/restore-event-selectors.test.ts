import {
  DEFAULT_SELECTORS,
  type EventSelectorsState,
  restoreEventSelectors as action,
  type SelectorSet,
  selectorSetOf,
} from '../../../../../handlers/core/remediation/actions/restore-event-selectors';
import type { HistoryEvent } from '../../../../../handlers/core/remediation/actions/support';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const TRAIL = `arn:aws:cloudtrail:eu-west-1:${MEMBER}:trail/payments-audit`;
const PUT_AT = '2025-07-04T17:55:02Z';
const target = () => targetOrFail(action.target(loadRemediationEvent('cloudtrail-put-event-selectors'), CTX));

/** The selectors the fixture's event set, as GetEventSelectors answers them. */
const WRITE_ONLY: SelectorSet = {
  EventSelectors: [
    { ReadWriteType: 'WriteOnly', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
  ],
};
const ALL: SelectorSet = {
  EventSelectors: [
    { ReadWriteType: 'All', IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
  ],
};
const S3_OBJECTS = { Type: 'AWS::S3::Object', Values: ['arn:aws:s3:::payments-data/'] };

let n = 0;
const history = (eventName: string, eventTime: string, record: Record<string, unknown>): HistoryEvent => {
  n += 1;
  return {
    eventId: `ct-${n}`,
    eventName,
    eventTime,
    cloudTrailEvent: JSON.stringify({ eventName, eventTime, eventSource: 'cloudtrail.amazonaws.com', ...record }),
  };
};
const put = (eventTime: string, request: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  history('PutEventSelectors', eventTime, { requestParameters: { trailName: TRAIL, ...request }, ...extra });
const allBefore = [
  put('2025-06-01T00:00:00Z', { eventSelectors: [{ readWriteType: 'All', includeManagementEvents: true }] }),
];
const state = (selectors: SelectorSet, events: HistoryEvent[] = allBefore, complete = true): EventSelectorsState => ({
  exists: true,
  trailArn: TRAIL,
  selectors,
  history: { events, complete },
});

describe('restore-event-selectors', () => {
  it('targets the trail of the record, with the selectors the event set', () => {
    expect(target()).toMatchObject({
      action: 'restore-event-selectors',
      accountId: MEMBER,
      resourceId: TRAIL,
      region: 'eu-west-1',
      details: { trail: TRAIL, eventTime: PUT_AT, set: WRITE_ONLY },
    });
  });

  it('refuses a trail of another account, an event whose selectors were omitted, and other events', () => {
    const foreign = loadRemediationEvent('cloudtrail-put-event-selectors');
    (foreign.detail as any).responseElements.trailARN = TRAIL.replace(MEMBER, '111111111111');
    const omitted = loadRemediationEvent('cloudtrail-put-event-selectors');
    (omitted.detail as any).requestParameters = { trailName: 'payments-audit', omitted: true };
    const other = loadRemediationEvent('cloudtrail-put-event-selectors');
    other.detail.eventName = 'UpdateTrail';

    expect(action.target(foreign, CTX)).toEqual({ refuse: expect.stringContaining('111111111111') });
    expect(action.target(omitted, CTX)).toEqual({ refuse: expect.stringContaining('no readable selectors') });
    expect(action.target(other, CTX)).toEqual({ refuse: expect.any(String) });
  });

  it('reads the selectors and the bounded CloudTrail history of the trail up to the event', () => {
    expect(action.stateReads(target())).toEqual([
      { service: 'cloudtrail', operation: 'GetEventSelectors', input: { TrailName: TRAIL }, region: 'eu-west-1' },
      {
        service: 'cloudtrail',
        operation: 'LookupEvents',
        input: {
          LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: TRAIL }],
          StartTime: '2025-04-05T17:55:02.000Z',
          EndTime: PUT_AT,
        },
        region: 'eu-west-1',
      },
    ]);
  });

  it('acts: puts back the previous basic selectors, in the API form', () => {
    const plan = actOrFail(action.plan(target(), state(WRITE_ONLY)));
    expect(plan.calls).toEqual([
      {
        service: 'cloudtrail',
        operation: 'PutEventSelectors',
        input: { TrailName: TRAIL, EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.summary).toMatch(/^restore the previous event selectors of .* \(PutEventSelectors ct-/);
  });

  it('acts: puts back previous advanced selectors, and the default of a trail created since', () => {
    const advanced = [{ name: 'all management', fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] }];
    const fromAdvanced = actOrFail(
      action.plan(target(), state(WRITE_ONLY, [put('2025-06-01T00:00:00Z', { advancedEventSelectors: advanced })])),
    );
    expect(fromAdvanced.calls[0]!.input).toEqual({
      TrailName: TRAIL,
      AdvancedEventSelectors: [
        { Name: 'all management', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
      ],
    });
    const fromCreate = actOrFail(
      action.plan(
        target(),
        state(WRITE_ONLY, [history('CreateTrail', '2025-05-01T00:00:00Z', { requestParameters: { name: 'x' } })]),
      ),
    );
    expect(fromCreate.calls[0]!.input).toEqual({ TrailName: TRAIL, ...DEFAULT_SELECTORS });
  });

  it('already fixed: selectors equal to the previous ones (redelivery, or fixed by hand) are compliant', () => {
    expect(action.plan(target(), state(ALL)).kind).toBe('already-compliant');
  });

  it.each([
    [
      'the selectors changed again since the event',
      state({ EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }] }),
      /changed again since/,
    ],
    [
      'the previous selectors were narrow too',
      state(WRITE_ONLY, [put('2025-06-01T00:00:00Z', { eventSelectors: [{ readWriteType: 'ReadOnly' }] })]),
      /did not record every management event either/,
    ],
    [
      'the trail logs data events the event did not set (changed since)',
      state(
        {
          EventSelectors: [
            {
              ReadWriteType: 'WriteOnly',
              IncludeManagementEvents: true,
              DataResources: [S3_OBJECTS],
              ExcludeManagementEventSources: [],
            },
          ],
        },
        allBefore,
      ),
      /changed again since/,
    ],
    ['nothing in history tells', state(WRITE_ONLY, []), /unknown.*90-day/],
    ['history was cut short', state(WRITE_ONLY, [], false), /unknown.*in part/],
    [
      'the newest PutEventSelectors record is truncated',
      state(WRITE_ONLY, [put('2025-07-01T00:00:00Z', { omitted: true })]),
      /unknown.*no selectors in the request/,
    ],
    ['the trail is gone', { exists: false, history: { events: [], complete: true } }, /no longer exists/],
  ])('ambiguous or unsafe, refuses: %s', (_case, s, reason) => {
    expect(action.plan(target(), s as EventSelectorsState)).toEqual({
      kind: 'refuse',
      target: target(),
      reason: expect.stringMatching(reason),
    });
  });

  it('never weakens: keeps data event selectors the previous set lacks out of a restore', () => {
    // The event itself added S3 data events while dropping read management events.
    const withData = loadRemediationEvent('cloudtrail-put-event-selectors');
    (withData.detail as any).requestParameters.eventSelectors[0].dataResources = [
      { type: 'AWS::S3::Object', values: ['arn:aws:s3:::payments-data/'] },
    ];
    const t = targetOrFail(action.target(withData, CTX));
    const now: SelectorSet = {
      EventSelectors: [
        {
          ReadWriteType: 'WriteOnly',
          IncludeManagementEvents: true,
          DataResources: [S3_OBJECTS],
          ExcludeManagementEventSources: [],
        },
      ],
    };
    expect(action.plan(t, state(now))).toEqual({
      kind: 'refuse',
      target: t,
      reason: expect.stringMatching(/stop 1 data or network activity selector.*merges/),
    });
  });

  it('verifies the trail records every management event after acting', () => {
    expect(action.verify(target(), state(ALL)).fixed).toBe(true);
    expect(action.verify(target(), state(WRITE_ONLY)).fixed).toBe(false);
    expect(action.verify(target(), { exists: false, history: { events: [], complete: true } }).fixed).toBe(false);
  });

  it('undo puts the selectors the event set back, from the stored snapshot alone', () => {
    const plan = actOrFail(action.plan(target(), state(WRITE_ONLY)));
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'cloudtrail',
        operation: 'PutEventSelectors',
        input: { TrailName: TRAIL, ...WRITE_ONLY },
        region: 'eu-west-1',
      },
    ]);
  });

  it('reads a selector set from a request or an answer, and nothing from one with both kinds or none', () => {
    expect(selectorSetOf({ eventSelectors: [{ readWriteType: 'All' }] })).toEqual({
      EventSelectors: [{ ReadWriteType: 'All' }],
    });
    expect(selectorSetOf({ AdvancedEventSelectors: [{ Name: 'x', FieldSelectors: [] }] })).toEqual({
      AdvancedEventSelectors: [{ Name: 'x', FieldSelectors: [] }],
    });
    expect(
      selectorSetOf({ eventSelectors: [{ readWriteType: 'All' }], advancedEventSelectors: [{ name: 'x' }] }),
    ).toBeUndefined();
    expect(selectorSetOf({ EventSelectors: [], AdvancedEventSelectors: [] })).toBeUndefined();
  });

  it('declares exactly the calls it makes', () => {
    expect(action.iamActions).toEqual(['cloudtrail:PutEventSelectors']);
    expect(action.readIamActions).toEqual(['cloudtrail:GetEventSelectors', 'cloudtrail:LookupEvents']);
    expect(action.undoIamActions).toEqual(['cloudtrail:PutEventSelectors']);
  });
});
