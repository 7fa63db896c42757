/**
 * Credential access (issue #13): bulk reads of Secrets Manager secrets and of SecureString SSM parameters
 * by one principal, and Windows administrator passwords read from EC2. The reads are read-only management
 * events: their rules take the all-management-events state. Bursts use triage's windowed counter
 * (`Detection.aggregate`, handlers/core/triage.ts `burstPlan`), the one `api-access-denied-burst` uses.
 */
import type { Detection, EventPattern } from '../types';
import { apiCall } from './shared';

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
];
