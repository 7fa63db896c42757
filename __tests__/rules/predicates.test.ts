import {
  bucketPolicyIsPublic,
  busPermissionIsFinding,
  type CloudTrailEventBridgeEvent,
  type CloudTrailUserIdentity,
  coversAdminPort,
  findingsSuppressedByHand,
  ingressOpensAdminPortsToWorld,
  inlinePolicyGrantsAdmin,
  modifiedRuleOpensAdminPortsToWorld,
  networkAclEntryOpensAdminPortsToWorld,
  type PredicateContext,
  parsePolicyDocument,
  policyStatements,
  targetsAnotherUser,
  trustPolicyAllowsOutsideOrg,
  vigilRoleMisused,
} from '../../rules/predicates';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePredicateContext } from '../../handlers/core/own-calls';

const OWN = '110000000006';
const ORG_ACCOUNT = '110000000003';
const OUTSIDE = '999988887777';
const ctx: PredicateContext = makePredicateContext({
  organizationId: 'o-k3m9x2p7qa',
  namePrefix: 'vigil',
  accountIds: [OWN, ORG_ACCOUNT],
  securityAccountId: ORG_ACCOUNT,
});

const user = (name: string): CloudTrailUserIdentity => ({
  type: 'IAMUser',
  arn: `arn:aws:iam::${OWN}:user/${name}`,
  accountId: OWN,
  userName: name,
});
const assumedRole: CloudTrailUserIdentity = {
  type: 'AssumedRole',
  arn: `arn:aws:sts::${OWN}:assumed-role/admin/jane`,
  accountId: OWN,
};

/** A minimal EventBridge envelope around a CloudTrail record (only what predicates read). */
function event(
  eventName: string,
  requestParameters: Record<string, unknown> | null,
  userIdentity: CloudTrailUserIdentity = assumedRole,
): CloudTrailEventBridgeEvent {
  return {
    id: 'e1',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.test',
    account: OWN,
    time: '2025-01-01T00:00:00Z',
    region: 'us-east-1',
    detail: { eventSource: 'test.amazonaws.com', eventName, userIdentity, requestParameters, recipientAccountId: OWN },
  };
}

const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });

describe('parsePolicyDocument', () => {
  const plain =
    '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]\n}';

  it.each([
    ['a JSON string with newlines (IAM request parameters)', plain],
    ['a URL-encoded string (IAM response elements)', encodeURIComponent(plain)],
    ['a form-encoded string with + for spaces', encodeURIComponent(plain).replace(/%20/g, '+')],
    ['an object (S3 bucketPolicy)', JSON.parse(plain)],
  ])('reads %s', (_case, raw) => {
    expect(policyStatements(raw)).toEqual([{ Effect: 'Allow', Action: '*', Resource: '*' }]);
  });

  it('reads a single statement given as an object', () => {
    expect(policyStatements(JSON.stringify({ Statement: { Effect: 'Deny' } }))).toEqual([{ Effect: 'Deny' }]);
  });

  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['text that is not JSON', 'not a policy'],
    ['broken percent-encoding', '%7B%E0%A4%A'],
    ['a JSON array', '[1,2]'],
  ])('returns undefined for %s', (_case, raw) => {
    expect(parsePolicyDocument(raw)).toBeUndefined();
    expect(policyStatements(raw)).toBeUndefined();
  });
});

describe('inlinePolicyGrantsAdmin', () => {
  it.each([
    ['Action "*"', doc({ Effect: 'Allow', Action: '*', Resource: '*' })],
    ['Action "iam:*" in a list', doc({ Effect: 'Allow', Action: ['s3:GetObject', 'IAM:*'], Resource: '*' })],
    ['Action "*:*"', doc({ Effect: 'Allow', Action: '*:*', Resource: 'arn:aws:s3:::b' })],
    ['Allow + NotAction on every resource', doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })],
    ['a URL-encoded document', encodeURIComponent(doc({ Effect: 'Allow', Action: '*', Resource: '*' }))],
  ])('is true for %s', (_case, policyDocument) => {
    expect(inlinePolicyGrantsAdmin(event('PutRolePolicy', { roleName: 'r', policyDocument }))).toBe(true);
  });

  it.each([
    ['a scoped action', doc({ Effect: 'Allow', Action: 'iam:GetRole', Resource: '*' })],
    ['Deny "*"', doc({ Effect: 'Deny', Action: '*', Resource: '*' })],
    ['NotAction on one resource', doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::b' })],
    ['a statement without Effect', doc({ Action: '*', Resource: '*' })],
    ['a missing document', undefined],
  ])('is false for %s', (_case, policyDocument) => {
    expect(inlinePolicyGrantsAdmin(event('PutUserPolicy', { userName: 'u', policyDocument }))).toBe(false);
  });

  it('is false when the event has no request parameters', () => {
    expect(inlinePolicyGrantsAdmin(event('PutUserPolicy', null))).toBe(false);
  });
});

