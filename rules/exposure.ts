/**
 * Network exposure, normalised: the one reader of what a CloudTrail EC2 event lets in, and the
 * address arithmetic that decides whether it lets in the internet.
 *
 * CloudTrail records the same grant in many shapes: `AuthorizeSecurityGroupIngress` as
 * `ipPermissions.items[]` (or the legacy flat `cidrIp`/`ipProtocol`/`fromPort`/`toPort`), with a
 * one-element list rendered as an object; its response as `securityGroupRuleSet.items[]`, one rule per
 * CIDR; `ModifySecurityGroupRules` in PascalCase under `ModifySecurityGroupRulesRequest`; NACL entries
 * as `portRange` + `aclProtocol` numbers; ports as numbers or numeric strings; and a request whose
 * recorded form exceeded CloudTrail's field size as `{ "omitted": true }`. {@link permissionsOf} turns
 * each into the same list of {@link Permission}s, and {@link worldOpenAdminPorts} decides on that list
 * alone, so every exposure predicate gives the same answer for the same grant.
 *
 * World access is decided on the union of the CIDRs that reach a port ({@link coversAddressSpace}):
 * `0.0.0.0/1` + `128.0.0.0/1` is the internet as much as `0.0.0.0/0`. Exact arithmetic (BigInt),
 * overlapping and adjacent ranges merged, invalid CIDRs ignored, host bits masked (`10.0.0.0/0` is
 * the whole space, as EC2 reads it).
 *
 * Pure: no SDK, no environment, no clock, no imports outside rules/.
 */

/** Which way traffic flows. ModifySecurityGroupRules does not say (`unknown`): the rule id does. */
export type Direction = 'ingress' | 'egress' | 'unknown';

/**
 * `all` (`-1`), the names EC2 uses for 6/17/1/58, or the protocol number as a string for the rest.
 * `''` when the event names none.
 */
export type Protocol = 'all' | 'tcp' | 'udp' | 'icmp' | 'icmpv6' | (string & {});

/** Address family of a CIDR. */
export type Family = 'v4' | 'v6';

/** One grant of network access, as an event states it. */
export interface Permission {
  readonly direction: Direction;
  readonly protocol: Protocol;
  /**
   * First and last port. `all` and TCP/UDP without a range (or with `-1`) are 0–65535; for ICMP they are
   * the type and code as given (`-1` when none).
   */
  readonly fromPort: number;
  readonly toPort: number;
  /** The CIDRs as written (trimmed); invalid ones stay here and are ignored by the arithmetic. */
  readonly cidrs: { readonly v4: readonly string[]; readonly v6: readonly string[] };
  /** Read from `requestParameters`, or from `responseElements` when the request did not carry it. */
  readonly source: 'request' | 'response';
  /** The security group rule id, when the event names it (response rules, ModifySecurityGroupRules). */
  readonly ruleId?: string;
}

/** The parts of a CloudTrail record the normaliser reads. */
export interface ExposureRecord {
  readonly eventName?: string;
  readonly requestParameters?: unknown;
  readonly responseElements?: unknown;
}

// ---------------------------------------------------------------------------------------------
// Readers

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** CloudTrail renders a one-element list as an object and a longer one as an array; accept both. */
const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** A member by name, ignoring case (`cidrIp` / `CidrIp`, `SecurityGroupRule` / `securityGroupRule`). */
function field(obj: Json, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key];
  return undefined;
}

/**
 * The entries of an EC2 list: `{ items: [...] }`, `{ items: {...} }` (one entry), a bare array, a bare
 * entry, or `{}` (empty).
 */
function entries(v: unknown): Json[] {
  if (isObject(v)) {
    const items = field(v, 'items');
    if (items !== undefined) return asArray(items).filter(isObject);
    return Object.keys(v).length === 0 ? [] : [v];
  }
  return asArray(v).filter(isObject);
}

/** Port numbers arrive as numbers or numeric strings; anything else is "not given". */
export function portNumber(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v.trim()) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

const PROTOCOL_NAMES: Readonly<Record<string, Protocol>> = {
  '-1': 'all',
  all: 'all',
  '6': 'tcp',
  tcp: 'tcp',
  '17': 'udp',
  udp: 'udp',
  '1': 'icmp',
  icmp: 'icmp',
  '58': 'icmpv6',
  icmpv6: 'icmpv6',
};

