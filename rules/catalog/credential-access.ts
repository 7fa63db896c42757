/**
 * Credential access (issue #13): bulk reads of Secrets Manager secrets and of SecureString SSM parameters
 * by one principal, and Windows administrator passwords read from EC2. The reads are read-only management
 * events: their rules take the all-management-events state. Bursts use triage's windowed counter
 * (`Detection.aggregate`, handlers/core/triage.ts `burstPlan`), the one `api-access-denied-burst` uses.
 */
import { type Detection, type EventPattern, GUARDDUTY_FINDING, GUARDDUTY_SOURCE } from '../types';
import { apiCall, SUCCEEDED } from './shared';

/**
 * What member accounts forward for these detections, as one pattern: every successful or failed read of a
 * secret, every SSM parameter read with decryption (plain reads, e.g. of `/aws/service/*` AMI ids, are far
 * more frequent and stay in the account) and every GetPasswordData. One rule per region instead of three.
 */
const CREDENTIAL_READS: EventPattern = {
  'detail-type': ['AWS API Call via CloudTrail'],
  $or: [
    {
      source: ['aws.secretsmanager'],
      detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: ['BatchGetSecretValue', 'GetSecretValue'] },
    },
    {
      source: ['aws.ssm'],
      detail: {
        eventSource: ['ssm.amazonaws.com'],
        eventName: ['GetParameter', 'GetParameters', 'GetParametersByPath'],
        requestParameters: { withDecryption: [true] },
      },
    },
    { source: ['aws.ec2'], detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['GetPasswordData'] } },
  ],
};
const FORWARD_CREDENTIAL_READS = { kind: 'pattern', key: 'credential-reads', pattern: CREDENTIAL_READS } as const;

/**
 * GuardDuty's findings for instance-role credentials used away from their instance. vigil does not judge source
 * IPs against AWS's published ranges itself: the list is not available offline, and forwarding every call made
 * with instance-role credentials (`userIdentity.sessionContext.ec2RoleDelivery`) would be most of an account's
 * CloudTrail traffic. GuardDuty already learns each instance's normal use and publishes these findings on the
 * default bus of the detector's account and region, where the member rule forwards them. Limits: an account or
 * region without an enabled GuardDuty detector produces no finding (`guardduty-detector-disabled` and
 * `guardduty-detector-deleted` alert on turning it off), and GuardDuty stops reporting a remote account it has
 * learned as expected (GuardDuty User Guide, finding types, UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration).
 */
const OUTSIDE_AWS = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS';
const INSIDE_AWS = 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS';

/** A GuardDuty finding of one of `types` (the detail is the finding, not a CloudTrail record). */
const guardDutyFinding = (types: readonly string[]): EventPattern => ({
  source: [GUARDDUTY_SOURCE],
  'detail-type': [GUARDDUTY_FINDING],
  // A finding has no errorCode; the guard keeps the catalog's rule that only failure detections see failed calls.
  detail: { type: [...types], ...SUCCEEDED },
});
const FORWARD_CREDENTIAL_FINDINGS = {
  kind: 'pattern',
  key: 'guardduty-credential-findings',
  pattern: {
    source: [GUARDDUTY_SOURCE],
    'detail-type': [GUARDDUTY_FINDING],
    detail: { type: [INSIDE_AWS, OUTSIDE_AWS] },
  },
} as const;

/**
 * Why no action: the stolen credentials are temporary role-session credentials. Deactivating them is not
 * possible; the only cut-off is a deny-all policy on the role conditioned on `aws:TokenIssueTime` ("revoke active
 * sessions"), which also cuts off the instance itself and every other instance with that role until they fetch new
 * credentials, and does nothing about the compromised instance that leaked them. A responder decides (an approve-
 * level manual step): revoke the role's sessions, isolate the instance, then find the leak (SSRF, IMDSv1).
 */
const NO_SESSION_REVOCATION =
  'The credentials are temporary sessions of an instance role: the only cut-off is revoking every active session ' +
  'of the role (a deny on aws:TokenIssueTime), which also stops every instance using that role and leaves the ' +
  'leaking instance in place. A responder decides: revoke the sessions, isolate the instance, fix the leak ' +
  '(SSRF, IMDSv1).';

/** One principal (in one account) within one window: the group of a bulk-read burst. */
const PER_PRINCIPAL = ['account', 'detail.userIdentity.arn'] as const;

/** The central pattern of `apiCall`, forwarded by {@link CREDENTIAL_READS} instead of the per-service rules. */
const reads = (
  service: string,
  names: readonly string[],
  detail: EventPattern = {},
): Pick<Detection, 'forward' | 'pattern'> => ({
  forward: FORWARD_CREDENTIAL_READS,
  pattern: apiCall(service, names, detail).pattern,
});

