/**
 * The permission normaliser and the CIDR arithmetic of rules/exposure.ts, as properties (fast-check, fixed
 * seeds) plus the examples that pin each event shape.
 *
 * Shapes follow the CloudTrail records of these calls: AuthorizeSecurityGroupIngress requests as
 * `ipPermissions.items[]` with `ipRanges.items[].cidrIp` / `ipv6Ranges.items[].cidrIpv6` and a response
 * `securityGroupRuleSet.items[]` of one rule per CIDR (`cidrIpv4`/`cidrIpv6`, `isEgress`), as in the
 * catalog fixtures; ModifySecurityGroupRules as `ModifySecurityGroupRulesRequest.SecurityGroupRule[]`;
 * NACL entries with `ruleAction`, `egress`, `aclProtocol`, `portRange.{from,to}`, `cidrBlock` /
 * `ipv6CidrBlock` (EC2 API reference, ReplaceNetworkAclEntry / CreateNetworkAclEntry). A field cut at
 * CloudTrail's size limit carries `omitted: true` (CloudTrail user guide, "CloudTrail record contents").
 */
import fc from 'fast-check';
import {
  addressCount,
  addressThreshold,
  cidrRange,
  coversAddressSpace,
  type Family,
  grantLines,
  mergedRanges,
  modifiedRulePermissions,
  networkAclEntryPermissions,
  opensAdminPortsToWorld,
  type Permission,
  permissionsOf,
  worldOpeningPermissions,
  securityGroupPermissions,
  securityGroupRequestPermissions,
  securityGroupResponsePermissions,
  worldOpenAdminPorts,
} from '../../rules/exposure';

const RUNS = { seed: 20261204, numRuns: 150 } as const;
const BITS: Record<Family, number> = { v4: 32, v6: 128 };

// ---------------------------------------------------------------------------------------------
// Address helpers for the generators (independent of the code under test)

function formatAddress(value: bigint, family: Family): string {
  if (family === 'v4') return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return groups.join(':');
}

const cidr = (start: bigint, prefix: number, family: Family): string => `${formatAddress(start, family)}/${prefix}`;

interface Block {
  readonly start: bigint;
  readonly prefix: number;
}

/**
 * A partition of the whole space into blocks: start from `/0` and split the block chosen by each
 * choice into its two halves. Every address is in exactly one block.
 */
function partition(choices: readonly number[], family: Family): Block[] {
  const bits = BITS[family];
  const blocks: Block[] = [{ start: 0n, prefix: 0 }];
  for (const choice of choices) {
    const splittable = blocks.filter((b) => b.prefix < bits);
    if (splittable.length === 0) break;
    const block = splittable[choice % splittable.length]!;
    blocks.splice(blocks.indexOf(block), 1);
    const half = 1n << BigInt(bits - block.prefix - 1);
    blocks.push(
      { start: block.start, prefix: block.prefix + 1 },
      { start: block.start + half, prefix: block.prefix + 1 },
    );
  }
  return blocks;
}

const size = (b: Block, family: Family): bigint => 1n << BigInt(BITS[family] - b.prefix);

const family = fc.constantFrom<Family>('v4', 'v6');
const splits = fc.array(fc.nat(), { maxLength: 60 });

