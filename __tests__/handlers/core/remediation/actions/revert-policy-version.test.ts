import {
  type PolicyVersion,
  type PolicyVersionState,
  revertPolicyVersion as action,
} from '../../../../../handlers/core/remediation/actions/revert-policy-version';
import type { HistoryEvent } from '../../../../../handlers/core/remediation/actions/support';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const POLICY = `arn:aws:iam::${MEMBER}:policy/payments-deployer`;
const OTHER_POLICY = `arn:aws:iam::${MEMBER}:policy/reporting-read`;
const EVENT_TIME = '2025-06-11T09:29:48Z'; // the CreatePolicyVersion fixture (v3, setAsDefault)

const v = (id: string, isDefault = false, createDate = '2025-01-01T00:00:00Z'): PolicyVersion => ({
  VersionId: id,
  IsDefaultVersion: isDefault,
  CreateDate: createDate,
});

let n = 0;
/** An event-history entry as LookupEvents returns it: the record travels JSON-encoded in CloudTrailEvent. */
const history = (eventName: string, eventTime: string, record: Record<string, unknown>): HistoryEvent => {
  n += 1;
  const eventId = `hist-${n}`;
  return {
    eventId,
    eventName,
    eventTime,
    cloudTrailEvent: JSON.stringify({ eventVersion: '1.10', eventName, eventTime, eventID: eventId, ...record }),
  };
};
const setDefault = (version: string, at: string, policyArn = POLICY) =>
  history('SetDefaultPolicyVersion', at, {
    requestParameters: { policyArn, versionId: version },
    responseElements: null,
  });
const createVersion = (version: string, at: string, setAsDefault: boolean) =>
  history('CreatePolicyVersion', at, {
    requestParameters: { policyArn: POLICY, policyDocument: '{}', setAsDefault },
    responseElements: { policyVersion: { versionId: version, isDefaultVersion: setAsDefault, createDate: at } },
  });
const createPolicy = (at: string) =>
  history('CreatePolicy', at, {
    requestParameters: { policyName: 'payments-deployer', policyDocument: '{}' },
    responseElements: { policy: { policyName: 'payments-deployer', arn: POLICY, defaultVersionId: 'v1', path: '/' } },
  });
const deleteVersion = (version: string, at: string, policyArn = POLICY) =>
  history('DeletePolicyVersion', at, { requestParameters: { policyArn, versionId: version }, responseElements: null });

const state = (
  versions: PolicyVersion[],
  changes: HistoryEvent[] = [],
  deletions: HistoryEvent[] = [],
): PolicyVersionState => ({
  policyExists: true,
  versions,
  defaultChanges: { events: changes, complete: true },
  deletionsSince: { events: deletions, complete: true },
});

const createTarget = () => targetOrFail(action.target(loadRemediationEvent('iam-create-policy-version'), CTX));
const setTarget = () => targetOrFail(action.target(loadRemediationEvent('iam-set-default-policy-version'), CTX));