describe('trustPolicyAllowsOutsideOrg', () => {
  const update = (statement: unknown) =>
    event('UpdateAssumeRolePolicy', { roleName: 'r', policyDocument: doc(statement) });
  const allow = (Principal: unknown, Condition?: unknown) => ({
    Effect: 'Allow',
    Principal,
    Action: 'sts:AssumeRole',
    ...(Condition ? { Condition } : {}),
  });

  it.each([
    ['Principal "*"', allow('*')],
    ['{"AWS": "*"}', allow({ AWS: '*' })],
    ['"*" with only an ExternalId condition', allow('*', { StringEquals: { 'sts:ExternalId': 'x' } })],
    ['an outside account root', allow({ AWS: `arn:aws:iam::${OUTSIDE}:root` })],
    ['an outside account id', allow({ AWS: [ORG_ACCOUNT, OUTSIDE] })],
    ['an outside assumed-role ARN', allow({ AWS: `arn:aws:sts::${OUTSIDE}:assumed-role/x/y` })],
    ['NotPrincipal with Allow', { Effect: 'Allow', NotPrincipal: { AWS: `arn:aws:iam::${OWN}:root` }, Action: '*' }],
    ['"*" pinned to another organization', allow('*', { StringEquals: { 'aws:PrincipalOrgID': 'o-someoneelse' } })],
    ['"*" pinned to an outside account', allow('*', { StringEquals: { 'aws:PrincipalAccount': OUTSIDE } })],
    ['"*" with a negated org condition', allow('*', { StringNotEquals: { 'aws:PrincipalOrgID': 'o-k3m9x2p7qa' } })],
    [
      '"*" with an IfExists org condition',
      allow('*', { StringEqualsIfExists: { 'aws:PrincipalOrgID': 'o-k3m9x2p7qa' } }),
    ],
    [
      '"*" pinned to an outside principal ARN',
      allow('*', { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${OUTSIDE}:role/x` } }),
    ],
    ['"*" pinned to a principal ARN it cannot read', allow('*', { ArnLike: { 'aws:PrincipalArn': 'AROAEXAMPLE' } })],
    ['"*" with an unrelated condition key', allow('*', { Bool: { 'aws:SecureTransport': 'true' } })],
    ['"*" with an empty condition value', allow('*', { StringEquals: { 'aws:PrincipalOrgID': [] } })],
  ])('is true for %s', (_case, statement) => {
    expect(trustPolicyAllowsOutsideOrg(update(statement), ctx)).toBe(true);
  });

  it.each([
    ['the own account', allow({ AWS: `arn:aws:iam::${OWN}:root` })],
    ['an organization account', allow({ AWS: ORG_ACCOUNT })],
    ['a service principal', allow({ Service: 'lambda.amazonaws.com' })],
    ['a federated principal', allow({ Federated: `arn:aws:iam::${OWN}:saml-provider/idp` })],
    ['a unique principal id', allow({ AWS: 'AROAEXAMPLEEXAMPLE' })],
    ['"*" pinned to the organization', allow('*', { StringEquals: { 'aws:PrincipalOrgID': 'o-k3m9x2p7qa' } })],
    ['"*" pinned to org accounts', allow('*', { StringEquals: { 'aws:PrincipalAccount': [OWN, ORG_ACCOUNT] } })],
    ['"*" pinned to an org role ARN', allow('*', { ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${OWN}:role/x` } })],
    ['Deny "*"', { Effect: 'Deny', Principal: '*', Action: 'sts:AssumeRole' }],
  ])('is false for %s', (_case, statement) => {
    expect(trustPolicyAllowsOutsideOrg(update(statement), ctx)).toBe(false);
  });

  it('reads CreateRole assumeRolePolicyDocument', () => {
    const e = event('CreateRole', { roleName: 'r', assumeRolePolicyDocument: doc(allow({ AWS: OUTSIDE })) });
    expect(trustPolicyAllowsOutsideOrg(e, ctx)).toBe(true);
  });

  it('counts the event account as inside even when the inventory lacks it', () => {
    const e = update(allow({ AWS: '123456789012' }));
    const own = { ...e, account: '123456789012', detail: { ...e.detail, recipientAccountId: undefined } };
    expect(trustPolicyAllowsOutsideOrg(own, ctx)).toBe(false);
  });

  it('is false without a document', () => {
    expect(trustPolicyAllowsOutsideOrg(event('CreateRole', { roleName: 'r' }), ctx)).toBe(false);
  });
});

