import { restoreAccountPublicAccessBlock as account } from '../../../../../handlers/core/remediation/actions/restore-account-public-access-block';
import { restoreBucketPublicAccessBlock as bucket } from '../../../../../handlers/core/remediation/actions/restore-bucket-public-access-block';
import { CTX, loadRemediationEvent, MEMBER } from '../../../../fixtures/remediation/load';
import { actOrFail, stored, targetOrFail } from '../helpers';

const BUCKET = `payments-settlement-${MEMBER}`;
const ALL_ON = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
// What the fixture PutBucketPublicAccessBlock left: policy and ACL blocks off.
const WEAKENED = {
  BlockPublicAcls: false,
  IgnorePublicAcls: true,
  BlockPublicPolicy: false,
  RestrictPublicBuckets: true,
};

describe('restore-bucket-public-access-block', () => {
  const target = () => targetOrFail(bucket.target(loadRemediationEvent('s3-put-bucket-pab'), CTX));

  it('targets the bucket named in Put/DeleteBucketPublicAccessBlock, in its region', () => {
    expect(target()).toMatchObject({
      resourceId: BUCKET,
      region: 'eu-west-1',
      details: { bucket: BUCKET, baseline: ALL_ON },
    });
    expect(targetOrFail(bucket.target(loadRemediationEvent('s3-delete-bucket-pab'), CTX)).resourceId).toBe(BUCKET);
  });

  it('refuses other events', () => {
    expect(bucket.target(loadRemediationEvent('s3-put-account-pab'), CTX)).toEqual({ refuse: expect.any(String) });
  });

  it('reads the configuration, pinned to the expected bucket owner', () => {
    expect(bucket.stateReads(target())).toEqual([
      {
        service: 's3',
        operation: 'GetPublicAccessBlock',
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER },
        region: 'eu-west-1',
      },
    ]);
  });

  it('puts all four flags on with PutPublicAccessBlock and keeps the previous configuration', () => {
    const plan = actOrFail(bucket.plan(target(), { configuration: WEAKENED }));

    expect(plan.calls).toEqual([
      {
        service: 's3',
        operation: 'PutPublicAccessBlock',
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER, PublicAccessBlockConfiguration: ALL_ON },
        region: 'eu-west-1',
      },
    ]);
    expect(plan.summary).toBe(`turn on BlockPublicAcls, BlockPublicPolicy in the public access block of ${BUCKET}`);
    expect(plan.snapshot).toEqual({ bucket: BUCKET, accountId: MEMBER, region: 'eu-west-1', previous: WEAKENED });
  });

  it('restores a deleted configuration and records that there was none', () => {
    const plan = actOrFail(bucket.plan(target(), { configuration: 'none' }));

    expect(plan.calls[0]?.input['PublicAccessBlockConfiguration']).toEqual(ALL_ON);
    expect(plan.snapshot['previous']).toBe('none');
  });

  it('is already compliant when all four flags are on (a second run writes nothing)', () => {
    expect(bucket.plan(target(), { configuration: ALL_ON })).toMatchObject({ kind: 'already-compliant' });
  });

  it('never switches off a flag that is stronger than the baseline', () => {
    const partialBaseline = { ...ALL_ON, RestrictPublicBuckets: false, IgnorePublicAcls: false };
    const t = targetOrFail(
      bucket.target(loadRemediationEvent('s3-put-bucket-pab'), { ...CTX, publicAccessBlockBaseline: partialBaseline }),
    );

    const plan = actOrFail(bucket.plan(t, { configuration: WEAKENED }));

    // RestrictPublicBuckets and IgnorePublicAcls are on now and stay on, though the baseline does not ask for them.
    expect(plan.calls[0]?.input['PublicAccessBlockConfiguration']).toEqual(ALL_ON);
    expect(
      bucket.plan(t, { configuration: { ...WEAKENED, BlockPublicAcls: true, BlockPublicPolicy: true } }),
    ).toMatchObject({
      kind: 'already-compliant',
    });
  });

  it.each(['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const)(
    'keeps %s on when the baseline does not require it',
    (flag) => {
      const t = targetOrFail(
        bucket.target(loadRemediationEvent('s3-put-bucket-pab'), {
          ...CTX,
          publicAccessBlockBaseline: { ...ALL_ON, [flag]: false },
        }),
      );
      const current = {
        BlockPublicAcls: false,
        IgnorePublicAcls: false,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: false,
      };

      const plan = actOrFail(bucket.plan(t, { configuration: { ...current, [flag]: true } }));

      expect(plan.calls[0]?.input['PublicAccessBlockConfiguration']).toEqual(ALL_ON);
    },
  );

  it('refuses when the bucket is gone', () => {
    expect(bucket.plan(target(), { configuration: 'no-such-bucket' })).toMatchObject({ kind: 'refuse' });
  });

  it('verifies the baseline', () => {
    expect(bucket.verify(target(), { configuration: ALL_ON }).fixed).toBe(true);
    expect(bucket.verify(target(), { configuration: WEAKENED })).toEqual({
      fixed: false,
      detail: `${BUCKET} still has BlockPublicAcls, BlockPublicPolicy off`,
    });
    expect(bucket.verify(target(), { configuration: 'no-such-bucket' }).fixed).toBe(false);
  });

  it('undoes by putting the previous configuration back, or deleting it when there was none', () => {
    const put = actOrFail(bucket.plan(target(), { configuration: WEAKENED }));
    const del = actOrFail(bucket.plan(target(), { configuration: 'none' }));

    expect(bucket.undo(stored(put.snapshot))).toEqual([
      {
        service: 's3',
        operation: 'PutPublicAccessBlock',
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER, PublicAccessBlockConfiguration: WEAKENED },
        region: 'eu-west-1',
      },
    ]);
    expect(bucket.undo(stored(del.snapshot))).toEqual([
      {
        service: 's3',
        operation: 'DeletePublicAccessBlock',
        input: { Bucket: BUCKET, ExpectedBucketOwner: MEMBER },
        region: 'eu-west-1',
      },
    ]);
  });
});

