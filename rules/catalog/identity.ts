/**
 * Identity detections: root use, console sign-in, IAM privilege changes. IAM events are recorded in
 * us-east-1 only; sign-in events in the region of the sign-in endpoint (root: us-east-1).
 */
import { API_CALL, type Detection } from '../types';
import { apiCall, cisMonitoring, NOT_BY_IDENTITY_CENTER, SUCCEEDED } from './shared';

const SIGNED_IN = { responseElements: { ConsoleLogin: ['Success'] } } as const;
const SIGN_IN_FAILED = { responseElements: { ConsoleLogin: ['Failure'] } } as const;
const WITHOUT_MFA = { additionalEventData: { MFAUsed: [{ 'anything-but': 'Yes' }] } } as const;

/** The 16 IAM policy events of CIS 4.4 / CloudWatch.4. */
const CIS_IAM_POLICY_EVENTS = [
  'AttachGroupPolicy',
  'AttachRolePolicy',
  'AttachUserPolicy',
  'CreatePolicy',
  'CreatePolicyVersion',
  'DeleteGroupPolicy',
  'DeletePolicy',
  'DeletePolicyVersion',
  'DeleteRolePolicy',
  'DeleteUserPolicy',
  'DetachGroupPolicy',
  'DetachRolePolicy',
  'DetachUserPolicy',
  'PutGroupPolicy',
  'PutRolePolicy',
  'PutUserPolicy',
] as const;

