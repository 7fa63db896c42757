/**
 * delete-world-open-nacl-entry: after CreateNetworkAclEntry / ReplaceNetworkAclEntry put an ingress `allow`
 * entry that opens SSH, RDP or all ports to the internet (`0.0.0.0/0`, `::/0`: the catalog's own reader,
 * rules/exposure.ts `networkAclEntryPermissions` + `opensAdminPortsToWorld`), acts on exactly that entry,
 * named by the network ACL id, its rule number and its egress flag:
 *
 * - CreateNetworkAclEntry: `DeleteNetworkAclEntry { NetworkAclId, RuleNumber, Egress }`.
 * - ReplaceNetworkAclEntry: the entry that was replaced is put back with `ReplaceNetworkAclEntry` when the
 *   shared previous-value reader (../previous-value.ts) knows it from the ACL's CloudTrail history (the last
 *   Create/Replace of that rule number and direction before the event) and it did not open an admin port to
 *   the world itself; otherwise (history incomplete, record unreadable, or older than 90 days) the entry is
 *   deleted, and the reason says which.
 *
 * Never weakens: NACL entries are evaluated in rule-number order and the first match decides, so deleting an
 * `allow` entry can only let traffic fall through to a later entry (or the final deny): the allowed set
 * shrinks or stays. Only the named entry is touched; the other entries of the ACL stay.
 *
 * The state is re-read with DescribeNetworkAcls: an ACL or entry that is gone, or an entry that no longer
 * opens an admin port to the world (someone fixed it, or the event redelivered after the fix), is already
 * compliant. The snapshot keeps the offending entry as described; undo creates it again (after a delete) or
 * replaces the restored entry with it (after a restore).
 */
import { networkAclEntryPermissions, opensAdminPortsToWorld } from '../../../../rules/exposure';
import { historyLookup, previousValue, type Setting, succeeded, triggerOf } from '../previous-value';
import type { PlannedCall, RemediationActionDef, RemediationTarget } from '../types';
import {
  act,
  call,
  compliant,
  detail,
  eventIdOf,
  eventTimeOf,
  type HistoryPage,
  isObject,
  type Json,
  num,
  refuse,
  regionOf,
  requestOf,
  str,
  targetOf,
} from './support';

/** A network ACL entry as DescribeNetworkAcls returns it (the fields this action reads and writes). */
export interface NetworkAclEntry {
  readonly RuleNumber?: number;
  readonly Egress?: boolean;
  /** `-1`, or a protocol number as a string (`6`, `17`, ...). */
  readonly Protocol?: string;
  /** `allow` or `deny`. */
  readonly RuleAction?: string;
  readonly CidrBlock?: string;
  readonly Ipv6CidrBlock?: string;
  readonly PortRange?: { readonly From?: number; readonly To?: number };
  readonly IcmpTypeCode?: { readonly Code?: number; readonly Type?: number };
}

/** The ACL now (DescribeNetworkAcls by id), and for a replaced entry its CloudTrail history up to the event. */
export interface NetworkAclState {
  /** False when DescribeNetworkAcls answers InvalidNetworkAclID.NotFound. */
  readonly exists: boolean;
  readonly entries: readonly NetworkAclEntry[];
  /** LookupEvents by ResourceName = the ACL id (empty and complete for a created entry: nothing to restore). */
  readonly history: HistoryPage;
}

const ACTION = 'delete-world-open-nacl-entry';

/** The entry a CloudTrail Create/ReplaceNetworkAclEntry request describes, in DescribeNetworkAcls' shape. */
export function entryOfRequest(request: Json): NetworkAclEntry {
  const ports = isObject(request['portRange']) ? request['portRange'] : undefined;
  const icmp = isObject(request['icmpTypeCode']) ? request['icmpTypeCode'] : {};
  const protocol = request['aclProtocol'] ?? request['protocol'];
  // Absent fields stay undefined: the SDK and the JSON of a snapshot both drop them.
  return {
    RuleNumber: num(request['ruleNumber']),
    Egress: request['egress'] === true || request['egress'] === 'true',
    Protocol: typeof protocol === 'string' || typeof protocol === 'number' ? String(protocol) : undefined,
    RuleAction: str(request['ruleAction'])?.toLowerCase(),
    CidrBlock: str(request['cidrBlock']),
    Ipv6CidrBlock: str(request['ipv6CidrBlock']),
    PortRange: ports ? { From: num(ports['from']), To: num(ports['to']) } : undefined,
    IcmpTypeCode:
      num(icmp['code']) !== undefined || num(icmp['type']) !== undefined
        ? { Code: num(icmp['code']), Type: num(icmp['type']) }
        : undefined,
  };
}

