/**
 * The sharing predicates (rules/sharing.ts) on the request shapes the catalog fixtures do not all cover:
 * one-element lists as objects, URL-encoded and unreadable policies, each confining condition key, Lambda's
 * and SNS/SQS's AddPermission forms, replication destinations, SSM targets.
 */
import { makePredicateContext } from '../../handlers/core/own-calls';
import type { CloudTrailEventBridgeEvent, PredicateContext } from '../../rules/predicates';
import {
  bucketPolicyGrantsOutsideOrg,
  commandToManyInstances,
  foreignGrants,
  replicationToOutsideOrg,
  resourcePolicyAdmitsOutsideOrg,
  sharedOutsideOrg,
  statementsOf,
} from '../../rules/sharing';

const OWN = '110000000006';
const ORG_ACCOUNT = '110000000003';
const OUTSIDE = '999988887777';
const ORG_ID = 'o-k3m9x2p7qa';
const ctx: PredicateContext = makePredicateContext({
  organizationId: ORG_ID,
  namePrefix: 'vigil',
  accountIds: [OWN, ORG_ACCOUNT],
  securityAccountId: ORG_ACCOUNT,
});

const event = (
  eventSource: string,
  eventName: string,
  requestParameters: Record<string, unknown> | null,
): CloudTrailEventBridgeEvent => ({
  id: 'e',
  'detail-type': 'AWS API Call via CloudTrail',
  source: `aws.${eventSource.split('.')[0]}`,
  account: OWN,
  time: '2026-11-20T10:00:00Z',
  region: 'eu-west-1',
  detail: { eventSource, eventName, requestParameters, recipientAccountId: OWN },
});

const policy = (principal: unknown, condition?: unknown, effect = 'Allow') =>
  JSON.stringify({ Statement: [{ Effect: effect, Principal: principal, Action: '*', Condition: condition }] });

describe('foreignGrants / sharedOutsideOrg', () => {
  it.each([
    [
      'AMI to a foreign account (one item as object)',
      'ModifyImageAttribute',
      { launchPermission: { add: { items: { userId: OUTSIDE } } } },
      [OUTSIDE],
    ],
    [
      'AMI to the own organization',
      'ModifyImageAttribute',
      {
        launchPermission: { add: { items: [{ organizationArn: `arn:aws:organizations::1:organization/${ORG_ID}` }] } },
      },
      [],
    ],
    [
      'AMI to an OU (neither user nor org)',
      'ModifyImageAttribute',
      { launchPermission: { add: { items: [{ organizationalUnitArn: 'ou' }] } } },
      [],
    ],
    [
      'snapshot to org and foreign',
      'ModifySnapshotAttribute',
      { createVolumePermission: { add: { items: [{ userId: ORG_ACCOUNT }, { userId: ` ${OUTSIDE} ` }] } } },
      [OUTSIDE],
    ],
    [
      'snapshot with no add',
      'ModifySnapshotAttribute',
      { createVolumePermission: { remove: { items: [{ userId: OUTSIDE }] } } },
      [],
    ],
    [
      'RDS restore to all and foreign',
      'ModifyDBSnapshotAttribute',
      { attributeName: 'restore', valuesToAdd: ['all', OUTSIDE, OWN] },
      [OUTSIDE],
    ],
    ['RDS other attribute', 'ModifyDBClusterSnapshotAttribute', { attributeName: 'other', valuesToAdd: [OUTSIDE] }, []],
  ])('%s', (_case, name, params, expected) => {
    const e = event(
      name.startsWith('Modify') && name.includes('DB') ? 'rds.amazonaws.com' : 'ec2.amazonaws.com',
      name,
      params,
    );
    expect(foreignGrants(e, ctx)).toEqual(expected);
    expect(sharedOutsideOrg(e, ctx)).toBe(expected.length > 0);
  });

  it('reads nothing from an event without request parameters', () => {
    expect(foreignGrants(event('rds.amazonaws.com', 'ModifyDBSnapshotAttribute', null), ctx)).toEqual([]);
  });
});