export const ROOT_AND_SIGN_IN: readonly Detection[] = [
  {
    id: 'root-activity',
    title: 'Root user activity',
    class: 'access',
    severity: 'critical',
    rationale:
      'The root user bypasses IAM policies and cannot be limited by SCPs in the management account; any call it ' +
      'makes outside a documented break-glass procedure means the root credentials are in use.',
    compliance: {
      cis: ['4.3', '3.3 (v1.2)', '1.7 (v1.4)'],
      securityHub: ['CloudWatch.1'],
      pciDss: ['8.2.2', '10.2.1.2'],
      soc2: ['CC6.1', 'CC7.2'],
      mitre: ['T1078.004'],
    },
    // Root calls of every service, read-only ones included: a root session that only looks around
    // is still a root session. Sign-in itself is covered by the signin-root-* detections.
    forward: { kind: 'pattern', key: 'root', pattern: { detail: { userIdentity: { type: ['Root'] } } } },
    pattern: {
      detail: {
        // A call made in the console carries `invokedBy: signin.amazonaws.com` (issue #13): the CIS filter's
        // "no invokedBy" would excuse it, yet it is root at the keyboard. Other services acting for root stay out.
        userIdentity: { type: ['Root'], invokedBy: [{ exists: false }, 'signin.amazonaws.com'] },
        eventType: [{ 'anything-but': 'AwsServiceEvent' }],
        eventName: [{ 'anything-but': 'ConsoleLogin' }],
        ...SUCCEEDED,
      },
    },
    readOnlyEvents: true,
    // One alert per account and hour: a console session as root makes dozens of calls.
    aggregate: { windowSeconds: 3600, threshold: 1, groupBy: ['account'] },
    noRemediation:
      'The root user is outside IAM: no policy or role vigil holds can end a root session or undo what it did, and the activity may be a legitimate break-glass task. A human confirms it and, if it was not, secures the root credentials.',
  },
  {
    id: 'signin-root-console-login',
    title: 'Root user signed in to the console with MFA',
    class: 'access',
    severity: 'high',
    rationale:
      'Even with MFA, a root sign-in should only happen in a documented break-glass procedure; confirm who holds ' +
      'the root credentials and why they were used.',
    compliance: {
      cis: ['4.3', '3.3 (v1.2)', '1.7 (v1.4)'],
      securityHub: ['CloudWatch.1'],
      pciDss: ['8.2.2', '10.2.1.2'],
      soc2: ['CC6.1'],
      mitre: ['T1078.004'],
    },
    ...apiCall('signin', ['ConsoleLogin'], {
      userIdentity: { type: ['Root'] },
      additionalEventData: { MFAUsed: ['Yes'] },
      ...SIGNED_IN,
    }),
    noRemediation:
      'A sign-in changes no setting that could be put back; no member role can end a root console session. A human confirms who signed in.',
  },
  {
    id: 'signin-root-console-login-no-mfa',
    title: 'Root user signed in to the console without MFA',
    class: 'access',
    severity: 'critical',
    rationale:
      'The most powerful identity of the account signed in with a password alone: either MFA is not enabled on ' +
      'root or it was bypassed, and anyone holding the password has the account.',
    compliance: {
      cis: ['4.2', '3.2 (v1.2)', '4.3', '3.3 (v1.2)', '1.5 (v1.4)'],
      securityHub: ['CloudWatch.1', 'CloudWatch.3'],
      pciDss: ['8.4.1', '8.2.2'],
      soc2: ['CC6.1'],
      mitre: ['T1078.004'],
    },
    ...apiCall('signin', ['ConsoleLogin'], { userIdentity: { type: ['Root'] }, ...WITHOUT_MFA, ...SIGNED_IN }),
    noRemediation:
      'Only the root user itself can enroll an MFA device for root; no member role can, and a sign-in leaves nothing to revert.',
  },
  {
    id: 'signin-root-console-login-failed',
    title: 'Failed root console sign-in',
    class: 'access',
    severity: 'high',
    rationale:
      'Someone knows the root e-mail address and is trying passwords; the sign-in page for root is public, so ' +
      'repeated failures are a credential-guessing attempt on the account.',
    compliance: {
      ...cisMonitoring(6),
      pciDss: ['10.2.1.4'],
      soc2: ['CC6.1', 'CC7.2'],
      mitre: ['T1110.001'],
    },
    ...apiCall('signin', ['ConsoleLogin'], { userIdentity: { type: ['Root'] }, ...SIGN_IN_FAILED }, true),
    aboutFailures: true,
    noRemediation:
      'A failed sign-in changed nothing, so there is nothing to revert; the response is to check who holds the root password.',
  },
  {
    id: 'signin-console-login-no-mfa',
    title: 'IAM user signed in to the console without MFA',
    class: 'access',
    severity: 'medium',
    rationale:
      'A password alone opened a console session; a phished or reused password is enough to take over this user. ' +
      'Federated sessions (IAM Identity Center `AWSReservedSSO_*` roles) are not IAM users and are excluded.',
    compliance: {
      ...cisMonitoring(2),
      pciDss: ['8.4.2'],
      soc2: ['CC6.1'],
      mitre: ['T1078.004'],
    },
    ...apiCall('signin', ['ConsoleLogin'], { userIdentity: { type: ['IAMUser'] }, ...WITHOUT_MFA, ...SIGNED_IN }),
  },
  {
    id: 'signin-console-login-failed',
    title: 'Repeated failed console sign-ins',
    class: 'access',
    severity: 'medium',
    rationale:
      'Several failed sign-ins from one address in a short time are password guessing or credential stuffing, ' +
      'not a typo; check whether a sign-in from that address later succeeded.',
    compliance: {
      ...cisMonitoring(6),
      pciDss: ['10.2.1.4'],
      soc2: ['CC6.1', 'CC7.2'],
      mitre: ['T1110'],
    },
    ...apiCall(
      'signin',
      ['ConsoleLogin'],
      { userIdentity: { type: [{ 'anything-but': 'Root' }] }, ...SIGN_IN_FAILED },
      true,
    ),
    aboutFailures: true,
    aggregate: { windowSeconds: 900, threshold: 5, groupBy: ['account', 'detail.sourceIPAddress'] },
  },
];