describe('targetsAnotherUser', () => {
  it.each([
    ['an IAM user naming someone else', user('alice'), 'bob', true],
    ['an IAM user naming itself', user('alice'), 'alice', false],
    ['a role naming any user', assumedRole, 'alice', true],
    ['root naming a user', { type: 'Root', arn: `arn:aws:iam::${OWN}:root` }, 'alice', true],
    [
      'an IAM user known only by ARN (with path)',
      { type: 'IAMUser', arn: `arn:aws:iam::${OWN}:user/ops/alice` },
      'alice',
      false,
    ],
  ])('%s → %s', (_case, who, userName, expected) => {
    expect(targetsAnotherUser(event('CreateAccessKey', { userName }, who))).toBe(expected);
  });

  it.each([
    ['no request parameters', null],
    ['no userName (the caller itself)', {}],
    ['an empty userName', { userName: '' }],
  ])('is false with %s', (_case, params) => {
    expect(targetsAnotherUser(event('CreateLoginProfile', params, user('alice')))).toBe(false);
  });

  it('treats an event without userIdentity as another user acting', () => {
    const e = event('CreateAccessKey', { userName: 'alice' });
    expect(targetsAnotherUser({ ...e, detail: { ...e.detail, userIdentity: undefined } })).toBe(true);
  });
});

describe('coversAdminPort', () => {
  it.each([
    ['-1', undefined, undefined, true],
    ['all', 0, 0, true],
    ['tcp', 22, 22, true],
    ['TCP', '20', '25', true],
    ['6', 3389, 3389, true],
    ['tcp', 0, 65535, true],
    ['tcp', -1, -1, true],
    ['tcp', undefined, undefined, true],
    ['udp', 3389, 3389, true],
    ['17', 3000, 4000, true],
    ['tcp', 443, 443, false],
    ['tcp', 23, 3388, false],
    ['udp', 22, 22, false],
    ['icmp', -1, -1, false],
    ['58', -1, -1, false],
    [undefined, 22, 22, false],
    ['tcp', '', 'abc', true],
  ])('protocol %s, ports %s-%s → %s', (protocol, from, to, expected) => {
    expect(coversAdminPort(protocol, from, to)).toBe(expected);
  });
});