/** Whether an entry allows SSH, RDP or all ports in from the whole internet (the catalog's test). */
export function entryOpensAdminPortsToWorld(e: NetworkAclEntry): boolean {
  return opensAdminPortsToWorld(
    networkAclEntryPermissions({
      requestParameters: {
        ruleAction: e.RuleAction,
        egress: e.Egress === true,
        aclProtocol: e.Protocol,
        portRange: { from: e.PortRange?.From, to: e.PortRange?.To },
        cidrBlock: e.CidrBlock,
        ipv6CidrBlock: e.Ipv6CidrBlock,
      },
    }),
  );
}

/** `rule 100 ingress allow 6 22-22 from 0.0.0.0/0`. */
export function describeEntry(e: NetworkAclEntry): string {
  const ports = e.PortRange ? ` ${e.PortRange.From ?? '?'}-${e.PortRange.To ?? '?'}` : '';
  return `rule ${e.RuleNumber ?? '?'} ${e.Egress ? 'egress' : 'ingress'} ${e.RuleAction ?? '?'} ${e.Protocol ?? '?'}${ports} from ${e.CidrBlock ?? e.Ipv6CidrBlock ?? '?'}`;
}

/** The SDK input that (re)creates `e` in `aclId` (Create/ReplaceNetworkAclEntry take the same fields). */
function entryInput(aclId: string, e: NetworkAclEntry): Json {
  return {
    NetworkAclId: aclId,
    RuleNumber: e.RuleNumber,
    Egress: e.Egress === true,
    Protocol: e.Protocol,
    RuleAction: e.RuleAction,
    CidrBlock: e.CidrBlock,
    Ipv6CidrBlock: e.Ipv6CidrBlock,
    PortRange: e.PortRange,
    IcmpTypeCode: e.IcmpTypeCode,
  };
}

const ruleOf = (target: RemediationTarget): number => Number(target.details['ruleNumber']);
const egressOf = (target: RemediationTarget): boolean => target.details['egress'] === true;

/** The entry of the ACL the target names (rule number and direction), if it is still there. */
const namedEntry = (target: RemediationTarget, state: NetworkAclState): NetworkAclEntry | undefined =>
  state.entries.find((e) => e.RuleNumber === ruleOf(target) && (e.Egress === true) === egressOf(target));

/** What a Create/Replace record says about the entry (rule number, direction) of the ACL. */
const entrySetting = (aclId: string, ruleNumber: number, egress: boolean): Setting<NetworkAclEntry> => ({
  name: `${egress ? 'egress' : 'ingress'} entry ${ruleNumber} of ${aclId}`,
  eventNames: ['CreateNetworkAclEntry', 'ReplaceNetworkAclEntry'],
  read(record) {
    if (!succeeded(record)) return { kind: 'unchanged' };
    const request = record['requestParameters'];
    if (!isObject(request)) return { kind: 'unreadable', why: 'no request parameters' };
    const entry = entryOfRequest(request);
    if (str(request['networkAclId']) !== aclId || entry.RuleNumber !== ruleNumber || entry.Egress !== egress) {
      return { kind: 'unchanged' };
    }
    if (entry.Protocol === undefined || entry.RuleAction === undefined) {
      return { kind: 'unreadable', why: 'the request names no protocol or rule action' };
    }
    return { kind: 'set', value: entry };
  },
});

