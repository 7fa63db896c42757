import { MAX_EVENT_DEPTH } from '../../rules/bounded';
import { checkAndCompile, compilePattern, InvalidPatternError, matchesPattern } from '../../rules/event-pattern';
import type { EventPattern } from '../../rules/types';

/**
 * An AuthorizeSecurityGroupIngress call as EventBridge delivers it: the CloudTrail record (documented shape,
 * including CloudTrail's `items` wrappers for lists) inside the EventBridge envelope. Ids scrubbed.
 */
const INGRESS = {
  version: '0',
  id: '6f3b0b5e-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.ec2',
  account: '111111111111',
  time: '2024-05-02T10:15:30Z',
  region: 'eu-west-1',
  resources: [],
  detail: {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEID:alice',
      arn: 'arn:aws:sts::111111111111:assumed-role/Admin/alice',
      accountId: '111111111111',
      accessKeyId: 'ASIAEXAMPLEKEY',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEID',
          arn: 'arn:aws:iam::111111111111:role/Admin',
          accountId: '111111111111',
          userName: 'Admin',
        },
        attributes: { creationDate: '2024-05-02T09:58:11Z', mfaAuthenticated: 'false' },
      },
    },
    eventTime: '2024-05-02T10:15:30Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
    requestParameters: {
      groupId: 'sg-0123456789abcdef0',
      ipPermissions: {
        items: [
          {
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            groups: {},
            ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
            ipv6Ranges: {},
            prefixListIds: {},
          },
        ],
      },
    },
    responseElements: {
      requestId: '3a1f7c2e-0000-4000-8000-000000000001',
      _return: true,
      securityGroupRuleSet: {
        items: [{ groupRuleId: 'sgr-0123456789abcdef0', isEgress: false, cidrIpv4: '0.0.0.0/0' }],
      },
    },
    requestID: '3a1f7c2e-0000-4000-8000-000000000001',
    eventID: '9d2c1b0a-0000-4000-8000-000000000002',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111111111111',
    eventCategory: 'Management',
  },
};

type Detail = Record<string, unknown>;

/** A copy of the ingress event with `detail` fields replaced (undefined deletes). */
function ingress(patch: Detail = {}, envelope: Record<string, unknown> = {}): Record<string, unknown> {
  const event = structuredClone(INGRESS) as unknown as Record<string, unknown> & { detail: Detail };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete event.detail[key];
    else event.detail[key] = value;
  }
  return Object.assign(event, envelope);
}

const match = (pattern: EventPattern, event: unknown): boolean => compilePattern(pattern)(event);
const detail = (fields: EventPattern): EventPattern => ({ detail: fields });