describe('ingressOpensAdminPortsToWorld', () => {
  const ingress = (items: unknown[], extra: Record<string, unknown> = {}) =>
    event('AuthorizeSecurityGroupIngress', { groupId: 'sg-1', ipPermissions: { items }, ...extra });
  const perm = (
    ipProtocol: string,
    fromPort: number | undefined,
    toPort: number | undefined,
    v4: string[],
    v6: string[] = [],
  ) => ({
    ipProtocol,
    ...(fromPort === undefined ? {} : { fromPort }),
    ...(toPort === undefined ? {} : { toPort }),
    ipRanges: v4.length ? { items: v4.map((cidrIp) => ({ cidrIp })) } : {},
    ipv6Ranges: v6.length ? { items: v6.map((cidrIpv6) => ({ cidrIpv6 })) } : {},
  });

  it.each([
    ['SSH from 0.0.0.0/0', [perm('tcp', 22, 22, ['0.0.0.0/0'])]],
    ['RDP from ::/0', [perm('tcp', 3389, 3389, [], ['::/0'])]],
    ['all traffic from the world', [perm('-1', undefined, undefined, ['0.0.0.0/0'])]],
    ['a range covering 22', [perm('6', 1, 1024, ['0.0.0.0/0'])]],
    ['the world in the second permission', [perm('tcp', 443, 443, ['10.0.0.0/8']), perm('tcp', 22, 22, ['0.0.0.0/0'])]],
    ['an IPv6 world range written long-hand', [perm('tcp', 22, 22, [], ['0:0:0:0:0:0:0:0/0'])]],
    ['two /1 blocks in one permission', [perm('tcp', 22, 22, ['0.0.0.0/1', '128.0.0.0/1'])]],
    [
      'two /1 blocks in two permissions reaching 22',
      [perm('tcp', 22, 22, ['0.0.0.0/1']), perm('tcp', 1, 1024, ['128.0.0.0/1'])],
    ],
    ['two IPv6 /1 blocks', [perm('tcp', 3389, 3389, [], ['::/1', '8000::/1'])]],
    ['a /0 with host bits set', [perm('tcp', 22, 22, ['10.1.2.3/0'])]],
  ])('is true for %s', (_case, items) => {
    expect(ingressOpensAdminPortsToWorld(ingress(items))).toBe(true);
  });

  it.each([
    ['HTTPS from the world', [perm('tcp', 443, 443, ['0.0.0.0/0'], ['::/0'])]],
    ['SSH from a private range', [perm('tcp', 22, 22, ['10.0.0.0/8'])]],
    ['SSH from one host', [perm('tcp', 22, 22, ['203.0.113.10/32'])]],
    [
      'world and SSH in different permissions',
      [perm('tcp', 443, 443, ['0.0.0.0/0']), perm('tcp', 22, 22, ['10.0.0.0/8'])],
    ],
    [
      'a source security group',
      [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, groups: { items: [{ groupId: 'sg-2' }] } }],
    ],
    ['no permissions', []],
    ['a union that misses one block', [perm('tcp', 22, 22, ['0.0.0.0/1', '128.0.0.0/2', '224.0.0.0/3'])]],
    ['halves on different ports', [perm('tcp', 443, 443, ['0.0.0.0/1']), perm('tcp', 22, 22, ['128.0.0.0/1'])]],
    ['an IPv4 half and an IPv6 half', [perm('tcp', 22, 22, ['0.0.0.0/1'], ['8000::/1'])]],
    ['invalid CIDRs', [perm('tcp', 22, 22, ['0.0.0.0/33', 'world/0', '256.0.0.0/1', '128.0.0.0/1'])]],
  ])('is false for %s', (_case, items) => {
    expect(ingressOpensAdminPortsToWorld(ingress(items))).toBe(false);
  });

  it('reads ports given as strings and one-element lists given as objects', () => {
    const single = { ipProtocol: '6', fromPort: '22', toPort: '22', ipRanges: { items: { cidrIp: '0.0.0.0/0' } } };
    expect(
      ingressOpensAdminPortsToWorld(event('AuthorizeSecurityGroupIngress', { ipPermissions: { items: single } })),
    ).toBe(true);
  });

  describe('with a truncated request', () => {
    const rule = (ipProtocol: string, fromPort: number, toPort: number, cidr: Record<string, string>) => ({
      securityGroupRuleId: 'sgr-1',
      isEgress: false,
      ipProtocol,
      fromPort,
      toPort,
      ...cidr,
    });
    const truncated = (
      requestParameters: Record<string, unknown> | null,
      rules: unknown,
    ): CloudTrailEventBridgeEvent => {
      const e = event('AuthorizeSecurityGroupIngress', requestParameters);
      return {
        ...e,
        detail: { ...e.detail, responseElements: { _return: true, securityGroupRuleSet: { items: rules } } },
      };
    };

    it.each([
      ['omitted: true', { omitted: true }],
      ['no request parameters', null],
      ['a request without permissions', { groupId: 'sg-1' }],
    ])('reads the response rules when the request has %s', (_case, request) => {
      expect(ingressOpensAdminPortsToWorld(truncated(request, [rule('tcp', 22, 22, { cidrIpv4: '0.0.0.0/0' })]))).toBe(
        true,
      );
      expect(
        ingressOpensAdminPortsToWorld(
          truncated(request, [
            rule('tcp', 22, 22, { cidrIpv4: '0.0.0.0/1' }),
            rule('6', 0, 100, { cidrIpv4: '128.0.0.0/1' }),
          ]),
        ),
      ).toBe(true);
      expect(ingressOpensAdminPortsToWorld(truncated(request, rule('tcp', 22, 22, { cidrIpv4: '10.0.0.0/8' })))).toBe(
        false,
      );
    });

    it('ignores egress rules in the response', () => {
      const egress = { ...rule('-1', -1, -1, { cidrIpv4: '0.0.0.0/0' }), isEgress: true };
      expect(ingressOpensAdminPortsToWorld(truncated({ omitted: true }, [egress]))).toBe(false);
    });
  });

  it('reads the legacy flat request form', () => {
    const flat = event('AuthorizeSecurityGroupIngress', {
      groupId: 'sg-1',
      ipProtocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      cidrIp: '0.0.0.0/0',
    });
    expect(ingressOpensAdminPortsToWorld(flat)).toBe(true);
    const https = event('AuthorizeSecurityGroupIngress', {
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIp: '0.0.0.0/0',
    });
    expect(ingressOpensAdminPortsToWorld(https)).toBe(false);
  });

  it('is false without request parameters', () => {
    expect(ingressOpensAdminPortsToWorld(event('AuthorizeSecurityGroupIngress', null))).toBe(false);
  });
});

