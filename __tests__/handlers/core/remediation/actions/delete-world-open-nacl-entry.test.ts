import {
  deleteWorldOpenNaclEntry as action,
  describeEntry,
  type NetworkAclEntry,
  type NetworkAclState,
} from '../../../../../handlers/core/remediation/actions/delete-world-open-nacl-entry';
import type { HistoryEvent } from '../../../../../handlers/core/remediation/actions/support';
import { CTX, loadRemediationEvent, type MutableEvent } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const ACL = 'acl-0e1f2a3b4c5d6e7f8';
const SSH_WORLD: NetworkAclEntry = {
  RuleNumber: 100,
  Egress: false,
  Protocol: '6',
  RuleAction: 'allow',
  CidrBlock: '0.0.0.0/0',
  PortRange: { From: 22, To: 22 },
};
const RDP_WORLD6: NetworkAclEntry = {
  RuleNumber: 90,
  Egress: false,
  Protocol: '6',
  RuleAction: 'allow',
  Ipv6CidrBlock: '::/0',
  PortRange: { From: 3389, To: 3389 },
};
const DENY_ALL: NetworkAclEntry = {
  RuleNumber: 32767,
  Egress: false,
  Protocol: '-1',
  RuleAction: 'deny',
  CidrBlock: '0.0.0.0/0',
};
const EGRESS_100: NetworkAclEntry = { ...SSH_WORLD, Egress: true };

const none = { events: [], complete: true };
const state = (entries: NetworkAclEntry[], history: NetworkAclState['history'] = none): NetworkAclState => ({
  exists: true,
  entries,
  history,
});
const entryEvent = (
  id: string,
  time: string,
  request: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): HistoryEvent => ({
  eventId: id,
  eventName: 'CreateNetworkAclEntry',
  eventTime: time,
  cloudTrailEvent: JSON.stringify({
    requestParameters: { networkAclId: ACL, ruleNumber: 100, egress: false, ...request },
    ...extra,
  }),
});
const PRIVATE_SSH = { ruleAction: 'allow', aclProtocol: '6', portRange: { from: 22, to: 22 }, cidrBlock: '10.0.0.0/8' };

const created = () => targetOrFail(action.target(loadRemediationEvent('ec2-create-nacl-entry'), CTX));
const replaced = () => targetOrFail(action.target(loadRemediationEvent('ec2-replace-nacl-entry'), CTX));

