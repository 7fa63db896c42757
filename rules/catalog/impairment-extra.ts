/**
 * Logging and defence impairment beyond pipeline.ts (issue #13): DNS query logging, S3 access logging and
 * versioning, the trail bucket's lifecycle, WAF, Macie, Security Hub (v2, suppressed findings, automation
 * rules, integrations), GuardDuty threat-intel sets, Inspector, Access Analyzer, Detective, security log
 * groups, and RDS deletion protection and backups.
 */
import { API_CALL, type Detection } from '../types';
import { apiCall, NOT_BY_VIGIL, SUCCEEDED } from './shared';

/**
 * The organization trail's bucket (`trailBucketName()` in config/naming.ts with the default `namePrefix`
 * 'vigil': `vigil-org-trail-<log-archive account>-<home region>`).
 * TODO(catalog): derive from config with VIGIL_ROLES.
 */
const TRAIL_BUCKET_PREFIX = 'vigil-org-trail-';

/**
 * Log groups that hold security telemetry, by the names AWS requires or defaults to: WAF (`aws-waf-logs-`
 * is mandatory), CloudTrail (`aws-cloudtrail-logs-` is the console default), VPC flow logs, Route 53
 * Resolver query logs, EKS control-plane (audit) logs, GuardDuty / Security Hub exports, and vigil's own
 * functions. Wildcards are case-sensitive: the usual spellings are listed.
 */
const SECURITY_LOG_GROUPS = [
  { prefix: 'aws-waf-logs-' },
  { prefix: 'aws-cloudtrail-logs' },
  { wildcard: '*cloudtrail*' },
  { wildcard: '*CloudTrail*' },
  { wildcard: '*flow-log*' },
  { wildcard: '*flowlog*' },
  { wildcard: '*FlowLog*' },
  { prefix: '/aws/vpc/' },
  { wildcard: '*route53resolver*' },
  { wildcard: '*query-log*' },
  { wildcard: '/aws/eks/*/cluster' },
  { wildcard: '*guardduty*' },
  { wildcard: '*securityhub*' },
  { prefix: '/aws/lambda/vigil-' },
];

/** A Security Hub workflow status that takes findings out of view. */
const SUPPRESSED = ['SUPPRESSED'];