export const IAM: readonly Detection[] = [
  {
    id: 'iam-admin-policy-attached',
    supersedes: ['iam-policy-changed'],
    title: 'Administrator or full-access managed policy attached',
    class: 'privilege',
    severity: 'high',
    rationale:
      'AdministratorAccess or a *FullAccess policy attached to a user, role or group grants unrestricted access to ' +
      'the account or to a whole service; it is the shortest path from a foothold to full control.',
    compliance: {
      ...cisMonitoring(4),
      pciDss: ['7.2.1', '7.2.2', '10.2.1.5'],
      soc2: ['CC6.2', 'CC6.3'],
      mitre: ['T1098.003'],
    },
    ...apiCall('iam', ['AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy'], {
      requestParameters: { policyArn: [{ suffix: '/AdministratorAccess' }, { wildcard: '*FullAccess' }] },
      ...NOT_BY_IDENTITY_CENTER,
    }),
    remediation: { action: 'detach-admin-policy', defaultMode: 'approve' },
  },
  {
    id: 'iam-inline-policy-grants-admin',
    supersedes: ['iam-policy-changed'],
    title: 'Inline policy granting * or iam:* added',
    class: 'privilege',
    severity: 'high',
    rationale:
      'An inline policy allowing every action, or every IAM action, makes its user, role or group an administrator ' +
      '(iam:* lets it grant itself anything); inline policies are easy to miss in reviews of attached policies.',
    compliance: {
      ...cisMonitoring(4),
      pciDss: ['7.2.1', '7.2.2', '10.2.1.5'],
      soc2: ['CC6.2', 'CC6.3'],
      mitre: ['T1098.003'],
    },
    ...apiCall('iam', ['PutGroupPolicy', 'PutRolePolicy', 'PutUserPolicy'], NOT_BY_IDENTITY_CENTER),
    predicate: 'inlinePolicyGrantsAdmin',
    remediation: { action: 'delete-admin-inline-policy', defaultMode: 'notify' },
  },
  {
    id: 'iam-policy-default-version-changed',
    supersedes: ['iam-policy-changed'],
    title: 'Managed policy default version replaced',
    class: 'privilege',
    severity: 'high',
    rationale:
      'Setting a new default version rewrites the permissions of every identity the policy is attached to at ' +
      'once; it is a known privilege-escalation path (iam:CreatePolicyVersion / iam:SetDefaultPolicyVersion).',
    compliance: {
      ...cisMonitoring(4),
      pciDss: ['7.2.2', '10.2.1.5'],
      soc2: ['CC6.3', 'CC8.1'],
      mitre: ['T1098.003', 'T1484'],
    },
    forward: apiCall('iam', ['CreatePolicyVersion', 'SetDefaultPolicyVersion']).forward,
    // eventName only inside the $or: a field constrained both outside and inside an $or branch is
    // ambiguous in EventBridge (see rules/event-pattern.ts).
    pattern: {
      source: ['aws.iam'],
      'detail-type': [API_CALL],
      detail: {
        eventSource: ['iam.amazonaws.com'],
        ...SUCCEEDED,
        $or: [
          { eventName: ['CreatePolicyVersion'], requestParameters: { setAsDefault: [true] } },
          { eventName: ['SetDefaultPolicyVersion'] },
        ],
      },
    },
    remediation: { action: 'revert-policy-version', defaultMode: 'approve' },
  },
  {
    id: 'iam-role-trust-allows-outside-org',
    // One change, one alert: the trust-policy change monitor (rules/catalog/persistence.ts) records the rest.
    supersedes: ['iam-role-trust-policy-updated'],
    title: 'Role trust policy opened to everyone or to an account outside the organization',
    class: 'exposure',
    severity: 'critical',
    rationale:
      'A trust policy with Principal "*" (not confined to the organization) or an AWS account outside the ' +
      'inventory lets outsiders assume the role: a durable backdoor that survives password and key rotation.',
    compliance: { pciDss: ['7.2.1', '10.2.1.5'], soc2: ['CC6.1', 'CC6.3'], mitre: ['T1098.003', 'T1484.002'] },
    ...apiCall('iam', ['CreateRole', 'UpdateAssumeRolePolicy']),
    predicate: 'trustPolicyAllowsOutsideOrg',
    noRemediation:
      'Removing a principal from a trust policy takes iam:UpdateAssumeRolePolicy on ordinary roles, and a role that can ' +
      'rewrite any trust policy can make itself a principal of any role: the remediation role would become a path to ' +
      'every role of the account. The responder removes the foreign principal.',
  },
  {
    id: 'iam-root-access-key-created',
    // One change, one alert: a root key is also root activity (when made outside the console).
    supersedes: ['root-activity'],
    title: 'Access key created for the root user',
    class: 'privilege',
    severity: 'critical',
    rationale:
      'A root access key is a long-lived credential with unrestricted access that no IAM policy limits (and no SCP in ' +
      'the management account); the root user should have none. A key created in the console carries ' +
      '`invokedBy: signin.amazonaws.com`, which the CIS 4.3 root filter ignores, so this detection does not.',
    compliance: { cis: ['1.4'], securityHub: ['IAM.4'], pciDss: ['8.2.2'], soc2: ['CC6.1'], mitre: ['T1098.001'] },
    ...apiCall('iam', ['CreateAccessKey'], { userIdentity: { type: ['Root'] } }),
    noRemediation:
      'Root access keys can be deactivated only by the root user or through centralized root access (sts:AssumeRoot from the management account); vigil holds no root-capable role there, by the security hardening constraints.',
  },
  {
    id: 'iam-access-key-created-for-other-user',
    title: 'Access key created for another IAM user',
    class: 'privilege',
    severity: 'high',
    rationale:
      'Creating long-lived access keys for someone else is a classic persistence move: the keys keep working after ' +
      'the session that created them is revoked, and the key owner does not know they exist.',
    compliance: { pciDss: ['8.3.1', '10.2.1.5'], soc2: ['CC6.1', 'CC6.2'], mitre: ['T1098.001'] },
    ...apiCall('iam', ['CreateAccessKey']),
    predicate: 'targetsAnotherUser',
    remediation: { action: 'deactivate-access-key', defaultMode: 'notify' },
  },
  {
    id: 'iam-login-profile-set-for-other-user',
    title: 'Console password set for another IAM user',
    class: 'privilege',
    severity: 'high',
    rationale:
      "Creating or resetting the console password of another user hands the caller that user's console access; " +
      'an attacker uses it to take over a better-privileged identity.',
    compliance: { pciDss: ['8.3.1', '10.2.1.5'], soc2: ['CC6.1', 'CC6.2'], mitre: ['T1098'] },
    ...apiCall('iam', ['CreateLoginProfile', 'UpdateLoginProfile']),
    predicate: 'targetsAnotherUser',
    // Approval only, whatever the config says: the deleted password cannot be restored (delete-login-profile.ts).
    remediation: { action: 'delete-login-profile', defaultMode: 'notify' },
  },
  {
    id: 'iam-user-added-to-admin-group',
    title: 'IAM user added to an admin group',
    class: 'privilege',
    severity: 'high',
    rationale:
      'Group membership is an indirect privilege grant that policy-attachment alerts miss; a user added to an ' +
      'admin group gains its permissions immediately.',
    compliance: { pciDss: ['7.2.2', '10.2.1.5'], soc2: ['CC6.2', 'CC6.3'], mitre: ['T1098'] },
    // EventBridge wildcards are case-sensitive: the common spellings are listed; 'aDmIn' is not caught.
    ...apiCall('iam', ['AddUserToGroup'], {
      requestParameters: { groupName: [{ wildcard: '*admin*' }, { wildcard: '*Admin*' }, { wildcard: '*ADMIN*' }] },
    }),
    remediation: { action: 'remove-user-from-admin-group', defaultMode: 'notify' },
  },
  {
    id: 'iam-policy-changed',
    title: 'IAM policy changed',
    class: 'change',
    severity: 'info',
    rationale:
      'Every change to IAM policies (CIS 4.4) is recorded for review: together they are the history of who could ' +
      'do what. High-risk changes also raise their own, more specific alert.',
    compliance: { ...cisMonitoring(4), pciDss: ['10.2.1.5', '10.2.1.7'], soc2: ['CC8.1', 'CC7.2'], mitre: ['T1098'] },
    ...apiCall('iam', CIS_IAM_POLICY_EVENTS),
  },
  {
    id: 'iam-user-created',
    title: 'IAM user created',
    class: 'privilege',
    severity: 'medium',
    rationale:
      'With IAM Identity Center in place, new IAM users are exceptions: each one is a long-lived identity outside ' +
      'the central directory and a common persistence mechanism.',
    compliance: { pciDss: ['8.2.1', '10.2.1.5'], soc2: ['CC6.2'], mitre: ['T1136.003'] },
    ...apiCall('iam', ['CreateUser']),
  },
  {
    id: 'iam-identity-provider-changed',
    title: 'SAML or OIDC identity provider created or changed',
    class: 'privilege',
    severity: 'high',
    rationale:
      'An identity provider decides who may assume federated roles; adding or re-pointing one lets an outside ' +
      'directory mint sessions in the account (a "golden SAML" style backdoor).',
    compliance: { pciDss: ['8.2.1', '10.2.1.5'], soc2: ['CC6.1', 'CC6.2'], mitre: ['T1484.002'] },
    ...apiCall(
      'iam',
      [
        'AddClientIDToOpenIDConnectProvider',
        'CreateOpenIDConnectProvider',
        'CreateSAMLProvider',
        'UpdateOpenIDConnectProviderThumbprint',
        'UpdateSAMLProvider',
      ],
      NOT_BY_IDENTITY_CENTER,
    ),
    noRemediation:
      'A provider change (metadata document, thumbprint, client id) is often a federation rollout; the previous SAML metadata is not in the event, and a wrong revert locks every federated user out.',
  },
  {
    id: 'iam-password-policy-changed',
    title: 'Account password policy weakened below CIS or deleted',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'A deleted password policy, or one below CIS 1.8 / 1.9 (minimum length under 14, fewer than 24 previous ' +
      'passwords remembered; omitted parameters revert to weaker defaults), lets IAM users set short or reused ' +
      'passwords, silently. A policy that meets both thresholds does not alert.',
    compliance: { cis: ['1.8 (v1.4)', '1.9 (v1.4)'], pciDss: ['8.3.6'], soc2: ['CC6.1'], mitre: ['T1556'] },
    ...apiCall('iam', ['DeleteAccountPasswordPolicy', 'UpdateAccountPasswordPolicy']),
    predicate: 'passwordPolicyWeakened',
  },
  {
    id: 'iam-mfa-device-deactivated',
    title: 'MFA device deactivated',
    class: 'impairment',
    severity: 'medium',
    rationale:
      "Turning off a user's MFA device reduces that identity to a password or keys alone, often the step before " +
      'taking it over.',
    compliance: { pciDss: ['8.4.2', '10.2.1.5'], soc2: ['CC6.1'], mitre: ['T1556.006'] },
    ...apiCall('iam', ['DeactivateMFADevice']),
  },
  {
    id: 'iam-permissions-boundary-removed',
    title: 'Permissions boundary removed from a user or role',
    class: 'privilege',
    severity: 'high',
    rationale:
      'A permissions boundary is the ceiling on what delegated admins can grant; removing it lifts that ceiling ' +
      'for the identity at once.',
    compliance: { pciDss: ['7.2.2', '10.2.1.5'], soc2: ['CC6.3'], mitre: ['T1098'] },
    ...apiCall('iam', ['DeleteRolePermissionsBoundary', 'DeleteUserPermissionsBoundary']),
    noRemediation:
      "Putting a boundary back can deny a workload's own calls at once, and whether the removal was a deliberate pipeline change cannot be told from the event; a human restores it.",
  },
];
