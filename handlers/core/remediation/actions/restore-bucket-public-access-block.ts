/**
 * restore-bucket-public-access-block: after PutBucketPublicAccessBlock switched a flag off, or
 * DeleteBucketPublicAccessBlock removed the configuration, puts the bucket's Block Public Access back
 * to the baseline (all four flags on by default) with `PutPublicAccessBlock { Bucket, ... }`.
 *
 * Never weakens: the new configuration is the current one with the baseline's flags switched on
 * (current OR baseline), so a flag that is on stays on even where the baseline does not require it.
 * PutPublicAccessBlock replaces the whole configuration, which is why all four flags are always sent.
 * `ExpectedBucketOwner` pins the calls to the event's account, so a bucket name that changed hands
 * is never touched (S3 user guide, "Verifying bucket ownership with bucket owner condition").
 *
 * The state is GetPublicAccessBlock; `NoSuchPublicAccessBlockConfiguration` means "none". The snapshot
 * is the previous configuration (or none), so undo restores it, or deletes the configuration when there
 * was none.
 */
import type { RemediationActionDef } from '../types';
import {
  act,
  baselineOf,
  call,
  compliant,
  detail,
  FULL_BLOCK,
  flagsOf,
  isObject,
  mergeBaseline,
  missingFlags,
  type PublicAccessBlockState,
  refuse,
  refusePlan,
  regionOf,
  requestOf,
  str,
  targetOf,
} from './support';

/** GetPublicAccessBlock of the bucket, or the bucket is gone (NoSuchBucket). */
export type BucketPublicAccessBlockState = PublicAccessBlockState | { readonly configuration: 'no-such-bucket' };

const ACTION = 'restore-bucket-public-access-block';
const EVENTS = ['PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock'];

export const restoreBucketPublicAccessBlock: RemediationActionDef<BucketPublicAccessBlockState> = {
  id: ACTION,
  title: 'Restore the Block Public Access settings of an S3 bucket',
  // PutPublicAccessBlock and DeletePublicAccessBlock on a bucket both need s3:PutBucketPublicAccessBlock
  // (S3 API reference, "Permissions" of each operation); GetPublicAccessBlock needs s3:GetBucketPublicAccessBlock.
  iamActions: ['s3:PutBucketPublicAccessBlock'],
  readIamActions: ['s3:GetBucketPublicAccessBlock'],
  undoIamActions: ['s3:PutBucketPublicAccessBlock'],

  target(event, ctx) {
    if (!EVENTS.includes(event.detail.eventName)) {
      return refuse(`${event.detail.eventName} does not change a bucket's public access block`);
    }
    const bucket = str(requestOf(event)['bucketName']);
    if (!bucket) return refuse(`${event.detail.eventName} event names no bucket`);
    return targetOf(ACTION, event, regionOf(event), bucket, {
      bucket,
      baseline: { ...(ctx.publicAccessBlockBaseline ?? FULL_BLOCK) },
    });
  },

  stateReads(target) {
    return [
      call(
        's3',
        'GetPublicAccessBlock',
        { Bucket: detail(target, 'bucket'), ExpectedBucketOwner: target.accountId },
        target.region,
      ),
    ];
  },

  plan(target, state) {
    const bucket = detail(target, 'bucket');
    if (state.configuration === 'no-such-bucket') return refusePlan(target, `bucket ${bucket} no longer exists`);
    const current = flagsOf(state);
    const baseline = baselineOf(target.details);
    const missing = missingFlags(current, baseline);
    if (missing.length === 0) return compliant(target, `${bucket} already blocks public access as the baseline asks`);
    const desired = mergeBaseline(current, baseline);
    return act(
      target,
      `turn on ${missing.join(', ')} in the public access block of ${bucket}`,
      [
        call(
          's3',
          'PutPublicAccessBlock',
          { Bucket: bucket, ExpectedBucketOwner: target.accountId, PublicAccessBlockConfiguration: { ...desired } },
          target.region,
        ),
      ],
      {
        bucket,
        accountId: target.accountId,
        region: target.region,
        previous: state.configuration === 'none' ? 'none' : { ...current },
      },
    );
  },

  verify(target, stateAfter) {
    const bucket = detail(target, 'bucket');
    if (stateAfter.configuration === 'no-such-bucket') return { fixed: false, detail: `bucket ${bucket} is gone` };
    const missing = missingFlags(flagsOf(stateAfter), baselineOf(target.details));
    return missing.length === 0
      ? { fixed: true, detail: `${bucket} blocks public access as the baseline asks` }
      : { fixed: false, detail: `${bucket} still has ${missing.join(', ')} off` };
  },

  undo(snapshot) {
    const bucket = String(snapshot['bucket']);
    const owner = String(snapshot['accountId']);
    const region = String(snapshot['region']);
    const previous = snapshot['previous'];
    if (!isObject(previous)) {
      return [call('s3', 'DeletePublicAccessBlock', { Bucket: bucket, ExpectedBucketOwner: owner }, region)];
    }
    return [
      call(
        's3',
        'PutPublicAccessBlock',
        { Bucket: bucket, ExpectedBucketOwner: owner, PublicAccessBlockConfiguration: { ...previous } },
        region,
      ),
    ];
  },
};