/** `-1`/`all` → `all`, `6`/`TCP` → `tcp`, `17` → `udp`, `1` → `icmp`, `58` → `icmpv6`; others as written. */
export function normaliseProtocol(raw: unknown): Protocol {
  if (typeof raw !== 'string' && typeof raw !== 'number') return '';
  const text = String(raw).trim().toLowerCase();
  return PROTOCOL_NAMES[text] ?? text;
}

const MAX_PORT = 65535;

/** The port range of a permission of `protocol` (see {@link Permission.fromPort}). */
export function portRangeOf(protocol: Protocol, from: unknown, to: unknown): { fromPort: number; toPort: number } {
  const f = portNumber(from);
  const t = portNumber(to);
  if (protocol === 'all') return { fromPort: 0, toPort: MAX_PORT };
  if (protocol === 'tcp' || protocol === 'udp') {
    return { fromPort: f === undefined || f < 0 ? 0 : f, toPort: t === undefined || t < 0 ? MAX_PORT : t };
  }
  return { fromPort: f ?? -1, toPort: t ?? -1 };
}

const cidrStrings = (values: readonly unknown[]): string[] =>
  values.filter((c): c is string => typeof c === 'string' && c.trim() !== '').map((c) => c.trim());

function permission(
  direction: Direction,
  protocolRaw: unknown,
  from: unknown,
  to: unknown,
  v4: readonly unknown[],
  v6: readonly unknown[],
  source: Permission['source'],
  ruleId?: unknown,
): Permission | undefined {
  const cidrs = { v4: cidrStrings(v4), v6: cidrStrings(v6) };
  if (cidrs.v4.length === 0 && cidrs.v6.length === 0) return undefined;
  const protocol = normaliseProtocol(protocolRaw);
  const id = typeof ruleId === 'string' && ruleId !== '' ? { ruleId } : {};
  return { direction, protocol, ...portRangeOf(protocol, from, to), cidrs, source, ...id };
}

const defined = <T>(values: readonly (T | undefined)[]): T[] => values.filter((v): v is T => v !== undefined);

/**
 * Whether a request can be trusted to carry the whole grant: present, an object, and not truncated
 * (CloudTrail marks a field cut at its size limit with `omitted: true`).
 */
const truncated = (request: unknown): boolean => !isObject(request) || field(request, 'omitted') === true;

// ---------------------------------------------------------------------------------------------
// Security groups

/**
 * Permissions of an `AuthorizeSecurityGroup{Ingress,Egress}` request: `ipPermissions.items[]` with
 * `ipRanges.items[].cidrIp` and `ipv6Ranges.items[].cidrIpv6`, plus the legacy flat form
 * (`cidrIp`, `ipProtocol`, `fromPort`, `toPort`). Only grants to address ranges (not to security
 * groups or prefix lists) are returned.
 */
export function securityGroupRequestPermissions(request: unknown, direction: Direction = 'ingress'): Permission[] {
  if (!isObject(request)) return [];
  const perms = entries(field(request, 'ipPermissions')).map((p) =>
    permission(
      direction,
      field(p, 'ipProtocol'),
      field(p, 'fromPort'),
      field(p, 'toPort'),
      entries(field(p, 'ipRanges')).map((r) => field(r, 'cidrIp')),
      entries(field(p, 'ipv6Ranges')).map((r) => field(r, 'cidrIpv6')),
      'request',
    ),
  );
  const flat = permission(
    direction,
    field(request, 'ipProtocol'),
    field(request, 'fromPort'),
    field(request, 'toPort'),
    [field(request, 'cidrIp')],
    [field(request, 'cidrIpv6')],
    'request',
  );
  return defined([...perms, flat]);
}

/**
 * Rules an `AuthorizeSecurityGroup{Ingress,Egress}` response reports as created:
 * `securityGroupRuleSet.items[]`, one rule per CIDR, with `cidrIpv4`/`cidrIpv6`, `ipProtocol`,
 * `fromPort`, `toPort` and `isEgress`.
 */
export function securityGroupResponsePermissions(response: unknown): Permission[] {
  if (!isObject(response)) return [];
  return defined(
    entries(field(response, 'securityGroupRuleSet')).map((r) => {
      const egress = field(r, 'isEgress');
      return permission(
        egress === true || egress === 'true' ? 'egress' : 'ingress',
        field(r, 'ipProtocol'),
        field(r, 'fromPort'),
        field(r, 'toPort'),
        [field(r, 'cidrIpv4'), field(r, 'cidrIp')],
        [field(r, 'cidrIpv6')],
        'response',
        field(r, 'securityGroupRuleId'),
      );
    }),
  );
}

