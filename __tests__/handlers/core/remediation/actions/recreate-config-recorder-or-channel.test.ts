import {
  type ConfigDefinitionState,
  canonicalDefinition,
  recreateConfigRecorderOrChannel as action,
} from '../../../../../handlers/core/remediation/actions/recreate-config-recorder-or-channel';
import type { HistoryEvent } from '../../../../../handlers/core/remediation/actions/support';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const RECORDER_DELETED_AT = '2025-07-16T19:26:44Z';
const CHANNEL_DELETED_AT = '2025-07-16T19:26:30Z';
const SERVICE_LINKED = `arn:aws:iam::${MEMBER}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`;
const recorderTarget = () => targetOrFail(action.target(loadRemediationEvent('config-delete-recorder'), CTX));
const channelTarget = () => targetOrFail(action.target(loadRemediationEvent('config-delete-delivery-channel'), CTX));

const RECORDER = {
  name: 'default',
  roleARN: SERVICE_LINKED,
  recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
  recordingMode: { recordingFrequency: 'CONTINUOUS' },
};
/** The recorder as DescribeConfigurationRecorders returns it: the defaults filled in, its ARN added. */
const DESCRIBED_RECORDER = {
  ...RECORDER,
  arn: `arn:aws:config:eu-west-1:${MEMBER}:configuration-recorder/default/abcdef`,
  recordingGroup: {
    allSupported: true,
    includeGlobalResourceTypes: true,
    resourceTypes: [],
    exclusionByResourceTypes: { resourceTypes: [] },
    recordingStrategy: { useOnly: 'ALL_SUPPORTED_RESOURCE_TYPES' },
  },
  recordingMode: { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: [] },
};
const CHANNEL = {
  name: 'default',
  s3BucketName: `config-bucket-${MEMBER}`,
  s3KeyPrefix: 'o-test123456',
  snsTopicARN: `arn:aws:sns:eu-west-1:${MEMBER}:config-topic`,
  configSnapshotDeliveryProperties: { deliveryFrequency: 'Six_Hours' },
};

let n = 0;
const history = (eventName: string, eventTime: string, record: Record<string, unknown>): HistoryEvent => {
  n += 1;
  return {
    eventId: `cfg-${n}`,
    eventName,
    eventTime,
    cloudTrailEvent: JSON.stringify({ eventName, eventTime, eventSource: 'config.amazonaws.com', ...record }),
  };
};
const putRecorder = (eventTime: string, recorder: Record<string, unknown> = RECORDER) =>
  history('PutConfigurationRecorder', eventTime, { requestParameters: { configurationRecorder: recorder } });
const recorderCall = (eventName: string, eventTime: string, name = 'default', extra: Record<string, unknown> = {}) =>
  history(eventName, eventTime, { requestParameters: { configurationRecorderName: name }, ...extra });
const putChannel = (eventTime: string, channel: Record<string, unknown> = CHANNEL) =>
  history('PutDeliveryChannel', eventTime, { requestParameters: { deliveryChannel: channel } });

const recording = [
  putRecorder('2025-06-01T09:00:00Z'),
  recorderCall('StartConfigurationRecorder', '2025-06-01T09:00:05Z'),
];
const state = (
  events: HistoryEvent[],
  more: Partial<ConfigDefinitionState> = {},
  complete = true,
): ConfigDefinitionState => ({ counterpartExists: true, history: { events, complete }, ...more });

const refusal = (reason: RegExp) => ({
  kind: 'refuse',
  target: expect.any(Object),
  reason: expect.stringMatching(reason),
});

