import { KmsAlias } from '../framework/aws';
import { KmsKey } from '../framework/aws';
import { S3Bucket } from '../framework/aws';
import { S3BucketLifecycleConfiguration } from '../framework/aws';
import { S3BucketNotification } from '../framework/aws';
import { S3BucketOwnershipControls } from '../framework/aws';
import { S3BucketPolicy } from '../framework/aws';
import { S3BucketPublicAccessBlock } from '../framework/aws';
import { S3BucketServerSideEncryptionConfigurationA } from '../framework/aws';
import { S3BucketVersioningA } from '../framework/aws';
import type { Construct } from 'constructs';
import type { OrgInventory } from '../config/inventory';
import { functionRoleArn, queueNames, trailArn, trailBucketName, trailKeyAlias } from '../config/naming';
import { policyDocument } from '../constructs/policy-document';
import { VigilStack } from './vigil-stack';

export interface LogArchiveStackProps {
  readonly inventory: OrgInventory;
}

/** Defaults of the trail bucket lifecycle (see TrailSettings in config/inventory.ts). */
export const TRAIL_LIFECYCLE_DEFAULTS = {
  transitionToGlacierDays: 90,
  expireAfterDays: 2557,
  noncurrentExpireAfterDays: 90,
};

/**
 * The log-archive account: the organization trail's bucket and KMS key. Only the org trail
 * (`aws:SourceArn`) may write, only under the organization's and the management account's
 * `AWSLogs/` prefixes, only over TLS; the key encrypts only for that trail.
 */
export class LogArchiveStack extends VigilStack {
  readonly bucketName: string;

  constructor(scope: Construct, id: string, props: LogArchiveStackProps) {
    const inv = props.inventory;
    super(scope, id, { inventory: inv, accountId: inv.logArchiveAccountId, component: 'log-archive' });
    const provider = this.provider;
    const trail = trailArn(inv);
    const lifecycle = { ...TRAIL_LIFECYCLE_DEFAULTS, ...inv.trail };
    this.bucketName = trailBucketName(inv);
    const bucketArn = `arn:aws:s3:::${this.bucketName}`;
    const sweptPrefixes = [`AWSLogs/${inv.organizationId}/`, `AWSLogs/${inv.managementAccountId}/`];
    const sweepRole = functionRoleArn(inv, 'sweep');

    const key = new KmsKey(this, 'trail-key', {
      provider,
      description: `Encrypts the ${inv.namePrefix} organization trail logs`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        {
          Sid: 'KeyAdministrationByAccount',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${inv.logArchiveAccountId}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          // CloudTrail encrypts with the key only on behalf of the org trail: aws:SourceArn pins the
          // trail, the encryption context pins trails of the management account.
          Sid: 'CloudTrailEncryptOrgTrailOnly',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 'kms:GenerateDataKey*',
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:SourceArn': trail },
            StringLike: {
              'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${inv.managementAccountId}:trail/*`,
            },
          },
        },
        {
          Sid: 'CloudTrailDescribeKey',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 'kms:DescribeKey',
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceArn': trail } },
        },
        {
          // Investigators in the security account read the logs; decrypt only what the trail wrote.
          Sid: 'SecurityAccountDecryptTrailLogs',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${inv.securityAccountId}:root` },
          Action: ['kms:Decrypt', 'kms:DescribeKey'],
          Resource: '*',
          Condition: {
            StringLike: {
              'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${inv.managementAccountId}:trail/*`,
            },
          },
        },
      ]),
    });
    new KmsAlias(this, 'trail-key-alias', { provider, name: trailKeyAlias(inv), targetKeyId: key.keyId });

    const bucket = new S3Bucket(this, 'trail-bucket', { provider, bucket: this.bucketName, forceDestroy: false });
    new S3BucketVersioningA(this, 'trail-bucket-versioning', {
      provider,
      bucket: bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'trail-bucket-encryption', {
      provider,
      bucket: bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.arn },
          bucketKeyEnabled: true,
        },
      ],
    });
    const publicAccessBlock = new S3BucketPublicAccessBlock(this, 'trail-bucket-public-access-block', {
      provider,
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'trail-bucket-ownership', {
      provider,
      bucket: bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketLifecycleConfiguration(this, 'trail-bucket-lifecycle', {
      provider,
      bucket: bucket.id,
      rule: [
        {
          id: 'archive-then-expire',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          transition: [{ days: lifecycle.transitionToGlacierDays, storageClass: 'GLACIER' }],
          expiration: [{ days: lifecycle.expireAfterDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: lifecycle.noncurrentExpireAfterDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    new S3BucketPolicy(this, 'trail-bucket-policy', {
      provider,
      bucket: bucket.id,
      // S3 rejects a policy change while the public access block is being created on the same bucket.
      dependsOn: [publicAccessBlock],
      policy: policyDocument([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [bucketArn, `${bucketArn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'CloudTrailAclCheck',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 's3:GetBucketAcl',
          Resource: bucketArn,
          Condition: { StringEquals: { 'aws:SourceArn': trail } },
        },
        {
          // The trail-log sweep (security account) reads what the trail wrote, and nothing else. The principal is
          // the security account with the role pinned by aws:PrincipalArn, so this policy does not need the role
          // to exist yet (the security stack deploys after this one).
          Sid: 'SweepReadTrailObjects',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${inv.securityAccountId}:root` },
          Action: 's3:GetObject',
          Resource: sweptPrefixes.map((x) => `${bucketArn}/${x}*`),
          Condition: { ArnEquals: { 'aws:PrincipalArn': sweepRole } },
        },
        {
          // So that S3 answers NoSuchKey for a deleted log file rather than AccessDenied.
          Sid: 'SweepListTrailPrefixes',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${inv.securityAccountId}:root` },
          Action: 's3:ListBucket',
          Resource: bucketArn,
          Condition: {
            ArnEquals: { 'aws:PrincipalArn': sweepRole },
            StringLike: { 's3:prefix': sweptPrefixes.map((x) => `${x}*`) },
          },
        },
        {
          // An organization trail writes under AWSLogs/<management account>/ and AWSLogs/<org id>/.
          Sid: 'CloudTrailWriteOrgTrailOnly',
          Effect: 'Allow',
          Principal: { Service: 'cloudtrail.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: [
            `${bucketArn}/AWSLogs/${inv.managementAccountId}/*`,
            `${bucketArn}/AWSLogs/${inv.organizationId}/*`,
          ],
          Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trail } },
        },
      ]),
    });

    // Every object the trail writes goes to the sweep's queue in the security account (issue #12, docs/sweep.md).
    new S3BucketNotification(this, 'trail-bucket-notification', {
      provider,
      bucket: bucket.id,
      queue: sweptPrefixes.map((prefix, i) => ({
        id: i === 0 ? 'sweep-organization' : 'sweep-management-account',
        queueArn: `arn:aws:sqs:${inv.homeRegion}:${inv.securityAccountId}:${queueNames(inv).sweep}`,
        events: ['s3:ObjectCreated:*'],
        filterPrefix: prefix,
      })),
    });
  }
}
