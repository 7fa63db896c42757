/**
 * The detection catalog. Each entry is data; see rules/types.ts for the fields and
 * docs/detections.md (generated) for the table.
 */
import { API_CALL, type Detection } from './types';

const succeeded = { errorCode: [{ exists: false }] } as const;

export const CATALOG: readonly Detection[] = [
  {
    id: 'cloudtrail-logging-stopped',
    title: 'CloudTrail logging was stopped',
    severity: 'critical',
    rationale: 'A stopped trail hides every later API call in that account from detection and from audit.',
    compliance: {
      cis: ['4.5', '3.5 (v1.2)'],
      securityHub: ['CloudWatch.5'],
      pciDss: ['10.5.2'],
      soc2: ['CC7.2'],
      mitre: ['T1562.008'],
    },
    forward: {
      kind: 'api',
      source: 'aws.cloudtrail',
      eventSource: 'cloudtrail.amazonaws.com',
      eventNames: ['StopLogging'],
    },
    pattern: {
      source: ['aws.cloudtrail'],
      'detail-type': [API_CALL],
      detail: { eventSource: ['cloudtrail.amazonaws.com'], eventName: ['StopLogging'], ...succeeded },
    },
    remediation: { action: 'restart-trail-logging', defaultMode: 'auto' },
  },
  {
    id: 'iam-admin-policy-attached',
    title: 'Administrator or full-access managed policy attached',
    severity: 'high',
    rationale: 'An admin policy attached to a user, role or group grants unrestricted access to the account.',
    compliance: {
      cis: ['4.4', '3.4 (v1.2)'],
      securityHub: ['CloudWatch.4'],
      pciDss: ['7.2.1'],
      soc2: ['CC6.3'],
      mitre: ['T1098.003'],
    },
    forward: {
      kind: 'api',
      source: 'aws.iam',
      eventSource: 'iam.amazonaws.com',
      eventNames: ['AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy'],
    },
    pattern: {
      source: ['aws.iam'],
      'detail-type': [API_CALL],
      detail: {
        eventSource: ['iam.amazonaws.com'],
        eventName: ['AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy'],
        requestParameters: { policyArn: [{ suffix: '/AdministratorAccess' }, { wildcard: '*FullAccess' }] },
        ...succeeded,
      },
    },
    remediation: { action: 'detach-admin-policy', defaultMode: 'approve' },
  },
  {
    id: 's3-bucket-public-access-block-deleted',
    title: 'S3 bucket public access block deleted',
    severity: 'high',
    rationale: 'Without its public access block, a bucket policy or ACL change can expose the data to the internet.',
    compliance: { pciDss: ['1.4.1'], soc2: ['CC6.1'], mitre: ['T1530'] },
    forward: {
      kind: 'api',
      source: 'aws.s3',
      eventSource: 's3.amazonaws.com',
      eventNames: ['DeleteBucketPublicAccessBlock'],
    },
    pattern: {
      source: ['aws.s3'],
      'detail-type': [API_CALL],
      detail: { eventSource: ['s3.amazonaws.com'], eventName: ['DeleteBucketPublicAccessBlock'], ...succeeded },
    },
    remediation: { action: 'restore-bucket-public-access-block', defaultMode: 'auto' },
  },
  {
    id: 'root-activity',
    title: 'Root user activity',
    severity: 'critical',
    rationale: 'The root user bypasses IAM and SCP guardrails; it should never be used outside break-glass.',
    compliance: {
      cis: ['4.3', '3.3 (v1.2)', '1.7'],
      securityHub: ['CloudWatch.1'],
      pciDss: ['8.2.2'],
      soc2: ['CC6.1'],
      mitre: ['T1078.004'],
    },
    forward: {
      kind: 'pattern',
      key: 'root',
      pattern: { detail: { userIdentity: { type: ['Root'] } } },
    },
    pattern: {
      detail: {
        userIdentity: { type: ['Root'], invokedBy: [{ exists: false }] },
        eventType: [{ 'anything-but': 'AwsServiceEvent' }],
      },
    },
  },
];
