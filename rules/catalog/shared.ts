/**
 * Building blocks for catalog entries: the forward + pattern pair of an API-call detection, the
 * "succeeded" guard, CIS / Security Hub references, and the vigil principals that must not trip
 * vigil's own tamper detections.
 */
import { API_CALL, type ComplianceRefs, type Detection, type EventPattern } from '../types';

/**
 * Failed calls (`errorCode` present) do not alert unless a detection is about failures. A successful
 * call may also carry `"errorCode": null` or `""` (seen in re-serialised and hand-forwarded records):
 * in EventBridge `null` is a value that `exists: false` does not match, so both are listed.
 */
export const SUCCEEDED = { errorCode: [null, '', { exists: false }] } as const;

/**
 * The `forward` and `pattern` of a detection about API calls of one service. `service` is the
 * CloudTrail service prefix: EventBridge source `aws.<service>`, eventSource `<service>.amazonaws.com`.
 * `detail` adds precise conditions to the central pattern; the guard against failed calls is added
 * unless `failures` is set. Sign-in events carry no `detail-type` condition: AWS spells it two ways.
 */
export function apiCall(
  service: string,
  eventNames: readonly string[],
  detail: EventPattern = {},
  failures = false,
): Pick<Detection, 'forward' | 'pattern'> {
  const source = `aws.${service}`;
  const eventSource = `${service}.amazonaws.com`;
  const precise = { eventSource: [eventSource], eventName: [...eventNames], ...(failures ? {} : SUCCEEDED), ...detail };
  return {
    forward: { kind: 'api', source, eventSource, eventNames: [...eventNames] },
    pattern:
      service === 'signin'
        ? { source: [source], detail: precise }
        : { source: [source], 'detail-type': [API_CALL], detail: precise },
  };
}

/** Security Hub CloudWatch.x control for each CIS v1.4+ monitoring control 4.1–4.14 (4.15 has none). */
const CLOUDWATCH_FOR_CIS: Readonly<Record<number, number>> = {
  1: 2,
  2: 3,
  3: 1,
  4: 4,
  5: 5,
  6: 6,
  7: 7,
  8: 8,
  9: 9,
  10: 10,
  11: 11,
  12: 12,
  13: 13,
  14: 14,
};

/**
 * CIS AWS Foundations monitoring controls (`4.n` in v1.3–v3.0, `3.n` in v1.2) and the Security Hub
 * CloudWatch.x control that cites each.
 */
export function cisMonitoring(...controls: number[]): Pick<ComplianceRefs, 'cis' | 'securityHub'> {
  const cis = controls.flatMap((n) => (n <= 14 ? [`4.${n}`, `3.${n} (v1.2)`] : [`4.${n}`]));
  const securityHub = controls.flatMap((n) => {
    const control = CLOUDWATCH_FOR_CIS[n];
    return control === undefined ? [] : [`CloudWatch.${control}`];
  });
  return { cis, securityHub };
}

/**
 * The role vigil deploys through in member accounts (`deployRoleName` in config/org.json, default
 * `vigil-deploy`): its changes to vigil's rules are expected and must not trigger a "restore" of what
 * it just deployed. The remediation role is not excluded here: a pattern can only match it by name,
 * which a look-alike shares (an IAM path); triage drops its genuine corrective calls by exact ARN
 * (rules/vigil-roles.ts) and reports the rest.
 * TODO(catalog): derive from config if an organization changes `namePrefix` or `deployRoleName`.
 */
export const VIGIL_ROLES = ['vigil-deploy'] as const;

/**
 * The member roles that act for vigil's remediation (`remediationRoleName()` and
 * `remediationUndoRoleName()` in config/naming.ts, default prefix): every call they make is forwarded,
 * and triage tells their own calls from misuse by exact ARN (rules/vigil-roles.ts).
 * TODO(catalog): derive from config with VIGIL_ROLES.
 */
export const VIGIL_ACTION_ROLES = ['vigil-remediation', 'vigil-remediation-undo'] as const;

/**
 * vigil's heartbeat (issue #11) with the default `namePrefix` 'vigil': the role EventBridge Scheduler
 * assumes in each member account (`heartbeatRoleName()`), the SSM parameter it overwrites in every
 * enabled region (`heartbeatParameterName()`), both in config/naming.ts. Patterns cannot template the
 * account id: they match the issuer ARN in any account, and triage checks the exact ARN of the event's
 * account (handlers/core/heartbeat.ts).
 * TODO(catalog): derive from config with VIGIL_ROLES.
 */
export const HEARTBEAT_ROLE = 'vigil-heartbeat';
export const HEARTBEAT_PARAMETER = '/vigil/heartbeat';

/**
 * Prefix of every EventBridge rule vigil owns (`ruleNamePrefix()` in config/naming.ts with the default
 * `namePrefix` 'vigil'): member forwarding rules `vigil-fwd-*` and central rules `vigil-<id>`.
 */
export const VIGIL_RULE_PREFIX = 'vigil-';

/**
 * Calls not made by vigil's deploy role (callers that are not assumed roles never are). The deploy role is
 * recognised by its issuer ARN with no path (`arn:aws:iam::<any account>:role/vigil-deploy`), never by
 * name alone: a role `role/ops/vigil-deploy` shares the name, not the ARN, and still alerts.
 */
export const NOT_BY_VIGIL: EventPattern = {
  $or: [
    { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
    {
      userIdentity: {
        sessionContext: {
          sessionIssuer: {
            arn: [{ 'anything-but': { wildcard: VIGIL_ROLES.map((r) => `arn:aws:iam::*:role/${r}`) } }],
          },
        },
      },
    },
  ],
};

/**
 * IAM Identity Center provisions permission sets into member accounts itself (CloudTrail shows
 * `sourceIPAddress: sso.amazonaws.com`, `invokedBy: sso.amazonaws.com`, e.g. AttachRolePolicy of
 * AdministratorAccess to `AWSReservedSSO_*` roles). Those follow a permission-set change that is
 * reviewed and logged where it happens (`sso.amazonaws.com` events in the management account).
 */
export const NOT_BY_IDENTITY_CENTER: EventPattern = { sourceIPAddress: [{ 'anything-but': 'sso.amazonaws.com' }] };