describe('compilePattern', () => {
  describe('exact values', () => {
    it('matches when every field equals one of its listed values', () => {
      const pattern = {
        source: ['aws.ec2'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['ec2.amazonaws.com'],
          eventName: ['AuthorizeSecurityGroupEgress', 'AuthorizeSecurityGroupIngress'],
        },
      };

      expect(match(pattern, ingress())).toBe(true);
      expect(match(pattern, ingress({ eventName: 'RevokeSecurityGroupIngress' }))).toBe(false);
      expect(match(pattern, ingress({}, { source: 'aws.s3' }))).toBe(false);
    });

    it('compares strings exactly, without case folding', () => {
      expect(match(detail({ eventName: ['authorizesecuritygroupingress'] }), ingress())).toBe(false);
      expect(match(detail({ eventName: ['AuthorizeSecurityGroupIngress '] }), ingress())).toBe(false);
    });

    it('compares numbers by value, so 300, 300.0 and 3.0e2 are equal', () => {
      const event = JSON.parse('{"detail": {"a": 300.0, "b": 3.0e2, "c": 300}}');

      expect(match(detail({ a: [300], b: [300], c: [3.0e2] }), event)).toBe(true);
      expect(match(detail({ a: [301] }), event)).toBe(false);
    });

    it('never equates a string with a number or a boolean', () => {
      expect(match(detail({ n: ['300'] }), { detail: { n: 300 } })).toBe(false);
      expect(match(detail({ n: [300] }), { detail: { n: '300' } })).toBe(false);
      expect(match(detail({ readOnly: ['false'] }), ingress())).toBe(false);
      expect(match(detail({ readOnly: [false] }), ingress())).toBe(true);
      expect(match(detail({ managementEvent: [false] }), ingress())).toBe(false);
    });

    it('matches null only against null, and "" only against ""', () => {
      expect(match(detail({ errorCode: [null] }), ingress({ errorCode: null }))).toBe(true);
      expect(match(detail({ errorCode: [null] }), ingress({ errorCode: '' }))).toBe(false);
      expect(match(detail({ errorCode: [null] }), ingress())).toBe(false);
      expect(match(detail({ errorCode: [''] }), ingress({ errorCode: '' }))).toBe(true);
      expect(match(detail({ errorCode: [''] }), ingress({ errorCode: null }))).toBe(false);
    });

    it('mixes exact values with operators in one list', () => {
      const pattern = detail({ eventName: ['AuthorizeSecurityGroupIngress', { prefix: 'Revoke' }, 22, true, null] });

      expect(match(pattern, ingress())).toBe(true);
      expect(match(pattern, ingress({ eventName: 'RevokeSecurityGroupEgress' }))).toBe(true);
      expect(match(pattern, ingress({ eventName: 22 }))).toBe(true);
      expect(match(pattern, ingress({ eventName: true }))).toBe(true);
      expect(match(pattern, ingress({ eventName: null }))).toBe(true);
      expect(match(pattern, ingress({ eventName: 'CreateSecurityGroup' }))).toBe(false);
      expect(match(pattern, ingress({ eventName: false }))).toBe(false);
      expect(match(pattern, ingress({ eventName: 23 }))).toBe(false);
    });

    it('matches an IP address value in any of its spellings', () => {
      const pattern = detail({ sourceIPAddress: ['2001:db8::1', '198.51.100.7'] });

      expect(match(pattern, ingress({ sourceIPAddress: '2001:0DB8:0000:0000:0000:0000:0000:0001' }))).toBe(true);
      expect(match(pattern, ingress({ sourceIPAddress: '2001:db8::1' }))).toBe(true);
      expect(match(pattern, ingress({ sourceIPAddress: '198.51.100.7' }))).toBe(true);
      expect(match(pattern, ingress({ sourceIPAddress: '2001:db8::2' }))).toBe(false);
      expect(match(pattern, ingress({ sourceIPAddress: '198.51.100.70' }))).toBe(false);
    });
  });

  describe('arrays in the event', () => {
    it('matches when any element of an event array is listed', () => {
      const pattern = { resources: ['arn:aws:ec2:eu-west-1:111111111111:security-group/sg-0123456789abcdef0'] };
      const resources = ['arn:aws:ec2:eu-west-1:111111111111:instance/i-0abc', pattern.resources[0]];

      expect(match(pattern, ingress({}, { resources }))).toBe(true);
      expect(match(pattern, ingress({}, { resources: resources.slice(0, 1) }))).toBe(false);
    });

    it('flattens nested arrays', () => {
      expect(match({ resources: ['b'] }, { resources: [['a'], [['b']]] })).toBe(true);
      expect(match({ resources: ['c'] }, { resources: [['a'], [['b']]] })).toBe(false);
    });

    it('matches arrays nested thousands deep without overflowing the stack, reading them down to a bounded depth', () => {
      const nest = (depth: number, leaf: unknown): unknown => {
        let v = leaf;
        for (let i = 0; i < depth; i++) v = [v];
        return v;
      };
      const deep = { detail: { requestParameters: { name: nest(50_000, 'vigil-fwd-root') } } };
      const pattern = { detail: { requestParameters: { name: [{ prefix: 'vigil-' }] } } };

      expect(() => match(pattern, deep)).not.toThrow();
      expect(match(pattern, deep)).toBe(false);
      expect(
        match(pattern, { detail: { requestParameters: { name: nest(MAX_EVENT_DEPTH - 1, 'vigil-fwd-root') } } }),
      ).toBe(true);
      expect(match({ a: [{ exists: false }] }, { a: nest(50_000, 1) })).toBe(true);
    });

    it('finds no value in an empty array, not even null', () => {
      expect(match({ resources: [null] }, ingress())).toBe(false);
    });

    it('walks into arrays of objects on the way to a field', () => {
      const pattern = detail({
        requestParameters: { ipPermissions: { items: { ipRanges: { items: { cidrIp: ['0.0.0.0/0'] } } } } },
      });
      const internal = structuredClone(INGRESS.detail.requestParameters);
      internal.ipPermissions.items[0]!.ipRanges.items[0]!.cidrIp = '10.0.0.0/8';

      expect(match(pattern, ingress())).toBe(true);
      expect(match(pattern, ingress({ requestParameters: internal }))).toBe(false);
    });

    // EventBridge/Ruler flatten the event: each field is matched against all values at its path, so two fields
    // under one array can be satisfied by different elements. Detections needing both in one element use a predicate.
    it('lets two fields under one array match in different elements', () => {
      const pattern = detail({
        requestParameters: {
          ipPermissions: { items: { fromPort: [22], ipRanges: { items: { cidrIp: ['0.0.0.0/0'] } } } },
        },
      });
      const split = {
        groupId: 'sg-0123456789abcdef0',
        ipPermissions: {
          items: [
            { ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }] } },
            { ipProtocol: 'tcp', fromPort: 443, toPort: 443, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } },
          ],
        },
      };

      expect(match(pattern, ingress({ requestParameters: split }))).toBe(true);
    });
  });

  describe('missing fields and unexpected shapes', () => {
    it('does not match when a field or one of its parents is missing', () => {
      expect(match(detail({ errorCode: ['AccessDenied'] }), ingress())).toBe(false);
      expect(match(detail({ additionalEventData: { MFAUsed: ['No'] } }), ingress())).toBe(false);
      expect(match({ addendum: { reason: ['x'] } }, ingress())).toBe(false);
    });

    it('does not match a leaf pattern against an object', () => {
      expect(match(detail({ userIdentity: ['AssumedRole'] }), ingress())).toBe(false);
      expect(match(detail({ userIdentity: [{ prefix: '' }] }), ingress())).toBe(false);
    });

    it('does not descend into a value that is not an object', () => {
      expect(match(detail({ userIdentity: { type: ['Root'] } }), ingress({ userIdentity: 'Root' }))).toBe(false);
      expect(match(detail({ userIdentity: { type: ['Root'] } }), ingress({ userIdentity: null }))).toBe(false);
    });

    it.each([
      ['undefined', undefined],
      ['null', null],
      ['a string', 'aws.ec2'],
      ['an array', [INGRESS]],
      ['a number', 42],
    ])('matches nothing when the event is %s, and does not throw', (_case, event) => {
      expect(match({ source: ['aws.ec2'] }, event)).toBe(false);
      expect(match({ source: [{ exists: false }] }, event)).toBe(false);
    });

    it('does not mistake Object.prototype members for event fields', () => {
      expect(match(detail({ constructor: [{ exists: false }] }), ingress())).toBe(true);
      expect(match(detail({ toString: [{ exists: true }] }), ingress())).toBe(false);
      expect(match(detail({ constructor: ['x'] }), ingress({ constructor: 'x' }))).toBe(true);
    });

    it('terminates on events that contain cycles', () => {
      const event = ingress() as Record<string, unknown> & { detail: Detail };
      event.detail.self = event;

      expect(match(detail({ self: { detail: { eventName: ['AuthorizeSecurityGroupIngress'] } } }), event)).toBe(true);
    });
  });

  describe('prefix and suffix', () => {
    it('matches string values by prefix', () => {
      expect(match(detail({ eventName: [{ prefix: 'Authorize' }] }), ingress())).toBe(true);
      expect(match(detail({ eventName: [{ prefix: 'authorize' }] }), ingress())).toBe(false);
      expect(match(detail({ eventName: [{ prefix: 'Revoke' }] }), ingress())).toBe(false);
    });

    it('matches a prefix regardless of case with equals-ignore-case', () => {
      expect(match(detail({ eventName: [{ prefix: { 'equals-ignore-case': 'authorizeSECURITY' } }] }), ingress())).toBe(
        true,
      );
      expect(match(detail({ eventName: [{ prefix: { 'equals-ignore-case': 'revoke' } }] }), ingress())).toBe(false);
    });

    it('matches string values by suffix, with or without case', () => {
      expect(match(detail({ eventSource: [{ suffix: '.amazonaws.com' }] }), ingress())).toBe(true);
      expect(match(detail({ eventSource: [{ suffix: '.AMAZONAWS.COM' }] }), ingress())).toBe(false);
      expect(match(detail({ eventSource: [{ suffix: { 'equals-ignore-case': '.AMAZONAWS.COM' } }] }), ingress())).toBe(
        true,
      );
      expect(match(detail({ eventSource: [{ suffix: { 'equals-ignore-case': '.aws' } }] }), ingress())).toBe(false);
    });

    it('never matches numbers, booleans or null', () => {
      expect(match(detail({ n: [{ prefix: '2' }] }), { detail: { n: 22 } })).toBe(false);
      expect(match(detail({ n: [{ suffix: 'e' }] }), { detail: { n: true } })).toBe(false);
      expect(match(detail({ n: [{ prefix: { 'equals-ignore-case': 'n' } }] }), { detail: { n: null } })).toBe(false);
    });
  });

  describe('equals-ignore-case', () => {
    it('matches a string value in any case', () => {
      expect(match(detail({ eventName: [{ 'equals-ignore-case': 'authorizesecuritygroupingress' }] }), ingress())).toBe(
        true,
      );
      expect(match(detail({ eventName: [{ 'equals-ignore-case': 'authorizesecuritygroup' }] }), ingress())).toBe(false);
      expect(match(detail({ n: [{ 'equals-ignore-case': '22' }] }), { detail: { n: 22 } })).toBe(false);
    });
  });

  describe('wildcard', () => {
    it.each([
      ['*FullAccess', 'arn:aws:iam::aws:policy/AmazonS3FullAccess', true],
      ['*FullAccess', 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess', false],
      ['arn:aws:iam::*:role/*', 'arn:aws:iam::111111111111:role/Admin', true],
      ['arn:aws:iam::*:role/*', 'arn:aws:iam::111111111111:user/alice', false],
      ['arn:aws:iam::*:role/\\*', 'arn:aws:iam::111111111111:role/*', true],
      ['arn:aws:iam::*:role/\\*', 'arn:aws:iam::111111111111:role/Admin', false],
      ['C:\\\\*', 'C:\\Windows', true],
      ['*ab*ab*', 'xxabyyab', true],
      ['*ab*ab*', 'xxaba', false],
      ['a*b*c', 'abc', true],
      ['a*b*c', 'ac', false],
      ['a*a', 'a', false],
      ['*', '', true],
      ['', '', true],
      ['', 'x', false],
      ['exact', 'exact', true],
    ])('%j against %j is %s', (wildcard, value, expected) => {
      expect(match(detail({ v: [{ wildcard }] }), { detail: { v: value } })).toBe(expected);
    });

    it('never matches values that are not strings', () => {
      expect(match(detail({ v: [{ wildcard: '*' }] }), { detail: { v: 1 } })).toBe(false);
    });
  });

  describe('anything-but', () => {
    it('matches any value except a single string', () => {
      expect(match(detail({ eventType: [{ 'anything-but': 'AwsServiceEvent' }] }), ingress())).toBe(true);
      expect(match(detail({ eventType: [{ 'anything-but': 'AwsApiCall' }] }), ingress())).toBe(false);
    });

    it('matches any value except those in a list', () => {
      const pattern = detail({
        eventName: [{ 'anything-but': ['RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress'] }],
      });

      expect(match(pattern, ingress())).toBe(false);
      expect(match(pattern, ingress({ eventName: 'DeleteSecurityGroup' }))).toBe(true);
    });

    it('excludes numbers by value', () => {
      const one = detail({ port: [{ 'anything-but': 22 }] });
      const list = detail({ port: [{ 'anything-but': [22, 3389] }] });

      expect(match(one, { detail: { port: 22.0 } })).toBe(false);
      expect(match(one, { detail: { port: 443 } })).toBe(true);
      expect(match(list, { detail: { port: 3389 } })).toBe(false);
      expect(match(list, { detail: { port: 443 } })).toBe(true);
      expect(match(list, { detail: { port: '22' } })).toBe(true);
    });

    it('excludes by prefix, one or several', () => {
      expect(match(detail({ awsRegion: [{ 'anything-but': { prefix: 'eu-' } }] }), ingress())).toBe(false);
      expect(match(detail({ awsRegion: [{ 'anything-but': { prefix: 'us-' } }] }), ingress())).toBe(true);
      expect(match(detail({ awsRegion: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] }), ingress())).toBe(false);
    });

    it('excludes by suffix', () => {
      expect(match(detail({ eventSource: [{ 'anything-but': { suffix: '.amazonaws.com' } }] }), ingress())).toBe(false);
      expect(match(detail({ eventSource: [{ 'anything-but': { suffix: ['.internal'] } }] }), ingress())).toBe(true);
    });

    it('excludes regardless of case, one or several', () => {
      expect(
        match(detail({ eventType: [{ 'anything-but': { 'equals-ignore-case': 'awsapicall' } }] }), ingress()),
      ).toBe(false);
      expect(
        match(detail({ eventType: [{ 'anything-but': { 'equals-ignore-case': ['x', 'AWSAPICALL'] } }] }), ingress()),
      ).toBe(false);
      expect(
        match(detail({ eventType: [{ 'anything-but': { 'equals-ignore-case': 'awsserviceevent' } }] }), ingress()),
      ).toBe(true);
    });

    it('excludes by wildcard', () => {
      expect(match(detail({ userAgent: [{ 'anything-but': { wildcard: 'aws-cli/*' } }] }), ingress())).toBe(false);
      expect(
        match(detail({ userAgent: [{ 'anything-but': { wildcard: ['console.*', '*Terraform*'] } }] }), ingress()),
      ).toBe(true);
    });

    it('does not match a missing field', () => {
      expect(match(detail({ errorCode: [{ 'anything-but': 'AccessDenied' }] }), ingress())).toBe(false);
      expect(match(detail({ errorCode: [{ 'anything-but': { prefix: 'Access' } }] }), ingress())).toBe(false);
    });

    it('matches null and values of other types', () => {
      expect(match(detail({ errorCode: [{ 'anything-but': 'AccessDenied' }] }), ingress({ errorCode: null }))).toBe(
        true,
      );
      expect(match(detail({ errorCode: [{ 'anything-but': [1, 2] }] }), ingress({ errorCode: null }))).toBe(true);
      expect(match(detail({ readOnly: [{ 'anything-but': { prefix: 'f' } }] }), ingress())).toBe(true);
      expect(match(detail({ readOnly: [{ 'anything-but': { wildcard: '*' } }] }), ingress())).toBe(true);
    });

    it('matches an event array when any element is not excluded', () => {
      const pattern = { resources: [{ 'anything-but': 'arn:aws:s3:::logs' }] };

      expect(match(pattern, { resources: ['arn:aws:s3:::logs', 'arn:aws:s3:::data'] })).toBe(true);
      expect(match(pattern, { resources: ['arn:aws:s3:::logs'] })).toBe(false);
      expect(match(pattern, { resources: [] })).toBe(false);
    });

    it('does not match an object value', () => {
      expect(match(detail({ userIdentity: [{ 'anything-but': 'Root' }] }), ingress())).toBe(false);
    });
  });

  describe('numeric', () => {
    const port = (p: number | string | null) =>
      ingress({ requestParameters: { ipPermissions: { items: [{ fromPort: p, toPort: p }] } } });
    const fromPort = (numeric: unknown[]) =>
      detail({ requestParameters: { ipPermissions: { items: { fromPort: [{ numeric }] } } } });

    it.each([
      [['=', 22], 22, true],
      [['=', 22], 23, false],
      [['<', 1024], 1023, true],
      [['<', 1024], 1024, false],
      [['<=', 1024], 1024, true],
      [['<=', 1024], 1025, false],
      [['>', 1024], 1025, true],
      [['>', 1024], 1024, false],
      [['>=', 1024], 1024, true],
      [['>=', 1024], 1023, false],
      [['>', 0, '<=', 22], 22, true],
      [['>', 0, '<=', 22], 0, false],
      [['>=', 0, '<', 22], 0, true],
      [['>=', 0, '<', 22], 22, false],
      [['>', -1.5, '<', 0.5], -1.25, true],
      [['>=', 22, '<=', 22], 22, true],
      [['>=', 22, '<=', 22], 23, false],
    ])('%j against %j is %s', (numeric, value, expected) => {
      expect(match(fromPort(numeric), port(value))).toBe(expected);
    });

    it('compares equal values written differently', () => {
      expect(match(detail({ x: [{ numeric: ['=', 3.018e2] }] }), JSON.parse('{"detail": {"x": 301.8}}'))).toBe(true);
    });

    it('only sees JSON numbers: not numeric strings, null or booleans', () => {
      expect(match(fromPort(['>', 0]), port('22'))).toBe(false);
      expect(match(fromPort(['>', -1]), port(null))).toBe(false);
      expect(match(detail({ readOnly: [{ numeric: ['>=', 0] }] }), ingress())).toBe(false);
    });

    it('ignores numbers beyond ±5e9, which EventBridge cannot compare', () => {
      expect(match(detail({ bytes: [{ numeric: ['>', 0] }] }), { detail: { bytes: 5e9 } })).toBe(true);
      expect(match(detail({ bytes: [{ numeric: ['>', 0] }] }), { detail: { bytes: 6e9 } })).toBe(false);
    });
  });

  describe('exists', () => {
    it('matches present values with true and missing ones with false', () => {
      expect(match(detail({ errorCode: [{ exists: false }] }), ingress())).toBe(true);
      expect(match(detail({ errorCode: [{ exists: true }] }), ingress())).toBe(false);
      expect(match(detail({ errorCode: [{ exists: false }] }), ingress({ errorCode: 'AccessDenied' }))).toBe(false);
      expect(match(detail({ errorCode: [{ exists: true }] }), ingress({ errorCode: 'AccessDenied' }))).toBe(true);
    });

    it('treats null as a present value', () => {
      expect(match(detail({ errorCode: [{ exists: true }] }), ingress({ errorCode: null }))).toBe(true);
      expect(match(detail({ errorCode: [{ exists: false }] }), ingress({ errorCode: null }))).toBe(false);
    });

    it('treats an empty array as no value', () => {
      expect(match({ resources: [{ exists: true }] }, ingress())).toBe(false);
      expect(match({ resources: [{ exists: false }] }, ingress())).toBe(true);
    });

    it('only counts leaf values: an object is not "existing"', () => {
      expect(match(detail({ userIdentity: [{ exists: true }] }), ingress())).toBe(false);
      expect(match(detail({ userIdentity: [{ exists: false }] }), ingress())).toBe(true);
      expect(match(detail({ userIdentity: { type: [{ exists: true }] } }), ingress())).toBe(true);
    });

    it('matches exists: false when a parent is missing', () => {
      expect(match(detail({ userIdentity: { invokedBy: [{ exists: false }] } }), ingress())).toBe(true);
      expect(match(detail({ additionalEventData: { MFAUsed: [{ exists: false }] } }), ingress())).toBe(true);
    });

    it('finds a value in any element of an array of objects', () => {
      const pattern = detail({
        responseElements: { securityGroupRuleSet: { items: { cidrIpv6: [{ exists: true }] } } },
      });
      const rules = { items: [{ cidrIpv4: '0.0.0.0/0' }, { cidrIpv6: '::/0' }] };

      expect(match(pattern, ingress())).toBe(false);
      expect(match(pattern, ingress({ responseElements: { securityGroupRuleSet: rules } }))).toBe(true);
    });

    it('combines with other alternatives of the same field', () => {
      const pattern = detail({ errorCode: [{ exists: false }, 'Client.DryRunOperation'] });

      expect(match(pattern, ingress())).toBe(true);
      expect(match(pattern, ingress({ errorCode: 'Client.DryRunOperation' }))).toBe(true);
      expect(match(pattern, ingress({ errorCode: 'AccessDenied' }))).toBe(false);
    });
  });

  describe('cidr', () => {
    it('matches IPv4 addresses inside the block, including both ends', () => {
      const pattern = detail({ sourceIPAddress: [{ cidr: '203.0.113.0/24' }] });

      expect(match(pattern, ingress())).toBe(true);
      expect(match(pattern, ingress({ sourceIPAddress: '203.0.113.0' }))).toBe(true);
      expect(match(pattern, ingress({ sourceIPAddress: '203.0.113.255' }))).toBe(true);
      expect(match(pattern, ingress({ sourceIPAddress: '203.0.114.0' }))).toBe(false);
      expect(match(pattern, ingress({ sourceIPAddress: '203.0.112.255' }))).toBe(false);
    });

    it('matches IPv6 addresses in compressed or full form', () => {
      const pattern = detail({ sourceIPAddress: [{ cidr: '2001:db8:1234:1a00::/64' }] });

      expect(match(pattern, ingress({ sourceIPAddress: '2001:0db8:1234:1a00:0000:0000:0000:0000' }))).toBe(true);
      expect(match(pattern, ingress({ sourceIPAddress: '2001:db8:1234:1a00:ffff:ffff:ffff:ffff' }))).toBe(true);
      expect(match(pattern, ingress({ sourceIPAddress: '2001:db8:1234:1a01::' }))).toBe(false);
    });

    it('never matches across address families', () => {
      expect(match(detail({ sourceIPAddress: [{ cidr: '::/0' }] }), ingress())).toBe(false);
      expect(
        match(detail({ sourceIPAddress: [{ cidr: '0.0.0.0/0' }] }), ingress({ sourceIPAddress: '2001:db8::1' })),
      ).toBe(false);
    });

    it('does not match service names, malformed addresses or numbers', () => {
      const pattern = detail({ sourceIPAddress: [{ cidr: '0.0.0.0/0' }] });

      expect(match(pattern, ingress({ sourceIPAddress: 'cloudtrail.amazonaws.com' }))).toBe(false);
      expect(match(pattern, ingress({ sourceIPAddress: 'AWS Internal' }))).toBe(false);
      expect(match(pattern, ingress({ sourceIPAddress: '203.0.113.256' }))).toBe(false);
      expect(match(pattern, ingress({ sourceIPAddress: '' }))).toBe(false);
      expect(match(pattern, ingress({ sourceIPAddress: 203 }))).toBe(false);
    });

    it('starts the range at the written address when host bits are set, as EventBridge does', () => {
      const pattern = detail({ sourceIPAddress: [{ cidr: '203.0.113.5/24' }] });

      expect(match(pattern, ingress({ sourceIPAddress: '203.0.113.5' }))).toBe(true);
      expect(match(pattern, ingress({ sourceIPAddress: '203.0.113.4' }))).toBe(false);
    });
  });

  describe('$or', () => {
    it('matches when any branch matches, ANDed with the other fields', () => {
      const pattern = {
        source: ['aws.ec2'],
        $or: [
          { detail: { eventName: ['CreateSecurityGroup'] } },
          { detail: { sourceIPAddress: [{ cidr: '203.0.113.0/24' }] } },
        ],
      };

      expect(match(pattern, ingress())).toBe(true);
      expect(match(pattern, ingress({ sourceIPAddress: '198.51.100.1' }))).toBe(false);
      expect(match(pattern, ingress({ sourceIPAddress: '198.51.100.1', eventName: 'CreateSecurityGroup' }))).toBe(true);
      expect(match(pattern, ingress({}, { source: 'aws.s3' }))).toBe(false);
    });

    it('works inside nested objects', () => {
      const pattern = detail({ $or: [{ errorCode: [{ exists: false }] }, { errorCode: ['Client.DryRunOperation'] }] });

      expect(match(pattern, ingress())).toBe(true);
      expect(match(pattern, ingress({ errorCode: 'Client.DryRunOperation' }))).toBe(true);
      expect(match(pattern, ingress({ errorCode: 'AccessDenied' }))).toBe(false);
    });

    it('nests: an $or inside an $or branch', () => {
      const pattern = {
        $or: [
          { source: ['aws.iam'] },
          {
            source: ['aws.ec2'],
            detail: { $or: [{ eventName: ['CreateSecurityGroup'] }, { readOnly: [false], managementEvent: [true] }] },
          },
        ],
      };

      expect(match(pattern, ingress())).toBe(true);
      expect(match(pattern, ingress({ readOnly: true }))).toBe(false);
      expect(match(pattern, ingress({ readOnly: true }, { source: 'aws.iam' }))).toBe(true);
    });

    it('requires every $or group to match', () => {
      const pattern = detail({
        $or: [{ eventName: ['AuthorizeSecurityGroupIngress'] }, { eventName: ['AuthorizeSecurityGroupEgress'] }],
        requestParameters: { $or: [{ groupId: ['sg-1'] }, { groupName: ['web'] }] },
      });

      expect(match(pattern, ingress())).toBe(false);
      expect(match(pattern, ingress({ requestParameters: { groupId: 'sg-1' } }))).toBe(true);
    });
  });

  describe('errors', () => {
    it('fails when the pattern is invalid, naming the path', () => {
      expect(() => compilePattern(detail({ eventName: [] }))).toThrow(/detail\.eventName: empty array/);
      expect(() => compilePattern(detail({ x: [{ numeric: ['<', 5, '>', 0] }] }))).toThrow(InvalidPatternError);
    });

    it('lists every problem, not just the first', () => {
      try {
        compilePattern({ source: 'aws.ec2', detail: { eventName: [], x: [{ EXISTS: true }] } });
        throw new Error('compilePattern accepted an invalid pattern');
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidPatternError);
        expect((error as InvalidPatternError).problems).toEqual([
          expect.stringMatching(/^source: must be an object or an array/),
          expect.stringMatching(/^detail\.eventName: empty array/),
          expect.stringMatching(/^detail\.x\[0\]\.EXISTS: unknown operator 'EXISTS' — operators are case-sensitive/),
        ]);
      }
    });

    it('accepts patterns built without a prototype', () => {
      const pattern = Object.assign(Object.create(null) as EventPattern, { source: ['aws.ec2'] });

      expect(match(pattern, ingress())).toBe(true);
    });

    it('accepts a CIDR with host bits set, which EventBridge accepts too', () => {
      expect(() => compilePattern(detail({ ip: [{ cidr: '10.0.0.5/24' }] }))).not.toThrow();
    });
  });
});