describe('recreate-config-recorder-or-channel', () => {
  it('targets the deleted recorder or channel by name, in the event region', () => {
    expect(recorderTarget()).toEqual({
      action: 'recreate-config-recorder-or-channel',
      accountId: MEMBER,
      region: 'eu-west-1',
      resourceId: 'default',
      details: {
        kind: 'recorder',
        name: 'default',
        eventId: '00000091-5b1e-4c2a-9f3d-000000000091',
        eventTime: RECORDER_DELETED_AT,
      },
    });
    expect(channelTarget()).toMatchObject({ resourceId: 'default', details: { kind: 'channel', name: 'default' } });
  });

  it('refuses other events, failed deletions, and deletions that name nothing', () => {
    const other = loadRemediationEvent('config-delete-recorder');
    other.detail.eventName = 'StopConfigurationRecorder';
    const failed = loadRemediationEvent('config-delete-delivery-channel');
    (failed.detail as any).errorCode = 'LastDeliveryChannelDeleteFailedException';
    const unnamed = loadRemediationEvent('config-delete-recorder');
    (unnamed.detail as any).requestParameters = {};

    expect(action.target(other, CTX)).toEqual({ refuse: expect.stringContaining('deletes no configuration recorder') });
    expect(action.target(failed, CTX)).toEqual({ refuse: expect.stringContaining('failed') });
    expect(action.target(unnamed, CTX)).toEqual({ refuse: expect.stringContaining('names no configuration recorder') });
  });

  it('reads the recorder, its status, the channels, and the Config history by event name from 90 days before the deletion up to now', () => {
    const lookup = (eventName: string, start: string) => ({
      service: 'cloudtrail',
      operation: 'LookupEvents',
      input: { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }], StartTime: start },
      region: 'eu-west-1',
    });
    const recorderStart = '2025-04-17T19:26:44.000Z';
    expect(action.stateReads(recorderTarget())).toEqual([
      {
        service: 'config',
        operation: 'DescribeConfigurationRecorders',
        input: { ConfigurationRecorderNames: ['default'] },
        region: 'eu-west-1',
      },
      {
        service: 'config',
        operation: 'DescribeConfigurationRecorderStatus',
        input: { ConfigurationRecorderNames: ['default'] },
        region: 'eu-west-1',
      },
      { service: 'config', operation: 'DescribeDeliveryChannels', input: {}, region: 'eu-west-1' },
      lookup('PutConfigurationRecorder', recorderStart),
      lookup('DeleteConfigurationRecorder', recorderStart),
      lookup('StartConfigurationRecorder', recorderStart),
      lookup('StopConfigurationRecorder', recorderStart),
    ]);
    const channelStart = '2025-04-17T19:26:30.000Z';
    expect(action.stateReads(channelTarget())).toEqual([
      {
        service: 'config',
        operation: 'DescribeDeliveryChannels',
        input: { DeliveryChannelNames: ['default'] },
        region: 'eu-west-1',
      },
      { service: 'config', operation: 'DescribeConfigurationRecorders', input: {}, region: 'eu-west-1' },
      lookup('PutDeliveryChannel', channelStart),
      lookup('DeleteDeliveryChannel', channelStart),
    ]);
  });

  it('acts: recreates a recorder that was recording with its previous definition, and starts it', () => {
    const plan = actOrFail(action.plan(recorderTarget(), state(recording)));
    expect(plan.calls).toEqual([
      {
        service: 'config',
        operation: 'PutConfigurationRecorder',
        input: { ConfigurationRecorder: RECORDER },
        region: 'eu-west-1',
      },
      {
        service: 'config',
        operation: 'StartConfigurationRecorder',
        input: { ConfigurationRecorderName: 'default' },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.summary).toMatch(/^recreate configuration recorder default .* and start it \(it was recording/);
    expect(plan.snapshot).toMatchObject({ kind: 'recorder', name: 'default', started: true, definition: RECORDER });
  });

  it('acts: takes the newest Put before the deletion, past other names, failed calls and unrelated changes', () => {
    const older = { ...RECORDER, recordingGroup: { allSupported: false, resourceTypes: ['AWS::S3::Bucket'] } };
    const events = [
      putRecorder('2025-05-01T00:00:00Z', older),
      ...recording,
      putRecorder('2025-07-01T00:00:00Z', { ...older, name: 'other' }),
      history('PutConfigurationRecorder', '2025-07-02T00:00:00Z', {
        requestParameters: { configurationRecorder: older },
        errorCode: 'InvalidRoleException',
      }),
      recorderCall('StopConfigurationRecorder', '2025-07-03T00:00:00Z', 'other'),
    ];
    const plan = actOrFail(action.plan(recorderTarget(), state(events)));
    expect(plan.calls[0]!.input).toEqual({ ConfigurationRecorder: RECORDER });
    expect(plan.calls).toHaveLength(2);
  });

  it('acts: a Put without a name is the default recorder', () => {
    const { name: _name, ...unnamed } = RECORDER;
    const plan = actOrFail(
      action.plan(
        recorderTarget(),
        state([
          putRecorder('2025-06-01T09:00:00Z', unnamed),
          recorderCall('StartConfigurationRecorder', '2025-06-01T09:00:05Z'),
        ]),
      ),
    );
    expect(plan.calls[0]!.input).toEqual({ ConfigurationRecorder: RECORDER });
  });

  it.each([
    ['a Stop long before', [...recording, recorderCall('StopConfigurationRecorder', '2025-07-16T19:00:00Z')]],
    [
      'a Stop in the same second as the deletion (it came first)',
      [...recording, recorderCall('StopConfigurationRecorder', RECORDER_DELETED_AT)],
    ],
  ])('acts: recreates a recorder that was stopped (%s) without starting it', (_case, events) => {
    const plan = actOrFail(action.plan(recorderTarget(), state(events)));
    expect(plan.calls.map((c) => c.operation)).toEqual(['PutConfigurationRecorder']);
    expect(plan.summary).toMatch(/it was not recording .* so it is not started/);
    expect(plan.snapshot).toMatchObject({ started: false });
  });

  it('acts: recreates a recording recorder without starting it while no delivery channel exists', () => {
    const plan = actOrFail(action.plan(recorderTarget(), state(recording, { counterpartExists: false })));
    expect(plan.calls.map((c) => c.operation)).toEqual(['PutConfigurationRecorder']);
    expect(plan.summary).toMatch(/no delivery channel exists in the region to start it with/);
    expect(plan.snapshot).toMatchObject({ started: false });
  });

  it('acts: recreates a delivery channel with its previous definition', () => {
    const plan = actOrFail(action.plan(channelTarget(), state([putChannel('2025-06-01T09:00:03Z')])));
    expect(plan.calls).toEqual([
      { service: 'config', operation: 'PutDeliveryChannel', input: { DeliveryChannel: CHANNEL }, region: 'eu-west-1' },
    ]);
    expect(plan.snapshot).toMatchObject({ kind: 'channel', name: 'default', definition: CHANNEL });
  });

  it('already fixed: a recorder or channel that exists again with its previous definition is compliant', () => {
    expect(action.plan(recorderTarget(), state(recording, { current: DESCRIBED_RECORDER, recording: true })).kind).toBe(
      'already-compliant',
    );
    const described = { ...CHANNEL, s3KmsKeyArn: undefined };
    expect(action.plan(channelTarget(), state([putChannel('2025-06-01T09:00:03Z')], { current: described })).kind).toBe(
      'already-compliant',
    );
  });

  it("compares definitions with Config's defaults filled in", () => {
    const bare = { name: 'default', roleARN: SERVICE_LINKED };
    const described = {
      ...bare,
      recordingGroup: {
        allSupported: true,
        includeGlobalResourceTypes: false,
        resourceTypes: [],
        exclusionByResourceTypes: { resourceTypes: [] },
        recordingStrategy: { useOnly: 'ALL_SUPPORTED_RESOURCE_TYPES' },
      },
      recordingMode: { recordingFrequency: 'CONTINUOUS', recordingModeOverrides: [] },
    };
    expect(canonicalDefinition('recorder', bare)).toBe(canonicalDefinition('recorder', described));
    expect(canonicalDefinition('recorder', bare)).not.toBe(
      canonicalDefinition('recorder', { ...described, recordingMode: { recordingFrequency: 'DAILY' } }),
    );
    expect(canonicalDefinition('channel', { name: 'default', s3BucketName: 'b' })).toBe(
      canonicalDefinition('channel', {
        name: 'default',
        s3BucketName: 'b',
        configSnapshotDeliveryProperties: { deliveryFrequency: 'TwentyFour_Hours' },
      }),
    );
  });

  const custom = { ...RECORDER, roleARN: `arn:aws:iam::${MEMBER}:role/ConfigRecorderRole` };
  it.each([
    [
      'the recorder exists again with another definition',
      state(recording, { current: { ...DESCRIBED_RECORDER, roleARN: custom.roleARN }, recording: true }),
      /exists again with another definition; not overwriting/,
    ],
    [
      'the recorder exists again and history cannot tell its previous definition',
      state([], { current: DESCRIBED_RECORDER }),
      /exists again and its previous definition is unknown/,
    ],
    ['nothing in history tells', state([]), /previous definition .* unknown.*90-day/],
    ['history was cut short', state([], {}, false), /previous definition .* unknown.*in part/],
    [
      'the newest Put is unreadable (CloudTrail omitted its parameters)',
      state([...recording, { eventId: 'x', eventName: 'PutConfigurationRecorder', eventTime: '2025-07-01T00:00:00Z' }]),
      /unknown.*unreadable/,
    ],
    [
      'the newest Put has no recorder in its request',
      state([...recording, history('PutConfigurationRecorder', '2025-07-01T00:00:00Z', { requestParameters: {} })]),
      /unknown.*without its configurationRecorder/,
    ],
    [
      'a Put recreated it after the deletion (the newer change wins)',
      state([...recording, putRecorder('2025-07-16T20:00:00Z')]),
      /not the newest change .*PutConfigurationRecorder/,
    ],
    [
      'it was deleted again after the deletion',
      state([...recording, recorderCall('DeleteConfigurationRecorder', '2025-07-16T21:00:00Z')]),
      /not the newest change .*DeleteConfigurationRecorder/,
    ],
    [
      'an unreadable record of a change after the deletion',
      state([
        ...recording,
        { eventId: 'y', eventName: 'StartConfigurationRecorder', eventTime: '2025-07-16T20:00:00Z' },
      ]),
      /not the newest change .*unreadable/,
    ],
    [
      'a Put in the same second as the deletion',
      state([...recording, putRecorder(RECORDER_DELETED_AT)]),
      /same second as the deletion .* order is unknown/,
    ],
    [
      'a Start and a Stop in the same second as the deletion',
      state([
        ...recording,
        recorderCall('StopConfigurationRecorder', RECORDER_DELETED_AT),
        recorderCall('StartConfigurationRecorder', RECORDER_DELETED_AT),
      ]),
      /same second as the deletion .* order is unknown/,
    ],
    [
      'the recorder was already deleted before (no definition to restore)',
      state([...recording, recorderCall('DeleteConfigurationRecorder', '2025-07-01T00:00:00Z')]),
      /had no definition before the event/,
    ],
    [
      'the recorder used a custom role (passing it would be privilege escalation)',
      state([
        putRecorder('2025-06-01T09:00:00Z', custom),
        recorderCall('StartConfigurationRecorder', '2025-06-01T09:00:05Z'),
      ]),
      /ConfigRecorderRole.*custom recorder role would have to be passed; passing arbitrary roles is privilege escalation/,
    ],
    [
      "another account's service-linked role",
      state([
        putRecorder('2025-06-01T09:00:00Z', { ...RECORDER, roleARN: SERVICE_LINKED.replace(MEMBER, '555555555555') }),
        recorderCall('StartConfigurationRecorder', '2025-06-01T09:00:05Z'),
      ]),
      /privilege escalation/,
    ],
    [
      'whether it was recording is unknown',
      state([putRecorder('2025-06-01T09:00:00Z')]),
      /whether configuration recorder default .* was recording is unknown/,
    ],
  ])('ambiguous or not ours, refuses the recorder: %s', (_case, s, reason) => {
    expect(action.plan(recorderTarget(), s)).toEqual(refusal(reason));
  });

  it.each([
    [
      'no recorder exists (Config accepts a channel only next to one)',
      state([putChannel('2025-06-01T09:00:03Z')], { counterpartExists: false }),
      /no configuration recorder exists .*recreate the recorder first/,
    ],
    [
      'the channel exists again, re-pointed',
      state([putChannel('2025-06-01T09:00:03Z')], {
        current: { ...CHANNEL, s3BucketName: 'config-copy-999988887777' },
      }),
      /exists again with another definition/,
    ],
    [
      'a later PutDeliveryChannel',
      state([putChannel('2025-06-01T09:00:03Z'), putChannel('2025-07-17T00:00:00Z')]),
      /not the newest change/,
    ],
    ['history was cut short', state([], {}, false), /unknown.*in part/],
  ])('ambiguous or not ours, refuses the channel: %s', (_case, s, reason) => {
    expect(action.plan(channelTarget(), s)).toEqual(refusal(reason));
  });

  it('verifies that the recorder or channel exists again with its previous definition', () => {
    // After acting, history holds vigil's own Put after the deletion: verify compares with the definition before it.
    const after = [...recording, putRecorder('2025-07-16T19:30:00Z')];
    expect(action.verify(recorderTarget(), state(after, { current: DESCRIBED_RECORDER, recording: true }))).toEqual({
      fixed: true,
      detail: 'configuration recorder default exists with its previous definition and is recording',
    });
    expect(action.verify(recorderTarget(), state(after)).fixed).toBe(false);
    expect(
      action.verify(recorderTarget(), state(after, { current: { ...DESCRIBED_RECORDER, roleARN: 'x' } })).fixed,
    ).toBe(false);
    expect(
      action.verify(channelTarget(), state([putChannel('2025-06-01T09:00:03Z')], { current: CHANNEL })).fixed,
    ).toBe(true);
  });

  it('undo deletes what it recreated, stopping a recorder it started first, from the stored snapshot alone', () => {
    const started = actOrFail(action.plan(recorderTarget(), state(recording)));
    expect(action.undo(stored(started.snapshot))).toEqual([
      {
        service: 'config',
        operation: 'StopConfigurationRecorder',
        input: { ConfigurationRecorderName: 'default' },
        region: 'eu-west-1',
      },
      {
        service: 'config',
        operation: 'DeleteConfigurationRecorder',
        input: { ConfigurationRecorderName: 'default' },
        region: 'eu-west-1',
      },
    ]);
    const notStarted = actOrFail(action.plan(recorderTarget(), state(recording, { counterpartExists: false })));
    expect(action.undo(stored(notStarted.snapshot)).map((c) => c.operation)).toEqual(['DeleteConfigurationRecorder']);
    const channel = actOrFail(action.plan(channelTarget(), state([putChannel('2025-06-01T09:00:03Z')])));
    expect(action.undo(stored(channel.snapshot))).toEqual([
      {
        service: 'config',
        operation: 'DeleteDeliveryChannel',
        input: { DeliveryChannelName: 'default' },
        region: 'eu-west-1',
      },
    ]);
  });

  it('a redelivered event after the fix is compliant: it makes no second recorder', () => {
    const after = [
      ...recording,
      putRecorder('2025-07-16T19:30:00Z'),
      recorderCall('StartConfigurationRecorder', '2025-07-16T19:30:01Z'),
    ];
    expect(action.plan(recorderTarget(), state(after, { current: DESCRIBED_RECORDER, recording: true })).kind).toBe(
      'already-compliant',
    );
  });

  it('declares exactly the calls it makes', () => {
    expect(action.iamActions).toEqual([
      'config:PutConfigurationRecorder',
      'config:PutDeliveryChannel',
      'config:StartConfigurationRecorder',
    ]);
    expect(action.readIamActions).toEqual([
      'config:DescribeConfigurationRecorders',
      'config:DescribeConfigurationRecorderStatus',
      'config:DescribeDeliveryChannels',
      'cloudtrail:LookupEvents',
    ]);
    expect(action.undoIamActions).toEqual([
      'config:DeleteConfigurationRecorder',
      'config:DeleteDeliveryChannel',
      'config:StopConfigurationRecorder',
    ]);
    expect(CHANNEL_DELETED_AT < RECORDER_DELETED_AT).toBe(true);
  });
});
