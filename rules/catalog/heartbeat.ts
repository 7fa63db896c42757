/**
 * vigil's heartbeat (issue #11): every member account calls `ssm:PutParameter` on vigil's heartbeat
 * parameter in each enabled region, and `iam:TagRole` on its heartbeat role (a global-service event,
 * recorded in us-east-1), from EventBridge Scheduler schedules. The CloudTrail events travel the
 * production path (default bus → forwarding rule → central bus → central rule → triage), and triage
 * records them as proof of coverage instead of alerting. Any other write to the parameter or the role,
 * or a heartbeat whose caller is not the exact heartbeat role of its account, is tampering.
 */
import { API_CALL, type Detection, type EventPattern } from '../types';
import { HEARTBEAT_PARAMETER, HEARTBEAT_ROLE, NOT_BY_VIGIL, SUCCEEDED } from './shared';

/** The heartbeat role's issuer ARN in any account, without a path (`role/x/vigil-heartbeat` is not it). */
const HEARTBEAT_ROLE_ARN = `arn:aws:iam::*:role/${HEARTBEAT_ROLE}`;

/** Calls naming the heartbeat parameter (regional path). */
const ON_PARAMETER = {
  source: ['aws.ssm'],
  eventSource: 'ssm.amazonaws.com',
  field: 'name',
  value: HEARTBEAT_PARAMETER,
};
/** Calls naming the heartbeat role (global path, IAM events are recorded in us-east-1). */
const ON_ROLE = { source: ['aws.iam'], eventSource: 'iam.amazonaws.com', field: 'roleName', value: HEARTBEAT_ROLE };

/**
 * What member accounts forward: every call naming the heartbeat parameter (every enabled region) or the
 * heartbeat role (us-east-1 only, where IAM events are recorded), whoever makes it; a rule in state ENABLED
 * drops read-only calls such as GetParameter. Two small rules, so the heartbeats never forward every
 * PutParameter or TagRole of the organization.
 */
const forwardOf = (t: typeof ON_PARAMETER, key: string, scope: 'global' | 'regional') =>
  ({
    kind: 'pattern',
    key,
    scope,
    pattern: {
      source: t.source,
      'detail-type': [API_CALL],
      detail: { eventSource: [t.eventSource], requestParameters: { [t.field]: [t.value] } },
    },
  }) as const;
const FORWARD_PARAMETER = forwardOf(ON_PARAMETER, 'vigil-heartbeat', 'regional');
const FORWARD_ROLE = forwardOf(ON_ROLE, 'vigil-heartbeat-global', 'global');

/** A call naming `t`'s parameter or role, by a caller matching `caller`, that succeeded. */
function onTarget(t: typeof ON_PARAMETER, caller: EventPattern): EventPattern {
  return {
    source: t.source,
    'detail-type': [API_CALL],
    detail: { eventSource: [t.eventSource], requestParameters: { [t.field]: [t.value] }, ...SUCCEEDED, ...caller },
  };
}

/** The caller's session issuer is named like the heartbeat role (exact identity is checked in triage). */
const BY_HEARTBEAT_ROLE: EventPattern = {
  userIdentity: { sessionContext: { sessionIssuer: { arn: [{ wildcard: HEARTBEAT_ROLE_ARN }] } } },
};

/** Anyone but a heartbeat-named issuer and vigil's deploy role (which creates and updates the role). */
const NOT_BY_HEARTBEAT_ROLE: EventPattern = {
  userIdentity: {
    $or: [
      { type: [{ 'anything-but': 'AssumedRole' }] },
      {
        sessionContext: {
          sessionIssuer: { arn: [{ 'anything-but': { wildcard: [HEARTBEAT_ROLE_ARN, ...deployRoleArns()] } }] },
        },
      },
    ],
  },
};

/** The deploy role's ARN patterns, as NOT_BY_VIGIL spells them (one source of truth). */
function deployRoleArns(): string[] {
  const branch = (NOT_BY_VIGIL['$or'] as EventPattern[])[1] as {
    userIdentity: { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': { wildcard: string[] } }] } } };
  };
  return branch.userIdentity.sessionContext.sessionIssuer.arn[0]['anything-but'].wildcard;
}

/** Id of the detection a heartbeat look-alike alerts as (triage re-decides it there). */
export const HEARTBEAT_TAMPERED_ID = 'vigil-heartbeat-tampered';

const HEARTBEAT_COMPLIANCE = { soc2: ['CC7.2', 'A1.2'], pciDss: ['10.7.2'], mitre: ['T1562.001', 'T1562.008'] };

export const HEARTBEAT: readonly Detection[] = [
  {
    id: 'vigil-heartbeat',
    title: "vigil's regional heartbeat",
    class: 'heartbeat',
    severity: 'info',
    rationale:
      "The heartbeat schedule of an account and region overwrote vigil's heartbeat parameter. Its arrival proves " +
      'that CloudTrail, the forwarding rule, the central bus and triage deliver from that region; triage records it ' +
      'for the coverage map and never alerts on it.',
    compliance: HEARTBEAT_COMPLIANCE,
    forward: FORWARD_PARAMETER,
    pattern: onTarget(ON_PARAMETER, BY_HEARTBEAT_ROLE),
  },
  {
    id: 'vigil-heartbeat-global',
    title: "vigil's global-service heartbeat",
    class: 'heartbeat',
    severity: 'info',
    rationale:
      'The heartbeat schedule in us-east-1 tagged the heartbeat role. IAM events are recorded in us-east-1 only, so ' +
      "its arrival proves the path of the account's global-service events (IAM, Organizations); triage records it " +
      'for the coverage map and never alerts on it.',
    compliance: HEARTBEAT_COMPLIANCE,
    forward: FORWARD_ROLE,
    pattern: onTarget(ON_ROLE, BY_HEARTBEAT_ROLE),
  },
  {
    id: HEARTBEAT_TAMPERED_ID,
    title: "vigil's heartbeat parameter or role changed by someone else",
    class: 'impairment',
    severity: 'high',
    rationale:
      "Only vigil's heartbeat role writes the heartbeat parameter, and only the deploy role changes the heartbeat " +
      'role. Anyone else writing, deleting or relabelling the parameter, or changing the role, can forge ' +
      'heartbeats so that a broken path looks healthy, or silence the proof of coverage. A heartbeat whose caller ' +
      "is not exactly the heartbeat role of the event's account alerts here too.",
    compliance: { ...HEARTBEAT_COMPLIANCE, mitre: ['T1562.001', 'T1565'] },
    // Its role-side events are forwarded by vigil-heartbeat-global's rule (one forward per detection).
    forward: FORWARD_PARAMETER,
    pattern: {
      source: [...ON_PARAMETER.source, ...ON_ROLE.source],
      'detail-type': [API_CALL],
      detail: {
        $or: [ON_PARAMETER, ON_ROLE].map((t) => ({
          eventSource: [t.eventSource],
          requestParameters: { [t.field]: [t.value] },
        })),
        ...SUCCEEDED,
        ...NOT_BY_HEARTBEAT_ROLE,
      },
    },
    noRemediation:
      'A forged heartbeat cannot be undone, only exposed; the next scheduled heartbeat overwrites the parameter, and a changed heartbeat role is put back by redeploying the member stack, which owns it.',
  },
];