describe('delete-world-open-nacl-entry', () => {
  it('targets the entry the event named (ACL, rule number, direction) and reads the ACL', () => {
    expect(created()).toMatchObject({
      resourceId: `${ACL}/90`,
      region: 'eu-west-1',
      details: { networkAclId: ACL, ruleNumber: 90, egress: false, eventName: 'CreateNetworkAclEntry' },
    });
    expect(action.stateReads(created())).toEqual([
      { service: 'ec2', operation: 'DescribeNetworkAcls', input: { NetworkAclIds: [ACL] }, region: 'eu-west-1' },
    ]);
  });

  it('looks the replaced entry up in CloudTrail history, bounded to the 90 days before the event', () => {
    expect(action.stateReads(replaced())[1]).toEqual({
      service: 'cloudtrail',
      operation: 'LookupEvents',
      input: {
        LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: ACL }],
        StartTime: '2025-03-12T14:25:00.000Z',
        EndTime: '2025-06-10T14:25:00Z',
      },
      region: 'eu-west-1',
    });
  });

  it.each([
    [
      'another event',
      (e: MutableEvent) => (e.detail.eventName = 'DeleteNetworkAclEntry'),
      /does not create or replace/,
    ],
    [
      'no ACL id',
      (e: MutableEvent) => delete (e.detail.requestParameters as any).networkAclId,
      /names no network ACL id/,
    ],
    [
      'no rule number',
      (e: MutableEvent) => delete (e.detail.requestParameters as any).ruleNumber,
      /names no network ACL id or rule number/,
    ],
    ['an egress entry', (e: MutableEvent) => ((e.detail.requestParameters as any).egress = true), /is egress/],
    ['a deny entry', (e: MutableEvent) => ((e.detail.requestParameters as any).ruleAction = 'deny'), /does not open/],
    [
      'a private range',
      (e: MutableEvent) => ((e.detail.requestParameters as any).cidrBlock = '10.0.0.0/8'),
      /does not open/,
    ],
  ])('refuses %s', (_case, change, reason) => {
    const event = loadRemediationEvent('ec2-replace-nacl-entry');
    change(event);

    expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
  });

  it('deletes exactly the created entry (rule number and direction) and leaves the other entries alone', () => {
    const plan = actOrFail(action.plan(created(), state([RDP_WORLD6, SSH_WORLD, DENY_ALL])));

    expect(plan.calls).toEqual([
      {
        service: 'ec2',
        operation: 'DeleteNetworkAclEntry',
        input: { NetworkAclId: ACL, RuleNumber: 90, Egress: false },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.summary).toBe(`delete rule 90 ingress allow 6 3389-3389 from ::/0 of ${ACL}`);
    expect(stored(plan.snapshot)).toEqual({
      networkAclId: ACL,
      region: 'eu-west-1',
      entry: RDP_WORLD6,
      restored: false,
    });
  });

  it('restores the replaced entry when history knows it', () => {
    const history = { complete: true, events: [entryEvent('old', '2025-05-01T00:00:00Z', PRIVATE_SSH)] };
    const plan = actOrFail(action.plan(replaced(), state([SSH_WORLD, DENY_ALL], history)));

    expect(plan.calls).toEqual([
      {
        service: 'ec2',
        operation: 'ReplaceNetworkAclEntry',
        input: {
          NetworkAclId: ACL,
          RuleNumber: 100,
          Egress: false,
          Protocol: '6',
          RuleAction: 'allow',
          CidrBlock: '10.0.0.0/8',
          PortRange: { From: 22, To: 22 },
        },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.summary).toMatch(
      /^restore rule 100 ingress allow 6 22-22 from 10.0.0.0\/8 of acl-\S+ \(CreateNetworkAclEntry old at/,
    );
    expect(stored(plan.snapshot)).toMatchObject({ entry: SSH_WORLD, restored: true });
  });

  it.each([
    ['history is empty', none, /the replaced entry is unknown: no call set/],
    ['history was cut short', { events: [], complete: false }, /read only in part/],
    [
      'the newest record is unreadable',
      {
        complete: true,
        events: [{ eventId: 'x', eventName: 'ReplaceNetworkAclEntry', eventTime: '2025-05-01T00:00:00Z' }],
      },
      /record is unreadable/,
    ],
    [
      'the record names no protocol',
      {
        complete: true,
        events: [entryEvent('p', '2025-05-01T00:00:00Z', { ruleAction: 'allow', cidrBlock: '10.0.0.0/8' })],
      },
      /names no protocol or rule action/,
    ],
    [
      'the record has no request parameters',
      {
        complete: true,
        events: [
          {
            eventId: 'q',
            eventName: 'ReplaceNetworkAclEntry',
            eventTime: '2025-05-01T00:00:00Z',
            cloudTrailEvent: '{"eventName":"x"}',
          },
        ],
      },
      /no request parameters/,
    ],
    [
      'the replaced entry opened SSH to the world too',
      {
        complete: true,
        events: [
          entryEvent('w', '2025-05-01T00:00:00Z', {
            ...PRIVATE_SSH,
            cidrBlock: '0.0.0.0/0',
            portRange: { from: 0, to: 65535 },
          }),
        ],
      },
      /opened an admin port to the world too/,
    ],
  ])('deletes the entry when %s', (_case, history, why) => {
    const plan = actOrFail(action.plan(replaced(), state([SSH_WORLD], history)));

    expect(plan.calls).toEqual([expect.objectContaining({ operation: 'DeleteNetworkAclEntry' })]);
    expect(plan.summary).toMatch(why);
  });

  it('skips history of other entries, other ACLs and failed calls', () => {
    const history = {
      complete: true,
      events: [
        entryEvent('other-rule', '2025-06-01T00:00:00Z', { ...PRIVATE_SSH, ruleNumber: 110, cidrBlock: '0.0.0.0/0' }),
        entryEvent('egress', '2025-06-01T00:00:01Z', { ...PRIVATE_SSH, egress: true }),
        entryEvent('other-acl', '2025-06-01T00:00:02Z', { ...PRIVATE_SSH, networkAclId: 'acl-other' }),
        entryEvent('failed', '2025-06-01T00:00:03Z', PRIVATE_SSH, { errorCode: 'Client.UnauthorizedOperation' }),
        entryEvent('older', '2025-05-01T00:00:00Z', {
          ...PRIVATE_SSH,
          cidrBlock: '192.168.0.0/16',
          icmpTypeCode: { code: -1, type: -1 },
        }),
      ],
    };
    const plan = actOrFail(action.plan(replaced(), state([SSH_WORLD], history)));

    expect(plan.calls[0]?.input).toMatchObject({ CidrBlock: '192.168.0.0/16', IcmpTypeCode: { Code: -1, Type: -1 } });
  });

  it('is already compliant when the ACL or entry is gone, or the entry no longer opens an admin port', () => {
    expect(action.plan(created(), { exists: false, entries: [], history: none })).toMatchObject({
      kind: 'already-compliant',
      reason: expect.stringMatching(/no longer exists/),
    });
    expect(action.plan(created(), state([SSH_WORLD, DENY_ALL]))).toMatchObject({
      kind: 'already-compliant',
      reason: `entry 90 (ingress) of ${ACL} no longer exists`,
    });
    expect(action.plan(replaced(), state([EGRESS_100, { ...SSH_WORLD, CidrBlock: '10.0.0.0/8' }]))).toMatchObject({
      kind: 'already-compliant',
      reason: expect.stringMatching(/no longer opens/),
    });
  });

  it('verifies from a fresh read', () => {
    expect(action.verify(created(), state([SSH_WORLD]))).toMatchObject({ fixed: true });
    expect(action.verify(created(), { exists: false, entries: [], history: none })).toMatchObject({ fixed: true });
    expect(action.verify(created(), state([RDP_WORLD6]))).toEqual({
      fixed: false,
      detail: `still open: rule 90 ingress allow 6 3389-3389 from ::/0 of ${ACL}`,
    });
  });

  it('undoes a delete by creating the entry again, and a restore by replacing it back', () => {
    const deleted = actOrFail(action.plan(created(), state([RDP_WORLD6])));
    const history = { complete: true, events: [entryEvent('old', '2025-05-01T00:00:00Z', PRIVATE_SSH)] };
    const restored = actOrFail(action.plan(replaced(), state([SSH_WORLD], history)));

    expect(action.undo(stored(deleted.snapshot))).toEqual([
      {
        service: 'ec2',
        operation: 'CreateNetworkAclEntry',
        input: { NetworkAclId: ACL, ...RDP_WORLD6 },
        region: 'eu-west-1',
      },
    ]);
    expect(action.undo(stored(restored.snapshot))).toEqual([
      {
        service: 'ec2',
        operation: 'ReplaceNetworkAclEntry',
        input: { NetworkAclId: ACL, ...SSH_WORLD },
        region: 'eu-west-1',
      },
    ]);
  });

  it('describes entries it cannot fully read', () => {
    expect(describeEntry({})).toBe('rule ? ingress ? ? from ?');
    expect(describeEntry({ PortRange: {} })).toBe('rule ? ingress ? ? ?-? from ?');
  });
});