describe('coversAddressSpace', () => {
  it('is true for any partition of the whole space, in any order', () => {
    fc.assert(
      fc.property(family, splits, fc.nat(), (f, choices, rotate) => {
        const cidrs = partition(choices, f).map((b) => cidr(b.start, b.prefix, f));
        const rotated = [...cidrs.slice(rotate % cidrs.length), ...cidrs.slice(0, rotate % cidrs.length)];
        expect(coversAddressSpace(rotated, f)).toBe(true);
      }),
      RUNS,
    );
  });

  it('is false once any block of a partition is removed, which leaves exactly that block uncovered', () => {
    fc.assert(
      fc.property(family, fc.array(fc.nat(), { minLength: 1, maxLength: 60 }), fc.nat(), (f, choices, pick) => {
        const blocks = partition(choices, f);
        const gone = blocks[pick % blocks.length]!;
        const rest = blocks.filter((b) => b !== gone).map((b) => cidr(b.start, b.prefix, f));
        expect(coversAddressSpace(rest, f)).toBe(false);
        expect(addressCount(rest, f)).toBe((1n << BigInt(BITS[f])) - size(gone, f));
      }),
      RUNS,
    );
  });

  it('meets a share exactly: the covered share counts, one address more does not (IPv4)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), fc.nat(), (choices, pick) => {
        const blocks = partition(choices, 'v4');
        const gone = blocks[pick % blocks.length]!;
        const rest = blocks.filter((b) => b !== gone).map((b) => cidr(b.start, b.prefix, 'v4'));
        const covered = 2 ** 32 - Number(size(gone, 'v4'));
        expect(coversAddressSpace(rest, 'v4', { minShare: covered / 2 ** 32 })).toBe(true);
        expect(coversAddressSpace(rest, 'v4', { minShare: (covered + 1) / 2 ** 32 })).toBe(false);
      }),
      RUNS,
    );
  });

  it('counts the union exactly, overlaps and duplicates once (checked against a /8 bitmap)', () => {
    const block8 = fc.record({ first: fc.integer({ min: 0, max: 255 }), prefix: fc.integer({ min: 0, max: 8 }) });
    fc.assert(
      fc.property(fc.array(block8, { maxLength: 30 }), (blocks) => {
        const seen = new Array<boolean>(256).fill(false);
        const cidrs = blocks.map(({ first, prefix }) => {
          const width = 2 ** (8 - prefix);
          const base = Math.floor(first / width) * width;
          for (let i = base; i < base + width; i++) seen[i] = true;
          return `${first}.0.0.0/${prefix}`; // host bits set on purpose: the prefix decides
        });
        const expected = BigInt(seen.filter(Boolean).length) << 24n;
        expect(addressCount(cidrs, 'v4')).toBe(expected);
        expect(coversAddressSpace(cidrs, 'v4')).toBe(expected === 1n << 32n);
      }),
      RUNS,
    );
  });

  it('ignores invalid CIDRs and the other family', () => {
    fc.assert(
      fc.property(family, splits, fc.array(fc.string({ maxLength: 12 }), { maxLength: 5 }), (f, choices, junk) => {
        const cidrs = partition(choices, f).map((b) => cidr(b.start, b.prefix, f));
        const other: Family = f === 'v4' ? 'v6' : 'v4';
        const noise = [...junk.filter((j) => cidrRange(j, f) === undefined), f === 'v4' ? '::/0' : '0.0.0.0/0'];
        expect(addressCount([...cidrs, ...noise], f)).toBe(1n << BigInt(BITS[f]));
        expect(addressCount(noise, f)).toBe(0n);
        expect(coversAddressSpace(cidrs, other)).toBe(false);
      }),
      RUNS,
    );
  });

  it.each([
    ['0.0.0.0/0', 'v4', true],
    ['10.1.2.3/0', 'v4', true],
    ['::/0', 'v6', true],
    ['0:0:0:0:0:0:0:0/0', 'v6', true],
    ['::ffff:0.0.0.0/0', 'v6', true],
    [' 0.0.0.0/0 ', 'v4', true],
    ['0.0.0.0', 'v4', false],
    ['0.0.0.0/33', 'v4', false],
    ['256.0.0.0/0', 'v4', false],
    ['1::2::3/0', 'v6', false],
    ['0.0.0.0/0', 'v6', false],
    ['::/0', 'v4', false],
  ] as const)('reads %j as %s: world %s', (text, f, world) => {
    expect(coversAddressSpace([text], f)).toBe(world);
  });

  it('merges adjacent and overlapping ranges', () => {
    expect(mergedRanges(['10.0.0.0/9', '10.128.0.0/9', '10.64.0.0/10', '192.168.0.0/16'], 'v4')).toEqual([
      { start: 10n << 24n, end: (11n << 24n) - 1n },
      { start: (192n << 24n) | (168n << 16n), end: ((192n << 24n) | (168n << 16n)) + 65535n },
    ]);
  });

  it('takes a share of the space as an option', () => {
    expect(coversAddressSpace(['0.0.0.0/1'], 'v4', { minShare: 0.5 })).toBe(true);
    expect(coversAddressSpace(['0.0.0.0/2'], 'v4', { minShare: 0.5 })).toBe(false);
    expect(coversAddressSpace(['::/1', '8000::/2'], 'v6', { minShare: 0.75 })).toBe(true);
    expect(addressThreshold('v4', 0.1)).toBe(429496730n);
    expect(() => coversAddressSpace(['0.0.0.0/0'], 'v4', { minShare: 0 })).toThrow(RangeError);
    expect(() => coversAddressSpace(['0.0.0.0/0'], 'v4', { minShare: 1.5 })).toThrow(/minShare/);
  });
});