/**
 * What an `AuthorizeSecurityGroup{Ingress,Egress}` event grants: the request's permissions; when the
 * request is missing, truncated or carries none, also the rules the response reports (the union of
 * both only ever holds real grants).
 */
export function securityGroupPermissions(record: ExposureRecord, direction: Direction = 'ingress'): Permission[] {
  const request = record.requestParameters;
  const fromRequest = securityGroupRequestPermissions(request, direction);
  if (!truncated(request) && fromRequest.length > 0) return fromRequest;
  return [...fromRequest, ...securityGroupResponsePermissions(record.responseElements)];
}

/**
 * What a `ModifySecurityGroupRules` request sets: `ModifySecurityGroupRulesRequest.SecurityGroupRule[]`,
 * each entry's `SecurityGroupRule` with `CidrIpv4`/`CidrIpv6`, `IpProtocol`, `FromPort`, `ToPort`. The
 * request does not say whether a rule is ingress or egress (`unknown`); the response carries no rules.
 */
export function modifiedRulePermissions(record: ExposureRecord): Permission[] {
  const request = record.requestParameters;
  if (!isObject(request)) return [];
  const wrapped = field(request, 'ModifySecurityGroupRulesRequest');
  const body = isObject(wrapped) ? wrapped : request;
  return defined(
    asArray(field(body, 'SecurityGroupRule'))
      .filter(isObject)
      .map((entry) => {
        const rule = field(entry, 'SecurityGroupRule');
        if (!isObject(rule)) return undefined;
        return permission(
          'unknown',
          field(rule, 'IpProtocol'),
          field(rule, 'FromPort'),
          field(rule, 'ToPort'),
          [field(rule, 'CidrIpv4')],
          [field(rule, 'CidrIpv6')],
          'request',
          field(entry, 'SecurityGroupRuleId'),
        );
      }),
  );
}

// ---------------------------------------------------------------------------------------------
// Network ACLs

/**
 * What a `CreateNetworkAclEntry` / `ReplaceNetworkAclEntry` request allows: nothing for a `deny`
 * entry; otherwise one permission with `cidrBlock` / `ipv6CidrBlock`, `aclProtocol` (`-1`, `6`, `17`,
 * ... or a name) and `portRange.from`/`to`, ingress unless `egress` is true. The response carries no
 * entry, so a truncated request grants nothing readable.
 */
export function networkAclEntryPermissions(record: ExposureRecord): Permission[] {
  const request = record.requestParameters;
  if (!isObject(request)) return [];
  const action = field(request, 'ruleAction');
  if (typeof action !== 'string' || action.trim().toLowerCase() !== 'allow') return [];
  const egress = field(request, 'egress');
  const ports = field(request, 'portRange');
  const range = isObject(ports) ? ports : {};
  const protocol = field(request, 'aclProtocol') ?? field(request, 'protocol');
  return defined([
    permission(
      egress === true || egress === 'true' ? 'egress' : 'ingress',
      protocol,
      field(range, 'from'),
      field(range, 'to'),
      [field(request, 'cidrBlock')],
      [field(request, 'ipv6CidrBlock')],
      'request',
    ),
  ]);
}

/** Every permission an EC2 event grants, by its `eventName`; `[]` for events that grant none. */
export function permissionsOf(record: ExposureRecord): Permission[] {
  switch (record.eventName) {
    case 'AuthorizeSecurityGroupIngress':
      return securityGroupPermissions(record, 'ingress');
    case 'AuthorizeSecurityGroupEgress':
      return securityGroupPermissions(record, 'egress');
    case 'ModifySecurityGroupRules':
      return modifiedRulePermissions(record);
    case 'CreateNetworkAclEntry':
    case 'ReplaceNetworkAclEntry':
      return networkAclEntryPermissions(record);
    default:
      return [];
  }
}

/**
 * One line per (direction, protocol, ports, CIDR) a permission list grants, sorted and deduplicated:
 * two renderings of the same grant (request or response, one item with two CIDRs or two rules with
 * one) give the same lines.
 */
export function grantLines(perms: readonly Permission[]): string[] {
  const lines = new Set<string>();
  for (const p of perms) {
    for (const cidr of [...p.cidrs.v4, ...p.cidrs.v6]) {
      lines.add(`${p.direction} ${p.protocol} ${p.fromPort}-${p.toPort} ${cidr}`);
    }
  }
  return [...lines].sort();
}

