/**
 * Data shared out of the organization (issue #13): machine images, volume and database snapshots made
 * public or shared with foreign accounts, database exports, S3 policies and replication naming foreign
 * accounts, and resource policies of ECR, SQS, SNS, KMS, Secrets Manager and OpenSearch opened to everyone
 * or to accounts outside the inventory; CodeBuild projects made public. Foreign = not an inventory account
 * (rules/sharing.ts).
 */
import type { Detection } from '../types';
import { apiCall } from './shared';

/** Resource policies: a policy rewrite cannot be undone precisely without the owner's intent. */
const POLICY_NOT_REMEDIATED =
  'A resource policy is rewritten whole, so restoring the previous one could drop changes made since; the ' +
  'owner must decide which statements stay.';

const SHARED = { pciDss: ['1.4.1', '7.2.1'], soc2: ['CC6.1', 'CC6.7'] } as const;

export const EXFILTRATION: readonly Detection[] = [
  {
    id: 'ec2-ami-made-public',
    title: 'AMI made public',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'A launch permission for group "all" lets every AWS account launch the image and read its volumes: ' +
      'configuration, keys and data baked into the AMI.',
    compliance: { ...SHARED, mitre: ['T1537'] },
    ...apiCall('ec2', ['ModifyImageAttribute'], {
      requestParameters: { launchPermission: { add: { items: { group: ['all'] } } } },
    }),
    remediation: { action: 'remove-foreign-launch-permissions', defaultMode: 'notify' },
  },
  {
    id: 'ec2-ami-shared-outside-org',
    title: 'AMI shared with an account outside the organization',
    class: 'exposure',
    severity: 'high',
    rationale:
      'A launch permission for an account (or organization) that is not in the inventory copies the image and ' +
      'everything on its volumes out of the organization: a known exfiltration path.',
    compliance: { ...SHARED, mitre: ['T1537'] },
    ...apiCall('ec2', ['ModifyImageAttribute']),
    predicate: 'sharedOutsideOrg',
    remediation: { action: 'remove-foreign-launch-permissions', defaultMode: 'notify' },
  },
  {
    id: 'ec2-snapshot-made-public',
    title: 'EBS snapshot made public',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'A create-volume permission for group "all" lets every AWS account create a volume from the snapshot ' +
      'and read the disk.',
    compliance: { ...SHARED, mitre: ['T1537'] },
    ...apiCall('ec2', ['ModifySnapshotAttribute'], {
      requestParameters: { createVolumePermission: { add: { items: { group: ['all'] } } } },
    }),
    remediation: { action: 'remove-foreign-snapshot-permissions', defaultMode: 'notify' },
  },
  {
    id: 'ec2-snapshot-shared-outside-org',
    title: 'EBS snapshot shared with an account outside the organization',
    class: 'exposure',
    severity: 'high',
    rationale:
      'A create-volume permission for an account outside the inventory lets it copy the disk: the step ' +
      'attackers use to move volumes to an account they control (Stratus Red Team ebs-snapshot-share).',
    compliance: { ...SHARED, mitre: ['T1537'] },
    ...apiCall('ec2', ['ModifySnapshotAttribute']),
    predicate: 'sharedOutsideOrg',
    remediation: { action: 'remove-foreign-snapshot-permissions', defaultMode: 'notify' },
  },
  {
    id: 'rds-snapshot-made-public',
    title: 'RDS or Aurora snapshot made public',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'The value "all" in the restore attribute of a manual DB or cluster snapshot lets every AWS account ' +
      'restore the database from it.',
    compliance: { ...SHARED, mitre: ['T1537'] },
    ...apiCall('rds', ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'], {
      requestParameters: { attributeName: ['restore'], valuesToAdd: ['all'] },
    }),
    remediation: { action: 'remove-foreign-db-snapshot-access', defaultMode: 'notify' },
  },
  {
    id: 'rds-snapshot-shared-outside-org',
    title: 'RDS or Aurora snapshot shared with an account outside the organization',
    class: 'exposure',
    severity: 'high',
    rationale:
      'An account outside the inventory added to the restore attribute of a DB or cluster snapshot can copy ' +
      'or restore the whole database (Stratus Red Team rds-share-snapshot).',
    compliance: { ...SHARED, mitre: ['T1537'] },
    ...apiCall('rds', ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'], {
      requestParameters: { attributeName: ['restore'] },
    }),
    predicate: 'sharedOutsideOrg',
    remediation: { action: 'remove-foreign-db-snapshot-access', defaultMode: 'notify' },
  },
  {
    id: 'rds-snapshot-export-started',
    title: 'RDS snapshot or cluster export to S3 started',
    class: 'change',
    severity: 'info',
    rationale:
      'An export writes the database as Parquet files to an S3 bucket, where bucket policies rather than the ' +
      'database decide who reads it; confirm the bucket and the reason.',
    compliance: { soc2: ['CC6.7'], mitre: ['T1537', 'T1530'] },
    ...apiCall('rds', ['StartExportTask']),
  },
  {
    id: 's3-bucket-policy-grants-outside-org',
    supersedes: ['s3-bucket-policy-changed'],
    title: 'S3 bucket policy grants an account outside the organization',
    class: 'exposure',
    severity: 'high',
    rationale:
      'A bucket policy statement naming an AWS account that is not in the inventory lets that account read or ' +
      'write the bucket; data leaves the organization without anything being public.',
    compliance: { ...SHARED, mitre: ['T1537', 'T1530'] },
    ...apiCall('s3', ['PutBucketPolicy']),
    predicate: 'bucketPolicyGrantsOutsideOrg',
    noRemediation: POLICY_NOT_REMEDIATED,
  },
  {
    id: 's3-replication-to-outside-org',
    supersedes: ['s3-bucket-policy-changed'],
    title: 'S3 replication to an account outside the organization',
    class: 'exposure',
    severity: 'high',
    rationale:
      'A replication rule whose destination is an account outside the inventory copies every new object out of ' +
      'the organization, continuously.',
    compliance: { ...SHARED, mitre: ['T1537'] },
    ...apiCall('s3', ['PutBucketReplication']),
    predicate: 'replicationToOutsideOrg',
    noRemediation:
      'Deleting the replication configuration would also drop legitimate rules of the bucket; the owner must ' +
      'remove the foreign one.',
  },
  {
    id: 'ecr-repository-policy-outside-org',
    title: 'ECR repository policy opened to everyone or to an account outside the organization',
    class: 'exposure',
    severity: 'high',
    rationale:
      'Images carry code and often secrets; a repository policy for "*" or a foreign account lets outsiders ' +
      'pull them, or push a backdoored image if push actions are granted.',
    compliance: { ...SHARED, mitre: ['T1537', 'T1525'] },
    ...apiCall('ecr', ['SetRepositoryPolicy']),
    predicate: 'resourcePolicyAdmitsOutsideOrg',
    noRemediation: POLICY_NOT_REMEDIATED,
  },
  {
    id: 'sqs-queue-policy-outside-org',
    title: 'SQS queue policy opened to everyone or to an account outside the organization',
    class: 'exposure',
    severity: 'high',
    rationale:
      'A queue policy (or AddPermission) for "*" or a foreign account lets outsiders read the messages or ' +
      'inject their own into the consumers.',
    compliance: { ...SHARED, mitre: ['T1537'] },
    ...apiCall('sqs', ['SetQueueAttributes', 'AddPermission', 'CreateQueue']),
    predicate: 'resourcePolicyAdmitsOutsideOrg',
    noRemediation: POLICY_NOT_REMEDIATED,
  },
  {
    id: 'sns-topic-policy-outside-org',
    title: 'SNS topic policy opened to everyone or to an account outside the organization',
    class: 'exposure',
    severity: 'high',
    rationale:
      'A topic policy (or AddPermission) for "*" or a foreign account lets outsiders subscribe and receive ' +
      'every notification, or publish into the subscribers.',
    compliance: { ...SHARED, mitre: ['T1537'] },
    ...apiCall('sns', ['SetTopicAttributes', 'AddPermission', 'CreateTopic']),
    predicate: 'resourcePolicyAdmitsOutsideOrg',
    noRemediation: POLICY_NOT_REMEDIATED,
  },
  {
    id: 'kms-key-policy-outside-org',
    title: 'KMS key policy opened to everyone or to an account outside the organization',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'A key policy for "*" or a foreign account lets outsiders decrypt everything the key protects (or ' +
      'hold the data hostage by scheduling its deletion if they gain admin).',
    compliance: { ...SHARED, mitre: ['T1537', 'T1486'] },
    ...apiCall('kms', ['PutKeyPolicy', 'CreateKey']),
    predicate: 'resourcePolicyAdmitsOutsideOrg',
    noRemediation: POLICY_NOT_REMEDIATED,
  },
  {
    id: 'secretsmanager-policy-outside-org',
    title: 'Secrets Manager secret policy opened to everyone or to an account outside the organization',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'A resource policy for "*" or a foreign account on a secret hands out the credential it holds; rotate ' +
      'the secret after closing the policy.',
    compliance: { ...SHARED, mitre: ['T1537', 'T1552'] },
    ...apiCall('secretsmanager', ['PutResourcePolicy']),
    predicate: 'resourcePolicyAdmitsOutsideOrg',
    noRemediation: POLICY_NOT_REMEDIATED,
  },
  {
    id: 'opensearch-domain-policy-outside-org',
    title: 'OpenSearch domain access policy opened to everyone or to an account outside the organization',
    class: 'exposure',
    severity: 'high',
    rationale:
      'An access policy for "*" without an IP, VPC or organization condition, or for a foreign account, exposes ' +
      'the indexed data (public OpenSearch domains are a frequent source of leaks).',
    compliance: { ...SHARED, mitre: ['T1530'] },
    ...apiCall('es', [
      'CreateDomain',
      'UpdateDomainConfig',
      'CreateElasticsearchDomain',
      'UpdateElasticsearchDomainConfig',
    ]),
    predicate: 'resourcePolicyAdmitsOutsideOrg',
    noRemediation: POLICY_NOT_REMEDIATED,
  },
  {
    id: 'codebuild-project-made-public',
    title: 'CodeBuild project made public',
    class: 'exposure',
    severity: 'high',
    rationale:
      'A public build project shows its build logs and artifacts to anyone with the URL; logs often print ' +
      'environment variables, tokens and internal endpoints.',
    compliance: { ...SHARED, mitre: ['T1567'] },
    ...apiCall('codebuild', ['UpdateProjectVisibility'], { requestParameters: { projectVisibility: ['PUBLIC_READ'] } }),
    noRemediation:
      'Making the project private again breaks the public badge or links its owner may have published on ' +
      'purpose; the owner decides.',
  },
];