describe('restore-account-public-access-block', () => {
  const target = () => targetOrFail(account.target(loadRemediationEvent('s3-put-account-pab'), CTX));
  const previous = {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: false,
    RestrictPublicBuckets: true,
  };

  it('targets the account of the event', () => {
    expect(target()).toMatchObject({ accountId: MEMBER, resourceId: MEMBER, region: 'eu-west-1' });
    expect(targetOrFail(account.target(loadRemediationEvent('s3-delete-account-pab'), CTX)).resourceId).toBe(MEMBER);
  });

  it('refuses an event about another account', () => {
    const event = loadRemediationEvent('s3-put-account-pab');
    (event.detail.requestParameters as any)['x-amz-account-id'] = '555555555555';

    expect(account.target(event, CTX)).toEqual({ refuse: expect.stringMatching(/555555555555/) });
  });

  it('reads and puts the configuration with S3 Control', () => {
    expect(account.stateReads(target())).toEqual([
      { service: 's3control', operation: 'GetPublicAccessBlock', input: { AccountId: MEMBER }, region: 'eu-west-1' },
    ]);
    expect(actOrFail(account.plan(target(), { configuration: previous })).calls).toEqual([
      {
        service: 's3control',
        operation: 'PutPublicAccessBlock',
        input: { AccountId: MEMBER, PublicAccessBlockConfiguration: ALL_ON },
        region: 'eu-west-1',
      },
    ]);
  });

  it('is already compliant when all four flags are on', () => {
    expect(account.plan(target(), { configuration: ALL_ON })).toMatchObject({ kind: 'already-compliant' });
  });

  it('never switches off a flag that is stronger than the baseline', () => {
    const t = targetOrFail(
      account.target(loadRemediationEvent('s3-put-account-pab'), {
        ...CTX,
        publicAccessBlockBaseline: { ...ALL_ON, RestrictPublicBuckets: false },
      }),
    );

    expect(
      actOrFail(account.plan(t, { configuration: previous })).calls[0]?.input['PublicAccessBlockConfiguration'],
    ).toEqual(ALL_ON);
  });

  it('verifies and undoes', () => {
    const plan = actOrFail(account.plan(target(), { configuration: 'none' }));

    expect(account.verify(target(), { configuration: ALL_ON }).fixed).toBe(true);
    expect(account.verify(target(), { configuration: 'none' }).fixed).toBe(false);
    expect(account.undo(stored(plan.snapshot))).toEqual([
      { service: 's3control', operation: 'DeletePublicAccessBlock', input: { AccountId: MEMBER }, region: 'eu-west-1' },
    ]);
    expect(account.undo(stored(actOrFail(account.plan(target(), { configuration: previous })).snapshot))).toEqual([
      {
        service: 's3control',
        operation: 'PutPublicAccessBlock',
        input: { AccountId: MEMBER, PublicAccessBlockConfiguration: previous },
        region: 'eu-west-1',
      },
    ]);
  });
});