// ---------------------------------------------------------------------------------------------
// CIDR arithmetic

const BITS: Readonly<Record<Family, number>> = { v4: 32, v6: 128 };

/** An inclusive address range. */
export interface AddressRange {
  readonly start: bigint;
  readonly end: bigint;
}

function parseV4(text: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let value = 0n;
  for (const part of m.slice(1)) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  let head = text;
  let tail = '';
  const gap = text.indexOf('::');
  if (gap >= 0) {
    if (text.indexOf('::', gap + 1) >= 0) return undefined;
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
  }
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseV4(piece);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(Number.parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const before = groups(head);
  const after = groups(tail);
  if (!before || !after) return undefined;
  // An embedded IPv4 address may only end the address.
  if (gap >= 0 && head.includes('.')) return undefined;
  const missing = 8 - before.length - after.length;
  if (gap >= 0 ? missing < 1 : missing !== 0) return undefined;
  let value = 0n;
  for (const g of [...before, ...Array<number>(missing).fill(0), ...after]) value = (value << 16n) | BigInt(g);
  return value;
}

/**
 * The address range of a CIDR of `family`, host bits masked; `undefined` when it is not a valid CIDR
 * of that family (a bare address without `/prefix` is not).
 */
export function cidrRange(cidr: string, family: Family): AddressRange | undefined {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(cidr.trim());
  if (!m) return undefined;
  const bits = BITS[family];
  const prefix = Number(m[2]);
  if (prefix > bits) return undefined;
  const address = family === 'v4' ? parseV4(m[1]!) : parseV6(m[1]!);
  if (address === undefined) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const start = (address / size) * size;
  return { start, end: start + size - 1n };
}

/** The union of the valid CIDRs of `family`, as sorted, disjoint, non-adjacent ranges. */
export function mergedRanges(cidrs: readonly string[], family: Family): AddressRange[] {
  return merge(defined(cidrs.map((c) => cidrRange(c, family))));
}

function merge(ranges: readonly AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged: { start: bigint; end: bigint }[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else {
      merged.push({ start: r.start, end: r.end });
    }
  }
  return merged;
}

const countOf = (merged: readonly AddressRange[]): bigint =>
  merged.reduce((sum, r) => sum + (r.end - r.start + 1n), 0n);

/** How many addresses of `family` the union of the CIDRs holds (exact). */
export function addressCount(cidrs: readonly string[], family: Family): bigint {
  return countOf(mergedRanges(cidrs, family));
}

/** Options of the world-access decision. */
export interface ExposureOptions {
  /**
   * Share of an address family's space (0 < share ≤ 1) the union of CIDRs must cover to count as
   * "the internet". 1 is the whole space (`0.0.0.0/0`, or blocks adding up to it); 0.5 would also count
   * `0.0.0.0/1`. Compared exactly: the number is read as the binary fraction it is.
   * @default 1
   */
  readonly minShare: number;
}

/** The whole address space: what `0.0.0.0/0` and `::/0` cover. */
export const DEFAULT_EXPOSURE_OPTIONS: ExposureOptions = { minShare: 1 };

/** The least number of addresses of `family` that make up `minShare` of its space (exact). */
export function addressThreshold(family: Family, minShare: number): bigint {
  if (!Number.isFinite(minShare) || minShare <= 0 || minShare > 1) {
    throw new RangeError(`minShare must be a number in (0, 1], got ${minShare}`);
  }
  // A double is an integer over a power of two: minShare = numerator / 2^k, both exact.
  let scaled = minShare;
  let k = 0;
  while (!Number.isInteger(scaled)) {
    scaled *= 2; // exact: doubling a double only changes its exponent
    k++;
  }
  const numerator = BigInt(scaled);
  const total = 1n << BigInt(BITS[family]);
  const scale = 1n << BigInt(k);
  return (total * numerator + scale - 1n) / scale;
}

/**
 * Whether the union of `cidrs` (of `family`; others and invalid ones ignored) covers at least
 * `options.minShare` of that family's address space (by default all of it).
 */
export function coversAddressSpace(
  cidrs: readonly string[],
  family: Family,
  options: ExposureOptions = DEFAULT_EXPOSURE_OPTIONS,
): boolean {
  return addressCount(cidrs, family) >= addressThreshold(family, options.minShare);
}

// ---------------------------------------------------------------------------------------------
// Admin ports

/** A port that must never be open to the world. */
export interface AdminPort {
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  readonly name: string;
}

/** SSH and RDP (RDP also over UDP). "All ports" and "all traffic" cover each of them. */
export const ADMIN_PORTS: readonly AdminPort[] = [
  { protocol: 'tcp', port: 22, name: 'SSH' },
  { protocol: 'tcp', port: 3389, name: 'RDP' },
  { protocol: 'udp', port: 3389, name: 'RDP' },
];

/** Whether a permission reaches `port` over `protocol` (protocol `all` reaches every port). */
export const reachesPort = (p: Permission, protocol: 'tcp' | 'udp', port: number): boolean =>
  (p.protocol === 'all' || p.protocol === protocol) && p.fromPort <= port && port <= p.toPort;

/** Whether a permission reaches SSH or RDP. */
export const reachesAdminPort = (p: Permission): boolean => ADMIN_PORTS.some((a) => reachesPort(p, a.protocol, a.port));

/** An admin port the internet reaches, and over which address family. */
export interface WorldOpening {
  readonly port: AdminPort;
  readonly family: Family;
}

/**
 * The admin ports that the permissions open to the world, inbound (egress grants are ignored;
 * `unknown` directions count). For each admin port, the CIDRs of the permissions reaching it are
 * united, per address family: a CIDR only counts for the ports of its own permission (so `0.0.0.0/0`
 * on 443 and `10.0.0.0/8` on 22 open nothing), while two permissions reaching port 22 from
 * `0.0.0.0/1` and `128.0.0.0/1` (or two response rules of one request item) open it to the world.
 */
export function worldOpenAdminPorts(
  perms: readonly Permission[],
  options: ExposureOptions = DEFAULT_EXPOSURE_OPTIONS,
): WorldOpening[] {
  // Each CIDR is parsed once, however many admin ports its permission reaches.
  const inbound = perms
    .filter((p) => p.direction !== 'egress')
    .map((p) => ({
      permission: p,
      v4: defined(p.cidrs.v4.map((c) => cidrRange(c, 'v4'))),
      v6: defined(p.cidrs.v6.map((c) => cidrRange(c, 'v6'))),
    }));
  const out: WorldOpening[] = [];
  for (const port of ADMIN_PORTS) {
    const reaching = inbound.filter((p) => reachesPort(p.permission, port.protocol, port.port));
    if (reaching.length === 0) continue;
    for (const family of ['v4', 'v6'] as const) {
      const covered = countOf(merge(reaching.flatMap((p) => p[family])));
      if (covered >= addressThreshold(family, options.minShare)) out.push({ port, family });
    }
  }
  return out;
}

/**
 * The permissions that make up the world openings of {@link worldOpenAdminPorts}, and no more. Per opened
 * admin port and family: when permissions that each reach the world alone (a `/0`) are the whole opening
 * (without them the rest covers no longer), just those; otherwise (a union such as two `/1`s) every
 * inbound permission reaching that port with a valid CIDR of that family. Removing them all (e.g. revoking
 * their `ruleId`s) closes every opening, and a private rule next to a `/0` is left alone.
 */
export function worldOpeningPermissions(
  perms: readonly Permission[],
  options: ExposureOptions = DEFAULT_EXPOSURE_OPTIONS,
): Permission[] {
  const chosen = new Set<Permission>();
  for (const { port, family } of worldOpenAdminPorts(perms, options)) {
    const reaching = perms.filter(
      (p) =>
        p.direction !== 'egress' &&
        reachesPort(p, port.protocol, port.port) &&
        p.cidrs[family].some((c) => cidrRange(c, family)),
    );
    const covers = (list: readonly Permission[]) =>
      coversAddressSpace(
        list.flatMap((p) => p.cidrs[family]),
        family,
        options,
      );
    const alone = reaching.filter((p) => covers([p]));
    const rest = reaching.filter((p) => !alone.includes(p));
    for (const p of alone.length > 0 && !covers(rest) ? alone : reaching) chosen.add(p);
  }
  return perms.filter((p) => chosen.has(p));
}

/** Whether the permissions open SSH, RDP or all ports to the world (see {@link worldOpenAdminPorts}). */
export const opensAdminPortsToWorld = (
  perms: readonly Permission[],
  options: ExposureOptions = DEFAULT_EXPOSURE_OPTIONS,
): boolean => worldOpenAdminPorts(perms, options).length > 0;
