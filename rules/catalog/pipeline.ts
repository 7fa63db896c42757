/**
 * Tampering with the detection pipeline and the organization's guardrails: CloudTrail, vigil's own
 * EventBridge rules and bus policy, GuardDuty, Security Hub, AWS Config, KMS keys, and AWS
 * Organizations (membership, SCPs).
 */
import { API_CALL, type Detection, type EventPattern } from '../types';
import { apiCall, cisMonitoring, NOT_BY_VIGIL, VIGIL_ACTION_ROLES, VIGIL_RULE_PREFIX } from './shared';

/** The 18 Organizations events of CIS 4.15 (management account; recorded in us-east-1). */
const CIS_ORGANIZATIONS_EVENTS = [
  'AcceptHandshake',
  'AttachPolicy',
  'CreateAccount',
  'CreateOrganizationalUnit',
  'CreatePolicy',
  'DeclineHandshake',
  'DeleteOrganization',
  'DeleteOrganizationalUnit',
  'DeletePolicy',
  'DetachPolicy',
  'DisablePolicyType',
  'EnablePolicyType',
  'InviteAccountToOrganization',
  'LeaveOrganization',
  'MoveAccount',
  'RemoveAccountFromOrganization',
  'UpdateOrganizationalUnit',
  'UpdatePolicy',
] as const;

/** Organizations events with a detection of their own; `organizations-changed` covers the rest of 4.15. */
const ACCOUNT_LEFT = ['LeaveOrganization', 'RemoveAccountFromOrganization'] as const;
const POLICY_DETACHED = ['DeletePolicy', 'DetachPolicy'] as const;
const POLICY_TYPE_DISABLED = ['DisablePolicyType'] as const;
const SPECIFIC_ORGANIZATIONS_EVENTS: readonly string[] = [...ACCOUNT_LEFT, ...POLICY_DETACHED, ...POLICY_TYPE_DISABLED];

/**
 * Service principals of the AWS security services whose organization-wide integration (trusted access,
 * delegated administrator) vigil's coverage depends on: logging (CloudTrail, Config, Security Lake),
 * detection and posture (GuardDuty and its malware protection, Security Hub, Inspector, Macie, Detective,
 * IAM Access Analyzer) and guardrails (Firewall Manager, Config's multi-account setup for conformance
 * packs and org rules). IAM Identity Center (`sso.amazonaws.com`) is left out: disabling it cuts access
 * rather than blinding detection, and its changes are reviewed as identity changes.
 */
export const SECURITY_SERVICE_PRINCIPALS = [
  'access-analyzer.amazonaws.com',
  'cloudtrail.amazonaws.com',
  'config-multiaccountsetup.amazonaws.com',
  'config.amazonaws.com',
  'detective.amazonaws.com',
  'fms.amazonaws.com',
  'guardduty.amazonaws.com',
  'inspector2.amazonaws.com',
  'macie.amazonaws.com',
  'malware-protection.guardduty.amazonaws.com',
  'securityhub.amazonaws.com',
  'securitylake.amazonaws.com',
] as const;
/**
 * The call names a security service, in any letter case, or its request cannot be read (no
 * `servicePrincipal`, e.g. truncated parameters): detection fails open.
 */
const FOR_SECURITY_SERVICE = {
  requestParameters: {
    servicePrincipal: [
      ...SECURITY_SERVICE_PRINCIPALS.map((principal) => ({ 'equals-ignore-case': principal })),
      { exists: false },
    ],
  },
};