// ---------------------------------------------------------------------------------------------
// Renderings of the same grant

interface Grant {
  readonly protocol: 'tcp' | 'udp' | '-1' | 'icmp';
  readonly fromPort: number;
  readonly toPort: number;
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

const v4Cidr = fc
  .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }))
  .map(([a, p]) => cidr((BigInt(a) >> BigInt(32 - p)) << BigInt(32 - p), p, 'v4'));
const v6Cidr = fc
  .tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 }))
  .map(([a, p]) => cidr((a >> BigInt(128 - p)) << BigInt(128 - p), p, 'v6'));
const worldish = fc.oneof(fc.constant('0.0.0.0/0'), fc.constant('0.0.0.0/1'), fc.constant('128.0.0.0/1'), v4Cidr);
const worldish6 = fc.oneof(fc.constant('::/0'), fc.constant('::/1'), fc.constant('8000::/1'), v6Cidr);

const grant: fc.Arbitrary<Grant> = fc
  .record({
    protocol: fc.constantFrom('tcp', 'udp', '-1', 'icmp') as fc.Arbitrary<Grant['protocol']>,
    fromPort: fc.oneof(fc.constantFrom(22, 3389, 443, 0), fc.integer({ min: 0, max: 65535 })),
    span: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4000 })),
    v4: fc.uniqueArray(worldish, { maxLength: 3 }),
    v6: fc.uniqueArray(worldish6, { maxLength: 2 }),
  })
  .filter((g) => g.v4.length + g.v6.length > 0)
  .map(({ protocol, fromPort, span, v4, v6 }) =>
    protocol === '-1'
      ? { protocol, fromPort: -1, toPort: -1, v4, v6 }
      : { protocol, fromPort, toPort: Math.min(65535, fromPort + span), v4, v6 },
  );
const grants = fc.array(grant, { minLength: 1, maxLength: 4 });

type Style = { readonly lists: 'array' | 'object-when-single'; readonly ports: 'number' | 'string' };

/** CloudTrail renders a one-element list as an object. */
const list = <T>(values: readonly T[], style: Style): unknown =>
  style.lists === 'object-when-single' && values.length === 1 ? values[0] : [...values];
const port = (n: number, style: Style): number | string => (style.ports === 'string' ? String(n) : n);

function requestOf(gs: readonly Grant[], style: Style): Record<string, unknown> {
  return {
    groupId: 'sg-1',
    ipPermissions: {
      items: list(
        gs.map((g) => ({
          ipProtocol: g.protocol,
          fromPort: port(g.fromPort, style),
          toPort: port(g.toPort, style),
          groups: {},
          ipRanges: g.v4.length
            ? {
                items: list(
                  g.v4.map((cidrIp) => ({ cidrIp })),
                  style,
                ),
              }
            : {},
          ipv6Ranges: g.v6.length
            ? {
                items: list(
                  g.v6.map((cidrIpv6) => ({ cidrIpv6 })),
                  style,
                ),
              }
            : {},
          prefixListIds: {},
        })),
        style,
      ),
    },
  };
}

