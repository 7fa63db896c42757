import {
  type IngressState,
  revokeWorldOpenIngress as action,
  type SecurityGroupRule,
} from '../../../../../handlers/core/remediation/actions/revoke-world-open-ingress';
import { CTX, loadRemediationEvent } from '../../../../fixtures/remediation/load';
import { loadEvent } from '../../../../helpers/remediation';
import { actOrFail, stored, targetOrFail } from '../helpers';

const SG = 'sg-0f63fecfa17ef4fee';
const rule = (id: string, fields: Partial<SecurityGroupRule>): SecurityGroupRule => ({
  SecurityGroupRuleId: id,
  GroupId: SG,
  IsEgress: false,
  IpProtocol: 'tcp',
  ...fields,
});
// The three rules the fixture event added, as DescribeSecurityGroupRules describes them, plus rules that were
// there before and must never be touched.
const SSH_WORLD = rule('sgr-0a11111111111111a', {
  FromPort: 22,
  ToPort: 22,
  CidrIpv4: '0.0.0.0/0',
  Description: 'ops',
});
const HTTPS_WORLD = rule('sgr-0b22222222222222b', { FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0' });
const RDP_WORLD_V6 = rule('sgr-0c33333333333333c', { FromPort: 3389, ToPort: 3389, CidrIpv6: '::/0' });
const SSH_PRIVATE = rule('sgr-0e55555555555555e', { FromPort: 22, ToPort: 22, CidrIpv4: '10.0.0.0/8' });
const EGRESS_ALL = rule('sgr-0f66666666666666f', {
  IsEgress: true,
  IpProtocol: '-1',
  FromPort: -1,
  ToPort: -1,
  CidrIpv4: '0.0.0.0/0',
});
const BEFORE: IngressState = { rules: [SSH_WORLD, HTTPS_WORLD, RDP_WORLD_V6, SSH_PRIVATE, EGRESS_ALL] };

const authorize = () => targetOrFail(action.target(loadRemediationEvent('ec2-authorize-ingress'), CTX));

describe('revoke-world-open-ingress', () => {
  describe('target', () => {
    it('takes exactly the world-open admin-port rule ids from the response rule set', () => {
      const target = authorize();

      expect(target).toMatchObject({
        action: 'revoke-world-open-ingress',
        accountId: '444444444444',
        region: 'eu-west-1',
      });
      expect(target.details).toMatchObject({
        groupId: SG,
        ruleIds: ['sgr-0a11111111111111a', 'sgr-0c33333333333333c'],
      });
    });

    it('falls back to the requested permissions when the event has no rule ids (legacy record)', () => {
      const target = targetOrFail(action.target(loadRemediationEvent('ec2-authorize-ingress-legacy'), CTX));

      expect(target.details['ruleIds']).toEqual([]);
      expect(target.details['permissions']).toEqual([
        { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '0.0.0.0/0' },
        { protocol: '-1', cidr: '::/0' },
      ]);
    });

    it('reads the flat pre-2014 request form', () => {
      const event = loadRemediationEvent('ec2-authorize-ingress-legacy');
      event.detail.requestParameters = {
        groupId: SG,
        ipProtocol: 'tcp',
        fromPort: 3389,
        toPort: 3389,
        cidrIp: '0.0.0.0/0',
      };

      expect(targetOrFail(action.target(event, CTX)).details['permissions']).toEqual([
        { protocol: 'tcp', fromPort: 3389, toPort: 3389, cidr: '0.0.0.0/0' },
      ]);
    });

    it('takes the rule id from the request of ModifySecurityGroupRules', () => {
      const target = targetOrFail(action.target(loadRemediationEvent('ec2-modify-rules'), CTX));

      expect(target.details).toMatchObject({ groupId: SG, ruleIds: ['sgr-0d44444444444444d'] });
    });

    it.each([
      [
        'an event that opened only HTTPS',
        (e: any) => {
          e.detail.responseElements.securityGroupRuleSet.items = [
            e.detail.responseElements.securityGroupRuleSet.items[1],
          ];
        },
        /no added rule opens/,
      ],
      [
        'an egress rule set',
        (e: any) => {
          for (const i of e.detail.responseElements.securityGroupRuleSet.items) i.isEgress = true;
        },
        /no added rule opens/,
      ],
      ['another event', (e: any) => (e.detail.eventName = 'RevokeSecurityGroupIngress'), /not an ingress change/],
      [
        'an event with a group name only',
        (e: any) => {
          e.detail.requestParameters = { groupName: 'web' };
          e.detail.responseElements = { _return: true };
        },
        /no group id/,
      ],
    ])('refuses %s', (_case, mutate, reason) => {
      const event = loadRemediationEvent('ec2-authorize-ingress');
      mutate(event);

      expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
    });

    it('refuses a ModifySecurityGroupRules that opens nothing to the world', () => {
      const event = loadRemediationEvent('ec2-modify-rules');
      (
        event.detail.requestParameters as any
      ).ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRule.CidrIpv4 = '192.0.2.0/24';

      expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(/do not open/) });
    });
  });

  it('reads the rules of the group only', () => {
    expect(action.stateReads(authorize())).toEqual([
      {
        service: 'ec2',
        operation: 'DescribeSecurityGroupRules',
        input: { Filters: [{ Name: 'group-id', Values: [SG] }] },
        region: 'eu-west-1',
      },
    ]);
  });

  describe('world openings made of several rules (the catalog normaliser decides)', () => {
    const fixture = (name: string) => loadEvent('ec2-security-group-world-open-ingress', name);

    it.each([
      ['positive-ssh-from-two-half-blocks', ['sgr-05a17c3e900000001', 'sgr-05a17c3e900000002']],
      ['positive-ssh-ipv6-union', ['sgr-05a17c3e90000000d', 'sgr-05a17c3e90000000e']],
      // A /0 on 22 next to 10.0.0.0/8 on 22 in the same event: only the /0 opens the port.
      ['positive-truncated-request-response-rules', ['sgr-05a17c3e900000010']],
    ])('%s: targets %j', (name, ruleIds) => {
      expect(targetOrFail(action.target(fixture(name), CTX)).details['ruleIds']).toEqual(ruleIds);
    });

    it('revokes both halves of a union, verifies once they are gone, and leaves one half alone', () => {
      const target = targetOrFail(action.target(fixture('positive-ssh-from-two-half-blocks'), CTX));
      const half = (id: string, cidr: string) => rule(id, { FromPort: 22, ToPort: 22, CidrIpv4: cidr });
      const both = {
        rules: [half('sgr-05a17c3e900000001', '0.0.0.0/1'), half('sgr-05a17c3e900000002', '128.0.0.0/1')],
      };

      const plan = actOrFail(action.plan(target, both));

      expect(plan.calls.map((c) => c.input['SecurityGroupRuleIds'])).toEqual([
        ['sgr-05a17c3e900000001'],
        ['sgr-05a17c3e900000002'],
      ]);
      expect(action.verify(target, { rules: [] })).toMatchObject({ fixed: true });
      // One half revoked by someone else already: the other alone does not open the port.
      expect(action.plan(target, { rules: [both.rules[1]!] })).toMatchObject({ kind: 'already-compliant' });
    });
  });

  describe('plan', () => {
    it('revokes exactly the offending rules by id, one call each, and nothing else of the group', () => {
      const plan = actOrFail(action.plan(authorize(), BEFORE));

      expect(plan.calls).toEqual([
        {
          service: 'ec2',
          operation: 'RevokeSecurityGroupIngress',
          input: { GroupId: SG, SecurityGroupRuleIds: ['sgr-0a11111111111111a'] },
          region: 'eu-west-1',
        },
        {
          service: 'ec2',
          operation: 'RevokeSecurityGroupIngress',
          input: { GroupId: SG, SecurityGroupRuleIds: ['sgr-0c33333333333333c'] },
          region: 'eu-west-1',
        },
      ]);
      expect(plan.summary).toBe(
        `revoke sgr-0a11111111111111a (tcp 22 from 0.0.0.0/0), sgr-0c33333333333333c (tcp 3389 from ::/0) on ${SG}`,
      );
      expect(plan.snapshot).toEqual({ groupId: SG, region: 'eu-west-1', revokedRules: [SSH_WORLD, RDP_WORLD_V6] });
    });

    it('is already compliant on a second run, once the rules are gone', () => {
      const after: IngressState = { rules: [HTTPS_WORLD, SSH_PRIVATE, EGRESS_ALL] };

      expect(action.plan(authorize(), after)).toEqual({
        kind: 'already-compliant',
        target: authorize(),
        reason: `the offending rules are no longer in ${SG}`,
      });
    });

    it('is already compliant when the rules were narrowed to a private range meanwhile', () => {
      const narrowed: IngressState = {
        rules: [
          { ...SSH_WORLD, CidrIpv4: '10.1.0.0/16' },
          { ...RDP_WORLD_V6, CidrIpv6: '2001:db8::/32' },
        ],
      };

      expect(action.plan(authorize(), narrowed)).toMatchObject({ kind: 'already-compliant', reason: /no longer open/ });
    });

    it('matches legacy permissions exactly: protocol, ports and the world range', () => {
      const target = targetOrFail(action.target(loadRemediationEvent('ec2-authorize-ingress-legacy'), CTX));
      const allV6 = rule('sgr-0a77777777777777a', { IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv6: '::/0' });
      const ssh2222 = rule('sgr-0a88888888888888a', { FromPort: 2222, ToPort: 2222, CidrIpv4: '0.0.0.0/0' });
      const sshRange = rule('sgr-0a99999999999999a', { FromPort: 20, ToPort: 25, CidrIpv4: '0.0.0.0/0' });

      const plan = actOrFail(
        action.plan(target, { rules: [SSH_WORLD, SSH_PRIVATE, allV6, ssh2222, sshRange, HTTPS_WORLD] }),
      );

      expect(plan.calls.map((c) => c.input['SecurityGroupRuleIds'])).toEqual([
        ['sgr-0a11111111111111a'],
        ['sgr-0a77777777777777a'],
      ]);
    });

    it('refuses a modified rule that turns out to be egress', () => {
      const target = targetOrFail(action.target(loadRemediationEvent('ec2-modify-rules'), CTX));
      const egress = rule('sgr-0d44444444444444d', { IsEgress: true, FromPort: 22, ToPort: 22, CidrIpv4: '0.0.0.0/0' });

      expect(action.plan(target, { rules: [egress] })).toMatchObject({ kind: 'refuse', reason: /is egress/ });
    });

    it('revokes a modified ingress rule that is still world-open', () => {
      const target = targetOrFail(action.target(loadRemediationEvent('ec2-modify-rules'), CTX));
      const modified = rule('sgr-0d44444444444444d', { FromPort: 22, ToPort: 22, CidrIpv4: '0.0.0.0/0' });

      expect(actOrFail(action.plan(target, { rules: [modified, SSH_PRIVATE] })).calls).toEqual([
        expect.objectContaining({ input: { GroupId: SG, SecurityGroupRuleIds: ['sgr-0d44444444444444d'] } }),
      ]);
    });
  });

  it('verifies that none of the offending rules is left', () => {
    const target = authorize();

    expect(action.verify(target, { rules: [HTTPS_WORLD, SSH_PRIVATE] })).toEqual({
      fixed: true,
      detail: expect.any(String),
    });
    expect(action.verify(target, { rules: [RDP_WORLD_V6] })).toEqual({
      fixed: false,
      detail: 'still open: sgr-0c33333333333333c (tcp 3389 from ::/0)',
    });
  });

  it('undoes by authorizing each revoked rule again, as it was described', () => {
    const plan = actOrFail(action.plan(authorize(), BEFORE));

    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 'ec2',
        operation: 'AuthorizeSecurityGroupIngress',
        input: {
          GroupId: SG,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ops' }] },
          ],
        },
        region: 'eu-west-1',
      },
      {
        service: 'ec2',
        operation: 'AuthorizeSecurityGroupIngress',
        input: {
          GroupId: SG,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
        },
        region: 'eu-west-1',
      },
    ]);
  });
});
