import {
  type CurrentDetector,
  type DeletedDetectorState,
  recreateGuardDutyDetector as action,
} from '../../../../../handlers/core/remediation/actions/recreate-guardduty-detector';
import type { HistoryEvent } from '../../../../../handlers/core/remediation/actions/support';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const DETECTOR = '82c919daa523bc69d203c24868c06849';
const OTHER_DETECTOR = '5ab3c91f0de7a6c4b8e2f1d0c9b8a7e6';
const NEW_DETECTOR = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const DELETED_AT = '2025-07-16T19:27:10Z';
const target = () => targetOrFail(action.target(loadRemediationEvent('guardduty-delete-detector'), CTX));

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
/** CreateDetector as CloudTrail records it: the request body (wire names) and the new id in the response. */
const create = (eventTime: string, request: Record<string, unknown>, detectorId = DETECTOR) =>
  history('CreateDetector', eventTime, { requestParameters: request, responseElements: { detectorId } });
const update = (eventTime: string, request: Record<string, unknown>, detectorId = DETECTOR) =>
  history('UpdateDetector', eventTime, { requestParameters: { detectorId, ...request } });

const CREATED = create('2025-06-01T09:00:00Z', {
  enable: true,
  findingPublishingFrequency: 'ONE_HOUR',
  features: [
    { name: 'S3_DATA_EVENTS', status: 'ENABLED' },
    { name: 'EKS_AUDIT_LOGS', status: 'DISABLED' },
    {
      name: 'RUNTIME_MONITORING',
      status: 'ENABLED',
      additionalConfiguration: [{ name: 'EKS_ADDON_MANAGEMENT', status: 'ENABLED' }],
    },
  ],
  tags: { owner: 'security' },
});
const UPDATED = update('2025-07-01T10:00:00Z', {
  findingPublishingFrequency: 'FIFTEEN_MINUTES',
  features: [
    { name: 'EKS_AUDIT_LOGS', status: 'ENABLED' },
    {
      name: 'RUNTIME_MONITORING',
      status: 'ENABLED',
      additionalConfiguration: [{ name: 'ECS_FARGATE_AGENT_MANAGEMENT', status: 'ENABLED' }],
    },
  ],
});
const HISTORY = [CREATED, UPDATED];
const EXPECTED_INPUT = {
  Enable: true,
  FindingPublishingFrequency: 'FIFTEEN_MINUTES',
  Features: [
    { Name: 'EKS_AUDIT_LOGS', Status: 'ENABLED' },
    {
      Name: 'RUNTIME_MONITORING',
      Status: 'ENABLED',
      AdditionalConfiguration: [
        { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', Status: 'ENABLED' },
        { Name: 'EKS_ADDON_MANAGEMENT', Status: 'ENABLED' },
      ],
    },
    { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
  ],
};
/** The recreated detector as GetDetector describes it (more features than were set: GuardDuty's defaults). */
const RECREATED: CurrentDetector = {
  detectorId: NEW_DETECTOR,
  status: 'ENABLED',
  findingPublishingFrequency: 'FIFTEEN_MINUTES',
  features: [
    { name: 'CLOUD_TRAIL', status: 'ENABLED' },
    { name: 'S3_DATA_EVENTS', status: 'ENABLED' },
    { name: 'EKS_AUDIT_LOGS', status: 'ENABLED' },
    {
      name: 'RUNTIME_MONITORING',
      status: 'ENABLED',
      additionalConfiguration: [
        { name: 'EKS_ADDON_MANAGEMENT', status: 'ENABLED' },
        { name: 'ECS_FARGATE_AGENT_MANAGEMENT', status: 'ENABLED' },
        { name: 'EC2_AGENT_MANAGEMENT', status: 'DISABLED' },
      ],
    },
  ],
};

const state = (events: HistoryEvent[], current?: CurrentDetector, complete = true): DeletedDetectorState => ({
  ...(current ? { current } : {}),
  history: { events, complete },
});

const refusal = (reason: RegExp) => ({
  kind: 'refuse',
  target: expect.any(Object),
  reason: expect.stringMatching(reason),
});

describe('recreate-guardduty-detector', () => {
  it('targets the deleted detector by id, in the event region', () => {
    expect(target()).toEqual({
      action: 'recreate-guardduty-detector',
      accountId: MEMBER,
      region: 'eu-west-1',
      resourceId: DETECTOR,
      details: { detectorId: DETECTOR, eventId: '00000093-5b1e-4c2a-9f3d-000000000093', eventTime: DELETED_AT },
    });
  });

  it('refuses other events, failed deletions, and deletions without a valid detector id', () => {
    const other = loadRemediationEvent('guardduty-delete-detector');
    other.detail.eventName = 'UpdateDetector';
    const failed = loadRemediationEvent('guardduty-delete-detector');
    (failed.detail as any).errorCode = 'BadRequestException';
    const badId = loadRemediationEvent('guardduty-delete-detector');
    (badId.detail as any).requestParameters = { detectorId: '../x' };

    expect(action.target(other, CTX)).toEqual({ refuse: expect.stringContaining('does not delete') });
    expect(action.target(failed, CTX)).toEqual({ refuse: expect.stringContaining('failed') });
    expect(action.target(badId, CTX)).toEqual({ refuse: expect.stringContaining('no valid detector id') });
  });

  it("reads the region's detectors and its GuardDuty detector history by event name, from 90 days before the deletion up to now", () => {
    const lookup = (eventName: string) => ({
      service: 'cloudtrail',
      operation: 'LookupEvents',
      input: {
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }],
        StartTime: '2025-04-17T19:27:10.000Z',
      },
      region: 'eu-west-1',
    });
    expect(action.stateReads(target())).toEqual([
      { service: 'guardduty', operation: 'ListDetectors', input: {}, region: 'eu-west-1' },
      lookup('CreateDetector'),
      lookup('UpdateDetector'),
      lookup('DeleteDetector'),
    ]);
  });

  it('acts: recreates the detector enabled with its created settings and every later update merged in order', () => {
    const plan = actOrFail(action.plan(target(), state(HISTORY)));
    expect(plan.calls).toEqual([
      { service: 'guardduty', operation: 'CreateDetector', input: EXPECTED_INPUT, region: 'eu-west-1' },
    ]);
    expect(plan.summary).toMatch(
      /^recreate the deleted GuardDuty detector 82c9.* ENABLED, finding publishing frequency FIFTEEN_MINUTES/,
    );
    expect(plan.summary).toMatch(/CreateDetector gd-\d+ .* and 1 UpdateDetector call/);
    expect(plan.summary).toMatch(/standalone .* delegated administrator .* re-associates .* findings are not restored/);
    expect(plan.snapshot).toMatchObject({ deletedDetectorId: DETECTOR, region: 'eu-west-1' });
  });

  it('acts: ignores other detectors, failed calls and updates of other ids; defaults the frequency; reads dataSources as features', () => {
    const events = [
      create('2025-05-01T00:00:00Z', { enable: false }, OTHER_DETECTOR),
      update('2025-05-02T00:00:00Z', { enable: false }, OTHER_DETECTOR),
      history('DeleteDetector', '2025-05-03T00:00:00Z', { requestParameters: { detectorId: OTHER_DETECTOR } }),
      create('2025-06-01T09:00:00Z', {
        enable: true,
        dataSources: {
          s3Logs: { enable: false },
          kubernetes: { auditLogs: { enable: true } },
          malwareProtection: { scanEc2InstanceWithFindings: { ebsVolumes: true } },
        },
      }),
      history('UpdateDetector', '2025-07-01T00:00:00Z', {
        requestParameters: { detectorId: DETECTOR, enable: false },
        errorCode: 'AccessDeniedException',
      }),
      update('2025-07-02T00:00:00Z', { features: [{ name: 'S3_DATA_EVENTS', status: 'ENABLED' }] }),
    ];
    const plan = actOrFail(action.plan(target(), state(events)));
    expect(plan.calls[0]!.input).toEqual({
      Enable: true,
      FindingPublishingFrequency: 'SIX_HOURS',
      Features: [
        { Name: 'EBS_MALWARE_PROTECTION', Status: 'ENABLED' },
        { Name: 'EKS_AUDIT_LOGS', Status: 'ENABLED' },
        { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
      ],
    });
  });

  it('acts: an update in the same second as the deletion came before it (it succeeded on the detector)', () => {
    const plan = actOrFail(
      action.plan(target(), state([...HISTORY, update(DELETED_AT, { findingPublishingFrequency: 'SIX_HOURS' })])),
    );
    expect(plan.calls[0]!.input).toMatchObject({ FindingPublishingFrequency: 'SIX_HOURS' });
  });

  it('already fixed: any detector in the region (redelivery, or recreated by hand) is compliant, and no other is created', () => {
    const plan = action.plan(target(), state(HISTORY, RECREATED));
    expect(plan).toEqual({
      kind: 'already-compliant',
      target: expect.any(Object),
      reason: expect.stringMatching(/detector c0ffee.* exists .* \(ENABLED\); a region holds one detector/),
    });
    // The redelivered event after the fix: history now holds vigil's own CreateDetector after the deletion.
    const after = [...HISTORY, create('2025-07-16T19:30:00Z', { enable: true }, NEW_DETECTOR)];
    expect(action.plan(target(), state(after, RECREATED)).kind).toBe('already-compliant');
  });

  it.each([
    ['history was cut short', state(HISTORY, undefined, false), /unknown: .*in part \(page cap\)/],
    ['nothing in history', state([]), /CreateDetector of 82c9.* is not in CloudTrail's 90-day event history/],
    [
      'only updates, the create older than 90 days',
      state([UPDATED]),
      /CreateDetector of 82c9.* is not in CloudTrail's 90-day/,
    ],
    [
      'a detector record is unreadable (CloudTrail omitted its parameters)',
      state([...HISTORY, { eventId: 'x', eventName: 'UpdateDetector', eventTime: '2025-07-10T00:00:00Z' }]),
      /UpdateDetector x .* record is unreadable/,
    ],
    [
      'a CreateDetector without its response (which detector it made is unknown)',
      state([...HISTORY, history('CreateDetector', '2025-06-10T00:00:00Z', { requestParameters: { enable: true } })]),
      /no response elements/,
    ],
    [
      'the CreateDetector request lacks its enable flag',
      state([create('2025-06-01T09:00:00Z', { findingPublishingFrequency: 'ONE_HOUR' })]),
      /enable flag\) is unreadable/,
    ],
    [
      'a detector was created in the region after the deletion',
      state([...HISTORY, create('2025-07-16T20:00:00Z', { enable: true }, OTHER_DETECTOR)]),
      /change in the region came after the deletion: CreateDetector/,
    ],
    [
      'another detector change after the deletion',
      state([...HISTORY, update('2025-07-17T00:00:00Z', { enable: false }, OTHER_DETECTOR)]),
      /came after the deletion: UpdateDetector/,
    ],
    [
      'a CreateDetector in the same second as the deletion',
      state([...HISTORY, create(DELETED_AT, { enable: true }, OTHER_DETECTOR)]),
      /same second as the deletion; their order is unknown/,
    ],
    [
      'the detector was suspended when it was deleted',
      state([...HISTORY, update('2025-07-10T00:00:00Z', { enable: false })]),
      /was suspended \(enable: false\) when it was deleted .*recreating it enabled would not restore its previous state/,
    ],
    [
      'it was created suspended and never enabled',
      state([create('2025-06-01T09:00:00Z', { enable: false })]),
      /was suspended/,
    ],
    [
      'both EKS_RUNTIME_MONITORING and RUNTIME_MONITORING were set',
      state([
        ...HISTORY,
        update('2025-07-05T00:00:00Z', { features: [{ name: 'EKS_RUNTIME_MONITORING', status: 'DISABLED' }] }),
      ]),
      /both EKS_RUNTIME_MONITORING and RUNTIME_MONITORING/,
    ],
  ])('ambiguous, refuses: %s', (_case, s, reason) => {
    expect(action.plan(target(), s)).toEqual(refusal(reason));
  });

  it("verifies the region's detector is ENABLED with the previous settings, and hands its id to undo", () => {
    // After acting, history holds vigil's own CreateDetector after the deletion: verify compares with before it.
    const after = [...HISTORY, create('2025-07-16T19:30:00Z', { enable: true }, NEW_DETECTOR)];
    expect(action.verify(target(), state(after, RECREATED))).toEqual({
      fixed: true,
      detail: `GuardDuty detector ${NEW_DETECTOR} is ENABLED with the previous settings`,
      undoFacts: { createdDetectorId: NEW_DETECTOR },
    });
    const suspended = { ...RECREATED, status: 'DISABLED', findingPublishingFrequency: 'SIX_HOURS' };
    expect(action.verify(target(), state(after, suspended))).toEqual({
      fixed: false,
      detail: expect.stringMatching(
        /status DISABLED, not ENABLED; finding publishing frequency SIX_HOURS, not FIFTEEN_MINUTES/,
      ),
      undoFacts: { createdDetectorId: NEW_DETECTOR },
    });
    const noAddon = {
      ...RECREATED,
      features: RECREATED.features.map((f) =>
        f.name === 'RUNTIME_MONITORING' ? { name: f.name, status: 'ENABLED' } : f,
      ),
    };
    expect(action.verify(target(), state(after, noAddon)).detail).toMatch(
      /RUNTIME_MONITORING\/ECS_FARGATE_AGENT_MANAGEMENT absent, not ENABLED/,
    );
    expect(action.verify(target(), state(after))).toEqual({
      fixed: false,
      detail: 'no GuardDuty detector exists in eu-west-1',
    });
  });

  it('undo deletes the detector the action created, only that id, from the snapshot and the verified facts', () => {
    const plan = actOrFail(action.plan(target(), state(HISTORY)));
    // Before the change only the plan's snapshot exists: the new id is unknown, so there is nothing to delete.
    expect(action.undo(stored(plan.snapshot))).toEqual([]);
    const verdict = action.verify(target(), state(HISTORY, RECREATED));
    expect(action.undo(stored({ ...plan.snapshot, ...verdict.undoFacts }))).toEqual([
      { service: 'guardduty', operation: 'DeleteDetector', input: { DetectorId: NEW_DETECTOR }, region: 'eu-west-1' },
    ]);
    expect(action.undo({ ...plan.snapshot, createdDetectorId: '../x' })).toEqual([]);
  });

  it('declares exactly the calls it makes (no iam:CreateServiceLinkedRole)', () => {
    expect(action.iamActions).toEqual(['guardduty:CreateDetector']);
    expect(action.readIamActions).toEqual([
      'guardduty:ListDetectors',
      'guardduty:GetDetector',
      'cloudtrail:LookupEvents',
    ]);
    expect(action.undoIamActions).toEqual(['guardduty:DeleteDetector']);
  });
});
