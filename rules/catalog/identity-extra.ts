/**
 * Identity detections of issue #13 beyond the CIS set in identity.ts: attempts to take an account out of
 * the organization, opt-in regions enabled, and repeated MFA failures at console sign-in.
 * Organizations and Account Management events are recorded in us-east-1 only; sign-in events in the
 * region of the sign-in endpoint.
 */
import type { Detection } from '../types';
import { apiCall, cisMonitoring } from './shared';

/**
 * The error codes of a refused LeaveOrganization: `AccessDenied` (IAM policy or SCP, as Stratus Red Team's
 * `aws.defense-evasion.organizations-leave` records it), `AccessDeniedException`, and the Organizations
 * exceptions (`ConstraintViolationException` when the account cannot stand alone yet,
 * `MasterCannotLeaveOrganizationException`). Each is an attempt.
 */
const LEAVE_REFUSED = { errorCode: [{ prefix: 'AccessDenied' }, { wildcard: '*Exception' }] } as const;

export const IDENTITY_EXTRA: readonly Detection[] = [
  {
    id: 'organizations-leave-attempt-denied',
    // One attempt, one alert: a denied LeaveOrganization is also one denied call of a possible burst.
    supersedes: ['api-access-denied-burst'],
    title: 'Attempt to leave the organization refused',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'Someone tried to take the account out of the organization, where no SCP, organization trail or delegated ' +
      'security service would reach it; the SCP or a missing prerequisite stopped them this time. Find out who ' +
      'holds those credentials and what else they tried.',
    compliance: { pciDss: ['10.2.1.4', '10.7.2'], soc2: ['CC6.1', 'CC7.2'], mitre: ['T1666', 'T1562.008'] },
    ...apiCall('organizations', ['LeaveOrganization'], LEAVE_REFUSED, true),
    aboutFailures: true,
  },
  {
    id: 'account-region-enabled',
    title: 'Opt-in region enabled in an account',
    class: 'impairment',
    severity: 'medium',
    rationale:
      'EnableRegion opens an opt-in region: a region nobody uses is where attackers run resources unnoticed, and ' +
      'vigil forwards only from the regions in its inventory. Confirm the change was planned and add the region to ' +
      'the inventory (then deploy the account) so it is watched, or disable it again.',
    compliance: { pciDss: ['10.2.1.7'], soc2: ['CC6.1', 'CC8.1'], mitre: ['T1535'] },
    ...apiCall('account', ['EnableRegion']),
  },
  {
    id: 'signin-mfa-failures-repeated',
    // Wrong MFA codes are failed sign-ins too: reported (and counted) here, per user rather than per address.
    supersedes: ['signin-console-login-failed'],
    title: 'Repeated MFA failures at console sign-in',
    class: 'access',
    severity: 'high',
    rationale:
      'A sign-in that fails with MFA used means the password was right and the second factor was not: several in a ' +
      'short time for one user are someone holding the password and guessing codes or pushing for approvals ' +
      '(MFA fatigue). Rotate the password and check how it leaked.',
    compliance: {
      ...cisMonitoring(6),
      pciDss: ['8.3.4', '10.2.1.4'],
      soc2: ['CC6.1', 'CC7.2'],
      mitre: ['T1621', 'T1110'],
    },
    ...apiCall(
      'signin',
      ['ConsoleLogin'],
      {
        userIdentity: { type: [{ 'anything-but': 'Root' }] },
        additionalEventData: { MFAUsed: ['Yes'] },
        responseElements: { ConsoleLogin: ['Failure'] },
      },
      true,
    ),
    aboutFailures: true,
    aggregate: { windowSeconds: 900, threshold: 3, groupBy: ['account', 'detail.userIdentity.userName'] },
    noRemediation:
      'Locking or disabling the user would hand a password guesser a way to lock out real users; a responder ' +
      'confirms with the user and rotates the password.',
  },
];