describe('statementsOf', () => {
  it('reads objects, JSON strings and URL-encoded JSON, and nothing else', () => {
    const doc = { Statement: { Effect: 'Allow', Principal: '*' } };
    expect(statementsOf(doc)).toHaveLength(1);
    expect(statementsOf(JSON.stringify(doc))).toHaveLength(1);
    expect(statementsOf(encodeURIComponent(JSON.stringify(doc)))).toHaveLength(1);
    expect(statementsOf('%E0%A4%A not json')).toBeUndefined();
    expect(statementsOf('[1]')).toBeUndefined();
    expect(statementsOf(42)).toBeUndefined();
  });
});

describe('resourcePolicyAdmitsOutsideOrg', () => {
  const ecr = (policyText: unknown) => event('ecr.amazonaws.com', 'SetRepositoryPolicy', { policyText });

  it.each([
    ['everyone', policy('*'), true],
    ['everyone via AWS', policy({ AWS: '*' }), true],
    ['NotPrincipal', JSON.stringify({ Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: OWN } }] }), true],
    ['a Deny for everyone', policy('*', undefined, 'Deny'), false],
    ['a foreign account id', policy({ AWS: OUTSIDE }), true],
    [
      'a foreign role',
      policy({ AWS: [`arn:aws:iam::${ORG_ACCOUNT}:root`, `arn:aws:sts::${OUTSIDE}:assumed-role/x/y`] }),
      true,
    ],
    ['a service principal', policy({ Service: 'lambda.amazonaws.com' }), false],
    ['an unreadable principal', policy({ AWS: 'AIDAEXAMPLE' }), false],
    ['everyone, org id', policy('*', { StringEquals: { 'aws:PrincipalOrgID': ORG_ID } }), false],
    ['everyone, other org id', policy('*', { StringEquals: { 'aws:PrincipalOrgID': 'o-other' } }), true],
    ['everyone, org account', policy('*', { StringEquals: { 'aws:SourceAccount': ORG_ACCOUNT } }), false],
    ['everyone, foreign account', policy('*', { StringEquals: { 'aws:PrincipalAccount': OUTSIDE } }), true],
    [
      'everyone, source ARN in org',
      policy('*', { ArnLike: { 'aws:SourceArn': `arn:aws:s3:eu-west-1:${OWN}:x` } }),
      false,
    ],
    [
      'everyone, source ARN without account',
      policy('*', { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::bucket' } }),
      true,
    ],
    ['everyone, wildcard value', policy('*', { StringLike: { 'aws:PrincipalOrgID': 'o-*' } }), true],
    ['everyone, VPC', policy('*', { StringEquals: { 'aws:SourceVpc': 'vpc-1' } }), false],
    ['everyone, negated operator', policy('*', { StringNotEquals: { 'aws:PrincipalOrgID': ORG_ID } }), true],
    ['everyone, operator block not an object', policy('*', { StringEquals: 'x' }), true],
    ['everyone, condition not an object', policy('*', 'x'), true],
    ['everyone, IP condition only', policy('*', { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), true],
    ['unreadable policy', 'not json', false],
  ])('ECR policy: %s → %s', (_case, text, expected) => {
    expect(resourcePolicyAdmitsOutsideOrg(ecr(text), ctx)).toBe(expected);
  });

  it.each([
    ['SQS CreateQueue', event('sqs.amazonaws.com', 'CreateQueue', { attributes: { Policy: policy('*') } }), true],
    ['SNS CreateTopic', event('sns.amazonaws.com', 'CreateTopic', { attributes: { policy: policy('*') } }), true],
    ['KMS CreateKey', event('kms.amazonaws.com', 'CreateKey', { policy: policy({ AWS: OUTSIDE }) }), true],
    [
      'S3 PutBucketPolicy',
      event('s3.amazonaws.com', 'PutBucketPolicy', { bucketPolicy: JSON.parse(policy('*')) }),
      true,
    ],
    [
      'OpenSearch CreateDomain',
      event('es.amazonaws.com', 'CreateDomain', { accessPolicies: policy({ AWS: OWN }) }),
      false,
    ],
    ['SNS AddPermission in org', event('sns.amazonaws.com', 'AddPermission', { aWSAccountId: [ORG_ACCOUNT] }), false],
    ['SQS AddPermission to everyone', event('sqs.amazonaws.com', 'AddPermission', { AWSAccountIds: '*' }), true],
  ])('%s', (_case, e, expected) => {
    expect(resourcePolicyAdmitsOutsideOrg(e, ctx)).toBe(expected);
  });

  const lambda = (params: Record<string, unknown>) =>
    event('lambda.amazonaws.com', 'AddPermission20150331v2', { functionName: 'f', ...params });
  it.each([
    ['no principal', {}, false],
    ['everyone', { principal: '*' }, true],
    ['everyone in the org', { principal: '*', principalOrgID: ORG_ID }, false],
    ['everyone, source account in org', { principal: '*', sourceAccount: OWN }, false],
    ['everyone, source account outside', { principal: '*', sourceAccount: OUTSIDE }, true],
    ['everyone, source ARN in org', { principal: '*', sourceArn: `arn:aws:events:eu-west-1:${OWN}:rule/r` }, false],
    ['everyone, wildcard source ARN', { principal: '*', sourceArn: `arn:aws:events:eu-west-1:${OWN}:rule/*` }, true],
    ['a foreign account', { principal: OUTSIDE }, true],
    ['an org account ARN', { principal: `arn:aws:iam::${ORG_ACCOUNT}:root` }, false],
    ['a service', { principal: 'sns.amazonaws.com' }, false],
  ])('Lambda AddPermission: %s → %s', (_case, params, expected) => {
    expect(resourcePolicyAdmitsOutsideOrg(lambda(params), ctx)).toBe(expected);
  });

  it('reads a layer permission for the own organization as inside', () => {
    const e = event('lambda.amazonaws.com', 'AddLayerVersionPermission20181031', {
      principal: '*',
      organizationId: ORG_ID,
    });
    expect(resourcePolicyAdmitsOutsideOrg(e, ctx)).toBe(false);
  });
});

