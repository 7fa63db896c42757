import { Testing } from '../../framework/cdktf';
import { trailArn, trailBucketName } from '../../config/naming';
import { LogArchiveStack } from '../../stacks/log-archive-stack';
import { inventoryWith, TEST_INVENTORY } from '../fixtures/inventory';
import { onlyResource, policyOf, statement, synthJson } from '../helpers/synth';

const tf = synthJson(new LogArchiveStack(Testing.app(), 'log-archive', { inventory: TEST_INVENTORY }));
const bucketArn = `arn:aws:s3:::${trailBucketName(TEST_INVENTORY)}`;
const TRAIL = 'arn:aws:cloudtrail:eu-west-1:111111111111:trail/vigil-org-trail';

describe('LogArchiveStack', () => {
  it('deploys into the log-archive account only, through the deploy role', () => {
    const provider = tf['provider']['aws'][0];
    expect(provider.allowed_account_ids).toEqual(['222222222222']);
    expect(provider.assume_role[0].role_arn).toBe('arn:aws:iam::222222222222:role/vigil-deploy');
  });

  it('names the bucket after the log-archive account and home region', () => {
    expect(onlyResource(tf, 'aws_s3_bucket').bucket).toBe('vigil-org-trail-222222222222-eu-west-1');
    expect(onlyResource(tf, 'aws_s3_bucket').force_destroy).toBe(false);
  });

  it('versions the bucket', () => {
    expect(onlyResource(tf, 'aws_s3_bucket_versioning').versioning_configuration.status).toBe('Enabled');
  });

  it('encrypts with its own KMS key (SSE-KMS, bucket key)', () => {
    const sse = onlyResource(tf, 'aws_s3_bucket_server_side_encryption_configuration').rule[0];
    expect(sse.apply_server_side_encryption_by_default.sse_algorithm).toBe('aws:kms');
    expect(sse.apply_server_side_encryption_by_default.kms_master_key_id).toMatch(/^\$\{aws_kms_key\..+\.arn\}$/);
    expect(sse.bucket_key_enabled).toBe(true);
  });

  it('blocks all public access', () => {
    expect(onlyResource(tf, 'aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it('enforces bucket-owner object ownership (ACLs disabled)', () => {
    expect(onlyResource(tf, 'aws_s3_bucket_ownership_controls').rule.object_ownership).toBe('BucketOwnerEnforced');
  });

  it('archives then expires logs per config', () => {
    const rule = onlyResource(tf, 'aws_s3_bucket_lifecycle_configuration').rule[0];
    expect(rule.status).toBe('Enabled');
    expect(rule.transition[0]).toEqual({ days: 90, storage_class: 'GLACIER' });
    expect(rule.expiration[0].days).toBe(2557);
    const custom = synthJson(
      new LogArchiveStack(Testing.app(), 'log-archive', {
        inventory: inventoryWith((i) => (i.trail = { transitionToGlacierDays: 30, expireAfterDays: 400 })),
      }),
    );
    const customRule = onlyResource(custom, 'aws_s3_bucket_lifecycle_configuration').rule[0];
    expect(customRule.transition[0].days).toBe(30);
    expect(customRule.expiration[0].days).toBe(400);
  });

  describe('bucket policy', () => {
    const policy = policyOf(onlyResource(tf, 'aws_s3_bucket_policy'));

    it('denies every non-TLS request', () => {
      expect(statement(policy, 'DenyInsecureTransport')).toEqual({
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    });

    it('lets CloudTrail write only under the org and management prefixes, only for the org trail', () => {
      const write = statement(policy, 'CloudTrailWriteOrgTrailOnly');
      expect(write.Principal).toEqual({ Service: 'cloudtrail.amazonaws.com' });
      expect(write.Action).toBe('s3:PutObject');
      expect(write.Resource).toEqual([`${bucketArn}/AWSLogs/111111111111/*`, `${bucketArn}/AWSLogs/o-test123456/*`]);
      expect(write.Condition.StringEquals['aws:SourceArn']).toBe(TRAIL);
      expect(write.Condition.StringEquals['s3:x-amz-acl']).toBe('bucket-owner-full-control');
    });

    it('scopes the ACL check to the org trail as well', () => {
      expect(statement(policy, 'CloudTrailAclCheck').Condition).toEqual({ StringEquals: { 'aws:SourceArn': TRAIL } });
    });

    it('lets the sweep role of the security account read and list the trail prefixes, nothing more', () => {
      const role = { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::333333333333:role/vigil-sweep' } };
      const read = statement(policy, 'SweepReadTrailObjects');
      expect(read).toMatchObject({ Principal: { AWS: 'arn:aws:iam::333333333333:root' }, Action: 's3:GetObject' });
      expect(read.Resource).toEqual([`${bucketArn}/AWSLogs/o-test123456/*`, `${bucketArn}/AWSLogs/111111111111/*`]);
      expect(read.Condition).toEqual(role);
      const list = statement(policy, 'SweepListTrailPrefixes');
      expect(list).toMatchObject({ Action: 's3:ListBucket', Resource: bucketArn });
      expect(list.Condition).toEqual({
        ...role,
        StringLike: { 's3:prefix': ['AWSLogs/o-test123456/*', 'AWSLogs/111111111111/*'] },
      });
    });

    it('grants nothing else to anyone', () => {
      expect(
        policy.Statement.filter((s) => s['Effect'] === 'Allow')
          .map((s) => s['Sid'])
          .sort(),
      ).toEqual([
        'CloudTrailAclCheck',
        'CloudTrailWriteOrgTrailOnly',
        'SweepListTrailPrefixes',
        'SweepReadTrailObjects',
      ]);
    });
  });

  it("notifies the sweep's queue in the security account of every object under the trail's prefixes", () => {
    const notification = onlyResource(tf, 'aws_s3_bucket_notification');
    const queueArn = 'arn:aws:sqs:eu-west-1:333333333333:vigil-sweep';
    expect(notification.queue).toEqual([
      {
        id: 'sweep-organization',
        queue_arn: queueArn,
        events: ['s3:ObjectCreated:*'],
        filter_prefix: 'AWSLogs/o-test123456/',
      },
      {
        id: 'sweep-management-account',
        queue_arn: queueArn,
        events: ['s3:ObjectCreated:*'],
        filter_prefix: 'AWSLogs/111111111111/',
      },
    ]);
  });

  describe('KMS key', () => {
    const key = onlyResource(tf, 'aws_kms_key');
    const policy = policyOf(key);

    it('rotates', () => {
      expect(key.enable_key_rotation).toBe(true);
    });

    it('encrypts for CloudTrail only on behalf of the org trail', () => {
      const encrypt = statement(policy, 'CloudTrailEncryptOrgTrailOnly');
      expect(encrypt.Principal).toEqual({ Service: 'cloudtrail.amazonaws.com' });
      expect(encrypt.Action).toBe('kms:GenerateDataKey*');
      expect(encrypt.Condition.StringEquals['aws:SourceArn']).toBe(trailArn(TEST_INVENTORY));
      expect(encrypt.Condition.StringLike['kms:EncryptionContext:aws:cloudtrail:arn']).toBe(
        'arn:aws:cloudtrail:*:111111111111:trail/*',
      );
    });

    it('has the alias the org trail stack derives', () => {
      expect(onlyResource(tf, 'aws_kms_alias').name).toBe('alias/vigil-org-trail');
    });
  });
});
