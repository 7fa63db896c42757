/**
 * remove-public-bucket-acl-grants: after PutBucketAcl granted something to everyone, removes the grants to
 * the two "everyone" groups (`AllUsers`: anyone; `AuthenticatedUsers`: any AWS account in the world) from
 * the bucket's ACL and keeps every other grant and the owner as they are.
 *
 * - The event says which bucket (an explicit grant or a canned ACL such as `public-read`, the catalog's
 *   `s3-bucket-acl-public` pattern); the ACL is re-read with GetBucketAcl (`ExpectedBucketOwner` pins the
 *   calls to the event's account) and the grants whose grantee is one of those groups are the offending ones.
 * - PutBucketAcl replaces the whole ACL, so it is sent with the owner and every other grant exactly as
 *   read. Removing grants never grants anything: the result is never weaker than before.
 * - No everyone grant left: already compliant (a second run writes nothing).
 * - Ambiguous: an ACL without an owner cannot be written back as it was: refuse.
 *
 * Snapshot: the owner and grants as read; undo puts that ACL back.
 */
import type { RemediationActionDef } from '../types';
import {
  act,
  asArray,
  call,
  compliant,
  detail,
  isObject,
  type Json,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
} from './support';

/** GetBucketAcl: owner and grants as the SDK returns them, or no bucket. */
export type BucketAclState =
  | { readonly exists: true; readonly owner?: Json; readonly grants: readonly Json[] }
  | { readonly exists: false };

const ACTION = 'remove-public-bucket-acl-grants';

/** The groups that make a grant public (S3 user guide, "Access control list (ACL) overview", Amazon S3 predefined groups). */
export const EVERYONE_GROUPS: readonly string[] = [
  'http://acs.amazonaws.com/groups/global/AllUsers',
  'http://acs.amazonaws.com/groups/global/AuthenticatedUsers',
];

/** Whether a grant (GetBucketAcl shape) is to one of the everyone groups. */
export const isPublicGrant = (g: Json): boolean => {
  const grantee = isObject(g['Grantee']) ? g['Grantee'] : {};
  return EVERYONE_GROUPS.includes(String(grantee['URI'] ?? ''));
};

const describeGrant = (g: Json): string => {
  const grantee = isObject(g['Grantee']) ? g['Grantee'] : {};
  return `${String(grantee['URI'] ?? '?')
    .split('/')
    .pop()} ${String(g['Permission'] ?? '?')}`;
};

export const removePublicBucketAclGrants: RemediationActionDef<BucketAclState> = {
  id: ACTION,
  title: 'Remove the AllUsers and AuthenticatedUsers grants from a bucket ACL, keeping the rest',
  iamActions: ['s3:PutBucketAcl'],
  readIamActions: ['s3:GetBucketAcl'],
  undoIamActions: ['s3:PutBucketAcl'],

  target(event) {
    if (event.detail.eventName !== 'PutBucketAcl') return refuse(`${event.detail.eventName} does not put a bucket ACL`);
    const bucket = str(requestOf(event)['bucketName']);
    if (!bucket) return refuse('PutBucketAcl event names no bucket');
    return targetOf(ACTION, event, regionOf(event), bucket, { bucket });
  },

  stateReads(target) {
    return [
      call(
        's3',
        'GetBucketAcl',
        { Bucket: detail(target, 'bucket'), ExpectedBucketOwner: target.accountId },
        target.region,
      ),
    ];
  },

  plan(target, state) {
    const bucket = detail(target, 'bucket');
    if (!state.exists) return compliant(target, `bucket ${bucket} no longer exists`);
    const offending = state.grants.filter(isPublicGrant);
    if (offending.length === 0) return compliant(target, `the ACL of ${bucket} grants nothing to everyone`);
    if (!state.owner)
      return refusePlan(target, `the ACL of ${bucket} names no owner; it cannot be written back as it was`);
    const kept = state.grants.filter((g) => !isPublicGrant(g));
    return act(
      target,
      `remove ${offending.map(describeGrant).join(', ')} from the ACL of ${bucket}, keeping ${kept.length} grant(s)`,
      [
        call(
          's3',
          'PutBucketAcl',
          {
            Bucket: bucket,
            ExpectedBucketOwner: target.accountId,
            AccessControlPolicy: { Owner: state.owner, Grants: kept },
          },
          target.region,
        ),
      ],
      { bucket, accountId: target.accountId, region: target.region, owner: state.owner, grants: [...state.grants] },
    );
  },

  verify(target, stateAfter) {
    const bucket = detail(target, 'bucket');
    if (!stateAfter.exists) return { fixed: true, detail: `bucket ${bucket} is gone` };
    const left = stateAfter.grants.filter(isPublicGrant);
    return left.length === 0
      ? { fixed: true, detail: `the ACL of ${bucket} grants nothing to everyone` }
      : { fixed: false, detail: `${bucket} still grants ${left.map(describeGrant).join(', ')}` };
  },

  undo(snapshot) {
    return [
      call(
        's3',
        'PutBucketAcl',
        {
          Bucket: String(snapshot['bucket']),
          ExpectedBucketOwner: String(snapshot['accountId']),
          AccessControlPolicy: { Owner: snapshot['owner'], Grants: asArray(snapshot['grants']).filter(isObject) },
        },
        String(snapshot['region']),
      ),
    ];
  },
};
