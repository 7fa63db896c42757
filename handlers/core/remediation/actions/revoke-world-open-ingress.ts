/**
 * revoke-world-open-ingress: removes exactly the security group rules an event opened to the whole
 * internet on SSH, RDP or all ports, and nothing else of the group. "The whole internet" is decided by the
 * catalog's own normaliser (rules/exposure.ts `worldOpeningPermissions`): a `/0`, or rules of the event
 * whose CIDRs add up to the whole space (`0.0.0.0/1` + `128.0.0.0/1`); a private rule next to a `/0` stays.
 *
 * - AuthorizeSecurityGroupIngress records the new rules, with their ids, in
 *   `responseElements.securityGroupRuleSet.items[]`; the offending ones are revoked by
 *   `RevokeSecurityGroupIngress { GroupId, SecurityGroupRuleIds }`, the precise form (ASR issue #246 shows
 *   what revoking by permission can over-remove on shared permissions).
 * - Events without the rule set (recorded before security group rule ids existed) name permissions
 *   only; the current rules are matched exactly (protocol, ports, the world CIDR) and revoked by the ids
 *   that match, which removes the same rule `IpPermissions` would and keeps the audit record exact.
 * - ModifySecurityGroupRules names the rule id in the request; whether it is ingress is only known from
 *   the re-read (egress rules are refused: not this action's business).
 *
 * The state is re-read with DescribeSecurityGroupRules; a rule that is gone, or no longer world-open on
 * an admin port, is compliant. The snapshot keeps each revoked rule as described so undo can authorize
 * it again.
 */
import {
  securityGroupResponsePermissions,
  modifiedRulePermissions,
  worldOpeningPermissions,
} from '../../../../rules/exposure';
import { coversAdminPort } from '../../../../rules/predicates';
import type { PlannedCall, RemediationActionDef, RemediationTarget } from '../types';
import {
  act,
  asArray,
  call,
  compliant,
  detail,
  isObject,
  items,
  type Json,
  num,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  responseOf,
  str,
  targetOf,
} from './support';

/** A security group rule as DescribeSecurityGroupRules returns it (the fields this action reads). */
export interface SecurityGroupRule {
  readonly SecurityGroupRuleId?: string;
  readonly GroupId?: string;
  readonly IsEgress?: boolean;
  readonly IpProtocol?: string;
  readonly FromPort?: number;
  readonly ToPort?: number;
  readonly CidrIpv4?: string;
  readonly CidrIpv6?: string;
  readonly PrefixListId?: string;
  readonly Description?: string;
}

/** Current rules of the group (every page of DescribeSecurityGroupRules filtered by group-id). */
export interface IngressState {
  readonly rules: readonly SecurityGroupRule[];
}

/** A world-open permission named by a legacy event (no rule ids). */
export interface WorldPermission {
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidr: string;
}

const ACTION = 'revoke-world-open-ingress';

/** Any `/0` is the whole address space, whatever the base address (same test as the catalog predicates). */
const isWorld = (cidr: unknown): boolean => typeof cidr === 'string' && /\/0$/.test(cidr.trim());

/** Protocol numbers and names as EC2 uses them interchangeably. */
const PROTOCOL_NAMES: Readonly<Record<string, string>> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };
const normProtocol = (p: unknown): string => {
  const raw = String(p ?? '-1')
    .trim()
    .toLowerCase();
  if (raw === 'all' || raw === '-1') return '-1';
  return PROTOCOL_NAMES[raw] ?? raw;
};

/** The world CIDR of a rule, if it has one. */
const worldCidrOf = (r: SecurityGroupRule): string | undefined =>
  isWorld(r.CidrIpv4) ? r.CidrIpv4 : isWorld(r.CidrIpv6) ? r.CidrIpv6 : undefined;

/**
 * The rules among `rules` that open SSH, RDP or all ports to the world, alone (`/0`) or together (a union
 * of CIDRs): the normaliser's minimal set (rules/exposure.ts).
 */
function offendingRules(rules: readonly SecurityGroupRule[]): SecurityGroupRule[] {
  const perms = securityGroupResponsePermissions({
    securityGroupRuleSet: {
      items: rules.map((r) => ({
        securityGroupRuleId: r.SecurityGroupRuleId,
        isEgress: r.IsEgress === true,
        ipProtocol: r.IpProtocol,
        fromPort: r.FromPort,
        toPort: r.ToPort,
        cidrIpv4: r.CidrIpv4,
        cidrIpv6: r.CidrIpv6,
      })),
    },
  });
  const ids = new Set(worldOpeningPermissions(perms).map((p) => p.ruleId));
  return rules.filter((r) => r.SecurityGroupRuleId !== undefined && ids.has(r.SecurityGroupRuleId));
}