describe('bucketPolicyGrantsOutsideOrg', () => {
  it('names foreign accounts, leaves everyone to the public detection, reads nothing unreadable', () => {
    const put = (bucketPolicy: unknown) => event('s3.amazonaws.com', 'PutBucketPolicy', { bucketPolicy });
    expect(bucketPolicyGrantsOutsideOrg(put(policy({ AWS: OUTSIDE })), ctx)).toBe(true);
    expect(bucketPolicyGrantsOutsideOrg(put(policy('*')), ctx)).toBe(false);
    expect(
      bucketPolicyGrantsOutsideOrg(
        put(JSON.stringify({ Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: OWN } }] })),
        ctx,
      ),
    ).toBe(false);
    expect(bucketPolicyGrantsOutsideOrg(put(undefined), ctx)).toBe(false);
  });
});

describe('replicationToOutsideOrg', () => {
  const put = (Destination: unknown) =>
    event('s3.amazonaws.com', 'PutBucketReplication', { ReplicationConfiguration: { Rule: [{ Destination }] } });
  it.each([
    ['a foreign Account', { Bucket: 'arn:aws:s3:::b', Account: OUTSIDE }, true],
    ['an org Account', { Bucket: 'arn:aws:s3:::b', Account: ORG_ACCOUNT }, false],
    ['an access point ARN of a foreign account', { Bucket: `arn:aws:s3:eu-west-1:${OUTSIDE}:accesspoint/ap` }, true],
    ['a bucket ARN without account', { Bucket: 'arn:aws:s3:::b' }, false],
    ['no destination', undefined, false],
  ])('%s → %s', (_case, destination, expected) => {
    expect(replicationToOutsideOrg(put(destination), ctx)).toBe(expected);
  });
});

describe('commandToManyInstances', () => {
  const send = (params: Record<string, unknown>) => event('ssm.amazonaws.com', 'SendCommand', params);
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `i-${i}`);
  it.each([
    ['10 instance ids', { instanceIds: ids(10) }, true],
    ['9 instance ids', { instanceIds: ids(9) }, false],
    ['a tag target', { targets: [{ key: 'tag:Env', values: ['prod'] }] }, true],
    ['a resource group target (PascalCase)', { targets: { Key: 'resource-groups:Name', Values: ['g'] } }, true],
    ['all instances', { targets: [{ key: 'InstanceIds', values: ['*'] }] }, true],
    ['10 instances as a target', { targets: [{ key: 'InstanceIds', values: ids(10) }] }, true],
    ['one instance as a target', { targets: [{ key: 'InstanceIds', values: ['i-1'] }] }, false],
    ['a target without key', { targets: [{ values: ['x'] }] }, false],
  ])('%s → %s', (_case, params, expected) => {
    expect(commandToManyInstances(send(params))).toBe(expected);
  });
});
