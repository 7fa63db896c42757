import {
  canonicalJson,
  removePublicBucketPolicyStatements as action,
} from '../../../../../handlers/core/remediation/actions/remove-public-bucket-policy-statements';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const BUCKET = `payments-settlement-${MEMBER}`;
const RESOURCES = [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`];
const DENY_TLS = {
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: RESOURCES,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};
const EVERYONE = {
  Sid: 'Everyone',
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: ['s3:GetObject', 's3:ListBucket'],
  Resource: RESOURCES,
};
const PARTNER = {
  Sid: 'Partner',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::555555555555:root' },
  Action: 's3:GetObject',
  Resource: RESOURCES[1],
};
const policy = (...statements: object[]) => ({
  policy: JSON.stringify({ Version: '2012-10-17', Id: 'p1', Statement: statements }),
});
const target = () => targetOrFail(action.target(loadRemediationEvent('s3-put-bucket-policy-public'), CTX));

describe('remove-public-bucket-policy-statements', () => {
  it('targets the public statements of the policy the event put, not its Deny', () => {
    expect(target()).toMatchObject({
      action: 'remove-public-bucket-policy-statements',
      accountId: MEMBER,
      region: 'eu-west-1',
      resourceId: BUCKET,
      details: { bucket: BUCKET, publicStatements: [EVERYONE] },
    });
  });

  it('reads the policy pinned to the bucket owner', () => {
    expect(action.stateReads(target())).toEqual([
      {
        service: 's3',
        operation: 'GetBucketPolicy',
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER },
        region: 'eu-west-1',
      },
    ]);
  });

  it.each([
    ['another event', (e: any) => (e.detail.eventName = 'DeleteBucketPolicy'), /does not put/],
    ['no bucket', (e: any) => delete e.detail.requestParameters.bucketName, /names no bucket/],
    ['no readable document', (e: any) => (e.detail.requestParameters.bucketPolicy = 'not json'), /readable/],
    [
      'a policy without public statement',
      (e: any) => (e.detail.requestParameters.bucketPolicy = { Statement: [DENY_TLS, PARTNER] }),
      /no public statement/,
    ],
  ])('refuses an event with %s', (_case, change, reason) => {
    const event = loadRemediationEvent('s3-put-bucket-policy-public');
    change(event);

    expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
  });

  it('removes exactly the public statement and puts the rest back (Version and Id kept)', () => {
    const before = policy(DENY_TLS, { ...EVERYONE }, PARTNER);
    const plan = actOrFail(action.plan(target(), before));

    expect(plan.calls).toEqual([
      {
        service: 's3',
        operation: 'PutBucketPolicy',
        input: {
          Bucket: BUCKET,
          ExpectedBucketOwner: MEMBER,
          Policy: JSON.stringify({ Version: '2012-10-17', Id: 'p1', Statement: [DENY_TLS, PARTNER] }),
        },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.summary).toMatch(/Everyone/);
    expect(plan.snapshot).toEqual({
      bucket: BUCKET,
      accountId: MEMBER,
      region: 'eu-west-1',
      previousPolicy: before.policy,
    });
  });

  it('matches the event statement whatever the key order, or by Sid', () => {
    const reordered = {
      Resource: RESOURCES,
      Action: EVERYONE.Action,
      Principal: { AWS: '*' },
      Effect: 'Allow',
      Sid: 'Everyone',
    };
    const sameSid = { ...EVERYONE, Action: 's3:*' };

    expect(canonicalJson(reordered)).toBe(canonicalJson(EVERYONE));
    expect(actOrFail(action.plan(target(), policy(DENY_TLS, reordered))).calls).toHaveLength(1);
    expect(actOrFail(action.plan(target(), policy(DENY_TLS, sameSid))).summary).toMatch(/Everyone/);
  });

  it('deletes the policy when nothing but public statements remains', () => {
    const plan = actOrFail(action.plan(target(), policy(EVERYONE)));

    expect(plan.calls).toEqual([
      {
        service: 's3',
        operation: 'DeleteBucketPolicy',
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER },
        region: 'eu-west-1',
      },
    ]);
  });

  it('is already compliant when the public statements are gone (a second run writes nothing)', () => {
    expect(action.plan(target(), policy(DENY_TLS, PARTNER))).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { policy: 'none' })).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { policy: 'no-such-bucket' })).toMatchObject({ kind: 'already-compliant' });
  });

  it('leaves a public statement the event did not add to its own event', () => {
    const other = { ...EVERYONE, Sid: 'Other', Action: 's3:PutObject' };

    expect(action.plan(target(), policy(DENY_TLS, other))).toMatchObject({ kind: 'already-compliant' });
  });

  it('refuses when the current policy does not parse (ambiguous)', () => {
    expect(action.plan(target(), { policy: '{not json' })).toMatchObject({ kind: 'refuse', reason: /does not parse/ });
  });

  it('verifies and undoes from the snapshot', () => {
    const before = policy(DENY_TLS, EVERYONE);
    const plan = actOrFail(action.plan(target(), before));

    expect(action.verify(target(), policy(DENY_TLS))).toMatchObject({ fixed: true });
    expect(action.verify(target(), { policy: 'none' })).toMatchObject({ fixed: true });
    expect(action.verify(target(), before)).toMatchObject({ fixed: false, detail: /Everyone/ });
    expect(action.verify(target(), { policy: 'x' })).toMatchObject({ fixed: false });
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 's3',
        operation: 'PutBucketPolicy',
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER, Policy: before.policy },
        region: 'eu-west-1',
      },
    ]);
  });
});