export const deleteWorldOpenNaclEntry: RemediationActionDef<NetworkAclState> = {
  id: ACTION,
  title: 'Delete (or restore the replaced) network ACL entry that opens SSH, RDP or all ports to the internet',
  iamActions: ['ec2:DeleteNetworkAclEntry', 'ec2:ReplaceNetworkAclEntry'],
  readIamActions: ['ec2:DescribeNetworkAcls', 'cloudtrail:LookupEvents'],
  undoIamActions: ['ec2:CreateNetworkAclEntry', 'ec2:ReplaceNetworkAclEntry'],

  target(event) {
    const name = event.detail.eventName;
    if (name !== 'CreateNetworkAclEntry' && name !== 'ReplaceNetworkAclEntry') {
      return refuse(`${name} does not create or replace a network ACL entry`);
    }
    const request = requestOf(event);
    const aclId = str(request['networkAclId']);
    const ruleNumber = num(request['ruleNumber']);
    if (!aclId || ruleNumber === undefined) return refuse(`${name} event names no network ACL id or rule number`);
    const entry = entryOfRequest(request);
    if (entry.Egress) return refuse(`entry ${ruleNumber} of ${aclId} is egress; it lets nothing in`);
    if (!entryOpensAdminPortsToWorld(entry)) {
      return refuse(`entry ${ruleNumber} of ${aclId} does not open SSH, RDP or all ports to the world`);
    }
    return targetOf(ACTION, event, regionOf(event), `${aclId}/${ruleNumber}`, {
      eventName: name,
      networkAclId: aclId,
      ruleNumber,
      egress: false,
      eventId: eventIdOf(event),
      eventTime: eventTimeOf(event),
    });
  },

  stateReads(target) {
    const aclId = detail(target, 'networkAclId');
    const describe = call('ec2', 'DescribeNetworkAcls', { NetworkAclIds: [aclId] }, target.region);
    if (detail(target, 'eventName') !== 'ReplaceNetworkAclEntry') return [describe];
    const trigger = triggerOf(target);
    return [describe, historyLookup(aclId, trigger, target.region)];
  },

  plan(target, state) {
    const aclId = detail(target, 'networkAclId');
    const where = `entry ${ruleOf(target)} (${egressOf(target) ? 'egress' : 'ingress'}) of ${aclId}`;
    if (!state.exists) return compliant(target, `network ACL ${aclId} no longer exists`);
    const entry = namedEntry(target, state);
    if (!entry) return compliant(target, `${where} no longer exists`);
    if (!entryOpensAdminPortsToWorld(entry)) {
      return compliant(target, `${where} no longer opens SSH, RDP or all ports to the world`);
    }
    const snapshot = { networkAclId: aclId, region: target.region, entry: entry as unknown as Json };
    const remove = (why: string) =>
      act(
        target,
        `delete ${describeEntry(entry)} of ${aclId}${why}`,
        [
          call(
            'ec2',
            'DeleteNetworkAclEntry',
            { NetworkAclId: aclId, RuleNumber: entry.RuleNumber, Egress: entry.Egress === true },
            target.region,
          ),
        ],
        { ...snapshot, restored: false },
      );
    if (detail(target, 'eventName') !== 'ReplaceNetworkAclEntry') return remove('');
    const trigger = triggerOf(target);
    const previous = previousValue(entrySetting(aclId, ruleOf(target), egressOf(target)), trigger, state.history);
    if (previous.kind === 'unknown') return remove(` (the replaced entry is unknown: ${previous.reason})`);
    if (entryOpensAdminPortsToWorld(previous.value)) {
      return remove(` (the replaced entry, ${previous.evidence}, opened an admin port to the world too)`);
    }
    return act(
      target,
      `restore ${describeEntry(previous.value)} of ${aclId} (${previous.evidence}) in place of ${describeEntry(entry)}`,
      [call('ec2', 'ReplaceNetworkAclEntry', entryInput(aclId, previous.value), target.region)],
      { ...snapshot, restored: true },
    );
  },

  verify(target, stateAfter) {
    const entry = stateAfter.exists ? namedEntry(target, stateAfter) : undefined;
    return entry && entryOpensAdminPortsToWorld(entry)
      ? { fixed: false, detail: `still open: ${describeEntry(entry)} of ${detail(target, 'networkAclId')}` }
      : {
          fixed: true,
          detail: `entry ${ruleOf(target)} of ${detail(target, 'networkAclId')} opens no admin port to the world`,
        };
  },

  undo(snapshot): readonly PlannedCall[] {
    const aclId = String(snapshot['networkAclId']);
    const entry = (isObject(snapshot['entry']) ? snapshot['entry'] : {}) as NetworkAclEntry;
    const operation = snapshot['restored'] === true ? 'ReplaceNetworkAclEntry' : 'CreateNetworkAclEntry';
    return [call('ec2', operation, entryInput(aclId, entry), String(snapshot['region']))];
  },
};