/** Rule ids of the permissions that open an admin port to the world. */
const openingRuleIds = (perms: Parameters<typeof worldOpeningPermissions>[0]): string[] =>
  worldOpeningPermissions(perms)
    .map((p) => p.ruleId)
    .filter((id): id is string => id !== undefined);

const matchesPermission = (r: SecurityGroupRule, p: WorldPermission): boolean => {
  if (normProtocol(r.IpProtocol) !== normProtocol(p.protocol)) return false;
  if (r.CidrIpv4 !== p.cidr && r.CidrIpv6 !== p.cidr) return false;
  // Protocol -1 ignores ports (EC2 reports -1/-1); otherwise the range must be identical.
  if (normProtocol(p.protocol) === '-1') return true;
  return r.FromPort === p.fromPort && r.ToPort === p.toPort;
};

/** `sgr-0abc (tcp 22 from 0.0.0.0/0)`. */
export function describeRule(r: SecurityGroupRule): string {
  const protocol = normProtocol(r.IpProtocol);
  const ports =
    protocol === '-1'
      ? 'all traffic'
      : r.FromPort === r.ToPort
        ? `${protocol} ${r.FromPort}`
        : `${protocol} ${r.FromPort}-${r.ToPort}`;
  return `${r.SecurityGroupRuleId ?? '?'} (${ports} from ${worldCidrOf(r) ?? r.CidrIpv4 ?? r.CidrIpv6 ?? '?'})`;
}

/** Permissions of a legacy AuthorizeSecurityGroupIngress request that open an admin port to the world. */
function legacyWorldPermissions(request: Json): WorldPermission[] {
  const perms = items(request['ipPermissions']);
  if (typeof request['cidrIp'] === 'string') {
    // The flat pre-2014 request form: one permission in top-level fields.
    perms.push({
      ipProtocol: request['ipProtocol'],
      fromPort: request['fromPort'],
      toPort: request['toPort'],
      ipRanges: { items: [{ cidrIp: request['cidrIp'] }] },
    });
  }
  const out: WorldPermission[] = [];
  for (const perm of perms) {
    if (!coversAdminPort(perm['ipProtocol'], perm['fromPort'], perm['toPort'])) continue;
    const cidrs = [
      ...items(perm['ipRanges']).map((r) => r['cidrIp']),
      ...items(perm['ipv6Ranges']).map((r) => r['cidrIpv6']),
    ];
    for (const cidr of cidrs) {
      if (!isWorld(cidr)) continue;
      out.push({
        protocol: String(perm['ipProtocol'] ?? '-1'),
        fromPort: num(perm['fromPort']),
        toPort: num(perm['toPort']),
        cidr: String(cidr),
      });
    }
  }
  return out;
}

const permissionsOf = (target: RemediationTarget): WorldPermission[] =>
  asArray(target.details['permissions']).filter(isObject) as unknown as WorldPermission[];
const ruleIdsOf = (target: RemediationTarget): string[] =>
  asArray(target.details['ruleIds']).filter((v): v is string => typeof v === 'string');

/** The rules of the group the target names (by id, or by exact permission for legacy events). */
function namedRules(target: RemediationTarget, state: IngressState): SecurityGroupRule[] {
  const ids = new Set(ruleIdsOf(target));
  const permissions = permissionsOf(target);
  return state.rules.filter(
    (r) =>
      (r.SecurityGroupRuleId !== undefined && ids.has(r.SecurityGroupRuleId)) ||
      (r.IsEgress !== true && permissions.some((p) => matchesPermission(r, p))),
  );
}

/** The ingress permission that re-creates a described rule (undo). */
function permissionOf(r: SecurityGroupRule): Json {
  const range = (cidrKey: string, value: string): Json =>
    r.Description === undefined ? { [cidrKey]: value } : { [cidrKey]: value, Description: r.Description };
  return {
    IpProtocol: r.IpProtocol,
    FromPort: r.FromPort,
    ToPort: r.ToPort,
    ...(r.CidrIpv4 !== undefined ? { IpRanges: [range('CidrIp', r.CidrIpv4)] } : {}),
    ...(r.CidrIpv6 !== undefined ? { Ipv6Ranges: [range('CidrIpv6', r.CidrIpv6)] } : {}),
  };
}