export const CLOUDTRAIL: readonly Detection[] = [
  {
    id: 'cloudtrail-logging-stopped',
    title: 'CloudTrail logging was stopped',
    class: 'impairment',
    severity: 'critical',
    rationale: 'A stopped trail hides every later API call in that account from detection and from audit.',
    compliance: { ...cisMonitoring(5), pciDss: ['10.2.1.6', '10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.008'] },
    ...apiCall('cloudtrail', ['StopLogging']),
    remediation: { action: 'restart-trail-logging', defaultMode: 'auto' },
  },
  {
    id: 'cloudtrail-trail-deleted',
    title: 'CloudTrail trail deleted',
    class: 'impairment',
    severity: 'critical',
    rationale:
      'A deleted trail stops recording at once and takes its configuration with it; only the organization trail ' +
      'is protected from member accounts, so this is either a management-account action or a local trail lost.',
    compliance: {
      ...cisMonitoring(5),
      pciDss: ['10.2.1.6', '10.3.2', '10.7.2'],
      soc2: ['CC7.2'],
      mitre: ['T1562.008'],
    },
    ...apiCall('cloudtrail', ['DeleteTrail']),
    noRemediation:
      "A deleted trail's full definition (bucket, key, selectors, organization flag, CloudWatch Logs role) is not in the event; vigil's organization trail is restored by redeploying the org-trail stack, and any other trail belongs to the account owner.",
  },
  {
    id: 'cloudtrail-trail-updated',
    title: 'CloudTrail trail weakened or re-pointed',
    class: 'impairment',
    severity: 'high',
    rationale:
      'UpdateTrail re-pointed the log files (a new bucket or key prefix), made the trail single-region or ' +
      'single-account, dropped global service events, or switched off log-file validation, encryption, CloudWatch ' +
      'Logs delivery or notifications; each weakens the audit record. Updates that only turn protections on, or ' +
      'change the KMS key to one of the organization, do not alert; an unreadable request does.',
    compliance: { ...cisMonitoring(5), pciDss: ['10.2.1.6', '10.3.2'], soc2: ['CC7.2', 'CC8.1'], mitre: ['T1562.008'] },
    ...apiCall('cloudtrail', ['UpdateTrail']),
    predicate: 'trailUpdateWeakens',
    remediation: { action: 'restore-trail-settings', defaultMode: 'notify' },
  },
  {
    id: 'cloudtrail-event-selectors-narrowed',
    title: 'CloudTrail event selectors stop recording all management events',
    class: 'impairment',
    severity: 'high',
    rationale:
      'New event selectors that exclude management events, record only reads or writes, or exclude event sources ' +
      'leave the trail running but blind to the calls attackers make. Selectors are OR-ed: the alert is raised only ' +
      'when all of them together (basic or advanced) no longer record every read and write management event.',
    compliance: { pciDss: ['10.2.1.6', '10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.008'] },
    ...apiCall('cloudtrail', ['PutEventSelectors']),
    predicate: 'eventSelectorsDropManagementEvents',
    remediation: { action: 'restore-event-selectors', defaultMode: 'notify' },
  },
  {
    id: 'cloudtrail-trail-created-or-started',
    title: 'CloudTrail trail created or logging started',
    class: 'change',
    severity: 'info',
    rationale:
      'Recorded for the CIS 4.5 audit trail of CloudTrail configuration: a new trail can send copies of the ' +
      'logs to a bucket outside the organization; StartLogging normally follows a stop.',
    compliance: { ...cisMonitoring(5), pciDss: ['10.2.1.6'], soc2: ['CC7.2'], mitre: ['T1562.008'] },
    ...apiCall('cloudtrail', ['CreateTrail', 'StartLogging']),
  },
];