describe('revert-policy-version', () => {
  describe('target', () => {
    it('takes the policy and the version the event made the default', () => {
      expect(createTarget()).toMatchObject({
        resourceId: POLICY,
        region: 'us-east-1',
        details: { policyArn: POLICY, eventName: 'CreatePolicyVersion', versionId: 'v3', eventTime: EVENT_TIME },
      });
      expect(setTarget().details).toMatchObject({ eventName: 'SetDefaultPolicyVersion', versionId: 'v2' });
    });

    it.each([
      [
        'an AWS managed policy',
        (e: any) => (e.detail.requestParameters.policyArn = 'arn:aws:iam::aws:policy/ReadOnlyAccess'),
        /AWS managed/,
      ],
      [
        'a version not set as default',
        (e: any) => (e.detail.requestParameters.setAsDefault = false),
        /did not change the default/,
      ],
      ['a response without the version', (e: any) => (e.detail.responseElements = null), /does not say which version/],
      ['another event', (e: any) => (e.detail.eventName = 'DeletePolicyVersion'), /does not change/],
    ])('refuses %s', (_case, mutate, reason) => {
      const event = loadRemediationEvent('iam-create-policy-version');
      mutate(event);

      expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
    });
  });

  it('reads the versions and CloudTrail history around the event', () => {
    const lookup = (name: string, window: Record<string, string>) => ({
      service: 'cloudtrail',
      operation: 'LookupEvents',
      input: { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: name }], ...window },
      region: 'us-east-1',
    });
    const before = { StartTime: '2025-03-13T09:29:48.000Z', EndTime: EVENT_TIME };

    expect(action.stateReads(createTarget())).toEqual([
      { service: 'iam', operation: 'ListPolicyVersions', input: { PolicyArn: POLICY }, region: 'us-east-1' },
      lookup('CreatePolicyVersion', before),
      lookup('SetDefaultPolicyVersion', before),
      lookup('CreatePolicy', before),
      lookup('DeletePolicyVersion', { StartTime: EVENT_TIME }),
    ]);
  });

  describe('deriving the previous default from CloudTrail history', () => {
    it('takes the newest default change before the event, not the newest older version', () => {
      // v2 was created as a draft; v1 stayed the default until the event.
      const plan = actOrFail(
        action.plan(
          createTarget(),
          state(
            [v('v1'), v('v2'), v('v3', true)],
            [createPolicy('2025-05-01T10:00:00Z'), createVersion('v2', '2025-06-01T10:00:00Z', false)],
          ),
        ),
      );

      expect(plan.calls).toEqual([
        {
          service: 'iam',
          operation: 'SetDefaultPolicyVersion',
          input: { PolicyArn: POLICY, VersionId: 'v1' },
          region: 'us-east-1',
        },
      ]);
      expect(plan.summary).toMatch(/^set v1 back as the default of .+ instead of v3 \(CreatePolicy hist-\d+ at /);
      expect(plan.snapshot).toMatchObject({ policyArn: POLICY, revertedFrom: 'v3', restored: 'v1' });
    });

    it('follows SetDefaultPolicyVersion and ignores failed calls and other policies', () => {
      const changes = [
        setDefault('v2', '2025-06-05T08:00:00Z'),
        history('SetDefaultPolicyVersion', '2025-06-09T08:00:00Z', {
          requestParameters: { policyArn: POLICY, versionId: 'v1' },
          errorCode: 'AccessDenied',
        }),
        setDefault('v1', '2025-06-10T08:00:00Z', OTHER_POLICY),
      ];

      const plan = actOrFail(action.plan(createTarget(), state([v('v1'), v('v2'), v('v3', true)], changes)));

      expect(plan.calls[0]?.input).toEqual({ PolicyArn: POLICY, VersionId: 'v2' });
    });

    it('reverts SetDefaultPolicyVersion to a newer version when that was the default', () => {
      const plan = actOrFail(
        action.plan(
          setTarget(),
          state([v('v1'), v('v2', true), v('v3')], [createVersion('v3', '2025-06-01T10:00:00Z', true)]),
        ),
      );

      expect(plan.calls[0]?.input).toEqual({ PolicyArn: POLICY, VersionId: 'v3' });
    });

    it('refuses when another default change happened in the same second as the event', () => {
      expect(
        action.plan(createTarget(), state([v('v1'), v('v2'), v('v3', true)], [setDefault('v2', EVENT_TIME)])),
      ).toMatchObject({ kind: 'refuse', reason: /same second/ });
    });

    it('refuses when the previous default has been deleted since', () => {
      expect(
        action.plan(createTarget(), state([v('v2'), v('v3', true)], [setDefault('v1', '2025-06-01T10:00:00Z')])),
      ).toMatchObject({ kind: 'refuse', reason: /v1 .* deleted since/ });
    });
  });

  describe('without a default change in the history', () => {
    it('takes the only version older than the new one', () => {
      const plan = actOrFail(action.plan(createTarget(), state([v('v2'), v('v3', true), v('v4')])));

      // v4 was created after v3 and can never have been the default before it.
      expect(plan.calls[0]?.input).toEqual({ PolicyArn: POLICY, VersionId: 'v2' });
      expect(plan.summary).toMatch(/the only version that could have been the default/);
    });

    it('refuses when more than one version could have been the default', () => {
      expect(action.plan(createTarget(), state([v('v1'), v('v2'), v('v3', true)]))).toEqual({
        kind: 'refuse',
        target: createTarget(),
        reason: expect.stringMatching(/ambiguous: v1, v2 could each have been the default/),
      });
    });

    it('refuses SetDefaultPolicyVersion when another version, older or newer, could have been the default', () => {
      expect(action.plan(setTarget(), state([v('v1'), v('v2', true), v('v3')]))).toMatchObject({
        kind: 'refuse',
        reason: /ambiguous: v1, v3/,
      });
      expect(actOrFail(action.plan(setTarget(), state([v('v2', true), v('v3')]))).calls[0]?.input).toEqual({
        PolicyArn: POLICY,
        VersionId: 'v3',
      });
    });

    it('refuses when a version of the policy was deleted since the event (it may have been the default)', () => {
      const plan = action.plan(
        createTarget(),
        state(
          [v('v2'), v('v3', true)],
          [],
          [deleteVersion('v1', '2025-06-11T09:30:15Z'), deleteVersion('v4', '2025-06-11T09:31:00Z', OTHER_POLICY)],
        ),
      );

      expect(plan).toMatchObject({ kind: 'refuse', reason: /v1 deleted since the event/ });
    });

    it('refuses when the deletions since the event could not all be read', () => {
      const s = { ...state([v('v2'), v('v3', true)]), deletionsSince: { events: [], complete: false } };

      expect(action.plan(createTarget(), s)).toMatchObject({ kind: 'refuse', reason: /could not read every/ });
    });

    it('refuses when no version is left that could have been the default', () => {
      expect(action.plan(createTarget(), state([v('v3', true), v('v4')]))).toMatchObject({
        kind: 'refuse',
        reason: /no version is left/,
      });
    });
  });

  describe('when the event is no longer in effect', () => {
    it('is already compliant when the event version is no longer the default (a second run writes nothing)', () => {
      expect(action.plan(createTarget(), state([v('v1'), v('v2', true), v('v3')]))).toMatchObject({
        kind: 'already-compliant',
        reason: 'v3 is no longer the default (v2 is); that change raised its own event',
      });
    });

    it('is already compliant when the event version was deleted', () => {
      expect(action.plan(createTarget(), state([v('v1', true), v('v2')]))).toMatchObject({ kind: 'already-compliant' });
    });

    it('refuses when the policy was deleted', () => {
      expect(action.plan(createTarget(), { ...state([]), policyExists: false })).toMatchObject({ kind: 'refuse' });
    });
  });

  it('verifies that the event version is no longer the default', () => {
    expect(action.verify(createTarget(), state([v('v1', true), v('v3')])).fixed).toBe(true);
    expect(action.verify(createTarget(), state([v('v1'), v('v3', true)])).fixed).toBe(false);
  });

  it('undoes by setting the event version as default again', () => {
    const plan = actOrFail(action.plan(createTarget(), state([v('v2'), v('v3', true)])));

    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'iam',
        operation: 'SetDefaultPolicyVersion',
        input: { PolicyArn: POLICY, VersionId: 'v3' },
        region: 'us-east-1',
      },
    ]);
  });
});
