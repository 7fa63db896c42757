/**
 * S3 exposure detections: public access blocks removed or weakened (bucket and account level),
 * bucket policies and ACLs made public, and the CIS 4.8 record of bucket policy changes.
 */
import type { Detection, EventPattern } from '../types';
import { apiCall, cisMonitoring } from './shared';

/** Any of the four Block Public Access flags switched off (CloudTrail records them as booleans). */
const ANY_BLOCK_FLAG_OFF: EventPattern = {
  $or: ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'].map((flag) => ({
    requestParameters: { PublicAccessBlockConfiguration: { [flag]: [false] } },
  })),
};

const EVERYONE_GROUPS = [
  'http://acs.amazonaws.com/groups/global/AllUsers',
  'http://acs.amazonaws.com/groups/global/AuthenticatedUsers',
];

/** The 9 bucket events of CIS 4.8 / CloudWatch.8 (Public Access Block APIs are not among them). */
const CIS_BUCKET_POLICY_EVENTS = [
  'DeleteBucketCors',
  'DeleteBucketLifecycle',
  'DeleteBucketPolicy',
  'DeleteBucketReplication',
  'PutBucketAcl',
  'PutBucketCors',
  'PutBucketLifecycle',
  'PutBucketPolicy',
  'PutBucketReplication',
] as const;

export const STORAGE: readonly Detection[] = [
  {
    id: 's3-bucket-public-access-block-deleted',
    title: 'S3 bucket public access block deleted',
    class: 'exposure',
    severity: 'high',
    rationale:
      'Without its public access block, the next bucket policy or ACL change can expose the data to the internet ' +
      '(the account-level block still applies if it is on).',
    compliance: { pciDss: ['1.4.1', '1.2.2'], soc2: ['CC6.1', 'CC6.6'], mitre: ['T1530', 'T1562'] },
    ...apiCall('s3', ['DeleteBucketPublicAccessBlock']),
    remediation: { action: 'restore-bucket-public-access-block', defaultMode: 'auto' },
  },
  {
    id: 's3-bucket-public-access-block-weakened',
    title: 'S3 bucket public access block weakened',
    class: 'exposure',
    severity: 'high',
    rationale:
      'A Block Public Access flag switched off on a bucket allows public ACLs or public bucket policies to take ' +
      'effect there; it is usually the first half of making a bucket public.',
    compliance: { pciDss: ['1.4.1', '1.2.2'], soc2: ['CC6.1', 'CC6.6'], mitre: ['T1530', 'T1562'] },
    ...apiCall('s3', ['PutBucketPublicAccessBlock'], ANY_BLOCK_FLAG_OFF),
    remediation: { action: 'restore-bucket-public-access-block', defaultMode: 'auto' },
  },
  {
    id: 's3-account-public-access-block-deleted',
    title: 'S3 account-level public access block deleted',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'The account-level block is the guardrail behind every bucket in the account; deleting it leaves each ' +
      'bucket protected only by its own settings.',
    compliance: { pciDss: ['1.4.1', '1.2.2'], soc2: ['CC6.1', 'CC6.6'], mitre: ['T1530', 'T1562'] },
    // S3 Control API; CloudTrail logs it with eventSource s3.amazonaws.com. The region it is recorded in is
    // not documented, so it is forwarded from every region (regional scope).
    ...apiCall('s3', ['DeleteAccountPublicAccessBlock']),
    remediation: { action: 'restore-account-public-access-block', defaultMode: 'auto' },
  },
  {
    id: 's3-account-public-access-block-weakened',
    title: 'S3 account-level public access block weakened',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'A Block Public Access flag switched off for the whole account lets any bucket in it be made public by a ' +
      'single policy or ACL change.',
    compliance: { pciDss: ['1.4.1', '1.2.2'], soc2: ['CC6.1', 'CC6.6'], mitre: ['T1530', 'T1562'] },
    ...apiCall('s3', ['PutAccountPublicAccessBlock'], ANY_BLOCK_FLAG_OFF),
    remediation: { action: 'restore-account-public-access-block', defaultMode: 'auto' },
  },
  {
    id: 's3-bucket-policy-public',
    supersedes: ['s3-bucket-policy-changed'],
    title: 'S3 bucket policy grants access to everyone',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'A bucket policy statement allowing Principal "*" without a condition that pins accounts, networks or ' +
      'sources makes the bucket readable (or writable) from the internet.',
    compliance: { ...cisMonitoring(8), pciDss: ['1.4.1', '7.2.1'], soc2: ['CC6.1', 'CC6.7'], mitre: ['T1530'] },
    ...apiCall('s3', ['PutBucketPolicy']),
    predicate: 'bucketPolicyIsPublic',
    remediation: { action: 'remove-public-bucket-policy-statements', defaultMode: 'notify' },
  },
  {
    id: 's3-bucket-acl-public',
    supersedes: ['s3-bucket-policy-changed'],
    title: 'S3 bucket ACL grants access to all users',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'A grant to AllUsers (anyone) or AuthenticatedUsers (any AWS account in the world) exposes the bucket, ' +
      'whether set by a canned ACL such as public-read or by an explicit grant.',
    compliance: { ...cisMonitoring(8), pciDss: ['1.4.1', '7.2.1'], soc2: ['CC6.1', 'CC6.7'], mitre: ['T1530'] },
    ...apiCall('s3', ['PutBucketAcl'], {
      $or: [
        {
          requestParameters: {
            AccessControlPolicy: { AccessControlList: { Grant: { Grantee: { URI: EVERYONE_GROUPS } } } },
          },
        },
        { requestParameters: { 'x-amz-acl': ['public-read', 'public-read-write', 'authenticated-read'] } },
      ],
    }),
    remediation: { action: 'remove-public-bucket-acl-grants', defaultMode: 'notify' },
  },
  {
    id: 's3-bucket-policy-changed',
    title: 'S3 bucket policy, ACL, CORS, lifecycle or replication changed',
    class: 'change',
    severity: 'info',
    rationale:
      'Bucket access and data-movement settings changed (CIS 4.8); replication and lifecycle changes can copy ' +
      'data out or expire it, policy and ACL changes change who can read it.',
    compliance: { ...cisMonitoring(8), pciDss: ['10.2.1.7', '1.2.2'], soc2: ['CC8.1', 'CC7.2'], mitre: ['T1537'] },
    ...apiCall('s3', CIS_BUCKET_POLICY_EVENTS),
  },
];