describe('modifiedRuleOpensAdminPortsToWorld', () => {
  const modify = (SecurityGroupRule: unknown) =>
    event('ModifySecurityGroupRules', { ModifySecurityGroupRulesRequest: { GroupId: 'sg-1', SecurityGroupRule } });
  const entry = (rule: Record<string, unknown>) => ({ SecurityGroupRuleId: 'sgr-1', tag: 1, SecurityGroupRule: rule });

  it.each([
    ['SSH to 0.0.0.0/0', entry({ CidrIpv4: '0.0.0.0/0', FromPort: 22, ToPort: 22, IpProtocol: 'tcp' })],
    ['all traffic to ::/0', entry({ CidrIpv6: '::/0', FromPort: -1, ToPort: -1, IpProtocol: '-1' })],
    [
      'the second of several rules',
      [
        entry({ CidrIpv4: '10.0.0.0/8', IpProtocol: '-1' }),
        entry({ CidrIpv4: '0.0.0.0/0', FromPort: 3389, ToPort: 3389, IpProtocol: 'tcp' }),
      ],
    ],
  ])('is true for %s', (_case, rules) => {
    expect(modifiedRuleOpensAdminPortsToWorld(modify(rules))).toBe(true);
  });

  it.each([
    ['HTTPS to the world', entry({ CidrIpv4: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })],
    ['SSH from a private range', entry({ CidrIpv4: '10.0.0.0/8', FromPort: 22, ToPort: 22, IpProtocol: 'tcp' })],
    ['a prefix list source', entry({ PrefixListId: 'pl-1', FromPort: 22, ToPort: 22, IpProtocol: 'tcp' })],
    ['an entry without a rule', { SecurityGroupRuleId: 'sgr-1' }],
  ])('is false for %s', (_case, rules) => {
    expect(modifiedRuleOpensAdminPortsToWorld(modify(rules))).toBe(false);
  });

  it('unites the CIDRs of the request rules reaching one admin port', () => {
    const halves = [
      entry({ CidrIpv4: '0.0.0.0/1', FromPort: '22', ToPort: '22', IpProtocol: 'tcp' }),
      entry({ CidrIpv4: '128.0.0.0/1', FromPort: 22, ToPort: 22, IpProtocol: '6' }),
    ];
    expect(modifiedRuleOpensAdminPortsToWorld(modify(halves))).toBe(true);
    const apart = [halves[0], entry({ CidrIpv4: '128.0.0.0/1', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })];
    expect(modifiedRuleOpensAdminPortsToWorld(modify(apart))).toBe(false);
  });

  it('is false when the request is not wrapped as CloudTrail records it', () => {
    expect(modifiedRuleOpensAdminPortsToWorld(event('ModifySecurityGroupRules', { GroupId: 'sg-1' }))).toBe(false);
  });
});

