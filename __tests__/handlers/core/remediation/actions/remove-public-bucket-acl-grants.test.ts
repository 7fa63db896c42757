import {
  type BucketAclState,
  removePublicBucketAclGrants as action,
} from '../../../../../handlers/core/remediation/actions/remove-public-bucket-acl-grants';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const BUCKET = `payments-settlement-${MEMBER}`;
const OWNER = { ID: 'd25639fbe9c19cd30a4c0f43fbf00e2d3f96400a9aa8dabfbbebe1906Example' };
const OWNER_FULL = { Grantee: { Type: 'CanonicalUser', ...OWNER }, Permission: 'FULL_CONTROL' };
const LOG_DELIVERY = {
  Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/s3/LogDelivery' },
  Permission: 'WRITE',
};
const ALL_USERS_READ = {
  Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' },
  Permission: 'READ',
};
const AUTHENTICATED_READ = {
  Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers' },
  Permission: 'READ_ACP',
};
const acl = (...grants: object[]): BucketAclState => ({ exists: true, owner: OWNER, grants: grants as never });
const target = (fixture = 's3-put-bucket-acl-public') =>
  targetOrFail(action.target(loadRemediationEvent(fixture), CTX));

describe('remove-public-bucket-acl-grants', () => {
  it.each(['s3-put-bucket-acl-public', 's3-put-bucket-acl-canned'])('targets the bucket of %s', (fixture) => {
    expect(target(fixture)).toMatchObject({ resourceId: BUCKET, accountId: MEMBER, details: { bucket: BUCKET } });
  });

  it.each([
    ['another event', (e: any) => (e.detail.eventName = 'PutBucketPolicy'), /does not put a bucket ACL/],
    ['no bucket', (e: any) => delete e.detail.requestParameters.bucketName, /names no bucket/],
  ])('refuses an event with %s', (_case, change, reason) => {
    const event = loadRemediationEvent('s3-put-bucket-acl-public');
    change(event);

    expect(action.target(event, CTX)).toEqual({ refuse: expect.stringMatching(reason) });
  });

  it('reads the ACL pinned to the bucket owner', () => {
    expect(action.stateReads(target())).toEqual([
      {
        service: 's3',
        operation: 'GetBucketAcl',
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER },
        region: 'eu-west-1',
      },
    ]);
  });

  it('removes the AllUsers and AuthenticatedUsers grants and keeps the owner and every other grant', () => {
    const before = acl(OWNER_FULL, ALL_USERS_READ, LOG_DELIVERY, AUTHENTICATED_READ);
    const plan = actOrFail(action.plan(target(), before));

    expect(plan.calls).toEqual([
      {
        service: 's3',
        operation: 'PutBucketAcl',
        input: {
          Bucket: BUCKET,
          ExpectedBucketOwner: MEMBER,
          AccessControlPolicy: { Owner: OWNER, Grants: [OWNER_FULL, LOG_DELIVERY] },
        },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.summary).toMatch(/AllUsers READ, AuthenticatedUsers READ_ACP/);
    expect(plan.snapshot).toEqual({
      bucket: BUCKET,
      accountId: MEMBER,
      region: 'eu-west-1',
      owner: OWNER,
      grants: [OWNER_FULL, ALL_USERS_READ, LOG_DELIVERY, AUTHENTICATED_READ],
    });
  });

  it('is already compliant when nothing is granted to everyone (a second run writes nothing)', () => {
    expect(action.plan(target(), acl(OWNER_FULL, LOG_DELIVERY))).toMatchObject({ kind: 'already-compliant' });
    expect(action.plan(target(), { exists: false })).toMatchObject({ kind: 'already-compliant' });
  });

  it('refuses an ACL without an owner (ambiguous: it cannot be written back as it was)', () => {
    expect(action.plan(target(), { exists: true, grants: [ALL_USERS_READ] })).toMatchObject({
      kind: 'refuse',
      reason: /no owner/,
    });
  });

  it('verifies and undoes from the snapshot', () => {
    const plan = actOrFail(action.plan(target(), acl(OWNER_FULL, ALL_USERS_READ)));

    expect(action.verify(target(), acl(OWNER_FULL))).toMatchObject({ fixed: true });
    expect(action.verify(target(), { exists: false })).toMatchObject({ fixed: true });
    expect(action.verify(target(), acl(OWNER_FULL, ALL_USERS_READ))).toMatchObject({ fixed: false });
    expect(action.undo(stored(plan.snapshot))).toEqual([
      {
        service: 's3',
        operation: 'PutBucketAcl',
        input: {
          Bucket: BUCKET,
          ExpectedBucketOwner: MEMBER,
          AccessControlPolicy: { Owner: OWNER, Grants: [OWNER_FULL, ALL_USERS_READ] },
        },
        region: 'eu-west-1',
      },
    ]);
  });
});