function responseOf(gs: readonly Grant[], style: Style): Record<string, unknown> {
  const rules = gs.flatMap((g) =>
    [...g.v4.map((c) => ({ cidrIpv4: c })), ...g.v6.map((c) => ({ cidrIpv6: c }))].map((c, i) => ({
      securityGroupRuleId: `sgr-${i}`,
      isEgress: false,
      ipProtocol: g.protocol,
      fromPort: port(g.fromPort, style),
      toPort: port(g.toPort, style),
      ...c,
    })),
  );
  return { requestId: 'r-1', _return: true, securityGroupRuleSet: { items: list(rules, style) } };
}

const ingress = (requestParameters: unknown, responseElements?: unknown) => ({
  eventName: 'AuthorizeSecurityGroupIngress',
  requestParameters,
  responseElements,
});

const style = (lists: Style['lists'], ports: Style['ports']): Style => ({ lists, ports });
const PLAIN = style('array', 'number');

describe('the permission normaliser', () => {
  it('reads one-element lists rendered as objects like lists', () => {
    fc.assert(
      fc.property(grants, (gs) => {
        expect(securityGroupRequestPermissions(requestOf(gs, style('object-when-single', 'number')))).toEqual(
          securityGroupRequestPermissions(requestOf(gs, PLAIN)),
        );
        expect(securityGroupResponsePermissions(responseOf(gs, style('object-when-single', 'number')))).toEqual(
          securityGroupResponsePermissions(responseOf(gs, PLAIN)),
        );
      }),
      RUNS,
    );
  });

  it('reads ports given as strings like numbers', () => {
    fc.assert(
      fc.property(grants, fc.constantFrom<Style['lists']>('array', 'object-when-single'), (gs, lists) => {
        expect(securityGroupRequestPermissions(requestOf(gs, style(lists, 'string')))).toEqual(
          securityGroupRequestPermissions(requestOf(gs, style(lists, 'number'))),
        );
      }),
      RUNS,
    );
  });

  it('reads the request and the response rule set as the same grants', () => {
    fc.assert(
      fc.property(grants, fc.constantFrom<Style['ports']>('number', 'string'), (gs, ports) => {
        const fromRequest = securityGroupRequestPermissions(requestOf(gs, style('array', ports)));
        const fromResponse = securityGroupResponsePermissions(responseOf(gs, style('object-when-single', ports)));
        expect(grantLines(fromResponse)).toEqual(grantLines(fromRequest));
        expect(worldOpenAdminPorts(fromResponse)).toEqual(worldOpenAdminPorts(fromRequest));
      }),
      RUNS,
    );
  });

  it('decides a truncated request on the response as it decides the full request', () => {
    const truncations = fc.constantFrom<unknown>({ omitted: true }, null, undefined, { groupId: 'sg-1' });
    fc.assert(
      fc.property(grants, truncations, (gs, cut) => {
        const full = permissionsOf(ingress(requestOf(gs, PLAIN), responseOf(gs, PLAIN)));
        const truncated = permissionsOf(ingress(cut, responseOf(gs, PLAIN)));
        expect(truncated.every((p) => p.source === 'response')).toBe(true);
        expect(full.every((p) => p.source === 'request')).toBe(true);
        expect(opensAdminPortsToWorld(truncated)).toBe(opensAdminPortsToWorld(full));
      }),
      RUNS,
    );
  });

  it('gives ModifySecurityGroupRules the same decision as one rule per CIDR added by AuthorizeSecurityGroupIngress', () => {
    fc.assert(
      fc.property(grants, fc.constantFrom<Style['ports']>('number', 'string'), (gs, ports) => {
        const rules = gs.flatMap((g) =>
          [...g.v4.map((c) => ({ CidrIpv4: c })), ...g.v6.map((c) => ({ CidrIpv6: c }))].map((c, i) => ({
            SecurityGroupRuleId: `sgr-${i}`,
            SecurityGroupRule: {
              IpProtocol: g.protocol,
              FromPort: port(g.fromPort, style('array', ports)),
              ToPort: port(g.toPort, style('array', ports)),
              ...c,
            },
          })),
        );
        const modified = modifiedRulePermissions({
          requestParameters: { ModifySecurityGroupRulesRequest: { GroupId: 'sg-1', SecurityGroupRule: rules } },
        });
        const added = securityGroupPermissions(ingress(requestOf(gs, PLAIN)));
        expect(opensAdminPortsToWorld(modified)).toBe(opensAdminPortsToWorld(added));
      }),
      RUNS,
    );
  });

  it('never lets egress in, and lets a grant in only through the ports of its own permission', () => {
    fc.assert(
      fc.property(grants, (gs) => {
        const perms = securityGroupRequestPermissions(requestOf(gs, PLAIN), 'egress');
        expect(opensAdminPortsToWorld(perms)).toBe(false);
        // Moving every grant off the admin ports (to 443 only) closes them, whatever the CIDRs.
        const https = gs.map((g) => ({ ...g, protocol: 'tcp' as const, fromPort: 443, toPort: 443 }));
        expect(opensAdminPortsToWorld(securityGroupRequestPermissions(requestOf(https, PLAIN)))).toBe(false);
      }),
      RUNS,
    );
  });

  it('reads NACL entries with numbers, names and strings alike', () => {
    const entry = fc.record({
      protocol: fc.constantFrom(['-1', 'all'], ['6', 'tcp'], ['17', 'udp'], ['1', 'icmp']),
      from: fc.integer({ min: 0, max: 65535 }),
      span: fc.integer({ min: 0, max: 5000 }),
      cidr: fc.oneof(
        worldish.map((c) => ({ cidrBlock: c })),
        worldish6.map((c) => ({ ipv6CidrBlock: c })),
      ),
      egress: fc.boolean(),
      action: fc.constantFrom('allow', 'deny'),
    });
    fc.assert(
      fc.property(entry, ({ protocol, from, span, cidr: block, egress, action }) => {
        const to = Math.min(65535, from + span);
        const read = (aclProtocol: string, portRange: unknown, egressFlag: unknown, ruleAction: string) =>
          networkAclEntryPermissions({
            eventName: 'ReplaceNetworkAclEntry',
            requestParameters: {
              networkAclId: 'acl-1',
              ruleNumber: 100,
              egress: egressFlag,
              ruleAction,
              aclProtocol,
              portRange,
              ...block,
            },
          });
        const numeric = read(protocol[0]!, { from, to }, egress, action);
        expect(
          read(protocol[1]!, { from: String(from), to: String(to) }, String(egress), action.toUpperCase()),
        ).toEqual(numeric);
        expect(numeric.length).toBe(action === 'deny' ? 0 : 1);
        // An independent oracle: one CIDR is the world only as a /0; then the protocol and range decide.
        const world = Object.values(block)[0]!.endsWith('/0');
        const reaches = (p: number) => from <= p && p <= to;
        const adminPort = { '-1': true, '6': reaches(22) || reaches(3389), '17': reaches(3389), '1': false }[
          protocol[0] as '-1' | '6' | '17' | '1'
        ];
        expect(opensAdminPortsToWorld(numeric)).toBe(action === 'allow' && !egress && world && adminPort);
      }),
      RUNS,
    );
  });
});