describe('networkAclEntryOpensAdminPortsToWorld', () => {
  const entry = (fields: Record<string, unknown>, eventName = 'ReplaceNetworkAclEntry') =>
    event(eventName, {
      networkAclId: 'acl-1',
      ruleNumber: 100,
      egress: false,
      ruleAction: 'allow',
      icmpTypeCode: {},
      ...fields,
    });

  it.each([
    ['SSH from 0.0.0.0/0', { aclProtocol: '6', portRange: { from: 22, to: 22 }, cidrBlock: '0.0.0.0/0' }],
    ['all protocols from the world', { aclProtocol: '-1', portRange: {}, cidrBlock: '0.0.0.0/0' }],
    [
      'RDP from ::/0 with ports as strings',
      { aclProtocol: '6', portRange: { from: '3389', to: '3389' }, ipv6CidrBlock: '::/0' },
    ],
    ['RDP over UDP', { aclProtocol: '17', portRange: { from: 3000, to: 4000 }, cidrBlock: '0.0.0.0/0' }],
    [
      'a protocol name and upper-case action',
      { aclProtocol: 'tcp', ruleAction: 'ALLOW', portRange: { from: 0, to: 65535 }, cidrBlock: '0.0.0.0/0' },
    ],
    ['TCP without a port range', { aclProtocol: '6', cidrBlock: '0.0.0.0/0' }],
  ])('is true for %s', (_case, fields) => {
    expect(networkAclEntryOpensAdminPortsToWorld(entry(fields))).toBe(true);
    expect(networkAclEntryOpensAdminPortsToWorld(entry(fields, 'CreateNetworkAclEntry'))).toBe(true);
  });

  it.each([
    ['a deny entry', { ruleAction: 'deny', aclProtocol: '-1', cidrBlock: '0.0.0.0/0' }],
    ['an egress entry', { egress: true, aclProtocol: '-1', cidrBlock: '0.0.0.0/0' }],
    ['an egress entry with egress as a string', { egress: 'true', aclProtocol: '-1', cidrBlock: '0.0.0.0/0' }],
    ['HTTPS only', { aclProtocol: '6', portRange: { from: 443, to: 443 }, cidrBlock: '0.0.0.0/0' }],
    ['SSH from a private range', { aclProtocol: '6', portRange: { from: 22, to: 22 }, cidrBlock: '10.0.0.0/8' }],
    ['ICMP from the world', { aclProtocol: '1', icmpTypeCode: { code: -1, type: -1 }, cidrBlock: '0.0.0.0/0' }],
    ['half of the world', { aclProtocol: '-1', cidrBlock: '0.0.0.0/1' }],
    ['no rule action', { ruleAction: undefined, aclProtocol: '-1', cidrBlock: '0.0.0.0/0' }],
  ])('is false for %s', (_case, fields) => {
    expect(networkAclEntryOpensAdminPortsToWorld(entry(fields))).toBe(false);
  });

  it('is false without request parameters', () => {
    expect(networkAclEntryOpensAdminPortsToWorld(event('ReplaceNetworkAclEntry', null))).toBe(false);
    expect(networkAclEntryOpensAdminPortsToWorld(event('ReplaceNetworkAclEntry', { omitted: true }))).toBe(false);
  });
});