describe('checkAndCompile', () => {
  it('reports each problem with its kind and returns a matcher that matches nothing for a non-object', () => {
    const reported: string[] = [];
    const matcher = checkAndCompile('aws.ec2', (problem, kind) => reported.push(`${kind} ${problem}`));

    expect(reported).toEqual([expect.stringMatching(/^invalid \(pattern\): a pattern must be a JSON object/)]);
    expect(matcher(ingress())).toBe(false);
  });

  it('reports suspicious constructs as such, and still compiles them', () => {
    const reported: string[] = [];
    const matcher = checkAndCompile(detail({ sourceIPAddress: [{ cidr: '203.0.113.9/24' }] }), (problem, kind) =>
      reported.push(`${kind} ${problem}`),
    );

    expect(reported).toEqual([
      expect.stringMatching(/^suspicious detail\.sourceIPAddress\[0\]\.cidr: .* host bits set/),
    ]);
    expect(matcher(ingress({ sourceIPAddress: '203.0.113.10' }))).toBe(true);
  });
});

describe('matchesPattern', () => {
  it('matches like a compiled pattern', () => {
    expect(matchesPattern({ source: ['aws.ec2'] }, ingress())).toBe(true);
    expect(matchesPattern({ source: ['aws.iam'] }, ingress())).toBe(false);
  });

  it('compiles a pattern object once and reuses the matcher', () => {
    const pattern = { source: ['aws.ec2'] };
    expect(matchesPattern(pattern, ingress())).toBe(true);

    pattern.source = ['aws.iam'];

    // Cached by identity: the edit is not seen. Patterns are data and must not be mutated after use.
    expect(matchesPattern(pattern, ingress())).toBe(true);
  });

  it('fails when the pattern is invalid', () => {
    expect(() => matchesPattern({ source: [] }, ingress())).toThrow(/source: empty array/);
  });
});