export const revokeWorldOpenIngress: RemediationActionDef<IngressState> = {
  id: ACTION,
  title: 'Revoke security group ingress rules that open SSH, RDP or all ports to the internet',
  iamActions: ['ec2:RevokeSecurityGroupIngress'],
  readIamActions: ['ec2:DescribeSecurityGroupRules'],
  undoIamActions: ['ec2:AuthorizeSecurityGroupIngress'],

  target(event) {
    const region = regionOf(event);
    const request = requestOf(event);
    if (event.detail.eventName === 'ModifySecurityGroupRules') {
      const modify = request['ModifySecurityGroupRulesRequest'];
      const groupId = isObject(modify) ? str(modify['GroupId']) : undefined;
      if (!isObject(modify) || !groupId) return refuse('ModifySecurityGroupRules event names no GroupId');
      const ruleIds = openingRuleIds(modifiedRulePermissions({ requestParameters: request }));
      if (ruleIds.length === 0) return refuse('the modified rules do not open SSH, RDP or all ports to the world');
      return targetOf(ACTION, event, region, groupId, { eventName: 'ModifySecurityGroupRules', groupId, ruleIds });
    }
    if (event.detail.eventName !== 'AuthorizeSecurityGroupIngress') {
      return refuse(`${event.detail.eventName} is not an ingress change this action reverts`);
    }
    const ruleSet = responseOf(event)['securityGroupRuleSet'];
    const added = items(ruleSet);
    const groupId = str(request['groupId']) ?? str(added[0]?.['groupId']);
    if (!groupId) return refuse('AuthorizeSecurityGroupIngress event names no group id (group name only)');
    if (ruleSet !== undefined) {
      const ruleIds = openingRuleIds(securityGroupResponsePermissions(responseOf(event)));
      if (ruleIds.length === 0) return refuse('no added rule opens SSH, RDP or all ports to the world');
      return targetOf(ACTION, event, region, groupId, { eventName: 'AuthorizeSecurityGroupIngress', groupId, ruleIds });
    }
    // Legacy record without rule ids: match the exact permissions in the current rules.
    const permissions = legacyWorldPermissions(request);
    if (permissions.length === 0) return refuse('no requested permission opens SSH, RDP or all ports to the world');
    return targetOf(ACTION, event, region, groupId, {
      eventName: 'AuthorizeSecurityGroupIngress',
      groupId,
      ruleIds: [],
      permissions: permissions as unknown as Json[],
    });
  },

  stateReads(target) {
    return [
      call(
        'ec2',
        'DescribeSecurityGroupRules',
        { Filters: [{ Name: 'group-id', Values: [detail(target, 'groupId')] }] },
        target.region,
      ),
    ];
  },

  plan(target, state) {
    const groupId = detail(target, 'groupId');
    const named = namedRules(target, state);
    const offending = offendingRules(named);
    if (offending.length === 0) {
      const egress = named.filter((r) => r.IsEgress === true);
      if (egress.length > 0 && egress.length === named.length) {
        return refusePlan(target, `${egress.map((r) => r.SecurityGroupRuleId).join(', ')} is egress, not ingress`);
      }
      return compliant(
        target,
        named.length === 0
          ? `the offending rules are no longer in ${groupId}`
          : `${named.map((r) => r.SecurityGroupRuleId).join(', ')} no longer open an admin port to the world`,
      );
    }
    // One call per rule: a rule revoked meanwhile then fails alone (and counts as done) instead of
    // failing the whole request, which EC2 rejects as a unit (InvalidSecurityGroupRuleId.NotFound).
    const calls: PlannedCall[] = offending.map((r) =>
      call(
        'ec2',
        'RevokeSecurityGroupIngress',
        { GroupId: groupId, SecurityGroupRuleIds: [r.SecurityGroupRuleId] },
        target.region,
      ),
    );
    return act(target, `revoke ${offending.map(describeRule).join(', ')} on ${groupId}`, calls, {
      groupId,
      region: target.region,
      revokedRules: offending as unknown as Json[],
    });
  },

  verify(target, stateAfter) {
    const left = offendingRules(namedRules(target, stateAfter));
    return left.length === 0
      ? { fixed: true, detail: `no world-open admin-port ingress left from the event on ${detail(target, 'groupId')}` }
      : { fixed: false, detail: `still open: ${left.map(describeRule).join(', ')}` };
  },

  undo(snapshot) {
    const groupId = String(snapshot['groupId']);
    const region = String(snapshot['region']);
    return (asArray(snapshot['revokedRules']).filter(isObject) as SecurityGroupRule[]).map((r) =>
      call('ec2', 'AuthorizeSecurityGroupIngress', { GroupId: groupId, IpPermissions: [permissionOf(r)] }, region),
    );
  },
};