export const IMPAIRMENT_EXTRA: readonly Detection[] = [
  {
    id: 'route53resolver-query-logging-removed',
    title: 'Route 53 Resolver query logging deleted or detached',
    class: 'impairment',
    severity: 'high',
    rationale:
      'Resolver query logs are the record of every DNS lookup from the VPCs: the trace of command-and-control and ' +
      'DNS exfiltration. Deleting the configuration or detaching it from a VPC stops that record silently.',
    compliance: { pciDss: ['10.2.1', '10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.008'] },
    ...apiCall('route53resolver', ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig']),
    noRemediation:
      'A deleted configuration cannot be restored, and re-attaching one to a VPC needs the destination the owner ' +
      'chose; a responder redeploys it from its source.',
  },
  {
    id: 's3-bucket-access-logging-disabled',
    title: 'S3 server access logging turned off on a bucket',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'PutBucketLogging without a LoggingEnabled target stops the access log of the bucket: reads and deletes of ' +
      'its objects are no longer recorded outside CloudTrail data events. (Whether the bucket is tagged as holding ' +
      'logs is not in the event; every bucket alerts.)',
    compliance: { pciDss: ['10.2.1', '10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.008'] },
    ...apiCall('s3', ['PutBucketLogging'], {
      // `exists` tests leaves only: the target bucket stands for the LoggingEnabled block.
      requestParameters: { BucketLoggingStatus: { LoggingEnabled: { TargetBucket: [{ exists: false }] } } },
    }),
  },
  {
    id: 's3-bucket-versioning-suspended',
    title: 'S3 bucket versioning suspended or MFA delete turned off',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'With versioning suspended, overwritten and deleted objects are gone for good; with MFA delete off, versions ' +
      'can be purged without a second factor. Both are the preparation of a ransom or a cover-up.',
    compliance: { pciDss: ['10.3.3', '10.5.1'], soc2: ['CC7.2', 'A1.2'], mitre: ['T1490', 'T1485'] },
    forward: apiCall('s3', ['PutBucketVersioning']).forward,
    pattern: {
      source: ['aws.s3'],
      'detail-type': [API_CALL],
      detail: {
        eventSource: ['s3.amazonaws.com'],
        eventName: ['PutBucketVersioning'],
        ...SUCCEEDED,
        $or: [
          { requestParameters: { VersioningConfiguration: { Status: ['Suspended'] } } },
          { requestParameters: { VersioningConfiguration: { MfaDelete: ['Disabled'] } } },
        ],
      },
    },
  },
  {
    id: 's3-trail-bucket-lifecycle-changed',
    supersedes: ['s3-bucket-policy-changed'],
    title: 'Lifecycle of the organization trail bucket changed',
    class: 'impairment',
    severity: 'high',
    rationale:
      "The trail bucket's lifecycle decides how long the audit record lives; a shorter expiration (or a deleted " +
      "rule set) destroys the evidence on schedule. Only vigil's deploy role changes it; any other principal " +
      'got past the guardrail SCP.',
    compliance: { pciDss: ['10.5.1', '10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.008', 'T1070'] },
    ...apiCall('s3', ['DeleteBucketLifecycle', 'PutBucketLifecycle'], {
      requestParameters: { bucketName: [{ prefix: TRAIL_BUCKET_PREFIX }] },
      ...NOT_BY_VIGIL,
    }),
    noRemediation:
      'The event does not say which lifecycle was intended; redeploying the log-archive stack restores the ' +
      'reviewed one.',
  },
  {
    id: 'wafv2-web-acl-disassociated',
    title: 'WAF web ACL detached from a resource',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'DisassociateWebACL leaves a load balancer, API or CloudFront distribution without its web application ' +
      'firewall: its rules and rate limits no longer filter requests.',
    compliance: { pciDss: ['6.4.2', '1.2.8'], soc2: ['CC6.6'], mitre: ['T1562.007'] },
    ...apiCall('wafv2', ['DisassociateWebACL']),
  },
  {
    id: 'macie-disabled',
    title: 'Amazon Macie disabled or paused',
    class: 'impairment',
    severity: 'high',
    rationale:
      "DisableMacie deletes the account's Macie resources and findings; a PAUSED session stops discovery of " +
      'sensitive data. Either hides where sensitive data sits and who exposed it (Panther `AWS.Macie.Evasion`).',
    compliance: { pciDss: ['10.7.2', '3.2.1'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    forward: apiCall('macie2', ['DisableMacie', 'UpdateMacieSession']).forward,
    pattern: {
      source: ['aws.macie2'],
      'detail-type': [API_CALL],
      detail: {
        eventSource: ['macie2.amazonaws.com'],
        ...SUCCEEDED,
        $or: [
          { eventName: ['DisableMacie'] },
          { eventName: ['UpdateMacieSession'], requestParameters: { status: ['PAUSED'] } },
        ],
      },
    },
    noRemediation:
      'DisableMacie deletes findings and jobs that re-enabling does not bring back; a responder re-enables Macie ' +
      'and recreates its jobs.',
  },
  {
    id: 'securityhub-v2-disabled',
    title: 'Security Hub (v2) disabled',
    class: 'impairment',
    severity: 'critical',
    rationale:
      'DisableSecurityHubV2 turns off the unified Security Hub in the account: findings and exposure analysis ' +
      'stop reaching the central view, as with the original DisableSecurityHub.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('securityhub', ['DisableSecurityHubV2']),
    noRemediation:
      'Re-enabling Security Hub needs the organization configuration (delegated administrator, policies) that ' +
      'chose its settings; a responder re-enables it from there.',
  },
  {
    id: 'securityhub-findings-suppressed',
    title: 'Security Hub findings suppressed by hand',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'BatchUpdateFindings with workflow status SUPPRESSED hides findings from every view and from the ' +
      'notifications built on them; done in bulk, or by an unexpected principal, it is how an intruder silences ' +
      'the findings about themselves. One alert per principal per hour. vigil suppressing its own findings on a ' +
      "responder's verdict (its findings function, by exact role ARN in the security account) is not reported.",
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2', 'CC7.3'], mitre: ['T1562.001'] },
    ...apiCall('securityhub', ['BatchUpdateFindings'], { requestParameters: { Workflow: { Status: SUPPRESSED } } }),
    predicate: 'findingsSuppressedByHand',
    aggregate: { windowSeconds: 3600, threshold: 1, groupBy: ['account', 'detail.userIdentity.arn'] },
  },
  {
    id: 'securityhub-automation-rule-suppresses',
    title: 'Security Hub automation rule that suppresses findings created or updated',
    class: 'impairment',
    severity: 'high',
    rationale:
      'An automation rule that sets the workflow status SUPPRESSED hides every future finding matching its ' +
      'criteria as it arrives, across the accounts the administrator manages: a durable blind spot.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    forward: apiCall('securityhub', ['BatchUpdateAutomationRules', 'CreateAutomationRule']).forward,
    pattern: {
      source: ['aws.securityhub'],
      'detail-type': [API_CALL],
      detail: {
        eventSource: ['securityhub.amazonaws.com'],
        ...SUCCEEDED,
        $or: [
          {
            eventName: ['CreateAutomationRule'],
            requestParameters: { Actions: { FindingFieldsUpdate: { Workflow: { Status: SUPPRESSED } } } },
          },
          {
            eventName: ['BatchUpdateAutomationRules'],
            requestParameters: {
              UpdateAutomationRulesRequestItems: {
                Actions: { FindingFieldsUpdate: { Workflow: { Status: SUPPRESSED } } },
              },
            },
          },
        ],
      },
    },
    noRemediation:
      'Deleting or disabling the rule could drop a suppression the security team agreed; a responder reviews its ' +
      'criteria first.',
  },
  {
    id: 'securityhub-product-integration-disabled',
    title: 'Security Hub stopped importing findings from a product',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'DisableImportFindingsForProduct cuts an integration (GuardDuty, Inspector, Macie or a partner tool) off from ' +
      'Security Hub: its findings keep being produced where nobody looks.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('securityhub', ['DisableImportFindingsForProduct']),
  },
  {
    id: 'guardduty-threat-intel-set-removed',
    title: 'GuardDuty threat intelligence set deleted or deactivated',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'Threat-intel sets make GuardDuty raise findings for traffic to known bad addresses; deleting one, or ' +
      'updating it with activate=false, lets traffic to those addresses pass unremarked.',
    compliance: { pciDss: ['10.7.2', '11.5.1'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    forward: apiCall('guardduty', ['DeleteThreatIntelSet', 'UpdateThreatIntelSet']).forward,
    pattern: {
      source: ['aws.guardduty'],
      'detail-type': [API_CALL],
      detail: {
        eventSource: ['guardduty.amazonaws.com'],
        ...SUCCEEDED,
        $or: [
          { eventName: ['DeleteThreatIntelSet'] },
          { eventName: ['UpdateThreatIntelSet'], requestParameters: { activate: [false] } },
        ],
      },
    },
  },
  {
    id: 'inspector2-disabled',
    title: 'Amazon Inspector scanning disabled',
    class: 'impairment',
    severity: 'high',
    rationale:
      'Disable turns off Inspector scans of EC2 instances, container images or Lambda functions for the account: ' +
      'new vulnerabilities in those workloads stop producing findings.',
    compliance: { pciDss: ['11.3.1', '10.7.2'], soc2: ['CC7.1'], mitre: ['T1562.001'] },
    ...apiCall('inspector2', ['Disable']),
    noRemediation:
      'Which scan types the account should run is set by the delegated administrator; a responder re-enables ' +
      'them there.',
  },
  {
    id: 'access-analyzer-deleted',
    title: 'IAM Access Analyzer analyzer deleted',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'The analyzer is what reports resources shared outside the account or organization; deleting it stops ' +
      'those findings, so new external access goes unreported.',
    compliance: { pciDss: ['7.2.5', '10.7.2'], soc2: ['CC6.1', 'CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('access-analyzer', ['DeleteAnalyzer']),
  },
  {
    id: 'detective-graph-deleted',
    title: 'Amazon Detective behavior graph deleted',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'Deleting the behavior graph disables Detective and discards the linked history investigators use to ' +
      'follow an intrusion across accounts.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.3'], mitre: ['T1562.001'] },
    ...apiCall('detective', ['DeleteGraph']),
  },
  {
    id: 'logs-security-log-group-deleted',
    title: 'Log group holding security logs deleted',
    class: 'impairment',
    severity: 'high',
    rationale:
      'Deleting a log group of CloudTrail, VPC flow logs, WAF, Route 53 Resolver, EKS audit logs or vigil itself ' +
      'destroys the events in it and breaks the metric filters and subscriptions built on it (recognised by the ' +
      'names AWS requires or suggests; other names are not).',
    compliance: { pciDss: ['10.3.2', '10.5.1'], soc2: ['CC7.2'], mitre: ['T1562.008', 'T1070'] },
    ...apiCall('logs', ['DeleteLogGroup'], { requestParameters: { logGroupName: SECURITY_LOG_GROUPS } }),
    noRemediation: 'Deleted log events cannot be recovered, and recreating an empty group restores nothing.',
  },
  {
    id: 'rds-deletion-protection-disabled',
    title: 'RDS deletion protection turned off',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'ModifyDBInstance or ModifyDBCluster with deletionProtection=false is the step before a database can be ' +
      'deleted; in an intrusion it precedes destruction or ransom.',
    compliance: { pciDss: ['10.2.1.7'], soc2: ['A1.2', 'CC7.2'], mitre: ['T1485', 'T1490'] },
    ...apiCall('rds', ['ModifyDBCluster', 'ModifyDBInstance'], { requestParameters: { deletionProtection: [false] } }),
  },
  {
    id: 'rds-automated-backups-removed',
    title: 'RDS automated backups deleted or turned off',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'Deleting retained automated backups, or setting the backup retention of an instance to 0, removes the ' +
      'point-in-time recovery of the database: after a destructive change there is nothing to restore.',
    compliance: { pciDss: ['10.5.1', '12.10.1'], soc2: ['A1.2', 'CC7.2'], mitre: ['T1490'] },
    forward: apiCall('rds', ['DeleteDBClusterAutomatedBackup', 'DeleteDBInstanceAutomatedBackup', 'ModifyDBInstance'])
      .forward,
    pattern: {
      source: ['aws.rds'],
      'detail-type': [API_CALL],
      detail: {
        eventSource: ['rds.amazonaws.com'],
        ...SUCCEEDED,
        $or: [
          { eventName: ['DeleteDBClusterAutomatedBackup', 'DeleteDBInstanceAutomatedBackup'] },
          { eventName: ['ModifyDBInstance'], requestParameters: { backupRetentionPeriod: [0] } },
        ],
      },
    },
  },
  {
    id: 'rds-snapshot-deleted',
    title: 'RDS snapshot deleted',
    class: 'change',
    severity: 'info',
    rationale:
      'Manual snapshots are the backups kept on purpose; deletions are recorded for the digest, where a run of ' +
      'them next to other destructive changes stands out.',
    compliance: { pciDss: ['10.5.1'], soc2: ['A1.2'], mitre: ['T1490'] },
    ...apiCall('rds', ['DeleteDBClusterSnapshot', 'DeleteDBSnapshot']),
  },
];