describe('worldOpeningPermissions', () => {
  it('names every permission of a world opening: without them, no admin port is open to the world', () => {
    fc.assert(
      fc.property(grants, (gs) => {
        const perms = securityGroupResponsePermissions(responseOf(gs, PLAIN));
        const opening = worldOpeningPermissions(perms);
        expect(opening.length > 0).toBe(opensAdminPortsToWorld(perms));
        expect(opensAdminPortsToWorld(perms.filter((p) => !opening.includes(p)))).toBe(false);
      }),
      RUNS,
    );
  });

  it('gives the rule ids of a union, and leaves the rules on other ports alone', () => {
    const perms = securityGroupResponsePermissions({
      securityGroupRuleSet: {
        items: [
          {
            securityGroupRuleId: 'sgr-a',
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            cidrIpv4: '0.0.0.0/1',
          },
          {
            securityGroupRuleId: 'sgr-b',
            isEgress: false,
            ipProtocol: '6',
            fromPort: '0',
            toPort: '1024',
            cidrIpv4: '128.0.0.0/1',
          },
          {
            securityGroupRuleId: 'sgr-c',
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: 443,
            toPort: 443,
            cidrIpv4: '0.0.0.0/0',
          },
          {
            securityGroupRuleId: 'sgr-d',
            isEgress: false,
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            cidrIpv6: '2001:db8::/32',
          },
        ],
      },
    });
    expect(worldOpeningPermissions(perms).map((p) => p.ruleId)).toEqual(['sgr-a', 'sgr-b']);
  });
});