describe('bucketPolicyIsPublic', () => {
  const put = (...statements: unknown[]) =>
    event('PutBucketPolicy', { bucketName: 'b', bucketPolicy: { Version: '2012-10-17', Statement: statements } });
  const allowAll = (Condition?: unknown) => ({
    Effect: 'Allow',
    Principal: '*',
    Action: 's3:GetObject',
    Resource: 'arn:aws:s3:::b/*',
    ...(Condition ? { Condition } : {}),
  });

  it.each([
    ['Principal "*"', allowAll()],
    ['{"AWS": "*"} in a list', { Effect: 'Allow', Principal: { AWS: ['*'] }, Action: 's3:*', Resource: '*' }],
    ['a world source IP', allowAll({ IpAddress: { 'aws:SourceIp': ['0.0.0.0/0'] } })],
    ['a wildcard source ARN', allowAll({ ArnLike: { 'aws:SourceArn': 'arn:aws:cloudfront::*' } })],
    ['a negated account condition', allowAll({ StringNotEquals: { 'aws:PrincipalAccount': OWN } })],
    ['only a transport condition', allowAll({ Bool: { 'aws:SecureTransport': 'true' } })],
  ])('is true for %s', (_case, statement) => {
    expect(bucketPolicyIsPublic(put(statement))).toBe(true);
  });

  it.each([
    [
      'a named account',
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OWN}:root` }, Action: 's3:*', Resource: '*' },
    ],
    ['"*" pinned to the organization', allowAll({ StringEquals: { 'aws:PrincipalOrgID': 'o-k3m9x2p7qa' } })],
    ['"*" pinned to a VPC endpoint', allowAll({ StringEquals: { 'aws:SourceVpce': 'vpce-1' } })],
    ['"*" pinned to an office network', allowAll({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } })],
    ['"*" pinned to a source account', allowAll({ StringEquals: { 'aws:SourceAccount': OWN } })],
    [
      '"*" pinned to a CloudFront distribution',
      allowAll({ StringEquals: { 'aws:SourceArn': 'arn:aws:cloudfront::1:distribution/E1' } }),
    ],
    ['"*" pinned to a user id', allowAll({ StringLike: { 'aws:userid': 'AROAEXAMPLE:x' } })],
    [
      'a service principal',
      { Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject', Resource: '*' },
    ],
    ['Deny "*"', { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: '*' }],
    ['a statement without Principal', { Effect: 'Allow', Action: 's3:*', Resource: '*' }],
  ])('is false for %s', (_case, statement) => {
    expect(bucketPolicyIsPublic(put(statement))).toBe(false);
  });

  it('reads a policy recorded as a JSON string', () => {
    const e = event('PutBucketPolicy', { bucketName: 'b', bucketPolicy: doc(allowAll()) });
    expect(bucketPolicyIsPublic(e)).toBe(true);
  });

  it('is false without a policy', () => {
    expect(bucketPolicyIsPublic(event('PutBucketPolicy', { bucketName: 'b' }))).toBe(false);
  });
});

describe('vigilRoleMisused', () => {
  /** A session of the role `issuerArn` (issuer account `issuerAccount`) making `eventSource` `eventName` in OWN. */
  const callBy = (
    issuerArn: string,
    eventSource: string,
    eventName: string,
    issuerAccount = OWN,
  ): CloudTrailEventBridgeEvent => ({
    id: 'e-1',
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${eventSource.split('.')[0]}`,
    account: OWN,
    time: '2025-06-10T14:12:03Z',
    region: 'eu-west-1',
    detail: {
      eventSource,
      eventName,
      recipientAccountId: OWN,
      userIdentity: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${issuerAccount}:assumed-role/${issuerArn.split('/').pop()}/s-1`,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            arn: issuerArn,
            accountId: issuerAccount,
            userName: issuerArn.split('/').pop(),
          },
        },
      },
    },
  });
  const REMEDIATION = `arn:aws:iam::${OWN}:role/vigil-remediation`;
  const UNDO = `arn:aws:iam::${OWN}:role/vigil-remediation-undo`;

  it.each([
    ["the remediation role's corrective call", callBy(REMEDIATION, 'ec2.amazonaws.com', 'RevokeSecurityGroupIngress')],
    [
      "the remediation role's account-level block restore",
      callBy(REMEDIATION, 's3.amazonaws.com', 'PutAccountPublicAccessBlock'),
    ],
    ["the undo role's undo call", callBy(UNDO, 'ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress')],
    ['another role', callBy(`arn:aws:iam::${OWN}:role/Admin`, 'kms.amazonaws.com', 'CreateKey')],
  ])('is false for %s', (_case, event) => {
    expect(vigilRoleMisused(event, ctx)).toBe(false);
  });

  it.each([
    ['the remediation role making a call it is not for', callBy(REMEDIATION, 'kms.amazonaws.com', 'CreateKey')],
    ['the remediation role passing a role as an API call', callBy(REMEDIATION, 'iam.amazonaws.com', 'PassRole')],
    ['the undo role making a call it is not for', callBy(UNDO, 'iam.amazonaws.com', 'CreateAccessKey')],
    [
      'a role named like it under an IAM path',
      callBy(`arn:aws:iam::${OWN}:role/ops/vigil-remediation`, 'ec2.amazonaws.com', 'RevokeSecurityGroupIngress'),
    ],
    [
      'the role of that name in an account outside the inventory',
      callBy(
        `arn:aws:iam::${OUTSIDE}:role/vigil-remediation`,
        'ec2.amazonaws.com',
        'RevokeSecurityGroupIngress',
        OUTSIDE,
      ),
    ],
    [
      'the role of that name in another inventory account',
      callBy(
        `arn:aws:iam::${ORG_ACCOUNT}:role/vigil-remediation`,
        'ec2.amazonaws.com',
        'RevokeSecurityGroupIngress',
        ORG_ACCOUNT,
      ),
    ],
  ])('is true for %s', (_case, event) => {
    expect(vigilRoleMisused(event, ctx)).toBe(true);
  });

  it('is false for a caller without a session issuer', () => {
    const byUser = event('CreateKey', {}, { type: 'IAMUser', arn: `arn:aws:iam::${OWN}:user/vigil-remediation` });

    expect(vigilRoleMisused(byUser, ctx)).toBe(false);
  });
});

describe('busPermissionIsFinding', () => {
  it.each([
    ['any change to the central bus', 'RemovePermission', { eventBusName: 'vigil-security', statementId: 's' }, true],
    [
      'the central bus named by ARN',
      'PutPermission',
      { eventBusName: `arn:aws:events:eu-west-1:${ORG_ACCOUNT}:event-bus/vigil-security`, principal: ORG_ACCOUNT },
      true,
    ],
    ['a request that cannot be read', 'PutPermission', null, true],
    ['a policy that does not parse', 'PutPermission', { eventBusName: 'default', policy: '{' }, true],
    ['no principal and no policy', 'PutPermission', { eventBusName: 'default' }, true],
    ['everyone without an org condition', 'PutPermission', { principal: '*' }, true],
    [
      'everyone confined to another organization',
      'PutPermission',
      { principal: '*', condition: { type: 'StringEquals', key: 'aws:PrincipalOrgID', value: 'o-other' } },
      true,
    ],
    ['an outside account', 'PutPermission', { principal: OUTSIDE }, true],
    [
      'a policy with NotPrincipal',
      'PutPermission',
      { policy: doc({ Effect: 'Allow', NotPrincipal: { AWS: OWN }, Action: 'events:PutEvents', Resource: '*' }) },
      true,
    ],
    ['an org account', 'PutPermission', { principal: ORG_ACCOUNT }, false],
    [
      'everyone in this organization (case of the key ignored)',
      'PutPermission',
      { principal: '*', condition: { type: 'StringEquals', key: 'aws:principalorgid', value: 'o-k3m9x2p7qa' } },
      false,
    ],
    [
      'a Deny statement for everyone',
      'PutPermission',
      { policy: doc({ Effect: 'Deny', Principal: '*', Action: 'events:PutEvents', Resource: '*' }) },
      false,
    ],
    ['a removal on another bus', 'RemovePermission', { eventBusName: 'default', statementId: 's' }, false],
  ])('%s → %s', (_case, name, params, expected) => {
    expect(busPermissionIsFinding(event(name, params as Record<string, unknown> | null), ctx)).toBe(expected);
  });
});

describe('findingsSuppressedByHand (vigil suppressing its own findings is not a finding)', () => {
  const fixture = (name: string): CloudTrailEventBridgeEvent =>
    JSON.parse(
      readFileSync(
        join(__dirname, '..', 'fixtures', 'events', 'securityhub-findings-suppressed', `${name}.json`),
        'utf8',
      ),
    );
  const own = fixture('negative-vigil-findings-function');
  const withIds = (ids: unknown[]): CloudTrailEventBridgeEvent => ({
    ...own,
    detail: { ...own.detail, requestParameters: { ...own.detail.requestParameters, FindingIdentifiers: ids } },
  });
  const vigilId = 'vigil-3f6c2a9e8b7d41c0a5e2f91b6d4c8e07';
  const product = (region: string, account = ORG_ACCOUNT) =>
    `arn:aws:securityhub:${region}:${account}:product/${account}/default`;

  it("is quiet only for vigil's findings role suppressing vigil's own findings", () => {
    expect(findingsSuppressedByHand(own, ctx)).toBe(false);
    expect(findingsSuppressedByHand(fixture('positive-suppressed'), ctx)).toBe(true);
    expect(findingsSuppressedByHand(fixture('positive-vigil-role-foreign-finding'), ctx)).toBe(true);
    expect(findingsSuppressedByHand(fixture('positive-lookalike-role-path'), ctx)).toBe(true);
    expect(findingsSuppressedByHand(fixture('positive-lookalike-role-other-account'), ctx)).toBe(true);
  });

  it('reports a call whose findings are not exactly vigil’s: another region’s or account’s product, an id not vigil’s, none at all', () => {
    expect(findingsSuppressedByHand(withIds([{ Id: vigilId, ProductArn: product('eu-west-1') }]), ctx)).toBe(false);
    expect(findingsSuppressedByHand(withIds([{ Id: vigilId, ProductArn: product('us-east-1') }]), ctx)).toBe(true);
    expect(findingsSuppressedByHand(withIds([{ Id: vigilId, ProductArn: product('eu-west-1', OWN) }]), ctx)).toBe(true);
    expect(findingsSuppressedByHand(withIds([{ Id: 'vigil-x', ProductArn: product('eu-west-1') }]), ctx)).toBe(true);
    expect(findingsSuppressedByHand(withIds([]), ctx)).toBe(true);
  });
});