export const EVENTBRIDGE: readonly Detection[] = [
  {
    id: 'events-vigil-rule-deleted-or-disabled',
    title: 'vigil EventBridge rule deleted or disabled',
    class: 'impairment',
    severity: 'critical',
    rationale:
      "vigil's forwarding and routing rules are the detection pipeline itself: a deleted or disabled rule " +
      "silently stops alerts for that account and region. Changes by vigil's deploy role and the corrective " +
      "calls of vigil's remediation role are excluded.",
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    // Rule names start with the default `namePrefix` 'vigil' (config/org.json); see VIGIL_RULE_PREFIX.
    ...apiCall('events', ['DeleteRule', 'DisableRule'], {
      requestParameters: { name: [{ prefix: VIGIL_RULE_PREFIX }] },
      ...NOT_BY_VIGIL,
    }),
    remediation: { action: 'restore-forwarding-rule', defaultMode: 'auto' },
  },
  {
    id: 'events-vigil-rule-targets-changed',
    title: 'vigil EventBridge rule targets removed or replaced',
    class: 'impairment',
    severity: 'critical',
    rationale:
      'Removing or re-pointing the targets of a vigil rule keeps the rule "enabled" while events go nowhere, or ' +
      'to a bus the attacker controls.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('events', ['PutTargets', 'RemoveTargets'], {
      requestParameters: { rule: [{ prefix: VIGIL_RULE_PREFIX }] },
      ...NOT_BY_VIGIL,
    }),
    remediation: { action: 'restore-forwarding-rule', defaultMode: 'auto' },
  },
  {
    id: 'events-vigil-rule-modified',
    title: 'vigil EventBridge rule pattern or state changed',
    class: 'impairment',
    severity: 'high',
    rationale:
      'PutRule on a vigil rule can narrow its event pattern so that chosen events are no longer forwarded, or ' +
      'disable it; the rule still exists, so nothing looks broken.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2', 'CC8.1'], mitre: ['T1562.001'] },
    ...apiCall('events', ['PutRule'], {
      requestParameters: { name: [{ prefix: VIGIL_RULE_PREFIX }] },
      ...NOT_BY_VIGIL,
    }),
    remediation: { action: 'restore-forwarding-rule', defaultMode: 'approve' },
  },
  {
    id: 'events-bus-policy-changed',
    title: 'EventBridge event bus policy changed',
    class: 'exposure',
    severity: 'high',
    rationale:
      'The central bus admits only the organization; any change to its policy can let outside accounts inject fake ' +
      'events or cut members off. On any other bus, a permission for everyone or for an account outside the ' +
      "organization opens a path for others' events (removing a permission there narrows access and is not reported).",
    compliance: { pciDss: ['10.7.2', '1.2.2'], soc2: ['CC6.1', 'CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('events', ['PutPermission', 'RemovePermission'], NOT_BY_VIGIL),
    predicate: 'busPermissionIsFinding',
    // Acts on the central bus only (other buses belong to their owners): remove-bus-policy-statement.ts.
    remediation: { action: 'remove-bus-policy-statement', defaultMode: 'notify' },
  },
];

export const SECURITY_SERVICES: readonly Detection[] = [
  {
    id: 'guardduty-detector-deleted',
    title: 'GuardDuty detector deleted',
    class: 'impairment',
    severity: 'critical',
    rationale:
      'Deleting the detector switches GuardDuty off in the region and discards its findings; threat detection ' +
      'for the account stops there.',
    compliance: { pciDss: ['10.7.2', '11.5.1'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('guardduty', ['DeleteDetector']),
    remediation: { action: 'recreate-guardduty-detector', defaultMode: 'notify' },
  },
  {
    id: 'guardduty-detector-disabled',
    title: 'GuardDuty detector suspended or a protection plan turned off',
    class: 'impairment',
    severity: 'critical',
    rationale:
      'UpdateDetector with enable=false suspends GuardDuty: no findings are produced until it is re-enabled. ' +
      'Turning off a feature or data source (S3, EKS, runtime, malware or RDS protection) blinds it to that ' +
      'kind of attack. Changes of the publishing frequency or features turned on do not alert.',
    compliance: { pciDss: ['10.7.2', '11.5.1'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('guardduty', ['UpdateDetector']),
    predicate: 'guardDutyDetectorWeakened',
    // Acts on the suspension (enable=false) only, when history shows the detector was enabled; a protection plan
    // turned off is refused with its reason (restoring features needs their previous configuration).
    remediation: { action: 'enable-guardduty-detector', defaultMode: 'notify' },
  },
  {
    id: 'guardduty-member-disassociated',
    title: 'GuardDuty account detached from its administrator',
    class: 'impairment',
    severity: 'high',
    rationale:
      'A member leaving the delegated administrator (or members being removed) stops its findings from reaching ' +
      'the security account, while GuardDuty keeps running locally where nobody looks.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('guardduty', [
      'DeleteMembers',
      'DisassociateFromAdministratorAccount',
      'DisassociateFromMasterAccount',
      'DisassociateMembers',
      'StopMonitoringMembers',
    ]),
    noRemediation:
      "Re-associating a member is done from the GuardDuty administrator (delegated admin) account, which vigil's member roles cannot act as; a member may also have left on purpose (account closure, move). Notify the GuardDuty administrator.",
  },
  {
    id: 'guardduty-trusted-ip-list-changed',
    title: 'GuardDuty trusted IP list created or updated',
    class: 'impairment',
    severity: 'high',
    rationale:
      "GuardDuty raises no findings for traffic from trusted IP lists; adding an attacker's addresses to one " +
      'mutes detection of their activity.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('guardduty', ['CreateIPSet', 'UpdateIPSet']),
    noRemediation:
      "A trusted IP list is a file in S3 that the event only points to: vigil cannot tell a legitimate list update from one that hides an attacker's addresses, nor restore the previous file contents.",
  },
  {
    id: 'guardduty-findings-auto-archived',
    title: 'GuardDuty suppression rule created or updated',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'A filter with action ARCHIVE archives matching findings as they arrive, so nobody sees them; broad ' +
      'suppression rules hide real attacks. NOOP filters (saved views) do not alert; an UpdateFilter that changes ' +
      'the criteria without naming the action does, since the filter may already archive.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('guardduty', ['CreateFilter', 'UpdateFilter']),
    predicate: 'guardDutyFilterArchives',
  },
  {
    id: 'securityhub-disabled',
    title: 'Security Hub disabled',
    class: 'impairment',
    severity: 'critical',
    rationale:
      "Disabling Security Hub removes the account's findings and control checks from the central view; the " +
      'compliance picture for the account goes dark.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('securityhub', ['DisableSecurityHub']),
    noRemediation:
      "EnableSecurityHub starts from nothing: the previous standards, disabled controls, integrations and finding history are not restored; in an organization the delegated administrator's central configuration re-enables it with the right settings.",
  },
  {
    id: 'securityhub-standards-disabled',
    title: 'Security Hub standard disabled',
    class: 'impairment',
    severity: 'high',
    rationale:
      'Disabling a standard (CIS, AWS Foundational Security Best Practices, PCI DSS) stops its controls from being ' +
      'evaluated, so misconfigurations stop producing findings.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('securityhub', ['BatchDisableStandards']),
    noRemediation:
      "Re-enabling a standard also re-enables controls that were disabled on purpose; with central configuration the delegated administrator's policy, not a member role, decides which standards run.",
  },
  {
    id: 'config-recorder-stopped',
    title: 'AWS Config recorder stopped',
    class: 'impairment',
    severity: 'high',
    rationale:
      'A stopped recorder stops the configuration history and every Config rule evaluation in the region, ' +
      'including the conformance packs that prove compliance.',
    compliance: { ...cisMonitoring(9), pciDss: ['10.7.2', '11.5.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('config', ['StopConfigurationRecorder']),
    remediation: { action: 'restart-config-recorder', defaultMode: 'auto' },
  },
  {
    id: 'config-recorder-or-channel-deleted',
    title: 'AWS Config recorder or delivery channel deleted',
    class: 'impairment',
    severity: 'high',
    rationale:
      'Without a recorder nothing is recorded; without a delivery channel nothing is delivered. Either deletion ' +
      'ends configuration monitoring in the region.',
    compliance: { ...cisMonitoring(9), pciDss: ['10.7.2', '11.5.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('config', ['DeleteConfigurationRecorder', 'DeleteDeliveryChannel']),
    remediation: { action: 'recreate-config-recorder-or-channel', defaultMode: 'notify' },
  },
  {
    id: 'config-settings-changed',
    title: 'AWS Config recorder narrowed or delivery channel re-pointed',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'The recorder no longer records every supported resource type continuously (types excluded or listed, ' +
      'global IAM types dropped in us-east-1, daily instead of continuous recording), or the delivery channel ' +
      "sends the configuration history to a bucket, topic or key not recognisably the organization's (CIS 4.9). " +
      'A recorder that records everything, and a channel to a bucket named after an organization account, do not alert.',
    compliance: { ...cisMonitoring(9), pciDss: ['10.7.2'], soc2: ['CC7.2', 'CC8.1'], mitre: ['T1562.001'] },
    ...apiCall('config', ['PutConfigurationRecorder', 'PutDeliveryChannel']),
    predicate: 'configSettingsWeaken',
  },
  {
    id: 'kms-key-disabled',
    title: 'KMS key disabled',
    class: 'impairment',
    severity: 'high',
    rationale:
      'Data encrypted under a disabled key cannot be decrypted: services depending on it (the trail, buckets, ' +
      'databases) fail until it is re-enabled.',
    compliance: { ...cisMonitoring(7), pciDss: ['3.6.1', '10.2.1.7'], soc2: ['CC6.1', 'CC7.2'], mitre: ['T1485'] },
    ...apiCall('kms', ['DisableKey']),
    remediation: { action: 'enable-disabled-key', defaultMode: 'notify' },
  },
  {
    id: 'kms-key-deletion-scheduled',
    title: 'KMS key scheduled for deletion',
    class: 'impairment',
    severity: 'critical',
    rationale:
      'Once the waiting period ends the key is gone and everything encrypted under it is unrecoverable; the ' +
      'deletion can only be cancelled before then.',
    compliance: { ...cisMonitoring(7), pciDss: ['3.6.1', '3.7.5'], soc2: ['CC6.1', 'CC7.2'], mitre: ['T1485'] },
    ...apiCall('kms', ['ScheduleKeyDeletion']),
    remediation: { action: 'cancel-key-deletion', defaultMode: 'auto' },
  },
];

export const ORGANIZATIONS: readonly Detection[] = [
  {
    id: 'organizations-account-left',
    title: 'Account left or was removed from the organization',
    class: 'impairment',
    severity: 'critical',
    rationale:
      'Outside the organization an account is free of SCPs, the organization trail and delegated security ' +
      'services: every guardrail vigil relies on stops applying to it.',
    compliance: { ...cisMonitoring(15), pciDss: ['10.7.2'], soc2: ['CC6.1', 'CC7.2'], mitre: ['T1666'] },
    ...apiCall('organizations', ACCOUNT_LEFT),
    noRemediation:
      'An account that left the organization is outside it: re-joining needs an invitation from the management account and acceptance inside the account, neither of which vigil can do.',
  },
  {
    id: 'organizations-policy-detached',
    title: 'Organization policy (SCP) detached or deleted',
    class: 'impairment',
    severity: 'critical',
    rationale:
      'Detaching or deleting a service control policy lifts the organization-wide limits it enforced, including ' +
      "the SCP that protects vigil's roles, rules and the trail.",
    compliance: {
      ...cisMonitoring(15),
      pciDss: ['7.2.1', '10.7.2'],
      soc2: ['CC6.1', 'CC8.1'],
      mitre: ['T1484', 'T1562.001'],
    },
    ...apiCall('organizations', POLICY_DETACHED),
    noRemediation:
      'Reattaching an SCP needs organizations:AttachPolicy in the management account, where the security hardening constraints keep no broad role; a deleted policy cannot be reattached at all. The responder reattaches it.',
  },
  {
    id: 'organizations-policy-type-disabled',
    title: 'Organization policy type disabled',
    class: 'impairment',
    severity: 'critical',
    rationale:
      'Disabling a policy type on the root (for example SERVICE_CONTROL_POLICY) detaches every policy of that ' +
      'type from every account at once.',
    compliance: {
      ...cisMonitoring(15),
      pciDss: ['7.2.1', '10.7.2'],
      soc2: ['CC6.1', 'CC8.1'],
      mitre: ['T1484', 'T1562.001'],
    },
    ...apiCall('organizations', POLICY_TYPE_DISABLED),
    noRemediation:
      'Disabling a policy type detaches every policy of that type across the organization; re-enabling it needs the whole previous attachment map and a broad role in the management account, which the security hardening constraints forbid.',
  },
  {
    id: 'organizations-security-service-access-disabled',
    title: 'Trusted access of a security service disabled in the organization',
    class: 'impairment',
    severity: 'critical',
    rationale:
      'DisableAWSServiceAccess for CloudTrail, Config, GuardDuty, Security Hub, Access Analyzer or another ' +
      'security service removes its organization-wide integration: the organization trail, aggregated findings ' +
      'and auto-enrolment of new accounts stop, for every account at once.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001', 'T1562.008'] },
    ...apiCall('organizations', ['DisableAWSServiceAccess'], FOR_SECURITY_SERVICE),
    noRemediation:
      "Re-enabling trusted access needs organizations:EnableAWSServiceAccess in the management account, and the service's organization-wide setup (delegated admin, auto-enable) must then be rebuilt; no broad management-account role is kept for that.",
  },
  {
    id: 'organizations-security-admin-deregistered',
    title: 'Delegated administrator of a security service deregistered',
    class: 'impairment',
    severity: 'high',
    rationale:
      'DeregisterDelegatedAdministrator for a security service takes the security account out of its role: it no ' +
      'longer sees the findings, detectors and settings of the member accounts, and member settings can drift ' +
      'unseen until another administrator is registered.',
    compliance: { pciDss: ['10.7.2'], soc2: ['CC7.2'], mitre: ['T1562.001'] },
    ...apiCall('organizations', ['DeregisterDelegatedAdministrator'], FOR_SECURITY_SERVICE),
    noRemediation:
      "Registering a delegated administrator needs organizations:RegisterDelegatedAdministrator in the management account and then the service's organization configuration again; no broad management-account role is kept for that.",
  },
  {
    id: 'organizations-changed',
    title: 'AWS Organizations structure or policy changed',
    class: 'change',
    severity: 'info',
    rationale:
      'Accounts, OUs, invitations and policies define which guardrails apply where; every change is recorded ' +
      'for review (CIS 4.15). Leaving, SCP detachment and policy-type changes alert on their own.',
    compliance: { ...cisMonitoring(15), pciDss: ['10.2.1.7'], soc2: ['CC8.1', 'CC7.2'], mitre: ['T1666', 'T1484'] },
    ...apiCall(
      'organizations',
      CIS_ORGANIZATIONS_EVENTS.filter((name) => !SPECIFIC_ORGANIZATIONS_EVENTS.includes(name)),
    ),
  },
];

/** API calls whose session issuer is named like one of vigil's action roles (exact identity is checked in triage). */
const BY_VIGIL_ACTION_ROLE: EventPattern = {
  'detail-type': [API_CALL],
  detail: { userIdentity: { sessionContext: { sessionIssuer: { userName: [...VIGIL_ACTION_ROLES] } } } },
};

export const VIGIL: readonly Detection[] = [
  {
    id: 'vigil-remediation-role-misused',
    title: "vigil's remediation role misused or impersonated",
    class: 'access',
    severity: 'critical',
    rationale:
      "vigil's remediation role may only make the corrective calls of its remediation actions (the undo role only " +
      'their undo calls), and those are the only calls triage never alerts on. Any other call by it, failed ' +
      'attempts included, or any call by a role merely named like it (an IAM path, another account), means ' +
      "someone holds or imitates vigil's privileges.",
    compliance: { pciDss: ['7.2.1', '10.2.1.2'], soc2: ['CC6.1', 'CC7.2'], mitre: ['T1078.004', 'T1548'] },
    // Every call of those roles, corrective ones included: triage drops the genuine corrective calls
    // (loop guard, metric LoopGuarded) and reports the rest.
    forward: { kind: 'pattern', key: 'vigil-action-roles', pattern: BY_VIGIL_ACTION_ROLE },
    pattern: BY_VIGIL_ACTION_ROLE,
    predicate: 'vigilRoleMisused',
    aboutFailures: true,
    noRemediation:
      "The offender holds or imitates vigil's own remediation privileges: acting with that role on its own misuse is the loop vigil refuses; a human stops it (kill switch) and investigates.",
  },
];