describe('permissionsOf', () => {
  it('normalises each call to the same permission', () => {
    const expected: Permission = {
      direction: 'ingress',
      protocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      cidrs: { v4: ['0.0.0.0/0'], v6: [] },
      source: 'request',
    };
    expect(
      permissionsOf(ingress({ ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '0.0.0.0/0', groupId: 'sg-1' })),
    ).toEqual([expected]);
    expect(
      permissionsOf({
        eventName: 'CreateNetworkAclEntry',
        requestParameters: {
          ruleAction: 'allow',
          egress: false,
          aclProtocol: '6',
          portRange: { from: 22, to: 22 },
          cidrBlock: '0.0.0.0/0',
        },
      }),
    ).toEqual([expected]);
    expect(
      permissionsOf({
        eventName: 'ModifySecurityGroupRules',
        requestParameters: {
          ModifySecurityGroupRulesRequest: {
            SecurityGroupRule: {
              SecurityGroupRule: { IpProtocol: '6', FromPort: '22', ToPort: '22', CidrIpv4: '0.0.0.0/0' },
            },
          },
        },
      }),
    ).toEqual([{ ...expected, direction: 'unknown' }]);
    expect(
      permissionsOf({ eventName: 'DeleteNetworkAclEntry', requestParameters: { cidrBlock: '0.0.0.0/0' } }),
    ).toEqual([]);
  });

  it('reads all traffic as every port, and a missing TCP range as every port', () => {
    const [all] = permissionsOf(
      ingress({ ipPermissions: { items: { ipProtocol: '-1', ipRanges: { items: { cidrIp: '::/0' } } } } }),
    );
    expect(all).toMatchObject({ protocol: 'all', fromPort: 0, toPort: 65535 });
    const [tcp] = permissionsOf(
      ingress({
        ipPermissions: { items: { ipProtocol: 'tcp', fromPort: -1, ipRanges: { items: { cidrIp: '1.2.3.4/32' } } } },
      }),
    );
    expect(tcp).toMatchObject({ protocol: 'tcp', fromPort: 0, toPort: 65535 });
  });

  it('skips grants to security groups and prefix lists, and survives hostile shapes', () => {
    expect(
      permissionsOf(
        ingress({
          ipPermissions: {
            items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, groups: { items: { groupId: 'sg-2' } } }],
          },
        }),
      ),
    ).toEqual([]);
    for (const hostile of [42, 'text', [], { ipPermissions: 'x' }, { ipPermissions: { items: [null, 1, 'a'] } }]) {
      expect(permissionsOf(ingress(hostile, { securityGroupRuleSet: 'x' }))).toEqual([]);
    }
  });
});