export const CREDENTIAL_ACCESS: readonly Detection[] = [
  {
    id: 'secretsmanager-secrets-bulk-read',
    title: 'Many secrets read by one principal in minutes',
    class: 'access',
    severity: 'medium',
    rationale:
      'Applications read the few secrets they need; 20 or more secret values read by one principal in 5 minutes ' +
      'is what harvesting the secret store looks like (Stratus Red Team `aws.credential-access.secretsmanager-retrieve-secrets` ' +
      'and its BatchGetSecretValue variant). Check which secrets were read and rotate them if the caller is not known.',
    compliance: { pciDss: ['10.2.1.1', '10.2.1.2'], soc2: ['CC6.1', 'CC7.2'], mitre: ['T1555.006', 'T1552'] },
    ...reads('secretsmanager', ['BatchGetSecretValue', 'GetSecretValue']),
    readOnlyEvents: true,
    aggregate: { windowSeconds: 300, threshold: 20, groupBy: [...PER_PRINCIPAL] },
  },
  {
    id: 'ssm-parameters-bulk-decrypted',
    title: 'Many SecureString parameters decrypted by one principal in minutes',
    class: 'access',
    severity: 'medium',
    rationale:
      'SecureString parameters hold passwords and keys; 20 or more reads with decryption by one principal in 5 ' +
      'minutes (or a recursive GetParametersByPath) is harvesting the parameter store rather than an application ' +
      'reading its configuration (Stratus Red Team `aws.credential-access.ssm-retrieve-securestring-parameters`).',
    compliance: { pciDss: ['10.2.1.1', '10.2.1.2'], soc2: ['CC6.1', 'CC7.2'], mitre: ['T1555.006', 'T1552'] },
    ...reads('ssm', ['GetParameter', 'GetParameters', 'GetParametersByPath'], {
      requestParameters: { withDecryption: [true] },
    }),
    readOnlyEvents: true,
    aggregate: { windowSeconds: 300, threshold: 20, groupBy: [...PER_PRINCIPAL] },
  },
  {
    id: 'ec2-password-data-read',
    title: 'Windows administrator password read from EC2',
    class: 'change',
    severity: 'info',
    rationale:
      'GetPasswordData returns the encrypted local administrator password of a Windows instance; whoever holds the ' +
      "launch key pair can decrypt it. Recorded for the digest: one read is an administrator's routine, many in a " +
      'row (failed ones raise api-access-denied-burst) are credential harvesting.',
    compliance: { pciDss: ['10.2.1.2'], soc2: ['CC6.1'], mitre: ['T1552'] },
    ...reads('ec2', ['GetPasswordData']),
    readOnlyEvents: true,
  },
  {
    id: 'guardduty-instance-credentials-used-outside-aws',
    title: 'EC2 instance-role credentials used from outside AWS (GuardDuty)',
    class: 'exposure',
    severity: 'high',
    rationale:
      'GuardDuty saw temporary credentials created for an EC2 instance role used from an IP address outside AWS: ' +
      'the credentials were most likely stolen from the instance metadata service (SSRF, a compromised host) and ' +
      'work for anyone holding them until they expire. Unless the remote address is your own network egress ' +
      '(VPN, Outposts), treat the instance and its role as compromised.',
    compliance: { pciDss: ['10.6.1', '11.5'], soc2: ['CC7.2', 'CC7.3'], mitre: ['T1552.005', 'T1078.004'] },
    forward: FORWARD_CREDENTIAL_FINDINGS,
    pattern: guardDutyFinding([OUTSIDE_AWS]),
    noRemediation: NO_SESSION_REVOCATION,
  },
  {
    id: 'guardduty-instance-credentials-used-inside-aws',
    title: 'EC2 instance-role credentials used from another AWS account (GuardDuty)',
    class: 'access',
    severity: 'medium',
    rationale:
      'GuardDuty saw temporary credentials created for an EC2 instance role used from an EC2 instance of another ' +
      'AWS account: stolen credentials replayed from infrastructure an attacker rents in AWS (the Capital One ' +
      'pattern) look like this, and so do some legitimate cross-account tools. Check the remote account; if it is ' +
      'not yours, treat the instance and its role as compromised.',
    compliance: { pciDss: ['10.6.1', '11.5'], soc2: ['CC7.2', 'CC7.3'], mitre: ['T1552.005', 'T1078.004'] },
    forward: FORWARD_CREDENTIAL_FINDINGS,
    pattern: guardDutyFinding([INSIDE_AWS]),
  },
];
